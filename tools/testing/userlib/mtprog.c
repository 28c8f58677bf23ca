// SPDX-License-Identifier: GPL-2.0
/*
 * A plain C program for the LD_PRELOAD tests (preload.c runs it under
 * libmagpie-malloc.so): four threads malloc, fill and pass blocks to each
 * other to check and free (cross-thread frees), fork()s while they run,
 * and the whole malloc family is checked for its POSIX behaviour.
 *   mtprog          all of it; prints "mtprog ok preloaded=<0|1>"
 *   mtprog grow N   mallocs N blocks of 16 MiB without touching them
 *   mtprog touch N  mallocs N blocks of 1 MiB and writes every byte
 * preloaded=1 is libmagpie's fingerprint: malloc_usable_size(malloc(20))
 * is 32 there (the 32-byte class) and 24 in glibc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS	4
#define RING	256
#define ROUNDS	40000

static int bad;

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "mtprog: line %d: %s\n", __LINE__, #c); \
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);	\
		}							\
	} while (0)

/* One ring per thread: others put blocks in, the owner checks and frees them. */
struct ring {
	pthread_mutex_t lock;
	unsigned char *blk[RING];
	size_t size[RING];
	int n;
};

static struct ring rings[THREADS];
static int finished;

static void drain(int me);

/* Waits for room, draining its own ring meanwhile (no cycle of waiters). */
static void put(int me, int to, unsigned char *p, size_t size)
{
	struct ring *r = &rings[to];

	for (;;) {
		pthread_mutex_lock(&r->lock);
		if (r->n < RING) {
			r->blk[r->n] = p;
			r->size[r->n++] = size;
			pthread_mutex_unlock(&r->lock);
			return;
		}
		pthread_mutex_unlock(&r->lock);
		drain(me);
		sched_yield();
	}
}

static void drain(int me)
{
	struct ring *r = &rings[me];

	pthread_mutex_lock(&r->lock);
	while (r->n) {
		unsigned char *p = r->blk[--r->n];
		size_t size = r->size[r->n], i;

		for (i = 0; i < size; i += 61)
			CHECK(p[i] == (unsigned char)(size + i));
		CHECK(malloc_usable_size(p) >= size);
		free(p);
	}
	pthread_mutex_unlock(&r->lock);
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg, i;
	unsigned int seed = me * 7 + 1;

	for (i = 0; i < ROUNDS; i++) {
		size_t size = (seed = seed * 1103515245 + 12345) >> 16;
		unsigned char *p;
		size_t j;

		size = size % 8 == 0 ? size % 200000 + 1 : size % 2048 + 1;
		p = malloc(size);
		CHECK(p);
		if (!p)
			continue;
		for (j = 0; j < size; j += 61)
			p[j] = (unsigned char)(size + j);
		put(me, (me + 1 + i % (THREADS - 1)) % THREADS, p, size);
		if (i % 16 == 0)
			drain(me);
	}
	/* Others may still be waiting for room in this ring. */
	__atomic_fetch_add(&finished, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&finished, __ATOMIC_RELAXED) < THREADS) {
		drain(me);
		sched_yield();
	}
	return NULL;
}

/* fork() while the workers run: the child must be able to allocate. */
static void forks(void)
{
	int k, status;

	for (k = 0; k < 3; k++) {
		pid_t pid = fork();

		if (!pid) {
			void *v[100];
			int i;

			alarm(10);
			for (i = 0; i < 100; i++)
				v[i] = malloc(100 + i * 300);
			for (i = 0; i < 100; i++)
				free(v[i]);
			_exit(0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		usleep(2000);
	}
}

static void family(void)
{
	/* SIZE_MAX / 2, out of sight of the compiler's own size checks. */
	size_t huge = strtoull("9223372036854775807", NULL, 10);
	void *p = NULL, *q;
	size_t a;

	for (a = sizeof(void *); a <= (1 << 16); a <<= 1) {
		CHECK(posix_memalign(&p, a, 100) == 0 && (uintptr_t)p % a == 0);
		free(p);
		q = aligned_alloc(a, 3 * a);
		CHECK(q && (uintptr_t)q % a == 0);
		free(q);
		q = memalign(a, 10);
		CHECK(q && (uintptr_t)q % a == 0);
		free(q);
	}
	CHECK(posix_memalign(&p, 24, 100) == EINVAL);
	CHECK(posix_memalign(&p, 2, 100) == EINVAL);
	q = valloc(10);
	CHECK(q && (uintptr_t)q % 4096 == 0);
	free(q);
	q = pvalloc(5000);
	CHECK(q && (uintptr_t)q % 4096 == 0 && malloc_usable_size(q) >= 8192);
	free(q);
	errno = 0;
	CHECK(!calloc(huge, 4) && errno == ENOMEM);
	errno = 0;
	CHECK(!reallocarray(NULL, huge, 4) && errno == ENOMEM);
	q = calloc(1000, 33);
	CHECK(q);
	for (a = 0; q && a < 33000; a++)
		CHECK(((unsigned char *)q)[a] == 0);
	q = realloc(q, 100000);
	CHECK(q && ((unsigned char *)q)[32999] == 0);
	q = realloc(q, 10);
	CHECK(q && ((unsigned char *)q)[9] == 0);
	free(q);
	for (a = 17; a <= 24; a++) {	/* 16-byte alignment above 8 bytes */
		q = malloc(a);
		CHECK((uintptr_t)q % 16 == 0);
		free(q);
	}
	free(NULL);
	CHECK(malloc_usable_size(NULL) == 0);
	q = malloc(0);
	CHECK(q);
	free(q);
}

/*
 * Requests no arena could hold fail with ENOMEM and add no arena (the
 * preload test reads "arenas 1" from the stats line); then a small one
 * still succeeds in the first arena.
 */
static void too_big(void)
{
	size_t huge = strtoull("9223372036854775807", NULL, 10);
	void *p = NULL, *q;

	errno = 0;
	CHECK(!malloc(huge) && errno == ENOMEM);
	errno = 0;
	CHECK(!calloc(1, (size_t)1 << 40) && errno == ENOMEM);
	errno = 0;
	CHECK(!realloc(NULL, (size_t)100 << 30) && errno == ENOMEM);
	p = malloc(10);
	CHECK(p);
	q = realloc(p, (size_t)100 << 30);
	CHECK(!q && errno == ENOMEM);
	free(q ? q : p);	/* a failed realloc() leaves @p as it was */
	p = NULL;
	errno = 0;
	CHECK(posix_memalign(&p, (size_t)1 << 40, 8) == ENOMEM && !p && errno == 0);
	p = malloc(100);
	CHECK(p);
	free(p);
}

/*
 * A fork whose child has no address space left for the private copy of a
 * device arena: the child must stop (SIGABRT, with a message) instead of
 * running on in the heap it shares with its parent. Prints the child's
 * fate; the parent goes on unharmed.
 */
static void fork_no_copy(void)
{
	unsigned long pages = 0;
	struct rlimit rl, old;
	int status = 0;
	FILE *f;
	pid_t pid;
	void *p;

	f = fopen("/proc/self/statm", "r");
	CHECK(f && fscanf(f, "%lu", &pages) == 1);
	if (f)
		fclose(f);
	CHECK(!getrlimit(RLIMIT_AS, &old));
	/* Room for the child's small needs, not for a copy of the mapping. */
	rl.rlim_cur = pages * 4096 + (64 << 20);
	rl.rlim_max = old.rlim_max;
	CHECK(!setrlimit(RLIMIT_AS, &rl));
	pid = fork();
	if (!pid) {
		p = malloc(100);
		free(p);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(!setrlimit(RLIMIT_AS, &old));
	printf("child %s\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT ? "aborted" :
	       WIFEXITED(status) ? "exited" : "other");
	p = malloc(100);
	CHECK(p);
	free(p);
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	void *probe;
	int i, preloaded;

	if (argc == 3 && !strcmp(argv[1], "grow")) {
		for (i = 0; i < atoi(argv[2]); i++)
			CHECK(malloc(16 << 20));
		printf("mtprog grow %s\n", bad ? "failed" : "ok");
		return !!bad;
	}
	if (argc == 3 && !strcmp(argv[1], "touch")) {
		for (i = 0; i < atoi(argv[2]); i++) {
			char *p = malloc(1 << 20);

			CHECK(p);
			if (p)
				memset(p, i, 1 << 20);
		}
		printf("mtprog touch %s\n", bad ? "failed" : "ok");
		return !!bad;
	}
	if (argc == 2 && !strcmp(argv[1], "fork-no-copy")) {
		fork_no_copy();
		printf("mtprog fork-no-copy %s\n", bad ? "failed" : "ok");
		return !!bad;
	}
	if (argc == 2 && !strcmp(argv[1], "too-big")) {
		too_big();
		printf("mtprog too-big %s\n", bad ? "failed" : "ok");
		return !!bad;
	}
	probe = malloc(20);
	preloaded = malloc_usable_size(probe) == 32;
	free(probe);
	for (i = 0; i < THREADS; i++)
		pthread_mutex_init(&rings[i].lock, NULL);
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	forks();
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < THREADS; i++)
		drain(i);
	family();
	printf("mtprog %s preloaded=%d\n", bad ? "failed" : "ok", preloaded);
	return !!bad;
}
