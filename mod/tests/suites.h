/* SPDX-License-Identifier: GPL-2.0 */
/* KUnit suites defined in their own files and registered by kunit_main.c. */
#ifndef _MAGPIE_TESTS_SUITES_H
#define _MAGPIE_TESTS_SUITES_H

#include <kunit/test.h>

struct magpie_cache;

extern struct kunit_suite magpie_cache_suite;
extern struct kunit_suite magpie_debug_suite;
extern struct kunit_suite magpie_fault_suite;
extern struct kunit_suite magpie_pool_suite;
extern struct kunit_suite magpie_pool_wait_suite;
extern struct kunit_suite magpie_pool_fork_suite;
extern struct kunit_suite magpie_pool_outside_suite;
extern struct kunit_suite magpie_reclaim_suite;

/* cache_kunit.c: every CPU's magazines and the depot back to the spans. */
void mt_drain(struct magpie_cache *c);
/*
 * cache_kunit.c: the same under magpie_caches_mutex, held by the caller,
 * which the reaper needs to release the drained spans.
 */
void mt_drain_locked(struct magpie_cache *c);
/* cache_kunit.c: @n objects of @c into @objs; the case stops if one is missing. */
void mt_alloc_n(struct kunit *test, struct magpie_cache *c, void **objs, unsigned int n);
/* cache_kunit.c: a plain cache; the case stops if it cannot be made. */
struct magpie_cache *mt_cache(struct kunit *test, const char *name, unsigned int size,
			      unsigned int align, void (*ctor)(void *));

/* pool_fork_kunit.c */
bool mt_one_cpu(struct kunit *test);

/* pool_kunit.c: fork-join fib on the pool, checked against the plain one. */
void mt_fib_check_as(struct kunit *test, unsigned int n, bool fork);

#endif /* _MAGPIE_TESTS_SUITES_H */
