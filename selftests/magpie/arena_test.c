// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/magpie arenas over their life: releases that really free memory,
 * mappings that outlive the file, fork, partial munmap, racing threads,
 * the per-open limit for an unprivileged user, /proc/magpie/arenas, the
 * memory-pressure epoch and module unload while mapped. Needs magpie.ko
 * loaded; runs as root in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest/kselftest_harness.h"
#include "arena_util.h"
#include "util.h"

FIXTURE(arena) {
	int fd;
	struct magpie_arena_create c;
	unsigned char *map;
	unsigned char *data;
};

FIXTURE_SETUP(arena)
{
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mp_create(self->fd, 1024 * PG, &self->c));
	self->map = mp_map(self->fd, &self->c);
	ASSERT_NE(MAP_FAILED, self->map);
	self->data = self->map + self->c.data_offset;
}

FIXTURE_TEARDOWN(arena)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->c.map_size);
	if (self->fd >= 0)
		close(self->fd);
}

/* 4 MiB touched, then released: the pages go and RSS falls with them. */
TEST_F(arena, release_frees_pages_and_rss)
{
	unsigned long long released = 0;
	struct magpie_arena_stats st;
	long before, touched, after;
	unsigned int i;

	/*
	 * 6.1 folds a task's RSS counters into the mm's every 64 faults, so
	 * a reading can lag by up to 64 pages (256 kB).
	 */
	before = mp_rss_file_kb();
	ASSERT_LE(0, before);
	for (i = 0; i < 1024; i++)
		self->data[i * PG] = i | 1;
	touched = mp_rss_file_kb();
	EXPECT_LE(before + 4096 - 256, touched);
	ASSERT_EQ(0, mp_release(self->fd, self->c.id, self->c.data_offset + 512 * PG,
				512 * PG, &released));
	EXPECT_EQ(512ULL, released);
	after = mp_rss_file_kb();
	EXPECT_GE(touched - 2048 + 256, after)
		TH_LOG("RssFile %ld -> %ld -> %ld kB", before, touched, after);
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(1ULL + 512, st.pages_backed);
	EXPECT_EQ(512ULL, st.pages_released);
	EXPECT_EQ(1ULL, st.releases);
	/* Released pages read zero again; the others kept their bytes. */
	for (i = 0; i < 1024; i++)
		ASSERT_EQ(i < 512 ? (i | 1) & 0xff : 0, self->data[i * PG]) TH_LOG("page %u", i);
	/* A second release of the same range frees nothing new... */
	ASSERT_EQ(0, mp_release(self->fd, self->c.id, self->c.data_offset + 600 * PG,
				PG, &released));
	EXPECT_EQ(1ULL, released);	/* ...but the read above backed the pages again */
}

/* A release unmaps the pages from every mapping of the arena. */
TEST_F(arena, release_reaches_every_mapping)
{
	unsigned char *second;

	second = mp_map(self->fd, &self->c);
	ASSERT_NE(MAP_FAILED, second);
	memset(self->data, 0x77, 8 * PG);
	EXPECT_EQ(0x77, second[self->c.data_offset + 3 * PG]);
	ASSERT_EQ(0, mp_release(self->fd, self->c.id, self->c.data_offset, 8 * PG, NULL));
	EXPECT_EQ(0, second[self->c.data_offset + 3 * PG]);
	EXPECT_EQ(0, self->data[5 * PG]);
	munmap(second, self->c.map_size);
}

/* close() while mapped: the mapping keeps the file and works; munmap ends it. */
TEST_F(arena, mapping_outlives_close)
{
	char *text;
	char needle[32];

	memset(self->data, 0x42, 4 * PG);
	close(self->fd);
	self->fd = -1;
	self->data[8 * PG] = 0x43;
	EXPECT_EQ(0x42, self->data[3 * PG]);
	EXPECT_EQ(0x43, self->data[8 * PG]);
	text = slurp(ARENAS);
	ASSERT_NE(NULL, text);
	snprintf(needle, sizeof(needle), "\n%6u %7d ", self->c.id, getpid());
	EXPECT_NE(NULL, strstr(text, needle)) TH_LOG("%s", text);
	free(text);
	ASSERT_EQ(0, munmap(self->map, self->c.map_size));
	self->map = MAP_FAILED;
	/* The last reference went with the mapping: the arena is gone. */
	text = slurp(ARENAS);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(NULL, strstr(text, needle)) TH_LOG("%s", text);
	free(text);
}

/*
 * A child inherits the mapping as any shared one: both see the same pages,
 * the child's VMA counts as a mapping, and its exit leaves the arena alone.
 */
TEST_F(arena, fork_child_shares_mapping)
{
	struct magpie_arena_stats st;
	int status, go[2];
	char byte;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	self->data[0] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = self->data[0] == 1;

		self->data[PG] = 2;	/* a page the parent never touched */
		ok &= read(go[0], &byte, 1) == 1;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(2ULL, st.mappings);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(2, self->data[PG]);
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(1ULL, st.mappings);
	close(go[0]);
	close(go[1]);
}

/* A hole punched in the middle leaves two live mappings, then none. */
TEST_F(arena, partial_munmap)
{
	struct magpie_arena_stats st;
	unsigned char *hole = self->data + 100 * PG;

	memset(self->data, 0x11, 300 * PG);
	ASSERT_EQ(0, munmap(hole, 100 * PG));
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(2ULL, st.mappings);
	EXPECT_EQ(0x11, self->data[50 * PG]);
	EXPECT_EQ(0x11, self->data[250 * PG]);
	/* The pages under the hole are still backed: unmapping is not releasing. */
	EXPECT_EQ(1ULL + 300, st.pages_backed);
	ASSERT_EQ(0, munmap(self->map, self->c.data_offset + 100 * PG));
	ASSERT_EQ(0, munmap(hole + 100 * PG, self->c.map_size - self->c.data_offset - 200 * PG));
	self->map = MAP_FAILED;
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(0ULL, st.mappings);
}

struct race {
	int fd;
	struct magpie_arena_create *c;
	int stop;		/* __atomic: set by the test, read by the threads */
	unsigned long rounds;
	int err;
};

/* Maps, touches and unmaps the arena's data over and over. */
static void *race_mapper(void *arg)
{
	struct race *r = arg;
	unsigned char *m;
	unsigned int i;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		m = mp_map(r->fd, r->c);
		if (m == MAP_FAILED) {
			r->err = errno;
			break;
		}
		for (i = 0; i < 64; i++)
			m[r->c->data_offset + i * PG] = (unsigned char)i;
		munmap(m, r->c->map_size);
		r->rounds++;
	}
	return NULL;
}

/* Threads racing munmap/mmap/faults against releases and stats. */
TEST_F_TIMEOUT(arena, race_munmap_against_ioctls, 180)
{
	struct race r = { .fd = self->fd, .c = &self->c };
	struct magpie_arena_stats st;
	pthread_t t[2];
	unsigned int i;

	ASSERT_EQ(0, pthread_create(&t[0], NULL, race_mapper, &r));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, race_mapper, &r));
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, mp_release(self->fd, self->c.id, self->c.data_offset, 64 * PG, NULL));
		ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
		self->data[(i % 64) * PG] = 1;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	EXPECT_EQ(0, r.err);
	EXPECT_LT(0UL, r.rounds);
	ASSERT_EQ(0, mp_release(self->fd, self->c.id, self->c.data_offset, 64 * PG, NULL));
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(1ULL, st.pages_backed);
	EXPECT_EQ(1ULL, st.mappings);
}

/* The header's per-class figures are shown clamped; a bad magic is flagged. */
TEST_F(arena, proc_line_clamps_header)
{
	struct magpie_arena_header *h = (struct magpie_arena_header *)self->map;
	unsigned long spans, objects, kb, backed;
	char needle[32], hdr[8], *text, *line;
	int fields;

	h->classes[1].spans = 3;		/* 8-byte objects, 512 a span */
	h->classes[1].objects = 1000;
	h->classes[MAGPIE_NR_SIZECLASSES - 1].spans = 0xffffffffu;	/* 32 KiB, 8 pages */
	h->classes[MAGPIE_NR_SIZECLASSES - 1].objects = ~0ULL;
	memset(self->data, 1, 5 * PG);
	text = slurp(ARENAS);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, strncmp(text, "magpie arenas - version: 1.0 open_limit_kb: ", 44));
	snprintf(needle, sizeof(needle), "\n%6u %7d ", self->c.id, getpid());
	line = strstr(text, needle);
	ASSERT_NE(NULL, line) TH_LOG("%s", text);
	fields = sscanf(line, "%*u %*d %*s %*u %*u %lu %*u %*u %*u %*d %*u %*u %7s %lu %lu %lu",
			&backed, hdr, &spans, &objects, &kb);
	ASSERT_EQ(5, fields) TH_LOG("%s", line);
	EXPECT_EQ(6UL, backed);
	EXPECT_STREQ("ok", hdr);
	/* 1024 data pages hold at most 128 spans of 8 pages, 1 object each. */
	EXPECT_EQ(3UL + 128, spans);
	EXPECT_EQ(1000UL + 128, objects);
	EXPECT_EQ((1000UL * 8 + 128 * 32768) >> 10, kb);
	free(text);

	h->magic = 0;
	text = slurp(ARENAS);
	ASSERT_NE(NULL, text);
	line = strstr(text, needle);
	ASSERT_NE(NULL, line);
	fields = sscanf(line, "%*u %*d %*s %*u %*u %*u %*u %*u %*u %*d %*u %*u %7s", hdr);
	ASSERT_EQ(1, fields);
	EXPECT_STREQ("bad", hdr);
	free(text);
}

/* Arena @id's line in @text, read from /proc/magpie/arenas, or NULL. */
static const char *proc_arena_line(const char *text, unsigned int id)
{
	const char *line;
	unsigned int aid;

	for (line = text ? strchr(text, '\n') : NULL; line; line = strchr(line + 1, '\n'))
		if (sscanf(line + 1, "%u", &aid) == 1 && aid == id)
			return line + 1;
	return NULL;
}

/* The third field (comm) of arena @id's line, or "". */
static void proc_arena_comm(unsigned int id, char comm[80])
{
	char *text = slurp(ARENAS);
	const char *line = proc_arena_line(text, id);

	if (!line || sscanf(line, "%*u %*d %79s", comm) != 1)
		comm[0] = '\0';
	free(text);
}

/*
 * Any task may name itself: the owner's name is one field whatever it
 * holds (a space, a backslash, a tab and a byte past ASCII come octal
 * escaped), and an empty one is "-".
 */
TEST(proc_arenas_escapes_comm)
{
	static const struct { const char *name, *shown; } cases[] = {
		{ "a b\\c\td\xe9", "a\\040b\\134c\\011d\\351" },
		{ "", "-" },
	};
	struct magpie_arena_create c;
	char old[16] = "", comm[80];
	unsigned int i;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, prctl(PR_GET_NAME, old));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, prctl(PR_SET_NAME, cases[i].name));
		ASSERT_EQ(0, mp_create(fd, 16 * PG, &c));
		prctl(PR_SET_NAME, old);
		proc_arena_comm(c.id, comm);
		EXPECT_STREQ(cases[i].shown, comm);
	}
	close(fd);
}

/* A prefaulted page is backed and zero; the touch that follows only maps it. */
TEST_F(arena, prefault_sync_backs_without_faults)
{
	unsigned long long backed = 0;
	struct magpie_arena_stats st;
	unsigned int i;

	ASSERT_EQ(0, mp_prefault(self->fd, self->c.id, 0, self->c.data_offset, 64 * PG, &backed));
	EXPECT_EQ(64ULL, backed);
	/* Again: nothing new to back. The metadata area may be prefaulted too. */
	ASSERT_EQ(0, mp_prefault(self->fd, self->c.id, 0, self->c.data_offset, 64 * PG, &backed));
	EXPECT_EQ(0ULL, backed);
	ASSERT_EQ(0, mp_prefault(self->fd, self->c.id, 0, self->c.meta_offset, PG, &backed));
	EXPECT_EQ(1ULL, backed);
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, self->data[i * PG + 100]);
		self->data[i * PG] = 1;
	}
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(1ULL + 64 + 1, st.pages_backed);
	EXPECT_EQ(65ULL, st.prefaulted);
	EXPECT_EQ(0ULL, st.faults);
}

/* An asynchronous prefault returns at once; the worker pool backs the range. */
TEST_F_TIMEOUT(arena, prefault_async_on_the_pool, 120)
{
	unsigned long long backed = 1;
	struct magpie_arena_stats st;
	unsigned int tries;

	ASSERT_EQ(0, mp_prefault(self->fd, self->c.id, MAGPIE_PREFAULT_ASYNC, self->c.data_offset,
				 1024 * PG, &backed));
	EXPECT_EQ(0ULL, backed);
	for (tries = 0; tries < 1000; tries++) {
		ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
		if (st.prefaulted == 1024)
			break;
		usleep(10000);
	}
	EXPECT_EQ(1024ULL, st.prefaulted);
	EXPECT_EQ(1ULL + 1024, st.pages_backed);
	EXPECT_EQ(0, self->data[1023 * PG]);
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(0ULL, st.faults);
}

/* Closing everything while asynchronous prefaults run: the arena waits for them. */
TEST_F(arena, prefault_async_then_close)
{
	ASSERT_EQ(0, mp_prefault(self->fd, self->c.id, MAGPIE_PREFAULT_ASYNC, self->c.data_offset,
				 1024 * PG, NULL));
	ASSERT_EQ(0, munmap(self->map, self->c.map_size));
	self->map = MAP_FAILED;
	close(self->fd);
	self->fd = -1;
}

TEST_F(arena, prefault_bad_input)
{
	unsigned long long data = self->c.data_offset, end = self->c.map_size;
	struct magpie_prefault p;

	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 2, data, PG, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 0, data, 0, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 0, data + 1, PG, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 0, data, PG - 1, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 0, 0, PG, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 0, end, PG, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, 0, end - PG, 2 * PG, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id, MAGPIE_PREFAULT_ASYNC, data,
				      ~0ULL & ~(PG - 1), NULL));
	EXPECT_EQ(ENOENT, mp_prefault(self->fd, self->c.id + 9, 0, data, PG, NULL));
	/* Bad input is refused before the arena is looked up. */
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id + 9, 2, data, PG, NULL));
	EXPECT_EQ(EINVAL, mp_prefault(self->fd, self->c.id + 9, 0, data + 1, PG, NULL));
	p = (struct magpie_prefault){ .id = self->c.id, .offset = data, .length = PG, .backed = 1 };
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_PREFAULT, &p));
	p = (struct magpie_prefault){ .id = self->c.id, .offset = data, .length = PG };
	p.reserved[0] = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_PREFAULT, &p));
	EXPECT_EQ(EFAULT, mp_ioctl(self->fd, MAGPIE_IOC_PREFAULT, NULL));
}

TEST(proc_arenas_root_only_and_read_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(ARENAS, &st));
	EXPECT_EQ(0400u, st.st_mode & 07777u);
	EXPECT_EQ(EIO, write_str(ARENAS, "1\n"));
}

/*
 * Memory pressure bumps the epoch of an arena whose client says it keeps
 * free spans, once per answer: not again until pressure_seen catches up.
 */
TEST_F(arena, pressure_epoch_follows_answers)
{
	struct magpie_arena_header *h = (struct magpie_arena_header *)self->map;
	struct magpie_arena_stats st;

	memset(self->data, 1, 32 * PG);
	EXPECT_EQ(0, write_str("/proc/sys/vm/drop_caches", "2\n"));
	EXPECT_EQ(0ULL, h->pressure_epoch);	/* nothing cached, nothing asked */
	h->cached_free_bytes = 16 * PG;
	EXPECT_EQ(0, write_str("/proc/sys/vm/drop_caches", "2\n"));
	EXPECT_EQ(1ULL, h->pressure_epoch);
	EXPECT_EQ(0, write_str("/proc/sys/vm/drop_caches", "2\n"));
	EXPECT_EQ(1ULL, h->pressure_epoch);	/* not answered yet */
	h->pressure_seen = 1;
	EXPECT_EQ(0, write_str("/proc/sys/vm/drop_caches", "2\n"));
	EXPECT_EQ(2ULL, h->pressure_epoch);
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(2ULL, st.pressure_epoch);
}

TEST(open_limit_param_checked)
{
	char *old = slurp(OPEN_LIMIT), *now;

	ASSERT_NE(NULL, old);
	EXPECT_EQ(EINVAL, write_str(OPEN_LIMIT, "0"));
	EXPECT_EQ(EINVAL, write_str(OPEN_LIMIT, "1048577"));
	EXPECT_EQ(EINVAL, write_str(OPEN_LIMIT, "lots"));
	EXPECT_EQ(0, write_str(OPEN_LIMIT, "7"));
	now = slurp(OPEN_LIMIT);
	ASSERT_NE(NULL, now);
	EXPECT_STREQ("7\n", now);
	EXPECT_EQ(0, write_str(OPEN_LIMIT, old));
	free(now);
	free(old);
}

static sigjmp_buf limit_jmp;

static void limit_sigbus(int sig)
{
	(void)sig;
	siglongjmp(limit_jmp, 1);
}

/*
 * As nobody: the 0600 node refuses; opened up (0666), a 1 MiB per-open
 * limit stops the 256th page with SIGBUS, the knob is root's, and the
 * stats agree. Exit codes: 0 ok, 10+ which check failed.
 */
/*
 * As nobody: the 0600 node refuses; opened up (0666), a 1 MiB per-open
 * limit stops the 256th page with SIGBUS, the knob is root's, and the
 * stats agree. The child says on @ready when its refusals are checked
 * and waits on @go for the parent to open the node up (a child that is
 * nobody may not signal root). Exit codes: 0 ok, 10+ which check failed.
 */
static int limit_child(int ready, int go)
{
	struct magpie_arena_create c;
	struct magpie_arena_stats st;
	unsigned char *map;
	unsigned long page;
	char byte = 0;
	int fd;

	if (setgid(65534) || setuid(65534))
		return 10;
	if (open(DEV, O_RDWR) >= 0 || errno != EACCES)
		return 11;
	if (write_str(OPEN_LIMIT, "4096") != EACCES)
		return 12;
	if (write(ready, &byte, 1) != 1 || read(go, &byte, 1) != 1)
		return 13;
	fd = open(DEV, O_RDWR);
	if (fd < 0 || mp_create(fd, 1024 * PG, &c))
		return 14;
	map = mp_map(fd, &c);
	if (map == MAP_FAILED)
		return 15;
	signal(SIGBUS, limit_sigbus);
	if (!sigsetjmp(limit_jmp, 1)) {
		for (page = 0; page < 1024; page++)
			map[c.data_offset + page * PG] = 1;
		return 16;	/* no SIGBUS: the limit did not hold */
	}
	/* 256 pages of 1 MiB: the header and 255 data pages, then SIGBUS. */
	if (mp_stats(fd, c.id, &st) || st.pages_backed != 256 || st.open_backed != 256)
		return 17;
	/* A synchronous prefault stops at the limit too. */
	if (mp_prefault(fd, c.id, 0, c.data_offset + 400 * PG, PG, NULL) != ENOSPC)
		return 18;
	/* Released pages make room again. */
	if (mp_release(fd, c.id, c.data_offset, 16 * PG, NULL))
		return 19;
	map[c.data_offset + 300 * PG] = 1;
	return 0;
}

TEST(unprivileged_per_open_limit)
{
	int ready[2], go[2], status;
	char *old = slurp(OPEN_LIMIT);
	char byte = 0;
	pid_t pid;

	ASSERT_NE(NULL, old);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, write_str(OPEN_LIMIT, "1"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(limit_child(ready[1], go[0]));
	close(ready[1]);
	close(go[0]);
	/* EOF instead of a byte: the child failed before it got there. */
	if (read(ready[0], &byte, 1) == 1) {
		EXPECT_EQ(0, chmod(DEV, 0666));
		EXPECT_EQ(1, write(go[1], &byte, 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	chmod(DEV, 0600);
	close(ready[0]);
	close(go[1]);
	EXPECT_EQ(0, write_str(OPEN_LIMIT, old));
	free(old);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * The header page counts against the open file's limit: with 1 MiB (256
 * pages) and 251 backed by the first arena, five more arenas fit and the
 * sixth is -ENOSPC until one goes. Returns 0 or the step that failed, so
 * that the caller restores the limit whatever happened.
 */
static int header_limit_steps(void)
{
	struct magpie_arena_destroy d = { 0 };
	struct magpie_arena_create c, more = { 0 }, refused;
	struct magpie_arena_stats st;
	unsigned int i;
	int fd, step = 0;

	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return 1;
	if (mp_create(fd, 1024 * PG, &c) || mp_prefault(fd, c.id, 0, c.data_offset, 250 * PG, NULL))
		step = 2;
	for (i = 0; i < 5 && !step; i++)
		if (mp_create(fd, PG, &more))
			step = 3;
	if (!step && mp_create(fd, PG, &refused) != ENOSPC)
		step = 4;
	if (!step && (mp_stats(fd, c.id, &st) || st.open_backed != 256))
		step = 5;
	d.id = more.id;
	if (!step && (mp_ioctl(fd, MAGPIE_IOC_ARENA_DESTROY, &d) || mp_create(fd, PG, &more)))
		step = 6;
	close(fd);
	return step;
}

TEST(header_page_counts_against_limit)
{
	char *old = slurp(OPEN_LIMIT);
	int step;

	ASSERT_NE(NULL, old);
	ASSERT_EQ(0, write_str(OPEN_LIMIT, "1"));
	step = header_limit_steps();
	EXPECT_EQ(0, write_str(OPEN_LIMIT, old));
	free(old);
	EXPECT_EQ(0, step) TH_LOG("failed at step %d", step);
}

/*
 * One arena has at most MAGPIE_PREFAULT_ASYNC_MAX queued: a longer request
 * is -EINVAL, the whole cap beside 96 MiB queued is -EBUSY (it would need
 * all 48 chunks of the first done between two ioctls), and once the first
 * is done the whole cap can be queued again. A task gives its chunk back
 * just after its last page, so the stats can show every page a moment
 * before that: the last request retries on -EBUSY for a while.
 */
TEST_F_TIMEOUT(arena, prefault_async_capped, 300)
{
	const unsigned long long max = MAGPIE_PREFAULT_ASYNC_MAX, part = 96ULL << 20;
	struct magpie_arena_create c;
	struct magpie_arena_stats st;
	unsigned int tries;
	int fd = self->fd, err;

	ASSERT_EQ(0, mp_create(fd, 2 * max, &c));
	EXPECT_EQ(EINVAL, mp_prefault(fd, c.id, MAGPIE_PREFAULT_ASYNC, c.data_offset, max + PG,
				      NULL));
	ASSERT_EQ(0, mp_prefault(fd, c.id, MAGPIE_PREFAULT_ASYNC, c.data_offset, part, NULL));
	EXPECT_EQ(EBUSY, mp_prefault(fd, c.id, MAGPIE_PREFAULT_ASYNC, c.data_offset + part, max,
				     NULL));
	/* A synchronous prefault is not queued: the cap does not apply. */
	EXPECT_EQ(0, mp_prefault(fd, c.id, 0, c.data_offset + max, PG, NULL));
	for (tries = 0; tries < 3000; tries++) {
		ASSERT_EQ(0, mp_stats(fd, c.id, &st));
		if (st.prefaulted == part / PG + 1)
			break;
		usleep(10000);
	}
	EXPECT_EQ(part / PG + 1, st.prefaulted);
	/* Drained: the cap is free again (the 96 MiB backed are skipped). */
	for (tries = 0; tries < 500; tries++) {
		err = mp_prefault(fd, c.id, MAGPIE_PREFAULT_ASYNC, c.data_offset, max, NULL);
		if (err != EBUSY)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, err);
}

struct long_prefault {
	int fd;
	unsigned int id;
	unsigned long long off, len;
	int err;
	int done;
};

static void *long_prefault_thread(void *arg)
{
	struct long_prefault *lp = arg;

	lp->err = mp_prefault(lp->fd, lp->id, 0, lp->off, lp->len, NULL);
	__atomic_store_n(&lp->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Pages backed in arena @id as /proc/magpie/arenas shows them, or -1. */
static long proc_arena_backed(unsigned int id)
{
	char *text = slurp(ARENAS);
	const char *line = proc_arena_line(text, id);
	unsigned long backed;
	long ret = -1;

	if (line && sscanf(line, "%*u %*d %*s %*u %*u %lu", &backed) == 1)
		ret = backed;
	free(text);
	return ret;
}

/* Whether task @pid sleeps in ioctl() (/proc/PID/syscall starts with its number). */
static bool in_ioctl(pid_t pid)
{
	char path[64], want[16], *text;
	bool ret;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	snprintf(want, sizeof(want), "%d ", SYS_ioctl);
	text = slurp(path);
	ret = text && !strncmp(text, want, strlen(want));
	free(text);
	return ret;
}

/*
 * A synchronous prefault holds the file's lock, so a caller killed during
 * one stops at once. Here a child sharing the file waits for that lock
 * behind its parent's long prefault, is killed there, and once it has the
 * lock backs nothing. Skips if the long prefault ends before the child is
 * seen waiting.
 */
TEST_F_TIMEOUT(arena, prefault_stops_when_caller_killed, 300)
{
	const unsigned long long big = 192ULL << 20, small = 4ULL << 20;
	struct magpie_arena_stats before, after;
	struct long_prefault lp;
	struct magpie_arena_create c;
	bool waiting = false;
	int fd = self->fd, status, i;
	pthread_t t;
	pid_t pid;

	ASSERT_EQ(0, mp_create(fd, big + small, &c));
	ASSERT_EQ(0, mp_stats(fd, c.id, &before));
	lp = (struct long_prefault){ .fd = fd, .id = c.id, .off = c.data_offset, .len = big };
	ASSERT_EQ(0, pthread_create(&t, NULL, long_prefault_thread, &lp));
	/* Pages appearing mean the long prefault holds the lock. */
	for (i = 0; i < 5000 && proc_arena_backed(c.id) <= (long)before.pages_backed; i++)
		usleep(1000);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mp_prefault(fd, c.id, 0, c.data_offset + big, small, NULL));
	for (i = 0; i < 10000 && !__atomic_load_n(&lp.done, __ATOMIC_ACQUIRE); i++) {
		if (in_ioctl(pid)) {
			waiting = true;
			break;
		}
		usleep(1000);
	}
	kill(pid, SIGKILL);
	/* Still running after the kill: the child was still waiting then. */
	waiting = waiting && !__atomic_load_n(&lp.done, __ATOMIC_ACQUIRE);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(0, lp.err);
	ASSERT_EQ(0, mp_stats(fd, c.id, &after));
	if (!waiting)
		SKIP(return, "the long prefault ended before the child was seen waiting");
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(before.pages_backed + big / PG, after.pages_backed);
}

/*
 * A 32-bit process maps with mmap2(), which reaches only arena ids below
 * 128: 64-bit creates get ids from 128 up, and with 128 arenas held here
 * the 32-bit arena32 program still creates, maps, touches and releases
 * one. Skips where the kernel cannot run 32-bit programs.
 */
TEST(arena_compat32)
{
	static const char helper[] = "/magpie/helpers/arena32";
	struct magpie_arena_create c;
	unsigned int i;
	int fd, status;
	pid_t pid;

	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < 128; i++) {
		ASSERT_EQ(0, mp_create(fd, PG, &c));
		EXPECT_LE(128U, c.id);
	}
	ASSERT_EQ(0, access(helper, X_OK)) TH_LOG("%s missing", helper);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(helper, helper, (char *)NULL);
		_exit(errno == ENOEXEC ? 99 : 98);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(fd);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	if (WEXITSTATUS(status) == 99)
		SKIP(return, "this kernel runs no 32-bit programs (IA32_EMULATION off)");
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("arena32 failed at step %d",
						 WEXITSTATUS(status));
}

/* The module stays while an arena is mapped, even after close(). */
TEST(unload_refused_while_mapped)
{
	struct magpie_arena_create c;
	unsigned char *map;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_create(fd, 16 * PG, &c));
	map = mp_map(fd, &c);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "magpie", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);
	map[c.data_offset] = 1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "magpie", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	munmap(map, c.map_size);
}

TEST_HARNESS_MAIN
