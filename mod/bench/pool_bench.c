// SPDX-License-Identifier: GPL-2.0
/*
 * magpie_pool_bench.ko: magpie's worker pool against the kernel's
 * workqueues, side by side in one boot. Loading it runs each benchmark
 * and prints one line per result:
 *
 *   bench <name> magpie/<peer> <ratio>  (<context>)
 *
 * Ratios named _tput are throughputs (above 1 favours magpie); the others
 * are times (below 1 favours magpie). Each figure is the best of
 * BENCH_RUNS runs. The peers: the unbound system workqueue
 * (system_unbound_wq, system_dfl_wq on 7.x) and the per-CPU one
 * (system_wq, system_percpu_wq on 7.x).
 *
 * Loaded, the module also registers its suite with magpie, so that
 * MAGPIE_IOC_RUN_CHECKS (tools/magpie-check) runs it again and gets the
 * results as records; run_on_load=0 loads it for that alone.
 */
#define pr_fmt(fmt) "magpie_bench: " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "bench_module.h"
#include "bench_prof.h"
#include "../compat.h"
#include "../magpie.h"

#define BENCH_TASKS	100000

/* With profile=1: the pool's counters around a profiled run, too. */
static struct magpie_pool_totals bench_prof_totals;

static bool bench_pool_prof_start(void)
{
	bool prof = bench_prof_start();

	if (prof)
		magpie_pool_get_totals(&bench_prof_totals);
	return prof;
}

static void bench_pool_prof_stop(bool prof, const char *label)
{
	struct magpie_pool_totals t, *b = &bench_prof_totals;

	if (!prof)
		return;
	magpie_pool_get_totals(&t);
	bench_prof_stop(prof, label);
	pr_info("profile %s pool: %llu runs, %llu steals, %llu global batches, %llu overflows, %llu parks, %llu idle wakeups, %llu helped, %llu help sleeps, %llu handoffs\n",
		label, t.runs - b->runs, t.steals - b->steals, t.from_global - b->from_global,
		t.overflows - b->overflows, t.parks - b->parks,
		t.idle_wakeups - b->idle_wakeups, t.helped - b->helped,
		t.help_sleeps - b->help_sleeps,
		t.handoffs - b->handoffs);
}

/* ---- no-op tasks ---- */

struct bench_noop {
	struct work_struct *works;
	atomic_t left;
	struct completion done;
	struct magpie_wg wg;
	unsigned int nr;
};

static struct bench_noop noop;

static void bench_noop_task(void *arg)
{
}

static void bench_noop_work(struct work_struct *w)
{
	if (atomic_dec_and_test(&noop.left))
		complete(&noop.done);
}

struct bench_submitter {
	struct workqueue_struct *wq;	/* NULL: magpie */
	unsigned int first, nr;
	int err;
	struct completion started, go, finished;
};

static int bench_submit_thread(void *arg)
{
	struct bench_submitter *s = arg;
	unsigned int i;

	complete(&s->started);
	wait_for_completion(&s->go);
	for (i = s->first; i < s->first + s->nr; i++) {
		if (s->wq)
			queue_work(s->wq, &noop.works[i]);
		else if (magpie_go(bench_noop_task, NULL, &noop.wg, GFP_KERNEL))
			s->err = -ENOMEM;
	}
	complete(&s->finished);
	return 0;
}

/* @nr_cpus threads submit noop.nr tasks in all; returns ns until all ran. */
static u64 bench_noop_run(struct workqueue_struct *wq, unsigned int nr_cpus)
{
	struct bench_submitter s[2];
	unsigned int cpu, i;
	u64 start;

	atomic_set(&noop.left, noop.nr);
	init_completion(&noop.done);
	magpie_wg_init(&noop.wg);
	for (i = 0; i < noop.nr; i++)
		INIT_WORK(&noop.works[i], bench_noop_work);
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct task_struct *t;

		s[cpu].wq = wq;
		s[cpu].first = cpu * (noop.nr / nr_cpus);
		s[cpu].nr = noop.nr / nr_cpus;
		s[cpu].err = 0;
		init_completion(&s[cpu].started);
		init_completion(&s[cpu].go);
		init_completion(&s[cpu].finished);
		t = kthread_run_on_cpu(bench_submit_thread, &s[cpu], cpu, "mp_bench/%u");
		if (IS_ERR(t))
			return U64_MAX;
		wait_for_completion(&s[cpu].started);
	}
	start = ktime_get_ns();
	for (cpu = 0; cpu < nr_cpus; cpu++)
		complete(&s[cpu].go);
	for (cpu = 0; cpu < nr_cpus; cpu++)
		wait_for_completion(&s[cpu].finished);
	if (wq)
		wait_for_completion(&noop.done);
	else
		magpie_wg_wait(&noop.wg);
	return ktime_get_ns() - start;
}

static void bench_noop_all(void)
{
	unsigned int nr_cpus;

	noop.nr = BENCH_TASKS * bench_scale;
	noop.works = vmalloc(array_size(noop.nr, sizeof(*noop.works)));
	if (!noop.works)
		return;
	for (nr_cpus = 1; nr_cpus <= min(2U, num_online_cpus()); nr_cpus++) {
		bool prof = bench_pool_prof_start();
		u64 mp = BEST(bench_noop_run(NULL, nr_cpus));
		u64 unbound, percpu;
		char name[32];

		snprintf(name, sizeof(name), "noop_%ucpu_tput", nr_cpus);
		bench_pool_prof_stop(prof, name);
		unbound = BEST(bench_noop_run(magpie_unbound_wq(), nr_cpus));
		percpu = BEST(bench_noop_run(magpie_percpu_wq(), nr_cpus));
		bench_ratio(name, "unbound_wq", mp, unbound, noop.nr, true);
		bench_ratio(name, "percpu_wq", mp, percpu, noop.nr, true);
	}
	vfree(noop.works);
}

/* ---- fork-join fib ---- */

/*
 * A node of the tree as tasks. Kept to what a task needs: a kernel with
 * INIT_STACK_ALL_ZERO (Debian's, and ours) zeroes locals, so a
 * work_struct here would cost every node two string stores that only the
 * workqueue peer needs.
 */
struct bench_fib {
	unsigned int n;
	bool fork;	/* children by magpie_fork(), not magpie_go() */
	unsigned long result;
};

/* A node of the tree as works. */
struct bench_fib_w {
	unsigned int n;
	unsigned long result;
	struct work_struct work;
};

static noinline unsigned long bench_fib_plain(unsigned int n)
{
	return n < 2 ? n : bench_fib_plain(n - 1) + bench_fib_plain(n - 2);
}

static void bench_fib_task(void *arg);

/* A direct call either way, as a user's code would make it. */
static __always_inline int bench_fib_spawn(struct bench_fib *child, struct magpie_wg *wg)
{
	if (child->fork)
		return magpie_fork(bench_fib_task, child, wg, GFP_KERNEL);
	return magpie_go(bench_fib_task, child, wg, GFP_KERNEL);
}

static void bench_fib_task(void *arg)
{
	struct bench_fib *f = arg, a, b;
	struct magpie_wg wg = MAGPIE_WG_INIT;

	if (f->n < 2) {
		f->result = f->n;
		return;
	}
	a.n = f->n - 1;
	b.n = f->n - 2;
	a.fork = f->fork;
	b.fork = f->fork;
	if (bench_fib_spawn(&a, &wg))
		bench_fib_task(&a);
	if (bench_fib_spawn(&b, &wg))
		bench_fib_task(&b);
	magpie_wg_wait(&wg);
	f->result = a.result + b.result;
}

/* Deepest fib tree the workqueue peer builds. */
#define BENCH_FIB_WQ_MAX_N	16

static void bench_fib_work(struct work_struct *w);

/*
 * Every work of the fib tree flushes its two children from inside a work.
 * Initialised at one site they would share one lockdep class, which
 * lockdep takes for recursive locking; a class per n says what the
 * nesting is: a work of n waits only for works of n - 1 and n - 2.
 */
#ifdef CONFIG_LOCKDEP
static struct lock_class_key bench_fib_keys[BENCH_FIB_WQ_MAX_N + 1];
#endif

static void bench_fib_init_work(struct bench_fib_w *f)
{
	INIT_WORK_ONSTACK(&f->work, bench_fib_work);
#ifdef CONFIG_LOCKDEP
	lockdep_init_map(&f->work.lockdep_map, "bench_fib_work", &bench_fib_keys[f->n], 0);
#endif
}

static void bench_fib_work(struct work_struct *w)
{
	struct bench_fib_w *f = container_of(w, struct bench_fib_w, work), a, b;

	if (f->n < 2) {
		f->result = f->n;
		return;
	}
	a.n = f->n - 1;
	b.n = f->n - 2;
	bench_fib_init_work(&a);
	bench_fib_init_work(&b);
	queue_work(magpie_unbound_wq(), &a.work);
	queue_work(magpie_unbound_wq(), &b.work);
	flush_work(&a.work);
	flush_work(&b.work);
	destroy_work_on_stack(&a.work);
	destroy_work_on_stack(&b.work);
	f->result = a.result + b.result;
}

static u64 bench_fib_magpie_as(unsigned int n, bool fork)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;
	struct bench_fib f = { .n = n, .fork = fork };
	u64 start = ktime_get_ns();

	if (magpie_go(bench_fib_task, &f, &wg, GFP_KERNEL))
		return U64_MAX;
	magpie_wg_wait(&wg);
	if (f.result != bench_fib_plain(n))
		pr_err("fib(%u) by tasks is %lu\n", n, f.result);
	return ktime_get_ns() - start;
}

static u64 bench_fib_magpie(unsigned int n)
{
	return bench_fib_magpie_as(n, false);
}

static u64 bench_fib_fork(unsigned int n)
{
	return bench_fib_magpie_as(n, true);
}

static u64 bench_fib_wq(unsigned int n)
{
	struct bench_fib_w f = { .n = n };
	u64 start = ktime_get_ns();

	if (n > BENCH_FIB_WQ_MAX_N)
		return U64_MAX;
	bench_fib_init_work(&f);
	queue_work(magpie_unbound_wq(), &f.work);
	flush_work(&f.work);
	destroy_work_on_stack(&f.work);
	return ktime_get_ns() - start;
}

static u64 bench_fib_call(unsigned int n)
{
	u64 start = ktime_get_ns();
	unsigned long r = bench_fib_plain(n);

	barrier_data(&r);
	return ktime_get_ns() - start;
}

static void bench_fib_all(void)
{
	/* fib(n) makes 2 fib(n+1) - 1 calls: 21891 for n = 20. */
	const unsigned int n = 20, n_wq = 12;
	u64 t1 = U64_MAX, t2, f1 = U64_MAX, f2, plain, wq, mp;
	bool prof;
	int ret;

	plain = BEST(bench_fib_call(n));
	prof = bench_pool_prof_start();
	t2 = BEST(bench_fib_magpie(n));
	bench_pool_prof_stop(prof, "fib20");
	prof = bench_pool_prof_start();
	f2 = BEST(bench_fib_fork(n));
	bench_pool_prof_stop(prof, "fork_fib20");
	if (num_online_cpus() >= 2 && cpu_online(1)) {
		ret = remove_cpu(1);
		if (!ret) {
			prof = bench_pool_prof_start();
			t1 = BEST(bench_fib_magpie(n));
			bench_pool_prof_stop(prof, "fib20_t1");
			prof = bench_pool_prof_start();
			f1 = BEST(bench_fib_fork(n));
			bench_pool_prof_stop(prof, "fork_fib20_t1");
			ret = add_cpu(1);
		}
		if (ret)
			pr_warn("CPU 1 hotplug failed (%d); no 1-CPU figure\n", ret);
	} else {
		t1 = t2;
		f1 = f2;
	}
	if (t1 != U64_MAX) {
		bench_ratio("fib20_t1", "call", t1, plain, 21891, false);
		bench_ratio("fib20_speedup_tput", "1cpu", t2, t1, 21891, true);
		bench_ratio("fork_fib20_t1", "call", f1, plain, 21891, false);
		bench_ratio("fork_fib20_speedup_tput", "1cpu", f2, f1, 21891, true);
	}
	/* Deeper recursion parks one kworker per waiting work; keep it small. */
	mp = BEST(bench_fib_magpie(n_wq));
	wq = BEST(bench_fib_wq(n_wq));
	bench_ratio("fib12", "unbound_wq", mp, wq, 465, false);
}

/* ---- a chain of spawns ---- */

struct bench_chain {
	unsigned int left;
	struct magpie_wg wg;
	struct work_struct work;
	struct completion done;
};

static struct bench_chain chain;

static void bench_chain_task(void *arg)
{
	if (--chain.left && magpie_go(bench_chain_task, NULL, &chain.wg, GFP_KERNEL))
		chain.left = 0;
}

static void bench_chain_work(struct work_struct *w)
{
	if (--chain.left)
		queue_work(magpie_percpu_wq(), &chain.work);
	else
		complete(&chain.done);
}

static u64 bench_chain_run(bool magpie, unsigned int hops)
{
	u64 start;

	chain.left = hops;
	magpie_wg_init(&chain.wg);
	init_completion(&chain.done);
	INIT_WORK(&chain.work, bench_chain_work);
	start = ktime_get_ns();
	if (magpie) {
		if (magpie_go(bench_chain_task, NULL, &chain.wg, GFP_KERNEL))
			return U64_MAX;
		magpie_wg_wait(&chain.wg);
	} else {
		queue_work(magpie_percpu_wq(), &chain.work);
		wait_for_completion(&chain.done);
	}
	return ktime_get_ns() - start;
}

static void bench_chain_all(void)
{
	unsigned int hops = 10000 * bench_scale;
	bool prof = bench_pool_prof_start();
	u64 mp = BEST(bench_chain_run(true, hops));

	bench_pool_prof_stop(prof, "chain_hop");
	bench_ratio("chain_hop", "percpu_wq", mp, BEST(bench_chain_run(false, hops)), hops, false);
}

/* ---- bursts: CPU time and wakeups per task ---- */

/*
 * What every thread in the system has used, and how often the two pools'
 * threads went to sleep of their own accord (each such sleep ends in a
 * wakeup). Threads alone: idle time is left out whatever the kernel's
 * tick does, and an interrupt counts with the thread it interrupted.
 * A thread that exits during a run takes its time with it; neither pool
 * ends a worker within a second.
 */
struct bench_threads {
	u64 cpu_ns;
	u64 magpie_sleeps;	/* magpie's workers, spares and sysmon */
	u64 wq_sleeps;		/* workqueue workers (PF_WQ_WORKER) */
};

static void bench_threads_sample(struct bench_threads *s)
{
	struct task_struct *g, *t;

	memset(s, 0, sizeof(*s));
	rcu_read_lock();
	for_each_process_thread(g, t) {
		/*
		 * A running thread's figure lags by up to a tick; the caller
		 * samples when the pools are quiet and it has just slept.
		 */
		s->cpu_ns += READ_ONCE(t->se.sum_exec_runtime);
		if (t->flags & PF_WQ_WORKER)
			s->wq_sleeps += READ_ONCE(t->nvcsw);
		else if ((t->flags & PF_KTHREAD) && !strncmp(t->comm, "magpie/", 7))
			s->magpie_sleeps += READ_ONCE(t->nvcsw);
	}
	rcu_read_unlock();
}

enum bench_burst_by { BENCH_BURST_NONE, BENCH_BURST_MAGPIE, BENCH_BURST_WQ };

/* One run of bursts: the threads' CPU time and the pool's counters. */
struct bench_burst {
	u64 cpu_ns;		/* U64_MAX: a submission failed */
	u64 sleeps;		/* of the pool under test's threads */
	u64 idle_wakeups;	/* magpie's wakeups that found nothing */
	u64 runs;		/* magpie's tasks run (the wait groups' too) */
};

/*
 * 64 tasks every millisecond for @ms, or (BENCH_BURST_NONE) only the
 * millisecond sleeps.
 */
static void bench_bursts_run(enum bench_burst_by by, unsigned int ms, struct bench_burst *b)
{
	bool magpie = by == BENCH_BURST_MAGPIE;
	struct magpie_pool_totals t0, t1;
	struct bench_threads s0, s1;
	unsigned int round, i;

	noop.nr = 64;
	b->cpu_ns = U64_MAX;
	magpie_pool_get_totals(&t0);
	bench_threads_sample(&s0);
	for (round = 0; round < ms; round++) {
		atomic_set(&noop.left, 64);
		init_completion(&noop.done);
		magpie_wg_init(&noop.wg);
		for (i = 0; i < 64 && by != BENCH_BURST_NONE; i++) {
			INIT_WORK(&noop.works[i], bench_noop_work);
			if (!magpie)
				queue_work(magpie_unbound_wq(), &noop.works[i]);
			else if (magpie_go(bench_noop_task, NULL, &noop.wg, GFP_KERNEL))
				return;
		}
		usleep_range(1000, 1001);
		if (magpie)
			magpie_wg_wait(&noop.wg);
		else if (by == BENCH_BURST_WQ)
			wait_for_completion(&noop.done);
	}
	bench_threads_sample(&s1);
	magpie_pool_get_totals(&t1);
	b->cpu_ns = s1.cpu_ns - s0.cpu_ns;
	b->sleeps = magpie ? s1.magpie_sleeps - s0.magpie_sleeps : s1.wq_sleeps - s0.wq_sleeps;
	b->idle_wakeups = t1.idle_wakeups - t0.idle_wakeups;
	b->runs = t1.runs - t0.runs;
}

/* The run of BENCH_RUNS that took the least CPU time. */
static void bench_bursts_best(enum bench_burst_by by, unsigned int ms, struct bench_burst *best)
{
	struct bench_burst b;
	int i;

	best->cpu_ns = U64_MAX;
	for (i = 0; i < BENCH_RUNS; i++) {
		bench_bursts_run(by, ms, &b);
		if (b.cpu_ns < best->cpu_ns)
			*best = b;
	}
}

static void bench_bursts_all(void)
{
	const unsigned int ms = 1000, tasks = 64 * ms;
	struct bench_burst none, mp, wq;
	u64 mp_ns, wq_ns;
	bool prof;

	noop.works = kcalloc(64, sizeof(*noop.works), GFP_KERNEL);
	if (!noop.works)
		return;
	/*
	 * Under TCG the millisecond sleep and its timer cost far more CPU
	 * time than 64 short tasks: measured alone and taken off both sides,
	 * so that the ratio compares what the tasks cost.
	 */
	bench_bursts_best(BENCH_BURST_NONE, ms, &none);
	prof = bench_pool_prof_start();
	bench_bursts_best(BENCH_BURST_MAGPIE, ms, &mp);
	bench_pool_prof_stop(prof, "burst64");
	bench_bursts_best(BENCH_BURST_WQ, ms, &wq);
	if (mp.cpu_ns == U64_MAX) {
		pr_info("pool: burst64 skipped: a submission failed\n");
		goto out;
	}
	pr_info("pool: burst64: rounds without tasks use %llu ns of CPU per round, taken off both sides\n",
		div_u64(none.cpu_ns, ms));
	mp_ns = mp.cpu_ns > none.cpu_ns ? mp.cpu_ns - none.cpu_ns : 1;
	wq_ns = wq.cpu_ns > none.cpu_ns ? wq.cpu_ns - none.cpu_ns : 1;
	bench_ratio("burst64_cpu_per_task", "unbound_wq", mp_ns, wq_ns, tasks, false);
	bench_count_ratio("burst64_wakeups_per_task", "unbound_wq", "wakeups",
			  mp.sleeps, wq.sleeps, tasks);
	/* magpie's wakeups that found nothing, out of all its threads' wakeups. */
	bench_count_ratio("burst64_empty_wakeups", "wakeups", "wakeups",
			  mp.idle_wakeups, max(mp.sleeps, 1ULL), mp.runs);
out:
	kfree(noop.works);
}

static int bench_thread(void *arg)
{
	pr_info("pool: cpus=%u scale=%u\n", num_online_cpus(), bench_scale);
	bench_noop_all();
	bench_fib_all();
	bench_chain_all();
	bench_bursts_all();
	complete(arg);
	return 0;
}

static int bench_run(struct magpie_results *res, unsigned int run_scale)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *t;

	bench_scale = run_scale;
	bench_res = res;
	t = kthread_run(bench_thread, &done, "magpie-pool-bench");
	if (!IS_ERR(t))
		bench_wait(&done);
	bench_res = NULL;
	return PTR_ERR_OR_ZERO(t);
}

static struct magpie_check_suite bench_suite = {
	.name = "pool",
	.what = MAGPIE_RUN_BENCH_POOL,
	.run = bench_run,
	.owner = THIS_MODULE,
};

MODULE_DESCRIPTION("magpie's worker pool vs the kernel's workqueues, side by side");
MODULE_LICENSE("GPL");
