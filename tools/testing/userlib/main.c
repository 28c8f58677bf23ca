// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libmagpie's API, built with ASan+UBSan: every size class
 * with content and overlap checks, large objects, calloc, realloc,
 * alignment, offsets, RSS after a freed burst, cache aging, the pressure
 * epoch, thread exit, cross-thread frees and fork. The suite runs on the
 * anon backend, and again on the device backend when /dev/magpie exists.
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ut.h"
#include "../../../mod/engine/sizeclass.h"

uint32_t ut_backend = MGP_BACKEND_ANON;

/* The engine's table, linked in with the library. */
#define class_size(c)	magpie_sizeclasses[c].size
#define class_objs(c)	((unsigned int)magpie_sizeclasses[c].nobjs)

struct mgp_arena *ut_arena(uint64_t size, uint64_t cache_bytes, uint32_t cache_ms)
{
	struct mgp_arena_opts o = {
		.size = size, .backend = ut_backend,
		.cache_bytes = cache_bytes, .cache_ms = cache_ms,
	};
	struct mgp_arena *a = mgp_arena_create(&o);

	if (!a) {
		printf("Bail out! mgp_arena_create: %s\n", strerror(errno));
		exit(1);
	}
	return a;
}

long ut_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

void ut_fill(void *p, size_t n, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

long ut_check(const void *p, size_t n, unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 8)))
			return (long)i;
	return -1;
}

struct obj {
	char *p;
	size_t size;
	unsigned int seed;
};

static int obj_cmp(const void *x, const void *y)
{
	const struct obj *a = x, *b = y;

	return a->p < b->p ? -1 : a->p > b->p;
}

/* Two requests per class (its smallest and its largest), 3 spans' worth each. */
MT_CASE(every_class_no_overlap)
{
	struct mgp_arena *a = ut_arena(256 << 20, 0, 0);
	size_t cap = 0, n = 0, i, r;
	struct mgp_stats st;
	struct obj *objs;
	unsigned int c;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++)
		cap += 2 * (3 * class_objs(c) + 5);
	objs = MT_ALLOC(cap * sizeof(*objs));
	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		size_t req[2] = { class_size(c - 1) + 1, class_size(c) };

		for (r = 0; r < 2; r++) {
			for (i = 0; i < 3 * class_objs(c) + 5; i++) {
				char *p = mgp_alloc(a, req[r]);

				MT_EXPECT_TRUE(p);
				if (!p)
					continue;
				MT_EXPECT_EQ(mgp_usable_size(a, p), class_size(c));
				MT_EXPECT_EQ((uintptr_t)p % (class_size(c) % 16 ? 8 : 16), 0);
				ut_fill(p, class_size(c), (unsigned int)n);
				objs[n].p = p;
				objs[n].seed = (unsigned int)n;
				objs[n++].size = class_size(c);
			}
		}
	}
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	/* Counted out of the spans: the thread cache holds a magazine more. */
	MT_EXPECT_LE(2 * (3 * class_objs(1) + 5), st.objects[1]);
	MT_EXPECT_LE(st.objects[1], 2 * (3 * class_objs(1) + 5) + 64);
	MT_EXPECT_LE(16, st.spans[72]);
	MT_EXPECT_LE(st.spans[72], 18);
	qsort(objs, n, sizeof(*objs), obj_cmp);
	for (i = 0; i + 1 < n; i++)
		MT_EXPECT_LE((uintptr_t)objs[i].p + objs[i].size, (uintptr_t)objs[i + 1].p);
	for (i = 0; i < n; i++) {
		MT_EXPECT_EQ(ut_check(objs[i].p, objs[i].size, objs[i].seed), -1);
		MT_EXPECT_EQ(mgp_free(a, objs[i].p), 0);
	}
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++) {
		MT_EXPECT_EQ_MSG(st.objects[c], 0, "class %u", c);
		MT_EXPECT_EQ_MSG(st.spans[c], 0, "class %u", c);
	}
	MT_EXPECT_EQ(st.bytes_in_use, 0);
	MT_EXPECT_EQ(st.bad_frees + st.double_frees, 0);
	mgp_arena_close(a);
}

/* Contents survive other allocations: fill everything, then check everything. */
MT_CASE(contents_survive)
{
	struct mgp_arena *a = ut_arena(128 << 20, 0, 0);
	enum { N = 3000 };
	struct obj *objs = MT_ALLOC(N * sizeof(*objs));
	unsigned int i, seed = 1;

	for (i = 0; i < N; i++) {
		objs[i].size = (seed = seed * 1103515245 + 12345) % 40000 + 1;
		objs[i].p = mgp_alloc(a, objs[i].size);
		MT_EXPECT_TRUE(objs[i].p);
		ut_fill(objs[i].p, objs[i].size, i);
		if (i % 3 == 2) {	/* free some as we go: slots get reused */
			MT_EXPECT_EQ(ut_check(objs[i - 1].p, objs[i - 1].size, i - 1), -1);
			MT_EXPECT_EQ(mgp_free(a, objs[i - 1].p), 0);
			objs[i - 1].p = NULL;
		}
	}
	for (i = 0; i < N; i++) {
		if (!objs[i].p)
			continue;
		MT_EXPECT_EQ_MSG(ut_check(objs[i].p, objs[i].size, i), -1, "object %u", i);
		MT_EXPECT_EQ(mgp_free(a, objs[i].p), 0);
	}
	mgp_arena_close(a);
}

MT_CASE(large_objects)
{
	static const size_t sizes[] = { 32769, 65536, 100000, 1 << 20, (10 << 20) + 3 };
	struct mgp_arena *a = ut_arena(256 << 20, 0, 0);
	void *p[5];
	struct mgp_stats st;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		p[i] = mgp_alloc(a, sizes[i]);
		MT_EXPECT_TRUE(p[i]);
		MT_EXPECT_EQ((uintptr_t)p[i] % 4096, 0);
		MT_EXPECT_EQ(mgp_usable_size(a, p[i]), (sizes[i] + 4095) & ~4095UL);
		ut_fill(p[i], sizes[i], i);
	}
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.large_objects, 5);
	MT_EXPECT_EQ(st.spans[0], 5);
	for (i = 0; i < 5; i++) {
		MT_EXPECT_EQ(ut_check(p[i], sizes[i], i), -1);
		MT_EXPECT_EQ(mgp_free(a, p[i]), 0);
	}
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.large_objects, 0);
	MT_EXPECT_EQ(st.objects[0], 0);
	mgp_arena_close(a);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

MT_CASE(calloc_zeroes)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	void *p[200];
	unsigned int i;

	for (i = 0; i < 200; i++) {
		p[i] = mgp_alloc(a, 100);
		memset(p[i], 0xaa, 100);
	}
	for (i = 0; i < 200; i++)
		mgp_free(a, p[i]);
	for (i = 0; i < 200; i++) {
		p[i] = mgp_calloc(a, 4, 25);
		MT_EXPECT_TRUE(p[i] && all_zero(p[i], 100));
	}
	for (i = 0; i < 200; i++)
		mgp_free(a, p[i]);
	/* A large run reused dirty from the cache must be cleared too. */
	p[0] = mgp_alloc(a, 120000);
	memset(p[0], 0xff, 120000);
	mgp_free(a, p[0]);
	p[0] = mgp_calloc(a, 3, 40000);
	MT_EXPECT_TRUE(p[0] && all_zero(p[0], 120000));
	mgp_free(a, p[0]);
	UT_EXPECT_ERR(mgp_calloc(a, SIZE_MAX / 2, 3), NULL, EOVERFLOW);
	UT_EXPECT_ERR(mgp_calloc(a, 3, SIZE_MAX / 2), NULL, EOVERFLOW);
	p[0] = mgp_calloc(a, 0, 5);
	MT_EXPECT_TRUE(p[0]);
	mgp_free(a, p[0]);
	mgp_arena_close(a);
}

MT_CASE(realloc_keeps_contents)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	size_t size = 1, next;
	char *p = mgp_realloc(a, NULL, 1);

	MT_EXPECT_TRUE(p);
	ut_fill(p, 1, 7);
	for (; size < 300000; size = next) {	/* grow through classes and runs */
		next = size * 3 / 2 + 7;
		p = mgp_realloc(a, p, next);
		MT_EXPECT_TRUE(p);
		MT_EXPECT_EQ(ut_check(p, size, 7), -1);
		MT_EXPECT_LE(next, mgp_usable_size(a, p));
		ut_fill(p, next, 7);
	}
	for (; size > 1; size = next) {		/* and back down */
		next = size / 3;
		p = mgp_realloc(a, p, next ? next : 1);
		MT_EXPECT_TRUE(p);
		MT_EXPECT_EQ(ut_check(p, next ? next : 1, 7), -1);
	}
	errno = EBUSY;
	MT_EXPECT_TRUE(!mgp_realloc(a, p, 0));
	MT_EXPECT_EQ(errno, 0);
	UT_EXPECT_ERR(mgp_free(a, p), -1, EALREADY);	/* realloc(p, 0) freed it */
	mgp_arena_close(a);
}

MT_CASE(aligned)
{
	static const size_t sizes[] = { 1, 24, 100, 5000, 40000 };
	struct mgp_arena *a = ut_arena(256 << 20, 0, 0);
	size_t align;
	unsigned int i;

	for (align = 1; align <= 1 << 20; align <<= 1) {
		for (i = 0; i < 5; i++) {
			char *p = mgp_alloc_aligned(a, align, sizes[i]);

			MT_EXPECT_TRUE(p);
			MT_EXPECT_EQ_MSG((uintptr_t)p % align, 0, "align %zu size %zu",
					 align, sizes[i]);
			MT_EXPECT_LE(sizes[i], mgp_usable_size(a, p));
			ut_fill(p, sizes[i], i);
			MT_EXPECT_EQ(mgp_free(a, p), 0);
		}
	}
	UT_EXPECT_ERR(mgp_alloc_aligned(a, 3, 10), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_alloc_aligned(a, 0, 10), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_alloc_aligned(a, 48, 10), NULL, EINVAL);
	mgp_arena_close(a);
}

MT_CASE(offsets_and_header)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	struct magpie_arena_header *h = mgp_arena_base(a);
	char *p = mgp_alloc(a, 100);
	int64_t off = mgp_ptr_to_offset(a, p);
	struct mgp_stats st;
	int local;

	MT_EXPECT_EQ(h->magic, MAGPIE_ARENA_MAGIC);
	MT_EXPECT_EQ(h->api_version, MAGPIE_API_VERSION);
	MT_EXPECT_EQ(h->sizeclass_version, MAGPIE_SIZECLASS_VERSION);
	MT_EXPECT_EQ(h->nr_sizeclasses, MAGPIE_NR_SIZECLASSES);
	MT_EXPECT_EQ(h->data_size, 64 << 20);
	MT_EXPECT_EQ(h->meta_size, (64 << 20) / 4096 * MAGPIE_ARENA_META_PER_PAGE);
	MT_EXPECT_LE(h->data_offset, (uint64_t)off);
	MT_EXPECT_LT((uint64_t)off, h->map_size);
	MT_EXPECT_TRUE(mgp_offset_to_ptr(a, off) == p);
	MT_EXPECT_TRUE((char *)h + off == p);
	/* 100 bytes: class 9 (112 bytes); the thread cache took a magazine. */
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_LE(1, h->classes[9].objects);
	MT_EXPECT_EQ(h->classes[9].objects, st.objects[9]);
	MT_EXPECT_LE(1, h->classes[9].spans);
	MT_EXPECT_EQ(h->classes[9].spans, st.spans[9]);
	MT_EXPECT_EQ(h->classes[0].spans + h->classes[8].spans + h->classes[10].spans, 0);
	UT_EXPECT_ERR(mgp_ptr_to_offset(a, &local), -1, EFAULT);
	UT_EXPECT_ERR(mgp_offset_to_ptr(a, 0), NULL, EFAULT);
	UT_EXPECT_ERR(mgp_offset_to_ptr(a, h->map_size), NULL, EFAULT);
	mgp_free(a, p);
	mgp_arena_close(a);
}

/* A freed burst of 64 MiB leaves at most the cache bound (1 MiB) backed. */
MT_CASE(rss_follows_frees)
{
	enum { N = 16384 };
	struct mgp_arena *a = ut_arena(512 << 20, 1 << 20, 0);
	void **p = MT_ALLOC(N * sizeof(void *));
	long rss0, rss1, rss2;
	struct mgp_stats st;
	unsigned int i;

	rss0 = ut_rss_kib();
	for (i = 0; i < N; i++) {
		p[i] = mgp_alloc(a, 4000);
		memset(p[i], 1, 4000);
	}
	rss1 = ut_rss_kib();
	MT_EXPECT_LE(rss0 + 60 * 1024, rss1);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_LE(64ULL << 20, st.bytes_backed);
	for (i = 0; i < N; i++)
		mgp_free(a, p[i]);
	rss2 = ut_rss_kib();
	printf("    # VmRSS %ld -> %ld -> %ld KiB\n", rss0, rss1, rss2);
	MT_EXPECT_LE(rss2 + 56 * 1024, rss1);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_LE(st.bytes_cached, 1 << 20);
	MT_EXPECT_LE(st.bytes_backed, 4 << 20);
	MT_EXPECT_LE(60ULL << 20, st.bytes_released);
	mgp_arena_close(a);
}

static void free_burst(struct mgp_arena *a, size_t size, unsigned int n)
{
	void *p[512];
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = mgp_alloc(a, size);
		memset(p[i], 3, size);
	}
	for (i = 0; i < n; i++)
		mgp_free(a, p[i]);
}

/* Cached free spans older than cache_ms go at the next page-level call. */
MT_CASE(cache_ages)
{
	struct mgp_arena *a = ut_arena(64 << 20, 64 << 20, 20);
	struct timespec ts = { 0, 60 * 1000 * 1000 };
	struct mgp_stats st;
	void *big;

	free_burst(a, 8192, 256);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_LE(1 << 20, st.bytes_cached);
	nanosleep(&ts, NULL);
	big = mgp_alloc(a, 40000);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bytes_cached, 0);
	MT_EXPECT_LE(1 << 20, st.bytes_released);
	mgp_free(a, big);
	mgp_arena_close(a);
}

/* The kernel's pressure epoch, simulated by writing the header. */
MT_CASE(pressure_epoch)
{
	struct mgp_arena *a = ut_arena(64 << 20, 64 << 20, 30000);
	struct magpie_arena_header *h = mgp_arena_base(a);
	struct mgp_stats st;
	uint64_t cached;
	void *p;

	free_burst(a, 8192, 256);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	cached = st.bytes_cached;
	MT_EXPECT_LE(1 << 20, cached);
	MT_EXPECT_EQ(h->cached_free_bytes, cached);
	MT_EXPECT_EQ(st.released_on_pressure, 0);
	__atomic_store_n(&h->pressure_epoch, h->pressure_epoch + 1, __ATOMIC_RELAXED);
	p = mgp_alloc(a, 10);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bytes_cached, 0);
	MT_EXPECT_EQ(h->cached_free_bytes, 0);
	MT_EXPECT_EQ(st.released_on_pressure, cached);
	MT_EXPECT_EQ(st.pressure_seen, st.pressure_epoch);
	MT_EXPECT_EQ(h->pressure_seen, h->pressure_epoch);
	free_burst(a, 8192, 64);
	mgp_free(a, p);		/* the same epoch is not answered twice */
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.released_on_pressure, cached);
	MT_EXPECT_LE(1, st.bytes_cached);
	mgp_arena_close(a);
}

struct thread_arg {
	struct mgp_arena *a;
	void **objs;
	unsigned int n;
	uint64_t caches_seen;
};

static void *cache_and_exit(void *arg)
{
	struct thread_arg *t = arg;
	struct mgp_stats st;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		t->objs[i] = mgp_alloc(t->a, 16 << (i % 8));
	for (i = 0; i < t->n; i++)
		mgp_free(t->a, t->objs[i]);
	mgp_arena_stats(t->a, &st);
	t->caches_seen = st.thread_caches;
	return NULL;
}

MT_CASE(thread_exit_returns_cache)
{
	struct thread_arg t = { .a = ut_arena(64 << 20, 0, 0), .n = 200 };
	struct mgp_stats st;
	pthread_t th;
	unsigned int c;

	t.objs = MT_ALLOC(t.n * sizeof(void *));
	pthread_create(&th, NULL, cache_and_exit, &t);
	pthread_join(th, NULL);
	MT_EXPECT_EQ(t.caches_seen, 1);
	MT_EXPECT_EQ(mgp_arena_stats(t.a, &st), 0);
	MT_EXPECT_EQ(st.thread_caches, 0);
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++)
		MT_EXPECT_EQ_MSG(st.objects[c], 0, "class %u", c);
	MT_EXPECT_EQ(st.bytes_in_use, 0);
	mgp_arena_close(t.a);
}

static void *alloc_filled(void *arg)
{
	struct thread_arg *t = arg;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		t->objs[i] = mgp_alloc(t->a, 8 + i % 3000);
		ut_fill(t->objs[i], 8 + i % 3000, i);
	}
	return NULL;
}

static void *check_and_free(void *arg)
{
	struct thread_arg *t = arg;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (ut_check(t->objs[i], 8 + i % 3000, i) != -1 || mgp_free(t->a, t->objs[i]))
			t->caches_seen++;	/* counts failures here */
	return NULL;
}

MT_CASE(cross_thread_frees)
{
	struct thread_arg t = { .a = ut_arena(128 << 20, 0, 0), .n = 5000 };
	struct mgp_stats st;
	pthread_t th;
	unsigned int c;

	t.objs = MT_ALLOC(t.n * sizeof(void *));
	pthread_create(&th, NULL, alloc_filled, &t);
	pthread_join(th, NULL);
	pthread_create(&th, NULL, check_and_free, &t);
	pthread_join(th, NULL);
	MT_EXPECT_EQ(t.caches_seen, 0);
	MT_EXPECT_EQ(mgp_arena_stats(t.a, &st), 0);
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++)
		MT_EXPECT_EQ_MSG(st.objects[c], 0, "class %u", c);
	MT_EXPECT_EQ(st.thread_caches, 0);
	mgp_arena_close(t.a);
}

static int stop_busy;

static void *busy(void *arg)
{
	struct mgp_arena *a = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&stop_busy, __ATOMIC_RELAXED))
		mgp_free(a, mgp_alloc(a, 16 + (i++ % 50000)));
	return NULL;
}

/* The child gets its own copy; the parent's objects stay as they were. */
MT_CASE(fork_child_is_private)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	char *p = mgp_alloc(a, 100);
	int status, round;
	pthread_t th;
	pid_t pid;

	memset(p, 'P', 100);
	__atomic_store_n(&stop_busy, 0, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, busy, a);
	for (round = 0; round < 5; round++) {
		pid = fork();
		if (pid == 0) {
			void *q[1000];
			int i, bad = p[0] != 'P' || p[99] != 'P';

			alarm(10);	/* a lock left taken would hang here */
			memset(p, 'C', 100);
			bad |= (mgp_free(a, p) != 0) << 1;
			for (i = 0; i < 1000; i++) {
				q[i] = mgp_alloc(a, 16 + i * 40);
				bad |= !q[i] << 2;
			}
			for (i = 0; i < 1000; i++)
				bad |= (mgp_free(a, q[i]) != 0) << 3;
			_exit(bad);
		}
		MT_EXPECT_TRUE(pid > 0);
		MT_EXPECT_EQ(waitpid(pid, &status, 0), pid);
		/* Exit code bits: 1 contents, 2 free, 4 alloc, 8 frees; else a signal. */
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			printf("    # child status %#x\n", status);
		MT_EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	__atomic_store_n(&stop_busy, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	MT_EXPECT_EQ(p[0], 'P');
	MT_EXPECT_EQ(p[99], 'P');
	MT_EXPECT_EQ(mgp_free(a, p), 0);
	mgp_arena_close(a);
}

MT_CASE(stats_name_backend)
{
	struct mgp_arena *a = ut_arena(16 << 20, 0, 0);
	struct mgp_stats st;

	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(strcmp(st.backend, ut_backend == MGP_BACKEND_DEVICE ? "device" : "anon"), 0);
	MT_EXPECT_EQ(st.data_size, 16 << 20);
	MT_EXPECT_LE(st.data_size, st.map_size);
	MT_EXPECT_EQ(st.nr_classes, MAGPIE_NR_SIZECLASSES);
	mgp_arena_close(a);
}

MT_CASE_LIST(userlib_cases) = {
	MT_CASE_ENTRY(stats_name_backend),
	MT_CASE_ENTRY(every_class_no_overlap),
	MT_CASE_ENTRY(contents_survive),
	MT_CASE_ENTRY(large_objects),
	MT_CASE_ENTRY(calloc_zeroes),
	MT_CASE_ENTRY(realloc_keeps_contents),
	MT_CASE_ENTRY(aligned),
	MT_CASE_ENTRY(offsets_and_header),
	MT_CASE_ENTRY(rss_follows_frees),
	MT_CASE_ENTRY(cache_ages),
	MT_CASE_ENTRY(pressure_epoch),
	MT_CASE_ENTRY(thread_exit_returns_cache),
	MT_CASE_ENTRY(cross_thread_frees),
	MT_CASE_ENTRY(fork_child_is_private),
	{}
};

int main(void)
{
	int number = 0, failed = 0, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* fork: no buffered lines twice */
	printf("TAP version 13\n");
	ut_backend = MGP_BACKEND_ANON;
	failed += mt_run_suite("userlib_anon", userlib_cases, &number);
	failed += mt_run_suite("userlib_anon_errors", ut_error_cases(), &number);
	fd = open(MAGPIE_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		ut_backend = MGP_BACKEND_DEVICE;
		failed += mt_run_suite("userlib_device", userlib_cases, &number);
		failed += mt_run_suite("userlib_device_errors", ut_error_cases(), &number);
		failed += mt_run_suite("userlib_device_limit", ut_device_error_cases(), &number);
	} else {
		printf("ok %d userlib_device # SKIP %s: %s (the device runs in the guests)\n",
		       ++number, MAGPIE_DEVICE_PATH, strerror(errno));
	}
	printf("1..%d\n", number);
	return failed ? 1 : 0;
}
