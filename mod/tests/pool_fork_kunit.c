// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_pool_fork: magpie_fork(), the fork-join spawn that
 * runs a child inline when the spawning worker's P already holds a task
 * to steal: its errors, when it runs inline and when it queues, how deep
 * inline children nest, and fork-join recursion built on it.
 */
#include <kunit/test.h>
#include <linux/cpu.h>

#include "../magpie.h"
#include "../pool.h"
#include "suites.h"

static u64 mt_forks_inline(void)
{
	unsigned int cpu;
	u64 sum = 0;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(magpie_pool.ps, cpu)->stats.forks_inline);
	return sum;
}

/**
 * mt_one_cpu() - take CPU 1 down for a test that needs one CPU
 * @test: the test; skipped on more than two CPUs
 *
 * Return: true if CPU 1 was taken down (the test brings it back).
 */
bool mt_one_cpu(struct kunit *test)
{
	if (num_online_cpus() > 2)
		kunit_skip(test, "needs one or two CPUs");
	if (num_online_cpus() < 2 || !cpu_online(1))
		return false;
	KUNIT_ASSERT_EQ(test, remove_cpu(1), 0);
	return true;
}

static void mt_fork_count(void *arg)
{
	atomic_inc(arg);
}

/* No group, no function, or an unloading pool: an error, nothing runs. */
static void pool_fork_rejects_bad_arguments(struct kunit *test)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;
	atomic_t runs = ATOMIC_INIT(0);

	KUNIT_EXPECT_EQ(test, magpie_fork(mt_fork_count, &runs, NULL, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, magpie_fork(NULL, &runs, &wg, GFP_KERNEL), -EINVAL);
	WRITE_ONCE(magpie_pool.stopping, true);
	KUNIT_EXPECT_EQ(test, magpie_fork(mt_fork_count, &runs, &wg, GFP_KERNEL), -ESHUTDOWN);
	WRITE_ONCE(magpie_pool.stopping, false);
	magpie_wg_wait(&wg);
	KUNIT_EXPECT_EQ(test, atomic_read(&wg.count), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 0);
}

/* Outside the pool's tasks it is magpie_go(): queued, never inline. */
static void pool_fork_outside_queues(struct kunit *test)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;
	atomic_t runs = ATOMIC_INIT(0);
	u64 inline0 = mt_forks_inline();
	unsigned int i;

	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, magpie_fork(mt_fork_count, &runs, &wg, GFP_KERNEL), 0);
	magpie_wg_wait(&wg);
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 100);
	KUNIT_EXPECT_EQ(test, mt_forks_inline(), inline0);
}

struct mt_fork_pair {
	struct magpie_wg wg;		/* the parent's children */
	struct magpie_wg outer;		/* the parent */
	atomic_t first_runs, second_runs, bad_runs;
	int first_ran_at_return;	/* the first child, when its fork returned */
	int second_ran_at_return;
	int err;
	int null_fn_err;		/* forks that must fail where one may go inline */
	int stopping_err;
};

static void mt_fork_pair_parent(void *arg)
{
	struct mt_fork_pair *fp = arg;

	fp->err = magpie_fork(mt_fork_count, &fp->first_runs, &fp->wg, GFP_KERNEL);
	fp->first_ran_at_return = atomic_read(&fp->first_runs);
	fp->err = fp->err ?: magpie_fork(mt_fork_count, &fp->second_runs, &fp->wg, GFP_KERNEL);
	fp->second_ran_at_return = atomic_read(&fp->second_runs);
	/* The P holds the first child: these would go inline if allowed. */
	fp->null_fn_err = magpie_fork(NULL, &fp->bad_runs, &fp->wg, GFP_KERNEL);
	WRITE_ONCE(magpie_pool.stopping, true);
	fp->stopping_err = magpie_fork(mt_fork_count, &fp->bad_runs, &fp->wg, GFP_KERNEL);
	WRITE_ONCE(magpie_pool.stopping, false);
	magpie_wg_wait(&fp->wg);
}

/*
 * On one CPU, from a task: the first child finds the P empty and is
 * queued (it cannot run before the parent waits: no other M), the second
 * finds the first queued and runs inline, before its fork returns. With
 * the first still queued, no function or an unloading pool still fail.
 */
static void pool_fork_inline_once_p_has_work(struct kunit *test)
{
	struct mt_fork_pair fp = { .wg = MAGPIE_WG_INIT, .outer = MAGPIE_WG_INIT };
	bool cpu1 = mt_one_cpu(test);
	u64 inline0 = mt_forks_inline();

	atomic_set(&fp.first_runs, 0);
	atomic_set(&fp.second_runs, 0);
	atomic_set(&fp.bad_runs, 0);
	KUNIT_ASSERT_EQ(test, magpie_go(mt_fork_pair_parent, &fp, &fp.outer, GFP_KERNEL), 0);
	magpie_wg_wait(&fp.outer);
	if (cpu1)
		KUNIT_EXPECT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_EQ(test, fp.err, 0);
	KUNIT_EXPECT_EQ(test, fp.first_ran_at_return, 0);
	KUNIT_EXPECT_EQ(test, fp.second_ran_at_return, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fp.first_runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fp.second_runs), 1);
	KUNIT_EXPECT_EQ(test, fp.null_fn_err, -EINVAL);
	KUNIT_EXPECT_EQ(test, fp.stopping_err, -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, atomic_read(&fp.bad_runs), 0);
	KUNIT_EXPECT_EQ(test, mt_forks_inline(), inline0 + 1);
}

/* A chain of forks, each behind a queued sibling so that it may go inline. */
#define MT_FORK_CHAIN	(MAGPIE_HELP_DEPTH_MAX + 16)

struct mt_fork_chain {
	atomic_t runs[MT_FORK_CHAIN];
	struct task_struct *ran_on[MT_FORK_CHAIN];
	atomic_t siblings;
	unsigned int max_nest;		/* most links nested on one thread */
	int err;
};

struct mt_fork_link {
	struct mt_fork_chain *ch;
	unsigned int i;
};

static void mt_fork_link_fn(void *arg)
{
	struct mt_fork_link *l = arg, next = { .ch = l->ch, .i = l->i + 1 };
	struct magpie_wg wg = MAGPIE_WG_INIT;
	unsigned int j, nest = 0;
	int err;

	atomic_inc(&l->ch->runs[l->i]);
	/*
	 * Every earlier link waits for this one: those on this thread are
	 * nested on its stack below us. Counted from the threads, not from
	 * the M's own counter, which the bound is built on.
	 */
	WRITE_ONCE(l->ch->ran_on[l->i], current);
	for (j = 0; j < l->i; j++)
		nest += READ_ONCE(l->ch->ran_on[j]) == current;
	if (nest > READ_ONCE(l->ch->max_nest))
		WRITE_ONCE(l->ch->max_nest, nest);
	if (next.i == MT_FORK_CHAIN)
		return;
	err = magpie_fork(mt_fork_count, &l->ch->siblings, &wg, GFP_KERNEL);
	err = err ?: magpie_fork(mt_fork_link_fn, &next, &wg, GFP_KERNEL);
	if (err)
		WRITE_ONCE(l->ch->err, err);
	magpie_wg_wait(&wg);
}

/*
 * On one CPU, inline children nest on the worker's stack exactly as deep
 * as waits that help may (MAGPIE_HELP_DEPTH_MAX nested tasks); past that
 * they are queued (a spare runs them while the worker waits), and every
 * link still runs once.
 */
static void pool_fork_nesting_bounded(struct kunit *test)
{
	struct mt_fork_chain *ch = kunit_kzalloc(test, sizeof(*ch), GFP_KERNEL);
	struct magpie_wg wg = MAGPIE_WG_INIT;
	struct mt_fork_link first;
	unsigned int i, wrong = 0;
	bool cpu1;

	KUNIT_ASSERT_NOT_NULL(test, ch);
	first.ch = ch;
	first.i = 0;
	cpu1 = mt_one_cpu(test);
	KUNIT_EXPECT_EQ(test, magpie_go(mt_fork_link_fn, &first, &wg, GFP_KERNEL), 0);
	magpie_wg_wait(&wg);
	if (cpu1)
		KUNIT_EXPECT_EQ(test, add_cpu(1), 0);
	for (i = 0; i < MT_FORK_CHAIN; i++)
		wrong += atomic_read(&ch->runs[i]) != 1;
	KUNIT_EXPECT_EQ(test, ch->err, 0);
	KUNIT_EXPECT_EQ(test, wrong, 0u);
	KUNIT_EXPECT_EQ(test, atomic_read(&ch->siblings), MT_FORK_CHAIN - 1);
	KUNIT_EXPECT_EQ(test, ch->max_nest, (unsigned int)MAGPIE_HELP_DEPTH_MAX);
	kunit_info(test, "deepest nesting %u", ch->max_nest);
}

/* Runs fork-join fib by magpie_fork(); returns how many children ran inline. */
static u64 mt_fork_fib_check(struct kunit *test, unsigned int n)
{
	u64 inline0 = mt_forks_inline();

	mt_fib_check_as(test, n, true);
	return mt_forks_inline() - inline0;
}

/*
 * Fork-join fib on all CPUs, then on one: right on both; on one CPU all
 * but about one child per level of the tree run inline.
 */
static void pool_fork_fib(struct kunit *test)
{
	/* fib(n) makes 2 fib(n + 1) - 2 children: 1972 for n = 15. */
	const unsigned int n = 15, children = 1972;
	u64 inlined;
	bool cpu1;

	mt_fork_fib_check(test, n);
	cpu1 = mt_one_cpu(test);
	inlined = mt_fork_fib_check(test, n);
	if (cpu1)
		KUNIT_EXPECT_EQ(test, add_cpu(1), 0);
	/*
	 * All but about n when nothing else runs; loosely, as sysmon may
	 * wake a spare on this CPU if the tree runs longer than its hog
	 * limit (debug kernels), and the spare takes the queued children.
	 */
	KUNIT_EXPECT_GE(test, inlined, (u64)children / 2);
	kunit_info(test, "one CPU: %llu of %u children inline", inlined, children);
}

static struct kunit_case magpie_pool_fork_cases[] = {
	KUNIT_CASE(pool_fork_rejects_bad_arguments),
	KUNIT_CASE(pool_fork_outside_queues),
	KUNIT_CASE(pool_fork_inline_once_p_has_work),
	KUNIT_CASE(pool_fork_nesting_bounded),
	KUNIT_CASE(pool_fork_fib),
	{}
};

struct kunit_suite magpie_pool_fork_suite = {
	.name = "magpie_pool_fork",
	.test_cases = magpie_pool_fork_cases,
};
