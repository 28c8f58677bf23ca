/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test cases of the span bitmap allocator (engine/span.c), shared by the
 * KUnit suite magpie_span and the host unit tests (see mt.h). A span here
 * is never backed by memory: bases are made-up addresses, since the span
 * only does arithmetic on them.
 */
#include "mt.h"
#include "../engine/span.h"

#define MT_SPAN_BASE	((uintptr_t)0x100000)

/* popcount(alloc_bits) == alloc_count and the cache only shows free bits. */
static bool mt_span_consistent(const struct magpie_span *s)
{
	unsigned int i, count = 0;

	for (i = 0; i < s->nelems; i++)
		if (s->alloc_bits[i / 64] & (1ULL << (i % 64)))
			count++;
	for (i = s->nelems; i < MAGPIE_SPAN_WORDS * 64; i++)
		if (s->alloc_bits[i / 64] & (1ULL << (i % 64)))
			return false;
	if (count != s->alloc_count)
		return false;
	for (i = 0; i < 64; i++) {
		unsigned int idx = s->freeindex + i;

		if (!(s->alloc_cache & (1ULL << i)))
			continue;
		if (idx >= s->nelems || idx / 64 != s->freeindex / 64 ||
		    (s->alloc_bits[idx / 64] & (1ULL << (idx % 64))))
			return false;
	}
	return true;
}

/* A fresh span of every class hands out 0, 1, ... nelems-1, then is full. */
MT_CASE(span_fresh_allocates_in_order)
{
	static struct magpie_span s;
	unsigned int c, i, bad = 0;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES && !bad; c++) {
		magpie_span_init(&s, MT_SPAN_BASE, c);
		if (s.nelems != magpie_sizeclasses[c].nobjs || !magpie_span_empty(&s))
			bad = c;
		for (i = 0; i < s.nelems && !bad; i++)
			if (magpie_span_alloc(&s) != (int)i)
				bad = c;
		if (!bad && (magpie_span_alloc(&s) != -1 || !magpie_span_full(&s) ||
			     !mt_span_consistent(&s)))
			bad = c;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u", bad);
}

/* Objects freed anywhere come back, each exactly once. */
MT_CASE(span_frees_are_reused)
{
	static struct magpie_span s;
	static u8 seen[MAGPIE_SIZECLASS_MAX_OBJECTS];
	unsigned int c, i, bad = 0, freed;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES && !bad; c++) {
		magpie_span_init(&s, MT_SPAN_BASE, c);
		while (magpie_span_alloc(&s) >= 0)
			;
		freed = 0;
		for (i = 0; i < s.nelems; i++) {
			seen[i] = 0;
			if (i % 3 == 1 || i + 1 == s.nelems) {
				if (magpie_span_free_index(&s, i))
					bad = c;
				freed++;
			}
		}
		MT_EXPECT_EQ(s.alloc_count, s.nelems - freed);
		for (i = 0; i < freed && !bad; i++) {
			int idx = magpie_span_alloc(&s);

			if (idx < 0 || seen[idx] || (idx % 3 != 1 && idx + 1 != s.nelems))
				bad = c;
			else
				seen[idx] = 1;
		}
		if (!bad && (magpie_span_alloc(&s) != -1 || !mt_span_consistent(&s)))
			bad = c;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u", bad);
}

/* Freeing an object that is not out is refused and changes nothing. */
MT_CASE(span_double_free_refused)
{
	struct magpie_span s;
	int a, b;

	magpie_span_init(&s, MT_SPAN_BASE, magpie_size_to_class(64));
	a = magpie_span_alloc(&s);
	b = magpie_span_alloc(&s);
	MT_EXPECT_EQ(magpie_span_free_index(&s, a), 0);
	MT_EXPECT_EQ(magpie_span_free_index(&s, a), -1);
	MT_EXPECT_EQ(magpie_span_free_index(&s, 40), -1);	/* never allocated */
	MT_EXPECT_EQ(magpie_span_free_index(&s, s.nelems), -1);	/* past the end */
	MT_EXPECT_EQ(s.alloc_count, 1);
	MT_EXPECT_TRUE(mt_span_consistent(&s));
	MT_EXPECT_EQ(magpie_span_free_index(&s, b), 0);
	MT_EXPECT_TRUE(magpie_span_empty(&s));
}

/*
 * Pointer -> index is exact for every offset of every class: object
 * starts map to their index, everything else (interior, before, after)
 * is refused. This also proves the reciprocal multiply exact.
 */
MT_CASE(span_index_exact_for_all_offsets)
{
	static struct magpie_span s;
	unsigned int c, bad = 0;
	uintptr_t off, bad_off = 0;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES && !bad; c++) {
		uintptr_t end;

		magpie_span_init(&s, MT_SPAN_BASE, c);
		end = (uintptr_t)s.nelems * s.elemsize;
		for (off = 0; off < magpie_class_span_bytes(c) + 64 && !bad; off++) {
			int want = -1;

			if (off < end && off % s.elemsize == 0)
				want = off / s.elemsize;

			if (magpie_span_index(&s, MT_SPAN_BASE + off) != want) {
				bad = c;
				bad_off = off;
			}
		}
		if (magpie_span_index(&s, MT_SPAN_BASE - 1) != -1 ||
		    magpie_span_index(&s, 0) != -1)
			bad = c;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u offset %lu", bad, (unsigned long)bad_off);
}

/*
 * Frees behind freeindex are found when the span wraps; a free inside the
 * cache's window is seen by the very next allocation.
 */
MT_CASE(span_free_in_cache_window)
{
	struct magpie_span s;
	int i;

	magpie_span_init(&s, MT_SPAN_BASE, magpie_size_to_class(8));
	for (i = 0; i < 10; i++)
		magpie_span_alloc(&s);
	MT_EXPECT_EQ(magpie_span_free_index(&s, 3), 0);
	MT_EXPECT_EQ(magpie_span_alloc(&s), 10);
	while ((i = magpie_span_alloc(&s)) >= 0 && i != 3)
		;
	MT_EXPECT_EQ(i, 3);
	MT_EXPECT_TRUE(magpie_span_full(&s));

	/* Wrap to word 0 with 5 and 7 free: the window starts at 0. */
	MT_EXPECT_EQ(magpie_span_free_index(&s, 5), 0);
	MT_EXPECT_EQ(magpie_span_free_index(&s, 7), 0);
	MT_EXPECT_EQ(magpie_span_alloc(&s), 5);
	/* 6 is out and sits right at freeindex, inside the window. */
	MT_EXPECT_EQ(magpie_span_free_index(&s, 6), 0);
	MT_EXPECT_EQ(magpie_span_alloc(&s), 6);
	MT_EXPECT_EQ(magpie_span_alloc(&s), 7);
	MT_EXPECT_EQ(magpie_span_alloc(&s), -1);
	MT_EXPECT_TRUE(mt_span_consistent(&s));
}

/* Bulk allocation returns addresses, and stops exactly when full. */
MT_CASE(span_bulk_alloc)
{
	static struct magpie_span s;
	static uintptr_t objs[MAGPIE_SIZECLASS_MAX_OBJECTS];
	unsigned int got, i, class = magpie_size_to_class(1000);

	magpie_span_init(&s, MT_SPAN_BASE, class);
	got = magpie_span_alloc_bulk(&s, objs, 3);
	MT_EXPECT_EQ(got, 3u);
	for (i = 0; i < got; i++)
		MT_EXPECT_EQ(objs[i], MT_SPAN_BASE + i * s.elemsize);
	got = magpie_span_alloc_bulk(&s, objs, MAGPIE_SIZECLASS_MAX_OBJECTS);
	MT_EXPECT_EQ(got, s.nelems - 3u);
	MT_EXPECT_EQ(magpie_span_alloc_bulk(&s, objs, 1), 0u);
	MT_EXPECT_TRUE(mt_span_consistent(&s));
}

/* A large span holds exactly one object at its base. */
MT_CASE(span_large_object)
{
	struct magpie_span s;

	magpie_span_init_large(&s, MT_SPAN_BASE, 40960);
	MT_EXPECT_EQ(magpie_span_index(&s, MT_SPAN_BASE), 0);
	MT_EXPECT_EQ(magpie_span_index(&s, MT_SPAN_BASE + 8), -1);
	MT_EXPECT_EQ(magpie_span_index(&s, MT_SPAN_BASE + 40960), -1);
	MT_EXPECT_EQ(magpie_span_alloc(&s), 0);
	MT_EXPECT_EQ(magpie_span_alloc(&s), -1);
	MT_EXPECT_EQ(magpie_span_free_index(&s, 0), 0);
	MT_EXPECT_EQ(magpie_span_free_index(&s, 0), -1);
	MT_EXPECT_EQ(magpie_span_alloc(&s), 0);
}

/* Random allocs and frees against a plain model, checking every step. */
MT_CASE(span_random_against_model)
{
	static struct magpie_span s;
	static u8 out[MAGPIE_SIZECLASS_MAX_OBJECTS];
	u64 rng = 0x9e3779b97f4a7c15ULL;
	unsigned int c, step, bad = 0, bad_step = 0, count;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES && !bad; c += 5) {
		magpie_span_init(&s, MT_SPAN_BASE, c);
		for (step = 0; step < s.nelems; step++)
			out[step] = 0;
		count = 0;
		for (step = 0; step < 4000 && !bad; step++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			if ((rng & 3) != 0 && count < s.nelems) {
				int idx = magpie_span_alloc(&s);

				if (idx < 0 || out[idx])
					bad = c;
				else
					out[idx] = 1, count++;
			} else {
				unsigned int idx = (rng >> 8) % s.nelems;
				int want = out[idx] ? 0 : -1;

				if (magpie_span_free_index(&s, idx) != want)
					bad = c;
				if (out[idx])
					out[idx] = 0, count--;
			}
			if (!bad && (s.alloc_count != count || !mt_span_consistent(&s)))
				bad = c;
			if (bad)
				bad_step = step;
		}
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u step %u", bad, bad_step);
}

MT_CASE_LIST(magpie_span_cases) = {
	MT_CASE_ENTRY(span_fresh_allocates_in_order),
	MT_CASE_ENTRY(span_frees_are_reused),
	MT_CASE_ENTRY(span_double_free_refused),
	MT_CASE_ENTRY(span_index_exact_for_all_offsets),
	MT_CASE_ENTRY(span_free_in_cache_window),
	MT_CASE_ENTRY(span_bulk_alloc),
	MT_CASE_ENTRY(span_large_object),
	MT_CASE_ENTRY(span_random_against_model),
	{}
};
