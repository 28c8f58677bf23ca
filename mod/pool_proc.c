// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie/pool and magpie_pool_get_totals(): what each P of the
 * worker pool did and what the pool holds now. Counters are read without
 * stopping anyone, so a line is a snapshot of moving numbers, as
 * /proc/stat is.
 */
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "internal.h"
#include "pool.h"

static int magpie_pool_show(struct seq_file *sf, void *v)
{
	struct magpie_pool *pool = &magpie_pool;
	unsigned int cpu, i, nr_spares, spares_running = 0, ms = 0;
	u64 total_runs = 0;

	seq_puts(sf, "magpie pool - version: 1.4\n");
	seq_puts(sf, "# cpu online       runs    runnext      local     global     stolen   steals  stolen_in stolen_out overflows    spins    parks idle_wakeups     helped help_sleeps forks_inline max_run_us queued\n");
	for_each_possible_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);
		struct magpie_p_stats *st = &p->stats;

		if (p->m)
			ms++;
		total_runs += READ_ONCE(st->runs);
		seq_printf(sf, "%5u %6d %10llu %10llu %10llu %10llu %10llu %8llu %10llu %10ld %9llu %8llu %8llu %12llu %10llu %11llu %12llu %10llu %6u\n",
			   cpu, READ_ONCE(p->online), READ_ONCE(st->runs),
			   READ_ONCE(st->from_runnext), READ_ONCE(st->from_local),
			   READ_ONCE(st->from_global), READ_ONCE(st->from_steal),
			   READ_ONCE(st->steals), READ_ONCE(st->stolen_in),
			   atomic_long_read(&p->stolen_out), READ_ONCE(st->overflows),
			   READ_ONCE(st->spins), READ_ONCE(st->parks),
			   READ_ONCE(st->idle_wakeups), READ_ONCE(st->helped),
			   READ_ONCE(st->help_sleeps),
			   READ_ONCE(st->forks_inline),
			   div_u64(READ_ONCE(st->max_run_ns), NSEC_PER_USEC),
			   magpie_runq_len(&p->runq) + !!READ_ONCE(p->runq.runnext));
	}
	/* Acquire: pairs with the release that published each spare. */
	nr_spares = smp_load_acquire(&pool->nr_spares);
	for (i = 0; i < nr_spares; i++)
		spares_running += !READ_ONCE(pool->spares[i]->parked);
	seq_printf(sf, "pool ms %u idle %d spinning %d spares %u spares_running %u handoffs %ld global_queued %u in_flight %ld runs %llu sysmon_ticks %lu moved_offline %ld\n",
		   ms + nr_spares, atomic_read(&pool->nr_idle),
		   atomic_read(&pool->nr_spinning), nr_spares, spares_running,
		   atomic_long_read(&pool->handoffs), magpie_gqueue_len(&pool->global),
		   magpie_pool_in_flight(pool, 0) + magpie_pool_in_flight(pool, 1),
		   total_runs, READ_ONCE(pool->sysmon_ticks),
		   atomic_long_read(&pool->moved_offline));
	return 0;
}

/**
 * magpie_pool_get_totals() - the pool's counters, summed over all CPUs
 * @totals: filled in; a snapshot of moving numbers
 *
 * For monitoring and benchmarks: the difference of two snapshots says
 * what the pool did in between.
 *
 * Context: any.
 */
void magpie_pool_get_totals(struct magpie_pool_totals *totals)
{
	struct magpie_pool *pool = &magpie_pool;
	unsigned int cpu;

	memset(totals, 0, sizeof(*totals));
	for_each_possible_cpu(cpu) {
		struct magpie_p_stats *st = &per_cpu_ptr(pool->ps, cpu)->stats;

		totals->runs += READ_ONCE(st->runs);
		totals->steals += READ_ONCE(st->steals);
		totals->from_global += READ_ONCE(st->from_global);
		totals->overflows += READ_ONCE(st->overflows);
		totals->parks += READ_ONCE(st->parks);
		totals->idle_wakeups += READ_ONCE(st->idle_wakeups);
		totals->helped += READ_ONCE(st->helped);
		totals->help_sleeps += READ_ONCE(st->help_sleeps);
		totals->forks_inline += READ_ONCE(st->forks_inline);
	}
	totals->handoffs = atomic_long_read(&pool->handoffs);
}
EXPORT_SYMBOL_GPL(magpie_pool_get_totals);

/**
 * magpie_pool_proc_init() - create /proc/magpie/pool
 * @dir: /proc/magpie
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_pool_proc_init(struct proc_dir_entry *dir)
{
	return proc_create_single("pool", 0444, dir, magpie_pool_show) ? 0 : -ENOMEM;
}
