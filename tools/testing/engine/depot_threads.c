// SPDX-License-Identifier: GPL-2.0
/*
 * Host-only stress of magazines and the depot under real threads, built
 * with ThreadSanitizer: four threads allocate and free through their own
 * magazine pairs over one shared depot, a fifth reaps it as the kernel's
 * reaper does and hands reaped objects to a shared "central" pool. At the
 * end every object must be in exactly one place. Prints TAP.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../mod/engine/magazine.h"

#define NR_THREADS	4
#define NR_OBJECTS	4096
#define MAG_SIZE	16
#define OPS		200000
#define STASH		256

static struct magpie_depot depot;
static pthread_mutex_t central_lock = PTHREAD_MUTEX_INITIALIZER;
static void *central[NR_OBJECTS];
static int nr_central;
static int stop_reaper;

struct worker {
	struct magpie_mag_pair pair;
	void *stash[STASH];	/* objects "in use" by this thread */
	int nr_stash;
	unsigned int seed;
};

static struct worker workers[NR_THREADS];

static struct magpie_magazine *new_mag(void)
{
	struct magpie_magazine *m = calloc(1, sizeof(*m) + MAG_SIZE * sizeof(void *));

	if (!m)
		abort();
	m->size = MAG_SIZE;
	return m;
}

/* Returns the objects of reaped magazines to the central pool. */
static void drain_list(struct magpie_magazine *list)
{
	while (list) {
		struct magpie_magazine *next = list->next;

		pthread_mutex_lock(&central_lock);
		while (list->rounds)
			central[nr_central++] = list->objs[--list->rounds];
		pthread_mutex_unlock(&central_lock);
		free(list);
		list = next;
	}
}

/* Reaps the depot batch by batch, as the kernel's reaper does. */
static void drain(bool all)
{
	struct magpie_depot_reap reap;
	struct magpie_magazine *batch;

	magpie_depot_reap_start(&depot, all, &reap);
	while ((batch = magpie_depot_reap_batch(&depot, &reap)))
		drain_list(batch);
}

static void *alloc_obj(struct worker *w)
{
	void *obj = magpie_mag_pop(&w->pair);
	struct magpie_magazine *m;

	if (obj)
		return obj;
	m = magpie_depot_swap_empty_for_full(&depot, w->pair.previous);
	if (m) {
		w->pair.previous = w->pair.loaded;
		w->pair.loaded = m;
		return magpie_mag_pop(&w->pair);
	}
	/* Depot dry: take from the central pool, as a span refill would. */
	pthread_mutex_lock(&central_lock);
	obj = nr_central ? central[--nr_central] : NULL;
	pthread_mutex_unlock(&central_lock);
	return obj;
}

static void free_obj(struct worker *w, void *obj)
{
	struct magpie_magazine *m;

	if (magpie_mag_push(&w->pair, obj))
		return;
	m = magpie_depot_swap_full_for_empty(&depot, w->pair.previous);
	if (!m) {
		magpie_depot_put(&depot, w->pair.previous);
		m = new_mag();
	}
	w->pair.previous = w->pair.loaded;
	w->pair.loaded = m;
	if (!magpie_mag_push(&w->pair, obj))
		abort();
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < OPS; i++) {
		if ((rand_r(&w->seed) & 1) && w->nr_stash < STASH) {
			void *obj = alloc_obj(w);

			if (obj)
				w->stash[w->nr_stash++] = obj;
		} else if (w->nr_stash) {
			free_obj(w, w->stash[--w->nr_stash]);
		}
	}
	return NULL;
}

static void *reaper_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_reaper, __ATOMIC_ACQUIRE)) {
		drain(false);
		magpie_depot_resize_check(&depot);
		sched_yield();
	}
	return NULL;
}

static int count_mag(const struct magpie_magazine *m, unsigned char *seen)
{
	unsigned int i;
	int dup = 0;

	for (i = 0; i < m->rounds; i++)
		dup |= seen[(char *)m->objs[i] - (char *)0 - 1]++;
	return dup;
}

int main(void)
{
	static unsigned char seen[NR_OBJECTS];
	pthread_t th[NR_THREADS], reaper;
	int i, j, dup = 0, total = 0, rounds_exact;
	const struct magpie_magazine *m;
	unsigned long long rounds = 0;

	printf("TAP version 13\n");
	magpie_depot_init(&depot, MAG_SIZE, MAG_SIZE);
	/* Objects are the numbers 1..NR_OBJECTS disguised as pointers. */
	for (i = 0; i < NR_OBJECTS; i++)
		central[nr_central++] = (char *)0 + i + 1;
	for (i = 0; i < NR_THREADS; i++) {
		magpie_mag_pair_init(&workers[i].pair);
		workers[i].seed = 1234 + i;
		pthread_create(&th[i], NULL, worker_main, &workers[i]);
	}
	pthread_create(&reaper, NULL, reaper_main, NULL);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&stop_reaper, 1, __ATOMIC_RELEASE);
	pthread_join(reaper, NULL);

	for (i = 0; i < NR_THREADS; i++) {
		struct worker *w = &workers[i];

		for (j = 0; j < w->nr_stash; j++)
			dup |= seen[(char *)w->stash[j] - (char *)0 - 1]++;
		dup |= count_mag(w->pair.loaded, seen);
		dup |= count_mag(w->pair.previous, seen);
		if (w->pair.loaded != &magpie_magazine_none)
			free(w->pair.loaded);
		if (w->pair.previous != &magpie_magazine_none)
			free(w->pair.previous);
	}
	/* The depot's object count must match its full list, then be 0. */
	for (m = depot.full; m; m = m->next)
		rounds += m->rounds;
	rounds_exact = rounds == depot.full_rounds;
	/* What the depot still holds goes to central, counted there. */
	drain(true);
	rounds_exact &= depot.full_rounds == 0 && depot.nr_full == 0 && depot.nr_empty == 0;
	for (i = 0; i < nr_central; i++)
		dup |= seen[(char *)central[i] - (char *)0 - 1]++;
	for (i = 0; i < NR_OBJECTS; i++)
		total += seen[i] == 1;
	printf("%s 1 depot_threads.no_object_duplicated\n", dup ? "not ok" : "ok");
	printf("%s 2 depot_threads.no_object_lost\n", total == NR_OBJECTS ? "ok" : "not ok");
	if (total != NR_OBJECTS)
		printf("# %d of %d objects accounted for\n", total, NR_OBJECTS);
	printf("%s 3 depot_threads.full_rounds_exact\n", rounds_exact ? "ok" : "not ok");
	printf("1..3\n");
	return dup || total != NR_OBJECTS || !rounds_exact;
}
