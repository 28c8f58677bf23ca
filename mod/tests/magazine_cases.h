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

/* Runs a reap to its end; returns the magazines taken, counts the batches. */
static int mt_reap(struct magpie_depot *d, bool all, int *batches)
{
	struct magpie_depot_reap reap;
	struct magpie_magazine *list;
	int n = 0, size;

	*batches = 0;
	magpie_depot_reap_start(d, all, &reap);
	while ((list = magpie_depot_reap_batch(d, &reap))) {
		for (size = 0; list; list = list->next)
			size++;
		if (size > MAGPIE_DEPOT_REAP_BATCH)
			return -1;
		n += size;
		(*batches)++;
	}
	return n;
}

/*
 * Reaping frees only what stayed unused for a whole interval: magazines
 * that arrived during it were not yet proven idle.
 */
MT_CASE(depot_reap_working_set)
{
	struct magpie_depot *d = MT_ALLOC(sizeof(*d));
	struct magpie_magazine *m;
	int i, batches;

	magpie_depot_init(d, 8, 64);
	for (i = 0; i < 4; i++)
		magpie_depot_put(d, mt_new_mag(test, 8, 8));
	MT_EXPECT_EQ(d->full_rounds, 32u);
	MT_EXPECT_EQ(mt_reap(d, false, &batches), 0);	/* interval 1: min was 0 */
	MT_EXPECT_EQ(batches, 0);
	MT_EXPECT_EQ(d->nr_full, 4u);
	m = magpie_depot_swap_empty_for_full(d, &magpie_magazine_none);
	MT_EXPECT_TRUE(m);
	MT_EXPECT_EQ(d->full_rounds, 24u);
	MT_EXPECT_EQ(mt_reap(d, false, &batches), 3);	/* 3 never moved */
	MT_EXPECT_EQ(d->nr_full, 0u);
	MT_EXPECT_EQ(d->full_rounds, 0u);
	magpie_depot_put(d, m);
	magpie_depot_put(d, mt_new_mag(test, 8, 0));
	MT_EXPECT_EQ(mt_reap(d, true, &batches), 2);
	MT_EXPECT_EQ(d->nr_full + d->nr_empty, 0u);
	MT_EXPECT_EQ(d->full_rounds, 0u);
}

/*
 * A big depot is reaped a bounded batch per lock hold, full magazines
 * first, and the counts and the objects' total stay exact throughout.
 */
MT_CASE(depot_reap_in_batches)
{
	const int nr_full = 3 * MAGPIE_DEPOT_REAP_BATCH + 5, nr_empty = 40;
	struct magpie_depot *d = MT_ALLOC(sizeof(*d));
	struct magpie_depot_reap reap;
	struct magpie_magazine *list;
	int i, n, batches;
	u64 locks;

	magpie_depot_init(d, 8, 64);
	for (i = 0; i < nr_full; i++)
		magpie_depot_put(d, mt_new_mag(test, 8, 1 + i % 8));
	for (i = 0; i < nr_empty; i++)
		magpie_depot_put(d, mt_new_mag(test, 8, 0));
	/* 1 + 2 + ... + 8 rounds for every 8 magazines, and 1..5 for the rest. */
	MT_EXPECT_EQ(d->full_rounds, (u64)(nr_full / 8) * 36 + 15);

	/* The first batch is all full magazines, exactly a batch of them. */
	magpie_depot_reap_start(d, true, &reap);
	MT_EXPECT_EQ(reap.full, (u32)nr_full);
	MT_EXPECT_EQ(reap.empty, (u32)nr_empty);
	list = magpie_depot_reap_batch(d, &reap);
	for (n = 0; list; list = list->next, n++)
		MT_EXPECT_TRUE(list->rounds > 0);
	MT_EXPECT_EQ(n, MAGPIE_DEPOT_REAP_BATCH);
	MT_EXPECT_EQ(d->nr_full, (u32)(nr_full - MAGPIE_DEPOT_REAP_BATCH));

	/* An owner takes one in between: the reap takes what is left. */
	MT_EXPECT_TRUE(magpie_depot_swap_empty_for_full(d, &magpie_magazine_none));
	locks = d->locks;
	for (n = 0, batches = 0; (list = magpie_depot_reap_batch(d, &reap)); batches++)
		for (; list; list = list->next)
			n++;
	MT_EXPECT_EQ(n, nr_full - MAGPIE_DEPOT_REAP_BATCH - 1 + nr_empty);
	MT_EXPECT_EQ(batches, (n + MAGPIE_DEPOT_REAP_BATCH - 1) / MAGPIE_DEPOT_REAP_BATCH);
	MT_EXPECT_EQ(d->locks - locks, (u64)batches);
	MT_EXPECT_EQ(d->nr_full + d->nr_empty, 0u);
	MT_EXPECT_EQ(d->full_rounds, 0u);
	MT_EXPECT_EQ(d->min_full + d->min_empty, 0u);
	MT_EXPECT_EQ(mt_reap(d, true, &batches), 0);
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
	MT_CASE_ENTRY(depot_reap_in_batches),
	MT_CASE_ENTRY(depot_grows_under_contention),
	{}
};
