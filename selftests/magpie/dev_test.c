// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/magpie's ioctls and mmap: the handshake, the arena layout, and one
 * test per way of getting them wrong. Needs magpie.ko loaded; runs as root
 * in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../kselftest/kselftest_harness.h"
#include "arena_util.h"

TEST(node_is_root_only_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600u, st.st_mode & 07777u);
}

TEST(version_handshake)
{
	struct magpie_version v = { 0 };
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	EXPECT_EQ((__u32)MAGPIE_API_VERSION, v.api_version);
	EXPECT_EQ((__u32)MAGPIE_SIZECLASS_VERSION, v.sizeclass_version);
	EXPECT_EQ((__u32)MAGPIE_NR_SIZECLASSES, v.nr_sizeclasses);
	EXPECT_EQ((unsigned int)sysconf(_SC_PAGESIZE), v.page_size);
	EXPECT_EQ(MAGPIE_ARENA_MAX_SIZE, v.max_arena_size);
	EXPECT_NE(0ULL, v.features & MAGPIE_FEAT_ARENA);
	EXPECT_LT(0ULL, v.open_limit);
	EXPECT_EQ(0u, v.flags);
	EXPECT_EQ(0u, v.pad);
	close(fd);
}

TEST(version_rejects_nonzero_input)
{
	struct magpie_version v;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	memset(&v, 0, sizeof(v));
	v.flags = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	memset(&v, 0, sizeof(v));
	v.pad = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	memset(&v, 0, sizeof(v));
	v.reserved[3] = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	/* Output fields, too: they may take an input meaning later. */
	memset(&v, 0, sizeof(v));
	v.features = ~0ULL;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	memset(&v, 0, sizeof(v));
	v.api_version = MAGPIE_API_VERSION;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	memset(&v, 0, sizeof(v));
	v.open_limit = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_VERSION, &v));
	close(fd);
}

/* Unknown numbers, the right number with another size, another magic. */
TEST(unknown_commands_enotty)
{
	char buf[256] = { 0 };
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(ENOTTY, mp_ioctl(fd, _IOWR(MAGPIE_IOC_MAGIC, 0x7f, struct magpie_version), buf));
	EXPECT_EQ(ENOTTY, mp_ioctl(fd, _IOWR(MAGPIE_IOC_MAGIC, 0x00, __u64), buf));
	EXPECT_EQ(ENOTTY, mp_ioctl(fd, _IOR(MAGPIE_IOC_MAGIC, 0x00, struct magpie_version), buf));
	EXPECT_EQ(ENOTTY, mp_ioctl(fd, _IOWR('M', 0x00, struct magpie_version), buf));
	close(fd);
}

TEST(bad_user_pointers_efault)
{
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_ARENA_CREATE, (void *)16));
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_RELEASE, (void *)-4096L));
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_ARENA_STATS, NULL));
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_ARENA_DESTROY, NULL));
	close(fd);
}

/* The create writes its result to a read-only page: nothing is left over. */
TEST(create_into_readonly_memory_leaves_no_arena)
{
	struct magpie_arena_create *c, ok;
	struct magpie_arena_stats st;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	c = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	c->size = 16 * PG;
	ASSERT_EQ(0, mprotect(c, PG, PROT_READ));
	EXPECT_EQ(EFAULT, mp_ioctl(fd, MAGPIE_IOC_ARENA_CREATE, c));
	/* Only the new arena's header is backed by this file. */
	ASSERT_EQ(0, mp_create(fd, PG, &ok));
	ASSERT_EQ(0, mp_stats(fd, ok.id, &st));
	EXPECT_EQ(1ULL, st.open_backed);
	munmap(c, PG);
	close(fd);
}

TEST(create_bad_sizes_einval)
{
	static const unsigned long long sizes[] = {
		0, 1, PG - 1, PG + 1, 3 * PG + 8, MAGPIE_ARENA_MAX_SIZE + PG,
		~0ULL & ~(PG - 1), 1ULL << 63,
	};
	struct magpie_arena_create c;
	unsigned int i;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		EXPECT_EQ(EINVAL, mp_create(fd, sizes[i], &c)) TH_LOG("size %llu", sizes[i]);
	/* The bounds themselves are fine. */
	EXPECT_EQ(0, mp_create(fd, PG, &c));
	EXPECT_EQ(0, mp_create(fd, MAGPIE_ARENA_MAX_SIZE, &c));
	close(fd);
}

/* Flags, reserved words and output fields must all come in as zero. */
TEST(create_nonzero_fields_einval)
{
	static const size_t offsets[] = {
		offsetof(struct magpie_arena_create, flags),
		offsetof(struct magpie_arena_create, id),
		offsetof(struct magpie_arena_create, mmap_offset),
		offsetof(struct magpie_arena_create, map_size),
		offsetof(struct magpie_arena_create, meta_offset),
		offsetof(struct magpie_arena_create, meta_size),
		offsetof(struct magpie_arena_create, data_offset),
		offsetof(struct magpie_arena_create, reserved),
		offsetof(struct magpie_arena_create, reserved) + 16,
	};
	struct magpie_arena_create c;
	unsigned int i;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		memset(&c, 0, sizeof(c));
		c.size = PG;
		((unsigned char *)&c)[offsets[i]] = 1;
		EXPECT_EQ(EINVAL, mp_ioctl(fd, MAGPIE_IOC_ARENA_CREATE, &c))
			TH_LOG("byte %zu", offsets[i]);
	}
	close(fd);
}

TEST(create_layout_and_header)
{
	struct magpie_arena_create c;
	struct magpie_arena_header *h;
	unsigned long pages = 300;
	unsigned char *map;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_create(fd, pages * PG, &c));
	EXPECT_LT(0u, c.id);
	EXPECT_EQ(0ULL, c.mmap_offset % PG);
	EXPECT_EQ(PG, c.meta_offset);
	EXPECT_EQ((pages * MAGPIE_ARENA_META_PER_PAGE + PG - 1) / PG * PG, c.meta_size);
	EXPECT_EQ(c.meta_offset + c.meta_size, c.data_offset);
	EXPECT_EQ(c.data_offset + pages * PG, c.map_size);
	map = mp_map(fd, &c);
	ASSERT_NE(MAP_FAILED, map);
	h = (struct magpie_arena_header *)map;
	EXPECT_EQ((__u32)MAGPIE_ARENA_MAGIC, h->magic);
	EXPECT_EQ((__u32)MAGPIE_API_VERSION, h->api_version);
	EXPECT_EQ((__u32)MAGPIE_SIZECLASS_VERSION, h->sizeclass_version);
	EXPECT_EQ((__u32)MAGPIE_NR_SIZECLASSES, h->nr_sizeclasses);
	EXPECT_EQ(c.map_size, h->map_size);
	EXPECT_EQ(c.meta_offset, h->meta_offset);
	EXPECT_EQ(c.meta_size, h->meta_size);
	EXPECT_EQ(c.data_offset, h->data_offset);
	EXPECT_EQ(pages * PG, h->data_size);
	EXPECT_EQ(0ULL, h->pressure_epoch);
	munmap(map, c.map_size);
	close(fd);
}

FIXTURE(arena) {
	int fd;
	struct magpie_arena_create c;
	unsigned char *map;
};

FIXTURE_SETUP(arena)
{
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mp_create(self->fd, 256 * PG, &self->c));
	self->map = mp_map(self->fd, &self->c);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(arena)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->c.map_size);
	close(self->fd);
}

/* Pages are backed on first touch, zeroed, and keep what is written. */
TEST_F(arena, lazy_zeroed_backing)
{
	unsigned char *data = self->map + self->c.data_offset;
	struct magpie_arena_stats st;
	unsigned int i, j;

	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(1ULL, st.pages_backed);	/* the header */
	EXPECT_EQ(0ULL, st.faults);
	EXPECT_EQ(1ULL, st.mappings);
	EXPECT_EQ(256 * PG, st.size);
	EXPECT_EQ(self->c.map_size, st.map_size);
	for (i = 0; i < 10; i++) {
		for (j = 0; j < PG; j++)
			ASSERT_EQ(0, data[i * PG + j]);
		memset(data + i * PG, 0xa0 + i, PG);
	}
	ASSERT_EQ(0, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(11ULL, st.pages_backed);
	EXPECT_EQ(10ULL, st.faults);
	EXPECT_EQ(11ULL, st.open_backed);
	for (i = 0; i < 10; i++)
		for (j = 0; j < PG; j += 512)
			ASSERT_EQ(0xa0 + i, data[i * PG + j]);
}

TEST_F(arena, mmap_other_slot_or_outside_einval)
{
	unsigned long long off = self->c.mmap_offset;
	size_t len = self->c.map_size;

	/* The next slot: an arena id this file does not have. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, self->fd,
				   (off_t)(off + (1ULL << 37))));
	EXPECT_EQ(EINVAL, errno);
	/* Offset 0 is in slot 0, which no arena ever gets. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Starting at the end, or running one page past it. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, self->fd, (off_t)(off + len)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, len + PG, PROT_READ, MAP_SHARED, self->fd, (off_t)off));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, self->fd,
				   (off_t)(off + len - PG)));
	EXPECT_EQ(EINVAL, errno);
	/* Not page aligned: refused by mmap() itself. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, self->fd, (off_t)(off + 8)));
	EXPECT_EQ(EINVAL, errno);
	/* Largest offsets: no overflow anywhere. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, self->fd,
				   (off_t)(0x7fffffffffffffffULL & ~(PG - 1))));
}

TEST_F(arena, mmap_inside_at_an_offset)
{
	unsigned char *part;

	part = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		    (off_t)(self->c.mmap_offset + self->c.data_offset + 8 * PG));
	ASSERT_NE(MAP_FAILED, part);
	part[0] = 0x5a;
	/* Both mappings see the same page. */
	EXPECT_EQ(0x5a, self->map[self->c.data_offset + 8 * PG]);
	munmap(part, 4 * PG);
}

TEST_F(arena, mmap_private_einval_exec_eperm)
{
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd,
				   (off_t)self->c.mmap_offset));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_SHARED, self->fd,
				   (off_t)self->c.mmap_offset));
	EXPECT_EQ(EPERM, errno);
	/* Nor can a mapping become executable later. */
	EXPECT_EQ(-1, mprotect(self->map, PG, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(arena, mremap_cannot_grow)
{
	void *p = mremap(self->map, self->c.map_size, self->c.map_size + PG, MREMAP_MAYMOVE);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	/* Shrinking is an munmap of the tail, and fine. */
	p = mremap(self->map, self->c.map_size, self->c.map_size - PG, 0);
	EXPECT_EQ((void *)self->map, p);
	munmap(self->map + self->c.map_size - PG, PG);
}

TEST_F(arena, stats_bad_input)
{
	struct magpie_arena_stats st;

	EXPECT_EQ(ENOENT, mp_stats(self->fd, self->c.id + 1, &st));
	EXPECT_EQ(ENOENT, mp_stats(self->fd, 0, &st));
	EXPECT_EQ(ENOENT, mp_stats(self->fd, 0xffffffffu, &st));
	memset(&st, 0, sizeof(st));
	st.id = self->c.id;
	st.flags = 2;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_STATS, &st));
	memset(&st, 0, sizeof(st));
	st.id = self->c.id;
	st.reserved[0] = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_STATS, &st));
	memset(&st, 0, sizeof(st));
	st.id = self->c.id;
	st.faults = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_STATS, &st));
}

TEST_F(arena, release_bad_ranges_einval)
{
	unsigned long long data = self->c.data_offset, end = self->c.map_size;
	struct magpie_release r;

	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, data, 0, NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, data + 8, PG, NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, data, PG + 8, NULL));
	/* The header and the metadata are not for release. */
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, 0, PG, NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, self->c.meta_offset, PG, NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, data - PG, 2 * PG, NULL));
	/* Past the end, and ranges whose end overflows. */
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, end, PG, NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, end - PG, 2 * PG, NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, data, ~0ULL & ~(PG - 1), NULL));
	EXPECT_EQ(EINVAL, mp_release(self->fd, self->c.id, ~0ULL & ~(PG - 1), 2 * PG, NULL));
	EXPECT_EQ(ENOENT, mp_release(self->fd, self->c.id + 7, data, PG, NULL));
	/* Nonzero flags, output or reserved fields. */
	memset(&r, 0, sizeof(r));
	r = (struct magpie_release){ .id = self->c.id, .offset = data, .length = PG, .flags = 1 };
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_RELEASE, &r));
	r = (struct magpie_release){ .id = self->c.id, .offset = data, .length = PG };
	r.released = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_RELEASE, &r));
	r = (struct magpie_release){ .id = self->c.id, .offset = data, .length = PG };
	r.reserved[1] = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_RELEASE, &r));
	/* And the good one. */
	EXPECT_EQ(0, mp_release(self->fd, self->c.id, data, end - data, NULL));
}

/* Arena ids of one open file mean nothing through another. */
TEST_F(arena, other_file_cannot_reach_arena)
{
	struct magpie_arena_destroy d = { .id = self->c.id };
	struct magpie_arena_stats st;
	int other = open(DEV, O_RDWR);

	ASSERT_LE(0, other);
	EXPECT_EQ(ENOENT, mp_stats(other, self->c.id, &st));
	EXPECT_EQ(ENOENT, mp_release(other, self->c.id, self->c.data_offset, PG, NULL));
	EXPECT_EQ(ENOENT, mp_ioctl(other, MAGPIE_IOC_ARENA_DESTROY, &d));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, other,
				   (off_t)self->c.mmap_offset));
	EXPECT_EQ(EINVAL, errno);
	close(other);
	EXPECT_EQ(0, mp_stats(self->fd, self->c.id, &st));
}

TEST_F(arena, destroy_busy_while_mapped)
{
	struct magpie_arena_destroy d = { .id = self->c.id };
	struct magpie_arena_stats st;

	EXPECT_EQ(EBUSY, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_DESTROY, &d));
	d.flags = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_DESTROY, &d));
	d.flags = 0;
	d.reserved[1] = 1;
	EXPECT_EQ(EINVAL, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_DESTROY, &d));
	d.reserved[1] = 0;
	ASSERT_EQ(0, munmap(self->map, self->c.map_size));
	self->map = MAP_FAILED;
	EXPECT_EQ(0, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_DESTROY, &d));
	EXPECT_EQ(ENOENT, mp_ioctl(self->fd, MAGPIE_IOC_ARENA_DESTROY, &d));
	EXPECT_EQ(ENOENT, mp_stats(self->fd, self->c.id, &st));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, self->fd,
				   (off_t)self->c.mmap_offset));
}

/* Each open file has at most 256 arenas; destroying one frees a place. */
TEST(too_many_arenas_emfile)
{
	struct magpie_arena_destroy d = { 0 };
	struct magpie_arena_create c;
	unsigned int i;
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	for (i = 0; i < 256; i++)
		ASSERT_EQ(0, mp_create(fd, PG, &c)) TH_LOG("arena %u", i);
	d.id = c.id;
	EXPECT_EQ(EMFILE, mp_create(fd, PG, &c));
	EXPECT_EQ(0, mp_ioctl(fd, MAGPIE_IOC_ARENA_DESTROY, &d));
	EXPECT_EQ(0, mp_create(fd, PG, &c));
	close(fd);
}

TEST_HARNESS_MAIN
