// SPDX-License-Identifier: GPL-2.0
/*
 * Threaded stress of libmagpie under ThreadSanitizer: two generations of
 * four workers allocate objects of every kind (small, up to 32 KiB, large),
 * stamp them, check the stamps, and free them locally or hand them to
 * another worker through a shared exchange (cross-thread frees), while a
 * sixth thread keeps moving the header's pressure epoch and reading
 * stats. Workers exit mid-run, so their caches go back while others run.
 * At the end every object is freed and the arena must be empty. Prints TAP.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmagpie.h>
#include "../../../uapi/linux/magpie.h"

#define NR_WORKERS	4
#define SLOTS		256
#define OPS		60000
#define XCHG		1024

static struct mgp_arena *arena;
static pthread_mutex_t xchg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct item { unsigned char *p; size_t size; } xchg[XCHG];	/* under xchg_lock */
static int nr_xchg;
static int stop;
static int failures;
static int number;

static void report(int ok, const char *what)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++number, what);
	if (!ok)
		failures++;
}

static void fail(const char *what)
{
	printf("    # %s\n", what);
	__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
}

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

static size_t pick_size(unsigned int *s)
{
	unsigned int r = rnd(s) % 100;

	if (r < 70)
		return 1 + rnd(s) % 1024;
	if (r < 97)
		return 1025 + rnd(s) % 31744;
	return 32769 + rnd(s) % 200000;
}

/*
 * Stamps: one byte from the address and size in the first 16 bytes, the
 * middle byte and the last; a neighbour overlapping the object breaks it.
 */
static unsigned char stamp_byte(const unsigned char *p, size_t size)
{
	return (unsigned char)(size * 31 ^ (uintptr_t)p >> 3);
}

static void stamp(unsigned char *p, size_t size)
{
	memset(p, stamp_byte(p, size), size < 16 ? size : 16);
	p[size / 2] = stamp_byte(p, size);
	p[size - 1] = stamp_byte(p, size);
}

static int stamp_ok(const unsigned char *p, size_t size)
{
	unsigned char b = stamp_byte(p, size);
	size_t i;

	for (i = 0; i < (size < 16 ? size : 16); i++)
		if (p[i] != b)
			return 0;
	return p[size / 2] == b && p[size - 1] == b;
}

static void release(struct item *it)
{
	if (!stamp_ok(it->p, it->size))
		fail("stamp damaged: two live objects overlap");
	if (mgp_usable_size(arena, it->p) < it->size)
		fail("usable size below the request");
	if (mgp_free(arena, it->p))
		fail("free refused a live object");
	it->p = NULL;
}

static void *worker(void *arg)
{
	struct item slots[SLOTS] = { { 0 } };
	unsigned int seed = (unsigned int)(uintptr_t)arg, i, op;

	for (op = 0; op < OPS; op++) {
		struct item *it = &slots[rnd(&seed) % SLOTS];

		if (!it->p) {
			it->size = pick_size(&seed);
			it->p = mgp_alloc(arena, it->size);
			if (!it->p) {
				fail("allocation failed");
				continue;
			}
			stamp(it->p, it->size);
		} else if (rnd(&seed) % 4 == 0) {
			/* Hand it to whoever takes from the exchange next. */
			struct item take = { 0 };

			pthread_mutex_lock(&xchg_lock);
			if (nr_xchg == XCHG)
				take = xchg[--nr_xchg];
			xchg[nr_xchg++] = *it;
			if (!take.p && nr_xchg > XCHG / 2 && rnd(&seed) % 2)
				take = xchg[--nr_xchg];
			pthread_mutex_unlock(&xchg_lock);
			it->p = NULL;
			if (take.p)
				release(&take);
		} else {
			release(it);
		}
	}
	for (i = 0; i < SLOTS; i++)
		if (slots[i].p)
			release(&slots[i]);
	return NULL;
}

static void *pressure(void *arg)
{
	struct magpie_arena_header *h = mgp_arena_base(arena);
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	struct mgp_stats st;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		/* As the kernel's shrinker would: only the epoch moves. */
		__atomic_fetch_add(&h->pressure_epoch, 1, __ATOMIC_RELAXED);
		if (mgp_arena_stats(arena, &st))
			fail("stats failed");
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(void)
{
	struct mgp_arena_opts o = {
		.size = 512 << 20, .backend = MGP_BACKEND_ANON,
		.cache_bytes = 2 << 20, .cache_ms = 5,
	};
	pthread_t th[NR_WORKERS], pt;
	struct mgp_stats st;
	int gen, i, c, leftover = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	arena = mgp_arena_create(&o);
	if (!arena) {
		printf("Bail out! no arena\n");
		return 1;
	}
	pthread_create(&pt, NULL, pressure, NULL);
	for (gen = 0; gen < 2; gen++) {
		for (i = 0; i < NR_WORKERS; i++)
			pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(gen * 10 + i + 1));
		for (i = 0; i < NR_WORKERS; i++)
			pthread_join(th[i], NULL);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(pt, NULL);
	report(!failures, "workers: every stamp intact, every free and allocation accepted");
	while (nr_xchg)
		release(&xchg[--nr_xchg]);
	mgp_arena_trim(arena);
	mgp_arena_stats(arena, &st);
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++)
		leftover += st.objects[c] != 0 || st.spans[c] != 0;
	report(!leftover && st.bytes_in_use == 0, "every object and span back after the workers");
	report(st.thread_caches <= 1, "exited workers' caches went back");
	report(st.bad_frees == 0 && st.double_frees == 0, "no frees refused");
	report(st.pressure_seen == st.pressure_epoch, "the last pressure epoch answered");
	printf("    # released %llu bytes in %llu calls, %llu on pressure\n",
	       (unsigned long long)st.bytes_released, (unsigned long long)st.releases,
	       (unsigned long long)st.released_on_pressure);
	report(mgp_arena_close(arena) == 0, "arena closes");
	printf("1..%d\n", number);
	return failures ? 1 : 0;
}
