/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test cases of magazines and the depot (engine/magazine.c), shared by the
 * KUnit suite magpie_magazine and the host unit tests (see mt.h). Objects
 * are made-up pointers: magazines never dereference them.
 */
#include "mt.h"
#include "../engine/magazine.h"

#define MT_OBJ(i)	((void *)(uintptr_t)(0x1000 + 16 * (i)))

/* A magazine of @size slots holding @rounds made-up objects. */
static struct magpie_magazine *mt_new_mag(MT_TEST *test, u32 size, u32 rounds)
{
	struct magpie_magazine *m = MT_ALLOC(sizeof(*m) + size * sizeof(void *));
	u32 i;

	m->size = size;
	m->rounds = rounds;
	for (i = 0; i < rounds; i++)
		m->objs[i] = MT_OBJ(i);
	return m;
}

/* A fresh pair has nothing and takes nothing: both go to the depot. */
MT_CASE(mag_pair_starts_unloaded)
{
	struct magpie_mag_pair pair;

	magpie_mag_pair_init(&pair);
	MT_EXPECT_NULL(magpie_mag_pop(&pair));
	MT_EXPECT_TRUE(!magpie_mag_push(&pair, MT_OBJ(1)));
	MT_EXPECT_EQ(magpie_magazine_none.rounds, 0u);
	MT_EXPECT_EQ(magpie_magazine_none.size, 0u);
}

/* Objects come back last in, first out (the hottest first). */
MT_CASE(mag_lifo)
{
	struct magpie_mag_pair pair;
	int i;

	magpie_mag_pair_init(&pair);
	pair.loaded = mt_new_mag(test, 4, 0);
	for (i = 0; i < 4; i++)
		MT_EXPECT_TRUE(magpie_mag_push(&pair, MT_OBJ(i)));
	MT_EXPECT_TRUE(!magpie_mag_push(&pair, MT_OBJ(9)));
	for (i = 3; i >= 0; i--)
		MT_EXPECT_PTR_EQ(magpie_mag_pop(&pair), MT_OBJ(i));
	MT_EXPECT_NULL(magpie_mag_pop(&pair));
}

/* An empty loaded magazine swaps with a full previous one, and back. */
MT_CASE(mag_pair_swaps)
{
	struct magpie_mag_pair pair;
	struct magpie_magazine *a = mt_new_mag(test, 2, 0), *b = mt_new_mag(test, 2, 2);

	pair.loaded = a;
	pair.previous = b;
	MT_EXPECT_PTR_EQ(magpie_mag_pop(&pair), MT_OBJ(1));
	MT_EXPECT_PTR_EQ(pair.loaded, b);
	MT_EXPECT_PTR_EQ(pair.previous, a);
	MT_EXPECT_PTR_EQ(magpie_mag_pop(&pair), MT_OBJ(0));
	MT_EXPECT_NULL(magpie_mag_pop(&pair));
	/* Both empty now; fill b, then a free on a full b moves to a. */
	MT_EXPECT_TRUE(magpie_mag_push(&pair, MT_OBJ(5)));
	MT_EXPECT_TRUE(magpie_mag_push(&pair, MT_OBJ(6)));
	MT_EXPECT_TRUE(magpie_mag_push(&pair, MT_OBJ(7)));
	MT_EXPECT_PTR_EQ(pair.loaded, a);
	MT_EXPECT_EQ(a->rounds, 1u);
	MT_EXPECT_EQ(b->rounds, 2u);
}

/* The depot trades empties for fulls and never keeps the none magazine. */
MT_CASE(depot_swaps)
{
	struct magpie_depot *d = MT_ALLOC(sizeof(*d));
	struct magpie_magazine *full = mt_new_mag(test, 8, 8), *empty = mt_new_mag(test, 8, 0);

	magpie_depot_init(d, 8, 64);
	/* Nothing to trade either way: the caller keeps what it offered. */
	MT_EXPECT_NULL(magpie_depot_swap_empty_for_full(d, empty));
	MT_EXPECT_NULL(magpie_depot_swap_full_for_empty(d, full));
	MT_EXPECT_EQ(d->nr_empty + d->nr_full, 0u);
	magpie_depot_put(d, full);
	MT_EXPECT_EQ(d->nr_full, 1u);
	MT_EXPECT_PTR_EQ(magpie_depot_swap_empty_for_full(d, empty), full);
	MT_EXPECT_EQ(d->nr_full, 0u);
	MT_EXPECT_EQ(d->nr_empty, 1u);
	MT_EXPECT_PTR_EQ(magpie_depot_swap_full_for_empty(d, full), empty);
	MT_EXPECT_EQ(d->nr_full, 1u);
	MT_EXPECT_EQ(d->nr_empty, 0u);
	MT_EXPECT_PTR_EQ(magpie_depot_swap_empty_for_full(d, &magpie_magazine_none), full);
	MT_EXPECT_EQ(d->nr_empty, 0u);
	magpie_depot_put(d, &magpie_magazine_none);
	MT_EXPECT_EQ(d->nr_empty + d->nr_full, 0u);
	MT_EXPECT_EQ(d->gets, 2u);
	MT_EXPECT_EQ(d->puts, 2u);
	MT_EXPECT_EQ(d->locks, 6u);
}

/*
 * Reaping frees only what stayed unused for a whole interval: magazines
 * that arrived during it were not yet proven idle.
 */
MT_CASE(depot_reap_working_set)
{
	struct magpie_depot *d = MT_ALLOC(sizeof(*d));
	struct magpie_magazine *m, *list;
	int i, n;

	magpie_depot_init(d, 8, 64);
	for (i = 0; i < 4; i++)
		magpie_depot_put(d, mt_new_mag(test, 8, 8));
	MT_EXPECT_NULL(magpie_depot_reap(d, false));	/* interval 1: min was 0 */
	MT_EXPECT_EQ(d->nr_full, 4u);
	m = magpie_depot_swap_empty_for_full(d, &magpie_magazine_none);
	MT_EXPECT_TRUE(m);
	list = magpie_depot_reap(d, false);		/* 3 never moved */
	for (n = 0; list; list = list->next)
		n++;
	MT_EXPECT_EQ(n, 3);
	MT_EXPECT_EQ(d->nr_full, 0u);
	magpie_depot_put(d, m);
	magpie_depot_put(d, mt_new_mag(test, 8, 0));
	list = magpie_depot_reap(d, true);
	for (n = 0; list; list = list->next)
		n++;
	MT_EXPECT_EQ(n, 2);
	MT_EXPECT_EQ(d->nr_full + d->nr_empty, 0u);
}

/* Contention doubles the magazine size up to its bound, then stops. */
MT_CASE(depot_grows_under_contention)
{
	struct magpie_depot *d = MT_ALLOC(sizeof(*d));

	magpie_depot_init(d, 8, 24);
	MT_EXPECT_TRUE(!magpie_depot_resize_check(d));
	d->contended = MAGPIE_DEPOT_CONTENTION_GROW + 1;
	MT_EXPECT_TRUE(magpie_depot_resize_check(d));
	MT_EXPECT_EQ(d->mag_size, 16u);
	MT_EXPECT_EQ(d->contended, 0u);
	MT_EXPECT_TRUE(!magpie_depot_resize_check(d));
	d->contended = MAGPIE_DEPOT_CONTENTION_GROW + 1;
	MT_EXPECT_TRUE(magpie_depot_resize_check(d));
	MT_EXPECT_EQ(d->mag_size, 24u);
	d->contended = 1000;
	MT_EXPECT_TRUE(!magpie_depot_resize_check(d));
	MT_EXPECT_EQ(d->mag_size, 24u);
}

MT_CASE_LIST(magpie_magazine_cases) = {
	MT_CASE_ENTRY(mag_pair_starts_unloaded),
	MT_CASE_ENTRY(mag_lifo),
	MT_CASE_ENTRY(mag_pair_swaps),
	MT_CASE_ENTRY(depot_swaps),
	MT_CASE_ENTRY(depot_reap_working_set),
	MT_CASE_ENTRY(depot_grows_under_contention),
	{}
};
