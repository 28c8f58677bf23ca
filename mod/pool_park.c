// SPDX-License-Identifier: GPL-2.0
/*
 * Parking and waking the pool's Ms: the idle list, Go's spinning
 * protocol on the waker's side, and the CPUs that threads outside the
 * pool hold while they submit (magpie_p_taken()).
 *
 * Waking without storms (Go's proc.go, "Worker thread parking/unparking"):
 * a new task wakes a parked M only when no M is spinning (looking for
 * work without sleeping), and the woken M starts out spinning; a spinning
 * M that finds work stops spinning and, if it was the last spinner, wakes
 * one more. So at most one M is woken per burst of submissions, and it
 * fans out only as fast as it finds work. Two Dekker-style handshakes
 * keep a task from being left behind with everyone asleep:
 *  - a submitter queues the task, then (smp_mb) reads nr_spinning and
 *    nr_idle; a parking M puts itself on the idle list, then (smp_mb)
 *    looks at every queue once more;
 *  - a spinning M that gives up decrements nr_spinning, then (smp_mb)
 *    looks at every queue once more.
 * Either the submitter sees the M, or the M sees the task. A woken M that
 * may not look for work as a spinner (a worker waiting for a group, which
 * runs only deeper tasks, or a bound M whose CPU went offline) still
 * takes the second handshake's part: it looks once more and passes the
 * wakeup on (magpie_m_pass_wakeup()).
 */
#include <linux/sched.h>

#include "compat.h"
#include "pool.h"

/* Whether any P's ring or the global queue holds a task. */
bool magpie_pool_has_work(struct magpie_pool *pool)
{
	unsigned int cpu;

	if (magpie_gqueue_len(&pool->global))
		return true;
	for_each_possible_cpu(cpu)
		if (!magpie_runq_empty(&per_cpu_ptr(pool->ps, cpu)->runq))
			return true;
	return false;
}

/**
 * magpie_free_m_awake_slow() - magpie_free_m_awake() past its hint
 * @pool: the pool
 *
 * Looks at every online CPU, and remembers the one it found.
 *
 * Return: whether a free M is awake.
 */
bool magpie_free_m_awake_slow(struct magpie_pool *pool)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		if (magpie_p_free_m_awake(per_cpu_ptr(pool->ps, cpu))) {
			WRITE_ONCE(pool->awake_hint, cpu);
			return true;
		}
	}
	return false;
}

/*
 * Takes an idle M to spin, preferring one bound to another CPU (waking
 * this CPU's own M would only preempt the submitter) and one that may run
 * anything over a worker waiting for a group (which runs only deeper
 * tasks; with @helpers false it is not taken at all). Ms whose CPU an
 * outside submitter holds are passed over while an M on a free CPU is
 * awake: that M steals what the submitters queue. With every awake M
 * sharing its CPU with a submitter, or none awake, they are woken like
 * any other. Ms bound to an offline CPU are never taken. The caller holds
 * the spinning slot (nr_spinning taken from 0 to 1), which passes to the
 * M taken, or is given back here when none is.
 */
static struct magpie_m *magpie_idle_m_get(struct magpie_pool *pool, bool helpers)
{
	int self = raw_smp_processor_id();
	struct magpie_m *m, *pick = NULL, *taken = NULL, *helper = NULL;
	unsigned long flags;

	spin_lock_irqsave(&pool->idle_lock, flags);
	list_for_each_entry(m, &pool->idle_ms, idle_node) {
		struct magpie_p *p = m->cpu >= 0 ? per_cpu_ptr(pool->ps, m->cpu) : NULL;

		if ((p && !READ_ONCE(p->online)) || (m->helping && !helpers))
			continue;
		if (p && magpie_p_taken(p)) {
			taken = taken ?: m;
			continue;
		}
		if (m->helping) {
			helper = helper ?: m;
			continue;
		}
		pick = m;
		if (m->cpu != self)
			break;
	}
	pick = pick ?: helper;
	if (!pick && taken && !magpie_free_m_awake(pool))
		pick = taken;
	if (pick) {
		list_del(&pick->idle_node);
		WRITE_ONCE(pick->idle, false);
		/* Handed over while the M sleeps; it reads them when it wakes. */
		pick->spinning = true;
		pick->woken = true;
		atomic_dec(&pool->nr_idle);
	} else {
		/*
		 * Give the spinning slot back before the lock goes: an M that
		 * parks after us takes the lock, so it then reads 0 and looks
		 * at the queues itself. Given back after the unlock, it could
		 * read our 1, trust a spinner that never was, and sleep with
		 * the task queued (one that parked before us was on the list
		 * and would have been picked).
		 */
		atomic_dec(&pool->nr_spinning);
	}
	spin_unlock_irqrestore(&pool->idle_lock, flags);
	return pick;
}

/* magpie_wakep(), waking a worker waiting for a group only if @helpers. */
static void magpie_wakep_helpers(struct magpie_pool *pool, bool helpers)
{
	struct magpie_m *m;

	if (!atomic_read(&pool->nr_idle) || atomic_read(&pool->nr_spinning))
		return;
	/* Only one waker at a time gets to make a spinner. */
	if (atomic_cmpxchg(&pool->nr_spinning, 0, 1) != 0)
		return;
	m = magpie_idle_m_get(pool, helpers);
	if (m)
		wake_up_process(m->task);
}

/**
 * magpie_wakep() - wake a parked M if work may be waiting and nobody looks
 * @pool: the pool
 *
 * Callers have queued work and executed a full barrier since.
 *
 * Context: any; takes pool->idle_lock with interrupts off.
 */
void magpie_wakep(struct magpie_pool *pool)
{
	magpie_wakep_helpers(pool, true);
}

/**
 * magpie_m_pass_wakeup() - stop spinning without looking, and pass it on
 * @pool: the pool
 * @m: the M, current, made a spinner by a waker
 *
 * For a woken M that may not look for work as a spinner: a worker waiting
 * for a group, which found nothing deeper to run, or a bound M whose CPU
 * went offline. While it counted as spinning, an M that parked skipped
 * its own last look at the queues, trusting the spinner (file comment);
 * so this M looks once more, as a spinner giving up does, and if work
 * waits, wakes an M that may run anything.
 */
void magpie_m_pass_wakeup(struct magpie_pool *pool, struct magpie_m *m)
{
	magpie_m_stop_spinning(pool, m, false);
	/* Pairs with the parking M's barrier: see the file comment. */
	smp_mb();
	if (magpie_pool_has_work(pool))
		magpie_wakep_helpers(pool, false);
}

/**
 * magpie_m_idle_add() - put an M on the idle list before it sleeps
 * @pool: the pool
 * @m: the M, current
 * @recheck: look at the queues once more (see the handshake at the top
 *	of this file); false when the caller knows they hold only work it
 *	may not run
 *
 * Sets the task state to TASK_IDLE before it goes on the list.
 *
 * Return: true when the M should schedule(), false when work appeared
 * (then it is off the list again and running) or the M is bound to a CPU
 * that went offline (then it was not put on the list).
 */
bool magpie_m_idle_add(struct magpie_pool *pool, struct magpie_m *m, bool recheck)
{
	unsigned long flags;
	bool claimed;

	/* Before we are on the list: a waker's wakeup must not be lost. */
	set_current_state(TASK_IDLE);
	spin_lock_irqsave(&pool->idle_lock, flags);
	/*
	 * A bound M whose CPU went offline waits for it elsewhere
	 * (magpie_m_wait_online()). The offline callback clears ->online
	 * before it takes this lock to take the M off the list: after
	 * the lock we see the flag, or were on the list for it to find.
	 */
	if (magpie_m_cpu_offline(pool, m)) {
		spin_unlock_irqrestore(&pool->idle_lock, flags);
		__set_current_state(TASK_RUNNING);
		return false;
	}
	m->woken = false;
	WRITE_ONCE(m->idle, true);
	list_add(&m->idle_node, &pool->idle_ms);
	atomic_inc(&pool->nr_idle);
	spin_unlock_irqrestore(&pool->idle_lock, flags);
	/* Order the list insertion before the looks below (file comment). */
	smp_mb();
	/*
	 * Work while someone spins is the spinner's to find: it looks again
	 * after it stops spinning (magpie_find_work()). A waker that already
	 * took us off the list expects us to look for work.
	 */
	claimed = !READ_ONCE(m->idle);
	if (!claimed && (!recheck || atomic_read(&pool->nr_spinning) ||
			 !magpie_pool_has_work(pool)) && !kthread_should_stop())
		return true;
	__set_current_state(TASK_RUNNING);
	magpie_m_idle_del(pool, m);
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_m_idle_add);

/**
 * magpie_m_idle_del() - take an M off the idle list if a waker did not
 * @pool: the pool
 * @m: the M, current
 */
void magpie_m_idle_del(struct magpie_pool *pool, struct magpie_m *m)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->idle_lock, flags);
	if (m->idle) {
		list_del(&m->idle_node);
		WRITE_ONCE(m->idle, false);
		atomic_dec(&pool->nr_idle);
	}
	spin_unlock_irqrestore(&pool->idle_lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_m_idle_del);

/**
 * magpie_outside_note() - note a P's ring tail, to tell when its CPU is free
 * @p: this CPU's P
 * @victim: a P this M stole from, or whose parked M it looked at
 *
 * An M that comes back to a P whose ring has not grown since its last
 * look there, while a thread outside the pool holds that P's CPU
 * (magpie_p_taken()), concludes the thread stopped queueing and left the
 * CPU: the wakeup that follows may pick the CPU's M again. Should the
 * thread queue more, it stamps again. A heuristic: one P is remembered,
 * so with several held CPUs only their stamps run out (two ticks at
 * most); and a thread that queues slowly may lose its CPU's M for a
 * while, as when its stamp runs out.
 *
 * Context: preemption disabled.
 */
void magpie_outside_note(struct magpie_p *p, struct magpie_p *victim)
{
	u32 tail = magpie_runq_tail(&victim->runq);

	if (p->outside_seen == victim && p->outside_tail == tail && magpie_p_taken(victim))
		magpie_p_untake(victim);
	p->outside_seen = victim;
	p->outside_tail = tail;
}

/**
 * magpie_global_backlog() - wake a parked M to share the global queue
 * @pool: the pool
 * @self: this CPU's P, whose M just took tasks from the global queue and
 *	left some there
 *
 * Go needs no such look: whoever spawns holds a P and runs what is left
 * when it stops. A thread outside the pool that queued a stream and then
 * went away (exited, or went on without waiting) wakes nobody, and its
 * CPU's M stays parked, passed over while the thread held the CPU
 * (magpie_idle_m_get()). It is woken here once the CPU is free: the
 * stamp ran out, or the P's ring did not grow between two looks
 * (magpie_outside_note()). While the thread still queues, the look costs
 * a few loads per online CPU per batch. Only bound Ms that may run
 * anything are looked for: spares exist for handoffs, and a worker
 * waiting for a group runs only deeper tasks.
 *
 * Context: preemption disabled.
 */
void magpie_global_backlog(struct magpie_pool *pool, struct magpie_p *self)
{
	unsigned int cpu;

	if (!atomic_read(&pool->nr_idle) || atomic_read(&pool->nr_spinning))
		return;
	for_each_online_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

		if (p == self || !magpie_p_m_may_run_any(p, true))
			continue;
		if (magpie_p_taken(p))
			magpie_outside_note(self, p);
		if (!magpie_p_taken(p)) {
			/*
			 * No handshake rests on this wakeup (we are awake and
			 * run the tasks anyway); the barrier keeps
			 * magpie_wakep()'s contract.
			 */
			smp_mb();
			magpie_wakep(pool);
			return;
		}
	}
}

/**
 * magpie_outside_sleeps() - a thread outside the pool is about to sleep
 * @pool: the pool
 *
 * Its CPU is no longer taken (magpie_p_taken()): if tasks it queued
 * wait, in its P's ring or on the global queue its ring spilled to, an
 * M may be woken for them at once rather than next tick.
 *
 * Context: process context, outside the pool's workers.
 */
void magpie_outside_sleeps(struct magpie_pool *pool)
{
	bool queued = false;
	struct magpie_p *p;

	preempt_disable();
	p = this_cpu_ptr(pool->ps);
	if (magpie_p_taken(p)) {
		magpie_p_untake(p);
		queued = !magpie_runq_empty(&p->runq) ||
			 magpie_gqueue_len(&pool->global);
	}
	preempt_enable();
	if (!queued)
		return;
	/* The stamp before we look for sleepers, as a submitter's task is. */
	smp_mb();
	magpie_wakep(pool);
}
