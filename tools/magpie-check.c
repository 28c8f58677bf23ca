// SPDX-License-Identifier: GPL-2.0
/*
 * magpie-check: runs magpie's in-kernel self-checks and benchmarks through
 * MAGPIE_IOC_RUN_CHECKS and prints their results, one line each, or as
 * JSON. Benchmarks print the line the benchmark modules log:
 *
 *   bench <name> magpie/<peer> <ratio> (magpie <x> ns/op, <peer> <y> ns/op, <n> ops)
 *
 * Exit status: 0 when every check passed, 1 when one failed, 2 when
 * nothing could run (the message says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/magpie.h>

#include "json.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: magpie-check [--self] [--bench caches|pool|all] [--scale N] [--json]\n"
		"  --self          consistency self-checks of caches and pool (the default)\n"
		"  --bench WHICH   benchmarks against SLUB (caches) or workqueues (pool);\n"
		"                  their module must be loaded (magpie_bench.ko,\n"
		"                  magpie_pool_bench.ko; run_on_load=0 skips the load-time run)\n"
		"  --scale N       multiplies the benchmarks' iterations (1..%d)\n"
		"  --json          one JSON object instead of lines\n",
		MAGPIE_RUN_SCALE_MAX);
}

/* What an errno of the device or the ioctl means here, in plain words. */
static const char *explain(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return "magpie is not loaded (no /dev/magpie): insmod magpie.ko first";
	case EACCES:
		return "/dev/magpie is root's (mode 0600): run as root";
	case EPERM:
		return "running checks and benchmarks needs CAP_SYS_ADMIN";
	case ENOPKG:
		return "benchmark module is not loaded (magpie_bench.ko, magpie_pool_bench.ko)";
	case EBUSY:
		return "another run is in progress";
	case ENOTTY:
		return "this magpie.ko predates MAGPIE_IOC_RUN_CHECKS";
	default:
		return strerror(err);
	}
}

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case MAGPIE_RESULT_CHECK:
		return "check";
	case MAGPIE_RESULT_COST:
		return "cost";
	case MAGPIE_RESULT_TPUT:
		return "tput";
	default:
		return "unknown";
	}
}

/* The kernel NUL-terminates every string; make sure of it before printing. */
static void terminate(struct magpie_result *r, unsigned int n)
{
	for (; n--; r++) {
		r->suite[sizeof(r->suite) - 1] = 0;
		r->name[sizeof(r->name) - 1] = 0;
		r->peer[sizeof(r->peer) - 1] = 0;
		r->unit[sizeof(r->unit) - 1] = 0;
	}
}

static void print_text(const struct magpie_result *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++, r++) {
		unsigned long long ops = r->ops ? r->ops : 1;

		if (r->kind == MAGPIE_RESULT_CHECK) {
			if (r->status)
				printf("check %s FAILED: %s (the kernel log says more)\n",
				       r->name, strerror(-r->status));
			else
				printf("check %s ok (%llu looked at)\n", r->name,
				       (unsigned long long)r->ops);
		} else if (!strcmp(r->unit, "ns")) {
			printf("bench %s magpie/%s %llu.%03llu ", r->name, r->peer,
			       (unsigned long long)r->ratio_milli / 1000,
			       (unsigned long long)r->ratio_milli % 1000);
			printf("(magpie %llu ns/op, %s %llu ns/op, %llu ops)\n",
			       (unsigned long long)r->magpie / ops, r->peer,
			       (unsigned long long)r->peer_value / ops, (unsigned long long)r->ops);
		} else {
			printf("bench %s magpie/%s %llu.%03llu (magpie %llu %s, %s %llu %s)\n",
			       r->name, r->peer, (unsigned long long)r->ratio_milli / 1000,
			       (unsigned long long)r->ratio_milli % 1000,
			       (unsigned long long)r->magpie, r->unit, r->peer,
			       (unsigned long long)r->peer_value, r->unit);
		}
	}
}

static void print_json(const struct magpie_result *r, unsigned int n, unsigned int count,
		       unsigned int failed)
{
	unsigned int i;

	printf("{\"version\":\"1.0\",\"count\":%u,\"failed\":%u,\"results\":[", count, failed);
	for (i = 0; i < n; i++, r++) {
		printf("%s{\"suite\":", i ? "," : "");
		json_string(r->suite);
		printf(",\"name\":");
		json_string(r->name);
		printf(",\"kind\":\"%s\",\"status\":%d", kind_name(r->kind), r->status);
		if (r->kind != MAGPIE_RESULT_CHECK) {
			printf(",\"peer\":");
			json_string(r->peer);
			printf(",\"unit\":");
			json_string(r->unit);
			printf(",\"ratio\":%llu.%03llu,\"magpie\":%llu,\"peer_value\":%llu",
			       (unsigned long long)r->ratio_milli / 1000,
			       (unsigned long long)r->ratio_milli % 1000,
			       (unsigned long long)r->magpie, (unsigned long long)r->peer_value);
		}
		printf(",\"ops\":%llu}", (unsigned long long)r->ops);
	}
	printf("]}\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "self", no_argument, NULL, 's' },
		{ "bench", required_argument, NULL, 'b' },
		{ "scale", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct magpie_result results[MAGPIE_RESULTS_MAX];
	struct magpie_run_checks req;
	unsigned long scale = 0;
	unsigned int what = 0, n;
	int json = 0, fd, c;
	char *end;

	while ((c = getopt_long(argc, argv, "sb:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			what |= MAGPIE_RUN_SELFCHECK;
			break;
		case 'b':
			if (!strcmp(optarg, "caches")) {
				what |= MAGPIE_RUN_BENCH_CACHES;
			} else if (!strcmp(optarg, "pool")) {
				what |= MAGPIE_RUN_BENCH_POOL;
			} else if (!strcmp(optarg, "all")) {
				what |= MAGPIE_RUN_BENCH_CACHES | MAGPIE_RUN_BENCH_POOL;
			} else {
				fprintf(stderr,
					"magpie-check: --bench takes caches, pool or all, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			scale = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || !scale || scale > MAGPIE_RUN_SCALE_MAX) {
				fprintf(stderr, "magpie-check: --scale takes 1..%d, not '%s'\n",
					MAGPIE_RUN_SCALE_MAX, optarg);
				return 2;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "magpie-check: unexpected argument '%s'\n", argv[optind]);
		print_usage(stderr);
		return 2;
	}
	if (!what)
		what = MAGPIE_RUN_SELFCHECK;

	fd = open(MAGPIE_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "magpie-check: %s\n", explain(errno));
		return 2;
	}
	memset(&req, 0, sizeof(req));
	req.what = what;
	req.scale = scale;
	req.results = (uintptr_t)results;
	req.capacity = MAGPIE_RESULTS_MAX;
	req.result_size = sizeof(results[0]);
	if (ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req)) {
		fprintf(stderr, "magpie-check: %s\n", explain(errno));
		close(fd);
		return 2;
	}
	close(fd);
	n = req.count < req.capacity ? req.count : req.capacity;
	terminate(results, n);
	if (json)
		print_json(results, n, req.count, req.failed);
	else
		print_text(results, n);
	if (req.count > n)
		fprintf(stderr, "magpie-check: %u results did not fit\n", req.count - n);
	return req.failed ? 1 : 0;
}
