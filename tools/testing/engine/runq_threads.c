// SPDX-License-Identifier: GPL-2.0
/*
 * Host-only stress of the run queues under real threads, built with
 * ThreadSanitizer: four owner threads run tasks from their own ring (now
 * and then only tasks that fit, as a waiting worker does), take
 * shares of the global queue and steal half of each other's rings; two of
 * them also push tasks into their own ring (tail or runnext, overflowing
 * to the global queue), so the other two live on stealing; a
 * fifth thread drains random rings into the global queue as the pool's
 * hotplug and sysmon code does. Every task must run exactly once. Prints
 * TAP.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../../mod/engine/runq.h"

#define NR_OWNERS	4
#define NR_PRODUCERS	2
#define TASKS_EACH	400000
#define NR_TASKS	((long)NR_PRODUCERS * TASKS_EACH)

struct task {
	struct magpie_runq_node node;	/* first: nodes are cast back */
	int runs;
};

static struct magpie_runq queues[NR_OWNERS];
static struct magpie_gqueue global;
static struct task *tasks;
static long done;
static long overflows, steals;

static void run(struct magpie_runq_node *node)
{
	struct task *t = (struct task *)node;

	__atomic_fetch_add(&t->runs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&done, 1, __ATOMIC_RELAXED);
}

static struct magpie_runq_node *find(int me, unsigned int *seed, unsigned long tick)
{
	struct magpie_runq_node *node;
	bool was_next;
	u32 taken;
	int i;

	if (tick % 61 == 0) {
		node = magpie_gqueue_get(&global, &queues[me], NR_OWNERS, 0);
		if (node)
			return node;
	}
	node = magpie_runq_get(&queues[me], &was_next);
	if (node)
		return node;
	node = magpie_gqueue_get(&global, &queues[me], NR_OWNERS, 0);
	if (node)
		return node;
	for (i = 0; i < NR_OWNERS; i++) {
		int victim = (me + 1 + rand_r(seed)) % NR_OWNERS;

		if (victim == me)
			continue;
		node = magpie_runq_steal(&queues[me], &queues[victim], i == NR_OWNERS - 1, &taken);
		if (node) {
			__atomic_fetch_add(&steals, 1, __ATOMIC_RELAXED);
			return node;
		}
	}
	return NULL;
}

/* Every other task fits: get_if then rotates the ring under thieves. */
static bool fit_odd(struct magpie_runq_node *node, void *arg)
{
	(void)arg;
	return ((struct task *)node - tasks) % 2;
}

static void *owner(void *arg)
{
	int me = (int)(long)arg, produced = me < NR_PRODUCERS ? 0 : TASKS_EACH;
	unsigned int seed = me + 1;
	unsigned long tick = 0;

	while (__atomic_load_n(&done, __ATOMIC_RELAXED) < NR_TASKS) {
		struct magpie_runq_node *node;
		int burst = rand_r(&seed) % 32, i;

		for (i = 0; i < burst && produced < TASKS_EACH; i++, produced++) {
			struct task *t = &tasks[me * TASKS_EACH + produced];
			struct magpie_runq_list over;
			bool spilled;

			magpie_runq_list_init(&over);
			if (rand_r(&seed) % 4 == 0)
				spilled = magpie_runq_put_next(&queues[me], &t->node, &over);
			else
				spilled = magpie_runq_put(&queues[me], &t->node, &over);
			if (spilled) {
				magpie_gqueue_put_list(&global, &over);
				__atomic_fetch_add(&overflows, 1, __ATOMIC_RELAXED);
			}
		}
		node = NULL;
		if (rand_r(&seed) % 8 == 0)
			node = magpie_runq_get_if(&queues[me], fit_odd, NULL);
		if (!node)
			node = find(me, &seed, ++tick);
		if (node)
			run(node);
	}
	return NULL;
}

static void *drainer(void *arg)
{
	unsigned int seed = 99;

	(void)arg;
	while (__atomic_load_n(&done, __ATOMIC_RELAXED) < NR_TASKS) {
		struct magpie_runq_list out;

		magpie_runq_list_init(&out);
		if (magpie_runq_drain(&queues[rand_r(&seed) % NR_OWNERS], &out))
			magpie_gqueue_put_list(&global, &out);
		sched_yield();
	}
	return NULL;
}

int main(void)
{
	pthread_t threads[NR_OWNERS + 1];
	long i, bad = 0;

	printf("TAP version 13\n1..1\n");
	tasks = calloc((size_t)NR_OWNERS * TASKS_EACH, sizeof(*tasks));
	if (!tasks)
		return 1;
	for (i = 0; i < NR_OWNERS; i++)
		magpie_runq_init(&queues[i]);
	magpie_gqueue_init(&global);
	for (i = 0; i < NR_OWNERS; i++)
		pthread_create(&threads[i], NULL, owner, (void *)i);
	pthread_create(&threads[NR_OWNERS], NULL, drainer, NULL);
	for (i = 0; i <= NR_OWNERS; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < NR_TASKS; i++)
		bad += tasks[i].runs != 1;
	printf("# %ld tasks, %ld overflows to the global queue, %ld steals\n",
	       NR_TASKS, overflows, steals);
	printf("%s 1 runq_threads: every task ran exactly once (%ld did not)\n",
	       bad ? "not ok" : "ok", bad);
	free(tasks);
	return bad ? 1 : 0;
}
