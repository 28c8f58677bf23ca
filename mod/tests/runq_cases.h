/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test cases of the run queues (engine/runq.c), shared by the KUnit suite
 * magpie_runq and the host unit tests (see mt.h). Single-threaded: they
 * pin down the ring's invariants; the concurrent stresses live in
 * tools/testing/engine/runq_threads.c (TSan) and the pool's KUnit suite.
 */
#include "mt.h"
#include "../engine/runq.h"

#define MT_NR_NODES	600

/* Nodes numbered 0..MT_NR_NODES-1 in one zeroed array. */
static struct magpie_runq_node *mt_nodes(MT_TEST *test)
{
	return MT_ALLOC(MT_NR_NODES * sizeof(struct magpie_runq_node));
}

static struct magpie_runq *mt_runq(MT_TEST *test)
{
	struct magpie_runq *q = MT_ALLOC(sizeof(*q));

	magpie_runq_init(q);
	return q;
}

/* Appends n[@from..@to) to the global queue in one batch. */
static void mt_gqueue_put_range(struct magpie_gqueue *gq, struct magpie_runq_node *n,
				int from, int to)
{
	struct magpie_runq_list batch;
	int i;

	magpie_runq_list_init(&batch);
	for (i = from; i < to; i++)
		magpie_runq_list_add(&batch, &n[i]);
	magpie_gqueue_put_list(gq, &batch);
}

/*
 * One share of the global queue (@nr_ps, @max as for magpie_gqueue_get()):
 * n[@first] to run, the next @ring tasks in @q (taken here, in order), and
 * @left still global.
 */
static void mt_expect_share(MT_TEST *test, struct magpie_gqueue *gq, struct magpie_runq *q,
			    struct magpie_runq_node *n, u32 nr_ps, u32 max,
			    int first, u32 ring, u32 left)
{
	bool was_next;
	u32 i;

	MT_EXPECT_PTR_EQ(magpie_gqueue_get(gq, q, nr_ps, max), &n[first]);
	MT_EXPECT_EQ(magpie_runq_len(q), ring);
	MT_EXPECT_EQ(magpie_gqueue_len(gq), left);
	for (i = 1; i <= ring; i++)
		MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[first + i]);
}

/* Tasks come out of the ring oldest first; runnext jumps the line. */
MT_CASE(runq_fifo_and_runnext)
{
	struct magpie_runq_node *n = mt_nodes(test);
	struct magpie_runq *q = mt_runq(test);
	struct magpie_runq_list over;
	bool was_next;
	int i;

	magpie_runq_list_init(&over);
	MT_EXPECT_TRUE(magpie_runq_empty(q));
	for (i = 0; i < 3; i++)
		MT_EXPECT_TRUE(!magpie_runq_put(q, &n[i], &over));
	MT_EXPECT_TRUE(!magpie_runq_put_next(q, &n[10], &over));
	/* A second runnext displaces the first to the ring's tail. */
	MT_EXPECT_TRUE(!magpie_runq_put_next(q, &n[11], &over));
	MT_EXPECT_EQ(magpie_runq_len(q), 4u);
	MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[11]);
	MT_EXPECT_TRUE(was_next);
	for (i = 0; i < 3; i++) {
		MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[i]);
		MT_EXPECT_TRUE(!was_next);
	}
	MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[10]);
	MT_EXPECT_NULL(magpie_runq_get(q, &was_next));
	MT_EXPECT_TRUE(magpie_runq_empty(q));
	MT_EXPECT_EQ(over.len, 0u);
}

/* The free-running indices wrap around 2^32 without losing a task. */
MT_CASE(runq_index_wraparound)
{
	struct magpie_runq_node *n = mt_nodes(test);
	struct magpie_runq *q = mt_runq(test);
	struct magpie_runq_list over;
	bool was_next;
	int i, round;

	magpie_runq_list_init(&over);
	q->head = 0xffffff00u;
	q->tail = 0xffffff00u;
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 200; i++)
			MT_EXPECT_TRUE(!magpie_runq_put(q, &n[i], &over));
		MT_EXPECT_EQ(magpie_runq_len(q), 200u);
		for (i = 0; i < 200; i++)
			MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[i]);
	}
	MT_EXPECT_TRUE(q->tail < 0x1000u);
	MT_EXPECT_EQ(magpie_runq_len(q), 0u);
	MT_EXPECT_EQ(over.len, 0u);
}

/* A ring filled with @n[0] to @n[MAGPIE_RUNQ_SIZE - 1]; @over starts empty. */
static struct magpie_runq *mt_full_runq(MT_TEST *test, struct magpie_runq_node *n,
					struct magpie_runq_list *over)
{
	struct magpie_runq *q = mt_runq(test);
	int i;

	magpie_runq_list_init(over);
	for (i = 0; i < MAGPIE_RUNQ_SIZE; i++)
		MT_EXPECT_TRUE(!magpie_runq_put(q, &n[i], over));
	return q;
}

/* Fits when the node lies at or after *@arg in the array of mt_nodes(). */
static bool mt_node_from(struct magpie_runq_node *node, void *arg)
{
	return node >= *(struct magpie_runq_node **)arg;
}

/* Fits when the node is *@arg. */
static bool mt_node_is(struct magpie_runq_node *node, void *arg)
{
	return node == *(struct magpie_runq_node **)arg;
}

/*
 * get_if takes the newest task that fits, across the index wraparound;
 * the older ones go back at the tail in order, and when nothing fits the
 * ring stays as it was.
 */
MT_CASE(runq_get_if_newest_fit)
{
	struct magpie_runq_node *n = mt_nodes(test);
	struct magpie_runq *q = mt_runq(test);
	struct magpie_runq_node *from = n;
	struct magpie_runq_list over;
	bool was_next;
	int i;

	magpie_runq_list_init(&over);
	q->head = 0xfffffffeu;
	q->tail = 0xfffffffeu;
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_from, &from), NULL);
	for (i = 0; i < 5; i++)
		MT_EXPECT_TRUE(!magpie_runq_put(q, &n[i], &over));
	/* n0 n1 n2 n3 n4: the newest fits. */
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_from, &from), &n[4]);
	/* n0 n1 n2 n3: nothing from n5 on, so nothing moves. */
	from = &n[5];
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_from, &from), NULL);
	MT_EXPECT_EQ(magpie_runq_len(q), 4u);
	/* Runnext first when it fits; left alone when it does not. */
	MT_EXPECT_TRUE(!magpie_runq_put_next(q, &n[9], &over));
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_from, &from), &n[9]);
	MT_EXPECT_TRUE(!magpie_runq_put_next(q, &n[8], &over));
	from = &n[9];
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_from, &from), NULL);
	MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[8]);
	/* n0 n1 n2 n3, and only n1 fits: n2 n3 n0 remain, in that order. */
	from = &n[1];
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_is, &from), &n[1]);
	MT_EXPECT_EQ(magpie_runq_len(q), 3u);
	MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[2]);
	MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[3]);
	MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[0]);
	MT_EXPECT_TRUE(magpie_runq_empty(q));
	MT_EXPECT_TRUE(q->tail < 0x10u);
	MT_EXPECT_EQ(over.len, 0u);
}

/* On a full ring the slots put back alias those taken; nothing is lost. */
MT_CASE(runq_get_if_full_ring)
{
	struct magpie_runq_node *n = mt_nodes(test), *pick;
	struct magpie_runq_list over;
	struct magpie_runq *q = mt_full_runq(test, n, &over);
	bool was_next;
	int i;

	pick = &n[100];
	MT_EXPECT_PTR_EQ(magpie_runq_get_if(q, mt_node_is, &pick), &n[100]);
	MT_EXPECT_EQ(magpie_runq_len(q), MAGPIE_RUNQ_SIZE - 1u);
	for (i = 101; i < MAGPIE_RUNQ_SIZE + 100; i++)
		MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[i % MAGPIE_RUNQ_SIZE]);
	MT_EXPECT_TRUE(magpie_runq_empty(q));
	MT_EXPECT_EQ(over.len, 0u);
}

/* A full ring gives its older half and the new task away in order. */
MT_CASE(runq_full_ring_overflows_half)
{
	struct magpie_runq_node *n = mt_nodes(test), *node;
	struct magpie_runq_list over;
	struct magpie_runq *q = mt_full_runq(test, n, &over);
	bool was_next;
	int i;

	MT_EXPECT_EQ(magpie_runq_len(q), (u32)MAGPIE_RUNQ_SIZE);
	MT_EXPECT_TRUE(magpie_runq_put(q, &n[MAGPIE_RUNQ_SIZE], &over));
	MT_EXPECT_EQ(over.len, MAGPIE_RUNQ_SIZE / 2 + 1u);
	MT_EXPECT_EQ(magpie_runq_len(q), MAGPIE_RUNQ_SIZE / 2u);
	for (i = 0, node = over.head; node; node = node->next, i++)
		MT_EXPECT_PTR_EQ(node, &n[i < MAGPIE_RUNQ_SIZE / 2 ? i : MAGPIE_RUNQ_SIZE]);
	MT_EXPECT_PTR_EQ(over.tail, &n[MAGPIE_RUNQ_SIZE]);
	for (i = MAGPIE_RUNQ_SIZE / 2; i < MAGPIE_RUNQ_SIZE; i++)
		MT_EXPECT_PTR_EQ(magpie_runq_get(q, &was_next), &n[i]);
	MT_EXPECT_NULL(magpie_runq_get(q, &was_next));
}

/* A thief takes the older half (rounded up) and runs the newest of it. */
MT_CASE(runq_steal_half)
{
	struct magpie_runq_node *n = mt_nodes(test);
	struct magpie_runq *victim = mt_runq(test), *thief = mt_runq(test);
	struct magpie_runq_list over;
	bool was_next;
	u32 taken;
	int i;

	magpie_runq_list_init(&over);
	for (i = 0; i < 9; i++)
		magpie_runq_put(victim, &n[i], &over);
	MT_EXPECT_PTR_EQ(magpie_runq_steal(thief, victim, false, &taken), &n[4]);
	MT_EXPECT_EQ(taken, 5u);
	MT_EXPECT_EQ(magpie_runq_len(thief), 4u);
	MT_EXPECT_EQ(magpie_runq_len(victim), 4u);
	for (i = 0; i < 4; i++)
		MT_EXPECT_PTR_EQ(magpie_runq_get(thief, &was_next), &n[i]);
	for (i = 5; i < 9; i++)
		MT_EXPECT_PTR_EQ(magpie_runq_get(victim, &was_next), &n[i]);

	/* An empty ring's runnext goes only when asked for. */
	magpie_runq_put_next(victim, &n[20], &over);
	MT_EXPECT_NULL(magpie_runq_steal(thief, victim, false, &taken));
	MT_EXPECT_EQ(taken, 0u);
	MT_EXPECT_PTR_EQ(magpie_runq_steal(thief, victim, true, &taken), &n[20]);
	MT_EXPECT_EQ(taken, 1u);
	MT_EXPECT_TRUE(magpie_runq_empty(victim));
	MT_EXPECT_TRUE(magpie_runq_empty(thief));

	/* A thief whose ring is more than half full takes nothing. */
	for (i = 0; i < MAGPIE_RUNQ_SIZE / 2 + 1; i++)
		magpie_runq_put(thief, &n[i], &over);
	magpie_runq_put(victim, &n[300], &over);
	MT_EXPECT_NULL(magpie_runq_steal(thief, victim, true, &taken));
	MT_EXPECT_EQ(magpie_runq_len(victim), 1u);
	MT_EXPECT_EQ(over.len, 0u);
}

/* The global queue hands out len / nr_ps + 1 tasks, FIFO, at most max. */
MT_CASE(runq_global_fair_share)
{
	struct magpie_runq_node *n = mt_nodes(test);
	struct magpie_runq *q = mt_runq(test);
	struct magpie_gqueue *gq = MT_ALLOC(sizeof(*gq));
	struct magpie_runq_list batch;
	bool was_next;
	int i;

	magpie_gqueue_init(gq);
	MT_EXPECT_NULL(magpie_gqueue_get(gq, q, 2, 0));
	mt_gqueue_put_range(gq, n, 0, 9);
	magpie_gqueue_put(gq, &n[9]);
	MT_EXPECT_EQ(magpie_gqueue_len(gq), 10u);
	mt_expect_share(test, gq, q, n, 2, 0, 0, 5, 4);
	mt_expect_share(test, gq, q, n, 1, 0, 6, 3, 0);
	MT_EXPECT_NULL(magpie_gqueue_get(gq, q, 1, 0));

	/* A cap: a fairness look takes one task and fills no ring. */
	mt_gqueue_put_range(gq, n, 0, 10);
	mt_expect_share(test, gq, q, n, 2, 1, 0, 0, 9);
	mt_expect_share(test, gq, q, n, 1, 3, 1, 2, 6);
	mt_expect_share(test, gq, q, n, 1, 0, 4, 5, 0);
	MT_EXPECT_NULL(magpie_runq_get(q, &was_next));

	/* Never more than half a ring at once; what does not fit goes back. */
	mt_gqueue_put_range(gq, n, 0, 400);
	magpie_runq_list_init(&batch);
	for (i = 400; i < MT_NR_NODES; i++)
		MT_EXPECT_TRUE(!magpie_runq_put(q, &n[i], &batch));
	MT_EXPECT_PTR_EQ(magpie_gqueue_get(gq, q, 1, 0), &n[0]);
	MT_EXPECT_EQ(batch.len, 0u);
	MT_EXPECT_EQ(magpie_runq_len(q), MAGPIE_RUNQ_SIZE / 2u);
	/* Every task is still somewhere, exactly once (n[0] is ours). */
	MT_EXPECT_EQ(magpie_runq_len(q) + magpie_gqueue_len(gq) + 1, (u32)MT_NR_NODES);
}

/* Draining takes the ring and then runnext. */
MT_CASE(runq_drain_everything)
{
	struct magpie_runq_node *n = mt_nodes(test);
	struct magpie_runq *q = mt_runq(test);
	struct magpie_runq_list out, over;

	magpie_runq_list_init(&out);
	magpie_runq_list_init(&over);
	magpie_runq_put(q, &n[0], &over);
	magpie_runq_put(q, &n[1], &over);
	magpie_runq_put_next(q, &n[2], &over);
	MT_EXPECT_EQ(magpie_runq_drain(q, &out), 3u);
	MT_EXPECT_PTR_EQ(out.head, &n[0]);
	MT_EXPECT_PTR_EQ(out.head->next, &n[1]);
	MT_EXPECT_PTR_EQ(out.tail, &n[2]);
	MT_EXPECT_TRUE(magpie_runq_empty(q));
	MT_EXPECT_EQ(magpie_runq_drain(q, &out), 0u);
}

MT_CASE_LIST(magpie_runq_cases) = {
	MT_CASE_ENTRY(runq_fifo_and_runnext),
	MT_CASE_ENTRY(runq_index_wraparound),
	MT_CASE_ENTRY(runq_get_if_newest_fit),
	MT_CASE_ENTRY(runq_get_if_full_ring),
	MT_CASE_ENTRY(runq_full_ring_overflows_half),
	MT_CASE_ENTRY(runq_steal_half),
	MT_CASE_ENTRY(runq_global_fair_share),
	MT_CASE_ENTRY(runq_drain_everything),
	{}
};
