/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page heap: page runs for spans and large objects, cut from chunks
 * taken from the buddy allocator, and the object -> span map.
 */
#ifndef _MAGPIE_PAGEHEAP_H
#define _MAGPIE_PAGEHEAP_H

#include <linux/gfp.h>
#include <linux/mm.h>

struct magpie_chunk;

/*
 * Flags for magpie's own metadata (span descriptors, magazines, chunk
 * headers): the caller's context constraints and how hard it wants the
 * allocator to try, none of its object flags. __GFP_NORETRY and
 * __GFP_RETRY_MAYFAIL are kept since metadata is small, and without them
 * a small allocation is retried until it succeeds, through the OOM killer
 * if need be, which is what a caller with either flag asked to avoid;
 * __GFP_NOMEMALLOC since a caller that must stay out of the emergency
 * reserves must not reach them through its metadata either; __GFP_NOFAIL
 * since an object cannot be had without its span's descriptor.
 */
static inline gfp_t magpie_meta_gfp(gfp_t gfp)
{
	return gfp & (GFP_KERNEL | __GFP_HIGH | __GFP_NOWARN | __GFP_NORETRY |
		      __GFP_RETRY_MAYFAIL | __GFP_NOMEMALLOC | __GFP_NOFAIL);
}

/**
 * struct magpie_run - a run of pages handed out by the page heap
 * @addr: first byte (page aligned, in the direct map)
 * @npages: pages in the run
 * @chunk: the chunk it was cut from, NULL when it came straight from the
 *	buddy allocator (runs too large for a chunk, or no chunk could be had)
 * @node: link in the heap's list of direct runs (when @chunk is NULL)
 */
struct magpie_run {
	void *addr;
	unsigned int npages;
	struct magpie_chunk *chunk;
	struct list_head node;
};

/**
 * struct magpie_heap_stats - page heap figures for /proc
 * @chunks: chunks held
 * @chunk_pages: pages in those chunks (derived from @chunks when copied out)
 * @run_pages: pages handed out in runs, from chunks or direct
 * @direct_pages: pages of runs taken straight from the buddy allocator
 * @chunks_released: chunks given back to the buddy allocator so far
 */
struct magpie_heap_stats {
	unsigned long chunks;
	unsigned long chunk_pages;
	unsigned long run_pages;
	unsigned long direct_pages;
	unsigned long chunks_released;
};

int magpie_heap_init(unsigned int chunk_order);
void magpie_heap_exit(void);
int magpie_heap_alloc_run(struct magpie_run *run, unsigned int npages, gfp_t gfp);
unsigned long magpie_heap_free_run(struct magpie_run *run);
unsigned long magpie_heap_release_idle(unsigned long min_idle);
bool magpie_heap_contains(const void *addr);
void magpie_heap_get_stats(struct magpie_heap_stats *stats);

/**
 * magpie_heap_set_owner() - record @owner as the span of a run's pages
 * @addr: first byte of the run
 * @npages: pages to mark
 * @owner: the span, or NULL to clear
 *
 * Stored in each page's ->private: the pages are order-0 pages magpie owns
 * outright (split from their chunk), so the field is ours, and an object's
 * span is one virt_to_page() away with no table to keep.
 */
static inline void magpie_heap_set_owner(void *addr, unsigned int npages, void *owner)
{
	struct page *page = virt_to_page(addr);
	unsigned int i;

	for (i = 0; i < npages; i++)
		set_page_private(page + i, (unsigned long)owner);
}

/**
 * magpie_heap_owner() - the span an object magpie handed out belongs to
 * @obj: the object
 *
 * Return: what magpie_heap_set_owner() recorded for @obj's page.
 */
static inline void *magpie_heap_owner(const void *obj)
{
	return (void *)page_private(virt_to_page(obj));
}

#endif /* _MAGPIE_PAGEHEAP_H */
