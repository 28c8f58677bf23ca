// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie/caches, the module parameters, and CPU hotplug with the
 * caches in use. Needs magpie.ko loaded and runs as root in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/magpie_sizeclasses.h>

#include "../kselftest/kselftest_harness.h"
#include "util.h"

#define CACHES		"/proc/magpie/caches"
#define CLASSES		"/proc/magpie/classes"
#define PARAMS		"/sys/module/magpie/parameters/"
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

TEST(caches_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(CACHES, &st));
	EXPECT_EQ(0400u, st.st_mode & 07777u);
}

/* Version line, header, and one line per size class cache. */
TEST(caches_lists_class_caches)
{
	char *text = slurp(CACHES), *line, *save = NULL;
	unsigned int classes = 0;
	int a, b, fields;

	ASSERT_NE(NULL, text);
	fields = sscanf(text, "magpie caches - version: 1.0 init_on_alloc: %d init_on_free: %d",
			&a, &b);
	ASSERT_EQ(2, fields) TH_LOG("bad version line");
	EXPECT_NE(NULL, strstr(text, "\n# name "));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int objsize, size, align;
		char name[64];

		if (strncmp(line, "magpie-", 7))
			continue;
		fields = sscanf(line, "%63s %u %u %u", name, &objsize, &size, &align);
		ASSERT_EQ(4, fields);
		EXPECT_EQ(objsize, size);
		EXPECT_EQ(0u, size % align);
		classes++;
	}
	EXPECT_EQ(MAGPIE_NR_SIZECLASSES - 1u, classes);
	free(text);
}

/* One line per size class, in the uapi table's order and sizes. */
TEST(classes_match_uapi)
{
#define ROW(c, sz, p, o, t, w, tw) { c, sz, p, o, t, w, tw },
	static const struct { unsigned int class, size, pages, objs, tail, w, tw; }
	rows_uapi[] = { MAGPIE_SIZECLASSES(ROW) };
	char *text = slurp(CLASSES), *line, *save = NULL;
	unsigned int rows = 0;
	struct stat st;

	ASSERT_EQ(0, stat(CLASSES, &st));
	EXPECT_EQ(0400u, st.st_mode & 07777u);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, strncmp(text, "magpie classes - version: 1.0\n", 30));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int class, size;
		unsigned long caches;
		int fields;

		if (!strncmp(line, "magpie ", 7) || line[0] == '#')
			continue;
		fields = sscanf(line, "%u %u %lu", &class, &size, &caches);
		ASSERT_EQ(3, fields);
		ASSERT_LT(rows, ARRAY_SIZE(rows_uapi));
		EXPECT_EQ(rows_uapi[rows].class, class);
		EXPECT_EQ(rows_uapi[rows].size, size);
		EXPECT_GE(caches, 1UL);	/* at least magpie_alloc()'s own cache */
		rows++;
	}
	EXPECT_EQ(ARRAY_SIZE(rows_uapi), rows);
	free(text);
}

/* The statistics files have no write method: root gets EIO, others EACCES. */
TEST(stat_files_refuse_writes)
{
	static const char * const files[] = { CACHES, CLASSES };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		int err = write_str(files[i], "1\n");

		EXPECT_TRUE(err == EIO || err == EACCES) TH_LOG("%s: %d", files[i], err);
	}
}

/* reap_interval_ms takes 100..600000 and nothing else. */
TEST(reap_interval_param_checked)
{
	char *old = slurp(PARAMS "reap_interval_ms"), *now;

	ASSERT_NE(NULL, old);
	EXPECT_EQ(ERANGE, write_str(PARAMS "reap_interval_ms", "99"));
	EXPECT_EQ(ERANGE, write_str(PARAMS "reap_interval_ms", "600001"));
	EXPECT_EQ(EINVAL, write_str(PARAMS "reap_interval_ms", "soon"));
	EXPECT_EQ(EINVAL, write_str(PARAMS "reap_interval_ms", "-5"));
	EXPECT_EQ(0, write_str(PARAMS "reap_interval_ms", "1500"));
	now = slurp(PARAMS "reap_interval_ms");
	ASSERT_NE(NULL, now);
	EXPECT_STREQ("1500\n", now);
	EXPECT_EQ(0, write_str(PARAMS "reap_interval_ms", old));
	free(now);
	free(old);
}

/* chunk_order only takes effect at load: read-only afterwards. */
TEST(chunk_order_read_only)
{
	char *val = slurp(PARAMS "chunk_order");

	ASSERT_NE(NULL, val);
	EXPECT_STREQ("8\n", val);
	EXPECT_NE(0, write_str(PARAMS "chunk_order", "5"));
	free(val);
}

/* A CPU going away and coming back with the caches in use. */
TEST(cpu_offline_online)
{
	char *text;

	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "cpu1 cannot be taken offline here");
	ASSERT_EQ(0, write_str(CPU1_ONLINE, "0"));
	text = slurp(CACHES);
	EXPECT_NE(NULL, text);
	free(text);
	ASSERT_EQ(0, write_str(CPU1_ONLINE, "1"));
	text = slurp(CACHES);
	EXPECT_NE(NULL, text);
	free(text);
}

TEST_HARNESS_MAIN
