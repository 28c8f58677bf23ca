/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test cases of the size-class table and lookup, shared by the KUnit suite
 * magpie_sizeclass and the host unit tests (see mt.h). They recompute every
 * property from first principles instead of trusting the generator.
 */
#include "mt.h"
#include "../engine/sizeclass.h"

#define MT_SC_PAGE	MAGPIE_SIZECLASS_PAGE_SIZE
#define MT_SC_LAST	(MAGPIE_NR_SIZECLASSES - 1)

/* Every size 1..32768 maps to the smallest class that holds it. */
MT_CASE(sizeclass_lookup_smallest_fit)
{
	unsigned int n, bad = 0, got = 0;

	for (n = 1; n <= MAGPIE_MAX_SMALL_SIZE; n++) {
		unsigned int c = magpie_size_to_class(n);

		if (c == 0 || c > MT_SC_LAST || magpie_sizeclasses[c].size < n ||
		    (c > 1 && magpie_sizeclasses[c - 1].size >= n)) {
			bad = n;
			got = c;
			break;
		}
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "size %u maps to class %u", bad, got);
}

/* Size 0 is served like size 1; anything above the table is large. */
MT_CASE(sizeclass_lookup_edges)
{
	MT_EXPECT_EQ(magpie_size_to_class(0), 1u);
	MT_EXPECT_EQ(magpie_size_to_class(1), 1u);
	MT_EXPECT_EQ(magpie_size_to_class(MAGPIE_MAX_SMALL_SIZE), (unsigned int)MT_SC_LAST);
	MT_EXPECT_EQ(magpie_size_to_class(MAGPIE_MAX_SMALL_SIZE + 1), 0u);
	MT_EXPECT_EQ(magpie_size_to_class((size_t)-1), 0u);
	MT_EXPECT_EQ(magpie_size_to_class(MAGPIE_SIZECLASS_SMALL_LIMIT),
		     magpie_size_to_class8[MAGPIE_SIZECLASS_SMALL_LIMIT / 8]);
}

/* Sizes grow strictly, start at 8, end at 32 KiB, sit on the lookup grid. */
MT_CASE(sizeclass_table_ordered)
{
	unsigned int c, bad = 0;

	MT_EXPECT_EQ(magpie_sizeclasses[0].size, 0u);
	MT_EXPECT_EQ(magpie_sizeclasses[1].size, 8u);
	MT_EXPECT_EQ(magpie_sizeclasses[MT_SC_LAST].size, (unsigned int)MAGPIE_MAX_SMALL_SIZE);
	for (c = 1; c <= MT_SC_LAST && !bad; c++) {
		unsigned int sz = magpie_sizeclasses[c].size;
		unsigned int grid = sz <= MAGPIE_SIZECLASS_SMALL_LIMIT ? 8 : 128;

		if (sz % grid || (c > 1 && sz <= magpie_sizeclasses[c - 1].size))
			bad = c;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u out of order or off the grid", bad);
}

/* Objects, tail and span length agree; spans stay within order 3. */
MT_CASE(sizeclass_span_geometry)
{
	unsigned int c, bad = 0;

	for (c = 1; c <= MT_SC_LAST && !bad; c++) {
		const struct magpie_sizeclass *sc = &magpie_sizeclasses[c];
		unsigned int span = sc->npages * MT_SC_PAGE;

		if (sc->npages < 1 || sc->npages > 8 || sc->nobjs != span / sc->size ||
		    sc->tail_waste != span - sc->nobjs * sc->size ||
		    magpie_class_span_bytes(c) != span)
			bad = c;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u has inconsistent span geometry", bad);
}

/* The tail left after the last object is at most 1/8 of the span. */
MT_CASE(sizeclass_tail_waste_bound)
{
	unsigned int c, bad = 0;

	for (c = 1; c <= MT_SC_LAST && !bad; c++) {
		const struct magpie_sizeclass *sc = &magpie_sizeclasses[c];

		if (sc->tail_waste * 8 > sc->npages * MT_SC_PAGE)
			bad = c;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u wastes more than 1/8 of its span", bad);
}

/*
 * Rounding a request of 128 bytes or more up to its class wastes at most
 * 12.5 %; the recorded worst cases match a recomputation.
 */
MT_CASE(sizeclass_internal_waste_bound)
{
	unsigned int c, bad = 0, over = 0;

	for (c = 1; c <= MT_SC_LAST && !bad; c++) {
		const struct magpie_sizeclass *sc = &magpie_sizeclasses[c];
		unsigned int prev = c > 1 ? magpie_sizeclasses[c - 1].size : 0;
		unsigned long long worst = sc->size - prev - 1;
		unsigned long long span = (unsigned long long)sc->npages * MT_SC_PAGE;

		if (sc->max_waste_bp != worst * 10000 / sc->size ||
		    sc->max_total_waste_bp != (worst * sc->nobjs + sc->tail_waste) * 10000 / span)
			bad = c;
		else if (sc->size >= 128 && worst * 8 > sc->size)
			over = c;
		if (over)
			break;
	}
	MT_EXPECT_EQ_MSG(bad, 0u, "class %u waste figures are wrong", bad);
	MT_EXPECT_EQ_MSG(over, 0u, "class %u wastes more than 12.5%%", over);
}

/* Every power of two from 8 to 32 KiB is a class: natural alignment. */
MT_CASE(sizeclass_powers_of_two)
{
	unsigned int p;

	for (p = 8; p <= MAGPIE_MAX_SMALL_SIZE; p <<= 1)
		MT_EXPECT_EQ_MSG(magpie_sizeclasses[magpie_size_to_class(p)].size, p,
				 "no class of exactly %u bytes", p);
}

/* Both lookup arrays hold only valid classes, monotonically. */
MT_CASE(sizeclass_lookup_arrays)
{
	unsigned int i, bad = 0;
	unsigned int n8 = sizeof(magpie_size_to_class8);
	unsigned int n128 = sizeof(magpie_size_to_class128);

	MT_EXPECT_EQ(n8, MAGPIE_SIZECLASS_SMALL_LIMIT / 8 + 1);
	MT_EXPECT_EQ(n128, (MAGPIE_MAX_SMALL_SIZE - MAGPIE_SIZECLASS_SMALL_LIMIT) / 128 + 1);
	for (i = 1; i < n8 && !bad; i++)
		if (magpie_size_to_class8[i] < magpie_size_to_class8[i - 1] ||
		    magpie_size_to_class8[i] > MT_SC_LAST)
			bad = i;
	MT_EXPECT_EQ_MSG(bad, 0u, "size_to_class8[%u] invalid", bad);
	for (i = 1; i < n128 && !bad; i++)
		if (magpie_size_to_class128[i] < magpie_size_to_class128[i - 1] ||
		    magpie_size_to_class128[i] > MT_SC_LAST)
			bad = i;
	MT_EXPECT_EQ_MSG(bad, 0u, "size_to_class128[%u] invalid", bad);
	MT_EXPECT_EQ(magpie_size_to_class128[0], magpie_size_to_class8[n8 - 1]);
}

MT_CASE_LIST(magpie_sizeclass_cases) = {
	MT_CASE_ENTRY(sizeclass_lookup_smallest_fit),
	MT_CASE_ENTRY(sizeclass_lookup_edges),
	MT_CASE_ENTRY(sizeclass_table_ordered),
	MT_CASE_ENTRY(sizeclass_span_geometry),
	MT_CASE_ENTRY(sizeclass_tail_waste_bound),
	MT_CASE_ENTRY(sizeclass_internal_waste_bound),
	MT_CASE_ENTRY(sizeclass_powers_of_two),
	MT_CASE_ENTRY(sizeclass_lookup_arrays),
	{}
};
