// SPDX-License-Identifier: GPL-2.0
/*
 * The object calls of libmagpie: alloc, calloc, aligned alloc, free,
 * realloc and usable size on an arena, and the pointer checks they share.
 * Small sizes go through the thread cache to the central lists; sizes
 * above MAGPIE_MAX_SMALL_SIZE get page runs of their own.
 */
#include <string.h>

#include "fastpath.h"

/**
 * mgp_lookup() - what @ptr points at
 * @a: the arena
 * @ptr: a pointer from the caller
 * @ref: filled in on success
 *
 * Reads the page records without the heap lock. Relaxed loads are enough:
 * for a pointer the program got from us, the allocation that produced it
 * happened after the records of its run were written (through the class
 * or heap lock the allocation took) and the run stays as it is until
 * this free; for any other pointer the answer is checked again under the
 * lock that owns the run (mgp_central_put(), mgp_heap_free_large()).
 *
 * Return: 0; -EFAULT outside the data area; -EALREADY inside a run freed
 * recently (its pages still cached: a double free); -EINVAL otherwise.
 */
int mgp_lookup(struct mgp_arena *a, const void *ptr, struct mgp_ref *ref)
{
	uintptr_t off = (uintptr_t)ptr - (uintptr_t)a->data, rel;
	u32 h, c;
	u8 st;

	if (off >= (uintptr_t)a->nr_pages << MGP_PAGE_SHIFT)
		return -EFAULT;
	h = mgp_run_head_state(a, (u32)(off >> MGP_PAGE_SHIFT), &st);
	if (h == MGP_NIL)
		return -EINVAL;
	rel = off - ((uintptr_t)h << MGP_PAGE_SHIFT);
	ref->head = h;
	ref->state = st;
	ref->npages = mgp_load(&a->pages[h].npages);
	if (st == MGP_PG_LARGE) {
		if (rel)
			return -EINVAL;
		ref->class = 0;
		return 0;
	}
	if (st != MGP_PG_SPAN)
		return st == MGP_PG_CACHED ? -EALREADY : -EINVAL;
	c = mgp_span_object_class(a, &a->pages[h], rel);
	if (!c)
		return -EINVAL;
	ref->class = c;
	return 0;
}

static void *mgp_fail(int err)
{
	errno = err;
	return NULL;
}

static void *alloc_small(struct mgp_arena *a, unsigned int class)
{
	struct mgp_tcache *tc = mgp_tcache_get(a);
	void *obj;

	if (likely(tc))
		obj = mgp_tcache_alloc(tc, class);
	else if (!mgp_central_take(a, class, &obj, 1))
		obj = NULL;
	if (unlikely(!obj))
		return mgp_fail(ENOMEM);
	/* Clears the free key (mgp_free()) so a fresh object never looks freed. */
	*(u64 *)obj = 0;
	return obj;
}

static void *alloc_large(struct mgp_arena *a, size_t size, u32 align_pages, bool *clean)
{
	u64 npages;
	u32 h;

	npages = ((u64)size + MGP_PAGE_SIZE - 1) >> MGP_PAGE_SHIFT;
	if (size > (u64)a->nr_pages << MGP_PAGE_SHIFT)
		return mgp_fail(ENOMEM);
	h = mgp_heap_alloc(a, (u32)npages, align_pages, MGP_PG_LARGE, 0, clean);
	if (h == MGP_NIL)
		return mgp_fail(ENOMEM);
	return mgp_page_addr(a, h);
}

static noinline void *alloc_slow(struct mgp_arena *a, size_t size)
{
	bool clean;

	if (unlikely(!mgp_arena_ok(a)))
		return mgp_fail(EINVAL);
	mgp_heap_check_pressure(a);
	if (size <= MAGPIE_MAX_SMALL_SIZE)
		return alloc_small(a, magpie_size_to_class(size ? size : 1));
	return alloc_large(a, size, 1, &clean);
}

MGP_API void *mgp_alloc(struct mgp_arena *a, size_t size)
{
	if (likely(mgp_arena_ok(a) && size <= MAGPIE_MAX_SMALL_SIZE)) {
		void *obj = mgp_alloc_fast(a, magpie_size_to_class(size ? size : 1));

		if (likely(obj))
			return obj;
	}
	return alloc_slow(a, size);
}

MGP_API void *mgp_calloc(struct mgp_arena *a, size_t nmemb, size_t size)
{
	bool clean = false;
	size_t bytes;
	void *p;

	if (unlikely(!mgp_arena_ok(a)))
		return mgp_fail(EINVAL);
	if (__builtin_mul_overflow(nmemb, size, &bytes))
		return mgp_fail(EOVERFLOW);
	mgp_heap_check_pressure(a);
	if (bytes <= MAGPIE_MAX_SMALL_SIZE)
		p = alloc_small(a, magpie_size_to_class(bytes ? bytes : 1));
	else
		p = alloc_large(a, bytes, 1, &clean);
	/* A run fresh from the heap reads zeroes already: no need to touch it. */
	if (p && !clean)
		memset(p, 0, bytes);
	return p;
}

MGP_API void *mgp_alloc_aligned(struct mgp_arena *a, size_t align, size_t size)
{
	unsigned int c;
	bool clean;

	if (unlikely(!mgp_arena_ok(a)) || !align || (align & (align - 1)))
		return mgp_fail(EINVAL);
	mgp_heap_check_pressure(a);
	if (!size)
		size = 1;
	/*
	 * Spans start on pages, so a class whose size is a multiple of
	 * @align (up to a page) has every object aligned.
	 */
	if (align <= MGP_PAGE_SIZE && size <= MAGPIE_MAX_SMALL_SIZE) {
		c = magpie_size_to_class(size > align ? size : align);
		while (c && c < MAGPIE_NR_SIZECLASSES && magpie_class_size(c) % align)
			c++;
		if (c && c < MAGPIE_NR_SIZECLASSES)
			return alloc_small(a, c);
	}
	if (size > SIZE_MAX - MGP_PAGE_SIZE || align > (size_t)a->nr_pages << MGP_PAGE_SHIFT)
		return mgp_fail(ENOMEM);
	return alloc_large(a, size, align > MGP_PAGE_SIZE ? align >> MGP_PAGE_SHIFT : 1,
			   &clean);
}

static int mgp_free_error(struct mgp_arena *a, int err)
{
	if (err == -EALREADY)
		mgp_add(&a->double_frees, 1);
	else
		mgp_add(&a->bad_frees, 1);
	errno = -err;
	return -1;
}

/*
 * A key in the first word means the object is free already: in some
 * thread's cache or in its span (central_key_objects()).
 */
static int free_small(struct mgp_arena *a, void *p, unsigned int class)
{
	struct mgp_tcache *tc;
	u64 key = mgp_free_key(a, p);
	int err;

	if (unlikely(*(u64 *)p == key))
		return mgp_free_error(a, -EALREADY);
	/* Before the object is back anywhere others may take it from. */
	*(u64 *)p = key;
	tc = mgp_tcache_get(a);
	if (likely(tc)) {
		mgp_tcache_push(tc, class, p);
		return 0;
	}
	err = mgp_central_free_one(a, class, p);
	return err ? mgp_free_error(a, err) : 0;
}

static noinline int free_slow(struct mgp_arena *a, void *p)
{
	struct mgp_ref ref;
	int err;

	if (unlikely(!mgp_arena_ok(a))) {
		errno = EINVAL;
		return -1;
	}
	mgp_heap_check_pressure(a);
	err = mgp_lookup(a, p, &ref);
	if (unlikely(err))
		return mgp_free_error(a, err);
	if (ref.state == MGP_PG_LARGE) {
		err = mgp_heap_free_large(a, ref.head);
		return err ? mgp_free_error(a, err) : 0;
	}
	return free_small(a, p, ref.class);
}

MGP_API int mgp_free(struct mgp_arena *a, void *p)
{
	if (!p)
		return 0;
	if (likely(mgp_arena_ok(a) && mgp_free_fast(a, p)))
		return 0;
	return free_slow(a, p);
}

static size_t ref_size(const struct mgp_ref *ref)
{
	if (ref->state == MGP_PG_LARGE)
		return (size_t)ref->npages << MGP_PAGE_SHIFT;
	return magpie_class_size(ref->class);
}

MGP_API size_t mgp_usable_size(struct mgp_arena *a, const void *p)
{
	struct mgp_ref ref;
	int err;

	if (unlikely(!mgp_arena_ok(a))) {
		errno = EINVAL;
		return 0;
	}
	err = mgp_lookup(a, p, &ref);
	if (err) {
		mgp_add(&a->bad_frees, 1);
		errno = err == -EALREADY ? EINVAL : -err;
		return 0;
	}
	return ref_size(&ref);
}

/* Whether an object of @old bytes serves @size without moving. */
static bool realloc_fits(const struct mgp_ref *ref, size_t old, size_t size)
{
	if (size > old)
		return false;
	if (ref->state == MGP_PG_SPAN)
		return size > MAGPIE_MAX_SMALL_SIZE ||
		       magpie_size_to_class(size ? size : 1) == ref->class;
	/* A large run keeps up to half of itself unused. */
	return size > MAGPIE_MAX_SMALL_SIZE && size >= old / 2;
}

MGP_API void *mgp_realloc(struct mgp_arena *a, void *p, size_t size)
{
	struct mgp_ref ref;
	size_t old;
	void *q;
	int err;

	if (!p)
		return mgp_alloc(a, size);
	if (unlikely(!mgp_arena_ok(a)))
		return mgp_fail(EINVAL);
	err = mgp_lookup(a, p, &ref);
	if (err) {
		mgp_free_error(a, err);
		return NULL;
	}
	if (!size) {
		mgp_free(a, p);
		errno = 0;
		return NULL;
	}
	old = ref_size(&ref);
	if (realloc_fits(&ref, old, size))
		return p;
	q = mgp_alloc(a, size);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	mgp_free(a, p);
	return q;
}
