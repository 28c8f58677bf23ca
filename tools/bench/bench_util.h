/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest benchmark programs (arena_bench, backend_bench) share:
 * a monotonic clock in seconds and a fatal error that names the program.
 * Each includes it once, after defining _GNU_SOURCE.
 */
#ifndef _MAGPIE_BENCH_UTIL_H
#define _MAGPIE_BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "<program>: <what>: <strerror(errno)>", then exit 1. */
static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	exit(1);
}

#endif /* _MAGPIE_BENCH_UTIL_H */
