// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_fault: allocations under the kernel's fault injection
 * (fail_page_alloc, failslab) fail cleanly with NULL, never crash, and
 * leave nothing behind. The suite configures the injectors through their
 * debugfs files and marks only its own thread (task-filter), so the rest
 * of the guest is unaffected. Skipped on kernels without them.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "../cache.h"
#include "../internal.h"
#include "../magpie.h"
#include "suites.h"

/*
 * The guest configures both injectors before loading the test module
 * (tools/vm/guest-init.sh): probability 100, task-filter on, sleeping
 * allocations included, no messages. Only a task with make_it_fail set is
 * affected, so the cases decide allocation by allocation which may fail.
 * (Writing the debugfs files from here does not work: the test thread
 * does not see the guest's debugfs mount.)
 */
static int mf_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC) || !IS_ENABLED(CONFIG_FAILSLAB))
		kunit_skip(test, "needs FAIL_PAGE_ALLOC and FAILSLAB");
	return 0;
}

static void mf_fail(bool on)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = on;
#endif
}

static void mf_exit(struct kunit *test)
{
	mf_fail(false);
}

/* Every page and slab allocation fails: a new cache hands out NULL. */
static void fault_all_allocations_fail(struct kunit *test)
{
	struct magpie_cache *c = magpie_cache_create("f-all", 64, 0, 0, NULL);
	void *objs[4];

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	mf_fail(true);
	KUNIT_EXPECT_NULL(test, magpie_cache_alloc(c, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, magpie_cache_alloc(c, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, magpie_cache_alloc_bulk(c, GFP_KERNEL, 4, objs), 0);
	KUNIT_EXPECT_NULL(test, magpie_alloc(100000, GFP_KERNEL));
	mf_fail(false);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0UL);
	magpie_cache_destroy(c);
}

/*
 * A third of the allocations behind magpie fail at random while objects
 * come and go (including magazine and span descriptor allocations): every
 * NULL is clean, every object is usable, and after freeing the survivors
 * nothing is out.
 */
static void fault_random_failures(struct kunit *test)
{
	struct magpie_cache *c = magpie_cache_create("f-random", 512, 0, 0, NULL);
	const unsigned int n = 2000;
	u8 **objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	unsigned int i, got = 0, cpu;

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		mf_fail(get_random_u32_below(3) == 0);
		objs[i] = magpie_cache_alloc(c, i & 1 ? GFP_KERNEL : GFP_ATOMIC);
		if (objs[i]) {
			memset(objs[i], 0x3c, 512);
			got++;
		}
		if (i % 3 == 2 && objs[i - 1]) {
			magpie_cache_free(c, objs[i - 1]);
			objs[i - 1] = NULL;
			got--;
		}
	}
	mf_fail(false);
	kunit_info(test, "%u objects held after %u attempts under injected failures", got, n);
	for (i = 0; i < n; i++)
		if (objs[i])
			magpie_cache_free(c, objs[i]);
	for_each_possible_cpu(cpu)
		magpie_cache_drain_cpu(c, cpu);
	magpie_cache_drain_depot(c, true);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	magpie_cache_destroy(c);
}

/*
 * __GFP_NOFAIL is honoured all the way down: with every other allocation
 * failing (the injectors spare __GFP_NOFAIL ones, as the kernel's own
 * retry loop would make them succeed), a new cache's first object still
 * comes, with the span descriptor and magazine it needs.
 */
static void fault_nofail_succeeds(struct kunit *test)
{
	struct magpie_cache *c = magpie_cache_create("f-nofail", 256, 0, 0, NULL);
	void *obj;

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	mf_fail(true);
	KUNIT_EXPECT_NULL(test, magpie_cache_alloc(c, GFP_KERNEL));
	obj = magpie_cache_alloc(c, GFP_KERNEL | __GFP_NOFAIL);
	mf_fail(false);
	KUNIT_EXPECT_NOT_NULL(test, obj);
	if (obj)
		magpie_cache_free(c, obj);
	magpie_cache_destroy(c);
}

static struct kunit_case magpie_fault_cases[] = {
	KUNIT_CASE(fault_all_allocations_fail),
	KUNIT_CASE(fault_nofail_succeeds),
	KUNIT_CASE(fault_random_failures),
	{}
};

struct kunit_suite magpie_fault_suite = {
	.name = "magpie_fault",
	.init = mf_init,
	.exit = mf_exit,
	.test_cases = magpie_fault_cases,
};
