// SPDX-License-Identifier: GPL-2.0
/*
 * Backend selection (MAGPIE_BACKEND) and the anon backend: the arena
 * layout of <linux/magpie.h> in private anonymous memory, with the header
 * the kernel would have written filled in by the library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Maps the whole layout; 0 or -errno. */
int mgp_os_anon_map(struct mgp_os *os, uint64_t data_size)
{
	struct magpie_arena_header *hdr;
	uint64_t pages = data_size / MGP_PAGE_SIZE;
	void *p;

	os->backend = MGP_BACKEND_ANON;
	os->fd = -1;
	os->id = 0;
	os->meta_offset = MGP_PAGE_SIZE;
	os->meta_size = mgp_pages(pages * MAGPIE_ARENA_META_PER_PAGE) << MGP_PAGE_SHIFT;
	os->data_offset = os->meta_offset + os->meta_size;
	os->data_size = data_size;
	os->map_size = os->data_offset + data_size;
	os->backed_limit = 0;	/* memory cgroups and overcommit govern it */
	/* NORESERVE: the arena is virtual space; only touched pages count. */
	p = mmap(NULL, os->map_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/*
	 * Spans are released a few pages at a time: a transparent huge page
	 * would stay resident until every one of its 512 pages is released,
	 * and RSS would not follow the live set. Advice only: ignore errors.
	 */
	madvise(p, os->map_size, MADV_NOHUGEPAGE);
	os->base = p;
	hdr = p;
	hdr->magic = MAGPIE_ARENA_MAGIC;
	hdr->api_version = MAGPIE_API_VERSION;
	hdr->sizeclass_version = MAGPIE_SIZECLASS_VERSION;
	hdr->nr_sizeclasses = MAGPIE_NR_SIZECLASSES;
	hdr->map_size = os->map_size;
	hdr->meta_offset = os->meta_offset;
	hdr->meta_size = os->meta_size;
	hdr->data_offset = os->data_offset;
	hdr->data_size = data_size;
	return 0;
}

/* MAGPIE_BACKEND=device|anon|auto; unset or empty means auto. */
static int mgp_os_env_backend(uint32_t *req)
{
	const char *env = getenv("MAGPIE_BACKEND");

	if (!env || !*env || !strcmp(env, "auto"))
		*req = MGP_BACKEND_AUTO;
	else if (!strcmp(env, "device"))
		*req = MGP_BACKEND_DEVICE;
	else if (!strcmp(env, "anon"))
		*req = MGP_BACKEND_ANON;
	else
		return -EINVAL;
	return 0;
}

int mgp_os_map(struct mgp_os *os, uint32_t req, uint64_t data_size)
{
	int ret;

	if (req == MGP_BACKEND_ENV) {
		ret = mgp_os_env_backend(&req);
		if (ret)
			return ret;
	}
	switch (req) {
	case MGP_BACKEND_ANON:
		return mgp_os_anon_map(os, data_size);
	case MGP_BACKEND_DEVICE:
		return mgp_os_device_map(os, data_size);
	case MGP_BACKEND_AUTO:
		ret = mgp_os_device_map(os, data_size);
		/*
		 * Only a device that is not there (or not ours to open) falls
		 * back; one that answers with another version is an error.
		 */
		if (ret == -ENOENT || ret == -ENODEV || ret == -ENXIO ||
		    ret == -EACCES || ret == -EPERM)
			return mgp_os_anon_map(os, data_size);
		return ret;
	}
	return -EINVAL;
}

void mgp_os_unmap(struct mgp_os *os)
{
	if (os->backend == MGP_BACKEND_DEVICE)
		mgp_os_device_unmap(os);
	else
		munmap(os->base, os->map_size);
	os->base = NULL;
}

int mgp_os_release(struct mgp_os *os, uint64_t offset, uint64_t length)
{
	if (os->backend == MGP_BACKEND_DEVICE)
		return mgp_os_device_release(os, offset, length);
	/* Private anonymous pages are freed and read back as zeroes. */
	if (madvise(os->base + offset, length, MADV_DONTNEED))
		return -errno;
	return 0;
}

/* anon: mincore() in steps of 4096 pages, with the vector on the stack. */
int mgp_os_backed(struct mgp_os *os, uint64_t extent, uint64_t *bytes)
{
	unsigned char vec[4096];
	uint64_t off, n = 0;
	size_t i, len;

	if (os->backend == MGP_BACKEND_DEVICE)
		return mgp_os_device_backed(os, bytes);
	if (extent > os->map_size)
		extent = os->map_size;
	for (off = 0; off < extent; off += len) {
		len = extent - off;
		if (len > sizeof(vec) * MGP_PAGE_SIZE)
			len = sizeof(vec) * MGP_PAGE_SIZE;
		if (mincore(os->base + off, len, vec))
			return -errno;
		for (i = 0; i < (len + MGP_PAGE_SIZE - 1) / MGP_PAGE_SIZE; i++)
			n += vec[i] & 1;
	}
	*bytes = n * MGP_PAGE_SIZE;
	return 0;
}

const char *mgp_os_name(const struct mgp_os *os)
{
	return os->backend == MGP_BACKEND_DEVICE ? "device" : "anon";
}

int mgp_os_private_begin(struct mgp_os *os, char **copy)
{
	void *p = mmap(NULL, os->map_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*copy = p;
	return 0;
}

/*
 * mremap() replaces the shared mapping at os->base with the private copy
 * in one step. The child's copy of the device file is closed without any
 * ioctl: the arena belongs to the open file the parent still uses.
 */
int mgp_os_private_commit(struct mgp_os *os, char *copy)
{
	void *p = mremap(copy, os->map_size, os->map_size,
			 MREMAP_MAYMOVE | MREMAP_FIXED, os->base);

	if (p == MAP_FAILED) {
		int err = -errno;

		munmap(copy, os->map_size);
		return err;
	}
	if (os->fd >= 0)
		close(os->fd);
	os->fd = -1;
	os->backend = MGP_BACKEND_ANON;
	return 0;
}
