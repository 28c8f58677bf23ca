// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie/sizeclasses against the uapi table: what the module reports
 * must be exactly what userspace compiled in, and the file must behave like
 * a read-only seq_file. Needs magpie.ko loaded.
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

#define SIZECLASSES "/proc/magpie/sizeclasses"

struct row {
	unsigned int class, size, pages, objs, tail, waste_bp, total_bp;
};

#define ROW(c, sz, p, o, t, w, tw) { c, sz, p, o, t, w, tw },
static const struct row uapi_rows[] = { MAGPIE_SIZECLASSES(ROW) };
#define NROWS ARRAY_SIZE(uapi_rows)

TEST(file_is_world_readable_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(SIZECLASSES, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0444u, st.st_mode & 07777u);
}

TEST(header_matches_uapi)
{
	char *text = slurp_chunked(SIZECLASSES, 4096);
	unsigned int table, page, classes;
	char major[8];
	int fields;

	ASSERT_NE(NULL, text);
	fields = sscanf(text,
			"magpie sizeclasses - version: %7s table: %u page_size: %u classes: %u",
			major, &table, &page, &classes);
	ASSERT_EQ(4, fields);
	EXPECT_STREQ("1.0", major);
	EXPECT_EQ(MAGPIE_SIZECLASS_VERSION + 0u, table);
	EXPECT_EQ(MAGPIE_SIZECLASS_PAGE_SIZE + 0u, page);
	EXPECT_EQ(MAGPIE_NR_SIZECLASSES - 1u, classes);
	EXPECT_EQ(NROWS, classes);
	EXPECT_NE(NULL, strstr(text, "\n# class "));
	free(text);
}

TEST(rows_match_uapi)
{
	char *text = slurp_chunked(SIZECLASSES, 4096), *line, *save = NULL;
	unsigned int seen = 0;

	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int w_int, w_frac, t_int, t_frac;
		struct row r;
		int fields;

		if (!strncmp(line, "magpie ", 7) || line[0] == '#')
			continue;
		fields = sscanf(line, "%u %u %u %u %u %u.%u %u.%u", &r.class, &r.size,
				&r.pages, &r.objs, &r.tail, &w_int, &w_frac, &t_int, &t_frac);
		ASSERT_EQ(9, fields) TH_LOG("unparsable row '%s'", line);
		ASSERT_LT(seen, NROWS);
		EXPECT_EQ(uapi_rows[seen].class, r.class);
		EXPECT_EQ(uapi_rows[seen].size, r.size);
		EXPECT_EQ(uapi_rows[seen].pages, r.pages);
		EXPECT_EQ(uapi_rows[seen].objs, r.objs);
		EXPECT_EQ(uapi_rows[seen].tail, r.tail);
		EXPECT_EQ(uapi_rows[seen].waste_bp, w_int * 100 + w_frac);
		EXPECT_EQ(uapi_rows[seen].total_bp, t_int * 100 + t_frac);
		seen++;
	}
	EXPECT_EQ(NROWS, seen);
	free(text);
}

/* seq_file must hand out the same text however small the reads are. */
TEST(small_reads_see_same_text)
{
	char *whole = slurp_chunked(SIZECLASSES, 65536);
	char *bytewise = slurp_chunked(SIZECLASSES, 1);
	char *odd = slurp_chunked(SIZECLASSES, 7);

	ASSERT_NE(NULL, whole);
	ASSERT_NE(NULL, bytewise);
	ASSERT_NE(NULL, odd);
	EXPECT_STREQ(whole, bytewise);
	EXPECT_STREQ(whole, odd);
	free(whole);
	free(bytewise);
	free(odd);
}

/*
 * The file has no write method. Root may open it for writing (DAC override),
 * and then every write fails with EIO; anyone else is refused at open.
 */
TEST(writes_are_refused)
{
	int fd = open(SIZECLASSES, O_WRONLY);

	if (fd < 0) {
		EXPECT_EQ(EACCES, errno);
		return;
	}
	EXPECT_EQ(-1, write(fd, "1\n", 2));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

TEST_HARNESS_MAIN
