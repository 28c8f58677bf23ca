// SPDX-License-Identifier: GPL-2.0
/*
 * Central span lists (Go's mcentral), one set per cache: filling a batch of
 * objects from partial spans in one locked step, growing by a new span when
 * none has room, taking objects back, and parking spans that empty out on
 * a list of their own until the reaper returns them to the page heap.
 */
#include <linux/jiffies.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "cache.h"
#include "kasan.h"
#include "compat.h"

/**
 * magpie_central_init() - empty span lists
 * @central: the lists
 */
void magpie_central_init(struct magpie_central *central)
{
	spin_lock_init(&central->lock);
	INIT_LIST_HEAD(&central->partial);
	INIT_LIST_HEAD(&central->full);
	INIT_LIST_HEAD(&central->empty);
	central->nr_spans = 0;
	central->nr_empty = 0;
	central->free_objects = 0;
	central->lock_count = 0;
}

/**
 * magpie_central_list() - the list of a cache's spans that @which names
 * @central: the cache's central lists
 * @which: partial, full or empty
 *
 * Return: the list head; the caller holds @central's lock to walk it.
 */
struct list_head *magpie_central_list(struct magpie_central *central,
				      enum magpie_span_list which)
{
	switch (which) {
	case MAGPIE_SPAN_PARTIAL:
		return &central->partial;
	case MAGPIE_SPAN_FULL:
		return &central->full;
	default:
		return &central->empty;
	}
}

/*
 * Age given to a span emptied by objects already proven idle: older than
 * any reap interval, so the next pass releases it.
 */
#define MAGPIE_LONG_IDLE	(700 * HZ)

/* Puts @ks on list @to, keeping the empty count and age right. */
static void magpie_span_move(struct magpie_central *central, struct magpie_kspan *ks,
			     enum magpie_span_list to, bool idle)
{
	if (ks->where == MAGPIE_SPAN_EMPTY)
		central->nr_empty--;
	if (to == MAGPIE_SPAN_EMPTY) {
		central->nr_empty++;
		ks->empty_since = idle ? jiffies - MAGPIE_LONG_IDLE : jiffies;
	}
	ks->where = to;
	list_move(&ks->node, magpie_central_list(central, to));
}

/**
 * magpie_kspan_alloc() - a zeroed span descriptor with a run of pages
 * @npages: pages in the run
 * @gfp: allocation flags (may sleep only if they allow)
 *
 * Return: the descriptor, or NULL; the caller sets the span up.
 */
struct magpie_kspan *magpie_kspan_alloc(unsigned int npages, gfp_t gfp)
{
	struct magpie_kspan *ks = kzalloc_obj(*ks, magpie_meta_gfp(gfp));

	if (!ks)
		return NULL;
	if (magpie_heap_alloc_run(&ks->run, npages, gfp)) {
		kfree(ks);
		return NULL;
	}
	return ks;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_kspan_alloc);

/**
 * magpie_kspan_free() - give a span's pages and descriptor back
 * @ks: a span no object of which is out
 *
 * Return: pages given straight back to the buddy allocator, as
 * magpie_heap_free_run() says.
 */
unsigned long magpie_kspan_free(struct magpie_kspan *ks)
{
	unsigned long pages;

	/*
	 * Nothing to unpoison: a run going back into a chunk is poisoned by
	 * the page heap, a direct one by the buddy allocator.
	 */
	magpie_heap_set_owner(ks->run.addr, ks->run.npages, NULL);
	pages = magpie_heap_free_run(&ks->run);
	kfree(ks);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_kspan_free);

/* A new span for @cache, objects constructed; no lock held. */
static struct magpie_kspan *magpie_kspan_new(struct magpie_cache *cache, gfp_t gfp)
{
	unsigned int npages = magpie_sizeclasses[cache->class].npages;
	struct magpie_kspan *ks;
	unsigned int i;

	if (cache->memcg) {
		/* A memcg child's pages are charged to its cgroup (memcg.c). */
		struct mem_cgroup *old = set_active_memcg(cache->memcg);

		ks = magpie_kspan_alloc(npages, gfp | __GFP_ACCOUNT);
		set_active_memcg(old);
	} else {
		ks = magpie_kspan_alloc(npages, gfp & ~__GFP_ACCOUNT);
	}
	if (!ks)
		return NULL;
	/*
	 * A run cut from a chunk comes poisoned: open all of it for the
	 * constructor and the debug patterns below. Debug caches keep it
	 * open (they check themselves); others poison their objects again.
	 */
	magpie_kasan_unpoison(ks->run.addr, (size_t)npages << PAGE_SHIFT);
	magpie_span_init(&ks->s, (uintptr_t)ks->run.addr, cache->class);
	ks->cache = cache;
	INIT_LIST_HEAD(&ks->node);
	ks->where = MAGPIE_SPAN_PARTIAL;
	magpie_heap_set_owner(ks->run.addr, npages, ks);
	for (i = 0; i < ks->s.nelems; i++) {
		void *obj = (void *)magpie_span_addr(&ks->s, i);

		if (cache->ctor)
			cache->ctor(obj);
		if (cache->flags & MAGPIE_CACHE_DEBUG)
			magpie_debug_init_object(cache, obj);
	}
	/* Every object is free, and the tail is nobody's (kasan.h). */
	if (!(cache->flags & MAGPIE_CACHE_DEBUG))
		magpie_kasan_poison(ks->run.addr, npages << PAGE_SHIFT);
	return ks;
}

/**
 * magpie_central_alloc() - take up to @nr objects out of a cache's spans
 * @cache: the cache
 * @objs: where the objects go
 * @nr: how many are wanted
 * @gfp: flags for growing by new spans (sleeps only if they allow)
 *
 * Partial spans are used first, then empty ones, then new ones.
 *
 * Return: how many objects were taken; fewer than @nr only when memory
 * ran out.
 */
unsigned int magpie_central_alloc(struct magpie_cache *cache, void **objs,
				  unsigned int nr, gfp_t gfp)
{
	struct magpie_central *central = &cache->central;
	struct magpie_kspan *ks;
	unsigned int got = 0, n;
	unsigned long flags;

	spin_lock_irqsave(&central->lock, flags);
	central->lock_count++;
	while (got < nr) {
		ks = list_first_entry_or_null(&central->partial, struct magpie_kspan, node);
		if (!ks)
			ks = list_first_entry_or_null(&central->empty, struct magpie_kspan, node);
		if (!ks) {
			spin_unlock_irqrestore(&central->lock, flags);
			ks = magpie_kspan_new(cache, gfp);
			spin_lock_irqsave(&central->lock, flags);
			if (!ks)
				break;
			list_add(&ks->node, &central->partial);
			central->nr_spans++;
			central->free_objects += ks->s.nelems;
			continue;
		}
		/* Objects are addresses: the engine's uintptr_t is pointer sized. */
		n = magpie_span_alloc_bulk(&ks->s, (uintptr_t *)(objs + got), nr - got);
		got += n;
		central->free_objects -= n;
		magpie_span_move(central, ks, magpie_span_full(&ks->s) ?
				 MAGPIE_SPAN_FULL : MAGPIE_SPAN_PARTIAL, false);
	}
	spin_unlock_irqrestore(&central->lock, flags);
	return got;
}

/**
 * magpie_central_free() - give objects back to their spans
 * @cache: the cache they came from
 * @objs: the objects
 * @nr: how many
 * @idle: the objects sat unused for a reap interval (reaped magazines):
 *	spans they empty are released by the next pass, not one later
 *
 * An object that is not out (a double free) or not the start of an object
 * of this cache's spans is reported and left alone.
 */
void magpie_central_free(struct magpie_cache *cache, void **objs, unsigned int nr,
			 bool idle)
{
	struct magpie_central *central = &cache->central;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&central->lock, flags);
	central->lock_count++;
	for (i = 0; i < nr; i++) {
		struct magpie_kspan *ks = magpie_heap_owner(objs[i]);
		int idx = ks && ks->cache == cache ?
			  magpie_span_index(&ks->s, (uintptr_t)objs[i]) : -1;

		if (idx < 0 || magpie_span_free_index(&ks->s, idx)) {
			pr_err("magpie: cache %s: bad free of %p (double free or not its object)\n",
			       cache->name, objs[i]);
			continue;
		}
		central->free_objects++;
		if (magpie_span_empty(&ks->s))
			magpie_span_move(central, ks, MAGPIE_SPAN_EMPTY, idle);
		else if (ks->where == MAGPIE_SPAN_FULL)
			magpie_span_move(central, ks, MAGPIE_SPAN_PARTIAL, false);
	}
	spin_unlock_irqrestore(&central->lock, flags);
}

/**
 * magpie_central_release_empty() - return long-empty spans to the page heap
 * @cache: the cache
 * @min_idle: jiffies a span must have been empty; 0 releases all empty ones
 *
 * A span cut from a chunk goes back into it; one that is a run of its own
 * (a memory cgroup child's, or a last-resort one) goes back to the buddy
 * allocator at once.
 *
 * Return: pages given back to the buddy allocator, the second kind only:
 * the chunks' are counted when magpie_heap_release_idle() frees them.
 */
unsigned long magpie_central_release_empty(struct magpie_cache *cache,
					   unsigned long min_idle)
{
	struct magpie_central *central = &cache->central;
	struct magpie_kspan *ks, *tmp;
	unsigned long flags, pages = 0;
	LIST_HEAD(victims);

	spin_lock_irqsave(&central->lock, flags);
	central->lock_count++;
	list_for_each_entry_safe(ks, tmp, &central->empty, node) {
		if (min_idle && time_before(jiffies, ks->empty_since + min_idle))
			continue;
		list_move(&ks->node, &victims);
		central->nr_empty--;
		central->nr_spans--;
		central->free_objects -= ks->s.nelems;
	}
	spin_unlock_irqrestore(&central->lock, flags);
	list_for_each_entry_safe(ks, tmp, &victims, node)
		pages += magpie_kspan_free(ks);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_central_release_empty);

/**
 * magpie_central_check_out() - whether @obj is an object of @cache now out
 * @cache: the cache
 * @obj: a pointer into memory of the page heap (magpie_heap_contains())
 *
 * Return: 0 when @obj is the start of an allocated object of @cache,
 * -EXDEV when it belongs to another cache or to no span, -EFAULT when it
 * is not the start of an object, -EALREADY when the object is free.
 */
int magpie_central_check_out(struct magpie_cache *cache, const void *obj)
{
	struct magpie_kspan *ks = magpie_heap_owner(obj);
	unsigned long flags;
	int idx, ret = 0;

	if (!ks || ks->cache != cache)
		return -EXDEV;
	spin_lock_irqsave(&cache->central.lock, flags);
	idx = magpie_span_index(&ks->s, (uintptr_t)obj);
	if (idx < 0)
		ret = -EFAULT;
	else if (!(ks->s.alloc_bits[idx / 64] & (1ULL << (idx % 64))))
		ret = -EALREADY;
	spin_unlock_irqrestore(&cache->central.lock, flags);
	return ret;
}

/**
 * magpie_central_objects_out() - objects of the cache not free in a span
 * @cache: the cache
 *
 * Objects in magazines count as out; drain them first for a leak count.
 *
 * Return: the number of objects.
 */
unsigned long magpie_central_objects_out(struct magpie_cache *cache)
{
	struct magpie_central *central = &cache->central;
	unsigned long flags, out;

	spin_lock_irqsave(&central->lock, flags);
	out = central->nr_spans * magpie_sizeclasses[cache->class].nobjs -
	      central->free_objects;
	spin_unlock_irqrestore(&central->lock, flags);
	return out;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_central_objects_out);
