// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libmagpie's error paths: every bad input gets its errno,
 * and the arena is unchanged and fully usable afterwards (the counters of
 * refused calls match what the case did, every object's contents hold).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "param.h"
#include "ut.h"
#include "../../../userlib/src/fastpath.h"

MT_CASE(null_arena)
{
	struct mgp_stats st;
	int x;

	UT_EXPECT_ERR(mgp_alloc(NULL, 1), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_calloc(NULL, 1, 1), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_alloc_aligned(NULL, 16, 1), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_realloc(NULL, NULL, 1), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_realloc(NULL, &x, 1), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_free(NULL, &x), -1, EINVAL);
	UT_EXPECT_ERR(mgp_usable_size(NULL, &x), 0, EINVAL);
	UT_EXPECT_ERR(mgp_arena_stats(NULL, &st), -1, EINVAL);
	UT_EXPECT_ERR(mgp_arena_trim(NULL), -1, EINVAL);
	UT_EXPECT_ERR(mgp_arena_close(NULL), -1, EINVAL);
	UT_EXPECT_ERR(mgp_ptr_to_offset(NULL, &x), -1, EINVAL);
	UT_EXPECT_ERR(mgp_offset_to_ptr(NULL, 0), NULL, EINVAL);
	UT_EXPECT_ERR(mgp_arena_base(NULL), NULL, EINVAL);
	MT_EXPECT_EQ(mgp_free(NULL, NULL), 0);	/* free(NULL) is fine anywhere */
}

MT_CASE(bad_create)
{
	struct mgp_arena_opts o = { .size = 1 << 20, .backend = ut_backend };
	struct mgp_arena *a;

	o.flags = 1;
	UT_EXPECT_ERR(mgp_arena_create(&o), NULL, EINVAL);
	o.flags = 0;
	o.backend = 99;
	UT_EXPECT_ERR(mgp_arena_create(&o), NULL, EINVAL);
	o.backend = ut_backend;
	o.cache_ms = 40000;
	UT_EXPECT_ERR(mgp_arena_create(&o), NULL, EINVAL);
	o.cache_ms = 0;
	o.size = (1ULL << 36) + 4096;
	UT_EXPECT_ERR(mgp_arena_create(&o), NULL, EINVAL);
	o.size = 4096;		/* no room for a page after the descriptors */
	UT_EXPECT_ERR(mgp_arena_create(&o), NULL, EINVAL);

	/* MAGPIE_BACKEND is read when the options leave the backend to it. */
	o.size = 1 << 20;
	o.backend = MGP_BACKEND_ENV;
	setenv("MAGPIE_BACKEND", "bogus", 1);
	UT_EXPECT_ERR(mgp_arena_create(&o), NULL, EINVAL);
	setenv("MAGPIE_BACKEND", "anon", 1);
	a = mgp_arena_create(&o);
	MT_EXPECT_TRUE(a);
	mgp_arena_close(a);
	if (access(MAGPIE_DEVICE_PATH, F_OK)) {
		setenv("MAGPIE_BACKEND", "device", 1);
		UT_EXPECT_ERR(mgp_arena_create(&o), NULL, ENOENT);
		setenv("MAGPIE_BACKEND", "auto", 1);
		a = mgp_arena_create(&o);
		MT_EXPECT_TRUE(a);
		mgp_arena_close(a);
	}
	unsetenv("MAGPIE_BACKEND");
}

MT_CASE(foreign_pointers)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	struct magpie_arena_header *h = mgp_arena_base(a);
	char *data = (char *)h + h->data_offset;
	char *heap_malloc = malloc(16);
	struct mgp_stats st;
	int local;

	UT_EXPECT_ERR(mgp_free(a, &local), -1, EFAULT);
	UT_EXPECT_ERR(mgp_free(a, heap_malloc), -1, EFAULT);
	UT_EXPECT_ERR(mgp_free(a, h), -1, EFAULT);		/* the header */
	UT_EXPECT_ERR(mgp_free(a, data + h->data_size), -1, EFAULT);
	UT_EXPECT_ERR(mgp_free(a, data), -1, EINVAL);		/* span descriptors */
	UT_EXPECT_ERR(mgp_free(a, data + (32 << 20) + 64), -1, EINVAL);	/* free pages */
	UT_EXPECT_ERR(mgp_usable_size(a, &local), 0, EFAULT);
	UT_EXPECT_ERR(mgp_usable_size(a, data), 0, EINVAL);
	UT_EXPECT_ERR(mgp_realloc(a, &local, 10), NULL, EFAULT);
	free(heap_malloc);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bad_frees, 9);
	MT_EXPECT_EQ(st.bytes_in_use, 0);
	mgp_arena_close(a);
}

MT_CASE(interior_pointers)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	char *s = mgp_alloc(a, 100), *l = mgp_alloc(a, 100000), *q;
	struct mgp_stats st;

	memset(s, 's', 100);
	memset(l, 'l', 100000);
	UT_EXPECT_ERR(mgp_free(a, s + 8), -1, EINVAL);
	UT_EXPECT_ERR(mgp_free(a, s + 1), -1, EINVAL);
	UT_EXPECT_ERR(mgp_free(a, s + 112), -1, EALREADY);	/* a slot never handed out */
	UT_EXPECT_ERR(mgp_usable_size(a, s + 8), 0, EINVAL);
	UT_EXPECT_ERR(mgp_free(a, l + 4096), -1, EINVAL);
	UT_EXPECT_ERR(mgp_free(a, l + 1), -1, EINVAL);
	UT_EXPECT_ERR(mgp_free(a, l + 99999), -1, EINVAL);
	UT_EXPECT_ERR(mgp_realloc(a, l + 64, 10), NULL, EINVAL);
	/* Nothing changed: both objects are intact and free normally. */
	MT_EXPECT_EQ(s[0] + s[99], 's' + 's');
	MT_EXPECT_EQ(l[0] + l[99999], 'l' + 'l');
	q = mgp_alloc(a, 100);
	MT_EXPECT_TRUE(q != s);		/* s is still allocated */
	MT_EXPECT_EQ(mgp_free(a, q), 0);
	MT_EXPECT_EQ(mgp_free(a, s), 0);
	MT_EXPECT_EQ(mgp_free(a, l), 0);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bad_frees, 7);
	MT_EXPECT_EQ(st.double_frees, 1);
	mgp_arena_close(a);
}

/*
 * Every offset of a span of every class against plain division: the
 * multiply-and-compare test that frees and lookups use to refuse interior
 * pointers (mgp_object_start()) accepts exactly the objects' starts.
 */
MT_CASE(object_starts_exact)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	unsigned int c, wrong = 0;
	uintptr_t rel, size, end;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		size = magpie_class_size(c);
		end = size * magpie_sizeclasses[c].nobjs;
		for (rel = 0; rel < magpie_class_span_bytes(c) + 64; rel++)
			wrong += mgp_object_start(a, c, rel) != (rel % size == 0 && rel < end);
	}
	MT_EXPECT_EQ(wrong, 0);
	mgp_arena_close(a);
}

static void *free_and_exit(void *p)
{
	struct mgp_arena *a = ((void **)p)[0];

	mgp_free(a, ((void **)p)[1]);
	return NULL;
}

MT_CASE(double_frees)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	char *p1 = mgp_alloc(a, 64), *p2 = mgp_alloc(a, 64), *l = mgp_alloc(a, 50000);
	void *arg[2];
	struct mgp_stats st;
	pthread_t th;
	char *q;

	/* In this thread's cache. */
	MT_EXPECT_EQ(mgp_free(a, p1), 0);
	UT_EXPECT_ERR(mgp_free(a, p1), -1, EALREADY);
	/* Back in its span (p2 keeps the span live). */
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);
	UT_EXPECT_ERR(mgp_free(a, p1), -1, EALREADY);
	/* Freed by a thread that has exited since (the span went back too). */
	arg[0] = a;
	arg[1] = p2;
	pthread_create(&th, NULL, free_and_exit, arg);
	pthread_join(th, NULL);
	UT_EXPECT_ERR(mgp_free(a, p2), -1, EALREADY);
	/* A large object. */
	MT_EXPECT_EQ(mgp_free(a, l), 0);
	UT_EXPECT_ERR(mgp_free(a, l), -1, EALREADY);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.double_frees, 4);
	MT_EXPECT_EQ(st.objects[6], 0);
	MT_EXPECT_EQ(st.large_objects, 0);
	/* No object is handed out twice afterwards. */
	p1 = mgp_alloc(a, 64);
	p2 = mgp_alloc(a, 64);
	q = mgp_alloc(a, 64);
	MT_EXPECT_TRUE(p1 != p2 && p2 != q && p1 != q);
	mgp_free(a, p1);
	mgp_free(a, p2);
	mgp_free(a, q);
	mgp_arena_close(a);
}

/*
 * A pointer into the middle page of a span whose run went back to the heap
 * and was released (so its first word no longer holds the free key): the
 * span's tail records said "live span" and must not any more, or the free
 * fast path would take it into the magazine and hand it out twice. (A
 * released run's last page is rewritten when it does not merge with a
 * free run after it; a middle page never is.)
 */
MT_CASE(freed_span_tail)
{
	struct mgp_arena *a = ut_arena(64 << 20, 0, 0);
	char *objs[64], *mid = NULL;
	unsigned int i, n = 0;
	struct mgp_stats st;
	u32 pg = 0;

	/* 1408-byte objects: three-page spans, some starting on the middle one. */
	while (!mid && n < 64) {
		objs[n] = mgp_alloc(a, 1408);
		MT_EXPECT_TRUE(objs[n]);
		if (!objs[n])
			break;
		pg = (u32)((objs[n] - a->data) >> MGP_PAGE_SHIFT);
		if (a->pages[pg].state == MGP_PG_SPAN_TAIL && a->pages[pg].next == pg - 1)
			mid = objs[n];
		n++;
	}
	MT_EXPECT_TRUE(mid);
	if (!mid)
		goto out;
	MT_EXPECT_EQ(a->pages[pg].class, magpie_size_to_class(1408));
	for (i = 0; i < n; i++)
		MT_EXPECT_EQ(mgp_free(a, objs[i]), 0);
	/* The span goes back to the heap, and the trim releases its pages. */
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);
	MT_EXPECT_EQ(a->pages[pg].state, MGP_PG_TAIL);
	MT_EXPECT_EQ(*(u64 *)mid, 0);
	/* Inside a released run: not even a double free it can vouch for. */
	UT_EXPECT_ERR(mgp_free(a, mid), -1, EINVAL);
	/* Nothing was taken in: no address is handed out twice. */
	for (i = 0; i < 64; i++) {
		objs[i] = mgp_alloc(a, 1408);
		MT_EXPECT_TRUE(objs[i]);
		for (n = 0; n < i; n++)
			MT_EXPECT_TRUE(objs[n] != objs[i]);
	}
	for (i = 0; i < 64; i++)
		MT_EXPECT_EQ(mgp_free(a, objs[i]), 0);
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bad_frees, 1);
	MT_EXPECT_EQ(st.double_frees, 0);
	MT_EXPECT_EQ(st.bytes_in_use, 0);
out:
	mgp_arena_close(a);
}

/* Running out of room is ENOMEM, leaves the arena whole, and is undone by frees. */
MT_CASE(exhaustion)
{
	struct mgp_arena *a = ut_arena(2 << 20, MGP_CACHE_NONE, 0);
	void **p = MT_ALLOC(1024 * sizeof(void *));
	char *keep = mgp_alloc(a, 100);
	unsigned int n = 0, i;
	struct mgp_stats st;

	memset(keep, 'k', 100);
	UT_EXPECT_ERR(mgp_alloc(a, 3 << 20), NULL, ENOMEM);
	UT_EXPECT_ERR(mgp_alloc(a, SIZE_MAX), NULL, ENOMEM);
	UT_EXPECT_ERR(mgp_calloc(a, 1, SIZE_MAX), NULL, ENOMEM);
	UT_EXPECT_ERR(mgp_alloc_aligned(a, 1ULL << 40, 10), NULL, ENOMEM);
	UT_EXPECT_ERR(mgp_realloc(a, keep, 64 << 20), NULL, ENOMEM);
	while (n < 1024 && (p[n] = mgp_alloc(a, 4096)))
		n++;
	MT_EXPECT_EQ(errno, ENOMEM);
	MT_EXPECT_LT(400, n);
	MT_EXPECT_LT(n, 512);
	for (i = 0; i < n; i++)
		MT_EXPECT_EQ(mgp_free(a, p[i]), 0);
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);
	for (i = 0; i < n; i++) {
		p[i] = mgp_alloc(a, 4096);
		MT_EXPECT_TRUE(p[i]);
	}
	for (i = 0; i < n; i++)
		mgp_free(a, p[i]);
	MT_EXPECT_EQ(keep[0] + keep[99], 'k' + 'k');
	MT_EXPECT_EQ(mgp_free(a, keep), 0);
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bytes_in_use, 0);
	MT_EXPECT_EQ(st.bad_frees + st.double_frees, 0);
	mgp_arena_close(a);
}

/*
 * The device backs at most open_limit_mb per open file and faults past it
 * with SIGBUS. The heap counts what it may have backed, so an allocation
 * that would go past the limit fails with ENOMEM instead, whatever is
 * touched of what was handed out; the cache gives its pages back to make
 * room, and frees make room again.
 */
static void ut_limit_body(struct mt_test *test)
{
	const size_t blk = 64 << 10;	/* a large run of 16 pages */
	void **p = MT_ALLOC(256 * sizeof(void *)), **q = MT_ALLOC(128 * sizeof(void *));
	unsigned int n = 0, nq = 0, i;
	struct mgp_stats st;
	struct mgp_arena *a;
	void *big;

	a = ut_arena(64 << 20, 0, 0);
	while (n < 256 && (p[n] = mgp_alloc(a, blk))) {
		memset(p[n], (int)n, blk);
		n++;
	}
	MT_EXPECT_EQ(errno, ENOMEM);
	/* 2048 pages: the header, records and descriptors take under 128. */
	MT_EXPECT_LT(112u, n);
	MT_EXPECT_LT(n, 128u);
	/* Small objects come in spans: what is left holds fewer than 16 pages' worth. */
	while (nq < 128 && (q[nq] = mgp_alloc(a, 1024))) {
		memset(q[nq], 3, 1024);
		nq++;
	}
	MT_EXPECT_EQ(errno, ENOMEM);
	MT_EXPECT_LT(nq, 64u);
	while (nq)
		MT_EXPECT_EQ(mgp_free(a, q[--nq]), 0);
	for (i = 0; i < n; i += 2)
		MT_EXPECT_EQ(mgp_free(a, p[i]), 0);
	/* Freed runs are cached, still backed: reused, not counted twice. */
	for (i = 0; i < n; i += 2) {
		p[i] = mgp_alloc(a, blk);
		MT_EXPECT_TRUE(p[i]);
		if (p[i])
			memset(p[i], 1, blk);
	}
	for (i = 0; i < n; i++)
		MT_EXPECT_EQ(mgp_free(a, p[i]), 0);
	/* 6 MiB in one run: only after the cache's pages went back. */
	big = mgp_alloc(a, 6 << 20);
	MT_EXPECT_TRUE(big);
	if (big) {
		memset(big, 2, 6 << 20);
		MT_EXPECT_EQ(mgp_free(a, big), 0);
	}
	UT_EXPECT_ERR(mgp_alloc(a, 9 << 20), NULL, ENOMEM);
	MT_EXPECT_EQ(mgp_arena_trim(a), 0);	/* the thread cache's 1 KiB objects */
	MT_EXPECT_EQ(mgp_arena_stats(a, &st), 0);
	MT_EXPECT_EQ(st.bytes_in_use, 0);
	mgp_arena_close(a);
}

/*
 * In a child: the parameter is global, so whatever happens to the arena
 * (a SIGBUS, should the count ever fall short) the parent puts it back.
 */
MT_CASE(device_limit_is_enomem)
{
	char old[32];
	int status = 0;
	pid_t pid;

	if (ut_set_param("open_limit_mb", "8", old, sizeof(old))) {
		MT_EXPECT_EQ_MSG(errno, 0, "open_limit_mb: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (!pid) {
		ut_limit_body(test);
		_exit(test->failed);
	}
	MT_EXPECT_TRUE(pid > 0 && waitpid(pid, &status, 0) == pid);
	MT_EXPECT_EQ(ut_set_param("open_limit_mb", old, NULL, 0), 0);
	MT_EXPECT_EQ_MSG(status, 0, "the child %s %d", WIFSIGNALED(status) ?
			 "died of signal" : "exited with", WIFSIGNALED(status) ?
			 WTERMSIG(status) : WEXITSTATUS(status));
}

MT_CASE_LIST(device_cases) = {
	MT_CASE_ENTRY(device_limit_is_enomem),
	{}
};

/* Cases of the device backend only. */
const struct mt_case *ut_device_error_cases(void)
{
	return device_cases;
}

MT_CASE_LIST(error_cases) = {
	MT_CASE_ENTRY(null_arena),
	MT_CASE_ENTRY(bad_create),
	MT_CASE_ENTRY(foreign_pointers),
	MT_CASE_ENTRY(interior_pointers),
	MT_CASE_ENTRY(object_starts_exact),
	MT_CASE_ENTRY(double_frees),
	MT_CASE_ENTRY(freed_span_tail),
	MT_CASE_ENTRY(exhaustion),
	{}
};

const struct mt_case *ut_error_cases(void)
{
	return error_cases;
}
