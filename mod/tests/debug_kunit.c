// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_debug: each detection of debug mode fires, is
 * counted once, and leaves the cache usable. The reports this suite
 * provokes on purpose appear on the console as "magpie: cache d-...".
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/slab.h>

#include "../cache.h"
#include "../magpie.h"
#include "suites.h"

static struct magpie_cache *md_cache(struct kunit *test, const char *name, unsigned int size)
{
	struct magpie_cache *c = magpie_cache_create(name, size, 0, MAGPIE_CACHE_DEBUG, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_ASSERT_TRUE(test, c->flags & MAGPIE_CACHE_DEBUG);
	return c;
}

static long md_reports(struct magpie_cache *c)
{
	return atomic_long_read(&c->debug_reports);
}

/* Allocation and free of correct objects reports nothing. */
static void debug_clean_use_is_silent(struct kunit *test)
{
	struct magpie_cache *c = md_cache(test, "d-clean", 100);
	void *objs[40];
	unsigned int i;

	/* A red zone follows every object: the class is larger than 100 + 16. */
	KUNIT_EXPECT_GE(test, c->size, 100U + MAGPIE_REDZONE);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = magpie_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], 0x11, 100);
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		magpie_cache_free(c, objs[i]);
	KUNIT_EXPECT_EQ(test, md_reports(c), 0L);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	magpie_cache_destroy(c);
}

static void debug_double_free(struct kunit *test)
{
	struct magpie_cache *c = md_cache(test, "d-double", 64);
	void *p = magpie_cache_alloc(c, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	magpie_cache_free(c, p);
	KUNIT_EXPECT_EQ(test, md_reports(c), 0L);
	magpie_cache_free(c, p);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	magpie_cache_destroy(c);
}

/* kmalloc memory, another cache's object, a pointer inside an object. */
static void debug_foreign_and_interior_pointers(struct kunit *test)
{
	struct magpie_cache *c = md_cache(test, "d-foreign", 64);
	struct magpie_cache *other = md_cache(test, "d-other", 64);
	void *k = kmalloc(64, GFP_KERNEL);
	u8 *p = magpie_cache_alloc(c, GFP_KERNEL);
	void *q = magpie_cache_alloc(other, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	magpie_cache_free(c, k);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	magpie_cache_free(c, q);
	KUNIT_EXPECT_EQ(test, md_reports(c), 2L);
	magpie_cache_free(c, p + 8);
	KUNIT_EXPECT_EQ(test, md_reports(c), 3L);
	/* Nothing was freed by the refused calls. */
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 1UL);
	magpie_cache_free(c, p);
	magpie_cache_free(other, q);
	KUNIT_EXPECT_EQ(test, md_reports(c), 3L);
	KUNIT_EXPECT_EQ(test, md_reports(other), 0L);
	kfree(k);
	magpie_cache_destroy(c);
	magpie_cache_destroy(other);
}

static void debug_write_past_the_end(struct kunit *test)
{
	struct magpie_cache *c = md_cache(test, "d-overrun", 60);
	u8 *p = magpie_cache_alloc(c, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p[60] = 1;	/* one byte too far */
	magpie_cache_free(c, p);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	/* Repainted at free: the next user of the object sees no old finding. */
	p = magpie_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	magpie_cache_free(c, p);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	magpie_cache_destroy(c);
}

/*
 * Fill one span, free one object, write into it, allocate again: the only
 * free object of the span comes back and its poison is found broken.
 */
static void debug_write_after_free(struct kunit *test)
{
	struct magpie_cache *c = md_cache(test, "d-uaf", 2000);
	unsigned int n = magpie_sizeclasses[c->class].nobjs, i;
	u8 **objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	u8 *victim, *again;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = magpie_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	KUNIT_ASSERT_EQ(test, c->central.nr_spans, 1UL);
	victim = objs[n / 2];
	magpie_cache_free(c, victim);
	/* Poisoned while free. */
	KUNIT_EXPECT_EQ(test, victim[0], (u8)MAGPIE_POISON_FREE);
	KUNIT_EXPECT_EQ(test, victim[1999], (u8)MAGPIE_POISON_END);
	victim[100] = 0;
	again = magpie_cache_alloc(c, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, again, victim);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	objs[n / 2] = again;
	for (i = 0; i < n; i++)
		magpie_cache_free(c, objs[i]);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	magpie_cache_destroy(c);
}

/* Bulk calls go through the same checks. */
static void debug_bulk(struct kunit *test)
{
	struct magpie_cache *c = md_cache(test, "d-bulk", 32);
	void *objs[16];

	KUNIT_ASSERT_EQ(test, magpie_cache_alloc_bulk(c, GFP_KERNEL, 16, objs), 16);
	magpie_cache_free_bulk(c, 16, objs);
	KUNIT_EXPECT_EQ(test, md_reports(c), 0L);
	magpie_cache_free_bulk(c, 1, objs);
	KUNIT_EXPECT_EQ(test, md_reports(c), 1L);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	magpie_cache_destroy(c);
}

static struct kunit_case magpie_debug_cases[] = {
	KUNIT_CASE(debug_clean_use_is_silent),
	KUNIT_CASE(debug_double_free),
	KUNIT_CASE(debug_foreign_and_interior_pointers),
	KUNIT_CASE(debug_write_past_the_end),
	KUNIT_CASE(debug_write_after_free),
	KUNIT_CASE(debug_bulk),
	{}
};

struct kunit_suite magpie_debug_suite = {
	.name = "magpie_debug",
	.test_cases = magpie_debug_cases,
};
