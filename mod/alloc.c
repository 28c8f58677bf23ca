// SPDX-License-Identifier: GPL-2.0
/*
 * General sized allocation: magpie_alloc()/magpie_free()/magpie_size().
 * Sizes up to MAGPIE_MAX_SMALL_SIZE use one internal cache per size class
 * ("magpie-<size>"); larger ones get a page run of their own from the page
 * heap, described by a class-0 span so that magpie_free() and
 * magpie_size() find either kind the same way, through the page's owner.
 */
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "cache.h"
#include "internal.h"
#include "kasan.h"
#include "magpie.h"

static struct magpie_cache *magpie_class_caches[MAGPIE_NR_SIZECLASSES];

/*
 * A large object is its whole run: magpie_size() reports all of it, as it
 * reports a small object's whole class size, and KASAN, zeroing and
 * kmemleak cover all of it, as cache.c does for the class size.
 */
static void *magpie_alloc_large(size_t size, gfp_t gfp)
{
	struct magpie_kspan *ks;
	unsigned long npages = DIV_ROUND_UP(size, PAGE_SIZE);
	size_t usable = npages << PAGE_SHIFT;

	if (npages > UINT_MAX || size > U32_MAX)
		return NULL;
	ks = magpie_kspan_alloc(npages, gfp);
	if (!ks)
		return NULL;
	magpie_span_init_large(&ks->s, (uintptr_t)ks->run.addr, usable);
	magpie_span_alloc(&ks->s);
	magpie_heap_set_owner(ks->run.addr, 1, ks);
	/* A run cut from a chunk comes poisoned (pageheap.c). */
	magpie_kasan_unpoison(ks->run.addr, usable);
	/*
	 * A run from a chunk holds what its last user left, past @size too.
	 * The page heap strips __GFP_ZERO, but a direct run got the rest of
	 * our flags from the buddy allocator, which has already applied
	 * init_on_alloc to all of it: clearing it again would only cost.
	 */
	if ((gfp & __GFP_ZERO) || (want_init_on_alloc(gfp) && ks->run.chunk))
		memset(ks->run.addr, 0, usable);
	kmemleak_alloc(ks->run.addr, usable, 1, gfp);
	return ks->run.addr;
}

/**
 * magpie_alloc() - allocate memory of any size
 * @size: bytes wanted
 * @gfp: as for magpie_cache_alloc()
 *
 * Objects of a power-of-two size up to PAGE_SIZE are aligned to their size,
 * others to 8 bytes; large ones (over 32 KiB) to the page.
 *
 * Return: the memory, ZERO_SIZE_PTR for @size 0 (as kmalloc), or NULL.
 */
void *magpie_alloc(size_t size, gfp_t gfp)
{
	unsigned int class;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	class = magpie_size_to_class(size);
	if (likely(class))
		return magpie_cache_alloc(magpie_class_caches[class], gfp);
	return magpie_alloc_large(size, gfp);
}
EXPORT_SYMBOL_GPL(magpie_alloc);

/**
 * magpie_free() - free memory from magpie_alloc()
 * @ptr: the memory; NULL and ZERO_SIZE_PTR are ignored
 */
void magpie_free(const void *ptr)
{
	struct magpie_kspan *ks;

	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	/* Debug mode: make sure the page is ours before reading its owner. */
	if (unlikely(magpie_debug_all()) && !magpie_heap_contains(ptr)) {
		pr_err("magpie: %s of a pointer magpie did not hand out: %p, caller %pS\n",
		       __func__, ptr, (void *)_RET_IP_);
		return;
	}
	ks = magpie_heap_owner(ptr);
	if (unlikely(!ks)) {
		pr_err("magpie: %s(%p): no object there\n", __func__, ptr);
		return;
	}
	if (likely(ks->s.class)) {
		magpie_cache_free(ks->cache, (void *)ptr);
		return;
	}
	if (ptr != ks->run.addr || magpie_span_free_index(&ks->s, 0)) {
		pr_err("magpie: bad %s(%p): not the start of a live large object\n", __func__, ptr);
		return;
	}
	kmemleak_free(ptr);
	/*
	 * init_on_free over the whole run, as for small objects. A direct
	 * run goes back to the buddy allocator, which clears it itself.
	 */
	if (want_init_on_free() && ks->run.chunk)
		memset(ks->run.addr, 0, (size_t)ks->run.npages << PAGE_SHIFT);
	magpie_kspan_free(ks);
}
EXPORT_SYMBOL_GPL(magpie_free);

/**
 * magpie_size() - usable size of memory from magpie_alloc()
 * @ptr: the memory
 *
 * Return: how many bytes at @ptr may be used (at least what was asked
 * for), 0 for NULL or ZERO_SIZE_PTR.
 */
size_t magpie_size(const void *ptr)
{
	struct magpie_kspan *ks;

	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return 0;
	ks = magpie_heap_owner(ptr);
	/* object_size, not the slot: in debug mode a red zone follows. */
	return ks->s.class ? ks->cache->object_size : ks->s.elemsize;
}
EXPORT_SYMBOL_GPL(magpie_size);

/**
 * magpie_pages_held() - memory magpie holds from the buddy allocator
 *
 * Counts whole chunks, used or not, and direct runs: what magpie costs the
 * system, not what its users asked for. Metadata (span descriptors,
 * magazines) lives in kmalloc memory and is not included.
 *
 * Return: pages.
 */
unsigned long magpie_pages_held(void)
{
	struct magpie_heap_stats hs;

	magpie_heap_get_stats(&hs);
	return hs.chunk_pages + hs.direct_pages;
}
EXPORT_SYMBOL_GPL(magpie_pages_held);

/**
 * magpie_alloc_init() - create the per-class caches
 *
 * Return: 0, or the error of the cache that could not be made.
 */
int magpie_alloc_init(void)
{
	char name[MAGPIE_CACHE_NAME_LEN];
	unsigned int class;

	for (class = 1; class < MAGPIE_NR_SIZECLASSES; class++) {
		unsigned int size = magpie_sizeclasses[class].size;
		struct magpie_cache *cache;

		snprintf(name, sizeof(name), "magpie-%u", size);
		cache = magpie_cache_create(name, size, 0, 0, NULL);
		if (IS_ERR(cache)) {
			magpie_alloc_exit();
			return PTR_ERR(cache);
		}
		magpie_class_caches[class] = cache;
	}
	return 0;
}

/**
 * magpie_alloc_exit() - destroy the per-class caches
 */
void magpie_alloc_exit(void)
{
	unsigned int class;

	for (class = 1; class < MAGPIE_NR_SIZECLASSES; class++) {
		magpie_cache_destroy(magpie_class_caches[class]);
		magpie_class_caches[class] = NULL;
	}
}
