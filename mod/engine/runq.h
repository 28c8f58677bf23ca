/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run queues of the worker pool, after the Go runtime's (runtime/proc.go:
 * runqput, runqget, runqgrab, runqsteal, globrunqget).
 *
 * Each P has a bounded ring of MAGPIE_RUNQ_SIZE task pointers and a
 * runnext slot. The ring has one producer, its owner, which stores tasks
 * and moves @tail without any read-modify-write; any thread may consume
 * from the head by compare-and-swap, so the owner's pops and other Ps'
 * steals need no lock. What "owner" means is the host's business: in the
 * kernel it is whatever runs on the P's CPU with preemption disabled, in
 * the host tests one thread. When the ring is full the owner moves half
 * of it, plus the new task, to the global queue in one batch.
 *
 * The global queue is a locked FIFO list for overflow, for submitters that
 * may not touch a ring (interrupts) and for tasks of Ps that went away.
 * Consumers take a fair share of it at once and keep the rest in their
 * own ring.
 *
 * Tasks are linked through an embedded struct magpie_runq_node; the engine
 * never allocates and never looks past the node.
 */
#ifndef _MAGPIE_ENGINE_RUNQ_H
#define _MAGPIE_ENGINE_RUNQ_H

#include "platform.h"

#define MAGPIE_RUNQ_SIZE	256	/* a power of two */

/**
 * struct magpie_runq_node - what a run queue links a task by
 * @next: link in the global queue and in batches
 */
struct magpie_runq_node {
	struct magpie_runq_node *next;
};

/**
 * struct magpie_runq_list - a FIFO batch of tasks linked through ->next
 * @head: first task, or NULL
 * @tail: last task (undefined when empty)
 * @len: tasks on the list
 */
struct magpie_runq_list {
	struct magpie_runq_node *head;
	struct magpie_runq_node *tail;
	u32 len;
};

/**
 * struct magpie_runq - one P's ring and runnext slot
 * @head: index of the next task to take; every consumer advances it by
 *	compare-and-swap, whose release publishes that it is done reading
 *	the slot
 * @tail: index of the next free slot; only the owner writes it, with a
 *	release store that publishes the slot written before
 * @runnext: the task to run next (spawned by the running task), or NULL;
 *	filled only by the owner, emptied by compare-and-swap, since
 *	thieves may take it
 * @slots: the ring; slot i % MAGPIE_RUNQ_SIZE holds the task of index i
 *	for head <= i < tail
 *
 * Indices are free-running u32 counters: tail - head is the length even
 * across wraparound.
 */
struct magpie_runq {
	u32 head;
	u32 tail;
	struct magpie_runq_node *runnext;
	struct magpie_runq_node *slots[MAGPIE_RUNQ_SIZE];
};

/**
 * struct magpie_gqueue - the global run queue
 * @lock: protects @list
 * @list: the queued tasks, oldest first; @list.len is also read without
 *	the lock as a hint of emptiness
 */
struct magpie_gqueue {
	magpie_lock_t lock;
	struct magpie_runq_list list;
};

static inline void magpie_runq_list_init(struct magpie_runq_list *list)
{
	list->head = NULL;
	list->tail = NULL;
	list->len = 0;
}

void magpie_runq_list_add(struct magpie_runq_list *list, struct magpie_runq_node *node);

void magpie_runq_init(struct magpie_runq *q);
u32 magpie_runq_len(struct magpie_runq *q);

/**
 * magpie_runq_tail() - tasks the owner ever put in the ring, modulo 2^32
 * @q: the queue
 *
 * Two equal readings mean the owner queued nothing in between.
 *
 * Return: a snapshot of @q's tail index.
 */
static inline u32 magpie_runq_tail(struct magpie_runq *q)
{
	return magpie_load_acquire(&q->tail);
}

/**
 * magpie_runq_empty() - whether @q has nothing to run, runnext included
 * @q: the queue
 *
 * Inline: magpie_fork() asks it on every spawn.
 *
 * Return: a snapshot, as magpie_runq_len().
 */
static inline bool magpie_runq_empty(struct magpie_runq *q)
{
	/* Head first, as magpie_runq_len(): the tail is never behind it. */
	u32 head = magpie_load_acquire(&q->head);

	return magpie_load_acquire(&q->tail) == head && !magpie_load_relaxed(&q->runnext);
}

/* Taking one task: the oldest by any thread, the owner's next. */

/**
 * magpie_runq_pop_ring() - take the oldest task of a ring
 * @q: the queue (anyone's)
 *
 * Inline, as magpie_runq_get(): an M takes every task through it.
 *
 * Return: the task, or NULL when the ring is empty.
 */
static inline struct magpie_runq_node *magpie_runq_pop_ring(struct magpie_runq *q)
{
	for (;;) {
		u32 head = magpie_load_acquire(&q->head);
		/* Acquire: pairs with the owner's release of @tail. */
		u32 tail = magpie_load_acquire(&q->tail);
		struct magpie_runq_node *node;

		if (tail == head)
			return NULL;
		node = magpie_load_relaxed(&q->slots[head % MAGPIE_RUNQ_SIZE]);
		/* Fully ordered: our read of the slot precedes its reuse. */
		if (magpie_cas(&q->head, head, head + 1))
			return node;
	}
}

/**
 * magpie_runq_get() - take the task the owner should run next
 * @q: the owner's queue
 * @was_next: set to whether it came from runnext
 *
 * Context: the owner of @q.
 * Return: runnext if set, else the ring's oldest task, else NULL.
 */
static inline struct magpie_runq_node *magpie_runq_get(struct magpie_runq *q, bool *was_next)
{
	struct magpie_runq_node *next = magpie_load_relaxed(&q->runnext);

	/* Only the owner sets runnext, so a failed CAS means it was stolen. */
	if (next && magpie_cas(&q->runnext, next, NULL)) {
		*was_next = true;
		return next;
	}
	*was_next = false;
	return magpie_runq_pop_ring(q);
}

/* The owner's side, with the calls that fill its ring from elsewhere. */

/*
 * Stores @node in the free slot at @tail and exposes it, unless the ring
 * is full. @head must have been read with acquire: consumers are done
 * with the slots below it.
 */
static inline bool magpie_runq_try_put(struct magpie_runq *q, struct magpie_runq_node *node,
				       u32 head, u32 tail)
{
	if (tail - head >= MAGPIE_RUNQ_SIZE)
		return false;
	magpie_store_relaxed(&q->slots[tail % MAGPIE_RUNQ_SIZE], node);
	/* Release: the slot before the index that exposes it. */
	magpie_store_release(&q->tail, tail + 1);
	return true;
}

bool magpie_runq_put_full(struct magpie_runq *q, struct magpie_runq_node *node,
			  struct magpie_runq_list *overflow);

/**
 * magpie_runq_put() - queue a task at the tail of the owner's ring
 * @q: the owner's queue
 * @node: the task
 * @overflow: an empty list; receives half the ring and @node when the ring
 *	is full, for the caller to move to the global queue
 *
 * Inline: every submission comes here, and only a full ring needs more
 * than two loads and two stores.
 *
 * Context: the owner of @q.
 * Return: true when @overflow was filled instead of @node being queued.
 */
static inline bool magpie_runq_put(struct magpie_runq *q, struct magpie_runq_node *node,
				   struct magpie_runq_list *overflow)
{
	/* Acquire: see magpie_runq_try_put(). */
	u32 head = magpie_load_acquire(&q->head);

	if (likely(magpie_runq_try_put(q, node, head, magpie_load_relaxed(&q->tail))))
		return false;
	return magpie_runq_put_full(q, node, overflow);
}

/**
 * magpie_runq_put_next() - make a task the next one the owner runs
 * @q: the owner's queue
 * @node: the task
 * @overflow: as for magpie_runq_put(); the task @node displaces from
 *	runnext goes to the ring's tail
 *
 * Inline: a worker's every spawn comes here.
 *
 * Context: the owner of @q.
 * Return: true when @overflow was filled.
 */
static inline bool magpie_runq_put_next(struct magpie_runq *q, struct magpie_runq_node *node,
					struct magpie_runq_list *overflow)
{
	struct magpie_runq_node *old = magpie_load_relaxed(&q->runnext);

	/*
	 * Empty (a worker's usual spawn): only the owner fills runnext and
	 * thieves only empty it, so nobody fills it between our load and
	 * store, and a plain store does. Release, so a thief that takes
	 * @node sees what was written to it, as it does through @tail.
	 */
	if (likely(!old)) {
		magpie_store_release(&q->runnext, node);
		return false;
	}
	/*
	 * Taken: one exchange, no loop. A thief's CAS may take the old task
	 * at any time, before (we get NULL) or never; fully ordered, which
	 * includes the release above.
	 */
	old = magpie_xchg(&q->runnext, node);
	if (!old)
		return false;
	return magpie_runq_put(q, old, overflow);
}

struct magpie_runq_node *magpie_runq_get_if(struct magpie_runq *q,
					    bool (*fit)(struct magpie_runq_node *node, void *arg),
					    void *arg);
struct magpie_runq_node *magpie_runq_steal(struct magpie_runq *thief,
					   struct magpie_runq *victim,
					   bool steal_next, u32 *taken);
struct magpie_runq_node *magpie_gqueue_get(struct magpie_gqueue *gq,
					   struct magpie_runq *q, u32 nr_ps, u32 max);

/* Everything at once, by any thread (a CPU going offline). */
u32 magpie_runq_drain(struct magpie_runq *q, struct magpie_runq_list *out);

/* The global queue. */
void magpie_gqueue_init(struct magpie_gqueue *gq);
void magpie_gqueue_put_list(struct magpie_gqueue *gq, struct magpie_runq_list *list);
void magpie_gqueue_put(struct magpie_gqueue *gq, struct magpie_runq_node *node);

/**
 * magpie_gqueue_len() - how many tasks the global queue holds, unlocked
 * @gq: the queue
 *
 * Return: a snapshot that may be stale by the time it is used; callers use
 * it to skip the lock when the queue looks empty and recheck under it.
 */
static inline u32 magpie_gqueue_len(struct magpie_gqueue *gq)
{
	return magpie_load_relaxed(&gq->list.len);
}

#endif /* _MAGPIE_ENGINE_RUNQ_H */
