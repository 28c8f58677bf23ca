/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userlib internals: the arena's process-private state, the per-page
 * records of the metadata area, span descriptors, and the interfaces
 * between the page heap (pageheap.c), the central lists (central.c), the
 * thread caches (tcache.c) and the public calls (arena.c, alloc.c).
 *
 * Arena layout (offsets from the start of the mapping):
 *   header page      struct magpie_arena_header
 *   metadata area    struct mgp_page per data page (16 bytes)
 *   data area        [descriptor pages][heap pages]
 * The descriptor pages hold one struct mgp_span_desc per heap page, used
 * only when a span starts at that page, so page -> span is O(1) and no
 * descriptor ever moves. Metadata holds page numbers, never pointers.
 *
 * Locks, outermost first (a thread holds at most one class lock):
 *   mgp_arena.tc_lock    the arena's list of thread caches
 *   mgp_central.lock     a class's partial list and the descriptors it owns
 *   mgp_arena.heap_lock  the page records, free and cached runs, heap counters
 * A thread cache itself is touched only by its thread, except after fork
 * and at close, when no other thread may run.
 */
#ifndef _MAGPIE_USERLIB_INTERNAL_H
#define _MAGPIE_USERLIB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../mod/engine/platform.h"
#include "../../mod/engine/sizeclass.h"
#include "../../mod/engine/span.h"
#include "../../mod/engine/magazine.h"
#include "../../uapi/linux/magpie.h"
#include "../include/libmagpie.h"
#include "os.h"

#define MGP_API			__attribute__((visibility("default")))

#define MGP_PAGE_SHIFT		12
#define MGP_PAGE_SIZE		MAGPIE_SIZECLASS_PAGE_SIZE
#define MGP_NIL			0xffffffffu
#define MGP_ARENA_MAGIC		0x6d677061u	/* "mgpa": a live struct mgp_arena */

MAGPIE_STATIC_ASSERT(MGP_PAGE_SIZE == 1 << MGP_PAGE_SHIFT, "page shift");
MAGPIE_STATIC_ASSERT(MAGPIE_NR_SIZECLASSES <= MGP_STATS_CLASSES, "stats arrays");
MAGPIE_STATIC_ASSERT(sizeof(struct magpie_arena_header) <= MGP_PAGE_SIZE, "header page");

/* Pages that @bytes take, rounded up; @bytes must not be near 2^64. */
static inline u64 mgp_pages(u64 bytes)
{
	return (bytes + MGP_PAGE_SIZE - 1) >> MGP_PAGE_SHIFT;
}

/* What a page record says about its page. */
enum mgp_page_state {
	MGP_PG_NONE = 0,	/* never part of a run (descriptor pages) */
	MGP_PG_TAIL,		/* a page after the first of a run: ->next is the head */
	MGP_PG_SPAN_TAIL,	/* a later page of a live span: ->next, ->class */
	MGP_PG_FREE,		/* head of a free run in the heap */
	MGP_PG_CACHED,		/* head of a free run kept backed for reuse */
	MGP_PG_SPAN,		/* head of a span of class ->class */
	MGP_PG_LARGE,		/* head of a run holding one large object */
};

/**
 * struct mgp_page - the metadata record of one data page
 * @state: enum mgp_page_state
 * @class: SPAN, SPAN_TAIL: the size class; FREE: 1 when the run may hold
 *	non-zero bytes
 * @stamp: CACHED: the millisecond clock (mod 2^16) when it was cached
 * @npages: heads: the run's length
 * @next: FREE and CACHED heads: next run on the list; TAILs: the head
 * @prev: FREE and CACHED heads: previous run on the list
 *
 * Only heads of current runs carry a head state: a head absorbed by a
 * merge becomes a TAIL. Every page after the first of a live span is a
 * SPAN_TAIL naming its head and class, and the last page of every other
 * run a TAIL naming its head. A SPAN_TAIL is never stale: a span's tails
 * become TAILs when its run is freed, so a free finds an object's span
 * and class in its page's record alone (fastpath.h). Any other TAIL may
 * be stale, which is why a lookup checks that the head it names is a head
 * whose run covers the page. Written under the heap lock; @state, @class, @npages
 * and @next are also read without it, so every access is a relaxed atomic
 * (see mgp_lookup() for why relaxed is enough).
 */
struct mgp_page {
	u8 state;
	u8 class;
	u16 stamp;
	u32 npages;
	u32 next;
	u32 prev;
};

MAGPIE_STATIC_ASSERT(sizeof(struct mgp_page) == MAGPIE_ARENA_META_PER_PAGE, "page record");

/**
 * struct mgp_span_desc - a span's descriptor, at the index of its head page
 * @span: the engine's span; @span.base is the arena offset of object 0
 * @next: next span on the class's partial list (head page), MGP_NIL at the end
 * @prev: previous one, MGP_NIL at the front
 * @owner: class + 1 while the span is live, 0 otherwise (relaxed atomic:
 *	changed only under the owning class's lock, see mgp_central_put())
 * @on_partial: 1 while on the partial list
 */
struct mgp_span_desc {
	alignas(64) struct magpie_span span;
	u32 next;
	u32 prev;
	u32 owner;
	u32 on_partial;
};

/**
 * struct mgp_central - one size class's spans with free objects
 * @lock: protects @partial, @nr_spans and every descriptor whose owner is
 *	this class
 * @partial: head page of the first span with free objects, or MGP_NIL
 * @nr_spans: live spans of the class
 */
struct mgp_central {
	alignas(64) pthread_mutex_t lock;
	u32 partial;
	u32 nr_spans;
};

/* Cached runs are kept on lists by length: 1..MGP_CACHE_EXACT pages, and longer. */
#define MGP_CACHE_EXACT		16
#define MGP_CACHE_LISTS		(MGP_CACHE_EXACT + 1)
/* Free runs: exact lists for 1..MGP_HEAP_EXACT pages, one list above. */
#define MGP_HEAP_EXACT		63
#define MGP_HEAP_LISTS		(MGP_HEAP_EXACT + 1)

/**
 * struct mgp_class_geom - where the objects of a size class start in a span
 * @div: ceil(2^64 / object size): an offset @rel below 2^32 is a multiple
 *	of the size exactly when @rel * @div (mod 2^64) < @div (Lemire, Kaser
 *	and Kurz, "Faster remainder by direct computation", 2019)
 * @end: bytes of the span its objects cover, nobjs * size
 */
struct mgp_class_geom {
	u64 div;
	u32 end;
	u32 pad;
};

struct mgp_tcache;

/**
 * struct mgp_arena - an arena's process-private state (its own mapping)
 *
 * Set at create and read-only afterwards: @magic .. @cache_limit, except
 * @pressure_seen.
 * Under @heap_lock: @free_head .. @hwm.
 * Relaxed atomics, any thread: @pressure_seen and the counters after @hwm.
 */
struct mgp_arena {
	/* What the fast paths read, in the first cache line. */
	u32 magic;
	u32 nr_pages;		/* data pages */
	u32 heap_first;		/* first heap page (after the descriptors) */
	u32 cache_ms;
	u64 gen;		/* unique per arena ever made in this process */
	u64 secret;		/* double-free key: see mgp_free_key() */
	char *data;		/* the data area */
	struct mgp_page *pages;
	struct magpie_arena_header *hdr;
	u64 pressure_seen;
	struct mgp_class_geom geom[MAGPIE_NR_SIZECLASSES];
	char *base;		/* the mapping */
	struct mgp_span_desc *descs;	/* indexed by page - heap_first */
	struct mgp_os os;
	pthread_key_t tc_key;
	u64 cache_limit;

	pthread_mutex_t heap_lock;
	u32 free_head[MGP_HEAP_LISTS];	/* [0]: runs above MGP_HEAP_EXACT pages */
	u64 free_bits;			/* bit n: free_head[n] non-empty */
	u32 cached_head[MGP_CACHE_LISTS];	/* newest first */
	u32 cached_tail[MGP_CACHE_LISTS];
	u64 cached_bytes;
	u64 in_use_pages;
	u32 hwm;			/* pages below this were carved at least once */

	u64 bytes_released;
	u64 releases;
	u64 large_objects;
	u64 bad_frees;
	u64 double_frees;
	u64 nr_tcaches;

	pthread_mutex_t tc_lock;
	struct mgp_tcache *tcaches;
	struct mgp_arena *next_arena;	/* all arenas, under mgp_arenas_lock */

	struct mgp_central central[MAGPIE_NR_SIZECLASSES];
};

/* Relaxed accessors of the shared header and the counters. */
#define mgp_load(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define mgp_store(p, v)		__atomic_store_n(p, v, __ATOMIC_RELAXED)
#define mgp_add(p, v)		__atomic_fetch_add(p, v, __ATOMIC_RELAXED)
#define mgp_sub(p, v)		__atomic_fetch_sub(p, v, __ATOMIC_RELAXED)

/* Whether @a is a live arena (a device arena whose fork copy failed is not). */
static inline bool mgp_arena_ok(const struct mgp_arena *a)
{
	return a && a->magic == MGP_ARENA_MAGIC;
}

static inline char *mgp_page_addr(const struct mgp_arena *a, u32 page)
{
	return a->data + ((size_t)page << MGP_PAGE_SHIFT);
}

static inline struct mgp_span_desc *mgp_desc(const struct mgp_arena *a, u32 head)
{
	return &a->descs[head - a->heap_first];
}

/*
 * The free key: the first word of every free small object (all classes
 * hold 8 bytes) while the object is free, cleared when it is handed out.
 * It depends on the address and a random per-arena secret, so program data
 * matches it only by writing a freed object's word to that same address.
 */
static inline u64 mgp_free_key(const struct mgp_arena *a, const void *obj)
{
	return a->secret ^ (uintptr_t)obj;
}

/**
 * struct mgp_ref - what a pointer refers to, from mgp_lookup()
 * @head: head page of the run
 * @state: MGP_PG_SPAN or MGP_PG_LARGE
 * @class: the size class (0 for large)
 * @npages: the run's length
 */
struct mgp_ref {
	u32 head;
	u32 state;
	u32 class;
	u32 npages;
};

int mgp_lookup(struct mgp_arena *a, const void *ptr, struct mgp_ref *ref);

/* pageheap.c */
void mgp_heap_init(struct mgp_arena *a);
u32 mgp_heap_alloc(struct mgp_arena *a, u32 npages, u32 align_pages, u8 state,
		   u8 class, bool *clean);
void mgp_heap_free(struct mgp_arena *a, u32 head);
int mgp_heap_free_large(struct mgp_arena *a, u32 head);
void mgp_heap_release_cached(struct mgp_arena *a, bool pressure);
void mgp_heap_check_pressure_slow(struct mgp_arena *a, u64 epoch);
u64 mgp_heap_in_use(struct mgp_arena *a, u32 *hwm);
bool mgp_heap_may_back(const struct mgp_arena *a, u64 npages);

/*
 * Whether the kernel raised the pressure epoch since this process last
 * answered. A relaxed load is enough: the epoch is a hint, and a late look
 * only answers one call later.
 */
static inline bool mgp_heap_pressure_pending(const struct mgp_arena *a)
{
	return mgp_load(&a->hdr->pressure_epoch) != mgp_load(&a->pressure_seen);
}

/*
 * Answers a pending epoch: every call checks, the fast paths by leaving
 * it to their slow paths. One load of the epoch, which the answer names.
 */
static inline void mgp_heap_check_pressure(struct mgp_arena *a)
{
	u64 epoch = mgp_load(&a->hdr->pressure_epoch);

	if (unlikely(epoch != mgp_load(&a->pressure_seen)))
		mgp_heap_check_pressure_slow(a, epoch);
}

/* central.c */
void mgp_central_init(struct mgp_arena *a);
unsigned int mgp_central_take(struct mgp_arena *a, unsigned int class,
			      void **objs, unsigned int nr);
void mgp_central_put(struct mgp_arena *a, unsigned int class, void **objs,
		     unsigned int nr);
int mgp_central_free_one(struct mgp_arena *a, unsigned int class, void *obj);

/* tcache.c */
void mgp_tcache_destructor(void *arg);
struct mgp_tcache *mgp_tcache_get(struct mgp_arena *a);
void *mgp_tcache_alloc(struct mgp_tcache *tc, unsigned int class);
bool mgp_tcache_push(struct mgp_tcache *tc, unsigned int class, void *obj);
void mgp_tcache_flush_mine(struct mgp_arena *a);
void mgp_tcache_destroy_all(struct mgp_arena *a, bool keep_mine);

/* arena.c: the fork handlers walk every arena */
void mgp_arena_fork_prepare(struct mgp_arena *a);
void mgp_arena_fork_parent(struct mgp_arena *a);
void mgp_arena_fork_child(struct mgp_arena *a);

#endif /* _MAGPIE_USERLIB_INTERNAL_H */
