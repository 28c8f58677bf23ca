/* SPDX-License-Identifier: GPL-2.0 */
/* KUnit suites defined in their own files and registered by kunit_main.c. */
#ifndef _MAGPIE_TESTS_SUITES_H
#define _MAGPIE_TESTS_SUITES_H

#include <kunit/test.h>

extern struct kunit_suite magpie_cache_suite;
extern struct kunit_suite magpie_debug_suite;
extern struct kunit_suite magpie_fault_suite;
extern struct kunit_suite magpie_pool_suite;
extern struct kunit_suite magpie_pool_wait_suite;
extern struct kunit_suite magpie_pool_fork_suite;
extern struct kunit_suite magpie_pool_outside_suite;

/* pool_fork_kunit.c */
bool mt_one_cpu(struct kunit *test);

/* pool_kunit.c: fork-join fib on the pool, checked against the plain one. */
void mt_fib_check_as(struct kunit *test, unsigned int n, bool fork);

#endif /* _MAGPIE_TESTS_SUITES_H */
