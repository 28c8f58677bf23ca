/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inline fast paths of allocation and free, shared by the API
 * (alloc.c) and the C allocation functions (malloc.c): a small object
 * from or to the calling thread's loaded magazine, with the pointer and
 * its free key checked as the slow path checks them, and no call, lock or
 * atomic read-modify-write. Anything else (no thread cache yet, an empty
 * or full magazine, a large object, a bad pointer, a pressure epoch to
 * answer) returns "not done" and the caller takes the out-of-line path,
 * which decides and reports. Callers keep that path a tail call, so the
 * fast path needs no stack frame.
 *
 * Also the lookup helpers the slow paths build on: the run covering a
 * page (pageheap.c's stale-record rules) and an object's index in a span.
 */
#ifndef _MAGPIE_USERLIB_FASTPATH_H
#define _MAGPIE_USERLIB_FASTPATH_H

#include "internal.h"

/**
 * struct mgp_tcache - one thread's cache of one arena
 * @arena: the arena
 * @next: next cache of the arena (a->tcaches, under a->tc_lock)
 * @prev: previous one
 * @bytes: length of this mapping (the magazines follow the struct)
 * @pair: loaded and previous magazine per class
 */
struct mgp_tcache {
	struct mgp_arena *arena;
	struct mgp_tcache *next;
	struct mgp_tcache *prev;
	size_t bytes;
	struct magpie_mag_pair pair[MAGPIE_NR_SIZECLASSES];
};

/*
 * The last cache this thread used (tcache.c), found without
 * pthread_getspecific(). Keyed by the arena's generation, not its address:
 * a closed arena's address may come back for a new one, its generation
 * never does; generation 0 is "none".
 */
struct mgp_tc_memo {
	u64 gen;
	struct mgp_tcache *tc;
};

/*
 * One variable, not two: a shared library reaches each initial-exec
 * variable through its own GOT entry, a load more per variable.
 */
extern __thread struct mgp_tc_memo mgp_tc_memo __attribute__((tls_model("initial-exec")));

/* The calling thread's cache of @a if it is the one remembered, else NULL. */
static inline struct mgp_tcache *mgp_tcache_remembered(const struct mgp_arena *a)
{
	return likely(mgp_tc_memo.gen == a->gen) ? mgp_tc_memo.tc : NULL;
}

/*
 * The head of the run holding page @p (< a->nr_pages), or MGP_NIL when
 * @p's record names no current run that covers it: a TAIL record may be
 * stale (struct mgp_page), so the head it names must be a head in range
 * whose run reaches @p. *@state: the head's state.
 */
static inline u32 mgp_run_head_state(const struct mgp_arena *a, u32 p, u8 *state)
{
	const struct mgp_page *rec = &a->pages[p];
	u8 st = mgp_load(&rec->state);
	u32 h = p;

	if (st == MGP_PG_TAIL || st == MGP_PG_SPAN_TAIL) {
		h = mgp_load(&rec->next);
		if (h >= a->nr_pages)
			return MGP_NIL;
		rec = &a->pages[h];
		st = mgp_load(&rec->state);
	}
	if (h < a->heap_first || st < MGP_PG_FREE || p - h >= mgp_load(&rec->npages))
		return MGP_NIL;
	*state = st;
	return h;
}

static inline u32 mgp_run_head(const struct mgp_arena *a, u32 p)
{
	u8 state;

	return mgp_run_head_state(a, p, &state);
}

/* Whether an object of @class starts @rel bytes into its span. */
static inline bool mgp_object_start(const struct mgp_arena *a, unsigned int class, uintptr_t rel)
{
	const struct mgp_class_geom *g = &a->geom[class];

	/* Below @end, hence below 2^32 as the divisibility test needs. */
	return rel < g->end && (u64)rel * g->div < g->div;
}

/*
 * The class that @rec, a page record of a live span (its head's or a
 * SPAN_TAIL), names when an object of it starts @rel bytes into the span,
 * else 0.
 */
static inline unsigned int mgp_span_object_class(const struct mgp_arena *a,
						 const struct mgp_page *rec, uintptr_t rel)
{
	unsigned int c = mgp_load(&rec->class);

	if (unlikely(!c || c >= MAGPIE_NR_SIZECLASSES || !mgp_object_start(a, c, rel)))
		return 0;
	return c;
}

/*
 * The size class of @p when it is the start of an object in a live span of
 * @a, else 0 (anything else: the slow path's mgp_lookup() tells what).
 * One record and the class's geometry: a span's head and tails both name
 * the class, and a SPAN_TAIL its head, never stale (struct mgp_page).
 */
static inline unsigned int mgp_small_class_of(const struct mgp_arena *a, const void *p)
{
	/* One compare: a pointer below the data area wraps to a huge offset. */
	uintptr_t off = (uintptr_t)p - (uintptr_t)a->data;
	const struct mgp_page *rec;
	u32 pg, h;
	u8 st;

	if (unlikely(off >= (uintptr_t)a->nr_pages << MGP_PAGE_SHIFT))
		return 0;
	pg = (u32)(off >> MGP_PAGE_SHIFT);
	rec = &a->pages[pg];
	st = mgp_load(&rec->state);
	if (st == MGP_PG_SPAN)
		h = pg;
	else if (likely(st == MGP_PG_SPAN_TAIL))
		h = mgp_load(&rec->next);
	else
		return 0;
	/*
	 * A head past @pg wraps the offset into the span, too: it fails the
	 * geometry's bound like any offset outside the span's objects.
	 */
	return mgp_span_object_class(a, rec, off - ((uintptr_t)h << MGP_PAGE_SHIFT));
}

/*
 * An object of @class from the calling thread's loaded magazine, its free
 * key cleared (a fresh object never looks freed); NULL when the slow path
 * must serve it.
 */
static inline void *mgp_alloc_fast(const struct mgp_arena *a, unsigned int class)
{
	struct mgp_tcache *tc = mgp_tcache_remembered(a);
	struct magpie_magazine *m;
	void *obj;

	if (unlikely(!tc || mgp_heap_pressure_pending(a)))
		return NULL;
	m = tc->pair[class].loaded;
	if (unlikely(!m->rounds))
		return NULL;
	obj = m->objs[--m->rounds];
	*(u64 *)obj = 0;
	return obj;
}

/*
 * Frees @p (not NULL) into the calling thread's loaded magazine when it is
 * a small object of @a that is not free already and the magazine has room.
 * Return: true when done; false leaves everything as it was, for the slow
 * path to free @p or refuse it.
 */
static inline bool mgp_free_fast(const struct mgp_arena *a, void *p)
{
	unsigned int c = mgp_small_class_of(a, p);
	u64 key = mgp_free_key(a, p);
	struct mgp_tcache *tc;
	struct magpie_magazine *m;

	if (unlikely(!c))
		return false;
	tc = mgp_tcache_remembered(a);
	if (unlikely(!tc || mgp_heap_pressure_pending(a)))
		return false;
	m = tc->pair[c].loaded;
	/* A set key: a double free, which the slow path counts and refuses. */
	if (unlikely(m->rounds >= m->size || *(u64 *)p == key))
		return false;
	/* Before the object is back anywhere others may take it from. */
	*(u64 *)p = key;
	m->objs[m->rounds++] = p;
	return true;
}

#endif /* _MAGPIE_USERLIB_FASTPATH_H */
