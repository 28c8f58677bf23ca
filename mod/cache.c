// SPDX-License-Identifier: GPL-2.0
/*
 * Named caches: creation and destruction, and the per-CPU front end of
 * allocation and free over magazines (fast path), the depot and the
 * central span lists (slow paths).
 *
 * Contexts: process, softirq and hardirq callers may allocate (the latter
 * two with GFP_ATOMIC) and free; NMI callers may not. The fast path
 * disables preemption only: code that interrupts a CPU inside its
 * magazines finds the CPU's busy flag set and goes to the locked central
 * lists instead (see struct magpie_cpu_cache).
 *
 * Debug caches and accounted allocations leave the fast path at its first
 * test: the latter for the child cache of the caller's memory cgroup
 * (memcg.c), whose objects every free of the parent then sends back.
 */
#include <linux/cpumask.h>
#include <linux/kmemleak.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cache.h"
#include "kasan.h"
#include "compat.h"
#include "internal.h"
#include "magpie.h"

/* Serialises cache creation and destruction against walkers of the list. */
struct mutex magpie_caches_mutex = __MUTEX_INITIALIZER(magpie_caches_mutex);
EXPORT_SYMBOL_IF_KUNIT(magpie_caches_mutex);
/* Every live cache [magpie_caches_mutex]. */
LIST_HEAD(magpie_caches);

/* Flags magpie_cache_create() accepts. */
#define MAGPIE_CACHE_VALID_FLAGS	(MAGPIE_CACHE_DEBUG | MAGPIE_CACHE_ACCOUNT)

/* Magazine size of a new cache, and the most contention may grow it to. */
static unsigned int magpie_mag_size(unsigned int size)
{
	if (size <= 256)
		return 32;
	if (size <= 2048)
		return 16;
	return MAGPIE_MAG_SIZE_MIN;
}

/*
 * Claims this CPU's magazines. The flag is only ever read and written by
 * its own CPU, so a plain store suffices; the compiler barrier keeps the
 * magazine accesses after it, so that an interrupt which finds it clear
 * also finds the magazines consistent.
 */
static __always_inline bool magpie_cpu_enter(struct magpie_cpu_cache *pc)
{
	if (READ_ONCE(pc->busy))
		return false;
	WRITE_ONCE(pc->busy, 1);
	barrier();
	return true;
}

static __always_inline void magpie_cpu_leave(struct magpie_cpu_cache *pc)
{
	barrier();
	WRITE_ONCE(pc->busy, 0);
}

/* An empty magazine: from the depot, else a new one. */
static struct magpie_magazine *magpie_mag_get_empty(struct magpie_cache *cache, gfp_t gfp)
{
	struct magpie_magazine *mag;
	u32 size;

	mag = magpie_depot_swap_full_for_empty(&cache->depot, &magpie_magazine_none);
	if (mag)
		return mag;
	size = READ_ONCE(cache->depot.mag_size);
	mag = kmalloc(struct_size(mag, objs, size), magpie_meta_gfp(gfp) | __GFP_NOWARN);
	if (mag) {
		mag->size = size;
		mag->rounds = 0;
	}
	return mag;
}

/*
 * Gives a magazine this CPU no longer holds to the depot; a partly filled
 * one first returns its objects to the spans.
 */
static void magpie_mag_put(struct magpie_cache *cache, struct magpie_magazine *mag)
{
	if (mag == &magpie_magazine_none)
		return;
	if (mag->rounds && mag->rounds < mag->size) {
		magpie_central_free(cache, mag->objs, mag->rounds, false);
		mag->rounds = 0;
	}
	magpie_depot_put(&cache->depot, mag);
}

/**
 * magpie_magazine_release() - free magazines, their objects back to spans
 * @cache: the cache they belong to
 * @list: magazines linked through ->next, known to be idle (reaped or
 *	drained), so spans they empty may go back to the page heap at once
 */
void magpie_magazine_release(struct magpie_cache *cache, struct magpie_magazine *list)
{
	while (list) {
		struct magpie_magazine *next = list->next;

		if (list->rounds)
			magpie_central_free(cache, list->objs, list->rounds, true);
		kfree(list);
		list = next;
	}
}

/* Out of line: keeps the fast path's prologue small. */
static noinline void *magpie_cache_alloc_slow(struct magpie_cache *cache, gfp_t gfp)
{
	struct magpie_magazine *mag;
	struct magpie_cpu_cache *pc;
	void *obj = NULL;
	unsigned int n;

	/* A full magazine from the depot for our empty previous one. */
	pc = get_cpu_ptr(cache->cpu);
	if (magpie_cpu_enter(pc)) {
		pc->alloc_misses++;
		obj = magpie_mag_pop(&pc->pair);
		if (!obj) {
			mag = magpie_depot_swap_empty_for_full(&cache->depot, pc->pair.previous);
			if (mag) {
				pc->pair.previous = pc->pair.loaded;
				pc->pair.loaded = mag;
				obj = magpie_mag_pop(&pc->pair);
			}
		}
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	if (obj)
		return obj;

	/* Fill a magazine from the spans; this may sleep if @gfp allows. */
	mag = magpie_mag_get_empty(cache, gfp);
	if (!mag)
		return magpie_central_alloc(cache, &obj, 1, gfp) ? obj : NULL;
	n = magpie_central_alloc(cache, mag->objs, mag->size, gfp);
	if (!n) {
		magpie_depot_put(&cache->depot, mag);
		return NULL;
	}
	mag->rounds = n;
	obj = mag->objs[--mag->rounds];

	/* Load it if this CPU (maybe another one now) still has nothing. */
	pc = get_cpu_ptr(cache->cpu);
	if (mag->rounds && magpie_cpu_enter(pc)) {
		if (!pc->pair.loaded->rounds)
			swap(pc->pair.loaded, mag);
		else if (!pc->pair.previous->rounds)
			swap(pc->pair.previous, mag);
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	magpie_mag_put(cache, mag);
	return obj;
}

/*
 * Zeroes an object for __GFP_ZERO, init_on_alloc and init_on_free. Objects
 * sit at multiples of their class size (a multiple of 8) from a page, so
 * they are 8-aligned; one of whole 8-byte words up to 64 bytes (the pool's
 * task descriptors, most small caches) takes that many stores. memset()
 * with a size unknown at compile time is a call and a string instruction
 * whose start-up cost dominates at these sizes (and which QEMU's TCG runs
 * an iteration at a time: Documentation/benchmarks.rst, "Zeroing small
 * objects with stores"). Unrolled, not a loop: GCC at -O2 recognises a
 * zeroing loop and emits the string instruction again (rep stos).
 */
static __always_inline void magpie_zero(void *obj, unsigned int size)
{
	u64 *w = obj;

	if (size > 64 || size % sizeof(u64)) {
		memset(obj, 0, size);
		return;
	}
	switch (size / sizeof(u64)) {
	case 8:
		w[7] = 0;
		fallthrough;
	case 7:
		w[6] = 0;
		fallthrough;
	case 6:
		w[5] = 0;
		fallthrough;
	case 5:
		w[4] = 0;
		fallthrough;
	case 4:
		w[3] = 0;
		fallthrough;
	case 3:
		w[2] = 0;
		fallthrough;
	case 2:
		w[1] = 0;
		fallthrough;
	case 1:
		w[0] = 0;
	}
}

static __always_inline void *magpie_post_alloc(struct magpie_cache *cache, void *obj,
					       unsigned int size, gfp_t gfp)
{
	if (unlikely(!obj))
		return NULL;
	if (!(cache->flags & MAGPIE_CACHE_DEBUG))
		magpie_kasan_unpoison(obj, size);
	/* As SLUB: init_on_alloc zeroes unless a constructor owns the contents. */
	if (unlikely(gfp & __GFP_ZERO) || (want_init_on_alloc(0) && !cache->ctor))
		magpie_zero(obj, size);
	kmemleak_alloc(obj, size, 1, gfp);
	return obj;
}

static __always_inline void magpie_pre_free(struct magpie_cache *cache, void *obj,
					    unsigned int size)
{
	kmemleak_free(obj);
	if (unlikely(want_init_on_free()) && !cache->ctor)
		magpie_zero(obj, size);
	magpie_kasan_poison(obj, cache->size);
}

/* The per-CPU magazines, else the slow path; no debug, no accounting. */
static __always_inline void *magpie_cache_alloc_plain(struct magpie_cache *cache, gfp_t gfp)
{
	struct magpie_cpu_cache *pc;
	void *obj = NULL;

	pc = get_cpu_ptr(cache->cpu);
	if (likely(magpie_cpu_enter(pc))) {
		obj = magpie_mag_pop(&pc->pair);
		pc->alloc_hits += !!obj;
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	if (unlikely(!obj))
		obj = magpie_cache_alloc_slow(cache, gfp);
	return magpie_post_alloc(cache, obj, cache->object_size, gfp);
}

/* Whether an allocation must leave the fast path at once. */
static __always_inline bool magpie_alloc_special(struct magpie_cache *cache, gfp_t gfp)
{
	return (cache->flags & (MAGPIE_CACHE_DEBUG | MAGPIE_CACHE_ACCOUNT)) ||
	       (gfp & __GFP_ACCOUNT);
}

/*
 * The cache an allocation really comes from: the memcg child when it is
 * accounted. Clears __GFP_ACCOUNT: a child charges its spans itself, and
 * nothing else of magpie's may be charged to the caller.
 */
static struct magpie_cache *magpie_alloc_route(struct magpie_cache *cache, gfp_t *gfp)
{
	if ((*gfp & __GFP_ACCOUNT) || (cache->flags & MAGPIE_CACHE_ACCOUNT))
		cache = magpie_memcg_cache(cache, *gfp);
	*gfp &= ~__GFP_ACCOUNT;
	return cache;
}

static noinline void *magpie_cache_alloc_special(struct magpie_cache *cache, gfp_t gfp,
						 unsigned long caller)
{
	cache = magpie_alloc_route(cache, &gfp);
	if (cache->flags & MAGPIE_CACHE_DEBUG)
		return magpie_post_alloc(cache, magpie_debug_alloc(cache, gfp, caller),
					 cache->object_size, gfp);
	return magpie_cache_alloc_plain(cache, gfp);
}

/**
 * magpie_cache_alloc() - allocate an object from a cache
 * @cache: the cache
 * @gfp: GFP_KERNEL and friends may sleep to grow the cache; GFP_ATOMIC or
 *	GFP_NOWAIT never sleep (required in softirq and hardirq context).
 *	__GFP_ZERO zeroes the object; __GFP_ACCOUNT charges it to the
 *	caller's memory cgroup (see mod/memcg.c for how and whose).
 *
 * Return: an object aligned as the cache promises, or NULL when memory ran
 * out.
 */
void *magpie_cache_alloc(struct magpie_cache *cache, gfp_t gfp)
{
	if (unlikely(magpie_alloc_special(cache, gfp)))
		return magpie_cache_alloc_special(cache, gfp, _RET_IP_);
	return magpie_cache_alloc_plain(cache, gfp);
}
EXPORT_SYMBOL_GPL(magpie_cache_alloc);

static noinline void magpie_cache_free_slow(struct magpie_cache *cache, void *obj)
{
	struct magpie_magazine *mag;
	struct magpie_cpu_cache *pc;
	bool done = false;
	u32 size;

	/* An empty magazine from the depot for our full previous one. */
	pc = get_cpu_ptr(cache->cpu);
	if (magpie_cpu_enter(pc)) {
		pc->free_misses++;
		done = magpie_mag_push(&pc->pair, obj);
		if (!done) {
			mag = magpie_depot_swap_full_for_empty(&cache->depot, pc->pair.previous);
			if (mag) {
				pc->pair.previous = pc->pair.loaded;
				pc->pair.loaded = mag;
				done = magpie_mag_push(&pc->pair, obj);
			}
		}
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	if (done)
		return;

	/* Frees never sleep: a new magazine only if one comes without reclaim. */
	/* One read: the reaper may grow the size meanwhile. */
	size = READ_ONCE(cache->depot.mag_size);
	mag = kmalloc(struct_size(mag, objs, size), GFP_NOWAIT | __GFP_NOWARN);
	if (!mag) {
		magpie_central_free(cache, &obj, 1, false);
		return;
	}
	mag->size = size;
	mag->rounds = 1;
	mag->objs[0] = obj;
	pc = get_cpu_ptr(cache->cpu);
	if (magpie_cpu_enter(pc)) {
		/* Our previous (full, or none) leaves; loaded becomes previous. */
		if (pc->pair.loaded->rounds == pc->pair.loaded->size) {
			swap(pc->pair.previous, pc->pair.loaded);
			swap(pc->pair.loaded, mag);
		}
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	magpie_mag_put(cache, mag);
}

/* Into the per-CPU magazines, else the slow path; not for debug caches. */
static __always_inline void magpie_cache_free_plain(struct magpie_cache *cache, void *obj)
{
	struct magpie_cpu_cache *pc;
	bool done = false;

	magpie_pre_free(cache, obj, cache->object_size);
	pc = get_cpu_ptr(cache->cpu);
	if (likely(magpie_cpu_enter(pc))) {
		done = magpie_mag_push(&pc->pair, obj);
		pc->free_hits += done;
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	if (unlikely(!done))
		magpie_cache_free_slow(cache, obj);
}

/*
 * The cache @obj really belongs to: one of @cache's memcg children, or
 * @cache. In debug mode the page is checked to be magpie's first, so a
 * foreign pointer reaches the debug checks instead of a wild read.
 */
static struct magpie_cache *magpie_free_route(struct magpie_cache *cache, void *obj)
{
	struct magpie_kspan *ks;

	if (xa_empty(&cache->children))
		return cache;
	if ((cache->flags & MAGPIE_CACHE_DEBUG) && !magpie_heap_contains(obj))
		return cache;
	ks = magpie_heap_owner(obj);
	return ks && ks->cache->parent == cache ? ks->cache : cache;
}

static noinline void magpie_cache_free_special(struct magpie_cache *cache, void *obj,
					       unsigned long caller)
{
	cache = magpie_free_route(cache, obj);
	if (cache->flags & MAGPIE_CACHE_DEBUG) {
		magpie_debug_free(cache, obj, caller);
		return;
	}
	magpie_cache_free_plain(cache, obj);
}

/**
 * magpie_cache_free() - return an object to its cache
 * @cache: the cache it was allocated from
 * @obj: the object; may be freed on any CPU and in any context but NMI
 */
void magpie_cache_free(struct magpie_cache *cache, void *obj)
{
	if (unlikely(READ_ONCE(cache->free_special)))
		magpie_cache_free_special(cache, obj, _RET_IP_);
	else
		magpie_cache_free_plain(cache, obj);
}
EXPORT_SYMBOL_GPL(magpie_cache_free);

/**
 * magpie_cache_alloc_bulk() - allocate several objects at once
 * @cache: the cache
 * @gfp: as for magpie_cache_alloc()
 * @nr: how many
 * @objs: where they go
 *
 * All or nothing, as kmem_cache_alloc_bulk().
 *
 * Return: @nr, or 0 when not all could be had (none is kept then).
 */
int magpie_cache_alloc_bulk(struct magpie_cache *cache, gfp_t gfp, size_t nr, void **objs)
{
	struct magpie_cpu_cache *pc;
	size_t i = 0;
	void *obj;

	if (unlikely(magpie_alloc_special(cache, gfp)))
		cache = magpie_alloc_route(cache, &gfp);
	if (unlikely(cache->flags & MAGPIE_CACHE_DEBUG)) {
		for (i = 0; i < nr; i++) {
			objs[i] = magpie_debug_alloc(cache, gfp, _RET_IP_);
			if (!objs[i]) {
				while (i--)
					magpie_debug_free(cache, objs[i], _RET_IP_);
				return 0;
			}
		}
		for (i = 0; i < nr; i++)
			magpie_post_alloc(cache, objs[i], cache->object_size, gfp);
		return nr;
	}
	pc = get_cpu_ptr(cache->cpu);
	if (likely(magpie_cpu_enter(pc))) {
		while (i < nr && (obj = magpie_mag_pop(&pc->pair)))
			objs[i++] = obj;
		pc->alloc_hits += i;
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	while (i < nr) {
		unsigned int want = min_t(size_t, nr - i, UINT_MAX);
		unsigned int got = magpie_central_alloc(cache, objs + i, want, gfp);

		i += got;
		if (got < want) {
			/* Never handed out: straight back, no free hooks. */
			magpie_central_free(cache, objs, i, false);
			return 0;
		}
	}
	for (i = 0; i < nr; i++)
		magpie_post_alloc(cache, objs[i], cache->object_size, gfp);
	return nr;
}
EXPORT_SYMBOL_GPL(magpie_cache_alloc_bulk);

/**
 * magpie_cache_free_bulk() - free several objects of one cache at once
 * @cache: the cache
 * @nr: how many
 * @objs: the objects
 */
void magpie_cache_free_bulk(struct magpie_cache *cache, size_t nr, void **objs)
{
	struct magpie_cpu_cache *pc;
	size_t i = 0, j;

	if (unlikely(READ_ONCE(cache->free_special))) {
		/* Each may belong to another child, or need the debug checks. */
		for (j = 0; j < nr; j++)
			magpie_cache_free_special(cache, objs[j], _RET_IP_);
		return;
	}
	for (j = 0; j < nr; j++)
		magpie_pre_free(cache, objs[j], cache->object_size);
	pc = get_cpu_ptr(cache->cpu);
	if (likely(magpie_cpu_enter(pc))) {
		while (i < nr && magpie_mag_push(&pc->pair, objs[i]))
			i++;
		pc->free_hits += i;
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	while (i < nr) {
		unsigned int n = min_t(size_t, nr - i, UINT_MAX);

		magpie_central_free(cache, objs + i, n, false);
		i += n;
	}
}
EXPORT_SYMBOL_GPL(magpie_cache_free_bulk);

/* The smallest class that holds @size bytes at a multiple of @align. */
static unsigned int magpie_class_for(unsigned int size, unsigned int align)
{
	unsigned int class = magpie_size_to_class(ALIGN(size, align));

	for (; class && class < MAGPIE_NR_SIZECLASSES; class++)
		if (magpie_sizeclasses[class].size % align == 0)
			return class;
	return 0;
}

/* A cache, checked arguments; on the list of caches once made. */
static struct magpie_cache *magpie_cache_new(const char *name, unsigned int size,
					     unsigned int class, unsigned int align,
					     unsigned long flags, void (*ctor)(void *obj))
{
	struct magpie_cache *cache;
	unsigned int cpu, mag;

	cache = kzalloc_obj(*cache, GFP_KERNEL);
	if (!cache)
		return ERR_PTR(-ENOMEM);
	cache->cpu = alloc_percpu(struct magpie_cpu_cache);
	if (!cache->cpu) {
		kfree(cache);
		return ERR_PTR(-ENOMEM);
	}
	strscpy(cache->name, name, sizeof(cache->name));
	cache->object_size = size;
	cache->class = class;
	cache->size = magpie_sizeclasses[class].size;
	cache->align = align;
	cache->flags = flags;
	cache->free_special = flags & MAGPIE_CACHE_DEBUG;
	cache->ctor = ctor;
	xa_init_flags(&cache->children, XA_FLAGS_LOCK_IRQ);
	mutex_init(&cache->children_mutex);
	for_each_possible_cpu(cpu)
		magpie_mag_pair_init(&per_cpu_ptr(cache->cpu, cpu)->pair);
	mag = magpie_mag_size(cache->size);
	magpie_depot_init(&cache->depot, mag, MAGPIE_MAG_SIZE_MAX);
	magpie_central_init(&cache->central);

	mutex_lock(&magpie_caches_mutex);
	list_add_tail(&cache->list, &magpie_caches);
	mutex_unlock(&magpie_caches_mutex);
	return cache;
}

/*
 * A name is one field of /proc/magpie/caches: 1 to 31 characters that may
 * stand there as themselves, not starting with '#' (a header).
 */
static bool magpie_cache_name_ok(const char *name)
{
	size_t i, len;

	if (!name)
		return false;
	len = strnlen(name, MAGPIE_CACHE_NAME_LEN);
	if (!len || len >= MAGPIE_CACHE_NAME_LEN || name[0] == '#')
		return false;
	for (i = 0; i < len; i++)
		if (!magpie_proc_field_char(name[i]))
			return false;
	return true;
}

/**
 * magpie_cache_create() - create a named object cache
 * @name: name shown in /proc/magpie/caches: 1 to 31 printable ASCII
 *	characters without spaces or backslashes, not starting with '#'
 *	(copied)
 * @size: object size, 1 .. MAGPIE_MAX_SMALL_SIZE (32 KiB)
 * @align: 0 for the natural alignment (8 bytes, or the size when it is a
 *	power of two up to the page size), or a power of two up to PAGE_SIZE
 * @flags: 0 or MAGPIE_CACHE_* flags (see mod/magpie.h)
 * @ctor: called on every object when its span is made, not on each
 *	allocation: objects keep their constructed state while free (as SLUB)
 *
 * Context: process context, may sleep.
 * Return: the cache, or ERR_PTR(-EINVAL) for bad arguments, or
 * ERR_PTR(-ENOMEM).
 */
struct magpie_cache *magpie_cache_create(const char *name, unsigned int size,
					 unsigned int align, unsigned long flags,
					 void (*ctor)(void *obj))
{
	unsigned int class;

	might_sleep();
	if (!magpie_cache_name_ok(name) || !size || size > MAGPIE_MAX_SMALL_SIZE ||
	    (align && !is_power_of_2(align)) || align > PAGE_SIZE ||
	    (flags & ~MAGPIE_CACHE_VALID_FLAGS))
		return ERR_PTR(-EINVAL);
	if (!align)
		align = is_power_of_2(size) && size <= PAGE_SIZE ? size : 8;
	align = max(align, 8U);
	if (magpie_debug_all())
		flags |= MAGPIE_CACHE_DEBUG;
	/*
	 * Debug mode puts a red zone after each object; objects too large
	 * for one more (the 32 KiB class) go without.
	 */
	class = 0;
	if (flags & MAGPIE_CACHE_DEBUG)
		class = magpie_class_for(ALIGN(size, 8) + MAGPIE_REDZONE, align);
	if (!class)
		class = magpie_class_for(size, align);
	if (!class)
		return ERR_PTR(-EINVAL);
	return magpie_cache_new(name, size, class, align, flags, ctor);
}
EXPORT_SYMBOL_GPL(magpie_cache_create);

/**
 * magpie_cache_create_child() - make a cache's child for a memory cgroup
 * @parent: the cache
 * @name: the child's name
 * @memcg: the cgroup; the caller's reference passes to the child
 *
 * Context: process context, may sleep.
 * Return: the child, or ERR_PTR(-ENOMEM).
 */
struct magpie_cache *magpie_cache_create_child(struct magpie_cache *parent, const char *name,
					       struct mem_cgroup *memcg)
{
	struct magpie_cache *child;

	child = magpie_cache_new(name, parent->object_size, parent->class, parent->align,
				 parent->flags & ~MAGPIE_CACHE_ACCOUNT, parent->ctor);
	if (IS_ERR(child))
		return child;
	child->memcg = memcg;
	child->parent = parent;
	return child;
}

/**
 * magpie_cache_drain_cpu() - move a CPU's magazines to the depot
 * @cache: the cache
 * @cpu: the CPU; it must not be using the cache (offline, or the cache is
 *	being destroyed)
 */
void magpie_cache_drain_cpu(struct magpie_cache *cache, unsigned int cpu)
{
	struct magpie_cpu_cache *pc = per_cpu_ptr(cache->cpu, cpu);

	magpie_mag_put(cache, pc->pair.loaded);
	magpie_mag_put(cache, pc->pair.previous);
	magpie_mag_pair_init(&pc->pair);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_cache_drain_cpu);

/**
 * magpie_cache_flush_local() - move this CPU's magazines to the depot
 * @cache: the cache
 *
 * Unlike magpie_cache_drain_cpu() this is safe while the CPU uses the
 * cache: it takes the pair as the fast path does, and does nothing if it
 * interrupted this CPU inside it.
 *
 * Context: process context, on the CPU to flush (its per-CPU work).
 */
void magpie_cache_flush_local(struct magpie_cache *cache)
{
	struct magpie_mag_pair taken;
	struct magpie_cpu_cache *pc;

	magpie_mag_pair_init(&taken);
	pc = get_cpu_ptr(cache->cpu);
	if (magpie_cpu_enter(pc)) {
		swap(taken, pc->pair);
		magpie_cpu_leave(pc);
	}
	put_cpu_ptr(cache->cpu);
	magpie_mag_put(cache, taken.loaded);
	magpie_mag_put(cache, taken.previous);
}

/**
 * magpie_cache_drain_depot() - return the depot's objects to the spans
 * @cache: the cache
 * @all: every magazine, or only those unused for a whole reap interval
 */
void magpie_cache_drain_depot(struct magpie_cache *cache, bool all)
{
	struct magpie_magazine *batch;
	struct magpie_depot_reap reap;

	magpie_depot_reap_start(&cache->depot, all, &reap);
	while ((batch = magpie_depot_reap_batch(&cache->depot, &reap)))
		magpie_magazine_release(cache, batch);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_cache_drain_depot);

/* Off the list of caches; a leaked cache left it already. */
static void magpie_cache_unlist(struct magpie_cache *cache)
{
	if (cache->leaked)
		return;
	mutex_lock(&magpie_caches_mutex);
	list_del(&cache->list);
	mutex_unlock(&magpie_caches_mutex);
}

/* A cache destroyed with objects out stays, so that they stay valid. */
static void magpie_cache_keep(struct magpie_cache *cache)
{
	cache->leaked = true;
	/* Deliberately kept: not a leak for kmemleak to report. */
	kmemleak_not_leak(cache);
}

/* Frees a cache nobody uses, unless objects are out: false then. */
static bool magpie_cache_teardown(struct magpie_cache *cache)
{
	unsigned long out;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		magpie_cache_drain_cpu(cache, cpu);
	magpie_cache_drain_depot(cache, true);
	magpie_central_release_empty(cache, 0);
	out = magpie_central_objects_out(cache);
	if (out) {
		pr_err("magpie: cache %s destroyed with %lu objects remaining; its %lu spans are leaked\n",
		       cache->name, out, cache->central.nr_spans);
		magpie_cache_keep(cache);
		return false;
	}
	mem_cgroup_put(cache->memcg);	/* a child's; NULL otherwise */
	xa_destroy(&cache->children);
	free_percpu(cache->cpu);
	kfree(cache);
	return true;
}

/**
 * magpie_cache_destroy() - destroy a cache
 * @cache: the cache, or NULL or an error pointer (ignored)
 *
 * Nobody may use the cache any more. If objects are still allocated they
 * are reported ("objects remaining", as SLUB) and the cache's memory is
 * leaked rather than freed under them; freeing them and calling this
 * again then finishes the job.
 *
 * Context: process context, may sleep.
 */
void magpie_cache_destroy(struct magpie_cache *cache)
{
	if (IS_ERR_OR_NULL(cache))
		return;
	might_sleep();
	magpie_cache_unlist(cache);
	if (!magpie_memcg_children_destroy(cache)) {
		pr_err("magpie: cache %s destroyed while a memcg child has objects out; it is kept\n",
		       cache->name);
		magpie_cache_keep(cache);
		return;
	}
	magpie_cache_teardown(cache);
}
EXPORT_SYMBOL_GPL(magpie_cache_destroy);

/**
 * magpie_cache_destroy_child() - destroy a memcg child with its parent
 * @child: the child
 *
 * Return: true when it is gone, false when it has objects out and was
 * kept (and reported).
 */
bool magpie_cache_destroy_child(struct magpie_cache *child)
{
	magpie_cache_unlist(child);
	return magpie_cache_teardown(child);
}
