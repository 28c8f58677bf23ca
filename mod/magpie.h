/* SPDX-License-Identifier: GPL-2.0 */
/*
 * magpie - Go-style object caches and a work-stealing worker pool for the
 * kernel. This is the in-kernel API for other modules; everything here is
 * exported with EXPORT_SYMBOL_GPL and prefixed magpie_.
 *
 * Build against it with KBUILD_EXTRA_SYMBOLS pointing at magpie's
 * Module.symvers (see README.md).
 */
#ifndef _MAGPIE_H
#define _MAGPIE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/types.h>

/* Version of the in-kernel API described in this header. */
#define MAGPIE_API_VERSION_MAJOR	0
#define MAGPIE_API_VERSION_MINOR	2

/**
 * magpie_size_class() - the magpie size class that serves an allocation
 * @size: request size in bytes
 *
 * Size classes are listed in <linux/magpie_sizeclasses.h> and in
 * /proc/magpie/sizeclasses.
 *
 * Return: the class number (1 .. MAGPIE_NR_SIZECLASSES - 1) whose objects
 * are the smallest that hold @size bytes, or 0 when @size is above
 * MAGPIE_MAX_SMALL_SIZE and would be served as a whole page run.
 */
unsigned int magpie_size_class(size_t size);

/**
 * magpie_class_object_size() - object size of a magpie size class
 * @class: class number from magpie_size_class()
 *
 * Return: the object size in bytes, or 0 for class 0 and invalid classes.
 */
unsigned int magpie_class_object_size(unsigned int class);

/*
 * Object caches. A cache hands out objects of one size from spans of its
 * own, through per-CPU magazines; see Documentation/caches.rst. Callers
 * may allocate and free in process, softirq and hardirq context (not NMI,
 * nor raw contexts such as hard hrtimers, as for kmalloc); outside process
 * context use GFP_ATOMIC or GFP_NOWAIT.
 */
struct magpie_cache;

/*
 * Flags of magpie_cache_create(). MAGPIE_CACHE_DEBUG: every allocation and
 * free is checked (double and foreign frees, overruns into a red zone,
 * writes to free objects) and reported; slower, bypasses the per-CPU layer.
 * MAGPIE_CACHE_ACCOUNT: every allocation is charged to the caller's memory
 * cgroup, as if it passed __GFP_ACCOUNT (SLAB_ACCOUNT for SLUB).
 */
#define MAGPIE_CACHE_DEBUG	BIT(0)
#define MAGPIE_CACHE_ACCOUNT	BIT(1)

struct magpie_cache *magpie_cache_create(const char *name, unsigned int size,
					 unsigned int align, unsigned long flags,
					 void (*ctor)(void *obj));
void magpie_cache_destroy(struct magpie_cache *cache);
void *magpie_cache_alloc(struct magpie_cache *cache, gfp_t gfp);
void magpie_cache_free(struct magpie_cache *cache, void *obj);
int magpie_cache_alloc_bulk(struct magpie_cache *cache, gfp_t gfp, size_t nr, void **objs);
void magpie_cache_free_bulk(struct magpie_cache *cache, size_t nr, void **objs);

/* General allocation of any size, over one internal cache per size class. */
void *magpie_alloc(size_t size, gfp_t gfp);
void magpie_free(const void *ptr);
size_t magpie_size(const void *ptr);

/* Pages magpie holds from the buddy allocator (chunks and direct runs). */
unsigned long magpie_pages_held(void);

/*
 * The worker pool: Go-style tasks on per-CPU kthreads with work stealing
 * (Documentation/pool.rst). A task runs fn(arg) to completion in process
 * context on a pool kthread.
 */

/**
 * struct magpie_wg - a wait group, as Go's sync.WaitGroup
 * @count: tasks not yet done; use the functions below, not this field
 *
 * It may live on the waiter's stack: a task never touches the group after
 * its final magpie_wg_done().
 */
struct magpie_wg {
	atomic_t count;
};

/* A zero wait group, for declarations. */
#define MAGPIE_WG_INIT	{ .count = ATOMIC_INIT(0) }

void magpie_wg_init(struct magpie_wg *wg);
void magpie_wg_add(struct magpie_wg *wg, int delta);
void magpie_wg_done(struct magpie_wg *wg);
void magpie_wg_wait(struct magpie_wg *wg);

struct magpie_task;

int magpie_go(void (*fn)(void *arg), void *arg, struct magpie_wg *wg, gfp_t gfp);
int magpie_fork(void (*fn)(void *arg), void *arg, struct magpie_wg *wg, gfp_t gfp);
struct magpie_task *magpie_go_cancelable(void (*fn)(void *arg), void *arg,
					 struct magpie_wg *wg, gfp_t gfp);
bool magpie_task_cancel(struct magpie_task *task);
void magpie_task_put(struct magpie_task *task);
void magpie_pool_flush(void);

/**
 * struct magpie_pool_totals - the pool's counters summed over all CPUs
 * @runs: tasks run
 * @steals: successful steals
 * @from_global: tasks run straight from the global queue, one per batch
 *	taken from it
 * @overflows: times a full ring sent half its tasks to the global queue
 * @parks: times a worker went to sleep
 * @idle_wakeups: wakeups of a worker that then found nothing to run
 * @helped: tasks a worker waiting for a group ran meanwhile
 * @help_sleeps: times a worker waiting for a group slept, as it found
 *	nothing it could run meanwhile
 * @forks_inline: magpie_fork() children run inline instead of queued
 * @handoffs: times sysmon woke a spare worker for a blocked or busy one
 */
struct magpie_pool_totals {
	u64 runs;
	u64 steals;
	u64 from_global;
	u64 overflows;
	u64 parks;
	u64 idle_wakeups;
	u64 helped;
	u64 help_sleeps;
	u64 forks_inline;
	u64 handoffs;
};

void magpie_pool_get_totals(struct magpie_pool_totals *totals);

#endif /* _MAGPIE_H */
