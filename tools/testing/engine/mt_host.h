/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of mod/tests/mt.h: the same assertion macros as under KUnit,
 * reporting as TAP (one "ok"/"not ok" line per case, diagnostics as '#'
 * lines) so the harness counts host cases like KUnit and kselftest ones.
 */
#ifndef _MAGPIE_MT_HOST_H
#define _MAGPIE_MT_HOST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MT_MAX_ALLOCS	256	/* depot_reap_in_batches makes 141 magazines */

struct mt_test {
	const char *name;
	int failed;
	int nr_allocs;
	void *allocs[MT_MAX_ALLOCS];
};

struct mt_case {
	const char *name;
	void (*run)(struct mt_test *test);
};

#define MT_TEST				struct mt_test
#define MT_CASE(fn)			static void fn(struct mt_test *test)
#define MT_CASE_LIST(arr)		static const struct mt_case arr[]
#define MT_CASE_ENTRY(fn)		{ #fn, fn }

static inline void mt_fail(struct mt_test *test, const char *file, int line,
			   const char *what, long long a, long long b,
			   const char *fmt, ...)
{
	va_list ap;

	test->failed = 1;
	printf("    # %s:%d: expected %s (%lld vs %lld)", file, line, what, a, b);
	if (fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
}

#define MT_CMP(a, op, b, ...)						\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (!(_a op _b))					\
			mt_fail(test, __FILE__, __LINE__,		\
				#a " " #op " " #b, _a, _b, __VA_ARGS__);\
	} while (0)

#define MT_EXPECT_TRUE(c)		MT_CMP(!!(c), ==, 1, NULL)
#define MT_EXPECT_EQ(a, b)		MT_CMP(a, ==, b, NULL)
#define MT_EXPECT_LE(a, b)		MT_CMP(a, <=, b, NULL)
#define MT_EXPECT_LT(a, b)		MT_CMP(a, <, b, NULL)
#define MT_EXPECT_EQ_MSG(a, b, ...)	MT_CMP(a, ==, b, __VA_ARGS__)
#define MT_EXPECT_NULL(p)		MT_CMP((p) == NULL, ==, 1, NULL)
#define MT_EXPECT_PTR_EQ(a, b)		MT_CMP((a) == (b), ==, 1, NULL)
#define MT_ALLOC(size)			mt_alloc(test, size)

/* Zeroed memory freed when the case ends, like kunit_kzalloc(). */
static inline void *mt_alloc(struct mt_test *test, size_t size)
{
	void *p;

	if (test->nr_allocs == MT_MAX_ALLOCS) {
		printf("    # too many MT_ALLOC()s in one case\n");
		abort();
	}
	p = calloc(1, size);
	if (!p)
		abort();
	test->allocs[test->nr_allocs++] = p;
	return p;
}

/* Runs every case of a suite, printing TAP; returns the number failed. */
static inline int mt_run_suite(const char *suite, const struct mt_case *cases,
			       int *number)
{
	int failed = 0;

	for (; cases->name; cases++) {
		struct mt_test t = { .name = cases->name };

		cases->run(&t);
		while (t.nr_allocs)
			free(t.allocs[--t.nr_allocs]);
		printf("%s %d %s.%s\n", t.failed ? "not ok" : "ok", ++*number,
		       suite, cases->name);
		failed += t.failed;
	}
	return failed;
}

#endif /* _MAGPIE_MT_HOST_H */
