// SPDX-License-Identifier: GPL-2.0
/*
 * The depot: a cache's stock of full and empty magazines behind one lock,
 * trading them with the per-CPU pairs, trimming itself to the working set
 * of the last interval, and growing the magazine size under contention.
 */
#include "magazine.h"

struct magpie_magazine magpie_magazine_none;
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_magazine_none);

/*
 * Every acquisition first tries the lock: a failed try is contention,
 * which is what makes the magazines grow (fewer trips to the depot).
 */
static unsigned long magpie_depot_lock(struct magpie_depot *depot)
	__acquires(&depot->lock)
{
	unsigned long flags;

	if (!magpie_trylock(&depot->lock, flags)) {
		magpie_lock(&depot->lock, flags);
		depot->contended++;
	}
	depot->locks++;
	return flags;
}

static void magpie_depot_unlock(struct magpie_depot *depot, unsigned long flags)
	__releases(&depot->lock)
{
	magpie_unlock(&depot->lock, flags);
}

/**
 * magpie_depot_init() - set up an empty depot
 * @depot: the depot
 * @mag_size: capacity of the first magazines
 * @mag_size_max: the most contention may grow it to
 */
void magpie_depot_init(struct magpie_depot *depot, u32 mag_size, u32 mag_size_max)
{
	magpie_lock_init(&depot->lock);
	depot->full = NULL;
	depot->empty = NULL;
	depot->nr_full = 0;
	depot->nr_empty = 0;
	depot->full_rounds = 0;
	depot->min_full = 0;
	depot->min_empty = 0;
	depot->mag_size = mag_size;
	depot->mag_size_max = mag_size_max;
	depot->contended = 0;
	depot->gets = 0;
	depot->puts = 0;
	depot->locks = 0;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_init);

/* Puts @mag on the full or empty list by its rounds; depot lock held. */
static void magpie_depot_push(struct magpie_depot *depot, struct magpie_magazine *mag)
{
	if (mag == &magpie_magazine_none)
		return;
	if (mag->rounds) {
		mag->next = depot->full;
		depot->full = mag;
		depot->nr_full++;
		magpie_store_relaxed(&depot->full_rounds, depot->full_rounds + mag->rounds);
		depot->puts++;
	} else {
		mag->next = depot->empty;
		depot->empty = mag;
		depot->nr_empty++;
	}
}

/*
 * Takes a magazine off the full or empty list, keeping the list's minimum
 * for the working set; depot lock held. NULL when the list is empty.
 */
static struct magpie_magazine *magpie_depot_pop(struct magpie_depot *depot, bool full)
{
	struct magpie_magazine **head = full ? &depot->full : &depot->empty;
	u32 *nr = full ? &depot->nr_full : &depot->nr_empty;
	u32 *min = full ? &depot->min_full : &depot->min_empty;
	struct magpie_magazine *mag = *head;

	if (!mag)
		return NULL;
	*head = mag->next;
	if (--*nr < *min)
		*min = *nr;
	if (full) {
		magpie_store_relaxed(&depot->full_rounds, depot->full_rounds - mag->rounds);
		depot->gets++;
	}
	return mag;
}

/**
 * magpie_depot_swap_empty_for_full() - trade an empty magazine for a full one
 * @depot: the depot
 * @empty: an empty magazine, or &magpie_magazine_none
 *
 * Return: a full magazine, which then belongs to the caller, who gave up
 * @empty; or NULL when the depot has none, and the caller keeps @empty
 * (to fill it from the central lists).
 */
struct magpie_magazine *magpie_depot_swap_empty_for_full(struct magpie_depot *depot,
							 struct magpie_magazine *empty)
{
	struct magpie_magazine *full;
	unsigned long flags;

	flags = magpie_depot_lock(depot);
	full = magpie_depot_pop(depot, true);
	if (full)
		magpie_depot_push(depot, empty);
	magpie_depot_unlock(depot, flags);
	return full;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_swap_empty_for_full);

/**
 * magpie_depot_swap_full_for_empty() - trade a full magazine for an empty one
 * @depot: the depot
 * @full: a full magazine, or &magpie_magazine_none to only take an empty one
 *
 * Return: an empty magazine, which then belongs to the caller, who gave up
 * @full; or NULL when the depot has no empty one, and the caller keeps
 * @full (and makes an empty magazine of @depot->mag_size itself).
 */
struct magpie_magazine *magpie_depot_swap_full_for_empty(struct magpie_depot *depot,
							 struct magpie_magazine *full)
{
	struct magpie_magazine *empty;
	unsigned long flags;

	flags = magpie_depot_lock(depot);
	empty = magpie_depot_pop(depot, false);
	if (empty)
		magpie_depot_push(depot, full);
	magpie_depot_unlock(depot, flags);
	return empty;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_swap_full_for_empty);

/**
 * magpie_depot_put() - hand a magazine to the depot
 * @depot: the depot
 * @mag: a full or an empty magazine; &magpie_magazine_none is ignored
 *
 * For magazines a CPU no longer holds (a refill that lost a race, a CPU
 * going offline). A partly filled magazine must be emptied first.
 */
void magpie_depot_put(struct magpie_depot *depot, struct magpie_magazine *mag)
{
	unsigned long flags;

	if (mag == &magpie_magazine_none)
		return;
	flags = magpie_depot_lock(depot);
	magpie_depot_push(depot, mag);
	magpie_depot_unlock(depot, flags);
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_put);

/*
 * Moves @nr magazines from the stack at @from onto @list; returns the
 * objects they hold.
 */
static u64 magpie_depot_detach(struct magpie_magazine **from, u32 nr,
			       struct magpie_magazine **list)
{
	u64 rounds = 0;

	while (nr--) {
		struct magpie_magazine *m = *from;

		*from = m->next;
		m->next = *list;
		*list = m;
		rounds += m->rounds;
	}
	return rounds;
}

/**
 * magpie_depot_reap_start() - decide what a reap takes out
 * @depot: the depot
 * @all: take every magazine there is now (memory pressure, cache
 *	destruction); else those nobody needed during the interval since the
 *	last reap: the minimum each list fell to (Bonwick's working set)
 * @reap: filled in with the counts to take, for magpie_depot_reap_batch()
 *
 * Starts the next interval: the minima are set to what the lists will
 * hold once the reap is done.
 */
void magpie_depot_reap_start(struct magpie_depot *depot, bool all,
			     struct magpie_depot_reap *reap)
{
	unsigned long flags;

	flags = magpie_depot_lock(depot);
	reap->full = all ? depot->nr_full : depot->min_full;
	reap->empty = all ? depot->nr_empty : depot->min_empty;
	depot->min_full = depot->nr_full - reap->full;
	depot->min_empty = depot->nr_empty - reap->empty;
	magpie_depot_unlock(depot, flags);
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_reap_start);

/* Takes up to @budget of @want off one list; depot lock held. */
static u32 magpie_depot_reap_list(struct magpie_depot *depot, bool full, u32 *want,
				  u32 budget, struct magpie_magazine **list)
{
	struct magpie_magazine **head = full ? &depot->full : &depot->empty;
	u32 *nr = full ? &depot->nr_full : &depot->nr_empty;
	u32 *min = full ? &depot->min_full : &depot->min_empty;
	u32 take = *want < *nr ? *want : *nr;
	u64 rounds;

	if (take > budget)
		take = budget;
	rounds = magpie_depot_detach(head, take, list);
	if (full)
		magpie_store_relaxed(&depot->full_rounds, depot->full_rounds - rounds);
	*nr -= take;
	/* Owners took some in the meantime: what is left is all there is. */
	*want = *nr ? *want - take : 0;
	if (*min > *nr)
		*min = *nr;
	return take;
}

/**
 * magpie_depot_reap_batch() - take out the next batch of a reap
 * @depot: the depot
 * @reap: the reap, from magpie_depot_reap_start()
 *
 * Detaches at most MAGPIE_DEPOT_REAP_BATCH magazines, full ones first,
 * under one hold of the lock. Magazines the owners took between the start
 * and this batch are not made up for: the reap stops when a list runs dry.
 *
 * Return: the magazines taken, linked through ->next, or NULL when the
 * reap is done. The caller returns the objects of full ones to their
 * spans and frees the magazines, then calls again.
 */
struct magpie_magazine *magpie_depot_reap_batch(struct magpie_depot *depot,
						struct magpie_depot_reap *reap)
{
	struct magpie_magazine *list = NULL;
	unsigned long flags;
	u32 budget = MAGPIE_DEPOT_REAP_BATCH;

	if (!reap->full && !reap->empty)
		return NULL;
	flags = magpie_depot_lock(depot);
	budget -= magpie_depot_reap_list(depot, true, &reap->full, budget, &list);
	magpie_depot_reap_list(depot, false, &reap->empty, budget, &list);
	magpie_depot_unlock(depot, flags);
	return list;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_reap_batch);

/**
 * magpie_depot_resize_check() - grow the magazine size if the lock is hot
 * @depot: the depot
 *
 * Called once per reap interval. Doubles @depot->mag_size, up to
 * @depot->mag_size_max, when the lock was found taken more than
 * MAGPIE_DEPOT_CONTENTION_GROW times in the interval; magazines already
 * made keep their size.
 *
 * Return: true when the size grew.
 */
bool magpie_depot_resize_check(struct magpie_depot *depot)
{
	unsigned long flags;
	bool grew = false;

	magpie_lock(&depot->lock, flags);
	if (depot->contended > MAGPIE_DEPOT_CONTENTION_GROW &&
	    depot->mag_size < depot->mag_size_max) {
		depot->mag_size = depot->mag_size * 2 < depot->mag_size_max ?
				  depot->mag_size * 2 : depot->mag_size_max;
		grew = true;
	}
	depot->contended = 0;
	magpie_unlock(&depot->lock, flags);
	return grew;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_depot_resize_check);
