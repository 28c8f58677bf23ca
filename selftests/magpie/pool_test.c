// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie/pool: its format, that it is read-only, and that it reads
 * consistently while CPU 1 goes offline and comes back. Needs magpie.ko
 * loaded and runs as root in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kselftest/kselftest_harness.h"
#include "util.h"

#define POOL		"/proc/magpie/pool"
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

/* Counts the per-CPU lines and checks the pool line; returns CPUs online. */
static int pool_parse(struct __test_metadata *_metadata, unsigned int *nr_cpus)
{
	char *text = slurp(POOL), *line, *save = NULL;
	unsigned int ms = 0, spares = 0, online = 0;
	int pool_lines = 0;

	*nr_cpus = 0;
	if (!text)
		return -1;
	EXPECT_EQ(0, strncmp(text, "magpie pool - version: 1.4\n", 27));
	EXPECT_NE(NULL, strstr(text, "\n# cpu online "));
	EXPECT_NE(NULL, strstr(text, " helped help_sleeps "));
	EXPECT_NE(NULL, strstr(text, " sysmon_ticks "));
	EXPECT_NE(NULL, strstr(text, " moved_offline "));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long runs;
		unsigned int cpu;
		int on, fields;

		if (!strncmp(line, "pool ", 5)) {
			fields = sscanf(line, "pool ms %u idle %*d spinning %*d spares %u",
					&ms, &spares);
			EXPECT_EQ(2, fields);
			pool_lines++;
			continue;
		}
		if (line[0] == '#' || !strncmp(line, "magpie ", 7))
			continue;
		fields = sscanf(line, "%u %d %llu", &cpu, &on, &runs);
		EXPECT_EQ(3, fields) TH_LOG("%s", line);
		EXPECT_EQ(*nr_cpus, cpu);
		(*nr_cpus)++;
		online += on;
	}
	EXPECT_EQ(1, pool_lines);
	/* A bound worker per CPU that was ever online, plus the spares. */
	EXPECT_GE(ms, spares + 1);
	free(text);
	return online;
}

TEST(pool_format)
{
	unsigned int nr_cpus;
	int online = pool_parse(_metadata, &nr_cpus);
	struct stat st;

	ASSERT_EQ(0, stat(POOL, &st));
	EXPECT_EQ(0444u, st.st_mode & 07777u);
	EXPECT_EQ((int)sysconf(_SC_NPROCESSORS_ONLN), online);
	EXPECT_GE(nr_cpus, (unsigned int)online);
}

/* No write method: root gets EIO at the write, others EACCES at open. */
TEST(pool_read_only)
{
	int fd = open(POOL, O_WRONLY);

	if (fd < 0) {
		EXPECT_EQ(EACCES, errno);
		return;
	}
	EXPECT_EQ(-1, write(fd, "reset\n", 6));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

/* CPU 1's P shows offline while the CPU is, and online when it is back. */
TEST(pool_follows_hotplug)
{
	unsigned int nr_cpus;

	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "CPU 1 cannot go offline here");
	ASSERT_EQ(0, write_str(CPU1_ONLINE, "0"));
	EXPECT_EQ((int)sysconf(_SC_NPROCESSORS_ONLN), pool_parse(_metadata, &nr_cpus));
	ASSERT_EQ(0, write_str(CPU1_ONLINE, "1"));
	EXPECT_EQ((int)sysconf(_SC_NPROCESSORS_ONLN), pool_parse(_metadata, &nr_cpus));
}

TEST_HARNESS_MAIN
