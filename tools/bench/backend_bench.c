// SPDX-License-Identifier: GPL-2.0
/*
 * backend_bench: the cost of cooperation. The same libmagpie workloads on
 * an arena of /dev/magpie and on an arena of private anonymous memory,
 * alternating, in one boot (run by `make bench` in the guest, statically
 * linked). Prints `bench <name> device/anon <ratio>` lines, times (below 1
 * favours the device), each the best of five rounds:
 *
 *   pairs_16_1024     malloc/free pairs cycling through 16..1024 bytes:
 *                     the thread cache only, no page-level call
 *   fill_trim_32MiB   32 MiB of 256-byte objects, each written, all freed,
 *                     then mgp_arena_trim(): first-touch faults and the
 *                     release of every span (RELEASE ioctl or madvise)
 *   large_churn       40 KiB objects written and freed in an arena that
 *                     keeps no free spans: every free releases its pages
 *                     and the next allocation faults them in again
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmagpie.h>

#include "bench_util.h"

#define ROUNDS		5
#define PAIRS		400000
#define FILL_BYTES	(32UL << 20)
#define FILL_OBJ	256
#define CHURN		4000
#define CHURN_OBJ	(40 << 10)

static void *objs[FILL_BYTES / FILL_OBJ];

static struct mgp_arena *arena_new(unsigned int backend, int no_cache)
{
	struct mgp_arena_opts o = {
		.size = 256UL << 20,
		.backend = backend,
		.cache_bytes = no_cache ? MGP_CACHE_NONE : 0,
	};
	struct mgp_arena *a = mgp_arena_create(&o);

	if (!a)
		die(backend == MGP_BACKEND_DEVICE ? "device arena" : "anon arena");
	return a;
}

static double pairs(struct mgp_arena *a)
{
	double t = now();
	unsigned int i;

	for (i = 0; i < PAIRS; i++) {
		void *p = mgp_alloc(a, 16 + (i * 16) % 1009);

		if (!p)
			die("mgp_alloc");
		memset(p, (int)i, 16);
		mgp_free(a, p);
	}
	return now() - t;
}

static double fill_trim(struct mgp_arena *a)
{
	unsigned long i, n = FILL_BYTES / FILL_OBJ;
	double t = now();

	for (i = 0; i < n; i++) {
		objs[i] = mgp_alloc(a, FILL_OBJ);
		if (!objs[i])
			die("mgp_alloc");
		memset(objs[i], (int)i, FILL_OBJ);
	}
	for (i = 0; i < n; i++)
		mgp_free(a, objs[i]);
	if (mgp_arena_trim(a))
		die("mgp_arena_trim");
	return now() - t;
}

static double churn(struct mgp_arena *a)
{
	double t = now();
	unsigned int i;

	for (i = 0; i < CHURN; i++) {
		char *p = mgp_alloc(a, CHURN_OBJ);

		if (!p)
			die("mgp_alloc");
		memset(p, 1, CHURN_OBJ);
		mgp_free(a, p);
	}
	return now() - t;
}

static void run(const char *name, double (*fn)(struct mgp_arena *), int no_cache,
		unsigned long ops)
{
	struct mgp_arena *dev = arena_new(MGP_BACKEND_DEVICE, no_cache);
	struct mgp_arena *anon = arena_new(MGP_BACKEND_ANON, no_cache);
	double d = 1e9, a = 1e9, x;
	int r;

	/* One round of each unmeasured: thread caches, first spans. */
	fn(dev);
	fn(anon);
	for (r = 0; r < ROUNDS; r++) {
		x = fn(dev);
		d = x < d ? x : d;
		x = fn(anon);
		a = x < a ? x : a;
	}
	printf("bench %s device/anon %.3f (device %.1f ns/op, anon %.1f ns/op, %lu ops)\n",
	       name, d / a, d * 1e9 / ops, a * 1e9 / ops, ops);
	fflush(stdout);
	mgp_arena_close(dev);
	mgp_arena_close(anon);
}

int main(void)
{
	run("pairs_16_1024", pairs, 0, PAIRS);
	run("fill_trim_32MiB", fill_trim, 0, FILL_BYTES / FILL_OBJ);
	run("large_churn", churn, 1, CHURN);
	return 0;
}
