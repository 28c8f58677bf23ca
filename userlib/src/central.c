// SPDX-License-Identifier: GPL-2.0
/*
 * Central lists (Go's mcentral): per size class, the spans that still have
 * free objects, under the class's lock. Thread caches refill from here in
 * bulk and give objects back in bulk; a span that fills leaves the list,
 * one that gets an object back returns to it, and one that empties goes
 * back to the page heap, which caches and later releases its pages.
 */
#include "fastpath.h"

void mgp_central_init(struct mgp_arena *a)
{
	unsigned int c;

	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++) {
		pthread_mutex_init(&a->central[c].lock, NULL);
		a->central[c].partial = MGP_NIL;
		a->central[c].nr_spans = 0;
	}
}

static void partial_link(struct mgp_arena *a, struct mgp_central *cen, u32 h)
{
	struct mgp_span_desc *d = mgp_desc(a, h);

	d->prev = MGP_NIL;
	d->next = cen->partial;
	if (d->next != MGP_NIL)
		mgp_desc(a, d->next)->prev = h;
	cen->partial = h;
	d->on_partial = 1;
}

static void partial_unlink(struct mgp_arena *a, struct mgp_central *cen, u32 h)
{
	struct mgp_span_desc *d = mgp_desc(a, h);

	if (d->prev != MGP_NIL)
		mgp_desc(a, d->prev)->next = d->next;
	else
		cen->partial = d->next;
	if (d->next != MGP_NIL)
		mgp_desc(a, d->next)->prev = d->prev;
	d->on_partial = 0;
}

/*
 * Every free object carries its free key (mgp_free_key()): objects of a new
 * span get it here, freed ones in mgp_free(), and an allocation clears it.
 * So a key seen on free means the object is free, wherever it waits.
 */
static void central_key_objects(struct mgp_arena *a, struct mgp_span_desc *d)
{
	unsigned int i;

	for (i = 0; i < d->span.nelems; i++) {
		u64 *obj = (u64 *)(a->base + magpie_span_addr(&d->span, i));

		*obj = mgp_free_key(a, obj);
	}
}

/* A new span for @class on the partial list; class lock held. */
static u32 central_grow(struct mgp_arena *a, unsigned int class)
{
	struct mgp_central *cen = &a->central[class];
	struct mgp_span_desc *d;
	bool clean;
	u32 h;

	h = mgp_heap_alloc(a, magpie_sizeclasses[class].npages, 1, MGP_PG_SPAN,
			   class, &clean);
	if (h == MGP_NIL)
		return MGP_NIL;
	d = mgp_desc(a, h);
	magpie_span_init(&d->span, (uintptr_t)(mgp_page_addr(a, h) - a->base), class);
	central_key_objects(a, d);
	/*
	 * Relaxed: every reader of @owner holds a class lock. One holding
	 * ours is ordered by it; one holding another class's lock only
	 * compares @owner with its own class and leaves the span alone.
	 */
	mgp_store(&d->owner, class + 1);
	cen->nr_spans++;
	mgp_add(&a->hdr->classes[class].spans, 1);
	partial_link(a, cen, h);
	return h;
}

/**
 * mgp_central_take() - take up to @nr objects of @class out of their spans
 * @a: the arena
 * @class: the size class
 * @objs: where their addresses go
 * @nr: how many are wanted
 *
 * Return: how many were taken; 0 only when the arena is full.
 */
unsigned int mgp_central_take(struct mgp_arena *a, unsigned int class,
			      void **objs, unsigned int nr)
{
	struct mgp_central *cen = &a->central[class];
	uintptr_t offs[64];
	unsigned int got = 0, i, k;

	pthread_mutex_lock(&cen->lock);
	while (got < nr) {
		struct mgp_span_desc *d;
		u32 h = cen->partial;

		if (h == MGP_NIL)
			h = central_grow(a, class);
		if (h == MGP_NIL)
			break;
		d = mgp_desc(a, h);
		k = nr - got < 64 ? nr - got : 64;
		k = magpie_span_alloc_bulk(&d->span, offs, k);
		for (i = 0; i < k; i++)
			objs[got + i] = a->base + offs[i];
		got += k;
		if (magpie_span_full(&d->span))
			partial_unlink(a, cen, h);
	}
	pthread_mutex_unlock(&cen->lock);
	mgp_add(&a->hdr->classes[class].objects, got);
	return got;
}

/*
 * Frees @obj into its span; class lock held. The page records read here
 * are stable: a span whose owner is our class stays live while we hold
 * the class lock, and its records were written before it got that owner.
 * Sets *@emptied to the span's head when the span is now empty and off
 * every list, for the caller to give to the heap after unlocking.
 */
static int central_free_locked(struct mgp_arena *a, unsigned int class, void *obj,
			       u32 *emptied)
{
	struct mgp_central *cen = &a->central[class];
	struct mgp_span_desc *d;
	bool was_full;
	u32 h;
	int idx;

	*emptied = MGP_NIL;
	h = mgp_run_head(a, (u32)(((char *)obj - a->data) >> MGP_PAGE_SHIFT));
	if (h == MGP_NIL)
		return -EINVAL;
	d = mgp_desc(a, h);
	if (mgp_load(&d->owner) != class + 1)
		return -EINVAL;
	idx = magpie_span_index(&d->span, (uintptr_t)((char *)obj - a->base));
	if (idx < 0)
		return -EINVAL;
	was_full = magpie_span_full(&d->span);
	if (magpie_span_free_index(&d->span, idx))
		return -EALREADY;
	if (was_full)
		partial_link(a, cen, h);
	if (magpie_span_empty(&d->span)) {
		partial_unlink(a, cen, h);
		mgp_store(&d->owner, 0);
		cen->nr_spans--;
		mgp_sub(&a->hdr->classes[class].spans, 1);
		*emptied = h;
	}
	return 0;
}

static void central_count_error(struct mgp_arena *a, int err)
{
	if (err == -EALREADY)
		mgp_add(&a->double_frees, 1);
	else
		mgp_add(&a->bad_frees, 1);
}

/**
 * mgp_central_put() - give @nr objects of @class back to their spans
 * @a: the arena
 * @class: the size class
 * @objs: the objects (a thread cache's magazine)
 * @nr: how many
 *
 * An object that turns out to be free already (a double free that got
 * into a cache) or not an object of @class is counted and dropped.
 */
void mgp_central_put(struct mgp_arena *a, unsigned int class, void **objs,
		     unsigned int nr)
{
	struct mgp_central *cen = &a->central[class];
	u32 empty[64], h;
	unsigned int i, nr_empty = 0, freed = 0;
	int err;

	while (nr) {
		unsigned int batch = nr < 64 ? nr : 64;

		pthread_mutex_lock(&cen->lock);
		for (i = 0; i < batch; i++) {
			err = central_free_locked(a, class, objs[i], &h);
			if (err)
				central_count_error(a, err);
			else
				freed++;
			if (h != MGP_NIL)
				empty[nr_empty++] = h;
		}
		pthread_mutex_unlock(&cen->lock);
		while (nr_empty)
			mgp_heap_free(a, empty[--nr_empty]);
		objs += batch;
		nr -= batch;
	}
	mgp_sub(&a->hdr->classes[class].objects, freed);
}

/* mgp_central_free_one() - free one object; 0, -EINVAL or -EALREADY */
int mgp_central_free_one(struct mgp_arena *a, unsigned int class, void *obj)
{
	struct mgp_central *cen = &a->central[class];
	u32 h;
	int err;

	pthread_mutex_lock(&cen->lock);
	err = central_free_locked(a, class, obj, &h);
	pthread_mutex_unlock(&cen->lock);
	if (h != MGP_NIL)
		mgp_heap_free(a, h);
	if (!err)
		mgp_sub(&a->hdr->classes[class].objects, 1);
	return err;
}
