// SPDX-License-Identifier: GPL-2.0
/*
 * The device backend: arenas of /dev/magpie. The handshake refuses a
 * module whose API or size classes differ from the library's, the create
 * returns the layout that the mapping and its header must agree with,
 * and data pages go back with MAGPIE_IOC_RELEASE. One open file per
 * arena: the arena belongs to the file that created it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/*
 * The module's answer must name exactly our contract; -EPROTO otherwise.
 * Keeps the open file's limit on backed pages in *@limit.
 */
static int mgp_dev_handshake(int fd, uint64_t data_size, uint64_t *limit)
{
	struct magpie_version v;

	memset(&v, 0, sizeof(v));
	if (ioctl(fd, MAGPIE_IOC_VERSION, &v))
		return -errno;
	if (v.api_version != MAGPIE_API_VERSION ||
	    v.sizeclass_version != MAGPIE_SIZECLASS_VERSION ||
	    v.nr_sizeclasses != MAGPIE_NR_SIZECLASSES ||
	    !(v.features & MAGPIE_FEAT_ARENA))
		return -EPROTO;
	if (v.page_size != MGP_PAGE_SIZE)
		return -EOPNOTSUPP;
	if (data_size > v.max_arena_size)
		return -EINVAL;
	*limit = v.open_limit;
	return 0;
}

/* What the create returned must describe a mapping we can lay out on. */
static int mgp_dev_check_layout(const struct magpie_arena_create *c, uint64_t data_size)
{
	uint64_t pages = data_size / MGP_PAGE_SIZE;

	if (c->meta_offset < sizeof(struct magpie_arena_header) ||
	    c->meta_size < pages * MAGPIE_ARENA_META_PER_PAGE ||
	    c->data_offset < c->meta_offset + c->meta_size ||
	    c->data_offset % MGP_PAGE_SIZE ||
	    c->map_size < c->data_offset + data_size)
		return -EPROTO;
	return 0;
}

/* The header the kernel wrote must repeat the create's answer. */
static int mgp_dev_check_header(const struct mgp_os *os)
{
	const struct magpie_arena_header *h = (const void *)os->base;

	if (h->magic != MAGPIE_ARENA_MAGIC ||
	    h->api_version != MAGPIE_API_VERSION ||
	    h->sizeclass_version != MAGPIE_SIZECLASS_VERSION ||
	    h->nr_sizeclasses != MAGPIE_NR_SIZECLASSES ||
	    h->map_size != os->map_size || h->meta_offset != os->meta_offset ||
	    h->meta_size != os->meta_size || h->data_offset != os->data_offset ||
	    h->data_size < os->data_size)
		return -EPROTO;
	return 0;
}

static void mgp_dev_destroy(int fd, uint32_t id)
{
	struct magpie_arena_destroy d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	ioctl(fd, MAGPIE_IOC_ARENA_DESTROY, &d);
}

int mgp_os_device_map(struct mgp_os *os, uint64_t data_size)
{
	struct magpie_arena_create c;
	uint64_t limit = 0;
	int fd, ret;
	void *p;

	fd = open(MAGPIE_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = mgp_dev_handshake(fd, data_size, &limit);
	if (ret)
		goto out_close;
	memset(&c, 0, sizeof(c));
	c.size = data_size;
	if (ioctl(fd, MAGPIE_IOC_ARENA_CREATE, &c)) {
		ret = -errno;
		goto out_close;
	}
	ret = mgp_dev_check_layout(&c, data_size);
	if (ret)
		goto out_destroy;
	p = mmap(NULL, c.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, c.mmap_offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out_destroy;
	}
	os->backend = MGP_BACKEND_DEVICE;
	os->fd = fd;
	os->id = c.id;
	os->base = p;
	os->map_size = c.map_size;
	os->meta_offset = c.meta_offset;
	os->meta_size = c.meta_size;
	os->data_offset = c.data_offset;
	os->data_size = data_size;
	/* Our arena is the file's only one: the file's limit is the arena's. */
	os->backed_limit = limit;
	ret = mgp_dev_check_header(os);
	if (!ret)
		return 0;
	munmap(p, c.map_size);
out_destroy:
	mgp_dev_destroy(fd, c.id);
out_close:
	close(fd);
	return ret;
}

/* The arena must be unmapped before the kernel lets it be destroyed. */
void mgp_os_device_unmap(struct mgp_os *os)
{
	munmap(os->base, os->map_size);
	mgp_dev_destroy(os->fd, os->id);
	close(os->fd);
	os->fd = -1;
}

int mgp_os_device_release(struct mgp_os *os, uint64_t offset, uint64_t length)
{
	struct magpie_release r;

	memset(&r, 0, sizeof(r));
	r.id = os->id;
	r.offset = offset;
	r.length = length;
	if (ioctl(os->fd, MAGPIE_IOC_RELEASE, &r))
		return -errno;
	return 0;
}

int mgp_os_device_backed(struct mgp_os *os, uint64_t *bytes)
{
	struct magpie_arena_stats s;

	memset(&s, 0, sizeof(s));
	s.id = os->id;
	if (ioctl(os->fd, MAGPIE_IOC_ARENA_STATS, &s))
		return -errno;
	*bytes = s.pages_backed * MGP_PAGE_SIZE;
	return 0;
}
