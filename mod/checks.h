/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MAGPIE_IOC_RUN_CHECKS from the inside: suites of self-checks and
 * benchmarks that record their results in a struct magpie_results, which
 * /dev/magpie copies out as struct magpie_result records. The self-checks
 * are part of magpie.ko (selfcheck.c); the benchmark modules register
 * their suites when they load (checks.c).
 */
#ifndef _MAGPIE_CHECKS_H
#define _MAGPIE_CHECKS_H

#include <linux/list.h>
#include <linux/types.h>

#include "../uapi/linux/magpie.h"

struct module;

/**
 * struct magpie_results - where a run's results go
 *
 * Owned by one run, which holds magpie_checks_mutex throughout; suites
 * write to it from their own kthreads only while the run waits for them.
 *
 * @buf: the records, @capacity of them
 * @capacity: records @buf holds
 * @count: records produced (beyond @capacity they are counted, not kept)
 * @failed: checks whose status was not 0
 * @suite: the suite running now, for the records' suite field
 */
struct magpie_results {
	struct magpie_result *buf;
	u32 capacity;
	u32 count;
	u32 failed;
	const char *suite;
};

/**
 * struct magpie_check_suite - a benchmark suite MAGPIE_IOC_RUN_CHECKS runs
 * @name: short name, the results' suite field ("caches", "pool")
 * @what: its MAGPIE_RUN_* bit
 * @run: runs the suite in process context, recording into @res; may sleep
 *	for as long as the suite takes. Return: 0 or a negative errno.
 * @owner: THIS_MODULE; held while the suite runs
 * @node: entry in magpie's suites (magpie_checks_mutex)
 */
struct magpie_check_suite {
	const char *name;
	u32 what;
	int (*run)(struct magpie_results *res, unsigned int scale);
	struct module *owner;
	struct list_head node;
};

int magpie_check_suite_register(struct magpie_check_suite *suite);
int magpie_check_suite_load(struct magpie_check_suite *suite, unsigned int scale, bool run_now);
void magpie_check_suite_unregister(struct magpie_check_suite *suite);
void magpie_result_ratio(struct magpie_results *res, const char *name, const char *peer,
			 const char *unit, bool tput, u64 magpie, u64 peer_value, u64 ops);
void magpie_result_check(struct magpie_results *res, const char *name, int status,
			 u64 items);

/* checks.c, for dev.c */
int magpie_checks_run(u32 what, unsigned int scale, struct magpie_results *res);

/* selfcheck.c */
int magpie_selfcheck_run(struct magpie_results *res);

#endif /* _MAGPIE_CHECKS_H */
