// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_pool_wait: how a worker waits for a wait group. The
 * decrements it owes for tasks it ran (pool_wg.c, "Owed decrements"):
 * their accounting, and that they are paid before other work; that a
 * waiting worker with nothing to run polls only briefly, then sleeps; and
 * that an M whose CPU went offline does not park on the idle list; and
 * that a group whose counter passes through zero while tasks are added
 * is waited for whole, and never touched once its wait returned.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>

#include "../compat.h"
#include "../magpie.h"
#include "../pool.h"
#include "suites.h"

static void mt_wait_noop(void *arg)
{
}

/* A task of @color counted in flight, as magpie_go() counts it. */
static void mt_count_in_flight(unsigned int color)
{
	this_cpu_inc(magpie_pool.ps->in_flight[color]);
}

/*
 * The decrements an M owes (pool_wg.c, "Owed decrements"), on an M that
 * exists only for the test: a done is owed, to the group and to the
 * in-flight count, not paid; a spawn into the same group and color takes
 * it back; running the same group and color keeps it owed, and anything
 * else pays it, the in-flight count included.
 */
static void pool_owed_decrements(struct kunit *test)
{
	struct magpie_wg a = MAGPIE_WG_INIT, b = MAGPIE_WG_INIT;
	struct magpie_m m = { .pool = &magpie_pool, .cpu = -1, .cur_depth = -1 };
	unsigned int c = READ_ONCE(magpie_pool.color), other = c ^ 1;
	long flight = magpie_pool_in_flight(&magpie_pool, c);

	magpie_wg_add(&a, 2);
	magpie_wg_add(&b, 1);
	mt_count_in_flight(c);
	mt_count_in_flight(c);
	mt_count_in_flight(c);
	magpie_m_wg_done(&m, &a, c);
	KUNIT_EXPECT_EQ(test, atomic_read(&a.count), 2);
	KUNIT_EXPECT_EQ(test, magpie_pool_in_flight(&magpie_pool, c), flight + 3);
	KUNIT_EXPECT_PTR_EQ(test, m.wg_owed_to, &a);
	KUNIT_EXPECT_EQ(test, m.wg_owed, 1);
	/* The same group under the other color: no take-back. */
	KUNIT_EXPECT_FALSE(test, magpie_m_wg_take_back(&m, &a, other));
	KUNIT_EXPECT_FALSE(test, magpie_m_wg_take_back(NULL, &a, c));
	KUNIT_EXPECT_TRUE(test, magpie_m_wg_take_back(&m, &a, c));
	KUNIT_EXPECT_EQ(test, m.wg_owed, 0);
	/* Nothing owed: a spawn counts as usual. */
	KUNIT_EXPECT_FALSE(test, magpie_m_wg_take_back(&m, &a, c));
	magpie_wg_add(&a, 1);
	mt_count_in_flight(c);
	magpie_m_wg_done(&m, &a, c);
	magpie_m_wg_done(&m, &a, c);
	magpie_m_wg_settle_other(&m, &a, c);
	KUNIT_EXPECT_EQ(test, atomic_read(&a.count), 3);
	KUNIT_EXPECT_EQ(test, m.wg_owed, 2);
	/* Another group's done pays the first group, then its flight. */
	magpie_m_wg_done(&m, &b, c);
	KUNIT_EXPECT_EQ(test, atomic_read(&a.count), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&b.count), 1);
	KUNIT_EXPECT_EQ(test, magpie_pool_in_flight(&magpie_pool, c), flight + 2);
	KUNIT_EXPECT_PTR_EQ(test, m.wg_owed_to, &b);
	/* The same group under another color pays, too. */
	magpie_m_wg_settle_other(&m, &b, other);
	KUNIT_EXPECT_EQ(test, atomic_read(&b.count), 0);
	KUNIT_EXPECT_EQ(test, magpie_pool_in_flight(&magpie_pool, c), flight + 1);
	KUNIT_EXPECT_NULL(test, m.wg_owed_to);
	/* A task of no group pays. */
	magpie_m_wg_done(&m, &a, c);
	magpie_m_wg_settle_other(&m, NULL, c);
	KUNIT_EXPECT_EQ(test, atomic_read(&a.count), 0);
	KUNIT_EXPECT_EQ(test, magpie_pool_in_flight(&magpie_pool, c), flight);
	KUNIT_EXPECT_NULL(test, m.wg_owed_to);
	KUNIT_EXPECT_EQ(test, m.wg_owed, 0);
	magpie_wg_wait(&a);
	magpie_wg_wait(&b);
}

struct mt_owed {
	struct magpie_wg quick;
	struct magpie_wg slow;
	int err;
};

static void mt_owed_sleep(void *arg)
{
	msleep(400);
}

/*
 * Queues, on this M, a task of @o->quick behind (in runnext) and a long
 * sleeper of another group ahead of it in the ring: the M runs the quick
 * one, owes its decrement, and must pay before it sleeps in the other.
 */
static void mt_owed_parent(void *arg)
{
	struct mt_owed *o = arg;

	o->err = magpie_go(mt_owed_sleep, NULL, &o->slow, GFP_KERNEL) ?:
		 magpie_go(mt_wait_noop, NULL, &o->quick, GFP_KERNEL);
	/* The gate the test thread added: the quick task holds the group now. */
	magpie_wg_done(&o->quick);
}

/*
 * A decrement an M owes does not wait for the next task it runs: with one
 * CPU (so no other M takes the sleeper), the quick group's waiter returns
 * long before the 400 ms sleeper that the same M runs next is done.
 */
static void pool_owed_decrement_paid_before_other_work(struct kunit *test)
{
	struct mt_owed o = { .quick = MAGPIE_WG_INIT, .slow = MAGPIE_WG_INIT };
	bool cpu1 = mt_one_cpu(test);
	u64 t0, ms;

	magpie_wg_add(&o.quick, 1);
	t0 = local_clock();
	KUNIT_ASSERT_EQ(test, magpie_go(mt_owed_parent, &o, &o.slow, GFP_KERNEL), 0);
	magpie_wg_wait(&o.quick);
	ms = div_u64(local_clock() - t0, NSEC_PER_MSEC);
	magpie_wg_wait(&o.slow);
	if (cpu1)
		KUNIT_EXPECT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_EQ(test, o.err, 0);
	KUNIT_EXPECT_LT(test, ms, 200u);
	kunit_info(test, "quick group done after %llu ms", ms);
}

struct mt_poll {
	struct magpie_wg wg;		/* what the task waits for */
	struct magpie_wg outer;		/* the task itself */
	struct hrtimer timer;
	struct task_struct *waiter;	/* the worker the task runs on */
	bool waiter_running;		/* its state when the timer fired */
	u64 sleeps;			/* help_sleeps while it waited */
};

static enum hrtimer_restart mt_poll_timer(struct hrtimer *timer)
{
	struct mt_poll *w = container_of(timer, struct mt_poll, timer);

	w->waiter_running = task_is_running(READ_ONCE(w->waiter));
	magpie_wg_done(&w->wg);
	return HRTIMER_NORESTART;
}

static u64 mt_help_sleeps(void)
{
	struct magpie_pool_totals t;

	magpie_pool_get_totals(&t);
	return t.help_sleeps;
}

static void mt_poll_fn(void *arg)
{
	struct mt_poll *w = arg;
	u64 before = mt_help_sleeps();

	WRITE_ONCE(w->waiter, current);
	magpie_wg_add(&w->wg, 1);
	hrtimer_start(&w->timer, ms_to_ktime(2), HRTIMER_MODE_REL);
	magpie_wg_wait(&w->wg);
	w->sleeps = mt_help_sleeps() - before;
}

/*
 * A worker that waits for a group and finds nothing to run polls for at
 * most MAGPIE_HELP_POLL_NS (50 us), then sleeps: when a timer completes the
 * group 2 ms later (well inside sysmon's 10 ms, so no spare competes for
 * the CPU and ends a poll early), the worker is asleep, and it slept
 * through the help path. A poll without its deadline spins to the end,
 * unless another thread runs on the CPU meanwhile: then it passes anyway.
 */
static void pool_help_polls_then_sleeps(struct kunit *test)
{
	struct mt_poll *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	magpie_wg_init(&w->wg);
	magpie_wg_init(&w->outer);
	magpie_hrtimer_setup(&w->timer, mt_poll_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	KUNIT_ASSERT_EQ(test, magpie_go(mt_poll_fn, w, &w->outer, GFP_KERNEL), 0);
	magpie_wg_wait(&w->outer);
	hrtimer_cancel(&w->timer);
	KUNIT_EXPECT_FALSE(test, w->waiter_running);
	KUNIT_EXPECT_GE(test, w->sleeps, 1u);
}

/*
 * The poll's exits: a group at zero ends it, before anything else is
 * looked at; a deadline is set MAGPIE_HELP_POLL_NS ahead when none is, and
 * kept. (That a passed deadline ends a poll is the case above's business:
 * a direct check here could not tell, as another thread runnable on this
 * CPU ends a poll without a deadline, too.)
 */
static void pool_help_poll_exits(struct kunit *test)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;
	u64 end = 0, t0, t1, first;

	KUNIT_EXPECT_TRUE(test, magpie_m_help_poll(&magpie_pool, &wg, &end));
	magpie_wg_add(&wg, 1);
	end = 0;
	t0 = local_clock();
	magpie_m_help_poll(&magpie_pool, &wg, &end);
	t1 = local_clock();
	KUNIT_EXPECT_GE(test, end, t0 + MAGPIE_HELP_POLL_NS);
	KUNIT_EXPECT_LE(test, end, t1 + MAGPIE_HELP_POLL_NS);
	first = end;
	magpie_m_help_poll(&magpie_pool, &wg, &end);
	KUNIT_EXPECT_EQ(test, end, first);
	magpie_wg_done(&wg);
}

/*
 * An M bound to a CPU that went offline does not go on the idle list,
 * where a waker could count it (and the pool believe an M idle that
 * cannot run its P's tasks); it is told to look again, and then waits
 * for its CPU. A waiting worker that lost its CPU used to park there
 * (magpie_m_help()); any M that parks just after the offline callback
 * took it off the list, too. A stand-in M bound to the offline CPU 1,
 * run by this thread, asks to park.
 */
static void pool_idle_refuses_offline_m(struct kunit *test)
{
	struct magpie_m *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	bool sleep;

	KUNIT_ASSERT_NOT_NULL(test, m);
	if (num_online_cpus() != 2 || !cpu_online(1))
		kunit_skip(test, "needs exactly CPUs 0 and 1 online");
	m->task = current;
	m->pool = &magpie_pool;
	m->cpu = 1;
	INIT_LIST_HEAD(&m->idle_node);
	KUNIT_ASSERT_EQ(test, remove_cpu(1), 0);
	sleep = magpie_m_idle_add(&magpie_pool, m, false);
	__set_current_state(TASK_RUNNING);
	KUNIT_EXPECT_FALSE(test, sleep);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(m->idle));
	magpie_m_idle_del(&magpie_pool, m);
	KUNIT_EXPECT_EQ(test, add_cpu(1), 0);
}

/* Tasks that count their runs, for groups that pass through zero. */
static void mt_zero_count(void *arg)
{
	atomic_inc(arg);
}

#define MT_ZERO_ROUNDS	100
#define MT_ZERO_TASKS	4

/* Waits up to a second for @wg's counter to read zero; whether it did. */
static bool mt_zero_seen(struct magpie_wg *wg)
{
	unsigned long end = jiffies + HZ;

	/* Acquire: the task's count is read below, after the zero. */
	while (atomic_read_acquire(&wg->count)) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(20, 50);
	}
	return true;
}

struct mt_zero {
	atomic_t ran[MT_ZERO_TASKS];
	unsigned int wrong;	/* tasks that did not run once by the wait's end */
	bool stuck;		/* a counter did not come back to zero */
	bool nomem;
};

/*
 * Rounds of one group each, which its counter takes through zero while
 * its spawner is still adding: a task is spawned and the spawner sees the
 * counter at zero (from process context, by polling; in a task, by a
 * first wait), then spawns the rest and waits. The wait returns only
 * once every task ran, and the group is freed at once: a task that
 * touched it after its final decrement would be a use after free, which
 * KASAN reports and KUnit counts as a failure.
 */
static void mt_zero_rounds(struct mt_zero *z, bool in_task)
{
	unsigned int round, i;

	for (round = 0; round < MT_ZERO_ROUNDS; round++) {
		struct magpie_wg *wg = kmalloc(sizeof(*wg), GFP_KERNEL);

		if (!wg) {
			z->nomem = true;
			return;
		}
		magpie_wg_init(wg);
		for (i = 0; i < MT_ZERO_TASKS; i++)
			atomic_set(&z->ran[i], 0);
		if (magpie_go(mt_zero_count, &z->ran[0], wg, GFP_KERNEL))
			z->nomem = true;
		if (in_task)
			magpie_wg_wait(wg);
		else if (!mt_zero_seen(wg))
			z->stuck = true;
		z->wrong += atomic_read(&z->ran[0]) != 1;
		for (i = 1; i < MT_ZERO_TASKS; i++)
			if (magpie_go(mt_zero_count, &z->ran[i], wg, GFP_KERNEL))
				z->nomem = true;
		magpie_wg_wait(wg);
		kfree(wg);
		for (i = 0; i < MT_ZERO_TASKS; i++)
			z->wrong += atomic_read(&z->ran[i]) != 1;
	}
}

static void mt_zero_task(void *arg)
{
	mt_zero_rounds(arg, true);
}

static void pool_wg_passes_through_zero(struct kunit *test)
{
	struct mt_zero *z = kunit_kzalloc(test, sizeof(*z), GFP_KERNEL);
	struct magpie_wg outer = MAGPIE_WG_INIT;

	KUNIT_ASSERT_NOT_NULL(test, z);
	mt_zero_rounds(z, false);
	KUNIT_EXPECT_FALSE(test, z->stuck);
	KUNIT_EXPECT_FALSE(test, z->nomem);
	KUNIT_EXPECT_EQ(test, z->wrong, 0u);

	/* The same from inside a task: its waits help instead of sleeping. */
	memset(z, 0, sizeof(*z));
	KUNIT_ASSERT_EQ(test, magpie_go(mt_zero_task, z, &outer, GFP_KERNEL), 0);
	magpie_wg_wait(&outer);
	KUNIT_EXPECT_FALSE(test, z->nomem);
	KUNIT_EXPECT_EQ(test, z->wrong, 0u);
}

static struct kunit_case magpie_pool_wait_cases[] = {
	KUNIT_CASE(pool_owed_decrements),
	KUNIT_CASE_SLOW(pool_owed_decrement_paid_before_other_work),
	KUNIT_CASE(pool_help_polls_then_sleeps),
	KUNIT_CASE(pool_help_poll_exits),
	KUNIT_CASE(pool_idle_refuses_offline_m),
	KUNIT_CASE(pool_wg_passes_through_zero),
	{}
};

struct kunit_suite magpie_pool_wait_suite = {
	.name = "magpie_pool_wait",
	.test_cases = magpie_pool_wait_cases,
};
