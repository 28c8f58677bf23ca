// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_pool: the worker pool in the kernel, on the guest's
 * two CPUs: every task runs exactly once under concurrent submission and
 * stealing, runnext and the fairness tick, fork-join with
 * help-while-waiting on two CPUs and on one, cancel and flush, CPU
 * hotplug (the offline callbacks alone, and a real offline with tasks
 * queued), and submission from softirq and hardirq context.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>

#include "../compat.h"
#include "../internal.h"
#include "../magpie.h"
#include "../pool.h"
#include "suites.h"

/* Tasks that count their runs in a shared array. */
struct mt_count {
	atomic_t *runs;
	unsigned int nr;
	struct magpie_wg wg;
};

struct mt_count_arg {
	struct mt_count *c;
	unsigned int i;
};

static void mt_count_fn(void *arg)
{
	struct mt_count_arg *a = arg;

	atomic_inc(&a->c->runs[a->i]);
}

static struct mt_count_arg *mt_count_init(struct kunit *test, struct mt_count *c,
					  unsigned int nr)
{
	struct mt_count_arg *args = kunit_kcalloc(test, nr, sizeof(*args), GFP_KERNEL);
	unsigned int i;

	c->runs = kunit_kcalloc(test, nr, sizeof(*c->runs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	KUNIT_ASSERT_NOT_NULL(test, c->runs);
	c->nr = nr;
	magpie_wg_init(&c->wg);
	for (i = 0; i < nr; i++) {
		args[i].c = c;
		args[i].i = i;
	}
	return args;
}

/* How many of the counted tasks did not run exactly once. */
static unsigned int mt_count_wrong(struct mt_count *c)
{
	unsigned int i, wrong = 0;

	for (i = 0; i < c->nr; i++)
		wrong += atomic_read(&c->runs[i]) != 1;
	return wrong;
}

static u64 mt_pool_sum(size_t offset)
{
	unsigned int cpu;
	u64 sum = 0;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)&per_cpu_ptr(magpie_pool.ps, cpu)->stats + offset);
	return sum;
}

#define MT_POOL_STAT(field)	mt_pool_sum(offsetof(struct magpie_p_stats, field))

/* Arguments are checked; on error nothing runs and the group is untouched. */
static void pool_rejects_bad_arguments(struct kunit *test)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;

	KUNIT_EXPECT_EQ(test, magpie_go(NULL, NULL, &wg, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&wg.count), 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(magpie_go_cancelable(NULL, NULL, &wg, GFP_KERNEL)),
			-EINVAL);
	magpie_task_put(NULL);
	magpie_task_put(ERR_PTR(-EINVAL));
	magpie_wg_wait(&wg);	/* zero: returns at once */

	/* While the module unloads the pool takes nothing new. */
	WRITE_ONCE(magpie_pool.stopping, true);
	KUNIT_EXPECT_EQ(test, magpie_go(mt_count_fn, NULL, &wg, GFP_KERNEL), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, PTR_ERR(magpie_go_cancelable(mt_count_fn, NULL, &wg, GFP_KERNEL)),
			-ESHUTDOWN);
	WRITE_ONCE(magpie_pool.stopping, false);
	KUNIT_EXPECT_EQ(test, atomic_read(&wg.count), 0);
}

static void mt_noop(void *arg)
{
}

/*
 * With every page allocation of this thread failing (fail_page_alloc,
 * armed by the guest for threads that ask), spawning runs out of task
 * descriptors: -ENOMEM, the group untouched, and everything spawned before
 * still runs and can be released.
 */
static void pool_spawn_fails_cleanly(struct kunit *test)
{
	const unsigned int max = 200000;
	struct magpie_wg wg = MAGPIE_WG_INIT, untouched = MAGPIE_WG_INIT;
	struct magpie_task **tasks, *t = NULL;
	unsigned int n = 0, i;
	int err = 0;

	if (!IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC))
		kunit_skip(test, "needs FAIL_PAGE_ALLOC");
	tasks = vmalloc(array_size(max, sizeof(*tasks)));
	KUNIT_ASSERT_NOT_NULL(test, tasks);
	magpie_reap_all(true);	/* few free descriptors left to hand out */
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = true;
#endif
	/* Handles keep every descriptor allocated, run or not. */
	while (n < max) {
		t = magpie_go_cancelable(mt_noop, NULL, &wg, GFP_KERNEL);
		if (IS_ERR(t))
			break;
		tasks[n++] = t;
	}
	if (IS_ERR(t))
		err = magpie_go(mt_noop, NULL, &untouched, GFP_KERNEL);
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = false;
#endif
	/* Expectations only now: reporting one allocates. */
	KUNIT_EXPECT_TRUE(test, IS_ERR(t));
	KUNIT_EXPECT_EQ(test, PTR_ERR(t), -ENOMEM);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, atomic_read(&untouched.count), 0);
	magpie_wg_wait(&wg);
	for (i = 0; i < n; i++)
		magpie_task_put(tasks[i]);
	vfree(tasks);
	kunit_info(test, "%u spawns before the first -ENOMEM", n);
	/* And the pool works again. */
	KUNIT_EXPECT_EQ(test, magpie_go(mt_noop, NULL, &wg, GFP_KERNEL), 0);
	magpie_wg_wait(&wg);
}

/* Many tasks from one thread: each runs once, and the group sees them all. */
static void pool_runs_every_task_once(struct kunit *test)
{
	const unsigned int nr = 20000;
	struct mt_count c;
	struct mt_count_arg *args = mt_count_init(test, &c, nr);
	unsigned int i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, magpie_go(mt_count_fn, &args[i], &c.wg, GFP_KERNEL), 0);
	magpie_wg_wait(&c.wg);
	KUNIT_EXPECT_EQ(test, mt_count_wrong(&c), 0u);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.wg.count), 0);
}

struct mt_submitter {
	struct mt_count *c;
	struct mt_count_arg *args;
	unsigned int first, nr;
	bool slow;		/* mt_count_slow_fn() tasks only */
	struct completion done;
};

/* Every task spawns a child (so workers submit too), children count. */
static void mt_parent_fn(void *arg)
{
	struct mt_count_arg *a = arg;

	if (magpie_go(mt_count_fn, a, &a->c->wg, GFP_KERNEL))
		atomic_add(1000, &a->c->runs[a->i]);	/* shows as wrong */
}

/* A counted task that keeps its CPU busy (not asleep) for 100 us. */
static void mt_count_slow_fn(void *arg)
{
	u64 end = local_clock() + 100 * NSEC_PER_USEC;

	while (local_clock() < end)
		cpu_relax();
	mt_count_fn(arg);
}

static int mt_submitter_thread(void *arg)
{
	struct mt_submitter *s = arg;
	unsigned int i;

	for (i = s->first; i < s->first + s->nr; i++) {
		void (*fn)(void *arg) = s->slow ? mt_count_slow_fn :
					i & 1 ? mt_parent_fn : mt_count_fn;

		if (magpie_go(fn, &s->args[i], &s->c->wg, GFP_KERNEL))
			atomic_add(1000, &s->c->runs[i]);
		if (!(i % 512))
			cond_resched();
	}
	complete(&s->done);
	return 0;
}

/* Both CPUs submit at once while workers spawn and steal: no loss, no double. */
static void pool_concurrent_submit_and_steal(struct kunit *test)
{
	const unsigned int per_cpu = 30000;
	struct mt_submitter s[2];
	struct mt_count c;
	struct mt_count_arg *args;
	u64 steals = MT_POOL_STAT(steals);
	unsigned int cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	args = mt_count_init(test, &c, 2 * per_cpu);
	for (cpu = 0; cpu < 2; cpu++) {
		struct task_struct *t;

		s[cpu].c = &c;
		s[cpu].args = args;
		s[cpu].first = cpu * per_cpu;
		s[cpu].nr = per_cpu;
		s[cpu].slow = false;
		init_completion(&s[cpu].done);
		t = kthread_create_on_cpu(mt_submitter_thread, &s[cpu], cpu, "mt_submit/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		wake_up_process(t);
	}
	for (cpu = 0; cpu < 2; cpu++)
		wait_for_completion(&s[cpu].done);
	magpie_wg_wait(&c.wg);
	KUNIT_EXPECT_EQ(test, mt_count_wrong(&c), 0u);
	/* Thousands in the debug guest; none would mean no worker stole. */
	steals = MT_POOL_STAT(steals) - steals;
	KUNIT_EXPECT_GT(test, steals, 0ULL);
	kunit_info(test, "steals during the case: %llu", steals);
}

/* Fork-join: fib(n) as tasks, each waiting for its two children. */
struct mt_fib {
	unsigned int n;
	bool fork;		/* children by magpie_fork(), not magpie_go() */
	unsigned long result;
};

static void mt_fib_fn(void *arg)
{
	struct mt_fib *f = arg, a, b;
	struct magpie_wg wg = MAGPIE_WG_INIT;
	int (*spawn)(void (*fn)(void *arg), void *arg, struct magpie_wg *wg, gfp_t gfp) =
		f->fork ? magpie_fork : magpie_go;

	if (f->n < 2) {
		f->result = f->n;
		return;
	}
	a.n = f->n - 1;
	b.n = f->n - 2;
	a.fork = f->fork;
	b.fork = f->fork;
	/* GFP_KERNEL cannot fail here short of OOM; fall back to a call. */
	if (spawn(mt_fib_fn, &a, &wg, GFP_KERNEL))
		mt_fib_fn(&a);
	if (spawn(mt_fib_fn, &b, &wg, GFP_KERNEL))
		mt_fib_fn(&b);
	magpie_wg_wait(&wg);
	f->result = a.result + b.result;
}

static unsigned long mt_fib_plain(unsigned int n)
{
	return n < 2 ? n : mt_fib_plain(n - 1) + mt_fib_plain(n - 2);
}

/**
 * mt_fib_check_as() - fork-join fib(@n) on the pool, checked
 * @test: the test
 * @n: the argument
 * @fork: spawn the children with magpie_fork() rather than magpie_go()
 */
void mt_fib_check_as(struct kunit *test, unsigned int n, bool fork)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;
	struct mt_fib f = { .n = n, .fork = fork };

	KUNIT_ASSERT_EQ(test, magpie_go(mt_fib_fn, &f, &wg, GFP_KERNEL), 0);
	magpie_wg_wait(&wg);
	KUNIT_EXPECT_EQ(test, f.result, mt_fib_plain(n));
}

static void mt_fib_check(struct kunit *test, unsigned int n)
{
	mt_fib_check_as(test, n, false);
}

/*
 * Deep fork-join recursion with two fixed workers: waiters help, no
 * deadlock. Spares that sysmon wakes for a long-running task could finish
 * the tree as well, so the case also checks that waiters ran tasks.
 */
static void pool_fork_join_fib(struct kunit *test)
{
	u64 helped = MT_POOL_STAT(helped);

	mt_fib_check(test, 18);
	KUNIT_EXPECT_GT(test, MT_POOL_STAT(helped), helped);
}

/* A self-respawning chain lives in runnext; a global-queue task still runs. */
struct mt_chain {
	atomic_t hops;
	bool stop;
	struct magpie_wg wg;
};

static void mt_chain_fn(void *arg)
{
	struct mt_chain *ch = arg;

	if (READ_ONCE(ch->stop) || atomic_inc_return(&ch->hops) > 2000000)
		return;
	if (magpie_go(mt_chain_fn, ch, &ch->wg, GFP_KERNEL))
		WRITE_ONCE(ch->stop, true);
}

static int mt_chain_start(void *arg)
{
	magpie_go(mt_chain_fn, arg, &((struct mt_chain *)arg)->wg, GFP_KERNEL);
	return 0;
}

struct mt_irq_submit {
	struct hrtimer timer;
	struct magpie_wg wg;
	atomic_t ran;
	bool in_hardirq;
	int err;
};

static void mt_irq_fn(void *arg)
{
	struct mt_irq_submit *s = arg;

	atomic_inc(&s->ran);
}

static enum hrtimer_restart mt_hardirq_submit(struct hrtimer *timer)
{
	struct mt_irq_submit *s = container_of(timer, struct mt_irq_submit, timer);

	s->in_hardirq = in_hardirq();
	s->err = magpie_go(mt_irq_fn, s, &s->wg, GFP_ATOMIC);
	return HRTIMER_NORESTART;
}

static void pool_fairness_tick(struct kunit *test)
{
	struct mt_chain ch[2] = {};
	struct mt_irq_submit s = {};
	u64 runnext = MT_POOL_STAT(from_runnext);
	unsigned int cpu, hops;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	/* One chain per CPU, so both workers are busy with runnext. */
	for (cpu = 0; cpu < 2; cpu++) {
		struct task_struct *t;

		magpie_wg_init(&ch[cpu].wg);
		t = kthread_create_on_cpu(mt_chain_start, &ch[cpu], cpu, "mt_chain/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		wake_up_process(t);
	}
	while (atomic_read(&ch[0].hops) < 1000 || atomic_read(&ch[1].hops) < 1000)
		usleep_range(1000, 2000);
	/*
	 * The hardirq submission goes to the global queue. Not a _HARD timer:
	 * lockdep would then (rightly, for PREEMPT_RT) object to the
	 * allocator's spinlocks; on other kernels this one fires in hardirq
	 * context too, which the case checks.
	 */
	magpie_wg_init(&s.wg);
	magpie_hrtimer_setup(&s.timer, mt_hardirq_submit, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hrtimer_start(&s.timer, us_to_ktime(100), HRTIMER_MODE_REL);
	while (!atomic_read(&s.ran) && atomic_read(&ch[0].hops) < 2000000 &&
	       atomic_read(&ch[1].hops) < 2000000)
		usleep_range(1000, 2000);
	hops = atomic_read(&ch[0].hops) + atomic_read(&ch[1].hops);
	WRITE_ONCE(ch[0].stop, true);
	WRITE_ONCE(ch[1].stop, true);
	hrtimer_cancel(&s.timer);
	magpie_wg_wait(&ch[0].wg);
	magpie_wg_wait(&ch[1].wg);
	magpie_wg_wait(&s.wg);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_TRUE(test, s.in_hardirq);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.ran), 1);
	KUNIT_EXPECT_LT(test, atomic_read(&ch[0].hops), 2000000);
	KUNIT_EXPECT_LT(test, atomic_read(&ch[1].hops), 2000000);
	KUNIT_EXPECT_GT(test, MT_POOL_STAT(from_runnext) - runnext, 1000ULL);
	kunit_info(test, "global task ran after %u chain hops", hops);
}

/* Softirq: a timer_list callback submits with GFP_ATOMIC. */
struct mt_timer_submit {
	struct timer_list timer;
	struct magpie_wg wg;
	atomic_t ran;
	int err;
};

static void mt_timer_ran(void *arg)
{
	atomic_inc(&((struct mt_timer_submit *)arg)->ran);
}

static void mt_softirq_submit(struct timer_list *t)
{
	struct mt_timer_submit *s = container_of(t, struct mt_timer_submit, timer);

	s->err = magpie_go(mt_timer_ran, s, &s->wg, GFP_ATOMIC);
}

static void pool_submit_from_softirq(struct kunit *test)
{
	struct mt_timer_submit s = {};
	u64 global = MT_POOL_STAT(from_global);

	magpie_wg_init(&s.wg);
	timer_setup_on_stack(&s.timer, mt_softirq_submit, 0);
	mod_timer(&s.timer, jiffies + 1);
	while (timer_pending(&s.timer) || !atomic_read(&s.ran))
		usleep_range(1000, 2000);
	timer_delete_sync(&s.timer);
	timer_destroy_on_stack(&s.timer);
	magpie_wg_wait(&s.wg);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.ran), 1);
	KUNIT_EXPECT_GE(test, MT_POOL_STAT(from_global) - global, 1ULL);
}

/* Tasks that hold a worker busy (on CPU, not sleeping) until released. */
struct mt_hog {
	atomic_t started;
	bool release;
};

static void mt_hog_fn(void *arg)
{
	struct mt_hog *h = arg;
	u64 end = local_clock() + 2 * NSEC_PER_SEC;

	atomic_inc(&h->started);
	while (!READ_ONCE(h->release) && local_clock() < end)
		cpu_relax();
}

static void mt_hog_all(struct kunit *test, struct mt_hog *h, struct magpie_wg *wg,
		       unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, magpie_go(mt_hog_fn, h, wg, GFP_KERNEL), 0);
	while (atomic_read(&h->started) < nr)
		cpu_relax();
}

/* A queued task can be cancelled; a started or finished one cannot. */
static void pool_cancel_and_flush(struct kunit *test)
{
	const unsigned int nr = 64;
	struct magpie_task **tasks = kunit_kcalloc(test, nr, sizeof(*tasks), GFP_KERNEL);
	struct magpie_wg hog_wg = MAGPIE_WG_INIT;
	struct mt_hog hog = {};
	struct mt_count c;
	struct mt_count_arg *args = mt_count_init(test, &c, nr);
	unsigned int was_cancelled[32], i, cancelled = 0;

	KUNIT_ASSERT_NOT_NULL(test, tasks);
	/* Keep every worker busy so the tasks below stay queued. */
	mt_hog_all(test, &hog, &hog_wg, num_online_cpus());
	for (i = 0; i < nr; i++) {
		tasks[i] = magpie_go_cancelable(mt_count_fn, &args[i], &c.wg, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
	}
	/*
	 * Sysmon gives the queued tasks to spare workers once the hogs have
	 * run for 10 ms, so a cancel may lose the race; what must hold is
	 * that a cancelled task never runs and every other one runs once.
	 */
	for (i = 0; i < nr; i += 2)
		if (magpie_task_cancel(tasks[i]))
			was_cancelled[cancelled++] = i;
	KUNIT_EXPECT_GT(test, cancelled, 0u);
	WRITE_ONCE(hog.release, true);
	magpie_pool_flush();
	/* After the flush every uncancelled task has run, and only those. */
	for (i = 0; i < cancelled; i++)
		atomic_add(1, &c.runs[was_cancelled[i]]);
	KUNIT_EXPECT_EQ(test, mt_count_wrong(&c), 0u);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_FALSE(test, magpie_task_cancel(tasks[i]));
		magpie_task_put(tasks[i]);
	}
	kunit_info(test, "%u of %u cancels won the race", cancelled, nr / 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.wg.count), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&hog_wg.count), 0);
	KUNIT_EXPECT_EQ(test, magpie_pool_in_flight(&magpie_pool, 0) +
			magpie_pool_in_flight(&magpie_pool, 1), 0L);
}

/* A flush waits for tasks that sleep. */
static void mt_slow_fn(void *arg)
{
	usleep_range(2000, 3000);
	atomic_inc(arg);
}

static void pool_flush_waits(struct kunit *test)
{
	atomic_t done = ATOMIC_INIT(0);
	unsigned int i;

	for (i = 0; i < 50; i++)
		KUNIT_ASSERT_EQ(test, magpie_go(mt_slow_fn, &done, NULL, GFP_KERNEL), 0);
	magpie_pool_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&done), 50);
}

/*
 * CPU hotplug. The dead-CPU callback moves whatever a P still holds to the
 * global queue; it runs here on a live P, right after a burst queued on
 * it and racing with its worker, so every task must still run once. Then
 * CPU 1 really goes offline: fork-join works on the one CPU left; it comes
 * back and its worker takes tasks again.
 */
struct mt_queue_then_drain {
	struct mt_count_arg *args;
	unsigned int nr;
	int err;
	unsigned int queued;	/* on the ring just before the drain */
	unsigned int left;	/* on the P just after it */
	struct completion done;
};

static int mt_queue_then_drain_fn(void *arg)
{
	struct mt_queue_then_drain *q = arg;
	struct magpie_p *p;
	unsigned int i;

	/* Preemption off: this CPU's worker cannot empty the P first. */
	preempt_disable();
	p = this_cpu_ptr(magpie_pool.ps);
	for (i = 0; i < q->nr; i++)
		q->err |= magpie_go(mt_count_fn, &q->args[i], &q->args[0].c->wg, GFP_ATOMIC);
	q->queued = magpie_runq_len(&p->runq);
	magpie_pool_cpu_dead_for_test(smp_processor_id());
	q->left = magpie_runq_len(&p->runq) + !!READ_ONCE(p->runq.runnext);
	preempt_enable();
	complete(&q->done);
	return 0;
}

static void mt_queue_on_cpu1(struct kunit *test, struct mt_count *c, unsigned int nr)
{
	struct mt_queue_then_drain q = { .nr = nr };
	struct task_struct *t;

	q.args = mt_count_init(test, c, nr);
	init_completion(&q.done);
	t = kthread_run_on_cpu(mt_queue_then_drain_fn, &q, 1, "mt_hotplug/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&q.done);
	KUNIT_EXPECT_EQ(test, q.err, 0);
	magpie_wg_wait(&c->wg);
	KUNIT_EXPECT_EQ(test, mt_count_wrong(c), 0u);
	/* Other CPUs' workers may steal some; none is left on the P. */
	KUNIT_EXPECT_EQ(test, q.left, 0u);
	kunit_info(test, "%u of %u tasks on the ring when it was drained", q.queued, nr);
}

static void pool_cpu_hotplug(struct kunit *test)
{
	struct magpie_p *p1;
	struct mt_count c;
	u64 runs1, helped;

	if (num_online_cpus() < 2 || !cpu_online(1))
		kunit_skip(test, "needs CPU 1 online");
	p1 = per_cpu_ptr(magpie_pool.ps, 1);
	mt_queue_on_cpu1(test, &c, 500);

	KUNIT_ASSERT_EQ(test, remove_cpu(1), 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(p1->online));
	KUNIT_EXPECT_TRUE(test, magpie_runq_empty(&p1->runq));
	helped = MT_POOL_STAT(helped);
	mt_fib_check(test, 14);		/* one CPU */
	KUNIT_EXPECT_GT(test, MT_POOL_STAT(helped), helped);

	KUNIT_ASSERT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(p1->online));
	runs1 = READ_ONCE(p1->stats.runs);
	mt_queue_on_cpu1(test, &c, 500);
	mt_fib_check(test, 14);
	KUNIT_EXPECT_GT(test, READ_ONCE(p1->stats.runs), runs1);
}

/*
 * CPU 1 goes offline for real, through remove_cpu(), while its P's ring
 * holds tasks: a thread there has just queued 2000 tasks of 100 us each
 * (the ring takes 256, the rest overflows to the global queue). The
 * offline callbacks move what is left to the global queue: every task
 * runs once, none stays on the P. Whether the ring still held tasks when
 * the callbacks ran is up to timing, which the pool's moved_offline
 * count tells; the case tries up to three times to see it rise.
 */
static void pool_cpu_offline_with_work_queued(struct kunit *test)
{
	struct magpie_p *p1;
	unsigned int attempt;
	long moved = 0;

	if (num_online_cpus() < 2 || !cpu_online(1))
		kunit_skip(test, "needs CPU 1 online");
	p1 = per_cpu_ptr(magpie_pool.ps, 1);
	for (attempt = 0; attempt < 3 && !moved; attempt++) {
		long before = atomic_long_read(&magpie_pool.moved_offline);
		struct mt_count c;
		struct mt_submitter s = { .c = &c, .nr = 2000, .slow = true };
		struct task_struct *t;

		s.args = mt_count_init(test, &c, s.nr);
		init_completion(&s.done);
		t = kthread_run_on_cpu(mt_submitter_thread, &s, 1, "mt_offline/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		wait_for_completion(&s.done);
		KUNIT_ASSERT_EQ(test, remove_cpu(1), 0);
		moved = atomic_long_read(&magpie_pool.moved_offline) - before;
		KUNIT_EXPECT_TRUE(test, magpie_runq_empty(&p1->runq));
		magpie_wg_wait(&c.wg);
		/* A failed submission counts 1000 runs: wrong as well. */
		KUNIT_EXPECT_EQ(test, mt_count_wrong(&c), 0u);
		KUNIT_ASSERT_EQ(test, add_cpu(1), 0);
		kunit_info(test, "attempt %u: %ld tasks moved off CPU 1's P", attempt + 1, moved);
	}
	KUNIT_EXPECT_GT(test, moved, 0L);
}

static struct kunit_case magpie_pool_cases[] = {
	KUNIT_CASE(pool_rejects_bad_arguments),
	KUNIT_CASE(pool_spawn_fails_cleanly),
	KUNIT_CASE(pool_runs_every_task_once),
	KUNIT_CASE_SLOW(pool_concurrent_submit_and_steal),
	KUNIT_CASE(pool_fork_join_fib),
	KUNIT_CASE_SLOW(pool_fairness_tick),
	KUNIT_CASE(pool_submit_from_softirq),
	KUNIT_CASE(pool_cancel_and_flush),
	KUNIT_CASE(pool_flush_waits),
	KUNIT_CASE_SLOW(pool_cpu_hotplug),
	KUNIT_CASE_SLOW(pool_cpu_offline_with_work_queued),
	{}
};

struct kunit_suite magpie_pool_suite = {
	.name = "magpie_pool",
	.test_cases = magpie_pool_cases,
};
