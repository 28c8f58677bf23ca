// SPDX-License-Identifier: GPL-2.0
/*
 * magpie_test.ko: registers magpie's KUnit suites. The cases themselves are
 * shared with the host unit tests (mt.h); this file only names the suites.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "compat.h"
#include "sizeclass_cases.h"
#include "span_cases.h"
#include "magazine_cases.h"
#include "runq_cases.h"
#include "suites.h"

static struct kunit_suite magpie_sizeclass_suite = {
	.name = "magpie_sizeclass",
	.test_cases = magpie_sizeclass_cases,
};

static struct kunit_suite magpie_span_suite = {
	.name = "magpie_span",
	.test_cases = magpie_span_cases,
};

static struct kunit_suite magpie_magazine_suite = {
	.name = "magpie_magazine",
	.test_cases = magpie_magazine_cases,
};

static struct kunit_suite magpie_runq_suite = {
	.name = "magpie_runq",
	.test_cases = magpie_runq_cases,
};

kunit_test_suites(&magpie_sizeclass_suite, &magpie_span_suite, &magpie_magazine_suite,
		  &magpie_runq_suite, &magpie_cache_suite, &magpie_debug_suite,
		  &magpie_fault_suite, &magpie_pool_suite, &magpie_pool_wait_suite,
		  &magpie_pool_fork_suite, &magpie_pool_outside_suite, &magpie_reclaim_suite);

MAGPIE_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests for magpie");
MODULE_LICENSE("GPL");
