// SPDX-License-Identifier: GPL-2.0
/*
 * Thread caches (Go's mcache, with Bonwick's magazine pairs from the
 * engine): per thread and arena, a loaded and a previous magazine per
 * size class, touched only by their thread. A pop on two empty magazines
 * refills one from the central list; a push on two full ones empties one
 * into it. A thread's caches go back when it exits (the arena's pthread
 * key destructor) and when the arena closes.
 *
 * A thread's cache of an arena is found with pthread_getspecific(), whose
 * first use may itself allocate (pthread_setspecific() can call calloc()
 * when libmagpie is the process's malloc): while a cache is being set up,
 * and once the thread is exiting, the thread goes to the central lists
 * directly instead of making a cache.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "fastpath.h"

/* What this thread is doing with caches; initial-exec: no allocation. */
#define MGP_TC_READY	0
#define MGP_TC_SETUP	1
#define MGP_TC_EXITING	2
static __thread int mgp_tc_state __attribute__((tls_model("initial-exec")));

/* See fastpath.h. */
__thread struct mgp_tc_memo mgp_tc_memo __attribute__((tls_model("initial-exec")));

static void tcache_remember(struct mgp_arena *a, struct mgp_tcache *tc)
{
	mgp_tc_memo.gen = tc ? a->gen : 0;
	mgp_tc_memo.tc = tc;
}

/* Objects per magazine: about 16 KiB worth, 2 to 64 of them. */
static u32 mgp_tc_cap(unsigned int class)
{
	u32 n = 16384 / magpie_class_size(class);

	return n < 2 ? 2 : n > 64 ? 64 : n;
}

static size_t mgp_tc_bytes(void)
{
	size_t bytes = sizeof(struct mgp_tcache);
	unsigned int c;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++)
		bytes += 2 * (sizeof(struct magpie_magazine) + mgp_tc_cap(c) * sizeof(void *));
	return bytes;
}

static struct mgp_tcache *tcache_create(struct mgp_arena *a)
{
	size_t bytes = mgp_tc_bytes();
	struct mgp_tcache *tc;
	unsigned int c, i;
	char *p;

	mgp_tc_state = MGP_TC_SETUP;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		mgp_tc_state = MGP_TC_READY;
		return NULL;
	}
	tc = (struct mgp_tcache *)p;
	tc->arena = a;
	tc->bytes = bytes;
	p += sizeof(*tc);
	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		struct magpie_magazine *m[2];

		for (i = 0; i < 2; i++) {
			m[i] = (struct magpie_magazine *)p;
			m[i]->size = mgp_tc_cap(c);
			p += sizeof(*m[i]) + m[i]->size * sizeof(void *);
		}
		tc->pair[c].loaded = m[0];
		tc->pair[c].previous = m[1];
	}
	pthread_mutex_lock(&a->tc_lock);
	tc->prev = NULL;
	tc->next = a->tcaches;
	if (tc->next)
		tc->next->prev = tc;
	a->tcaches = tc;
	pthread_mutex_unlock(&a->tc_lock);
	mgp_add(&a->nr_tcaches, 1);
	pthread_setspecific(a->tc_key, tc);
	tcache_remember(a, tc);
	mgp_tc_state = MGP_TC_READY;
	return tc;
}

/*
 * Empties @mag into the central lists. The magazine says it is empty
 * before the objects go back: a fork() between the two, whose child
 * empties every thread's magazines again (mgp_tcache_destroy_all()), must
 * not find objects other threads may have taken meanwhile. The class lock
 * that mgp_central_put() takes orders the store before the fork, which
 * holds every class lock; the worst the child sees is a leak.
 */
static void mag_give_back(struct mgp_arena *a, unsigned int class, struct magpie_magazine *mag)
{
	unsigned int n = mag->rounds;

	if (!n)
		return;
	mag->rounds = 0;
	mgp_central_put(a, class, mag->objs, n);
}

/* Returns every cached object to the central lists. */
static void tcache_flush(struct mgp_tcache *tc)
{
	unsigned int c;

	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		struct magpie_mag_pair *pair = &tc->pair[c];

		mag_give_back(tc->arena, c, pair->loaded);
		mag_give_back(tc->arena, c, pair->previous);
	}
}

/* Takes @tc off its arena's list; a->tc_lock held. */
static void tcache_unlink(struct mgp_tcache *tc)
{
	struct mgp_arena *a = tc->arena;

	if (tc->prev)
		tc->prev->next = tc->next;
	else
		a->tcaches = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	mgp_sub(&a->nr_tcaches, 1);
}

/* The arena's pthread key destructor: the thread is exiting. */
void mgp_tcache_destructor(void *arg)
{
	struct mgp_tcache *tc = arg;
	struct mgp_arena *a = tc->arena;

	mgp_tc_state = MGP_TC_EXITING;
	tcache_remember(a, NULL);
	tcache_flush(tc);
	pthread_mutex_lock(&a->tc_lock);
	tcache_unlink(tc);
	pthread_mutex_unlock(&a->tc_lock);
	munmap(tc, tc->bytes);
}

/**
 * mgp_tcache_get() - the calling thread's cache of @a
 * @a: the arena
 *
 * Return: the cache, or NULL when the thread must use the central lists
 * (its cache is being set up, it is exiting, or no memory for a cache).
 */
struct mgp_tcache *mgp_tcache_get(struct mgp_arena *a)
{
	/* A remembered cache is never NULL: tcache_remember() keys NULL as none. */
	struct mgp_tcache *tc = mgp_tcache_remembered(a);

	if (likely(tc))
		return tc;
	tc = pthread_getspecific(a->tc_key);
	if (tc) {
		tcache_remember(a, tc);
		return tc;
	}
	if (mgp_tc_state != MGP_TC_READY)
		return NULL;
	return tcache_create(a);
}

/* mgp_tcache_alloc() - an object of @class, NULL when the arena is full */
void *mgp_tcache_alloc(struct mgp_tcache *tc, unsigned int class)
{
	struct magpie_mag_pair *pair = &tc->pair[class];
	void *obj = magpie_mag_pop(pair);

	if (likely(obj))
		return obj;
	/* Both empty: fill the loaded one. */
	pair->loaded->rounds = mgp_central_take(tc->arena, class, pair->loaded->objs,
						pair->loaded->size);
	return magpie_mag_pop(pair);
}

/* mgp_tcache_push() - cache a freed object; never fails */
bool mgp_tcache_push(struct mgp_tcache *tc, unsigned int class, void *obj)
{
	struct magpie_mag_pair *pair = &tc->pair[class];

	if (likely(magpie_mag_push(pair, obj)))
		return true;
	/* Both full: empty the previous one, which the push then swaps in. */
	mag_give_back(tc->arena, class, pair->previous);
	return magpie_mag_push(pair, obj);
}

/* mgp_tcache_flush_mine() - empty the calling thread's cache of @a */
void mgp_tcache_flush_mine(struct mgp_arena *a)
{
	struct mgp_tcache *tc = pthread_getspecific(a->tc_key);

	if (tc)
		tcache_flush(tc);
}

/**
 * mgp_tcache_destroy_all() - flush and free the caches of @a
 * @a: the arena
 * @keep_mine: keep the calling thread's (after fork: the others' threads
 *	do not exist in the child, their objects go back to the spans)
 */
void mgp_tcache_destroy_all(struct mgp_arena *a, bool keep_mine)
{
	struct mgp_tcache *mine = pthread_getspecific(a->tc_key), *tc, *next;

	pthread_mutex_lock(&a->tc_lock);
	for (tc = a->tcaches; tc; tc = next) {
		next = tc->next;
		if (keep_mine && tc == mine)
			continue;
		tcache_flush(tc);
		tcache_unlink(tc);
		munmap(tc, tc->bytes);
	}
	pthread_mutex_unlock(&a->tc_lock);
	if (!keep_mine && mine)
		pthread_setspecific(a->tc_key, NULL);
	if (!keep_mine)
		tcache_remember(a, NULL);
}
