/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker pool's internals: tasks (G), per-CPU processors (P), worker
 * kthreads (M) and the pool that ties them together, after the Go
 * runtime's scheduler. Documentation/pool.rst has the design.
 *
 * Lock order (outer first):
 *   pool->flush_mutex       one flush at a time
 *   pool->idle_lock         the idle-M list (IRQ-safe: wakeups come from
 *                           any context)
 *   pool->global.lock       the global run queue (IRQ-safe, engine lock,
 *                           raw: taken with preemption off)
 * Rings and runnext need no lock (engine/runq.h); a P's ring is produced
 * into only by whatever runs on the P's CPU with preemption disabled.
 *
 * Field tags: [P] owned by the P's CPU, touched with preemption off;
 * [M] touched only by the M itself; [I] pool->idle_lock; [A] atomic or
 * READ_ONCE/WRITE_ONCE from anywhere; [C] fixed after creation;
 * [H] CPU hotplug callbacks (serialized by the hotplug core).
 */
#ifndef _MAGPIE_POOL_H
#define _MAGPIE_POOL_H

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/sched/task_stack.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>

#include "engine/runq.h"
#include "magpie.h"

/* A self-respawning task yields to the global queue every this many runs. */
#define MAGPIE_FAIR_TICK	61
/* Steal passes over all Ps before giving up; runnext only on the last. */
#define MAGPIE_STEAL_PASSES	4
#define MAGPIE_MAX_SPARES	64
/*
 * How long a spinning M on an idle CPU polls before it parks: about what
 * a wakeup costs. Each poll is CPU time the pool burns (burst64 in
 * Documentation/benchmarks.rst, run 17: 50 us made it 1.8-2x dearer).
 */
#define MAGPIE_IDLE_POLL_NS	(10 * NSEC_PER_USEC)
/*
 * How long a worker waiting for a group polls between two tasks it ran
 * before it sleeps: longer, as the wait is usually for a task another CPU
 * is about to finish (pool_wg.c).
 */
#define MAGPIE_HELP_POLL_NS	(50 * NSEC_PER_USEC)
/* Freed tasks a P keeps for reuse (Go's per-P gFree list). */
#define MAGPIE_P_FREE_TASKS	32
/* One task in this many is timed by the clock (see magpie_run_task()). */
#define MAGPIE_TIME_SAMPLE	64
/* Tasks a waiting worker may nest on its stack while it helps. */
#define MAGPIE_HELP_DEPTH_MAX	48
/* Decrements an M may owe one group before it pays (m->wg_owed is an int). */
#define MAGPIE_WG_OWED_MAX	(1024 * 1024)

enum magpie_task_state {
	MAGPIE_TASK_QUEUED,
	MAGPIE_TASK_RUNNING,
	MAGPIE_TASK_CANCELLED,
};

/**
 * struct magpie_task - a G: one function call to run to completion
 * @node: link in the run queues [the queue holding it]
 * @fn: the function [C]
 * @arg: its argument [C]
 * @wg: wait group to signal when done or cancelled, or NULL [C]
 * @depth: nesting in the fork-join tree: 0 when submitted from outside
 *	the pool, the spawning task's depth + 1 otherwise [C]
 * @color: flush color it was counted under [C]
 * @cancelable: a handle exists; @state and @ref are in use [C]
 * @state: enum magpie_task_state, for cancelable tasks [A]
 * @ref: the queue's and the handle's references, for cancelable tasks [A]
 */
struct magpie_task {
	struct magpie_runq_node node;
	void (*fn)(void *arg);
	void *arg;
	struct magpie_wg *wg;
	u16 depth;
	u8 color;
	bool cancelable;
	atomic_t state;
	refcount_t ref;
};

/**
 * struct magpie_p_stats - what one P did, for /proc/magpie/pool
 * @runs: tasks run on this CPU [P]
 * @from_runnext: tasks taken from runnext [P]
 * @from_local: tasks taken from the own ring [P]
 * @from_global: tasks taken from the global queue [P]
 * @from_steal: tasks run straight from a steal [P]
 * @steals: successful steals by this P [P]
 * @stolen_in: tasks those steals brought [P]
 * @overflows: times the full ring sent half to the global queue [P]
 * @spins: times an M here started spinning [P]
 * @parks: times an M here went to sleep [P]
 * @idle_wakeups: wakeups of an M here that found nothing to run [P]
 * @helped: tasks a worker waiting for a group ran here meanwhile
 *	(help-while-waiting); each is also counted where it came from [P]
 * @help_sleeps: times a worker waiting for a group slept here, as it found
 *	nothing deeper to run for a while [P]
 * @forks_inline: magpie_fork() children run inline instead of queued [P]
 * @max_run_ns: longest task run time: in ticks for tasks longer than a
 *	tick, by the clock for one shorter task in MAGPIE_TIME_SAMPLE [P]
 */
struct magpie_p_stats {
	u64 runs;
	u64 from_runnext;
	u64 from_local;
	u64 from_global;
	u64 from_steal;
	u64 steals;
	u64 stolen_in;
	u64 overflows;
	u64 spins;
	u64 parks;
	u64 idle_wakeups;
	u64 helped;
	u64 help_sleeps;
	u64 forks_inline;
	u64 max_run_ns;
};

struct magpie_m;
struct proc_dir_entry;

/**
 * struct magpie_p - a P: one CPU's share of the pool
 * @runq: ring and runnext [engine: producer is this CPU]
 * @stats: statistics [P]
 * @stolen_out: tasks other Ps stole from here [A]
 * @in_flight: tasks submitted on this CPU (+1) or finished here (-1),
 *	by flush color; only the sum over all CPUs means anything [P]
 * @schedtick: tasks scheduled here, for the fairness tick [P]
 * @seed: victim order for stealing [P]
 * @free_tasks: finished tasks kept for the next spawn on this CPU [P]
 * @nr_free_tasks: how many [P]
 * @outside_at: jiffies when a thread outside the pool last queued a task
 *	here; during that tick and the next the thread most likely still
 *	runs on this CPU, and the P's M is not woken to preempt it [A:
 *	stamped by this CPU, cleared by waiters and by Ms that find the
 *	ring unchanged (magpie_outside_note())]
 * @outside_seen: the P this one last stole from, or whose held CPU it
 *	last looked at for a parked M (magpie_outside_note()) [P]
 * @outside_tail: that P's ring tail then [P]
 * @online: the CPU is up and the P takes work [A, written under H]
 * @m: the M bound to this CPU, or NULL before its first online [H;
 *	read locklessly by magpie_current_m()]
 */
struct magpie_p {
	struct magpie_runq runq;
	struct magpie_p_stats stats;
	atomic_long_t stolen_out;
	long in_flight[2];
	u32 schedtick;
	u32 seed;
	struct magpie_task *free_tasks[MAGPIE_P_FREE_TASKS];
	u32 nr_free_tasks;
	unsigned long outside_at;
	struct magpie_p *outside_seen;
	u32 outside_tail;
	bool online;
	struct magpie_m *m;
};

/**
 * struct magpie_m - an M: a worker kthread
 * @task: the kthread [C]
 * @pool: its pool [C]
 * @cpu: the CPU it is bound to, or -1 for a spare [C]
 * @spare_index: rank among spares, which run only while sysmon wants
 *	that many [C]
 * @idle_node: link in pool->idle_ms [I]
 * @idle: on pool->idle_ms [I; read locklessly as a hint]
 * @spinning: counted in pool->nr_spinning; set by the M, or by a waker
 *	while the M sleeps [M, I while parked]
 * @woken: a waker picked this M for work it may not find [M, I while parked]
 * @helping: waiting for a group inside a task (magpie_m_help()), running
 *	only deeper tasks and not looking at every queue before it sleeps
 *	[M; read by wakers, under I while the M is on the idle list]
 * @parked: a spare sleeping until sysmon wants it [A]
 * @task_start: jiffies when the current task began (never 0), 0 between
 *	tasks [A: written by the M, read by sysmon]
 * @tasks_run: tasks this M ran [A: written by the M]
 * @help_depth: tasks nested on this M's stack by waits that help and by
 *	magpie_fork() running them inline [M]
 * @cur_depth: depth of the innermost task this M runs, -1 for none [M]
 * @wg_owed_to: the wait group this M owes decrements for tasks it ran,
 *	or NULL (pool_wg.c, "Owed decrements") [M]
 * @wg_owed: how many it owes, to the group and to the in-flight count
 *	of @wg_owed_color [M]
 * @wg_owed_color: the flush color of the tasks it owes for [M]
 */
struct magpie_m {
	struct task_struct *task;
	struct magpie_pool *pool;
	int cpu;
	unsigned int spare_index;
	struct list_head idle_node;
	bool idle;
	bool spinning;
	bool woken;
	bool helping;
	bool parked;
	unsigned long task_start;
	unsigned long tasks_run;
	unsigned int help_depth;
	int cur_depth;
	struct magpie_wg *wg_owed_to;
	int wg_owed;
	u8 wg_owed_color;
};

/**
 * struct magpie_pool - the worker pool
 * @ps: one P per possible CPU
 * @global: the global run queue
 * @task_cache: where tasks come from [C]
 * @nr_spinning: Ms looking for work without sleeping [A]
 * @nr_idle: Ms on @idle_ms [A, changed under I]
 * @nr_online: Ps that take work [A, changed under H]
 * @idle_lock: protects @idle_ms and the idle/spinning/woken handover
 * @idle_ms: parked Ms that a new task may wake [I]
 * @awake_hint: the CPU where magpie_free_m_awake() last found a free M
 *	awake, where it looks first [A]
 * @spares: the spare Ms created so far [@spare_mutex; read locklessly
 *	up to @nr_spares]
 * @nr_spares: how many exist [A, written under @spare_mutex]
 * @spares_wanted: how many spares sysmon wants running [A]
 * @spare_mutex: serializes spare creation
 * @color: flush color new tasks are counted under [A]
 * @flush_mutex: one flush at a time
 * @flushing: a flush waits; finishing tasks wake it [A]
 * @stopping: the pool refuses new tasks [A]
 * @sysmon: the monitor kthread [C]
 * @sysmon_sleeping: sysmon sleeps until an M wakes from parking [A]
 * @handoffs: times sysmon woke a spare for a blocked or hogged P [A]
 * @moved_offline: tasks moved from the Ps of CPUs going offline to the
 *	global queue [A]
 * @sysmon_ticks: sysmon passes [sysmon]
 */
struct magpie_pool {
	struct magpie_p __percpu *ps;
	struct magpie_gqueue global;
	struct magpie_cache *task_cache;
	atomic_t nr_spinning;
	atomic_t nr_idle;
	atomic_t nr_online;
	spinlock_t idle_lock;		/* see the kernel-doc above */
	struct list_head idle_ms;
	unsigned int awake_hint;
	struct magpie_m *spares[MAGPIE_MAX_SPARES];
	unsigned int nr_spares;
	unsigned int spares_wanted;
	struct mutex spare_mutex;	/* see the kernel-doc above */
	unsigned int color;
	struct mutex flush_mutex;	/* see the kernel-doc above */
	bool flushing;
	bool stopping;
	struct task_struct *sysmon;
	bool sysmon_sleeping;
	atomic_long_t handoffs;
	atomic_long_t moved_offline;
	unsigned long sysmon_ticks;
};

extern struct magpie_pool magpie_pool;

/*
 * A thread outside the pool that queued tasks on @p's CPU during this tick
 * or the last (@p->outside_at) most likely still runs there: waking the
 * CPU's M would preempt it, and the CPU would alternate between
 * submitting and running while the other CPUs idle. (The last tick too,
 * because a stamp of this tick alone would go stale at every tick until
 * the submitter's next task.) Documentation/pool.rst, "Submitters outside
 * the pool".
 */
#define MAGPIE_OUTSIDE_TICKS	1

static inline bool magpie_p_taken(struct magpie_p *p)
{
	return jiffies - READ_ONCE(p->outside_at) <= MAGPIE_OUTSIDE_TICKS;
}

/* Marks @p's CPU as free of outside submitters. */
static inline void magpie_p_untake(struct magpie_p *p)
{
	WRITE_ONCE(p->outside_at, jiffies - MAGPIE_OUTSIDE_TICKS - 1);
}

/*
 * Whether another thread wants this CPU: an M that polls for work (an
 * idle spinner, a waiting helper) stops polling then.
 */
static inline bool magpie_cpu_wanted(void)
{
	return !single_task_running() || need_resched();
}

/*
 * @nr tasks counted in flight under @color are finished (or cancelled):
 * they stop counting, and a flusher waiting for them looks. No barrier
 * between the count and the flag: a flusher that misses the wakeup looks
 * again within a jiffy (pool.c).
 */
static inline void magpie_pool_uncount(struct magpie_pool *pool, unsigned int color, long nr)
{
	this_cpu_sub(pool->ps->in_flight[color], nr);
	if (READ_ONCE(pool->flushing))
		wake_up_var(&pool->color);
}

/*
 * Adds a task to @wg at submission, magpie_wg_add(@wg, 1) inline. No
 * wakeup: the counter cannot reach zero going up (from -1 it warns). A
 * plain increment would do for the order, since the task is published
 * after it with a release; the returned value is for the warning.
 */
static inline void magpie_wg_inc(struct magpie_wg *wg)
{
	int v = atomic_inc_return(&wg->count);

	WARN_ONCE(v <= 0, "magpie: wait group counter went negative (%d)\n", v - 1);
}

/* Whether less than a quarter of the kernel stack is left. */
static inline bool magpie_stack_low(void)
{
	unsigned long sp = (unsigned long)__builtin_frame_address(0);
	unsigned long base = (unsigned long)task_stack_page(current);

	return sp - base < THREAD_SIZE / 4;
}

/* Whether @m may nest one more task on its stack (waits, forks). */
static inline bool magpie_m_may_nest(struct magpie_m *m)
{
	return m->help_depth < MAGPIE_HELP_DEPTH_MAX && !magpie_stack_low();
}

/* pool_sched.c: finding and running tasks, the M's loop. */
int magpie_m_main(void *arg);
int magpie_spare_main(void *arg);

/*
 * The M bound to this CPU when current is it, else NULL: the usual
 * answer of magpie_m_of_current(), in one look at this CPU's P. It rests
 * on current alone, so a migration after the read cannot make it wrong,
 * only send the caller the long way, which a spare takes anyway.
 */
static __always_inline struct magpie_m *magpie_m_bound_here(void)
{
	struct magpie_m *m;

	if (!(current->flags & PF_KTHREAD))
		return NULL;
	m = READ_ONCE(raw_cpu_ptr(magpie_pool.ps)->m);
	return m && m->task == current ? m : NULL;
}

/*
 * The M current is, if any. With @off_cpu, also a bound M that runs off
 * its CPU: one in the middle of a task when its CPU went offline goes on
 * running it elsewhere (the scheduler breaks the binding; the thread keeps
 * PF_NO_SETAFFINITY). Only waits ask for it (magpie_current_m_any()), to
 * keep every other bound kthread that submits tasks off the slow path.
 */
static __always_inline struct magpie_m *magpie_m_of_current(bool off_cpu)
{
	struct magpie_m *m = magpie_m_bound_here();
	void *fn;

	if (m)
		return m;
	if (!(current->flags & PF_KTHREAD))
		return NULL;
	/* Otherwise only a spare or (@off_cpu) a bound M off its CPU can be one. */
	off_cpu = off_cpu && (current->flags & PF_NO_SETAFFINITY);
	/*
	 * Acquire: pairs with the release that publishes a spare, whose
	 * kthread runs only after it; a bound M runs only once published.
	 */
	if (!off_cpu && !smp_load_acquire(&magpie_pool.nr_spares))
		return NULL;
	fn = kthread_func(current);
	if (fn == magpie_spare_main || (off_cpu && fn == magpie_m_main))
		return kthread_data(current);
	return NULL;
}

struct magpie_m *magpie_current_m(void);
struct magpie_m *magpie_current_m_any(void);
unsigned long magpie_pool_queue_stamp(struct magpie_pool *pool);
struct magpie_task *magpie_find_deeper(struct magpie_pool *pool, struct magpie_m *m);
void magpie_run_task(struct magpie_pool *pool, struct magpie_m *m, struct magpie_task *task);
void magpie_m_stop_spinning(struct magpie_pool *pool, struct magpie_m *m, bool found);
void magpie_p_drain(struct magpie_pool *pool, unsigned int cpu);

/* pool_park.c: parking and waking Ms. */
void magpie_wakep(struct magpie_pool *pool);
bool magpie_pool_has_work(struct magpie_pool *pool);
void magpie_m_pass_wakeup(struct magpie_pool *pool, struct magpie_m *m);
bool magpie_m_idle_add(struct magpie_pool *pool, struct magpie_m *m, bool recheck);
void magpie_m_idle_del(struct magpie_pool *pool, struct magpie_m *m);
void magpie_outside_sleeps(struct magpie_pool *pool);
void magpie_outside_note(struct magpie_p *p, struct magpie_p *victim);
void magpie_global_backlog(struct magpie_pool *pool, struct magpie_p *self);
bool magpie_free_m_awake_slow(struct magpie_pool *pool);

/*
 * Whether @p's CPU is online and its M may run any task (it is not
 * waiting for a group), parked when @parked, else awake.
 */
static inline bool magpie_p_m_may_run_any(struct magpie_p *p, bool parked)
{
	struct magpie_m *m = READ_ONCE(p->m);

	return m && READ_ONCE(p->online) && READ_ONCE(m->idle) == parked &&
	       !READ_ONCE(m->helping);
}

/*
 * Whether @m is bound to a CPU that is offline: it must not go on the idle
 * list, and waits for the CPU instead (magpie_m_wait_online()).
 */
static inline bool magpie_m_cpu_offline(struct magpie_pool *pool, struct magpie_m *m)
{
	return m->cpu >= 0 && !READ_ONCE(per_cpu_ptr(pool->ps, m->cpu)->online);
}

/* Whether @p's M is awake and no outside submitter holds its CPU. */
static inline bool magpie_p_free_m_awake(struct magpie_p *p)
{
	return magpie_p_m_may_run_any(p, false) && !magpie_p_taken(p);
}

/*
 * Whether an M is awake on a CPU that no outside submitter holds: an M
 * that looks at every queue again before it parks (the handshake at the
 * top of pool_park.c), and whose running preempts no submitter. A hint
 * even under idle_lock, which covers the idle flags but not the outside
 * submitters' stamps or an M's helping flag: a wrong "yes" is safe, since
 * that M, or one parking after the look, looks at the queues again. An
 * outside submitter asks for every task, so the CPU found last time is
 * looked at first.
 */
static inline bool magpie_free_m_awake(struct magpie_pool *pool)
{
	return magpie_p_free_m_awake(per_cpu_ptr(pool->ps, READ_ONCE(pool->awake_hint))) ||
	       magpie_free_m_awake_slow(pool);
}

/* pool_submit.c */
void magpie_task_free_to_cache(struct magpie_pool *pool, struct magpie_task *task);

/**
 * magpie_task_free() - give a task descriptor back
 * @pool: the pool
 * @task: the task
 *
 * Process context keeps it in this CPU's P for the next spawn here
 * (magpie_task_alloc()), up to MAGPIE_P_FREE_TASKS.
 */
static inline void magpie_task_free(struct magpie_pool *pool, struct magpie_task *task)
{
	struct magpie_p *p;

	if (in_task()) {
		p = get_cpu_ptr(pool->ps);
		if (p->nr_free_tasks < MAGPIE_P_FREE_TASKS) {
			p->free_tasks[p->nr_free_tasks++] = task;
			task = NULL;
		}
		put_cpu_ptr(pool->ps);
	}
	if (task)
		magpie_task_free_to_cache(pool, task);
}

/* pool_wg.c */
void magpie_m_help(struct magpie_pool *pool, struct magpie_m *m, struct magpie_wg *wg);
void magpie_m_wg_pay(struct magpie_m *m);
bool magpie_m_help_poll(struct magpie_pool *pool, struct magpie_wg *wg, u64 *end);

/*
 * Owed wait-group decrements (pool_wg.c), inline: most calls find nothing
 * owed, or the group owed to, and pay nothing. A debt is for tasks of one
 * group and one flush color.
 */

/* Whether what @m owes, if anything, is for tasks of @wg and @color. */
static inline bool magpie_m_wg_owes_for(struct magpie_m *m, struct magpie_wg *wg,
					unsigned int color)
{
	return m->wg_owed_to == wg && m->wg_owed_color == color;
}

/* Pays what @m owes; afterwards @m must not touch that group. */
static inline void magpie_m_wg_settle(struct magpie_m *m)
{
	if (m->wg_owed_to)
		magpie_m_wg_pay(m);
}

/*
 * Before @m runs a task of group @wg (NULL for none) and flush color
 * @color: what it owes for any other is paid, as that task may run for
 * long.
 */
static inline void magpie_m_wg_settle_other(struct magpie_m *m, struct magpie_wg *wg,
					    unsigned int color)
{
	if (m->wg_owed_to && !magpie_m_wg_owes_for(m, wg, color))
		magpie_m_wg_pay(m);
}

/*
 * A task of @wg and @color that @m ran has finished: its decrement of the
 * group and of the in-flight count are owed, not paid.
 */
static inline void magpie_m_wg_done(struct magpie_m *m, struct magpie_wg *wg,
				    unsigned int color)
{
	if (!magpie_m_wg_owes_for(m, wg, color)) {
		magpie_m_wg_settle(m);
		m->wg_owed_to = wg;
		m->wg_owed_color = color;
	}
	/* An endless stream of one group's tasks must not wrap the debt. */
	if (unlikely(++m->wg_owed >= MAGPIE_WG_OWED_MAX))
		magpie_m_wg_pay(m);
}

/*
 * A task of @wg and @color is being spawned by @m (NULL: outside the
 * pool). When @m owes a decrement for such a task, it takes it back and
 * returns true: the group's counter and the in-flight count in memory
 * already count one task more than there is, which is the new one, so
 * the caller adds to neither.
 */
static inline bool magpie_m_wg_take_back(struct magpie_m *m, struct magpie_wg *wg,
					 unsigned int color)
{
	if (!m || !m->wg_owed || !magpie_m_wg_owes_for(m, wg, color))
		return false;
	m->wg_owed--;
	return true;
}

/* pool_sysmon.c */
int magpie_sysmon_main(void *arg);

/* pool.c */
int magpie_pool_init(void);
void magpie_pool_exit(void);
long magpie_pool_in_flight(struct magpie_pool *pool, unsigned int color);
struct magpie_m *magpie_pool_spare_get(struct magpie_pool *pool, unsigned int index);
void magpie_pool_stop_ms(struct magpie_pool *pool);
int magpie_pool_cpu_dead_for_test(unsigned int cpu);

/* pool_proc.c */
int magpie_pool_proc_init(struct proc_dir_entry *dir);

#endif /* _MAGPIE_POOL_H */
