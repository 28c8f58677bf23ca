// SPDX-License-Identifier: GPL-2.0
/*
 * Submitting tasks: magpie_go() and magpie_go_cancelable(), the task
 * descriptors they take (Go's per-P free Gs over the "magpie_task"
 * cache), counting a task in flight and in its group, queueing it, and
 * the wakeup a submission owes (pool_park.c has the protocol).
 *
 * All of one submission is inline in the two exported functions: under
 * TCG every call and return costs about as much as the work of a short
 * function, and the submitter outside the pool is what bounds the
 * throughput of a stream of small tasks (Documentation/benchmarks.rst).
 */
#include <linux/preempt.h>

#include "cache.h"
#include "pool.h"

/**
 * magpie_task_alloc() - a task descriptor
 * @pool: the pool
 * @gfp: allocation flags for the task cache
 *
 * Process context takes one this CPU's P kept from a finished task, as Go
 * keeps free Gs per P: cheaper than even the cache's magazine, and hot.
 *
 * Return: the task, or NULL.
 */
static __always_inline struct magpie_task *magpie_task_alloc(struct magpie_pool *pool, gfp_t gfp)
{
	struct magpie_task *task = NULL;
	struct magpie_p *p;

	if (in_task()) {
		p = get_cpu_ptr(pool->ps);
		if (p->nr_free_tasks)
			task = p->free_tasks[--p->nr_free_tasks];
		put_cpu_ptr(pool->ps);
	}
	return task ?: magpie_cache_alloc(pool->task_cache, gfp & ~__GFP_ZERO);
}

/**
 * magpie_task_free_to_cache() - give a task descriptor back to the cache
 * @pool: the pool
 * @task: the task, which this CPU's P has no room to keep
 */
void magpie_task_free_to_cache(struct magpie_pool *pool, struct magpie_task *task)
{
	magpie_cache_free(pool->task_cache, task);
}

/*
 * Counts @task in flight under the current flush color on this CPU, and
 * in its group @wg, if any; a decrement for such a task that @m (the
 * spawner, or NULL) owes stands for both (pool_wg.c, "Owed decrements").
 * With preemption disabled: the color and its count in one RCU read-side
 * section (pool.c, file comment).
 */
static __always_inline void magpie_task_count(struct magpie_pool *pool, struct magpie_task *task,
					      struct magpie_m *m, struct magpie_wg *wg)
{
	unsigned int color = READ_ONCE(pool->color);

	task->color = color;
	if (wg && magpie_m_wg_take_back(m, wg, color))
		return;
	if (wg)
		magpie_wg_inc(wg);
	/* this_cpu ops are safe against an interrupt that submits, too. */
	this_cpu_inc(pool->ps->in_flight[color]);
}

/**
 * magpie_pool_submit() - count a task, queue it and wake an M if needed
 * @pool: the pool
 * @task: the task
 * @m: the M the caller runs on, or NULL
 * @wg: the task's wait group, or NULL
 * @fork: queued by magpie_fork(), for another M to steal
 *
 * From task context the task goes to this CPU's ring (to runnext when a
 * worker spawns it); from interrupts, or on a CPU going offline, to the
 * global queue. Inline in magpie_task_new(), its one caller: every call
 * and return of a submission shows under TCG.
 *
 * Return: true, or false (and nothing counted or queued) when the pool
 * stops.
 */
static __always_inline bool magpie_pool_submit(struct magpie_pool *pool, struct magpie_task *task,
					       struct magpie_m *m, struct magpie_wg *wg, bool fork)
{
	bool spilled = false, alone = false, outside = false;
	struct magpie_runq_list overflow;
	struct magpie_p *p;

	magpie_runq_list_init(&overflow);
	preempt_disable();
	/*
	 * Once more inside the read-side section: the pool's exit flushes
	 * twice, and a section that still saw the pool running finished by
	 * the first flush's grace period, so the second waits for its task
	 * (magpie_pool_exit()). The look before the allocation only spares
	 * one when the pool is long gone.
	 */
	if (unlikely(READ_ONCE(pool->stopping))) {
		preempt_enable();
		return false;
	}
	p = this_cpu_ptr(pool->ps);
	magpie_task_count(pool, task, m, wg);
	if (!in_task() || !READ_ONCE(p->online)) {
		magpie_gqueue_put(&pool->global, &task->node);
	} else if (m) {
		/*
		 * A spare may park before it looks again (sysmon's call); a
		 * bound M pushed off its CPU as the CPU went offline runs the
		 * other CPU's runnext never.
		 */
		alone = m->cpu == smp_processor_id() && !magpie_load_relaxed(&p->runq.runnext);
		spilled = magpie_runq_put_next(&p->runq, &task->node, &overflow);
	} else {
		spilled = magpie_runq_put(&p->runq, &task->node, &overflow);
		WRITE_ONCE(p->outside_at, jiffies);
		outside = true;
	}
	if (spilled) {
		magpie_gqueue_put_list(&pool->global, &overflow);
		p->stats.overflows++;
	}
	/*
	 * A worker's one spawn sits in runnext and the worker runs it as soon
	 * as its task returns: waking another M for it would only move it to
	 * another CPU (a chain of spawns would bounce). Go wakes anyway; we
	 * wake once a second task is queued behind it. Not for a fork: the
	 * spawns after it run inline, and it is queued only to be stolen;
	 * nor for a spare's spawn (above).
	 */
	if (alone && !spilled && !fork) {
		preempt_enable();
		return true;
	}
	/* The task is visible before we look for sleepers (pool_park.c). */
	smp_mb();
	/*
	 * A thread outside the pool holds this CPU (magpie_p_taken()). When
	 * the CPU's own M is the only one asleep and an M on a free CPU is
	 * awake, the wakeup below would take no M: skip the idle lock it
	 * costs per task. That nobody else sleeps (the M's flag, read without
	 * the lock, is stale only if a waker took the M meanwhile, and then
	 * it looks, too) is what keeps the task from being left behind.
	 */
	if (outside && atomic_read(&pool->nr_idle) == 1 && READ_ONCE(p->m->idle) &&
	    magpie_free_m_awake(pool)) {
		preempt_enable();
		return true;
	}
	preempt_enable();
	magpie_wakep(pool);
	return true;
}

/* The M a submission comes from, or NULL outside the pool's workers. */
static __always_inline struct magpie_m *magpie_submitter_m(void)
{
	return in_task() ? magpie_m_of_current(false) : NULL;
}

/*
 * A new task for @fn(@arg), counted and queued. @m: magpie_submitter_m(),
 * which the caller may have looked up already. @fork: see
 * magpie_pool_submit().
 */
static __always_inline struct magpie_task *magpie_task_new(void (*fn)(void *arg), void *arg,
							   struct magpie_wg *wg, gfp_t gfp,
							   bool cancelable, bool fork,
							   struct magpie_m *m)
{
	struct magpie_pool *pool = &magpie_pool;
	struct magpie_task *task;

	if (!fn)
		return ERR_PTR(-EINVAL);
	if (READ_ONCE(pool->stopping))
		return ERR_PTR(-ESHUTDOWN);
	task = magpie_task_alloc(pool, gfp);
	if (!task)
		return ERR_PTR(-ENOMEM);
	task->fn = fn;
	task->arg = arg;
	task->wg = wg;
	task->cancelable = cancelable;
	task->depth = m && m->cur_depth >= 0 ? min(m->cur_depth + 1, U16_MAX) : 0;
	if (cancelable) {
		atomic_set(&task->state, MAGPIE_TASK_QUEUED);
		refcount_set(&task->ref, 2);
	}
	if (unlikely(!magpie_pool_submit(pool, task, m, wg, fork))) {
		magpie_task_free(pool, task);
		return ERR_PTR(-ESHUTDOWN);
	}
	return task;
}

/**
 * magpie_go() - run fn(arg) on the worker pool
 * @fn: the function
 * @arg: its argument
 * @wg: a wait group to add(1) now and done() after @fn returned, or NULL
 * @gfp: how to allocate the task: GFP_KERNEL in process context,
 *	GFP_ATOMIC (or GFP_NOWAIT) from softirq, hardirq or under spinlocks
 *
 * From process context the task goes to this CPU's run queue, and when a
 * worker spawns it, it runs next on that worker; from interrupts it goes
 * to the global queue. @fn runs in process context on a pool kthread and
 * may sleep, though tasks that sleep long deserve the system workqueues.
 * Not for NMI context.
 *
 * Return: 0; -EINVAL when @fn is NULL; -ENOMEM when no task could be
 * allocated; -ESHUTDOWN while the module unloads. On error @wg is
 * untouched and @fn will not run.
 */
int magpie_go(void (*fn)(void *arg), void *arg, struct magpie_wg *wg, gfp_t gfp)
{
	return PTR_ERR_OR_ZERO(magpie_task_new(fn, arg, wg, gfp, false, false,
					       magpie_submitter_m()));
}
EXPORT_SYMBOL_GPL(magpie_go);

/*
 * Runs magpie_fork()'s child inline on @m when the pool can spare the
 * task: @m is in a task (cur_depth >= 0), may nest one more, and its P
 * holds a task a thief could take instead. The look at this CPU's P is a
 * hint (a spare M may migrate), hence the raw pointer.
 */
static __always_inline bool magpie_fork_inline(struct magpie_m *m, void (*fn)(void *arg),
					       void *arg, struct magpie_wg *wg)
{
	int outer_depth = m->cur_depth;

	if (unlikely(outer_depth < 0 || !fn || !wg || !magpie_m_may_nest(m) ||
		     magpie_runq_empty(&raw_cpu_ptr(magpie_pool.ps)->runq) ||
		     READ_ONCE(magpie_pool.stopping)))
		return false;
	/* Its own spawns are one level deeper, as if it were queued. */
	m->cur_depth = min(outer_depth + 1, U16_MAX);
	m->help_depth++;
	fn(arg);
	m->help_depth--;
	m->cur_depth = outer_depth;
	this_cpu_inc(magpie_pool.ps->stats.forks_inline);
	return true;
}

/*
 * magpie_fork() from anything but the M bound to this CPU (a spare, or
 * outside the pool), and every child that is queued or refused: out of
 * line, so that the common inline child costs the checks and one call
 * and no frame for the queueing (TCG shows each saved register). @bound:
 * the bound M that the fast path found and could not run the child on,
 * or NULL when it found none.
 */
static noinline int magpie_fork_slow(void (*fn)(void *arg), void *arg, struct magpie_wg *wg,
				     gfp_t gfp, struct magpie_m *bound)
{
	struct magpie_m *m = bound;

	if (!m) {
		m = magpie_submitter_m();
		if (m && magpie_fork_inline(m, fn, arg, wg))
			return 0;
	}
	if (!wg)
		return -EINVAL;
	return PTR_ERR_OR_ZERO(magpie_task_new(fn, arg, wg, gfp, false, !!m, m));
}

/**
 * magpie_fork() - spawn a fork-join child: run fn(arg) now or on the pool
 * @fn: the function
 * @arg: its argument
 * @wg: the group the parent joins with magpie_wg_wait(); required
 * @gfp: as for magpie_go(), when the child is queued
 *
 * Called from a pool task, runs @fn(@arg) right here, before returning,
 * when this worker's P already holds a queued task that an idle worker
 * could steal, and queues it as magpie_go() does otherwise (lazy binary
 * splitting: each worker keeps one task to steal, and the spawns beyond
 * it cost a function call instead of a task). On one busy CPU almost
 * every child runs inline; a thief that empties the P makes the next
 * spawn queued again. Nesting is bounded as for waits that help
 * (MAGPIE_HELP_DEPTH_MAX tasks, a quarter of the stack). Outside the
 * pool's tasks it is magpie_go().
 *
 * Either way @fn has run when magpie_wg_wait(@wg) returns. Unlike
 * magpie_go(), @fn may run before the call returns, in the caller's
 * context: the caller must not hold a lock that @fn takes, nor count on
 * @fn running alongside the code after the call.
 *
 * Return: 0, or the errors of magpie_go(); -EINVAL also when @wg is NULL.
 */
int magpie_fork(void (*fn)(void *arg), void *arg, struct magpie_wg *wg, gfp_t gfp)
{
	struct magpie_m *m = in_task() ? magpie_m_bound_here() : NULL;

	if (likely(m) && magpie_fork_inline(m, fn, arg, wg))
		return 0;
	return magpie_fork_slow(fn, arg, wg, gfp, m);
}
EXPORT_SYMBOL_GPL(magpie_fork);

/**
 * magpie_go_cancelable() - magpie_go() that returns a handle for cancelling
 * @fn: the function
 * @arg: its argument
 * @wg: as for magpie_go()
 * @gfp: as for magpie_go()
 *
 * The handle must be released with magpie_task_put(), whatever happens.
 *
 * Return: the handle, or an ERR_PTR() with the errors of magpie_go().
 */
struct magpie_task *magpie_go_cancelable(void (*fn)(void *arg), void *arg,
					 struct magpie_wg *wg, gfp_t gfp)
{
	return magpie_task_new(fn, arg, wg, gfp, true, false, magpie_submitter_m());
}
EXPORT_SYMBOL_GPL(magpie_go_cancelable);
