// SPDX-License-Identifier: GPL-2.0
/*
 * Wait groups (Go's sync.WaitGroup) and help-while-waiting.
 *
 * The counter is one atomic_t in the group. Whoever brings it to zero
 * calls wake_up_var() on its address, which hashes the address to a
 * kernel-wide wait queue and never dereferences it: so a finished task
 * touches nothing of the group after its final decrement, and the group
 * may live on the waiter's stack (the waiter returns as soon as it sees
 * zero, possibly before that wakeup).
 *
 * A worker that waits would otherwise take a CPU's M out of the pool for
 * as long as the group's tasks run, and with every M waiting on work
 * queued behind them the pool would deadlock. So a waiting worker runs
 * other tasks meanwhile (its own ring first, where the children it just
 * spawned usually are), and sleeps only when there is nothing to run;
 * then it sits on the idle list, so new work wakes it like any parked M.
 * Running tasks nests on the waiter's kernel stack; past
 * MAGPIE_HELP_DEPTH_MAX nested tasks, or with less than a quarter of the
 * stack left, it stops helping and just sleeps, and sysmon's spare Ms keep
 * the pool going (Documentation/pool.rst).
 *
 * Owed decrements. A worker that finishes a task does not decrement the
 * group at once: it owes the decrement (m->wg_owed_to, m->wg_owed) and
 * pays when it is about to do anything else than run more of the same
 * group's tasks: run another group's task (or one without a group), look
 * beyond its own P for work, wait, park or stop. And a task it spawns
 * into the group it owes to takes an owed decrement back instead of
 * adding. So the counter in memory is the true count plus what workers
 * owe: never below it, so a waiter never returns early, and above it
 * only while the worker that owes runs the group's own tasks, when the
 * true count is not zero either (one is running) or for the moment
 * between two of them. A chain of tasks, each spawning the next, then
 * touches the counter's line not at all, and a worker draining one
 * submitter's stream no longer writes the line the submitter adds on.
 * The pay is the one atomic decrement of magpie_wg_add(), with its full
 * ordering: everything the tasks did happens before the waiter's acquire
 * read of zero. Only the pool's own decrement after a task is deferred: a
 * magpie_wg_done() a task calls itself takes effect at once.
 *
 * The task's in-flight count, which magpie_pool_flush() waits on, is owed
 * with the group's decrement and paid after it: a flush returns only once
 * the groups of the tasks it waited for are written for the last time.
 * So a debt is for one group and one flush color, and a spawn takes one
 * back only under the color it owes for, skipping both the group's add
 * and the in-flight count.
 */
#include <linux/kthread.h>
#include <linux/sched/clock.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "pool.h"

/**
 * magpie_wg_init() - make a wait group with a zero counter
 * @wg: the group
 */
void magpie_wg_init(struct magpie_wg *wg)
{
	atomic_set(&wg->count, 0);
}
EXPORT_SYMBOL_GPL(magpie_wg_init);

/**
 * magpie_wg_add() - add to a wait group's counter
 * @wg: the group
 * @delta: what to add; may be negative
 *
 * As in Go, adds with a positive @delta that start a new round must
 * happen before the wait; the counter may pass through zero while a
 * spawner is still adding (its tasks finish fast), which wakes waiters
 * that then see the counter at zero or not. A counter that goes negative
 * is a caller bug and warns once.
 *
 * Context: any.
 */
void magpie_wg_add(struct magpie_wg *wg, int delta)
{
	/* Fully ordered: the task's work before the count the waiter reads. */
	int v = atomic_add_return(delta, &wg->count);

	WARN_ONCE(v < 0, "magpie: wait group counter went negative (%d)\n", v);
	if (v == 0)
		wake_up_var(&wg->count);	/* reads nothing of @wg */
}
EXPORT_SYMBOL_GPL(magpie_wg_add);

/**
 * magpie_wg_done() - one task of the group finished
 * @wg: the group
 *
 * The caller must not touch @wg afterwards unless it knows the group is
 * still alive.
 *
 * Context: any.
 */
void magpie_wg_done(struct magpie_wg *wg)
{
	magpie_wg_add(wg, -1);
}
EXPORT_SYMBOL_GPL(magpie_wg_done);

/**
 * magpie_m_wg_pay() - pay what an M owes (file comment)
 * @m: the M, current, owing to a group
 *
 * Afterwards @m must not touch the group: the payment may be its last
 * decrement.
 */
void magpie_m_wg_pay(struct magpie_m *m)
{
	struct magpie_pool *pool = m->pool;
	struct magpie_wg *wg = m->wg_owed_to;
	int owed = m->wg_owed;

	m->wg_owed_to = NULL;
	m->wg_owed = 0;
	if (!owed)
		return;
	/*
	 * The group first, by a fully ordered atomic: a flush that sees the
	 * in-flight count drop returns to a caller that may free the group.
	 */
	magpie_wg_add(wg, -owed);
	magpie_pool_uncount(pool, m->wg_owed_color, owed);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_m_wg_pay);

static bool magpie_wg_zero(struct magpie_wg *wg)
{
	/* Acquire: what the tasks did is visible once we see zero. */
	return atomic_read_acquire(&wg->count) == 0;
}

/*
 * Sleeps until @wg reaches zero or, with @idle, new work wakes us as an
 * idle M (@recheck as for magpie_m_idle_add()). Without @idle (too deep
 * to help) only the group wakes us; sysmon sees a blocked worker and lets
 * a spare run what is queued.
 */
static void magpie_m_help_sleep(struct magpie_pool *pool, struct magpie_m *m,
				struct magpie_wg *wg, bool idle, bool recheck)
{
	struct wait_bit_queue_entry wbq;
	struct wait_queue_head *wq = __var_waitqueue(&wg->count);

	init_wait_var_entry(&wbq, &wg->count, 0);
	prepare_to_wait_event(wq, &wbq.wq_entry, TASK_IDLE);
	if (idle && !magpie_m_idle_add(pool, m, recheck)) {
		finish_wait(wq, &wbq.wq_entry);
		return;
	}
	if (!magpie_wg_zero(wg)) {
		this_cpu_inc(pool->ps->stats.help_sleeps);
		schedule();
	}
	finish_wait(wq, &wbq.wq_entry);
	if (idle)
		magpie_m_idle_del(pool, m);
}

/**
 * magpie_m_help_poll() - watch a group and the queues for a moment
 * @pool: the pool
 * @wg: the group a worker waits for
 * @end: the deadline by local_clock(); 0 sets it to MAGPIE_HELP_POLL_NS from now
 *
 * Before a helper that found nothing deeper to run goes to sleep, it
 * watches for a while whether the group reaches zero or anything is
 * queued anywhere (magpie_pool_queue_stamp()), as long as nothing else
 * wants the CPU. In fork-join the wait is mostly short, for a child the
 * other CPU stole and is about to finish, and a sleep and wakeup cost more
 * than it; meanwhile the other CPU spawns deeper tasks we may take. The
 * deadline is set on the first poll after a task ran, so a helper polls
 * at most MAGPIE_HELP_POLL_NS between two tasks.
 *
 * The stamp is taken here, after the caller's look for deeper work, not
 * before it: the look requeues the shallower tasks it passes over, which
 * would end every poll at once (tried: fib20's speedup on two CPUs fell
 * from 1.8 to 1.5, run 10 of Documentation/benchmarks.rst). A deeper task
 * queued between the look and the stamp is not lost: its spawner runs it
 * or wakes an M for it; this helper only misses the chance to take it.
 *
 * Return: true when the group reached zero or something was queued; false
 * at the deadline or when another thread wants the CPU.
 */
bool magpie_m_help_poll(struct magpie_pool *pool, struct magpie_wg *wg, u64 *end)
{
	unsigned long stamp = magpie_pool_queue_stamp(pool);
	u64 now = local_clock();

	if (!*end)
		*end = now + MAGPIE_HELP_POLL_NS;
	for (;;) {
		if (magpie_wg_zero(wg) || magpie_pool_queue_stamp(pool) != stamp)
			return true;
		if (now >= *end || magpie_cpu_wanted())
			return false;
		cpu_relax();
		now = local_clock();
	}
}
EXPORT_SYMBOL_IF_KUNIT(magpie_m_help_poll);

/**
 * magpie_m_help() - wait for a group from a worker, running tasks meanwhile
 * @pool: the pool
 * @m: the M, current
 * @wg: the group
 *
 * Runs only tasks deeper in the fork-join tree than the one waiting (as
 * TBB's depth-restricted stealing does): nesting on the stack then never
 * exceeds the tree's depth, and the waiter with the shallowest task can
 * always run the children the others wait for. Shallower tasks stay
 * queued for workers that may run them.
 */
void magpie_m_help(struct magpie_pool *pool, struct magpie_m *m, struct magpie_wg *wg)
{
	u64 poll_end = 0;

	for (;;) {
		bool can_help = magpie_m_may_nest(m);
		struct magpie_task *task = NULL;

		/* Before anything may put us on the idle list (a hint to wakers). */
		WRITE_ONCE(m->helping, true);
		/* What we owe the group may be all that keeps it above zero. */
		if (m->wg_owed_to == wg)
			magpie_m_wg_settle(m);
		if (magpie_wg_zero(wg))
			break;

		if (can_help)
			task = magpie_find_deeper(pool, m);
		/*
		 * A waker may have made us a spinner meanwhile, for work we
		 * may not run: then another M must look for it.
		 */
		if (m->spinning) {
			if (task)
				magpie_m_stop_spinning(pool, m, true);
			else
				magpie_m_pass_wakeup(pool, m);
		}
		if (task) {
			WRITE_ONCE(m->helping, false);
			m->help_depth++;
			magpie_run_task(pool, m, task);
			m->help_depth--;
			poll_end = 0;
			continue;
		}
		/* Polling may take long: pay first. */
		magpie_m_wg_settle(m);
		if (can_help && magpie_m_help_poll(pool, wg, &poll_end))
			continue;
		/*
		 * Whatever is queued is shallower than us: no point in waking
		 * for it, hence no recheck. A deeper task queued meanwhile
		 * wakes us through the idle list.
		 */
		magpie_m_help_sleep(pool, m, wg, can_help && m->cpu >= 0 &&
				    !magpie_m_cpu_offline(pool, m), false);
	}
	WRITE_ONCE(m->helping, false);
	/* Woken for work while the group reached zero: we look for it. */
	if (m->spinning)
		magpie_m_pass_wakeup(pool, m);
	/* Back to the waiting task, which may run for long. */
	magpie_m_wg_settle(m);
}

/**
 * magpie_wg_wait() - wait until a group's counter is zero
 * @wg: the group
 *
 * Returns once the counter was zero at some moment at or after the call.
 * From one of the pool's workers it runs other tasks while it waits, so
 * fork-join recursion cannot deadlock the pool; elsewhere it sleeps.
 *
 * Context: process context, may sleep.
 */
void magpie_wg_wait(struct magpie_wg *wg)
{
	struct magpie_m *m;

	might_sleep();
	if (magpie_wg_zero(wg))
		return;
	m = magpie_current_m_any();
	if (m) {
		magpie_m_help(m->pool, m, wg);
		return;
	}
	magpie_outside_sleeps(&magpie_pool);
	wait_var_event(&wg->count, magpie_wg_zero(wg));
}
EXPORT_SYMBOL_GPL(magpie_wg_wait);
