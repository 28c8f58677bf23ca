// SPDX-License-Identifier: GPL-2.0
/*
 * The page heap over an arena's data area (Go's mheap): page runs for
 * spans and large objects, coalescing of free runs, and the cache of free
 * runs that stay backed for a while before they go back to the backend.
 *
 * Two kinds of free run, never merged with each other:
 *   free    in the heap, released or never touched, so reading zeroes
 *	     (unless a release failed: then marked dirty, see struct mgp_page)
 *   cached  freed recently and still backed; reused first, released when
 *	     older than cache_ms, when the cached bytes pass cache_limit,
 *	     under pressure, on trim, or when the heap runs out.
 * Everything here runs under a->heap_lock; the page records it writes
 * are read without the lock by the lookups of fastpath.h and alloc.c,
 * hence the atomics.
 */
#define _GNU_SOURCE
#include <time.h>

#include "fastpath.h"

#define pg(a, p)	(&(a)->pages[p])

static inline u8 pg_state(struct mgp_arena *a, u32 p)
{
	return mgp_load(&pg(a, p)->state);
}

static inline u32 pg_npages(struct mgp_arena *a, u32 p)
{
	return mgp_load(&pg(a, p)->npages);
}

static inline u32 pg_next(struct mgp_arena *a, u32 p)
{
	return mgp_load(&pg(a, p)->next);
}

static void pg_head(struct mgp_arena *a, u32 p, u8 state, u8 class, u32 npages)
{
	mgp_store(&pg(a, p)->class, class);
	mgp_store(&pg(a, p)->npages, npages);
	mgp_store(&pg(a, p)->state, state);
}

static void pg_tail(struct mgp_arena *a, u32 p, u32 head)
{
	mgp_store(&pg(a, p)->next, head);
	mgp_store(&pg(a, p)->state, (u8)MGP_PG_TAIL);
}

static void pg_span_tail(struct mgp_arena *a, u32 p, u32 head, u8 class)
{
	mgp_store(&pg(a, p)->next, head);
	mgp_store(&pg(a, p)->class, class);
	mgp_store(&pg(a, p)->state, (u8)MGP_PG_SPAN_TAIL);
}

/* Milliseconds mod 2^16; cached runs are aged with it (30 s at most). */
static u16 mgp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (u16)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void mgp_publish_cached(struct mgp_arena *a)
{
	/* Relaxed: the kernel only shows the value (/proc/magpie/arenas). */
	mgp_store(&a->hdr->cached_free_bytes, a->cached_bytes);
}

/* ---- free runs ---- */

static unsigned int free_list(u32 npages)
{
	return npages <= MGP_HEAP_EXACT ? npages : 0;
}

static void free_link(struct mgp_arena *a, u32 h)
{
	unsigned int l = free_list(pg_npages(a, h));
	u32 first = a->free_head[l];

	pg(a, h)->prev = MGP_NIL;
	mgp_store(&pg(a, h)->next, first);
	if (first != MGP_NIL)
		pg(a, first)->prev = h;
	a->free_head[l] = h;
	a->free_bits |= 1ULL << l;
}

/*
 * Takes run @h off a list of runs linked through their head records:
 * @head is the list's first run, @tail its last (NULL for lists that keep
 * no tail).
 */
static void run_list_unlink(struct mgp_arena *a, u32 h, u32 *head, u32 *tail)
{
	u32 next = pg_next(a, h), prev = pg(a, h)->prev;

	if (prev != MGP_NIL)
		mgp_store(&pg(a, prev)->next, next);
	else
		*head = next;
	if (next != MGP_NIL)
		pg(a, next)->prev = prev;
	else if (tail)
		*tail = prev;
}

static void free_unlink(struct mgp_arena *a, u32 h)
{
	unsigned int l = free_list(pg_npages(a, h));

	run_list_unlink(a, h, &a->free_head[l], NULL);
	if (a->free_head[l] == MGP_NIL)
		a->free_bits &= ~(1ULL << l);
}

/* Writes [s, s + n) as one free run and links it; no merging. */
static void free_make(struct mgp_arena *a, u32 s, u32 n, bool dirty)
{
	pg_head(a, s, MGP_PG_FREE, dirty, n);
	if (n > 1)
		pg_tail(a, s + n - 1, s);
	free_link(a, s);
}

/* Puts [s, s + n) into the heap, merged with free neighbours. */
static void heap_insert_free(struct mgp_arena *a, u32 s, u32 n, bool dirty)
{
	u32 e = s + n, h;

	if (s > a->heap_first) {
		h = mgp_run_head(a, s - 1);
		if (h != MGP_NIL && pg_state(a, h) == MGP_PG_FREE) {
			free_unlink(a, h);
			dirty |= pg(a, h)->class;
			pg_tail(a, s, h);	/* the old head is no head any more */
			n += s - h;
			s = h;
		}
	}
	if (e < a->nr_pages && pg_state(a, e) == MGP_PG_FREE) {
		u32 rn = pg_npages(a, e);

		free_unlink(a, e);
		dirty |= pg(a, e)->class;
		pg_tail(a, e, s);
		n += rn;
	}
	free_make(a, s, n, dirty);
}

/* Best fit among the runs above MGP_HEAP_EXACT pages, lowest address on ties. */
static u32 free_find_big(struct mgp_arena *a, u32 n)
{
	u32 h, best = MGP_NIL, best_n = 0;

	for (h = a->free_head[0]; h != MGP_NIL; h = pg_next(a, h)) {
		u32 hn = pg_npages(a, h);

		if (hn >= n && (best == MGP_NIL || hn < best_n ||
				(hn == best_n && h < best))) {
			best = h;
			best_n = hn;
		}
	}
	return best;
}

static u32 free_find(struct mgp_arena *a, u32 n)
{
	if (n <= MGP_HEAP_EXACT) {
		u64 bits = a->free_bits & ~((1ULL << n) - 1) & ~1ULL;

		if (bits)
			return a->free_head[magpie_ctz64(bits)];
	}
	return free_find_big(a, n);
}

/* ---- cached runs ---- */

static unsigned int cache_list(u32 npages)
{
	return npages <= MGP_CACHE_EXACT ? npages : 0;
}

/* Newest runs go to the head; runs put back after a split go to the tail. */
static void cache_link(struct mgp_arena *a, u32 h, bool at_tail)
{
	unsigned int l = cache_list(pg_npages(a, h));
	u32 *end = at_tail ? &a->cached_tail[l] : &a->cached_head[l];
	u32 old = *end;

	if (at_tail) {
		pg(a, h)->prev = old;
		mgp_store(&pg(a, h)->next, MGP_NIL);
		if (old != MGP_NIL)
			mgp_store(&pg(a, old)->next, h);
		else
			a->cached_head[l] = h;
	} else {
		pg(a, h)->prev = MGP_NIL;
		mgp_store(&pg(a, h)->next, old);
		if (old != MGP_NIL)
			pg(a, old)->prev = h;
		else
			a->cached_tail[l] = h;
	}
	*end = h;
	a->cached_bytes += (u64)pg_npages(a, h) << MGP_PAGE_SHIFT;
}

static void cache_unlink(struct mgp_arena *a, u32 h)
{
	unsigned int l = cache_list(pg_npages(a, h));

	run_list_unlink(a, h, &a->cached_head[l], &a->cached_tail[l]);
	a->cached_bytes -= (u64)pg_npages(a, h) << MGP_PAGE_SHIFT;
}

/* Gives cached run @h back to the backend and the heap; returns its bytes. */
static u64 cache_release(struct mgp_arena *a, u32 h)
{
	u32 n = pg_npages(a, h);
	u64 len = (u64)n << MGP_PAGE_SHIFT;
	bool dirty = false;

	cache_unlink(a, h);
	if (mgp_os_release(&a->os, (u64)(mgp_page_addr(a, h) - a->base), len)) {
		dirty = true;	/* still backed, maybe not zero */
	} else {
		mgp_add(&a->bytes_released, len);
		mgp_add(&a->releases, 1);
	}
	heap_insert_free(a, h, n, dirty);
	return dirty ? 0 : len;
}

static u64 cache_release_all(struct mgp_arena *a)
{
	u64 bytes = 0;
	unsigned int l;

	for (l = 0; l < MGP_CACHE_LISTS; l++)
		while (a->cached_tail[l] != MGP_NIL)
			bytes += cache_release(a, a->cached_tail[l]);
	mgp_publish_cached(a);
	return bytes;
}

/* Releases what is too old, then the oldest while over the limit. */
static void cache_trim(struct mgp_arena *a)
{
	u16 now = mgp_now_ms();
	unsigned int l;

	for (l = 0; l < MGP_CACHE_LISTS; l++)
		while (a->cached_tail[l] != MGP_NIL &&
		       (u16)(now - pg(a, a->cached_tail[l])->stamp) >= a->cache_ms)
			cache_release(a, a->cached_tail[l]);
	while (a->cached_bytes > a->cache_limit) {
		u32 oldest = MGP_NIL;
		u16 age = 0;

		for (l = 0; l < MGP_CACHE_LISTS; l++) {
			u32 t = a->cached_tail[l];

			if (t != MGP_NIL && (oldest == MGP_NIL ||
					     (u16)(now - pg(a, t)->stamp) >= age)) {
				oldest = t;
				age = now - pg(a, t)->stamp;
			}
		}
		cache_release(a, oldest);
	}
	mgp_publish_cached(a);
}

/* A cached run of @n pages, split off a longer one if need be. */
static u32 cache_take(struct mgp_arena *a, u32 n)
{
	unsigned int l = cache_list(n);
	u32 h = MGP_NIL, hn;

	if (l)
		h = a->cached_head[l];
	if (h == MGP_NIL)
		for (h = a->cached_head[0]; h != MGP_NIL; h = pg_next(a, h))
			if (pg_npages(a, h) >= n)
				break;
	if (h == MGP_NIL)
		return MGP_NIL;
	cache_unlink(a, h);
	hn = pg_npages(a, h);
	if (hn > n) {
		u16 stamp = pg(a, h)->stamp;

		pg_head(a, h + n, MGP_PG_CACHED, 0, hn - n);
		pg(a, h + n)->stamp = stamp;
		if (hn - n > 1)
			pg_tail(a, h + hn - 1, h + n);
		cache_link(a, h + n, true);
	}
	mgp_publish_cached(a);
	return h;
}

/* ---- runs in use ---- */

/*
 * Marks [s, s + n) in use. Every page of a span names its head and class
 * (objects start on any of them); a large run needs its head and last
 * page only: its interior is never a valid pointer to free, and a stale
 * record there names no run that covers it (mgp_run_head()).
 */
static void run_mark(struct mgp_arena *a, u32 s, u32 n, u8 state, u8 class)
{
	u32 i;

	pg_head(a, s, state, class, n);
	if (state == MGP_PG_SPAN) {
		for (i = 1; i < n; i++)
			pg_span_tail(a, s + i, s, class);
	} else if (n > 1) {
		pg_tail(a, s + n - 1, s);
	}
	a->in_use_pages += n;
	if (s + n > a->hwm)
		a->hwm = s + n;
	if (state == MGP_PG_LARGE) {
		mgp_add(&a->large_objects, 1);
		mgp_add(&a->hdr->classes[0].spans, 1);
		mgp_add(&a->hdr->classes[0].objects, 1);
	}
}

/* A run from the heap's free lists, aligned to @align pages (power of 2). */
static u32 heap_take(struct mgp_arena *a, u32 n, u32 align, bool *clean)
{
	u32 h, hn, s, pre;
	uintptr_t mask = ((uintptr_t)align << MGP_PAGE_SHIFT) - 1;

	if ((u64)n + align - 1 > a->nr_pages)
		return MGP_NIL;
	h = free_find(a, n + align - 1);
	if (h == MGP_NIL)
		return MGP_NIL;
	free_unlink(a, h);
	hn = pg_npages(a, h);
	*clean = !pg(a, h)->class;
	s = h;
	while ((uintptr_t)mgp_page_addr(a, s) & mask)
		s++;
	pre = s - h;
	/* The rest goes back unmerged: its outer neighbours are not free. */
	if (hn - pre > n)
		free_make(a, s + n, hn - pre - n, !*clean);
	if (pre)
		free_make(a, h, pre, !*clean);
	return s;
}

/*
 * Pages the backend may have backed outside the runs once pages below
 * @hwm have been carved: the header page, the pages of page records from
 * the first heap page's to @hwm's (a split writes the record just past
 * the run), the page of the last page's record (written at init), and
 * the span descriptors of the heap pages below @hwm.
 */
static u64 heap_overhead_pages(const struct mgp_arena *a, u64 hwm)
{
	const u64 rec = sizeof(struct mgp_page), desc = sizeof(struct mgp_span_desc);

	return 1 + mgp_pages((hwm + 1) * rec) - ((a->heap_first * rec) >> MGP_PAGE_SHIFT) + 1 +
	       mgp_pages((hwm - a->heap_first) * desc);
}

/*
 * Whether the backend can back run [s, s + n) on top of what may be
 * backed already. The device backs at most the open file's limit and
 * faults past it with SIGBUS, so the heap counts, as an upper bound, the
 * runs in use and cached (free runs were released, so read as holes; a
 * run whose release failed is not counted) and heap_overhead_pages(). A
 * run that would go past it is refused as if the arena were full: the
 * caller gets ENOMEM instead of a SIGBUS.
 */
static bool heap_within_limit(struct mgp_arena *a, u32 s, u32 n)
{
	u64 limit = a->os.backed_limit >> MGP_PAGE_SHIFT, hwm;

	if (!limit)
		return true;
	hwm = s + n > a->hwm ? s + n : a->hwm;
	return a->in_use_pages + (a->cached_bytes >> MGP_PAGE_SHIFT) + n +
	       heap_overhead_pages(a, hwm) <= limit;
}

/**
 * mgp_heap_may_back() - whether an empty arena like @a could hold a run
 * @a: the arena
 * @npages: the run's length
 *
 * Return: false when a run of @npages would not fit in an arena of @a's
 * size and backend limit even if it held nothing else.
 */
bool mgp_heap_may_back(const struct mgp_arena *a, u64 npages)
{
	u64 limit = a->os.backed_limit >> MGP_PAGE_SHIFT;

	if (npages > a->nr_pages - a->heap_first)
		return false;
	return !limit || npages + heap_overhead_pages(a, a->heap_first + npages) <= limit;
}

/* A run from the heap that the backend can back, or MGP_NIL. */
static u32 heap_take_backed(struct mgp_arena *a, u32 n, u32 align, bool *clean)
{
	u32 s = heap_take(a, n, align, clean);

	if (s == MGP_NIL || heap_within_limit(a, s, n))
		return s;
	heap_insert_free(a, s, n, !*clean);
	return MGP_NIL;
}

/**
 * mgp_heap_alloc() - a page run for a span or a large object
 * @a: the arena
 * @npages: its length
 * @align_pages: alignment in pages (a power of two; 1 for none)
 * @state: MGP_PG_SPAN or MGP_PG_LARGE
 * @class: the span's class (0 for large)
 * @clean: set when the run is known to read as zeroes
 *
 * Return: the run's first page, or MGP_NIL when the arena is full or the
 * run would take the arena past what its backend may back.
 */
u32 mgp_heap_alloc(struct mgp_arena *a, u32 npages, u32 align_pages, u8 state,
		   u8 class, bool *clean)
{
	u32 s = MGP_NIL;

	pthread_mutex_lock(&a->heap_lock);
	if (align_pages <= 1) {
		s = cache_take(a, npages);
		*clean = false;
	}
	if (s == MGP_NIL)
		s = heap_take_backed(a, npages, align_pages ? align_pages : 1, clean);
	/* Out of room or over the backend's limit: the cache gives both back. */
	if (s == MGP_NIL && a->cached_bytes) {
		cache_release_all(a);
		s = heap_take_backed(a, npages, align_pages ? align_pages : 1, clean);
	}
	if (s != MGP_NIL)
		run_mark(a, s, npages, state, class);
	cache_trim(a);
	pthread_mutex_unlock(&a->heap_lock);
	return s;
}

/* Caches (or, without a cache, releases) the run at @head; heap lock held. */
static void heap_free_locked(struct mgp_arena *a, u32 head)
{
	u32 n = pg_npages(a, head), i;

	/* A SPAN_TAIL is never stale (struct mgp_page): plain tails now. */
	if (pg_state(a, head) == MGP_PG_SPAN)
		for (i = 1; i < n; i++)
			mgp_store(&pg(a, head + i)->state, (u8)MGP_PG_TAIL);
	a->in_use_pages -= n;
	pg_head(a, head, MGP_PG_CACHED, 0, n);
	pg(a, head)->stamp = mgp_now_ms();
	cache_link(a, head, false);
	cache_trim(a);
}

/* mgp_heap_free() - give back the run of a span that became empty */
void mgp_heap_free(struct mgp_arena *a, u32 head)
{
	pthread_mutex_lock(&a->heap_lock);
	heap_free_locked(a, head);
	pthread_mutex_unlock(&a->heap_lock);
}

/**
 * mgp_heap_free_large() - free the large object whose run starts at @head
 * @a: the arena
 * @head: the page the pointer was at
 *
 * Return: 0; -EALREADY when @head starts a free run (a double free);
 * -EINVAL when it starts no large object.
 */
int mgp_heap_free_large(struct mgp_arena *a, u32 head)
{
	u8 st;

	pthread_mutex_lock(&a->heap_lock);
	st = pg_state(a, head);
	if (st != MGP_PG_LARGE) {
		pthread_mutex_unlock(&a->heap_lock);
		return st == MGP_PG_FREE || st == MGP_PG_CACHED ? -EALREADY : -EINVAL;
	}
	mgp_sub(&a->large_objects, 1);
	mgp_sub(&a->hdr->classes[0].spans, 1);
	mgp_sub(&a->hdr->classes[0].objects, 1);
	heap_free_locked(a, head);
	pthread_mutex_unlock(&a->heap_lock);
	return 0;
}

/* mgp_heap_release_cached() - release every cached run now */
void mgp_heap_release_cached(struct mgp_arena *a, bool pressure)
{
	u64 bytes;

	pthread_mutex_lock(&a->heap_lock);
	bytes = cache_release_all(a);
	if (pressure)
		mgp_add(&a->hdr->released_on_pressure, bytes);
	pthread_mutex_unlock(&a->heap_lock);
}

/*
 * The kernel moved the pressure epoch: release the cached runs once and
 * record the epoch answered. Rechecked under the lock so that threads
 * noticing the same epoch answer it once.
 */
void mgp_heap_check_pressure_slow(struct mgp_arena *a, u64 epoch)
{
	u64 bytes;

	pthread_mutex_lock(&a->heap_lock);
	if (mgp_load(&a->pressure_seen) != epoch) {
		bytes = cache_release_all(a);
		mgp_add(&a->hdr->released_on_pressure, bytes);
		mgp_store(&a->hdr->pressure_seen, epoch);
		mgp_store(&a->pressure_seen, epoch);
	}
	pthread_mutex_unlock(&a->heap_lock);
}

/* mgp_heap_in_use() - bytes of runs in use; *@hwm: pages ever carved up to */
u64 mgp_heap_in_use(struct mgp_arena *a, u32 *hwm)
{
	u64 bytes;

	pthread_mutex_lock(&a->heap_lock);
	bytes = a->in_use_pages << MGP_PAGE_SHIFT;
	*hwm = a->hwm;
	pthread_mutex_unlock(&a->heap_lock);
	return bytes;
}

/* mgp_heap_init() - every heap page in one free run */
void mgp_heap_init(struct mgp_arena *a)
{
	unsigned int l;

	for (l = 0; l < MGP_HEAP_LISTS; l++)
		a->free_head[l] = MGP_NIL;
	for (l = 0; l < MGP_CACHE_LISTS; l++) {
		a->cached_head[l] = MGP_NIL;
		a->cached_tail[l] = MGP_NIL;
	}
	a->free_bits = 0;
	a->hwm = a->heap_first;
	if (a->nr_pages > a->heap_first)
		free_make(a, a->heap_first, a->nr_pages - a->heap_first, false);
}
