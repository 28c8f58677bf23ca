// SPDX-License-Identifier: GPL-2.0
/*
 * magpie-demo: what `make run` shows of userspace. A program allocates
 * objects of every size class from a /dev/magpie arena through libmagpie,
 * shows the arena in /proc/magpie/arenas (through magpie-stat), frees most
 * of them, gives the free spans back to the kernel, and shows the arena
 * again: the kernel's backed pages follow the live set. Exits non-zero if
 * any object lost its contents or a step failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmagpie.h>

#define OBJECTS		20000
#define KEEP_ONE_IN	10

static unsigned int rng = 12345;

static unsigned int next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static void show(struct mgp_arena *arena, const char *when)
{
	struct mgp_stats st;

	if (mgp_arena_stats(arena, &st)) {
		perror("mgp_arena_stats");
		return;
	}
	printf("-- %s: backend %s, %llu KiB in spans, %llu KiB backed, %llu KiB released so far\n",
	       when, st.backend, (unsigned long long)st.bytes_in_use >> 10,
	       (unsigned long long)st.bytes_backed >> 10,
	       (unsigned long long)st.bytes_released >> 10);
	fflush(stdout);
	if (system("magpie-stat --once arenas"))
		printf("(magpie-stat failed)\n");
}

int main(void)
{
	struct mgp_arena_opts opts = { .size = 256 << 20, .backend = MGP_BACKEND_DEVICE };
	static unsigned char *obj[OBJECTS];
	static unsigned int len[OBJECTS];
	struct mgp_arena *arena;
	unsigned int i, j, bad = 0;

	arena = mgp_arena_create(&opts);
	if (!arena) {
		fprintf(stderr, "magpie-demo: no /dev/magpie arena: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < OBJECTS; i++) {
		len[i] = 8 + next_rand() % (i % 100 ? 2048 : 32768);
		obj[i] = mgp_alloc(arena, len[i]);
		if (!obj[i]) {
			fprintf(stderr, "magpie-demo: mgp_alloc(%u): %s\n", len[i],
				strerror(errno));
			return 1;
		}
		memset(obj[i], (unsigned char)i, len[i]);
	}
	printf("allocated %d objects of 8..32768 bytes from a /dev/magpie arena\n", OBJECTS);
	show(arena, "after the allocations");

	for (i = 0; i < OBJECTS; i++) {
		if (i % KEEP_ONE_IN == 0)
			continue;
		if (mgp_free(arena, obj[i])) {
			fprintf(stderr, "magpie-demo: mgp_free: %s\n", strerror(errno));
			return 1;
		}
		obj[i] = NULL;
	}
	/* Free spans go back to the kernel: MAGPIE_IOC_RELEASE. */
	if (mgp_arena_trim(arena))
		perror("mgp_arena_trim");
	printf("\nfreed 9 in 10 objects and trimmed the arena (free spans released)\n");
	show(arena, "after the release");

	for (i = 0; i < OBJECTS; i += KEEP_ONE_IN)
		for (j = 0; j < len[i]; j++)
			bad += obj[i][j] != (unsigned char)i;
	printf("\n%d live objects checked: %s\n", OBJECTS / KEEP_ONE_IN,
	       bad ? "CONTENTS LOST" : "contents intact");
	mgp_arena_close(arena);
	return bad ? 1 : 0;
}
