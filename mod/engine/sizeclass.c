// SPDX-License-Identifier: GPL-2.0
/*
 * The size-class table and lookup arrays as data the engine indexes. The
 * numbers come from the generated headers; this file only lays them out.
 */
#include "sizeclass.h"

#define MAGPIE_SIZECLASS_ROW(c, sz, pages, objs, tail, waste, total)	\
	[c] = {								\
		.size = (sz),						\
		.npages = (pages),					\
		.nobjs = (objs),					\
		.tail_waste = (tail),					\
		.max_waste_bp = (waste),				\
		.max_total_waste_bp = (total),				\
	},

const struct magpie_sizeclass magpie_sizeclasses[MAGPIE_NR_SIZECLASSES] = {
	MAGPIE_SIZECLASSES(MAGPIE_SIZECLASS_ROW)
};
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_sizeclasses);

#include "sizeclass_lookup.h"
