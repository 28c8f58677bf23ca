// SPDX-License-Identifier: GPL-2.0
/*
 * Prefaulting arena pages: backing (allocating, zeroing, charging) a range
 * before it is touched, so that the touch only maps. A synchronous
 * prefault does it in the caller; an asynchronous one cuts the range into
 * chunks and runs each as a task on magpie's worker pool, so a client can
 * ask for the next span's pages while it still works in the current one.
 *
 * A pool task runs in a magpie kthread, whose memory cgroup is the root:
 * it adopts the caller's cgroup (set_active_memcg()) for its allocations,
 * so a page costs the same cgroup whichever way it was backed. The arena
 * waits for its tasks (@prefault_wg) before it is freed.
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "arena.h"
#include "compat.h"

/* Pages installed per lock hold, and backed by one pool task. */
#define MAGPIE_PREFAULT_BATCH	32
#define MAGPIE_PREFAULT_CHUNK	512

/*
 * Backs pages [first, first + nr) of the arena, @done set to how many it
 * backed. Pages are allocated and zeroed (the slow part) without the
 * arena's lock, then installed under it a batch at a time, so a fault in
 * the same arena waits at most for one batch's xarray inserts, not for
 * the allocations. Returns 0, or the error that stopped it (-ENOSPC at the
 * open file's limit, -ENOMEM, -EINTR when the caller was killed).
 */
static int magpie_prefault_range(struct magpie_arena *arena, unsigned long first,
				 unsigned long nr, unsigned long *done)
{
	struct page *pages[MAGPIE_PREFAULT_BATCH], *page;
	unsigned long idxs[MAGPIE_PREFAULT_BATCH];
	unsigned long idx = first, end = first + nr;
	unsigned int n, i;
	bool created;
	int ret = 0;

	*done = 0;
	while (idx < end && !ret) {
		/*
		 * A synchronous prefault may be long (up to the open file's
		 * limit) and holds the file's lock: a killed caller stops at
		 * once. Pool tasks are kthreads, never killed.
		 */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/* A racy look (xa_load() is RCU-safe): install() checks again. */
		for (n = 0; idx < end && n < MAGPIE_PREFAULT_BATCH; idx++) {
			if (xa_load(&arena->pages, idx))
				continue;
			page = magpie_arena_alloc_page(arena);
			if (IS_ERR(page)) {
				ret = PTR_ERR(page);
				break;
			}
			pages[n] = page;
			idxs[n++] = idx;
		}
		mutex_lock(&arena->lock);
		for (i = 0; i < n; i++) {
			page = magpie_arena_install(arena, idxs[i], pages[i], &created);
			if (IS_ERR(page)) {
				ret = PTR_ERR(page);
				continue;	/* install() gave the page back */
			}
			*done += created;
			arena->prefaulted += created;
		}
		mutex_unlock(&arena->lock);
		cond_resched();
	}
	return ret;
}

/**
 * struct magpie_prefault_job - one asynchronous chunk
 * @arena: the arena; alive until the task's wait group is done
 * @memcg: the cgroup of the task that asked, referenced
 * @first: first page index
 * @nr: pages
 */
struct magpie_prefault_job {
	struct magpie_arena *arena;
	struct mem_cgroup *memcg;
	unsigned long first;
	unsigned long nr;
};

static void magpie_prefault_task(void *arg)
{
	struct magpie_prefault_job *job = arg;
	struct mem_cgroup *old = set_active_memcg(job->memcg);
	unsigned long done;

	/* At the limit or out of memory the rest of the chunk stays unbacked. */
	magpie_prefault_range(job->arena, job->first, job->nr, &done);
	set_active_memcg(old);
	/* Before the wait group's done: the arena may be freed right after it. */
	atomic_long_sub(job->nr, &job->arena->prefault_queued);
	mem_cgroup_put(job->memcg);
	kfree(job);
}

/*
 * Queues the range in chunks; returns 0, -EINVAL when it is longer than
 * the cap, -EBUSY when it does not fit beside the pages queued already
 * (nothing queued), or -ENOMEM/-ESHUTDOWN (the chunks queued before run).
 */
static int magpie_prefault_async(struct magpie_arena *arena, unsigned long first,
				 unsigned long nr)
{
	const unsigned long max = MAGPIE_PREFAULT_ASYNC_MAX >> PAGE_SHIFT;
	struct magpie_prefault_job *job;
	unsigned long chunk;
	int ret;

	if (nr > max)
		return -EINVAL;
	/*
	 * Reserve the whole range at once, so that concurrent requests
	 * cannot together go past the cap; each task gives its chunk back.
	 */
	if (!magpie_atomic_long_add_within(&arena->prefault_queued, nr, max))
		return -EBUSY;
	while (nr) {
		chunk = min_t(unsigned long, nr, MAGPIE_PREFAULT_CHUNK);
		job = kzalloc_obj(*job, GFP_KERNEL_ACCOUNT);
		if (!job) {
			atomic_long_sub(nr, &arena->prefault_queued);
			return -ENOMEM;
		}
		job->arena = arena;
		job->memcg = get_mem_cgroup_from_mm(current->mm);
		job->first = first;
		job->nr = chunk;
		ret = magpie_go(magpie_prefault_task, job, &arena->prefault_wg, GFP_KERNEL);
		if (ret) {
			atomic_long_sub(nr, &arena->prefault_queued);
			mem_cgroup_put(job->memcg);
			kfree(job);
			return ret;
		}
		first += chunk;
		nr -= chunk;
	}
	return 0;
}

/**
 * magpie_arena_prefault() - back a range of an arena before it is touched
 * @arena: the arena
 * @req: the request, its flags, reserved fields and page alignment
 *	already checked (a non-empty, page-aligned range); @backed is set
 *
 * Return: 0; -EINVAL for a range not inside the metadata and data areas,
 * or an asynchronous
 * one longer than MAGPIE_PREFAULT_ASYNC_MAX; -EBUSY when an asynchronous
 * one does not fit beside those the arena has queued; -ENOSPC when a
 * synchronous prefault reached the open file's limit; -ENOMEM; -EINTR
 * when the caller of a synchronous one was killed; -ESHUTDOWN when the
 * worker pool is going away.
 */
int magpie_arena_prefault(struct magpie_arena *arena, struct magpie_prefault *req)
{
	unsigned long first, nr, done = 0;
	int ret;

	first = req->offset >> PAGE_SHIFT;
	nr = req->length >> PAGE_SHIFT;
	/* Page counts, so offset + length cannot overflow. */
	if (first < arena->meta_pgoff || first >= arena->nr_pages || nr > arena->nr_pages - first)
		return -EINVAL;

	if (req->flags & MAGPIE_PREFAULT_ASYNC)
		ret = magpie_prefault_async(arena, first, nr);
	else
		ret = magpie_prefault_range(arena, first, nr, &done);
	req->backed = done;
	return ret;
}
