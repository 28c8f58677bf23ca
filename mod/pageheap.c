// SPDX-License-Identifier: GPL-2.0
/*
 * The page heap (Go's mheap, in miniature). Memory comes from the buddy
 * allocator in chunks of 2^chunk_order pages (1 MiB by default); a chunk
 * is split into order-0 pages at once so that each page's ->private can
 * name its span. Runs are cut first-fit from a per-chunk bitmap, which
 * coalesces freed runs for free. A chunk with no run out is idle, and the
 * reaper gives it back once it has stayed idle long enough. A run larger
 * than half a chunk, or one needed when no chunk can be had, comes
 * straight from the buddy allocator (alloc_pages_exact()), and so does
 * every run charged to a memory cgroup (__GFP_ACCOUNT): a chunk is shared
 * by everyone, so only a run of its own can carry the charge, which the
 * buddy allocator then drops when the run is freed.
 *
 * KASAN: pages in a chunk that are not out in a run are poisoned, since
 * they never go back to the buddy allocator that would do it for them;
 * whoever takes a run unpoisons what it hands out (kasan.h).
 *
 * Lock order: a cache's central lock, then magpie_heap.lock. The heap lock
 * is taken with interrupts off since the central lists are reached from
 * any context; nothing under it allocates.
 */
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "compat.h"
#include "kasan.h"
#include "pageheap.h"

#define MAGPIE_CHUNK_ORDER_MAX	10

/**
 * struct magpie_chunk - one block of pages from the buddy allocator
 * @node: link in magpie_heap.chunks [heap lock]
 * @addr: first byte
 * @used: pages out in runs [heap lock]
 * @idle_since: jiffies when @used last dropped to 0 [heap lock]
 * @map: bit set per page out in a run [heap lock]
 */
struct magpie_chunk {
	struct list_head node;
	void *addr;
	unsigned int used;
	unsigned long idle_since;
	DECLARE_BITMAP(map, 1 << MAGPIE_CHUNK_ORDER_MAX);
};

static struct {
	spinlock_t lock;		/* see "Lock order" above */
	struct list_head chunks;	/* [lock] */
	struct list_head direct;	/* runs from the buddy allocator [lock] */
	unsigned int chunk_order;	/* set once at init */
	unsigned int chunk_pages;	/* set once at init */
	struct magpie_heap_stats stats;	/* [lock] */
} magpie_heap;

/**
 * magpie_heap_init() - set the page heap up
 * @chunk_order: log2 of the pages per chunk (4 .. 10)
 *
 * Return: 0, or -EINVAL for an order out of range.
 */
int magpie_heap_init(unsigned int chunk_order)
{
	if (chunk_order < 4 || chunk_order > MAGPIE_CHUNK_ORDER_MAX)
		return -EINVAL;
	spin_lock_init(&magpie_heap.lock);
	INIT_LIST_HEAD(&magpie_heap.chunks);
	INIT_LIST_HEAD(&magpie_heap.direct);
	magpie_heap.chunk_order = chunk_order;
	magpie_heap.chunk_pages = 1U << chunk_order;
	memset(&magpie_heap.stats, 0, sizeof(magpie_heap.stats));
	return 0;
}

static void magpie_chunk_free(struct magpie_chunk *chunk)
{
	struct page *page = virt_to_page(chunk->addr);
	unsigned int i;

	for (i = 0; i < magpie_heap.chunk_pages; i++)
		__free_page(page + i);
	kfree(chunk);
}

/* Cuts @npages from a chunk with room; heap lock held. */
static bool magpie_heap_cut(struct magpie_run *run, unsigned int npages)
{
	struct magpie_chunk *chunk;

	list_for_each_entry(chunk, &magpie_heap.chunks, node) {
		unsigned long first;

		if (magpie_heap.chunk_pages - chunk->used < npages)
			continue;
		first = bitmap_find_next_zero_area(chunk->map, magpie_heap.chunk_pages,
						   0, npages, 0);
		if (first >= magpie_heap.chunk_pages)
			continue;
		bitmap_set(chunk->map, first, npages);
		chunk->used += npages;
		run->addr = chunk->addr + (first << PAGE_SHIFT);
		run->npages = npages;
		run->chunk = chunk;
		magpie_heap.stats.run_pages += npages;
		return true;
	}
	return false;
}

static struct magpie_chunk *magpie_chunk_new(gfp_t gfp)
{
	struct magpie_chunk *chunk;
	struct page *page;

	chunk = kzalloc_obj(*chunk, magpie_meta_gfp(gfp));
	if (!chunk)
		return NULL;
	/*
	 * A chunk is an optimisation: fail fast rather than reclaim hard; a
	 * failure only sends the run to the buddy allocator, with the
	 * caller's flags. __GFP_NOFAIL must go: with it the page allocator
	 * retries forever even under __GFP_NORETRY (it is not supported
	 * above order 1 either), and the last resort honours it anyway.
	 */
	page = alloc_pages((gfp & ~(__GFP_ZERO | __GFP_NOFAIL)) |
			   __GFP_NOWARN | __GFP_NORETRY, magpie_heap.chunk_order);
	if (!page) {
		kfree(chunk);
		return NULL;
	}
	split_page(page, magpie_heap.chunk_order);
	chunk->addr = page_address(page);
	/* No run is out yet: the whole chunk is free memory (see the top). */
	magpie_kasan_poison(chunk->addr, magpie_heap.chunk_pages << PAGE_SHIFT);
	chunk->idle_since = jiffies;
	return chunk;
}

/**
 * magpie_heap_alloc_run() - get a run of pages
 * @run: filled in on success
 * @npages: pages wanted
 * @gfp: allocation flags; may sleep only if they allow. With
 *	__GFP_ACCOUNT the run comes straight from the buddy allocator,
 *	charged to the current (or active) memory cgroup.
 *
 * The pages' ->private fields are zero; their contents are undefined.
 * Under KASAN a run cut from a chunk comes poisoned and one from the
 * buddy allocator does not: the caller unpoisons what it hands out.
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_heap_alloc_run(struct magpie_run *run, unsigned int npages, gfp_t gfp)
{
	struct magpie_chunk *chunk;
	unsigned long flags;

	if (npages <= magpie_heap.chunk_pages / 2 && !(gfp & __GFP_ACCOUNT)) {
		spin_lock_irqsave(&magpie_heap.lock, flags);
		if (magpie_heap_cut(run, npages)) {
			spin_unlock_irqrestore(&magpie_heap.lock, flags);
			return 0;
		}
		spin_unlock_irqrestore(&magpie_heap.lock, flags);

		chunk = magpie_chunk_new(gfp);
		if (chunk) {
			spin_lock_irqsave(&magpie_heap.lock, flags);
			list_add(&chunk->node, &magpie_heap.chunks);
			magpie_heap.stats.chunks++;
			/* Another CPU may have used the room first; still fine. */
			if (magpie_heap_cut(run, npages)) {
				spin_unlock_irqrestore(&magpie_heap.lock, flags);
				return 0;
			}
			spin_unlock_irqrestore(&magpie_heap.lock, flags);
		}
	}
	/*
	 * The last resort: a failure here is a real one, reported by the
	 * page allocator unless the caller itself asked for __GFP_NOWARN.
	 */
	run->addr = alloc_pages_exact((size_t)npages << PAGE_SHIFT, gfp & ~__GFP_ZERO);
	if (!run->addr)
		return -ENOMEM;
	run->npages = npages;
	run->chunk = NULL;
	spin_lock_irqsave(&magpie_heap.lock, flags);
	magpie_heap.stats.run_pages += npages;
	magpie_heap.stats.direct_pages += npages;
	list_add(&run->node, &magpie_heap.direct);
	spin_unlock_irqrestore(&magpie_heap.lock, flags);
	return 0;
}

/**
 * magpie_heap_free_run() - give a run back
 * @run: a run from magpie_heap_alloc_run()
 *
 * The pages' ->private fields must be zero again. Their KASAN state does
 * not matter: a run going back into its chunk is poisoned here, a direct
 * run by the buddy allocator.
 *
 * Return: pages given straight back to the buddy allocator: all of a
 * direct run's, none of a chunk's (they leave with their idle chunk, in
 * magpie_heap_release_idle()).
 */
unsigned long magpie_heap_free_run(struct magpie_run *run)
{
	struct magpie_chunk *chunk = run->chunk;
	unsigned long flags;

	/*
	 * Before the run is back in the bitmap: once it is, another CPU may
	 * cut it and unpoison it, and a late poison would undo that.
	 */
	if (chunk)
		magpie_kasan_poison(run->addr, (size_t)run->npages << PAGE_SHIFT);
	spin_lock_irqsave(&magpie_heap.lock, flags);
	magpie_heap.stats.run_pages -= run->npages;
	if (chunk) {
		unsigned long first = (run->addr - chunk->addr) >> PAGE_SHIFT;

		bitmap_clear(chunk->map, first, run->npages);
		chunk->used -= run->npages;
		if (!chunk->used)
			chunk->idle_since = jiffies;
	} else {
		magpie_heap.stats.direct_pages -= run->npages;
		list_del(&run->node);
	}
	spin_unlock_irqrestore(&magpie_heap.lock, flags);
	if (chunk)
		return 0;
	free_pages_exact(run->addr, (size_t)run->npages << PAGE_SHIFT);
	return run->npages;
}

/**
 * magpie_heap_release_idle() - give idle chunks back to the buddy allocator
 * @min_idle: jiffies a chunk must have been idle; 0 releases every idle one
 *
 * Return: pages released.
 */
unsigned long magpie_heap_release_idle(unsigned long min_idle)
{
	struct magpie_chunk *chunk, *tmp;
	unsigned long flags, pages = 0;
	LIST_HEAD(victims);

	spin_lock_irqsave(&magpie_heap.lock, flags);
	list_for_each_entry_safe(chunk, tmp, &magpie_heap.chunks, node) {
		if (chunk->used || time_before(jiffies, chunk->idle_since + min_idle))
			continue;
		list_move(&chunk->node, &victims);
		magpie_heap.stats.chunks--;
		magpie_heap.stats.chunks_released++;
		pages += magpie_heap.chunk_pages;
	}
	spin_unlock_irqrestore(&magpie_heap.lock, flags);
	list_for_each_entry_safe(chunk, tmp, &victims, node)
		magpie_chunk_free(chunk);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_heap_release_idle);

/**
 * magpie_heap_contains() - whether an address lies in memory of the heap
 * @addr: any address
 *
 * Walks every chunk and direct run, so it is for debug checks only: it
 * makes magpie_heap_owner() safe to call on a pointer of unknown origin.
 *
 * Return: true when @addr is inside a chunk or a direct run.
 */
bool magpie_heap_contains(const void *addr)
{
	unsigned long chunk_bytes = (unsigned long)magpie_heap.chunk_pages << PAGE_SHIFT;
	struct magpie_chunk *chunk;
	struct magpie_run *run;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&magpie_heap.lock, flags);
	list_for_each_entry(chunk, &magpie_heap.chunks, node)
		if (addr >= chunk->addr && addr < chunk->addr + chunk_bytes) {
			found = true;
			goto out;
		}
	list_for_each_entry(run, &magpie_heap.direct, node)
		if (addr >= run->addr && addr < run->addr + ((size_t)run->npages << PAGE_SHIFT)) {
			found = true;
			break;
		}
out:
	spin_unlock_irqrestore(&magpie_heap.lock, flags);
	return found;
}

/**
 * magpie_heap_get_stats() - a consistent copy of the heap's figures
 * @stats: where they go
 */
void magpie_heap_get_stats(struct magpie_heap_stats *stats)
{
	unsigned long flags;

	spin_lock_irqsave(&magpie_heap.lock, flags);
	*stats = magpie_heap.stats;
	spin_unlock_irqrestore(&magpie_heap.lock, flags);
	stats->chunk_pages = stats->chunks * magpie_heap.chunk_pages;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_heap_get_stats);

/**
 * magpie_heap_exit() - release every chunk
 *
 * Chunks with runs still out are leaked with a warning rather than freed
 * under their users.
 */
void magpie_heap_exit(void)
{
	struct magpie_chunk *chunk, *tmp;

	magpie_heap_release_idle(0);
	list_for_each_entry_safe(chunk, tmp, &magpie_heap.chunks, node) {
		pr_err("magpie: chunk %p still has %u pages in use at exit; leaking it\n",
		       chunk->addr, chunk->used);
		list_del(&chunk->node);
		kfree(chunk);
	}
}
