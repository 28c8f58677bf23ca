// SPDX-License-Identifier: GPL-2.0
/*
 * MAGPIE_IOC_RUN_CHECKS: the self-checks run clean and return their
 * records; every bad input is refused before anything runs. Needs
 * magpie.ko loaded and the benchmark modules not loaded (the check guest);
 * runs as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest/kselftest_harness.h"
#include "arena_util.h"
#include "util.h"

#define SELF_CHECKS	4
/* Where the memcg test mounts cgroup2, and its cgroup there. */
#define CG_ROOT		"/tmp/magpie-cgroup2"
#define CG_TEST		CG_ROOT "/magpie-test"

static void run_init(struct magpie_run_checks *req, struct magpie_result *buf, unsigned int cap)
{
	memset(req, 0, sizeof(*req));
	req->what = MAGPIE_RUN_SELFCHECK;
	req->results = (uintptr_t)buf;
	req->capacity = cap;
	req->result_size = sizeof(struct magpie_result);
}

TEST(version_offers_run_checks)
{
	struct magpie_version v = { 0 };
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	EXPECT_NE(0ULL, v.features & MAGPIE_FEAT_RUN_CHECKS);
	close(fd);
}

/* Each self-check by name, what it looked at, and a clean status. */
TEST(selfcheck_records)
{
	static const char *const names[SELF_CHECKS] = {
		"alloc_classes", "cache_spans", "pool_tasks", "pool_fork_join",
	};
	struct magpie_result buf[8];
	struct magpie_run_checks req;
	int fd = open(DEV, O_RDWR), i;

	ASSERT_LE(0, fd);
	memset(buf, 0xff, sizeof(buf));
	run_init(&req, buf, 8);
	ASSERT_EQ(0, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	EXPECT_EQ((__u32)SELF_CHECKS, req.count);
	EXPECT_EQ(0u, req.failed);
	for (i = 0; i < SELF_CHECKS; i++) {
		EXPECT_STREQ("self", buf[i].suite);
		EXPECT_STREQ(names[i], buf[i].name);
		EXPECT_STREQ("", buf[i].peer);
		EXPECT_STREQ("", buf[i].unit);
		EXPECT_EQ((__u32)MAGPIE_RESULT_CHECK, buf[i].kind);
		EXPECT_EQ(0, buf[i].status);
		EXPECT_EQ(0ULL, buf[i].ratio_milli);
	}
	EXPECT_EQ((__u64)MAGPIE_NR_SIZECLASSES - 1, buf[0].ops);
	/* alloc_classes just left a span of every class (freed into magazines). */
	EXPECT_LE((__u64)MAGPIE_NR_SIZECLASSES - 1, buf[1].ops);
	EXPECT_EQ(1000ULL, buf[2].ops);
	EXPECT_EQ(256ULL, buf[3].ops);
	/* Nothing past the count was written. */
	EXPECT_EQ(0xffffffffu, buf[SELF_CHECKS].kind);
	close(fd);
}

/* Capacity 0 counts only; a short array gets the first records. */
TEST(capacity_bounds_the_copy)
{
	struct magpie_result buf[3];
	struct magpie_run_checks req;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	run_init(&req, NULL, 0);
	ASSERT_EQ(0, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	EXPECT_EQ((__u32)SELF_CHECKS, req.count);
	memset(buf, 0xee, sizeof(buf));
	run_init(&req, buf, 2);
	ASSERT_EQ(0, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	EXPECT_EQ((__u32)SELF_CHECKS, req.count);
	EXPECT_STREQ("alloc_classes", buf[0].name);
	EXPECT_STREQ("cache_spans", buf[1].name);
	EXPECT_EQ(0xeeeeeeeeu, buf[2].kind);
	close(fd);
}

TEST(bad_input_einval)
{
	struct magpie_result buf[4];
	struct magpie_run_checks req;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	run_init(&req, buf, 4);
	req.what = 0;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.what = MAGPIE_RUN_SELFCHECK | (1u << 3);
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.scale = MAGPIE_RUN_SCALE_MAX + 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.capacity = MAGPIE_RESULTS_MAX + 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.result_size = sizeof(struct magpie_result) - 8;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.count = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.failed = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.reserved[1] = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	close(fd);
}

/* The results array unwritable, the request itself unreadable. */
TEST(bad_pointers_efault)
{
	struct magpie_run_checks req;
	void *ro;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, (void *)8));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	run_init(&req, ro, 4);
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, (void *)16, 4);
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	munmap(ro, 4096);
	close(fd);
}

/* The benchmark modules are not loaded in the check guest. */
TEST(bench_without_module_enopkg)
{
	struct magpie_result buf[4];
	struct magpie_run_checks req;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	run_init(&req, buf, 4);
	req.what = MAGPIE_RUN_BENCH_CACHES;
	EXPECT_EQ(ENOPKG, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	run_init(&req, buf, 4);
	req.what = MAGPIE_RUN_SELFCHECK | MAGPIE_RUN_BENCH_POOL;
	EXPECT_EQ(ENOPKG, mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req));
	close(fd);
}

/* A file root opened, used by a process without CAP_SYS_ADMIN. */
TEST(without_cap_sys_admin_eperm)
{
	int fd = open(DEV, O_RDWR), st;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct magpie_result buf[4];
		struct magpie_run_checks req;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		run_init(&req, buf, 4);
		_exit(mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req) == EPERM ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(fd);
}

/*
 * Run from a memory cgroup, the self-checks add cache_memcg: magpie's
 * accounted allocations land on pages charged to that cgroup (checked in
 * the kernel, page by page), plain ones on pages charged to nobody.
 */
TEST(selfcheck_in_memcg_charges_it)
{
	char *controllers;
	int fd, st, mounted;
	pid_t pid;

	if (mkdir(CG_ROOT, 0700) && errno != EEXIST)
		ASSERT_EQ(0, errno);
	mounted = !mount("none", CG_ROOT, "cgroup2", 0, NULL);
	if (!mounted && errno != EBUSY) {
		rmdir(CG_ROOT);
		SKIP(return, "no cgroup2 here (%s)", strerror(errno));
	}
	controllers = slurp(CG_ROOT "/cgroup.controllers");
	if (!controllers || !strstr(controllers, "memory")) {
		free(controllers);
		if (mounted)
			umount(CG_ROOT);
		rmdir(CG_ROOT);
		SKIP(return, "no memory controller");
	}
	free(controllers);
	ASSERT_EQ(0, write_str(CG_ROOT "/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(CG_TEST, 0700));
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct magpie_result buf[8];
		struct magpie_run_checks req;

		if (write_str(CG_TEST "/cgroup.procs", "0"))
			_exit(10);
		run_init(&req, buf, 8);
		if (mp_ioctl(fd, MAGPIE_IOC_RUN_CHECKS, &req))
			_exit(11);
		if (req.count != SELF_CHECKS + 1 || req.failed)
			_exit(12);
		if (strcmp(buf[SELF_CHECKS].name, "cache_memcg") || buf[SELF_CHECKS].status)
			_exit(13);
		_exit(buf[SELF_CHECKS].ops == 71 ? 0 : 14);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(fd);
	EXPECT_EQ(0, rmdir(CG_TEST));
	if (mounted)
		EXPECT_EQ(0, umount(CG_ROOT));
	rmdir(CG_ROOT);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
