// SPDX-License-Identifier: GPL-2.0
/*
 * Task descriptors: where a spawn gets its struct magpie_task and where a
 * finished one goes, after Go's gfget() and gfput().
 *
 * Each P keeps up to MAGPIE_P_FREE_TASKS finished tasks in an array. A P
 * whose array is full moves its MAGPIE_FREE_BATCH oldest tasks, linked
 * through their run-queue nodes, to a pool-wide stack of batches; a P
 * whose array is empty takes one batch back. That is one lock round trip
 * per batch, against a cache free on the running CPU and a cache
 * allocation on the spawning one for every task when tasks are spawned
 * on one CPU and run on another (a submitter outside the pool, or
 * stealing): the cache path is longer, and with init_on_alloc it zeroes
 * each descriptor, which the spawn then overwrites field by field.
 *
 * Limitations: outside task context (softirq, hardirq) descriptors come
 * from and go to the task cache directly, as the arrays are touched with
 * preemption off only and the lock is not IRQ-safe. The stack holds at
 * most MAGPIE_FREE_BATCHES_MAX batches; beyond that finished tasks go to
 * the cache. What the arrays and the stack hold (at most
 * (MAGPIE_P_FREE_TASKS * CPUs + MAGPIE_FREE_BATCH * MAGPIE_FREE_BATCHES_MAX)
 * descriptors, under 100 KiB on two CPUs) goes back to the cache only when
 * the pool stops: the reaper and the shrinker do not see it.
 */
#include <linux/string.h>

#include "cache.h"
#include "compat.h"
#include "pool.h"

/* Takes a batch from the pool's stack into @p's empty array. */
static void magpie_free_batch_get(struct magpie_pool *pool, struct magpie_p *p)
{
	struct magpie_runq_node *node = NULL;
	struct magpie_task *head;

	spin_lock(&pool->free_lock);
	head = pool->free_batches;
	if (head) {
		pool->free_batches = head->next_batch;
		WRITE_ONCE(pool->nr_free_batches, pool->nr_free_batches - 1);
		node = &head->node;
	}
	spin_unlock(&pool->free_lock);
	/* The batch is this P's now: its links are read outside the lock. */
	for (; node; node = node->next)
		p->free_tasks[p->nr_free_tasks++] = container_of(node, struct magpie_task, node);
}

/*
 * Moves the oldest MAGPIE_FREE_BATCH tasks of @p's full array to the
 * pool's stack, unless the stack is full; the newest, likeliest still in
 * this CPU's cache, stay.
 */
static void magpie_free_batch_put(struct magpie_pool *pool, struct magpie_p *p)
{
	struct magpie_task *head = p->free_tasks[0];
	unsigned int i;

	/* A hint: the check under the lock is the one that counts. */
	if (READ_ONCE(pool->nr_free_batches) >= MAGPIE_FREE_BATCHES_MAX)
		return;
	for (i = 0; i < MAGPIE_FREE_BATCH; i++)
		p->free_tasks[i]->node.next = i + 1 < MAGPIE_FREE_BATCH ?
					      &p->free_tasks[i + 1]->node : NULL;
	spin_lock(&pool->free_lock);
	if (pool->nr_free_batches < MAGPIE_FREE_BATCHES_MAX) {
		head->next_batch = pool->free_batches;
		pool->free_batches = head;
		WRITE_ONCE(pool->nr_free_batches, pool->nr_free_batches + 1);
		head = NULL;
	}
	spin_unlock(&pool->free_lock);
	/* Filled up meanwhile: the array keeps its tasks. */
	if (head)
		return;
	p->nr_free_tasks -= MAGPIE_FREE_BATCH;
	memmove(p->free_tasks, p->free_tasks + MAGPIE_FREE_BATCH,
		p->nr_free_tasks * sizeof(*p->free_tasks));
}

/**
 * magpie_task_alloc() - a task descriptor
 * @pool: the pool
 * @gfp: allocation flags for the task cache
 *
 * Process context takes one from this CPU's P, which refills itself from
 * the pool's batches when empty (file comment); anything else, or a P
 * with none, allocates from the task cache.
 *
 * Return: the task, or NULL.
 */
struct magpie_task *magpie_task_alloc(struct magpie_pool *pool, gfp_t gfp)
{
	struct magpie_task *task = NULL;
	struct magpie_p *p;

	if (in_task()) {
		p = get_cpu_ptr(pool->ps);
		if (!p->nr_free_tasks && READ_ONCE(pool->nr_free_batches))
			magpie_free_batch_get(pool, p);
		if (p->nr_free_tasks)
			task = p->free_tasks[--p->nr_free_tasks];
		put_cpu_ptr(pool->ps);
	}
	return task ?: magpie_cache_alloc(pool->task_cache, gfp & ~__GFP_ZERO);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_task_alloc);

/**
 * magpie_task_free() - give a task descriptor back
 * @pool: the pool
 * @task: the task
 */
void magpie_task_free(struct magpie_pool *pool, struct magpie_task *task)
{
	struct magpie_p *p;

	BUILD_BUG_ON(MAGPIE_FREE_BATCH > MAGPIE_P_FREE_TASKS);
	if (in_task()) {
		p = get_cpu_ptr(pool->ps);
		if (p->nr_free_tasks == MAGPIE_P_FREE_TASKS)
			magpie_free_batch_put(pool, p);
		if (p->nr_free_tasks < MAGPIE_P_FREE_TASKS) {
			p->free_tasks[p->nr_free_tasks++] = task;
			task = NULL;
		}
		put_cpu_ptr(pool->ps);
	}
	if (task)
		magpie_cache_free(pool->task_cache, task);
}
EXPORT_SYMBOL_IF_KUNIT(magpie_task_free);

/**
 * magpie_pool_free_tasks() - return every kept descriptor to the cache
 * @pool: the pool, whose Ms have stopped
 */
void magpie_pool_free_tasks(struct magpie_pool *pool)
{
	struct magpie_task *head, *task;
	struct magpie_runq_node *node;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct magpie_p *p = per_cpu_ptr(pool->ps, cpu);

		while (p->nr_free_tasks)
			magpie_cache_free(pool->task_cache, p->free_tasks[--p->nr_free_tasks]);
	}
	spin_lock(&pool->free_lock);
	head = pool->free_batches;
	pool->free_batches = NULL;
	WRITE_ONCE(pool->nr_free_batches, 0);
	spin_unlock(&pool->free_lock);
	while (head) {
		node = &head->node;
		head = head->next_batch;
		while (node) {
			task = container_of(node, struct magpie_task, node);
			node = node->next;
			magpie_cache_free(pool->task_cache, task);
		}
	}
}
