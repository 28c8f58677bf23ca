/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every benchmark module has the same: its parameters, the state of
 * the run in progress, best-of-N timing, the result line and record, and
 * the init/exit that register its suite with magpie (for
 * MAGPIE_IOC_RUN_CHECKS). Included once, by the module's one source file,
 * which defines bench_suite.
 */
#ifndef _MAGPIE_BENCH_MODULE_H
#define _MAGPIE_BENCH_MODULE_H

#include <linux/completion.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "../checks.h"

static unsigned int scale = 1;
module_param(scale, uint, 0444);
MODULE_PARM_DESC(scale, "multiplies the benchmarks' counts (1..100, default 1)");

static bool run_on_load = true;
module_param(run_on_load, bool, 0444);
MODULE_PARM_DESC(run_on_load, "run every benchmark while loading (default Y)");

/*
 * The run in progress: its scale and where its results go (NULL: the log
 * only). Set before the benchmark kthread starts and read only by it; runs
 * never overlap (the load-time run ends before the suite is registered,
 * and magpie_checks_mutex serialises the others).
 */
static unsigned int bench_scale;
static struct magpie_results *bench_res;

#define BENCH_RUNS	3

/* Best of BENCH_RUNS for an expression that returns ns. */
#define BEST(expr)							\
	({								\
		u64 __best = U64_MAX;					\
		int __i;						\
									\
		for (__i = 0; __i < BENCH_RUNS; __i++)			\
			__best = min_t(u64, __best, (expr));		\
		__best;							\
	})

/*
 * One result: the line "bench <name> magpie/<peer> <ratio> (<context>)" in
 * the log and a record for the run's caller. @tput: the ratio is of
 * throughputs (peer time / magpie time), else of times.
 */
static void bench_ratio(const char *name, const char *peer, u64 mp_ns, u64 peer_ns,
			u64 ops, bool tput)
{
	u64 r = tput ? div64_u64(peer_ns * 1000, max(mp_ns, 1ULL)) :
		       div64_u64(mp_ns * 1000, max(peer_ns, 1ULL));
	u64 n = max(ops, 1ULL);

	pr_info("bench %s magpie/%s %llu.%03llu (magpie %llu.%llu ns/op, %s %llu.%llu ns/op, %llu ops)\n",
		name, peer, r / 1000, r % 1000,
		div64_u64(mp_ns, n), div64_u64(mp_ns * 10, n) % 10, peer,
		div64_u64(peer_ns, n), div64_u64(peer_ns * 10, n) % 10, ops);
	magpie_result_ratio(bench_res, name, peer, "ns", tput, mp_ns, peer_ns, ops);
}

/*
 * One result that counts events rather than time: the line "bench <name>
 * magpie/<peer> <ratio> (<context>)" with @mp / @peer_count as the ratio,
 * and a record in @unit.
 */
static void __maybe_unused bench_count_ratio(const char *name, const char *peer,
					     const char *unit, u64 mp, u64 peer_count, u64 ops)
{
	u64 r = div64_u64(mp * 1000, max(peer_count, 1ULL));

	pr_info("bench %s magpie/%s %llu.%03llu (magpie %llu %s, %s %llu %s, %llu ops)\n",
		name, peer, r / 1000, r % 1000, mp, unit, peer, peer_count, unit, ops);
	magpie_result_ratio(bench_res, name, peer, unit, false, mp, peer_count, ops);
}

/*
 * Waits for the benchmark thread to signal @done. On a debug kernel the
 * runs take minutes (the pool's burst64 alone sleeps 9000 times a
 * millisecond): the wait wakes every 10 s, so that the hung-task detector
 * does not take the caller (an ioctl of magpie-check) for stuck.
 */
static void bench_wait(struct completion *done)
{
	while (!wait_for_completion_timeout(done, 10 * HZ))
		;
}

/*
 * The module's suite, defined (with its run function) by the module's
 * source; it runs once at load unless run_on_load=0, then stays
 * registered until unload.
 */
static struct magpie_check_suite bench_suite;

static int __init bench_module_init(void)
{
	return magpie_check_suite_load(&bench_suite, scale, run_on_load);
}
module_init(bench_module_init);

static void __exit bench_module_exit(void)
{
	magpie_check_suite_unregister(&bench_suite);
}
module_exit(bench_module_exit);

#endif /* _MAGPIE_BENCH_MODULE_H */
