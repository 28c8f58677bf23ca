// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-userlib: libmagpie against userspace allocators, in one run.
 * Two workloads of 16..1024-byte blocks:
 *   st      one thread: batches of 64 mallocs, then 64 frees in another order
 *   xthread a producer thread mallocs, a consumer thread frees (a ring)
 * measured for the libmagpie API (mgp_alloc/mgp_free on an anon arena) and,
 * through malloc/free, for glibc and for libmagpie-malloc, jemalloc,
 * tcmalloc and mimalloc, each preloaded into a child process running this
 * same binary. The peers are installed with apt-get when missing. Every
 * peer runs in each of PASSES passes. Prints a table (best of 3 rounds in
 * each of the passes, ns per block, the largest peak RSS), then lines
 *   bench <workload> magpie/<peer> <ratio>
 * with magpie the preloaded libmagpie-malloc (magpie-api: the API) and
 * ratio its time over the peer's: below 1 means magpie is faster.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libmagpie.h>

#ifndef MGP_SHIM
#define MGP_SHIM "build/userlib/libmagpie-malloc.so"
#endif

#define ST_BLOCKS	(4 << 20)
#define XT_BLOCKS	(2 << 20)
#define BATCH		64
#define RING		1024
#define PASSES		3

static struct mgp_arena *arena;	/* API mode only */
static unsigned int sizes[4096];

static void *bench_alloc(size_t n)
{
	return arena ? mgp_alloc(arena, n) : malloc(n);
}

static void bench_free(void *p)
{
	if (arena)
		mgp_free(arena, p);
	else
		free(p);
}

/* A store the compiler must keep, as a program would use its block. */
static void touch(void *p)
{
	__atomic_store_n((char *)p, 1, __ATOMIC_RELAXED);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double run_st(void)
{
	void *p[BATCH];
	double t0 = now_ns();
	unsigned int i, j, k = 0;

	for (i = 0; i < ST_BLOCKS / BATCH; i++) {
		for (j = 0; j < BATCH; j++) {
			p[j] = bench_alloc(sizes[k++ % 4096]);
			touch(p[j]);
		}
		for (j = 0; j < BATCH; j++)	/* every 7th: not the allocation order */
			bench_free(p[(j * 7) % BATCH]);
	}
	return (now_ns() - t0) / ST_BLOCKS;
}

/* Single producer, single consumer: head written by one, tail by the other. */
static void *ring[RING];
static unsigned int ring_head, ring_tail;

static void *consumer(void *arg)
{
	unsigned int n;

	(void)arg;
	for (n = 0; n < XT_BLOCKS; n++) {
		unsigned int t = n % RING;

		/* Acquire: the slot's pointer was stored before head moved. */
		while (__atomic_load_n(&ring_head, __ATOMIC_ACQUIRE) == n)
			;
		bench_free(ring[t]);
		/* Release: we are done with the slot before the producer reuses it. */
		__atomic_store_n(&ring_tail, n + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double run_xthread(void)
{
	pthread_t th;
	unsigned int n;
	double t0 = now_ns();

	ring_head = 0;
	ring_tail = 0;
	pthread_create(&th, NULL, consumer, NULL);
	for (n = 0; n < XT_BLOCKS; n++) {
		void *p = bench_alloc(sizes[n % 4096]);

		touch(p);
		while (n - __atomic_load_n(&ring_tail, __ATOMIC_ACQUIRE) >= RING)
			;
		ring[n % RING] = p;
		__atomic_store_n(&ring_head, n + 1, __ATOMIC_RELEASE);
	}
	pthread_join(th, NULL);
	return (now_ns() - t0) / XT_BLOCKS;
}

/* Child: runs both workloads three times, prints "result st xt rss_kib". */
static int child(const char *mode)
{
	double st = 1e18, xt = 1e18, t;
	struct rusage ru;
	unsigned int i, seed = 12345;
	struct mgp_arena_opts o = { .size = 1ULL << 30, .backend = MGP_BACKEND_ANON };

	for (i = 0; i < 4096; i++) {
		seed = seed * 1103515245 + 12345;
		sizes[i] = 16 + (seed >> 8) % 1009;
	}
	if (!strcmp(mode, "api")) {
		arena = mgp_arena_create(&o);
		if (!arena)
			return 1;
	}
	for (i = 0; i < 3; i++) {
		t = run_st();
		st = t < st ? t : st;
		t = run_xthread();
		xt = t < xt ? t : xt;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("result %.1f %.1f %ld\n", st, xt, ru.ru_maxrss);
	return 0;
}

struct peer {
	const char *name;
	const char *glob;	/* the library to preload; NULL: none */
	char path[256];
	double st, xt;
	long rss;
	int ok;		/* measured, and failed in no pass */
	int failed;	/* missing or failed: no more passes */
};

static struct peer peers[] = {
	{ .name = "magpie-api" },
	{ .name = "magpie", .glob = MGP_SHIM },
	{ .name = "glibc" },
	{ .name = "jemalloc", .glob = "/usr/lib/*-linux-gnu/libjemalloc.so.2" },
	{ .name = "tcmalloc", .glob = "/usr/lib/*-linux-gnu/libtcmalloc_minimal.so.4" },
	{ .name = "mimalloc", .glob = "/usr/lib/*-linux-gnu/libmimalloc.so.2*" },
};

#define NR_PEERS	(sizeof(peers) / sizeof(*peers))

static int find_lib(struct peer *p)
{
	glob_t g;
	int found;

	if (!p->glob)
		return 1;
	if (glob(p->glob, 0, NULL, &g))
		return 0;
	found = g.gl_pathc > 0;
	if (found)
		snprintf(p->path, sizeof(p->path), "%s", g.gl_pathv[0]);
	globfree(&g);
	return found;
}

/* apt-get install the peers that are missing; apt-get update once if that fails. */
static void install_peers(void)
{
	static const char pkgs[] = "libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0";
	const char *sudo = geteuid() ? "sudo " : "";
	unsigned int i;
	int missing = 0;
	char cmd[512];

	for (i = 3; i < NR_PEERS; i++)
		missing += !find_lib(&peers[i]);
	if (!missing)
		return;
	snprintf(cmd, sizeof(cmd),
		 "%senv DEBIAN_FRONTEND=noninteractive apt-get install -y -q %s >&2", sudo, pkgs);
	fprintf(stderr, "bench-userlib: installing the peers: %s\n", cmd);
	if (system(cmd)) {
		char update[128];

		snprintf(update, sizeof(update), "%sapt-get update -q >&2", sudo);
		if (system(update) || system(cmd))
			fprintf(stderr, "bench-userlib: apt-get failed, peers skipped\n");
	}
}

static void run_peer(const char *self, struct peer *p)
{
	char cmd[1024];
	double st, xt;
	long rss;
	FILE *f;
	int ok;

	if (p->failed)
		return;
	if (p->glob && !find_lib(p)) {
		fprintf(stderr, "bench-userlib: %s not installed, skipped\n", p->name);
		p->failed = 1;
		return;
	}
	/* The same binary; only the preloaded library differs. */
	snprintf(cmd, sizeof(cmd), "%s%s %s --child %s",
		 p->glob ? "env LD_PRELOAD=" : "", p->glob ? p->path : "", self,
		 strcmp(p->name, "magpie-api") ? "malloc" : "api");
	f = popen(cmd, "r");
	if (!f)
		return;
	ok = fscanf(f, "result %lf %lf %ld", &st, &xt, &rss) == 3;
	if (pclose(f))
		ok = 0;
	if (!ok) {
		/* A failure in any pass drops the peer: no figures from the others. */
		fprintf(stderr, "bench-userlib: %s failed\n", p->name);
		p->failed = 1;
		p->ok = 0;
		return;
	}
	/* Best times and largest peak over the passes. */
	p->st = p->ok && p->st < st ? p->st : st;
	p->xt = p->ok && p->xt < xt ? p->xt : xt;
	p->rss = p->ok && p->rss > rss ? p->rss : rss;
	p->ok = 1;
}

int main(int argc, char **argv)
{
	unsigned int i, m, pass;

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	install_peers();
	/*
	 * Whole passes over the peers rather than one child each: the machine's
	 * speed drifts over seconds, and a peer measured only in a slow spell
	 * would look worse than it is.
	 */
	for (pass = 0; pass < PASSES; pass++)
		for (i = 0; i < NR_PEERS; i++)
			run_peer(argv[0], &peers[i]);
	printf("%-12s %12s %14s %14s\n", "allocator", "st ns/block", "xthread ns/blk",
	       "peak RSS KiB");
	for (i = 0; i < NR_PEERS; i++)
		if (peers[i].ok)
			printf("%-12s %12.1f %14.1f %14ld\n", peers[i].name, peers[i].st,
			       peers[i].xt, peers[i].rss);
	for (m = 0; m < 2; m++) {
		struct peer *me = &peers[m];

		if (!me->ok)
			continue;
		for (i = 2; i < NR_PEERS; i++) {
			if (!peers[i].ok)
				continue;
			printf("bench st %s/%s %.2f\n", me->name, peers[i].name,
			       me->st / peers[i].st);
			printf("bench xthread %s/%s %.2f\n", me->name, peers[i].name,
			       me->xt / peers[i].xt);
		}
	}
	return 0;
}
