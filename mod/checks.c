// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of check and benchmark suites behind MAGPIE_IOC_RUN_CHECKS,
 * and the results they record.
 *
 * The benchmarks stay in their own modules (magpie_bench.ko,
 * magpie_pool_bench.ko): they create caches and workqueues of their own
 * and have no business in every system that loads magpie. Loaded, each
 * registers a suite here; a run takes a reference on the suite's module,
 * so the module cannot go while its code runs.
 *
 * Locking: magpie_checks_mutex guards the list of suites and is held for
 * a whole run, so runs never overlap (two benchmarks at once would measure
 * each other). A second caller gets -EBUSY rather than waiting minutes.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "checks.h"

static DEFINE_MUTEX(magpie_checks_mutex);
static LIST_HEAD(magpie_check_suites);	/* magpie_checks_mutex */

/**
 * magpie_check_suite_register() - offer a benchmark suite to MAGPIE_IOC_RUN_CHECKS
 * @suite: the suite, with @name, @what (one MAGPIE_RUN_BENCH_* bit), @run
 *	and @owner filled in; it must stay valid until unregistered
 *
 * Return: 0, -EINVAL for a @what that is not one benchmark bit, or -EEXIST
 * when a suite with that bit is registered already.
 */
int magpie_check_suite_register(struct magpie_check_suite *suite)
{
	struct magpie_check_suite *s;
	int ret = 0;

	if (hweight32(suite->what) != 1 || !(suite->what & MAGPIE_RUN_ALL) ||
	    suite->what == MAGPIE_RUN_SELFCHECK || !suite->run)
		return -EINVAL;
	mutex_lock(&magpie_checks_mutex);
	list_for_each_entry(s, &magpie_check_suites, node)
		if (s->what == suite->what)
			ret = -EEXIST;
	if (!ret)
		list_add_tail(&suite->node, &magpie_check_suites);
	mutex_unlock(&magpie_checks_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(magpie_check_suite_register);

/**
 * magpie_check_suite_load() - a benchmark module's init: run once, then register
 * @suite: the suite, as for magpie_check_suite_register()
 * @scale: the module's scale parameter, 1..MAGPIE_RUN_SCALE_MAX
 * @run_now: run the suite once first, its results to the kernel log only
 *	(the module's run_on_load parameter)
 *
 * Return: 0, -EINVAL for a @scale out of range, the run's error, or
 * magpie_check_suite_register()'s.
 */
int magpie_check_suite_load(struct magpie_check_suite *suite, unsigned int scale, bool run_now)
{
	int ret;

	if (!scale || scale > MAGPIE_RUN_SCALE_MAX)
		return -EINVAL;
	if (run_now) {
		ret = suite->run(NULL, scale);
		if (ret)
			return ret;
	}
	return magpie_check_suite_register(suite);
}
EXPORT_SYMBOL_GPL(magpie_check_suite_load);

/**
 * magpie_check_suite_unregister() - withdraw a suite
 * @suite: a registered suite
 *
 * Waits for a run in progress to end.
 */
void magpie_check_suite_unregister(struct magpie_check_suite *suite)
{
	mutex_lock(&magpie_checks_mutex);
	list_del(&suite->node);
	mutex_unlock(&magpie_checks_mutex);
}
EXPORT_SYMBOL_GPL(magpie_check_suite_unregister);

/* The next record, zeroed, or NULL when only counted. */
static struct magpie_result *magpie_result_next(struct magpie_results *res, const char *name)
{
	struct magpie_result *r;

	if (res->count++ >= res->capacity)
		return NULL;
	r = &res->buf[res->count - 1];
	memset(r, 0, sizeof(*r));
	strscpy(r->suite, res->suite, sizeof(r->suite));
	strscpy(r->name, name, sizeof(r->name));
	return r;
}

/**
 * magpie_result_ratio() - record a benchmark's result
 * @res: the run's results; NULL records nothing (a module's load-time run)
 * @name: the benchmark
 * @peer: what magpie ran against
 * @unit: unit of @magpie and @peer_value ("ns", "pages")
 * @tput: the figures are times of a fixed amount of work, and the ratio is
 *	of throughputs: peer/magpie, above 1 favouring magpie. Otherwise the
 *	ratio is of costs: magpie/peer, below 1 favouring magpie.
 * @magpie: magpie's figure
 * @peer_value: the peer's figure
 * @ops: operations each side did
 */
void magpie_result_ratio(struct magpie_results *res, const char *name, const char *peer,
			 const char *unit, bool tput, u64 magpie, u64 peer_value, u64 ops)
{
	struct magpie_result *r;

	if (!res)
		return;
	r = magpie_result_next(res, name);
	if (!r)
		return;
	strscpy(r->peer, peer, sizeof(r->peer));
	strscpy(r->unit, unit, sizeof(r->unit));
	r->kind = tput ? MAGPIE_RESULT_TPUT : MAGPIE_RESULT_COST;
	r->ratio_milli = tput ? div64_u64(peer_value * 1000, max(magpie, 1ULL)) :
				div64_u64(magpie * 1000, max(peer_value, 1ULL));
	r->magpie = magpie;
	r->peer_value = peer_value;
	r->ops = ops;
}
EXPORT_SYMBOL_GPL(magpie_result_ratio);

/**
 * magpie_result_check() - record a self-check's outcome
 * @res: the run's results; NULL records nothing
 * @name: the check
 * @status: 0, or a negative errno (-EUCLEAN for an inconsistency)
 * @items: what the check looked at (spans, objects, tasks)
 */
void magpie_result_check(struct magpie_results *res, const char *name, int status,
			 u64 items)
{
	struct magpie_result *r;

	if (!res)
		return;
	if (status)
		res->failed++;
	r = magpie_result_next(res, name);
	if (!r)
		return;
	r->kind = MAGPIE_RESULT_CHECK;
	r->status = status;
	r->ops = items;
}
EXPORT_SYMBOL_GPL(magpie_result_check);

/**
 * magpie_checks_run() - run self-checks and benchmark suites
 * @what: MAGPIE_RUN_* bits, checked by the caller
 * @scale: 1..MAGPIE_RUN_SCALE_MAX, for the benchmarks
 * @res: results, with @buf and @capacity set and the counts zero
 *
 * Every suite asked for must be there before anything runs.
 *
 * Return: 0 (failed checks are results, not errors), -EBUSY while another
 * run is in progress, -ENOPKG when a benchmark module is not loaded, or
 * the first error a suite returned (the results before it stay).
 */
int magpie_checks_run(u32 what, unsigned int scale, struct magpie_results *res)
{
	struct magpie_check_suite *s, *run[2] = { NULL, NULL };
	static const u32 bench_bits[2] = { MAGPIE_RUN_BENCH_CACHES, MAGPIE_RUN_BENCH_POOL };
	int i, ret = 0;

	if (!mutex_trylock(&magpie_checks_mutex))
		return -EBUSY;
	for (i = 0; i < ARRAY_SIZE(bench_bits); i++) {
		if (!(what & bench_bits[i]))
			continue;
		list_for_each_entry(s, &magpie_check_suites, node)
			if (s->what == bench_bits[i])
				run[i] = s;
		/* A module on its way out has no code to run any more. */
		if (!run[i] || !try_module_get(run[i]->owner)) {
			run[i] = NULL;
			ret = -ENOPKG;
			goto out;
		}
	}
	if (what & MAGPIE_RUN_SELFCHECK) {
		res->suite = "self";
		ret = magpie_selfcheck_run(res);
	}
	for (i = 0; !ret && i < ARRAY_SIZE(run); i++) {
		if (!run[i])
			continue;
		res->suite = run[i]->name;
		ret = run[i]->run(res, scale);
	}
out:
	for (i = 0; i < ARRAY_SIZE(run); i++)
		if (run[i])
			module_put(run[i]->owner);
	mutex_unlock(&magpie_checks_mutex);
	return ret;
}
