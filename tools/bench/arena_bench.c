// SPDX-License-Identifier: GPL-2.0
/*
 * arena_bench: what backing memory through /dev/magpie costs, against the
 * kernel's own anonymous memory, measured in the same boot (run by `make
 * bench` in the guest, statically linked). Prints
 * `bench <name> magpie/<peer> <ratio>` lines, times (below 1 favours
 * magpie), each the best of five rounds:
 *
 *   arena_fault           first touch of each page of 32 MiB of an arena
 *                         against the same of MAP_ANONYMOUS memory
 *   arena_release         MAGPIE_IOC_RELEASE of the 32 MiB against
 *                         madvise(MADV_DONTNEED) of the anonymous copy
 *   arena_fault_4k,       the same against anonymous memory marked
 *   arena_release_4k      MADV_NOHUGEPAGE: where transparent huge pages
 *                         are on, the lines above compare 8192 pages of
 *                         the arena with 16 huge pages (the arena maps
 *                         4 KiB pages only); these compare page for page
 *   arena_touch_prefaulted  the first touch after a synchronous prefault,
 *                         against a cold first touch of the arena
 *   arena_prefault_async  the first touch right after an asynchronous
 *                         prefault (the worker pool backs pages while the
 *                         toucher maps them) against a cold first touch
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/magpie.h>

#include "bench_util.h"

#define PAGES	8192UL		/* 32 MiB */
#define PG	4096UL
#define ROUNDS	5

static double touch(unsigned char *p)
{
	double t = now();
	unsigned long i;

	for (i = 0; i < PAGES; i++)
		p[i * PG] = 1;
	return now() - t;
}

struct arena {
	struct magpie_arena_create c;
	unsigned char *map, *data;
};

static void arena_open(int fd, struct arena *a)
{
	memset(&a->c, 0, sizeof(a->c));
	a->c.size = PAGES * PG;
	if (ioctl(fd, MAGPIE_IOC_ARENA_CREATE, &a->c))
		die("create");
	a->map = mmap(NULL, a->c.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      (off_t)a->c.mmap_offset);
	if (a->map == MAP_FAILED)
		die("mmap");
	a->data = a->map + a->c.data_offset;
}

static double arena_release(int fd, struct arena *a)
{
	struct magpie_release r = { .id = a->c.id, .offset = a->c.data_offset,
				    .length = PAGES * PG };
	double t = now();

	if (ioctl(fd, MAGPIE_IOC_RELEASE, &r))
		die("release");
	return now() - t;
}

static void prefault(int fd, struct arena *a, unsigned int flags)
{
	struct magpie_prefault p = { .id = a->c.id, .flags = flags,
				     .offset = a->c.data_offset, .length = PAGES * PG };

	if (ioctl(fd, MAGPIE_IOC_PREFAULT, &p))
		die("prefault");
}

/* Waits until the arena has every data page backed (async prefault done). */
static void wait_backed(int fd, struct arena *a)
{
	struct magpie_arena_stats st;

	do {
		memset(&st, 0, sizeof(st));
		st.id = a->c.id;
		if (ioctl(fd, MAGPIE_IOC_ARENA_STATS, &st))
			die("stats");
	} while (st.pages_backed < PAGES + 1 && !usleep(1000));
}

static double min(double a, double b)
{
	return a < b ? a : b;
}

/* Anonymous memory to compare with; @no_thp: never transparent huge pages. */
static unsigned char *anon_open(int no_thp)
{
	unsigned char *p = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("anonymous mmap");
	/* EINVAL: a kernel without THP, where every page is 4 KiB anyway. */
	if (no_thp && madvise(p, PAGES * PG, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE)");
	return p;
}

/* Touches the anonymous copy, then drops it: best times in @touch_s, @drop_s. */
static void anon_round(unsigned char *p, double *touch_s, double *drop_s)
{
	double t;

	*touch_s = min(*touch_s, touch(p));
	t = now();
	if (madvise(p, PAGES * PG, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED)");
	*drop_s = min(*drop_s, now() - t);
}

/* The system's THP setting, for the context line ("[always] madvise never"). */
static void print_thp(void)
{
	char line[128] = "not built in\n";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			strcpy(line, "unreadable\n");
		fclose(f);
	}
	printf("arena_bench: transparent huge pages: %s", line);
}

int main(void)
{
	double fault = 1e9, anon = 1e9, rel = 1e9, madv = 1e9, pre = 1e9, async = 1e9, t;
	double anon4k = 1e9, madv4k = 1e9;
	unsigned char *anon_map, *anon4k_map;
	struct arena a;
	int fd, r;

	fd = open(MAGPIE_DEVICE_PATH, O_RDWR);
	if (fd < 0)
		die(MAGPIE_DEVICE_PATH);
	arena_open(fd, &a);
	anon_map = anon_open(0);
	anon4k_map = anon_open(1);

	for (r = 0; r < ROUNDS; r++) {
		anon_round(anon_map, &anon, &madv);
		anon_round(anon4k_map, &anon4k, &madv4k);

		fault = min(fault, touch(a.data));
		rel = min(rel, arena_release(fd, &a));

		prefault(fd, &a, 0);
		pre = min(pre, touch(a.data));
		arena_release(fd, &a);

		t = now();
		prefault(fd, &a, MAGPIE_PREFAULT_ASYNC);
		touch(a.data);
		async = min(async, now() - t);
		wait_backed(fd, &a);
		arena_release(fd, &a);
	}
	printf("bench arena_fault magpie/anon %.3f\n", fault / anon);
	printf("bench arena_release magpie/madvise %.3f\n", rel / madv);
	printf("bench arena_fault_4k magpie/anon_nothp %.3f\n", fault / anon4k);
	printf("bench arena_release_4k magpie/madvise_nothp %.3f\n", rel / madv4k);
	printf("bench arena_touch_prefaulted magpie/cold %.3f\n", pre / fault);
	printf("bench arena_prefault_async magpie/cold %.3f\n", async / fault);
	printf("arena_bench: %lu pages, best of %d rounds\n", PAGES, ROUNDS);
	print_thp();
	return 0;
}
