/* SPDX-License-Identifier: GPL-2.0 */
/*
 * magpie test cases are written once and run on both hosts: under KUnit in
 * the kernel (magpie_test.ko) and natively under ASan/UBSan/TSan as host
 * unit tests (tools/testing/engine). This header maps the few assertion
 * macros the shared cases use onto each host.
 *
 * A case is   MT_CASE(name) { ... MT_EXPECT_EQ(a, b); ... }
 * A suite is  MT_CASE_LIST(array) = { MT_CASE_ENTRY(name), ..., {} };
 * Inside a case the context is called `test` on both hosts (of type
 * MT_TEST, for helpers that take it); MT_ALLOC()
 * gives zeroed memory freed when the case ends.
 */
#ifndef _MAGPIE_TESTS_MT_H
#define _MAGPIE_TESTS_MT_H

#ifdef __KERNEL__

#include <kunit/test.h>

#define MT_TEST				struct kunit
#define MT_CASE(fn)			static void fn(struct kunit *test)
#define MT_CASE_LIST(arr)		static struct kunit_case arr[]
#define MT_CASE_ENTRY(fn)		KUNIT_CASE(fn)

#define MT_EXPECT_TRUE(c)		KUNIT_EXPECT_TRUE(test, c)
#define MT_EXPECT_EQ(a, b)		KUNIT_EXPECT_EQ(test, a, b)
#define MT_EXPECT_LE(a, b)		KUNIT_EXPECT_LE(test, a, b)
#define MT_EXPECT_LT(a, b)		KUNIT_EXPECT_LT(test, a, b)
#define MT_EXPECT_EQ_MSG(a, b, ...)	KUNIT_EXPECT_EQ_MSG(test, a, b, __VA_ARGS__)
#define MT_EXPECT_NULL(p)		KUNIT_EXPECT_NULL(test, p)
#define MT_EXPECT_PTR_EQ(a, b)		KUNIT_EXPECT_PTR_EQ(test, a, b)
/* Zeroed memory that lives until the case ends; the case stops without it. */
#define MT_ALLOC(size)							\
	({								\
		void *__mt_p = kunit_kzalloc(test, size, GFP_KERNEL);	\
		KUNIT_ASSERT_NOT_NULL(test, __mt_p);			\
		__mt_p;							\
	})

#else

#include "../../tools/testing/engine/mt_host.h"

#endif

#endif /* _MAGPIE_TESTS_MT_H */
