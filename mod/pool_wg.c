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
 */
#include <linux/kthread.h>
#include <linux/sched/task_stack.h>
#include <linux/wait_bit.h>

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

static bool magpie_wg_zero(struct magpie_wg *wg)
{
	/* Acquire: what the tasks did is visible once we see zero. */
	return atomic_read_acquire(&wg->count) == 0;
}

/* Whether less than a quarter of the kernel stack is left. */
static bool magpie_stack_low(void)
{
	unsigned long sp = (unsigned long)__builtin_frame_address(0);
	unsigned long base = (unsigned long)task_stack_page(current);

	return sp - base < THREAD_SIZE / 4;
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
	if (!magpie_wg_zero(wg))
		schedule();
	finish_wait(wq, &wbq.wq_entry);
	if (idle)
		magpie_m_idle_del(pool, m);
}

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
	while (!magpie_wg_zero(wg)) {
		bool can_help = m->help_depth < MAGPIE_HELP_DEPTH_MAX && !magpie_stack_low();
		struct magpie_task *task = NULL;

		if (can_help)
			task = magpie_find_deeper(pool, m);
		/* A waker may have made us a spinner meanwhile. */
		if (m->spinning)
			magpie_m_stop_spinning(pool, m, task);
		if (task) {
			m->help_depth++;
			magpie_run_task(pool, m, task);
			m->help_depth--;
			continue;
		}
		/*
		 * Whatever is queued is shallower than us: no point in waking
		 * for it, hence no recheck. A deeper task queued meanwhile
		 * wakes us through the idle list.
		 */
		magpie_m_help_sleep(pool, m, wg, can_help && m->cpu >= 0, false);
	}
	if (m->spinning)
		magpie_m_stop_spinning(pool, m, false);
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
	m = magpie_current_m();
	if (m) {
		magpie_m_help(m->pool, m, wg);
		return;
	}
	magpie_outside_sleeps(&magpie_pool);
	wait_var_event(&wg->count, magpie_wg_zero(wg));
}
EXPORT_SYMBOL_GPL(magpie_wg_wait);
