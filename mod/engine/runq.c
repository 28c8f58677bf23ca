// SPDX-License-Identifier: GPL-2.0
/*
 * Run queues: the per-P ring with its runnext slot, stealing half of
 * another P's ring, and the global queue. See runq.h for the model.
 *
 * Memory ordering, in one place:
 * - The owner stores a slot, then store-releases @tail; a consumer
 *   load-acquires @tail before it reads slots below it, so it sees what
 *   the owner stored.
 * - A consumer reads a slot, then advances @head by a fully ordered CAS;
 *   the owner load-acquires @head before it reuses a slot, so the
 *   consumer's read happened before the overwrite. A consumer whose slot
 *   was overwritten under it necessarily lost the race for @head (the
 *   owner only reuses slots below the current head), so its CAS fails and
 *   it drops what it read.
 * - Only the owner fills runnext: with a release store when it is empty
 *   (nobody else fills it, and thieves only empty it), with an exchange
 *   when it holds a task a thief may take meanwhile. Anyone takes it by a
 *   fully ordered CAS, the acquire that pairs with either, so whoever
 *   takes a task sees its contents (written before it was queued).
 */
#include "runq.h"

/**
 * magpie_runq_list_add() - append a task to a batch
 * @list: the batch
 * @node: the task
 */
void magpie_runq_list_add(struct magpie_runq_list *list, struct magpie_runq_node *node)
{
	node->next = NULL;
	if (list->head)
		list->tail->next = node;
	else
		list->head = node;
	list->tail = node;
	list->len++;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_list_add);

/**
 * magpie_runq_init() - make an empty run queue
 * @q: the queue
 */
void magpie_runq_init(struct magpie_runq *q)
{
	u32 i;

	q->head = 0;
	q->tail = 0;
	q->runnext = NULL;
	for (i = 0; i < MAGPIE_RUNQ_SIZE; i++)
		q->slots[i] = NULL;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_init);

/**
 * magpie_runq_len() - tasks in the ring (runnext not counted)
 * @q: the queue
 *
 * Return: a snapshot, exact only when nobody else is using @q.
 */
u32 magpie_runq_len(struct magpie_runq *q)
{
	/* Head first: the tail read after it is never behind it. */
	u32 head = magpie_load_acquire(&q->head);
	u32 tail = magpie_load_acquire(&q->tail);
	u32 n = tail - head;

	return n > MAGPIE_RUNQ_SIZE ? MAGPIE_RUNQ_SIZE : n;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_len);

/*
 * The ring is full: move its older half and @node to @overflow. Fails
 * when consumers moved @head meanwhile (then there is room again).
 */
static bool magpie_runq_put_slow(struct magpie_runq *q, struct magpie_runq_node *node,
				 u32 head, u32 tail, struct magpie_runq_list *overflow)
{
	u32 n = (tail - head) / 2, i;

	/*
	 * Claim the slots first and read them after: once @head is past them
	 * no consumer reads them, and only this owner ever writes slots.
	 */
	if (!magpie_cas(&q->head, head, head + n))
		return false;
	for (i = 0; i < n; i++)
		magpie_runq_list_add(overflow,
				     magpie_load_relaxed(&q->slots[(head + i) % MAGPIE_RUNQ_SIZE]));
	magpie_runq_list_add(overflow, node);
	return true;
}

/**
 * magpie_runq_put_full() - magpie_runq_put() once the ring looked full
 * @q: the owner's queue
 * @node: the task
 * @overflow: as for magpie_runq_put()
 *
 * Context: the owner of @q.
 * Return: true when @overflow was filled instead of @node being queued.
 */
bool magpie_runq_put_full(struct magpie_runq *q, struct magpie_runq_node *node,
			  struct magpie_runq_list *overflow)
{
	for (;;) {
		/* Acquire: consumers are done with the slots below head. */
		u32 head = magpie_load_acquire(&q->head);
		u32 tail = magpie_load_relaxed(&q->tail);

		if (magpie_runq_try_put(q, node, head, tail))
			return false;
		if (magpie_runq_put_slow(q, node, head, tail, overflow))
			return true;
	}
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_put_full);

/**
 * magpie_runq_get_if() - take the newest task that fits, runnext first
 * @q: the owner's queue
 * @fit: says whether a task fits
 * @arg: passed to @fit
 *
 * Looks at runnext, then at the ring from its newest task back. In
 * fork-join the newest task is the deepest, the one a waiting owner wants,
 * so mostly @fit is called once. Consumers only ever take from the head,
 * so one CAS claims everything from the head up to the task found, and
 * the older tasks go back at the tail in their order: the ring comes out
 * rotated, never shuffled. When nothing fits the ring stays as it is.
 * A runnext that does not fit stays where it is.
 *
 * @fit is asked about tasks that a thief may claim meanwhile, and may have
 * run and freed by the time @fit reads them; the claim by compare-and-swap
 * then fails and the answer counts for nothing. So @fit must read memory
 * that may have been freed without faulting or reporting it.
 *
 * Context: the owner of @q.
 * Return: the task, or NULL when none fits.
 */
struct magpie_runq_node *magpie_runq_get_if(struct magpie_runq *q,
					    bool (*fit)(struct magpie_runq_node *node, void *arg),
					    void *arg)
{
	struct magpie_runq_node *node = magpie_load_relaxed(&q->runnext);
	u32 head, tail, found, i;

	if (node && fit(node, arg) && magpie_cas(&q->runnext, node, NULL))
		return node;
	for (;;) {
		/* Acquire: consumers are done with the slots below head. */
		head = magpie_load_acquire(&q->head);
		tail = magpie_load_relaxed(&q->tail);
		/*
		 * Only the owner writes slots, so those from head up hold
		 * what we queued; a thief may claim some meanwhile, and then
		 * our CAS below fails and we look again.
		 */
		for (found = tail; found != head; found--) {
			node = magpie_load_relaxed(&q->slots[(found - 1) % MAGPIE_RUNQ_SIZE]);
			if (fit(node, arg))
				break;
		}
		if (found == head)
			return NULL;
		found--;
		/* Fully ordered: our reads of the slots precede their reuse. */
		if (magpie_cas(&q->head, head, found + 1))
			break;
	}
	/*
	 * Slots head..found-1 are ours now and nobody else writes or reads
	 * them; each is read before the slot at the tail that may alias it
	 * (only when the ring was full, then the same index) is written.
	 */
	for (i = 0; head + i != found; i++)
		magpie_store_relaxed(&q->slots[(tail + i) % MAGPIE_RUNQ_SIZE],
				     magpie_load_relaxed(&q->slots[(head + i) % MAGPIE_RUNQ_SIZE]));
	/* Release: the slots before the index that exposes them. */
	if (i)
		magpie_store_release(&q->tail, tail + i);
	return node;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_get_if);

/*
 * Copies half of @victim's ring into @batch from index @batch_head on and
 * claims it; with @steal_next, takes runnext when the ring is empty.
 * Returns how many tasks were taken.
 */
static u32 magpie_runq_grab(struct magpie_runq *victim, struct magpie_runq_node **batch,
			    u32 batch_head, bool steal_next)
{
	for (;;) {
		u32 head = magpie_load_acquire(&victim->head);
		u32 tail = magpie_load_acquire(&victim->tail);
		u32 n = tail - head, i;

		n -= n / 2;
		if (!n) {
			struct magpie_runq_node *next;

			if (!steal_next)
				return 0;
			next = magpie_load_relaxed(&victim->runnext);
			if (!next || !magpie_cas(&victim->runnext, next, NULL))
				return 0;
			magpie_store_relaxed(&batch[batch_head % MAGPIE_RUNQ_SIZE], next);
			return 1;
		}
		/* head and tail read at different times: try again. */
		if (n > MAGPIE_RUNQ_SIZE / 2)
			continue;
		for (i = 0; i < n; i++)
			magpie_store_relaxed(&batch[(batch_head + i) % MAGPIE_RUNQ_SIZE],
					     magpie_load_relaxed(&victim->slots[(head + i) %
										MAGPIE_RUNQ_SIZE]));
		/* Fully ordered: the copies above precede the claim. */
		if (magpie_cas(&victim->head, head, head + n))
			return n;
	}
}

/**
 * magpie_runq_steal() - take half of another P's ring into one's own
 * @thief: the owner's queue, at most half full
 * @victim: the queue to steal from
 * @steal_next: also take @victim's runnext when its ring is empty
 * @taken: set to the number of tasks taken (0 when NULL is returned)
 *
 * Context: the owner of @thief.
 * Return: one stolen task to run now (the others are queued in @thief),
 * or NULL when there was nothing to take or @thief has no room.
 */
struct magpie_runq_node *magpie_runq_steal(struct magpie_runq *thief,
					   struct magpie_runq *victim,
					   bool steal_next, u32 *taken)
{
	u32 tail = magpie_load_relaxed(&thief->tail);
	u32 head = magpie_load_acquire(&thief->head);
	struct magpie_runq_node *node;
	u32 n;

	*taken = 0;
	if (tail - head > MAGPIE_RUNQ_SIZE / 2)
		return NULL;
	/* Slots from our tail on are free and nobody else reads them. */
	n = magpie_runq_grab(victim, thief->slots, tail, steal_next);
	if (!n)
		return NULL;
	*taken = n;
	node = magpie_load_relaxed(&thief->slots[(tail + n - 1) % MAGPIE_RUNQ_SIZE]);
	if (n > 1)
		magpie_store_release(&thief->tail, tail + n - 1);
	return node;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_steal);

/**
 * magpie_runq_drain() - take every task of a queue, runnext included
 * @q: the queue (anyone's)
 * @out: receives the tasks, oldest first, runnext last
 *
 * Return: how many tasks were taken.
 */
u32 magpie_runq_drain(struct magpie_runq *q, struct magpie_runq_list *out)
{
	struct magpie_runq_node *node;
	u32 n = 0;

	while ((node = magpie_runq_pop_ring(q))) {
		magpie_runq_list_add(out, node);
		n++;
	}
	node = magpie_load_relaxed(&q->runnext);
	if (node && magpie_cas(&q->runnext, node, NULL)) {
		magpie_runq_list_add(out, node);
		n++;
	}
	return n;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_runq_drain);

/**
 * magpie_gqueue_init() - make an empty global queue
 * @gq: the queue
 */
void magpie_gqueue_init(struct magpie_gqueue *gq)
{
	magpie_lock_init(&gq->lock);
	magpie_runq_list_init(&gq->list);
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_gqueue_init);

/* Appends @list to the locked queue; the length is read unlocked, too. */
static void magpie_gqueue_splice(struct magpie_gqueue *gq, struct magpie_runq_list *list)
{
	if (!list->len)
		return;
	if (gq->list.head)
		gq->list.tail->next = list->head;
	else
		gq->list.head = list->head;
	gq->list.tail = list->tail;
	magpie_store_relaxed(&gq->list.len, gq->list.len + list->len);
}

/**
 * magpie_gqueue_put_list() - append a batch to the global queue
 * @gq: the queue
 * @list: the batch; left as it was (the caller owns its memory)
 */
void magpie_gqueue_put_list(struct magpie_gqueue *gq, struct magpie_runq_list *list)
{
	unsigned long flags;

	if (!list->len)
		return;
	magpie_lock(&gq->lock, flags);
	magpie_gqueue_splice(gq, list);
	magpie_unlock(&gq->lock, flags);
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_gqueue_put_list);

/**
 * magpie_gqueue_put() - append one task to the global queue
 * @gq: the queue
 * @node: the task
 */
void magpie_gqueue_put(struct magpie_gqueue *gq, struct magpie_runq_node *node)
{
	struct magpie_runq_list one;

	magpie_runq_list_init(&one);
	magpie_runq_list_add(&one, node);
	magpie_gqueue_put_list(gq, &one);
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_gqueue_put);

/**
 * magpie_gqueue_get() - take a fair share of the global queue
 * @gq: the queue
 * @q: the caller's own run queue, which receives all but one of the tasks
 * @nr_ps: how many Ps share the global queue
 * @max: take at most this many; 0 for no limit of the caller's
 *
 * Takes len / @nr_ps + 1 tasks (Go's globrunqget), at most @max and at
 * most half a ring. A fairness look takes one, as Go's does: a batch
 * would keep the caller's ring fed from the global queue, and a ring the
 * caller should steal from would keep spilling into it.
 *
 * Context: the owner of @q.
 * Return: the oldest task taken, to run now, or NULL.
 */
struct magpie_runq_node *magpie_gqueue_get(struct magpie_gqueue *gq,
					   struct magpie_runq *q, u32 nr_ps, u32 max)
{
	struct magpie_runq_node *first, *node, *next;
	struct magpie_runq_list overflow;
	unsigned long flags;
	u32 n, i;

	if (!magpie_gqueue_len(gq))
		return NULL;
	magpie_lock(&gq->lock, flags);
	n = gq->list.len;
	if (!n) {
		magpie_unlock(&gq->lock, flags);
		return NULL;
	}
	n = n / (nr_ps ? nr_ps : 1) + 1;
	if (n > gq->list.len)
		n = gq->list.len;
	if (max && n > max)
		n = max;
	if (n > MAGPIE_RUNQ_SIZE / 2)
		n = MAGPIE_RUNQ_SIZE / 2;
	first = gq->list.head;
	node = first;
	for (i = 1; i < n; i++)
		node = node->next;
	gq->list.head = node->next;
	node->next = NULL;
	magpie_store_relaxed(&gq->list.len, gq->list.len - n);
	magpie_unlock(&gq->lock, flags);

	/* The rest goes to our ring; whatever does not fit goes back. */
	magpie_runq_list_init(&overflow);
	for (node = first->next; node; node = next) {
		next = node->next;
		if (magpie_runq_put(q, node, &overflow)) {
			while (next) {
				node = next;
				next = node->next;
				magpie_runq_list_add(&overflow, node);
			}
			magpie_gqueue_put_list(gq, &overflow);
			break;
		}
	}
	first->next = NULL;
	return first;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_gqueue_get);
