/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of a magpie cache, shared by cache.c (per-CPU front end),
 * central.c (span lists), reap.c (memory return), memcg.c (cgroup
 * children) and cache_proc.c.
 *
 * Lock order (outermost first):
 *   magpie_cache.children_mutex  making one cache's memcg children
 *   magpie_caches_mutex       the list of caches (create/destroy/reap/proc)
 *   magpie_central.lock       one cache's spans
 *   magpie_heap.lock          the page heap
 * The depot lock (engine/magazine.c) nests inside nothing and takes
 * nothing: magazines leave the depot before their objects go to spans.
 * It is a raw spinlock, since the slow paths trade with the depot under
 * get_cpu_ptr(); the central and heap locks are never taken inside such
 * a section (the same contexts as for kmalloc()'s spinlock_t locks).
 * The central, depot and heap locks are taken with interrupts off, since
 * every path can be reached from interrupt context; the fast path takes
 * no lock at all.
 */
#ifndef _MAGPIE_CACHE_H
#define _MAGPIE_CACHE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "engine/magazine.h"
#include "engine/span.h"
#include "magpie.h"
#include "pageheap.h"

#define MAGPIE_CACHE_NAME_LEN	32

struct magpie_cache;
struct mem_cgroup;

enum magpie_span_list {
	MAGPIE_SPAN_PARTIAL,
	MAGPIE_SPAN_FULL,
	MAGPIE_SPAN_EMPTY,
};

/**
 * struct magpie_kspan - a span and the kernel's bookkeeping around it
 * @s: the engine's span (bitmap, counts) [central lock]
 * @node: link in one of the central lists [central lock]
 * @run: the pages [set once]
 * @cache: the owning cache [set once]
 * @empty_since: jiffies when it last became empty [central lock]
 * @where: which central list holds it [central lock]
 */
struct magpie_kspan {
	struct magpie_span s;
	struct list_head node;
	struct magpie_run run;
	struct magpie_cache *cache;
	unsigned long empty_since;
	enum magpie_span_list where;
};

/**
 * struct magpie_central - one cache's spans (Go's mcentral)
 * @lock: protects everything below and the spans on the lists
 * @partial: spans with objects both out and free
 * @full: spans with every object out
 * @empty: spans with no object out, kept one reap interval before they
 *	go back to the page heap
 * @nr_spans: spans on all three lists
 * @nr_empty: spans on @empty
 * @free_objects: free objects in all spans
 * @lock_count: acquisitions of @lock (statistics)
 */
struct magpie_central {
	spinlock_t lock;	/* documented above */
	struct list_head partial;
	struct list_head full;
	struct list_head empty;
	unsigned long nr_spans;
	unsigned long nr_empty;
	unsigned long free_objects;
	u64 lock_count;
};

/**
 * struct magpie_cpu_cache - one CPU's front end of a cache
 * @pair: loaded and previous magazines [owner: this CPU while @busy]
 * @busy: set while this CPU's code is inside @pair. Code that interrupts
 *	it (softirq, hardirq) sees it set and takes the locked slow path
 *	instead; plain stores with compiler barriers suffice since only this
 *	CPU ever reads or writes it (the local_trylock idea, which 6.1 lacks)
 * @alloc_hits: allocations served by @pair [this CPU]
 * @alloc_misses: allocations that went further [this CPU]
 * @free_hits: frees stored in @pair [this CPU]
 * @free_misses: frees that went further [this CPU]
 * @flush_wanted: the reaper found this CPU idle in this cache; its flush
 *	work hands the magazines back [magpie_caches_mutex]
 * @reap_seen: operations counted at the reaper's last pass
 *	[magpie_caches_mutex]
 */
struct magpie_cpu_cache {
	struct magpie_mag_pair pair;
	u8 busy;
	bool flush_wanted;
	u64 alloc_hits;
	u64 alloc_misses;
	u64 free_hits;
	u64 free_misses;
	u64 reap_seen;
};

/**
 * struct magpie_cache - a named object cache
 * @name: for /proc and reports [set once]
 * @object_size: size asked for at creation [set once]
 * @size: bytes per object, the class size [set once]
 * @align: guaranteed alignment [set once]
 * @class: size class of the spans [set once]
 * @flags: MAGPIE_CACHE_* flags [set once]
 * @ctor: constructor run on each object when its span is made [set once]
 * @free_special: frees cannot take the plain path: a debug cache, or one
 *	with memcg children, whose objects must go back to them [set at
 *	creation, or once before the first child is published]
 * @cpu: per-CPU front ends
 * @depot: shared magazines
 * @central: spans
 * @list: link in magpie_caches [magpie_caches_mutex]
 * @leaked: destroyed with objects still out; kept so they stay valid
 * @debug_reports: findings of debug mode (see debug.c)
 * @parent: for a memcg child, the cache it serves, else NULL [set once]
 * @memcg: for a child, the cgroup its spans are charged to, referenced
 *	[set once]
 * @children: a parent's memcg children by cgroup css id (memcg.c)
 *	[xa_lock; made under @children_mutex]
 * @children_mutex: serialises making children
 */
struct magpie_cache {
	char name[MAGPIE_CACHE_NAME_LEN];
	unsigned int object_size;
	unsigned int size;
	unsigned int align;
	unsigned int class;
	unsigned long flags;
	void (*ctor)(void *obj);
	bool free_special;
	struct magpie_cpu_cache __percpu *cpu;
	struct magpie_depot depot;
	struct magpie_central central;
	struct list_head list;
	bool leaked;
	atomic_long_t debug_reports;
	struct magpie_cache *parent;
	struct mem_cgroup *memcg;
	struct xarray children;
	struct mutex children_mutex;	/* see the kernel-doc above */
};

/* Debug mode's object layout and patterns (debug.c). */
#define MAGPIE_REDZONE		16
#define MAGPIE_POISON_FREE	0x6b
#define MAGPIE_POISON_END	0xa5
#define MAGPIE_REDZONE_BYTE	0xbb

/* debug.c */
bool magpie_debug_all(void);
void magpie_debug_init_object(struct magpie_cache *cache, void *obj);
void *magpie_debug_alloc(struct magpie_cache *cache, gfp_t gfp, unsigned long caller);
bool magpie_debug_free(struct magpie_cache *cache, void *obj, unsigned long caller);

extern struct mutex magpie_caches_mutex;
extern struct list_head magpie_caches;

/* central.c */
struct magpie_kspan *magpie_kspan_alloc(unsigned int npages, gfp_t gfp);
unsigned long magpie_kspan_free(struct magpie_kspan *ks);
void magpie_central_init(struct magpie_central *central);
struct list_head *magpie_central_list(struct magpie_central *central,
				      enum magpie_span_list which);
unsigned int magpie_central_alloc(struct magpie_cache *cache, void **objs,
				  unsigned int nr, gfp_t gfp);
void magpie_central_free(struct magpie_cache *cache, void **objs, unsigned int nr,
			 bool idle);
unsigned long magpie_central_release_empty(struct magpie_cache *cache,
					   unsigned long min_idle);
unsigned long magpie_central_objects_out(struct magpie_cache *cache);
int magpie_central_check_out(struct magpie_cache *cache, const void *obj);

/* cache.c */
struct magpie_cache *magpie_cache_create_child(struct magpie_cache *parent, const char *name,
					       struct mem_cgroup *memcg);
bool magpie_cache_destroy_child(struct magpie_cache *child);
void magpie_cache_drain_cpu(struct magpie_cache *cache, unsigned int cpu);
void magpie_cache_flush_local(struct magpie_cache *cache);
void magpie_cache_drain_depot(struct magpie_cache *cache, bool all);
void magpie_magazine_release(struct magpie_cache *cache, struct magpie_magazine *list);

/* memcg.c */
struct mem_cgroup *magpie_memcg_get_current(void);
void magpie_memcg_flush(void);
struct magpie_cache *magpie_memcg_cache(struct magpie_cache *cache, gfp_t gfp);
bool magpie_memcg_children_destroy(struct magpie_cache *cache);

#endif /* _MAGPIE_CACHE_H */
