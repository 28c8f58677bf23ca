// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler of the worker pool: an M's search for work (runnext, own
 * ring, fairness tick, global queue, stealing), spinning, running a task,
 * and the M's loop. Parking and waking Ms, and the handshakes that keep a
 * task from being left behind with everyone asleep, are in pool_park.c.
 */
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/sched/clock.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pool.h"

/**
 * magpie_current_m() - the M the caller runs on, if any
 *
 * Return: the M, or NULL when current is not one of the pool's workers
 * (or is a bound M running off its CPU: see magpie_current_m_any()).
 */
struct magpie_m *magpie_current_m(void)
{
	return magpie_m_of_current(false);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_current_m);

/**
 * magpie_current_m_any() - magpie_current_m(), bound Ms off their CPU too
 *
 * For a wait: a bound M that runs a task off its CPU (its CPU went
 * offline) must help and pay what it owes rather than sleep.
 *
 * Return: the M, or NULL when current is not one of the pool's workers.
 */
struct magpie_m *magpie_current_m_any(void)
{
	return magpie_m_of_current(true);
}

/**
 * magpie_pool_queue_stamp() - a number that changes as tasks are queued
 * @pool: the pool
 *
 * Sums every ring's tail (which only grows), every runnext and the
 * global queue's length. A hint: two equal readings almost always mean
 * nothing was queued in between, which is all magpie_m_help() needs to
 * decide whether looking for work again is worth it; so no ordering
 * beyond the loads' own. It reads a line of every P, which their owners
 * write: polling helpers (at most MAGPIE_HELP_POLL_NS between two tasks)
 * make that traffic on machines with many CPUs.
 *
 * Return: the stamp.
 */
unsigned long magpie_pool_queue_stamp(struct magpie_pool *pool)
{
	unsigned long stamp = magpie_gqueue_len(&pool->global);
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct magpie_runq *q = &per_cpu_ptr(pool->ps, cpu)->runq;

		stamp += magpie_runq_tail(q);
		stamp += (unsigned long)magpie_load_relaxed(&q->runnext);
	}
	return stamp;
}

/* Go's randomOrder: visit every CPU once, from a random start. */
static struct magpie_task *magpie_steal(struct magpie_pool *pool, struct magpie_p *p,
					unsigned int self)
{
	unsigned int pass, i, n = nr_cpu_ids, cpu;
	struct magpie_runq_node *node;
	u32 taken;

	for (pass = 0; pass < MAGPIE_STEAL_PASSES; pass++) {
		p->seed = p->seed * 1103515245 + 12345;
		cpu = (p->seed >> 16) % n;
		for (i = 0; i < n; i++, cpu = cpu + 1 < n ? cpu + 1 : 0) {
			struct magpie_p *victim;

			if (cpu == self || !cpu_possible(cpu))
				continue;
			victim = per_cpu_ptr(pool->ps, cpu);
			node = magpie_runq_steal(&p->runq, &victim->runq,
						 pass == MAGPIE_STEAL_PASSES - 1, &taken);
			if (!node)
				continue;
			magpie_outside_note(p, victim);
			p->stats.steals++;
			p->stats.stolen_in += taken;
			p->stats.from_steal++;
			atomic_long_add(taken, &victim->stolen_out);
			return container_of(node, struct magpie_task, node);
		}
	}
	return NULL;
}

/*
 * One look at this CPU's P and the global queue, and with @steal at the
 * other Ps. Every MAGPIE_FAIR_TICK-th time the global queue goes first
 * and the ring before runnext, so neither a flood of local work nor a
 * task that keeps respawning itself into runnext starves anyone. Inline
 * where an M looks for its next task; magpie_find_everywhere() otherwise.
 */
static __always_inline struct magpie_task *magpie_find_once(struct magpie_pool *pool, bool steal)
{
	struct magpie_runq_node *node = NULL;
	struct magpie_task *task = NULL;
	struct magpie_p *p;
	bool was_next;
	u32 nr_ps;

	preempt_disable();
	p = this_cpu_ptr(pool->ps);
	nr_ps = max(atomic_read(&pool->nr_online), 1);
	if (++p->schedtick % MAGPIE_FAIR_TICK == 0) {
		node = magpie_gqueue_get(&pool->global, &p->runq, nr_ps, 1);
		if (node) {
			p->stats.from_global++;
			goto out;
		}
		node = magpie_runq_pop_ring(&p->runq);
		if (node) {
			p->stats.from_local++;
			goto out;
		}
	}
	node = magpie_runq_get(&p->runq, &was_next);
	if (node) {
		if (was_next)
			p->stats.from_runnext++;
		else
			p->stats.from_local++;
		goto out;
	}
	node = magpie_gqueue_get(&pool->global, &p->runq, nr_ps, 0);
	if (node) {
		p->stats.from_global++;
		if (magpie_gqueue_len(&pool->global))
			magpie_global_backlog(pool, p);
		goto out;
	}
	if (steal)
		task = magpie_steal(pool, p, smp_processor_id());
out:
	preempt_enable();
	return node ? container_of(node, struct magpie_task, node) : task;
}

/* magpie_find_once() with stealing, out of line. */
static noinline struct magpie_task *magpie_find_everywhere(struct magpie_pool *pool)
{
	return magpie_find_once(pool, true);
}

/*
 * magpie_runq_get_if() asks about tasks still queued, one of which a thief
 * may claim, run and free meanwhile; the get's compare-and-swap then
 * fails and throws the answer away. So this read may hit freed memory, as
 * SLUB's speculative reads of free pointers may: KASAN must not check it
 * (the debug kernel caught it), and with debug_pagealloc, which unmaps free
 * pages, it goes through copy_from_kernel_nofault(). A task whose memory
 * is gone does not fit.
 */
static __no_sanitize_address bool magpie_task_deeper(struct magpie_runq_node *node, void *arg)
{
	struct magpie_task *task = container_of(node, struct magpie_task, node);
	u16 depth;

	if (debug_pagealloc_enabled_static()) {
		if (copy_from_kernel_nofault(&depth, &task->depth, sizeof(depth)))
			return false;
	} else {
		/* Racy by design, as above: a thief may own the task. */
		depth = data_race(READ_ONCE(task->depth));
	}
	return depth > *(int *)arg;
}

/*
 * A task that does not fit goes back to our ring (or, if the ring is
 * full, the global queue) and the ring is searched again.
 */
static struct magpie_runq_node *magpie_keep_if_deeper(struct magpie_pool *pool,
						      struct magpie_p *p,
						      struct magpie_runq_node *node,
						      int depth)
{
	struct magpie_runq_list overflow;

	if (!node || magpie_task_deeper(node, &depth))
		return node;
	magpie_runq_list_init(&overflow);
	if (magpie_runq_put(&p->runq, node, &overflow))
		magpie_gqueue_put_list(&pool->global, &overflow);
	return magpie_runq_get_if(&p->runq, magpie_task_deeper, &depth);
}

/**
 * magpie_find_deeper() - a task deeper than the one an M waits in
 * @pool: the pool
 * @m: the M, current, inside a task
 *
 * Looks at this CPU's P (runnext, then the ring from its newest task
 * back, where the children the waiting task spawned are), the global
 * queue and the other Ps, and takes only tasks deeper in the fork-join
 * tree than @m's current one; see magpie_m_help().
 *
 * Return: the task, or NULL.
 */
struct magpie_task *magpie_find_deeper(struct magpie_pool *pool, struct magpie_m *m)
{
	struct magpie_runq_node *node;
	struct magpie_task *task;
	struct magpie_p *p;
	int depth = m->cur_depth;

	preempt_disable();
	p = this_cpu_ptr(pool->ps);
	node = magpie_runq_get_if(&p->runq, magpie_task_deeper, &depth);
	if (node) {
		p->stats.from_local++;
	} else {
		node = magpie_gqueue_get(&pool->global, &p->runq,
					 max(atomic_read(&pool->nr_online), 1), 0);
		node = magpie_keep_if_deeper(pool, p, node, depth);
		if (node)
			p->stats.from_global++;
	}
	if (!node) {
		/* A steal counts itself (from_steal). */
		task = magpie_steal(pool, p, smp_processor_id());
		node = magpie_keep_if_deeper(pool, p, task ? &task->node : NULL, depth);
	}
	if (node)
		p->stats.helped++;
	preempt_enable();
	return node ? container_of(node, struct magpie_task, node) : NULL;
}

/**
 * magpie_m_stop_spinning() - leave the spinning state
 * @pool: the pool
 * @m: the M, current, spinning
 * @found: it found work; if it was the last spinner, another M is woken
 *	to look for more (Go's resetspinning)
 */
void magpie_m_stop_spinning(struct magpie_pool *pool, struct magpie_m *m, bool found)
{
	int left;

	m->spinning = false;
	left = atomic_dec_return(&pool->nr_spinning);
	WARN_ON_ONCE(left < 0);
	if (found && !left)
		magpie_wakep(pool);
}

/*
 * Whether this M may spin: Go lets at most half of the busy Ps spin, so
 * that spinning costs little CPU when the pool is mostly idle.
 */
static bool magpie_m_may_spin(struct magpie_pool *pool, struct magpie_m *m)
{
	int busy = atomic_read(&pool->nr_online) - atomic_read(&pool->nr_idle);

	return m->spinning || 2 * atomic_read(&pool->nr_spinning) < busy;
}

/*
 * A spinning M on an otherwise idle CPU watches the queues for a moment
 * before it parks: a stream of submissions then finds it awake, instead
 * of paying a wakeup per task (the idea of KVM's halt polling). It stops
 * as soon as anything else wants this CPU.
 */
static bool magpie_m_poll(struct magpie_pool *pool)
{
	u64 end = local_clock() + MAGPIE_IDLE_POLL_NS;

	while (!magpie_cpu_wanted()) {
		if (magpie_pool_has_work(pool))
			return true;
		if (local_clock() > end)
			break;
		cpu_relax();
	}
	return false;
}

/*
 * What an M runs next, without sleeping: looks locally, then (spinning,
 * when allowed) steals and polls briefly. A spinning M that finds nothing
 * stops spinning and looks once more. Inline in the M's loop, with the
 * local look: an M takes most tasks from its own P. Returns NULL when
 * the M should park.
 */
static __always_inline struct magpie_task *magpie_find_work(struct magpie_pool *pool,
							    struct magpie_m *m)
{
	struct magpie_task *task;

	task = magpie_find_once(pool, false);
	if (task)
		goto found;
	/* Out of local work: nothing of the group it owes to runs here next. */
	magpie_m_wg_settle(m);
	if (!magpie_m_may_spin(pool, m))
		return NULL;
	if (!m->spinning) {
		m->spinning = true;
		atomic_inc(&pool->nr_spinning);
		this_cpu_inc(pool->ps->stats.spins);
	}
	task = magpie_find_everywhere(pool);
	if (task)
		goto found;
	if (magpie_m_poll(pool)) {
		task = magpie_find_everywhere(pool);
		if (task)
			goto found;
	}
	magpie_m_stop_spinning(pool, m, false);
	/* Pairs with the submitter's barrier (pool_park.c, file comment). */
	smp_mb();
	if (!magpie_pool_has_work(pool))
		return NULL;
	task = magpie_find_everywhere(pool);
	if (!task)
		return NULL;
	/* Found by the recheck, not as a spinner: wake help as Go does. */
	smp_mb();
	magpie_wakep(pool);
	return task;
found:
	if (m->spinning)
		magpie_m_stop_spinning(pool, m, true);
	return task;
}

/* Releases the queue's reference to a task; the last one frees it. */
static __always_inline void magpie_task_release(struct magpie_pool *pool,
						struct magpie_task *task)
{
	if (!task->cancelable || refcount_dec_and_test(&task->ref))
		magpie_task_free(pool, task);
}

/*
 * Runs a task (or drops it if it was cancelled): magpie_run_task(),
 * inline in the M's loop.
 */
static __always_inline void __magpie_run_task(struct magpie_pool *pool, struct magpie_m *m,
					      struct magpie_task *task)
{
	struct magpie_wg *wg = task->wg;
	unsigned int color = task->color;
	bool run = true;

	if (task->cancelable)
		run = atomic_cmpxchg(&task->state, MAGPIE_TASK_QUEUED,
				     MAGPIE_TASK_RUNNING) == MAGPIE_TASK_QUEUED;
	if (run) {
		/* Tasks nest when a wait helps: sysmon judges the outermost. */
		unsigned long outer = m->task_start, j0 = jiffies;
		int outer_depth = m->cur_depth;
		/*
		 * The clock costs more than a short task (under TCG even more
		 * than the rest of a spawn): read it for one task in
		 * MAGPIE_TIME_SAMPLE; any task longer than a tick is timed
		 * in jiffies anyway.
		 */
		bool timed = !(m->tasks_run % MAGPIE_TIME_SAMPLE);
		u64 start = timed ? local_clock() : 0, ns = 0;

		magpie_m_wg_settle_other(m, wg, color);
		if (!outer)
			WRITE_ONCE(m->task_start, j0 ?: 1);
		m->cur_depth = task->depth;
		task->fn(task->arg);
		m->cur_depth = outer_depth;
		WRITE_ONCE(m->task_start, outer);
		j0 = jiffies - j0;
		if (j0)
			ns = jiffies_to_nsecs(j0);
		else if (timed)
			ns = local_clock() - start;
		WRITE_ONCE(m->tasks_run, m->tasks_run + 1);
		/* One instruction on x86, no preemption toggle for most tasks. */
		this_cpu_inc(pool->ps->stats.runs);
		if (ns) {
			preempt_disable();
			if (ns > __this_cpu_read(pool->ps->stats.max_run_ns))
				__this_cpu_write(pool->ps->stats.max_run_ns, ns);
			preempt_enable();
		}
	}
	magpie_task_release(pool, task);
	/* The canceller signalled a cancelled task's group and count. */
	if (!run)
		return;
	/* Owed with the group's decrement, paid after it (pool_wg.c). */
	if (wg)
		magpie_m_wg_done(m, wg, color);
	else
		magpie_pool_uncount(pool, color, 1);
}

/**
 * magpie_run_task() - run a task (or drop it if it was cancelled)
 * @pool: the pool
 * @m: the M, current
 * @task: the task, which the caller took off a queue
 */
void magpie_run_task(struct magpie_pool *pool, struct magpie_m *m, struct magpie_task *task)
{
	__magpie_run_task(pool, m, task);
}

/**
 * magpie_p_drain() - move a P's queued tasks to the global queue
 * @pool: the pool
 * @cpu: the P's CPU, offline or going
 */
void magpie_p_drain(struct magpie_pool *pool, unsigned int cpu)
{
	struct magpie_runq_list list;
	u32 moved;

	magpie_runq_list_init(&list);
	moved = magpie_runq_drain(&per_cpu_ptr(pool->ps, cpu)->runq, &list);
	if (!moved)
		return;
	atomic_long_add(moved, &pool->moved_offline);
	magpie_gqueue_put_list(&pool->global, &list);
	smp_mb();	/* the tasks are visible before we look for sleepers */
	magpie_wakep(pool);
}

/* Sleeps until woken; a wakeup that finds nothing afterwards is counted. */
static void magpie_m_park(struct magpie_pool *pool, struct magpie_m *m)
{
	this_cpu_inc(pool->ps->stats.parks);
	if (magpie_m_idle_add(pool, m, true))
		schedule();
	__set_current_state(TASK_RUNNING);
	magpie_m_idle_del(pool, m);
	/* The pool was idle long enough for sysmon to sleep: it has work now. */
	if (READ_ONCE(pool->sysmon_sleeping))
		wake_up_process(pool->sysmon);
}

/* A bound M whose CPU is offline sleeps until it is back or we stop. */
static void magpie_m_wait_online(struct magpie_pool *pool, struct magpie_m *m)
{
	struct magpie_p *p = per_cpu_ptr(pool->ps, m->cpu);

	for (;;) {
		set_current_state(TASK_IDLE);
		if (READ_ONCE(p->online) || kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/**
 * magpie_m_main() - the loop of an M bound to a CPU
 * @arg: the M
 *
 * Return: 0 when stopped.
 */
int magpie_m_main(void *arg)
{
	struct magpie_m *m = arg;
	struct magpie_pool *pool = m->pool;
	struct magpie_p *p = per_cpu_ptr(pool->ps, m->cpu);

	/*
	 * A stop comes only once the pool is empty and takes no more tasks
	 * (magpie_pool_exit()), so it is looked for only when there is
	 * nothing to run, not between two tasks.
	 */
	for (;;) {
		struct magpie_task *task;

		if (!READ_ONCE(p->online)) {
			if (m->spinning)
				magpie_m_pass_wakeup(pool, m);
			magpie_m_wg_settle(m);
			magpie_m_wait_online(pool, m);
			if (kthread_should_stop())
				break;
			continue;
		}
		task = magpie_find_work(pool, m);
		if (task) {
			m->woken = false;
			__magpie_run_task(pool, m, task);
			continue;
		}
		if (kthread_should_stop())
			break;
		if (m->woken)
			this_cpu_inc(pool->ps->stats.idle_wakeups);
		magpie_m_park(pool, m);
	}
	if (m->spinning)
		magpie_m_stop_spinning(pool, m, false);
	magpie_m_wg_settle(m);
	return 0;
}

/**
 * magpie_spare_main() - the loop of a spare M
 * @arg: the M
 *
 * A spare runs wherever the scheduler puts it (usually the CPU whose M is
 * blocked), uses that CPU's P, and parks as soon as sysmon no longer
 * wants it or there is nothing to do. It never spins.
 *
 * Return: 0 when stopped.
 */
int magpie_spare_main(void *arg)
{
	struct magpie_m *m = arg;
	struct magpie_pool *pool = m->pool;

	while (!kthread_should_stop()) {
		struct magpie_task *task = NULL;

		if (m->spare_index < READ_ONCE(pool->spares_wanted))
			task = magpie_find_everywhere(pool);
		if (task) {
			magpie_run_task(pool, m, task);
			continue;
		}
		magpie_m_wg_settle(m);
		set_current_state(TASK_IDLE);
		WRITE_ONCE(m->parked, true);
		/*
		 * set_current_state() orders the state before this look, and
		 * sysmon's wakeup orders its spares_wanted before the wakeup:
		 * a call that came since our look above is seen here, or its
		 * wakeup finds us asleep.
		 */
		if (!kthread_should_stop() &&
		    (m->spare_index >= READ_ONCE(pool->spares_wanted) ||
		     !magpie_pool_has_work(pool)))
			schedule();
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(m->parked, false);
	}
	magpie_m_wg_settle(m);
	return 0;
}
