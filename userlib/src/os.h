/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The OS layer behind an arena: where its mapping comes from and how pages
 * go back. Two backends lay the mapping out the same way (header page,
 * metadata area, data area, as <linux/magpie.h> describes):
 *   device  an arena of /dev/magpie (os_device.c); pages go back with
 *	     MAGPIE_IOC_RELEASE
 *   anon    private anonymous memory (os.c); pages go back with
 *	     madvise(MADV_DONTNEED)
 * Released and never-touched pages read as zeroes on both.
 */
#ifndef _MAGPIE_USERLIB_OS_H
#define _MAGPIE_USERLIB_OS_H

#include <stdint.h>
#include <stddef.h>

/**
 * struct mgp_os - one arena's mapping
 * @backend: MGP_BACKEND_DEVICE or MGP_BACKEND_ANON
 * @fd: the /dev/magpie file (device), -1 otherwise
 * @id: the device arena's id
 * @base: start of the mapping
 * @map_size: its length
 * @meta_offset: offset of the metadata area
 * @meta_size: its length
 * @data_offset: offset of the data area
 * @data_size: its length
 */
struct mgp_os {
	int backend;
	int fd;
	uint32_t id;
	char *base;
	uint64_t map_size;
	uint64_t meta_offset;
	uint64_t meta_size;
	uint64_t data_offset;
	uint64_t data_size;
	uint64_t backed_limit;	/* bytes the backend backs at most; 0: no limit */
};

/* Backend from @req (enum mgp_backend; ENV reads MAGPIE_BACKEND); 0 or -errno. */
int mgp_os_map(struct mgp_os *os, uint32_t req, uint64_t data_size);
void mgp_os_unmap(struct mgp_os *os);
/* Gives [@offset, @offset + @length) of the mapping back; 0 or -errno. */
int mgp_os_release(struct mgp_os *os, uint64_t offset, uint64_t length);
/* Bytes of the first @extent bytes of the mapping that hold memory now. */
int mgp_os_backed(struct mgp_os *os, uint64_t extent, uint64_t *bytes);
const char *mgp_os_name(const struct mgp_os *os);

/* anon backend (os.c) */
int mgp_os_anon_map(struct mgp_os *os, uint64_t data_size);

/* device backend (os_device.c) */
int mgp_os_device_map(struct mgp_os *os, uint64_t data_size);
void mgp_os_device_unmap(struct mgp_os *os);
int mgp_os_device_release(struct mgp_os *os, uint64_t offset, uint64_t length);
int mgp_os_device_backed(struct mgp_os *os, uint64_t *bytes);

/*
 * After fork() the child must not share a device arena's MAP_SHARED pages
 * with its parent: mgp_os_private_begin() maps private memory of the
 * arena's size for the caller to copy the pages in use into, and
 * mgp_os_private_commit() moves it over the arena's address and turns the
 * arena into an anon one. Return 0 or -errno.
 */
int mgp_os_private_begin(struct mgp_os *os, char **copy);
int mgp_os_private_commit(struct mgp_os *os, char *copy);

#endif /* _MAGPIE_USERLIB_OS_H */
