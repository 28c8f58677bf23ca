/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the /dev/magpie kselftests: open, create, map, stats, RSS. */
#ifndef _MAGPIE_SELFTEST_ARENA_UTIL_H
#define _MAGPIE_SELFTEST_ARENA_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/magpie.h>

#define DEV		MAGPIE_DEVICE_PATH
#define ARENAS		"/proc/magpie/arenas"
#define OPEN_LIMIT	"/sys/module/magpie/parameters/open_limit_mb"
#define PG		4096UL

/* ioctl() that returns 0 or the errno, so tests compare one number. */
static inline int mp_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* Creates an arena of @size data bytes; returns 0 or the errno. */
static inline int mp_create(int fd, unsigned long long size, struct magpie_arena_create *c)
{
	memset(c, 0, sizeof(*c));
	c->size = size;
	return mp_ioctl(fd, MAGPIE_IOC_ARENA_CREATE, c);
}

/* Maps the whole arena read-write; MAP_FAILED on error. */
static inline unsigned char *mp_map(int fd, const struct magpie_arena_create *c)
{
	return mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)c->mmap_offset);
}

static inline int mp_stats(int fd, unsigned int id, struct magpie_arena_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return mp_ioctl(fd, MAGPIE_IOC_ARENA_STATS, st);
}

/* Releases [off, off + len) of the mapping; returns 0 or the errno. */
static inline int mp_release(int fd, unsigned int id, unsigned long long off,
			     unsigned long long len, unsigned long long *released)
{
	struct magpie_release r = { .id = id, .offset = off, .length = len };
	int err = mp_ioctl(fd, MAGPIE_IOC_RELEASE, &r);

	if (!err && released)
		*released = r.released;
	return err;
}

/* Prefaults [off, off + len); returns 0 or the errno. */
static inline int mp_prefault(int fd, unsigned int id, unsigned int flags, unsigned long long off,
			      unsigned long long len, unsigned long long *backed)
{
	struct magpie_prefault p = { .id = id, .flags = flags, .offset = off, .length = len };
	int err = mp_ioctl(fd, MAGPIE_IOC_PREFAULT, &p);

	if (!err && backed)
		*backed = p.backed;
	return err;
}

/* Resident pages of this process that map files (arena pages count there). */
static inline long mp_rss_file_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssFile: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif /* _MAGPIE_SELFTEST_ARENA_UTIL_H */
