// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie/caches: one line per cache, slabinfo-style; and
 * /proc/magpie/classes: the same spans summed per size class. Figures other
 * CPUs are changing (their magazines and counters) are read without
 * stopping them, so a line is a snapshot that can be off by what moved
 * while it was taken; the span and depot figures are exact at their lock.
 */
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "cache.h"
#include "internal.h"

struct magpie_cache_figures {
	unsigned long total, free_in_spans, in_mags, spans, pages;
	unsigned int depot_full, depot_empty, mag_size;
	u64 hits, ops, locks;
};

static u32 magpie_rounds(const struct magpie_magazine *mag)
{
	return READ_ONCE(mag->rounds);
}

static void magpie_cache_figures(struct magpie_cache *cache, struct magpie_cache_figures *f)
{
	unsigned long flags;
	unsigned int cpu;

	memset(f, 0, sizeof(*f));
	spin_lock_irqsave(&cache->central.lock, flags);
	f->spans = cache->central.nr_spans;
	f->free_in_spans = cache->central.free_objects;
	f->locks = cache->central.lock_count;
	spin_unlock_irqrestore(&cache->central.lock, flags);
	f->total = f->spans * magpie_sizeclasses[cache->class].nobjs;
	f->pages = f->spans * magpie_sizeclasses[cache->class].npages;

	magpie_lock(&cache->depot.lock, flags);
	f->in_mags += cache->depot.full_rounds;
	f->depot_full = cache->depot.nr_full;
	f->depot_empty = cache->depot.nr_empty;
	f->mag_size = cache->depot.mag_size;
	f->locks += cache->depot.locks;
	magpie_unlock(&cache->depot.lock, flags);

	for_each_possible_cpu(cpu) {
		struct magpie_cpu_cache *pc = per_cpu_ptr(cache->cpu, cpu);

		/* Racy by design: the owner CPU may be swapping them now. */
		f->in_mags += magpie_rounds(READ_ONCE(pc->pair.loaded)) +
			      magpie_rounds(READ_ONCE(pc->pair.previous));
		f->hits += READ_ONCE(pc->alloc_hits) + READ_ONCE(pc->free_hits);
		f->ops += READ_ONCE(pc->alloc_hits) + READ_ONCE(pc->free_hits) +
			  READ_ONCE(pc->alloc_misses) + READ_ONCE(pc->free_misses);
	}
}

/*
 * Format 1.0: a version line (with the init_on_alloc/init_on_free modes in
 * force, which decide whether objects are zeroed), a '#' column header,
 * one line per cache. hit% is the share of allocations and frees served by
 * the CPU's own magazines; locks/1k counts depot and span-list lock
 * acquisitions per 1000 of them.
 */
static int magpie_caches_show(struct seq_file *m, void *v)
{
	struct magpie_cache_figures f;
	struct magpie_cache *cache;

	seq_printf(m, "magpie caches - version: 1.0 init_on_alloc: %d init_on_free: %d\n",
		   want_init_on_alloc(0), want_init_on_free());
	seq_puts(m, "# name                 objsize  size align active_objs  total_objs  spans  pages magsize depot_full depot_empty  hit%  locks/1k\n");
	mutex_lock(&magpie_caches_mutex);
	list_for_each_entry(cache, &magpie_caches, list) {
		unsigned long active;
		u64 hit_pm = 0, locks_pk = 0;

		magpie_cache_figures(cache, &f);
		active = f.total - min(f.total, f.free_in_spans + f.in_mags);
		if (f.ops) {
			hit_pm = div64_u64(f.hits * 1000, f.ops);
			locks_pk = div64_u64(f.locks * 1000, f.ops);
		}
		seq_printf(m, "%-22s %7u %5u %5u %11lu %11lu %6lu %6lu %7u %10u %11u %3llu.%llu %9llu\n",
			   cache->name, cache->object_size, cache->size, cache->align, active,
			   f.total, f.spans, f.pages, f.mag_size, f.depot_full, f.depot_empty,
			   hit_pm / 10, hit_pm % 10, locks_pk);
		cond_resched();	/* one child cache per memory cgroup */
	}
	mutex_unlock(&magpie_caches_mutex);
	return 0;
}

struct magpie_class_sum {
	unsigned long caches, spans, free_in_spans;
};

/*
 * Format 1.0: version line, '#' header, one line per size class with the
 * spans of every cache of that class: objects out of their spans (in use
 * or in magazines), the bytes they cover, and the bytes lost to span tails.
 */
static int magpie_classes_show(struct seq_file *m, void *v)
{
	struct magpie_class_sum *sum;
	struct magpie_cache *cache;
	unsigned long flags;
	unsigned int c;

	sum = kcalloc(MAGPIE_NR_SIZECLASSES, sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	mutex_lock(&magpie_caches_mutex);
	list_for_each_entry(cache, &magpie_caches, list) {
		struct magpie_class_sum *s = &sum[cache->class];

		s->caches++;
		spin_lock_irqsave(&cache->central.lock, flags);
		s->spans += cache->central.nr_spans;
		s->free_in_spans += cache->central.free_objects;
		spin_unlock_irqrestore(&cache->central.lock, flags);
		cond_resched();
	}
	mutex_unlock(&magpie_caches_mutex);

	seq_puts(m, "magpie classes - version: 1.0\n");
	seq_puts(m, "# class  size caches  spans  pages    objects  out_of_spans    bytes_out tail_waste_bytes\n");
	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		const struct magpie_sizeclass *sc = &magpie_sizeclasses[c];
		unsigned long objs = sum[c].spans * sc->nobjs;
		unsigned long out = objs - min(objs, sum[c].free_in_spans);

		seq_printf(m, "%7u %5u %6lu %6lu %6lu %10lu %13lu %12lu %16lu\n", c, sc->size,
			   sum[c].caches, sum[c].spans, sum[c].spans * sc->npages, objs, out,
			   out * sc->size, sum[c].spans * sc->tail_waste);
	}
	kfree(sum);
	return 0;
}

/**
 * magpie_cache_proc_init() - add /proc/magpie/caches and /proc/magpie/classes
 * @dir: the /proc/magpie directory
 *
 * Readable by root only (0400), as /proc/slabinfo: cache names and sizes
 * tell about other users' activity.
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_cache_proc_init(struct proc_dir_entry *dir)
{
	if (!proc_create_single("caches", 0400, dir, magpie_caches_show) ||
	    !proc_create_single("classes", 0400, dir, magpie_classes_show))
		return -ENOMEM;
	return 0;
}
