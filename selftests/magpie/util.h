/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by magpie's kselftests. */
#ifndef _MAGPIE_SELFTEST_UTIL_H
#define _MAGPIE_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Reads a whole file (up to 1 MiB) with reads of at most @chunk bytes.
 * Returns a malloc'd NUL-terminated string, or NULL on any error.
 */
static inline char *slurp_chunked(const char *path, size_t chunk)
{
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, chunk < cap - len ? chunk : cap - len)) > 0)
		len += n;
	close(fd);
	if (n < 0 || len == cap) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static inline char *slurp(const char *path)
{
	return slurp_chunked(path, 1 << 16);
}

/* Writes @val to @path; returns 0 or the errno of open or write. */
static inline int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		err = errno;
	close(fd);
	return err;
}

#endif /* _MAGPIE_SELFTEST_UTIL_H */
