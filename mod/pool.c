// SPDX-License-Identifier: GPL-2.0
/*
 * The worker pool's life and most of its public face: cancelling tasks,
 * flushing the pool, CPU hotplug, and starting and stopping the Ms and
 * sysmon. Spawning (magpie_go()) is in pool_submit.c.
 *
 * Flush uses two colors, as workqueue's flush does. Every task is counted
 * in flight under the color current when it was submitted; a flush flips
 * the color and waits until nothing of the old color is in flight. The
 * counts are per CPU (a submit adds one on its CPU, the end subtracts one
 * on another), so submitting costs no shared cache line and no barrier.
 * A submitter reads the color and adds with preemption disabled, which
 * is an RCU read-side section (synchronize_rcu() waits for those since
 * the flavors were consolidated in 4.20), and the flusher waits for an
 * RCU grace period after the flip, as SRCU does:
 * after it no addition to the old color can come, so the sum over the
 * CPUs only falls and reading it CPU by CPU never sees zero too early.
 * (Without it, a task that read the old color and was preempted before
 * adding could add on a CPU the flusher already read, and its child's
 * subtraction be seen on one read later: zero while the task runs.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/kthread.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "cache.h"
#include "compat.h"
#include "internal.h"
#include "pool.h"

struct magpie_pool magpie_pool;
EXPORT_SYMBOL_IF_KUNIT(magpie_pool);

static enum cpuhp_state magpie_pool_online_state;
static enum cpuhp_state magpie_pool_dead_state;

/**
 * magpie_pool_in_flight() - tasks of one color submitted and not finished
 * @pool: the pool
 * @color: 0 or 1
 *
 * Return: the sum over all CPUs, exact only when the color is old.
 */
long magpie_pool_in_flight(struct magpie_pool *pool, unsigned int color)
{
	unsigned int cpu;
	long sum = 0;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(pool->ps, cpu)->in_flight[color]);
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_pool_in_flight);

/**
 * magpie_task_cancel() - stop a task that has not started
 * @task: the handle
 *
 * A task that has not started never will; its wait group, if any, is
 * done() here. A task that started runs to completion.
 *
 * Context: any.
 * Return: true if the task was cancelled, false if it had started
 * (or was cancelled before).
 */
bool magpie_task_cancel(struct magpie_task *task)
{
	struct magpie_pool *pool = &magpie_pool;

	if (atomic_cmpxchg(&task->state, MAGPIE_TASK_QUEUED,
			   MAGPIE_TASK_CANCELLED) != MAGPIE_TASK_QUEUED)
		return false;
	if (task->wg)
		magpie_wg_done(task->wg);
	/*
	 * In flight until here, not until a worker drops the task: a flush
	 * that returned lets its caller free the group we just signalled.
	 * The handle's reference keeps @task; the group is not touched again.
	 */
	magpie_pool_uncount(pool, task->color, 1);
	return true;
}
EXPORT_SYMBOL_GPL(magpie_task_cancel);

/**
 * magpie_task_put() - release a handle from magpie_go_cancelable()
 * @task: the handle, or NULL or an error pointer (ignored)
 *
 * Context: any.
 */
void magpie_task_put(struct magpie_task *task)
{
	if (IS_ERR_OR_NULL(task))
		return;
	if (refcount_dec_and_test(&task->ref))
		magpie_task_free(&magpie_pool, task);
}
EXPORT_SYMBOL_GPL(magpie_task_put);

/**
 * magpie_pool_flush() - wait until every task submitted before has finished
 *
 * Tasks submitted while the flush runs may or may not be waited for; a
 * cancelled task counts as finished once magpie_task_cancel() signalled
 * its group.
 *
 * Context: process context, may sleep; not from a pool task (it would
 * wait for itself).
 */
void magpie_pool_flush(void)
{
	struct magpie_pool *pool = &magpie_pool;
	unsigned int old;

	might_sleep();
	if (WARN_ON_ONCE(magpie_current_m()))
		return;
	magpie_outside_sleeps(pool);
	mutex_lock(&pool->flush_mutex);
	old = pool->color;
	WRITE_ONCE(pool->flushing, true);
	/*
	 * Finishing tasks wake us without a barrier of their own, so one may
	 * be missed: look again every jiffy rather than sleep forever.
	 */
	/*
	 * The color we flip to should have nothing in flight: the flush
	 * before us waited for it, and nothing adds to an old color. It
	 * costs one pass over the CPUs to make sure.
	 */
	while (magpie_pool_in_flight(pool, old ^ 1))
		wait_var_event_timeout(&pool->color, !magpie_pool_in_flight(pool, old ^ 1), 1);
	WRITE_ONCE(pool->color, old ^ 1);
	/*
	 * Every submitter that read the old color has added to its count
	 * once this returns (file comment); it implies a full barrier.
	 */
	synchronize_rcu();
	while (magpie_pool_in_flight(pool, old))
		wait_var_event_timeout(&pool->color, !magpie_pool_in_flight(pool, old), 1);
	WRITE_ONCE(pool->flushing, false);
	mutex_unlock(&pool->flush_mutex);
}
EXPORT_SYMBOL_GPL(magpie_pool_flush);

/* Returns the tasks every P keeps to the cache. */
static void magpie_pool_free_tasks(struct magpie_pool *pool)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

		while (p->nr_free_tasks)
			magpie_cache_free(pool->task_cache, p->free_tasks[--p->nr_free_tasks]);
	}
}

static struct magpie_m *magpie_m_create(struct magpie_pool *pool, int cpu,
					unsigned int spare_index)
{
	struct magpie_m *m = kzalloc_obj(*m, GFP_KERNEL);

	if (!m)
		return ERR_PTR(-ENOMEM);
	m->pool = pool;
	m->cpu = cpu;
	m->spare_index = spare_index;
	m->parked = cpu < 0;	/* a spare starts out waiting for sysmon */
	m->cur_depth = -1;
	INIT_LIST_HEAD(&m->idle_node);
	if (cpu >= 0)
		m->task = kthread_create_on_cpu(magpie_m_main, m, cpu, "magpie/%u");
	else
		m->task = kthread_create(magpie_spare_main, m, "magpie/s%u", spare_index);
	if (IS_ERR(m->task)) {
		int ret = PTR_ERR(m->task);

		kfree(m);
		return ERR_PTR(ret);
	}
	return m;
}

static void magpie_m_destroy(struct magpie_m *m)
{
	kthread_stop(m->task);
	kfree(m);
}

/**
 * magpie_pool_spare_get() - the spare M of a rank, created on first use
 * @pool: the pool
 * @index: the rank, below MAGPIE_MAX_SPARES
 *
 * Context: process context (sysmon).
 * Return: the M, or NULL when it could not be created.
 */
struct magpie_m *magpie_pool_spare_get(struct magpie_pool *pool, unsigned int index)
{
	struct magpie_m *m;

	if (index < READ_ONCE(pool->nr_spares))
		return pool->spares[index];
	mutex_lock(&pool->spare_mutex);
	while (pool->nr_spares <= index) {
		m = magpie_m_create(pool, -1, pool->nr_spares);
		if (IS_ERR(m))
			break;
		pool->spares[pool->nr_spares] = m;
		/* Release: the M is complete before it is counted. */
		smp_store_release(&pool->nr_spares, pool->nr_spares + 1);
		wake_up_process(m->task);
	}
	mutex_unlock(&pool->spare_mutex);
	return index < pool->nr_spares ? pool->spares[index] : NULL;
}

static int magpie_pool_cpu_online(unsigned int cpu)
{
	struct magpie_pool *pool = &magpie_pool;
	struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

	if (!p->m) {
		struct magpie_m *m = magpie_m_create(pool, cpu, 0);

		if (IS_ERR(m))
			return PTR_ERR(m);
		/*
		 * Release: sysmon and wakers on other CPUs read it locklessly
		 * and look into the M (READ_ONCE(), dependency-ordered).
		 */
		smp_store_release(&p->m, m);
	} else {
		/* The scheduler broke its affinity when the CPU went away. */
		set_cpus_allowed_ptr(p->m->task, cpumask_of(cpu));
	}
	WRITE_ONCE(p->online, true);
	atomic_inc(&pool->nr_online);
	wake_up_process(p->m->task);
	return 0;
}

static int magpie_pool_cpu_offline(unsigned int cpu)
{
	struct magpie_pool *pool = &magpie_pool;
	struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

	WRITE_ONCE(p->online, false);
	atomic_dec(&pool->nr_online);
	/* Its M must not be picked for work; it waits for the CPU instead. */
	magpie_m_idle_del(pool, p->m);
	wake_up_process(p->m->task);
	magpie_p_drain(pool, cpu);
	return 0;
}

/* Tasks queued on the CPU between going offline and dying. */
static int magpie_pool_cpu_dead(unsigned int cpu)
{
	magpie_p_drain(&magpie_pool, cpu);
	return 0;
}

/**
 * magpie_pool_cpu_dead_for_test() - run the pool's CPU-dead callback
 * @cpu: a CPU whose P should be emptied into the global queue
 *
 * Return: 0.
 */
int magpie_pool_cpu_dead_for_test(unsigned int cpu)
{
	return magpie_pool_cpu_dead(cpu);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_pool_cpu_dead_for_test);

/**
 * magpie_pool_init() - create the default pool: tasks, Ps, Ms and sysmon
 *
 * Return: 0 or a negative errno.
 */
int magpie_pool_init(void)
{
	struct magpie_pool *pool = &magpie_pool;
	unsigned int cpu;
	int ret;

	magpie_gqueue_init(&pool->global);
	spin_lock_init(&pool->idle_lock);
	INIT_LIST_HEAD(&pool->idle_ms);
	mutex_init(&pool->spare_mutex);
	mutex_init(&pool->flush_mutex);
	pool->task_cache = magpie_cache_create("magpie_task", sizeof(struct magpie_task),
					       0, 0, NULL);
	if (IS_ERR(pool->task_cache))
		return PTR_ERR(pool->task_cache);
	ret = -ENOMEM;
	pool->ps = alloc_percpu(struct magpie_p);
	if (!pool->ps)
		goto err_cache;
	for_each_possible_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

		magpie_runq_init(&p->runq);
		p->seed = cpu + 1;
		magpie_p_untake(p);
	}
	pool->sysmon = kthread_run(magpie_sysmon_main, pool, "magpie/sysmon");
	if (IS_ERR(pool->sysmon)) {
		ret = PTR_ERR(pool->sysmon);
		goto err_ps;
	}
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "magpie/pool:online",
				magpie_pool_cpu_online, magpie_pool_cpu_offline);
	if (ret < 0)
		goto err_sysmon;
	magpie_pool_online_state = ret;
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "magpie/pool:dead",
					NULL, magpie_pool_cpu_dead);
	if (ret < 0)
		goto err_online;
	magpie_pool_dead_state = ret;
	return 0;

err_online:
	cpuhp_remove_state(magpie_pool_online_state);
err_sysmon:
	kthread_stop(pool->sysmon);
err_ps:
	magpie_pool_stop_ms(pool);
	free_percpu(pool->ps);
err_cache:
	magpie_cache_destroy(pool->task_cache);
	return ret;
}

/**
 * magpie_pool_stop_ms() - stop every M the pool created
 * @pool: the pool, with nothing queued
 */
void magpie_pool_stop_ms(struct magpie_pool *pool)
{
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

		if (p->m) {
			magpie_m_destroy(p->m);
			WRITE_ONCE(p->m, NULL);
		}
	}
	for (i = 0; i < pool->nr_spares; i++)
		magpie_m_destroy(pool->spares[i]);
	pool->nr_spares = 0;
}

/**
 * magpie_pool_exit() - finish every task and tear the pool down
 *
 * Modules that use the pool are gone by now (they depend on magpie), but
 * their tasks may still run: they are waited for, not cancelled.
 */
void magpie_pool_exit(void)
{
	struct magpie_pool *pool = &magpie_pool;

	WRITE_ONCE(pool->stopping, true);
	/*
	 * A submission that saw the pool running (its second look, in the
	 * read-side section of pool_submit.c) may have counted its task
	 * under the color the first flush flips to: it has finished by the
	 * first flush's grace period, so the second flush waits for that
	 * task. Submissions that start later see @stopping and fail.
	 */
	magpie_pool_flush();
	magpie_pool_flush();
	cpuhp_remove_state_nocalls(magpie_pool_dead_state);
	/*
	 * Without the offline callbacks: taking every CPU's P offline would
	 * only queue work in the global queue, and nothing is queued now.
	 */
	cpuhp_remove_state_nocalls(magpie_pool_online_state);
	kthread_stop(pool->sysmon);
	magpie_pool_stop_ms(pool);
	WARN_ON(magpie_pool_has_work(pool));
	magpie_pool_free_tasks(pool);
	free_percpu(pool->ps);
	magpie_cache_destroy(pool->task_cache);
}
