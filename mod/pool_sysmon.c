// SPDX-License-Identifier: GPL-2.0
/*
 * sysmon: the pool's monitor kthread (Go's sysmon, retake and handoffp).
 *
 * A module cannot hook the scheduler's sleep path as workqueue does (its
 * workers tell the pool when they block), so sysmon samples instead. Every
 * tick (one jiffy) it looks at each M's current task: an M whose task
 * began at least a tick ago and that is not running (it sleeps or waits
 * for a lock), or whose task has run for MAGPIE_SYSMON_HOG_MS, holds its
 * CPU's P hostage. For each such M sysmon wants one spare M running; if
 * work is queued anywhere it wakes them. A spare runs on whichever CPU the
 * scheduler gives it (an idle one, so usually the blocked M's), takes that
 * CPU's P for as long as it has work and parks when sysmon no longer wants
 * it. Go hands the P itself to another M; here the P is per CPU and
 * belongs to whatever runs there, which gives the same effect without a
 * handover protocol.
 *
 * Task starts are recorded in jiffies (a clock read per task costs more
 * than a short task), so "began at least a tick ago" means two tick
 * boundaries crossed. The bound: a task queued behind a blocked worker
 * starts within three ticks plus a wakeup, 12 ms at HZ=250; behind a task
 * that hogs the CPU, within MAGPIE_SYSMON_HOG_MS plus a tick, and then
 * shares the CPU with the hog under the scheduler.
 * When the pool has been idle for a while sysmon sleeps until an M wakes.
 */
#include <linux/kthread.h>
#include <linux/jiffies.h>

#include "pool.h"

#define MAGPIE_SYSMON_HOG_MS		10
#define MAGPIE_SYSMON_IDLE_TICKS	100

/*
 * Whether @m is stuck in a task as seen at @now. Task starts are kept in
 * jiffies, so "a tick ago" means two tick boundaries crossed.
 */
static bool magpie_m_stuck(struct magpie_m *m, unsigned long now, bool *busy)
{
	unsigned long start = READ_ONCE(m->task_start), age;

	if (!start)
		return false;
	*busy = true;
	age = now - start;
	return (age >= 2 && !task_is_running(m->task)) ||
	       age >= msecs_to_jiffies(MAGPIE_SYSMON_HOG_MS);
}

/* One look at every M; returns whether the pool was doing anything. */
static bool magpie_sysmon_tick(struct magpie_pool *pool)
{
	unsigned int cpu, i, want = 0, nr_spares;
	unsigned long now = jiffies;
	bool busy = false;

	for_each_possible_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);
		struct magpie_m *m = READ_ONCE(p->m);

		if (m && READ_ONCE(p->online) && magpie_m_stuck(m, now, &busy))
			want++;
	}
	/* A spare that is stuck itself needs a replacement, too. */
	/* Acquire: pairs with the release that published each spare. */
	nr_spares = smp_load_acquire(&pool->nr_spares);
	for (i = 0; i < nr_spares; i++)
		if (magpie_m_stuck(pool->spares[i], now, &busy))
			want++;
	want = min_t(unsigned int, want, MAGPIE_MAX_SPARES);
	WRITE_ONCE(pool->spares_wanted, want);
	if (!want || !magpie_pool_has_work(pool))
		return busy || magpie_pool_has_work(pool);
	for (i = 0; i < want; i++) {
		struct magpie_m *m = magpie_pool_spare_get(pool, i);

		if (!m)
			break;
		if (READ_ONCE(m->parked))
			atomic_long_inc(&pool->handoffs);
		wake_up_process(m->task);
	}
	return true;
}

/**
 * magpie_sysmon_main() - sysmon's loop
 * @arg: the pool
 *
 * Return: 0 when stopped.
 */
int magpie_sysmon_main(void *arg)
{
	struct magpie_pool *pool = arg;
	unsigned int idle_ticks = 0;

	while (!kthread_should_stop()) {
		pool->sysmon_ticks++;
		if (magpie_sysmon_tick(pool))
			idle_ticks = 0;
		else
			idle_ticks++;
		if (idle_ticks < MAGPIE_SYSMON_IDLE_TICKS) {
			schedule_timeout_idle(1);
			continue;
		}
		/*
		 * Idle: sleep until an M comes out of parking. The flag is set
		 * before the last look, and an M wakes us after it left the
		 * idle list, so a busy pool never finds us asleep for long.
		 */
		set_current_state(TASK_IDLE);
		WRITE_ONCE(pool->sysmon_sleeping, true);
		/* The flag before the look; an M wakes us after it queued. */
		smp_mb();
		if (!magpie_pool_has_work(pool) && !kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(pool->sysmon_sleeping, false);
		idle_ticks = 0;
	}
	return 0;
}
