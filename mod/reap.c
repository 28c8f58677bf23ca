// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back: the periodic reaper and the shrinker.
 *
 * Every reap interval the reaper trims each cache's depot to its working
 * set (magazines that sat unused for the whole interval go, Bonwick's
 * policy), grows magazines where the depot lock was contended, returns
 * spans that stayed empty for an interval (or were emptied by those idle
 * magazines) to the page heap, and idle chunks to the buddy allocator.
 * Memory freed in a burst is thus back within two intervals: one to prove
 * it idle, one to release it. Under memory pressure the shrinker does all
 * of that at once, without waiting.
 *
 * The per-CPU magazine pairs belong to their CPU, so the reaper does not
 * touch them: a CPU whose count of operations on a cache did not move for
 * a whole interval gets a work item, run on that CPU, that moves its pair
 * to the depot (as SLUB's flush_all does with per-CPU works), and the
 * next passes return it. The shrinker, which may run under a holder of
 * magpie_caches_mutex, never waits for such work.
 */
#include <linux/cpu.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>

#include "cache.h"
#include "compat.h"
#include "internal.h"

static unsigned int reap_interval_ms = 2000;

static int magpie_reap_interval_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (ret)
		return ret;
	if (ms < 100 || ms > 600000)
		return -ERANGE;
	WRITE_ONCE(reap_interval_ms, ms);
	return 0;
}

static const struct kernel_param_ops magpie_reap_interval_ops = {
	.set = magpie_reap_interval_set,
	.get = param_get_uint,
};
module_param_cb(reap_interval_ms, &magpie_reap_interval_ops, &reap_interval_ms, 0644);
MODULE_PARM_DESC(reap_interval_ms, "milliseconds between reaper passes (100..600000, default 2000)");

static struct shrinker *magpie_shrinker;
static DEFINE_PER_CPU(struct work_struct, magpie_flush_work);
static void magpie_reap_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(magpie_reap_work, magpie_reap_work_fn);

static unsigned long magpie_reap_interval(void)
{
	return msecs_to_jiffies(READ_ONCE(reap_interval_ms));
}

/**
 * magpie_reap_interval_msecs() - the reap interval in force
 *
 * Return: milliseconds between reaper passes.
 */
unsigned int magpie_reap_interval_msecs(void)
{
	return READ_ONCE(reap_interval_ms);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_reap_interval_msecs);

/* Marks the CPUs that did nothing with @cache since the last pass. */
static bool magpie_reap_mark_idle_cpus(struct magpie_cache *cache)
{
	bool any = false;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct magpie_cpu_cache *pc = per_cpu_ptr(cache->cpu, cpu);
		u64 ops = READ_ONCE(pc->alloc_hits) + READ_ONCE(pc->alloc_misses) +
			  READ_ONCE(pc->free_hits) + READ_ONCE(pc->free_misses);

		/* Racy reads of the pair: a wrong guess costs one work item. */
		if (ops == pc->reap_seen &&
		    (READ_ONCE(pc->pair.loaded)->rounds || READ_ONCE(pc->pair.previous)->rounds)) {
			pc->flush_wanted = true;
			any = true;
		}
		pc->reap_seen = ops;
	}
	return any;
}

/* Runs on the CPU to flush: hands its magazines of marked caches back. */
static void magpie_flush_work_fn(struct work_struct *work)
{
	unsigned int cpu = raw_smp_processor_id();
	struct magpie_cache *cache;

	mutex_lock(&magpie_caches_mutex);
	list_for_each_entry(cache, &magpie_caches, list) {
		struct magpie_cpu_cache *pc = per_cpu_ptr(cache->cpu, cpu);

		if (pc->flush_wanted) {
			pc->flush_wanted = false;
			magpie_cache_flush_local(cache);
		}
	}
	mutex_unlock(&magpie_caches_mutex);
}

/* Without magpie_caches_mutex held: the works take it. */
static void magpie_reap_flush_idle_cpus(void)
{
	unsigned int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		queue_work_on(cpu, magpie_percpu_wq(), per_cpu_ptr(&magpie_flush_work, cpu));
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(&magpie_flush_work, cpu));
	cpus_read_unlock();
}

static unsigned long magpie_reap_locked(bool urgent, bool *flush)
{
	unsigned long min_idle = urgent ? 0 : magpie_reap_interval();
	struct magpie_cache *cache;
	unsigned long pages = 0;

	lockdep_assert_held(&magpie_caches_mutex);
	list_for_each_entry(cache, &magpie_caches, list) {
		if (!urgent && magpie_reap_mark_idle_cpus(cache))
			*flush = true;
		magpie_cache_drain_depot(cache, urgent);
		if (!urgent)
			magpie_depot_resize_check(&cache->depot);
		pages += magpie_central_release_empty(cache, min_idle);
		cond_resched();
	}
	/*
	 * Chunks need no grace of their own: they only go idle when the
	 * spans above were released after theirs, or a large object freed.
	 */
	return pages + magpie_heap_release_idle(0);
}

/**
 * magpie_reap_all() - one pass of memory return over every cache
 * @urgent: release everything idle now (shrinker) instead of only what
 *	stayed idle for a whole interval (reaper)
 *
 * Context: process context; takes magpie_caches_mutex.
 * Return: pages given back to the buddy allocator.
 */
unsigned long magpie_reap_all(bool urgent)
{
	unsigned long pages;
	bool flush = false;

	mutex_lock(&magpie_caches_mutex);
	pages = magpie_reap_locked(urgent, &flush);
	mutex_unlock(&magpie_caches_mutex);
	if (flush)
		magpie_reap_flush_idle_cpus();
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_reap_all);

static void magpie_reap_work_fn(struct work_struct *work)
{
	magpie_reap_all(false);
	queue_delayed_work(magpie_unbound_wq(), &magpie_reap_work, magpie_reap_interval());
}

/*
 * What the shrinker could free, in pages: idle chunks, empty spans and
 * the spans the depot's full magazines may empty (counted as their
 * objects' bytes, an upper bound).
 */
static unsigned long magpie_shrink_count(struct shrinker *shrinker,
					 struct shrink_control *sc)
{
	struct magpie_heap_stats hs;
	struct magpie_cache *cache;
	unsigned long pages, bytes = 0;

	magpie_heap_get_stats(&hs);
	pages = hs.chunk_pages - min(hs.chunk_pages, hs.run_pages - hs.direct_pages);
	if (!mutex_trylock(&magpie_caches_mutex))
		return pages;
	list_for_each_entry(cache, &magpie_caches, list) {
		pages += READ_ONCE(cache->central.nr_empty) *
			 magpie_sizeclasses[cache->class].npages;
		bytes += (unsigned long)READ_ONCE(cache->depot.full_rounds) * cache->size;
		cond_resched();	/* one child cache per memory cgroup */
	}
	mutex_unlock(&magpie_caches_mutex);
	return pages + (bytes >> PAGE_SHIFT);
}

static unsigned long magpie_shrink_scan(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	unsigned long freed;
	bool flush = false;

	/* Reclaim may run under a holder of the mutex: never wait for it. */
	if (!mutex_trylock(&magpie_caches_mutex))
		return SHRINK_STOP;
	freed = magpie_reap_locked(true, &flush);
	mutex_unlock(&magpie_caches_mutex);
	return freed ? freed : SHRINK_STOP;
}

/**
 * magpie_reap_init() - start the reaper and register the shrinker
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_reap_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		INIT_WORK(per_cpu_ptr(&magpie_flush_work, cpu), magpie_flush_work_fn);
	magpie_shrinker = magpie_shrinker_create(magpie_shrink_count, magpie_shrink_scan,
						 "magpie");
	if (!magpie_shrinker)
		return -ENOMEM;
	queue_delayed_work(magpie_unbound_wq(), &magpie_reap_work, magpie_reap_interval());
	return 0;
}

/**
 * magpie_reap_exit() - stop the reaper, unregister the shrinker
 */
void magpie_reap_exit(void)
{
	unsigned int cpu;

	magpie_shrinker_destroy(magpie_shrinker);
	cancel_delayed_work_sync(&magpie_reap_work);
	for_each_possible_cpu(cpu)
		flush_work(per_cpu_ptr(&magpie_flush_work, cpu));
}
