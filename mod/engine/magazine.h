/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Magazines and the depot (Bonwick and Adams, "Magazines and Vmem", 2001).
 *
 * A magazine is a stack of free objects. Each CPU (or userlib thread) owns
 * a pair, @loaded and @previous, and allocates and frees against @loaded;
 * when it runs dry or overflows the pair is swapped when that helps, so a
 * CPU that alternates between allocating and freeing around a magazine
 * boundary does not thrash the depot. Only when both magazines are unfit
 * does the owner go to the depot, which trades a full magazine for an empty
 * one (or back) under one lock.
 *
 * The pair is owned by one CPU and touched without locks or atomics; how
 * the host keeps other code off it (preemption off, a per-CPU busy flag,
 * a thread-local) is the host's business. The depot is shared and locked.
 * Magazine memory is the host's too: the engine never allocates.
 */
#ifndef _MAGPIE_ENGINE_MAGAZINE_H
#define _MAGPIE_ENGINE_MAGAZINE_H

#include "platform.h"

/**
 * struct magpie_magazine - a stack of free objects
 * @next: link in the depot's full or empty list
 * @rounds: objects held, in @objs[0 .. @rounds - 1]
 * @size: capacity, fixed when the magazine is made
 * @objs: the objects
 */
struct magpie_magazine {
	struct magpie_magazine *next;
	u32 rounds;
	u32 size;
	void *objs[];
};

/*
 * A magazine of capacity 0 that is never full and never has rounds: a pair
 * starts with both slots pointing at it, so the fast paths need no NULL
 * checks and their first miss fetches real magazines.
 */
extern struct magpie_magazine magpie_magazine_none;

/**
 * struct magpie_mag_pair - one owner's loaded and previous magazines
 * @loaded: the magazine allocations and frees use
 * @previous: the last @loaded, full or empty
 */
struct magpie_mag_pair {
	struct magpie_magazine *loaded;
	struct magpie_magazine *previous;
};

static inline void magpie_mag_pair_init(struct magpie_mag_pair *pair)
{
	pair->loaded = &magpie_magazine_none;
	pair->previous = &magpie_magazine_none;
}

/**
 * magpie_mag_pop() - allocate from the owner's magazines
 * @pair: the owner's pair
 *
 * Return: an object, or NULL when both magazines are empty and the owner
 * must go to the depot.
 */
static inline void *magpie_mag_pop(struct magpie_mag_pair *pair)
{
	struct magpie_magazine *m = pair->loaded;

	if (likely(m->rounds))
		return m->objs[--m->rounds];
	if (pair->previous->rounds) {
		pair->loaded = pair->previous;
		pair->previous = m;
		m = pair->loaded;
		return m->objs[--m->rounds];
	}
	return NULL;
}

/**
 * magpie_mag_push() - free into the owner's magazines
 * @pair: the owner's pair
 * @obj: the object
 *
 * Return: true when @obj was stored, false when both magazines are full
 * and the owner must go to the depot.
 */
static inline bool magpie_mag_push(struct magpie_mag_pair *pair, void *obj)
{
	struct magpie_magazine *m = pair->loaded;

	if (likely(m->rounds < m->size)) {
		m->objs[m->rounds++] = obj;
		return true;
	}
	if (pair->previous->rounds < pair->previous->size) {
		pair->loaded = pair->previous;
		pair->previous = m;
		m = pair->loaded;
		m->objs[m->rounds++] = obj;
		return true;
	}
	return false;
}

/**
 * struct magpie_depot - a cache's shared stock of magazines
 * @lock: protects every field below
 * @full: stack of full magazines, linked through ->next
 * @empty: stack of empty magazines
 * @nr_full: magazines on @full
 * @nr_empty: magazines on @empty
 * @full_rounds: objects in the magazines on @full; written under @lock
 *	with a relaxed store, so a reader that only wants an estimate (the
 *	shrinker's count) may load it without the lock
 * @min_full: fewest magazines on @full since the last reap: the part of
 *	the stock nobody needed during the interval (Bonwick's working set)
 * @min_empty: the same for @empty
 * @mag_size: capacity of magazines made from now on
 * @mag_size_max: bound for @mag_size
 * @contended: times the lock was found taken since the last resize check
 * @gets: full magazines handed out (statistics)
 * @puts: full magazines taken in (statistics)
 * @locks: lock acquisitions (statistics)
 */
struct magpie_depot {
	magpie_lock_t lock;
	struct magpie_magazine *full;
	struct magpie_magazine *empty;
	u32 nr_full;
	u32 nr_empty;
	u64 full_rounds;
	u32 min_full;
	u32 min_empty;
	u32 mag_size;
	u32 mag_size_max;
	u32 contended;
	u64 gets;
	u64 puts;
	u64 locks;
};

/**
 * struct magpie_depot_reap - a reap in progress, between its batches
 * @full: full magazines still to take
 * @empty: empty magazines still to take
 */
struct magpie_depot_reap {
	u32 full;
	u32 empty;
};

/*
 * Most magazines one batch of a reap detaches: the depot lock is a raw
 * spinlock taken with interrupts off, and a depot may hold thousands of
 * magazines after a burst of frees, so a reap walks the lists a bounded
 * stretch at a time and lets interrupts and other CPUs in between.
 */
#define MAGPIE_DEPOT_REAP_BATCH		32

/* Bounds of the magazine size, and the contention that grows it. */
#define MAGPIE_MAG_SIZE_MIN		8
#define MAGPIE_MAG_SIZE_MAX		256
#define MAGPIE_DEPOT_CONTENTION_GROW	16

void magpie_depot_init(struct magpie_depot *depot, u32 mag_size, u32 mag_size_max);
struct magpie_magazine *magpie_depot_swap_empty_for_full(struct magpie_depot *depot,
							 struct magpie_magazine *empty);
struct magpie_magazine *magpie_depot_swap_full_for_empty(struct magpie_depot *depot,
							 struct magpie_magazine *full);
void magpie_depot_put(struct magpie_depot *depot, struct magpie_magazine *mag);
void magpie_depot_reap_start(struct magpie_depot *depot, bool all,
			     struct magpie_depot_reap *reap);
struct magpie_magazine *magpie_depot_reap_batch(struct magpie_depot *depot,
						struct magpie_depot_reap *reap);
bool magpie_depot_resize_check(struct magpie_depot *depot);

#endif /* _MAGPIE_ENGINE_MAGAZINE_H */
