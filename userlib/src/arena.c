// SPDX-License-Identifier: GPL-2.0
/*
 * Arenas: create and close, the layout on top of the backend's mapping,
 * stats, trim, offset <-> pointer, and fork safety (every lock of every
 * arena held across fork(); in the child, the caches of threads that did
 * not follow go back to the spans, and a device arena becomes a private
 * copy so that parent and child do not share their heaps).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MGP_DEFAULT_SIZE	(1024ULL * 1024 * 1024)
#define MGP_DEFAULT_CACHE	(8ULL * 1024 * 1024)
#define MGP_DEFAULT_CACHE_MS	1000
#define MGP_MAX_CACHE_MS	30000

/* Every live arena, for the fork handlers; protects mgp_arenas. */
static pthread_mutex_t mgp_arenas_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mgp_arena *mgp_arenas;
static pthread_once_t mgp_atfork_once = PTHREAD_ONCE_INIT;
static u64 mgp_arena_gen;	/* atomic */

/*
 * A device arena is a shared mapping, which the child inherits: the child
 * copies it into private memory (mgp_arena_fork_child()), and until that
 * copy is done the parent must not change it, or the child would see the
 * parent's writes from after the fork. The parent's handler therefore
 * waits on this pipe (mgp_arenas_lock held) for the child's byte, or for
 * end of file when the child died or fork() failed (no child holds the
 * write end then).
 */
static int mgp_fork_pipe[2] = { -1, -1 };

static void mgp_fork_pipe_reset(void)
{
	mgp_fork_pipe[0] = -1;
	mgp_fork_pipe[1] = -1;
}

static void mgp_fork_prepare(void)
{
	struct mgp_arena *a;
	bool device = false;

	pthread_mutex_lock(&mgp_arenas_lock);
	for (a = mgp_arenas; a; a = a->next_arena) {
		mgp_arena_fork_prepare(a);
		device |= a->os.backend == MGP_BACKEND_DEVICE;
	}
	/* Without a pipe the parent cannot wait: the copy then races it. */
	if (device && pipe2(mgp_fork_pipe, O_CLOEXEC))
		mgp_fork_pipe_reset();
}

static void mgp_fork_parent(void)
{
	struct mgp_arena *a;
	char byte;

	if (mgp_fork_pipe[0] >= 0) {
		close(mgp_fork_pipe[1]);
		while (read(mgp_fork_pipe[0], &byte, 1) < 0 && errno == EINTR)
			;
		close(mgp_fork_pipe[0]);
		mgp_fork_pipe_reset();
	}
	for (a = mgp_arenas; a; a = a->next_arena)
		mgp_arena_fork_parent(a);
	pthread_mutex_unlock(&mgp_arenas_lock);
}

static void mgp_fork_child(void)
{
	struct mgp_arena *a;

	for (a = mgp_arenas; a; a = a->next_arena)
		mgp_arena_fork_child(a);
	if (mgp_fork_pipe[0] >= 0) {
		/* If the byte cannot go, the parent reads end of file at the close. */
		ssize_t sent = write(mgp_fork_pipe[1], "c", 1);

		(void)sent;
		close(mgp_fork_pipe[0]);
		close(mgp_fork_pipe[1]);
		mgp_fork_pipe_reset();
	}
	pthread_mutex_unlock(&mgp_arenas_lock);
}

static void mgp_atfork_register(void)
{
	pthread_atfork(mgp_fork_prepare, mgp_fork_parent, mgp_fork_child);
}

/* In lock order: the cache list, each class, the heap. */
void mgp_arena_fork_prepare(struct mgp_arena *a)
{
	unsigned int c;

	pthread_mutex_lock(&a->tc_lock);
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++)
		pthread_mutex_lock(&a->central[c].lock);
	pthread_mutex_lock(&a->heap_lock);
}

void mgp_arena_fork_parent(struct mgp_arena *a)
{
	unsigned int c;

	pthread_mutex_unlock(&a->heap_lock);
	for (c = MAGPIE_NR_SIZECLASSES; c-- > 0;)
		pthread_mutex_unlock(&a->central[c].lock);
	pthread_mutex_unlock(&a->tc_lock);
}

/*
 * Copies what a private copy of a device arena needs: the header, the
 * records and descriptors of the pages carved so far, and every run below
 * the high-water mark that may hold data (free runs read zeroes and are
 * skipped; reading them would back them in the parent's arena).
 */
static void arena_copy_in_use(struct mgp_arena *a, char *copy)
{
	u32 h = a->heap_first;
	size_t off;

	memcpy(copy, a->base, MGP_PAGE_SIZE);
	off = (char *)a->pages - a->base;
	memcpy(copy + off, a->pages, (size_t)a->hwm * sizeof(struct mgp_page));
	/*
	 * Past the high-water mark lies one free run, never carved: its head
	 * record is at hwm and its tail record on the last page. Without
	 * them the child would walk a zeroed record (a run of 0 pages).
	 */
	if (a->hwm < a->nr_pages) {
		memcpy(copy + off + (size_t)a->hwm * sizeof(struct mgp_page), &a->pages[a->hwm],
		       sizeof(struct mgp_page));
		memcpy(copy + off + (size_t)(a->nr_pages - 1) * sizeof(struct mgp_page),
		       &a->pages[a->nr_pages - 1], sizeof(struct mgp_page));
	}
	off = (char *)a->descs - a->base;
	memcpy(copy + off, a->descs,
	       (size_t)(a->hwm - a->heap_first) * sizeof(struct mgp_span_desc));
	while (h < a->hwm) {
		struct mgp_page *pg = &a->pages[h];

		if (pg->state != MGP_PG_FREE || pg->class) {
			off = mgp_page_addr(a, h) - a->base;
			memcpy(copy + off, a->base + off, (size_t)pg->npages << MGP_PAGE_SHIFT);
		}
		h += pg->npages;
	}
}

void mgp_arena_fork_child(struct mgp_arena *a)
{
	char *copy;

	/*
	 * A device arena is still the parent's shared mapping: copy it into
	 * private memory before anything in it changes (emptying the other
	 * threads' caches below writes span state), or the child would carve
	 * and corrupt the very pages its parent uses. Should even the copy
	 * fail, the arena cannot be used.
	 */
	if (a->os.backend == MGP_BACKEND_DEVICE) {
		if (mgp_os_private_begin(&a->os, &copy)) {
			a->magic = 0;
		} else {
			arena_copy_in_use(a, copy);
			if (mgp_os_private_commit(&a->os, copy))
				a->magic = 0;
		}
	}
	mgp_arena_fork_parent(a);
	if (a->magic)
		mgp_tcache_destroy_all(a, true);
}

/* Random bits for the free key, without a system call. */
static u64 mgp_secret(const void *salt)
{
	const void *r = (const void *)getauxval(AT_RANDOM);
	struct timespec ts;
	u64 x, rnd[2];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (u64)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uintptr_t)salt;
	if (r) {
		memcpy(rnd, r, sizeof(rnd));	/* 16 bytes, not aligned */
		x ^= rnd[0] ^ (rnd[1] << 1);
	}
	return x | 1;
}

/* Descriptor pages at the start of the data area, one slot per heap page. */
static u32 mgp_desc_pages(u32 nr_pages)
{
	u64 d = ((u64)nr_pages * sizeof(struct mgp_span_desc)) /
		(MGP_PAGE_SIZE + sizeof(struct mgp_span_desc));

	while ((u64)(nr_pages - d) * sizeof(struct mgp_span_desc) > d * MGP_PAGE_SIZE)
		d++;
	return (u32)d;
}

static int arena_setup(struct mgp_arena *a, const struct mgp_arena_opts *o)
{
	unsigned int c;

	a->base = a->os.base;
	a->hdr = (struct magpie_arena_header *)a->os.base;
	a->pages = (struct mgp_page *)(a->os.base + a->os.meta_offset);
	a->data = a->os.base + a->os.data_offset;
	a->descs = (struct mgp_span_desc *)a->data;
	a->nr_pages = (u32)(a->os.data_size >> MGP_PAGE_SHIFT);
	a->heap_first = mgp_desc_pages(a->nr_pages);
	if (a->heap_first >= a->nr_pages)
		return -EINVAL;
	a->cache_ms = o->cache_ms ? o->cache_ms : MGP_DEFAULT_CACHE_MS;
	if (o->cache_bytes == MGP_CACHE_NONE)
		a->cache_limit = 0;
	else
		a->cache_limit = o->cache_bytes ? o->cache_bytes : MGP_DEFAULT_CACHE;
	a->secret = mgp_secret(a);
	/* From 1: a thread's "no cache remembered" is generation 0. */
	a->gen = __atomic_add_fetch(&mgp_arena_gen, 1, __ATOMIC_RELAXED);
	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		a->geom[c].div = UINT64_MAX / magpie_class_size(c) + 1;
		a->geom[c].end = magpie_class_size(c) * magpie_sizeclasses[c].nobjs;
	}
	/* The header's epoch as we find it needs no answer. */
	a->pressure_seen = mgp_load(&a->hdr->pressure_epoch);
	mgp_store(&a->hdr->pressure_seen, a->pressure_seen);
	pthread_mutex_init(&a->heap_lock, NULL);
	pthread_mutex_init(&a->tc_lock, NULL);
	mgp_heap_init(a);
	mgp_central_init(a);
	if (pthread_key_create(&a->tc_key, mgp_tcache_destructor))
		return -EAGAIN;
	return 0;
}

MGP_API struct mgp_arena *mgp_arena_create(const struct mgp_arena_opts *opts)
{
	struct mgp_arena_opts o = { 0 };
	struct mgp_arena *a;
	int err;

	if (opts)
		o = *opts;
	if (o.flags || o.backend > MGP_BACKEND_ANON || o.cache_ms > MGP_MAX_CACHE_MS ||
	    o.size > MAGPIE_ARENA_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	if (sysconf(_SC_PAGESIZE) != MGP_PAGE_SIZE) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!o.size)
		o.size = MGP_DEFAULT_SIZE;
	o.size = (o.size + MGP_PAGE_SIZE - 1) & ~(u64)(MGP_PAGE_SIZE - 1);
	a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return NULL;
	err = mgp_os_map(&a->os, o.backend, o.size);
	if (err)
		goto out_free;
	err = arena_setup(a, &o);
	if (err)
		goto out_unmap;
	a->magic = MGP_ARENA_MAGIC;
	pthread_once(&mgp_atfork_once, mgp_atfork_register);
	pthread_mutex_lock(&mgp_arenas_lock);
	a->next_arena = mgp_arenas;
	mgp_arenas = a;
	pthread_mutex_unlock(&mgp_arenas_lock);
	return a;

out_unmap:
	mgp_os_unmap(&a->os);
out_free:
	munmap(a, sizeof(*a));
	errno = -err;
	return NULL;
}

MGP_API int mgp_arena_close(struct mgp_arena *a)
{
	struct mgp_arena **pp;

	if (!a || a->magic != MGP_ARENA_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&mgp_arenas_lock);
	for (pp = &mgp_arenas; *pp; pp = &(*pp)->next_arena)
		if (*pp == a) {
			*pp = a->next_arena;
			break;
		}
	pthread_mutex_unlock(&mgp_arenas_lock);
	a->magic = 0;
	mgp_tcache_destroy_all(a, false);
	pthread_key_delete(a->tc_key);
	mgp_os_unmap(&a->os);
	munmap(a, sizeof(*a));
	return 0;
}

MGP_API int mgp_arena_trim(struct mgp_arena *a)
{
	if (!a || a->magic != MGP_ARENA_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	mgp_tcache_flush_mine(a);
	mgp_heap_release_cached(a, false);
	return 0;
}

MGP_API int mgp_arena_stats(struct mgp_arena *a, struct mgp_stats *st)
{
	uint64_t backed = 0;
	unsigned int c;
	u32 hwm;
	int err;

	if (!a || a->magic != MGP_ARENA_MAGIC || !st) {
		errno = EINVAL;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	snprintf(st->backend, sizeof(st->backend), "%s", mgp_os_name(&a->os));
	st->nr_classes = MAGPIE_NR_SIZECLASSES;
	st->map_size = a->os.map_size;
	st->data_size = a->os.data_size;
	st->bytes_in_use = mgp_heap_in_use(a, &hwm);
	err = mgp_os_backed(&a->os, (u64)(mgp_page_addr(a, hwm) - a->base), &backed);
	if (err) {
		errno = -err;
		return -1;
	}
	st->bytes_backed = backed;
	st->bytes_cached = mgp_load(&a->hdr->cached_free_bytes);
	st->bytes_released = mgp_load(&a->bytes_released);
	st->releases = mgp_load(&a->releases);
	st->released_on_pressure = mgp_load(&a->hdr->released_on_pressure);
	st->pressure_epoch = mgp_load(&a->hdr->pressure_epoch);
	st->pressure_seen = mgp_load(&a->hdr->pressure_seen);
	st->large_objects = mgp_load(&a->large_objects);
	st->thread_caches = mgp_load(&a->nr_tcaches);
	st->bad_frees = mgp_load(&a->bad_frees);
	st->double_frees = mgp_load(&a->double_frees);
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++) {
		st->spans[c] = mgp_load(&a->hdr->classes[c].spans);
		st->objects[c] = mgp_load(&a->hdr->classes[c].objects);
	}
	return 0;
}

MGP_API int64_t mgp_ptr_to_offset(struct mgp_arena *a, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)(a ? a->base : 0);

	if (!a || a->magic != MGP_ARENA_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	if ((uintptr_t)p < (uintptr_t)a->base || off >= a->os.map_size) {
		errno = EFAULT;
		return -1;
	}
	return (int64_t)off;
}

MGP_API void *mgp_offset_to_ptr(struct mgp_arena *a, uint64_t off)
{
	if (!a || a->magic != MGP_ARENA_MAGIC) {
		errno = EINVAL;
		return NULL;
	}
	if (off < a->os.data_offset || off >= a->os.map_size) {
		errno = EFAULT;
		return NULL;
	}
	return a->base + off;
}

MGP_API void *mgp_arena_base(struct mgp_arena *a)
{
	if (!a || a->magic != MGP_ARENA_MAGIC) {
		errno = EINVAL;
		return NULL;
	}
	return a->base;
}
