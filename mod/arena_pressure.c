// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure for arenas: a shrinker that asks userspace to give back
 * the free spans it keeps backed. The kernel cannot free those pages
 * itself (only the client knows which are free), so the scan bumps each
 * arena's pressure epoch in the shared header and userlib answers on its
 * next operation by releasing its cached spans (MAGPIE_IOC_RELEASE), then
 * records the epoch it answered in pressure_seen.
 *
 * A stopped or hostile client costs the shrinker nothing: the scan only
 * writes one word per arena and never waits; an arena whose client has
 * not answered the last epoch is not asked again until it does.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/shrinker.h>

#include "arena.h"
#include "compat.h"

static struct shrinker *magpie_arena_shrinker;

/* What the client says it would give back, at most what it has backed. */
static unsigned long magpie_arena_cached(struct magpie_arena *arena)
{
	const struct magpie_arena_header *h = magpie_arena_header(arena);

	return min_t(unsigned long, READ_ONCE(h->cached_free_bytes) >> PAGE_SHIFT,
		     READ_ONCE(arena->backed));
}

static unsigned long magpie_arena_shrink_count(struct shrinker *shrinker,
					       struct shrink_control *sc)
{
	struct magpie_arena *arena;
	unsigned long id, pages = 0;

	/* Reclaim may run under a holder of the mutex: never wait for it. */
	if (!mutex_trylock(&magpie_arenas_mutex))
		return 0;
	/*
	 * Arenas are bounded only by their owners' memory: let others run
	 * between them (reclaim calls shrinkers where they may sleep).
	 */
	xa_for_each(&magpie_arenas, id, arena) {
		pages += magpie_arena_cached(arena);
		cond_resched();
	}
	mutex_unlock(&magpie_arenas_mutex);
	return pages;
}

static unsigned long magpie_arena_shrink_scan(struct shrinker *shrinker,
					      struct shrink_control *sc)
{
	struct magpie_arena_header *h;
	struct magpie_arena *arena;
	unsigned long id;
	u64 epoch;

	if (!mutex_trylock(&magpie_arenas_mutex))
		return SHRINK_STOP;
	xa_for_each(&magpie_arenas, id, arena) {
		h = magpie_arena_header(arena);
		epoch = READ_ONCE(h->pressure_epoch);
		/*
		 * A plain store: the epoch publishes nothing else, and userlib
		 * only compares it with pressure_seen.
		 */
		if (magpie_arena_cached(arena) && READ_ONCE(h->pressure_seen) == epoch)
			WRITE_ONCE(h->pressure_epoch, epoch + 1);
		cond_resched();
	}
	mutex_unlock(&magpie_arenas_mutex);
	/* Nothing is freed now; what comes back comes through releases. */
	return SHRINK_STOP;
}

/**
 * magpie_arena_pressure_init() - register the arenas' shrinker
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_arena_pressure_init(void)
{
	magpie_arena_shrinker = magpie_shrinker_create(magpie_arena_shrink_count,
						       magpie_arena_shrink_scan,
						       "magpie-arenas");
	return magpie_arena_shrinker ? 0 : -ENOMEM;
}

/**
 * magpie_arena_pressure_exit() - unregister it
 */
void magpie_arena_pressure_exit(void)
{
	magpie_shrinker_destroy(magpie_arena_shrinker);
}
