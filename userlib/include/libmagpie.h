/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * libmagpie: the public API of userlib, magpie's cooperative userspace
 * allocator. Objects live in arenas (a /dev/magpie arena, or anonymous
 * memory laid out the same way) and are carved with the kernel module's
 * size classes and span format. Every function is thread-safe.
 *
 * Errors: functions returning a pointer return NULL and set errno; those
 * returning int return 0 or -1 with errno set. The errors a call detects
 * are listed with it; a detected error never changes the arena.
 */
#ifndef _LIBMAGPIE_H
#define _LIBMAGPIE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mgp_arena;

/* Where an arena's memory comes from. */
enum mgp_backend {
	MGP_BACKEND_ENV = 0,	/* MAGPIE_BACKEND from the environment, else auto */
	MGP_BACKEND_AUTO,	/* /dev/magpie when it opens, else anonymous memory */
	MGP_BACKEND_DEVICE,	/* /dev/magpie only */
	MGP_BACKEND_ANON,	/* private anonymous memory only */
};

/**
 * struct mgp_arena_opts - how to make an arena (zero fields take defaults)
 * @size: bytes of the data area (rounded up to pages; default 1 GiB).
 *	About 3% of it holds span descriptors.
 * @backend: enum mgp_backend
 * @cache_bytes: free spans kept backed for reuse before the oldest are
 *	released (default 8 MiB; MGP_CACHE_NONE releases at once)
 * @cache_ms: free spans older than this are released at the arena's next
 *	page-level operation (default 1000; at most 30000)
 * @flags: must be 0
 */
struct mgp_arena_opts {
	uint64_t size;
	uint32_t backend;
	uint32_t cache_ms;
	uint64_t cache_bytes;
	uint64_t flags;
};

#define MGP_CACHE_NONE		UINT64_MAX

/* Size-class slots in struct mgp_stats (the library has 73 classes). */
#define MGP_STATS_CLASSES	96

/**
 * struct mgp_stats - a snapshot of one arena
 * @backend: "anon" or "device"
 * @nr_classes: classes used in @spans/@objects (index 0 = large objects)
 * @map_size: bytes mapped (header, metadata and data area)
 * @data_size: bytes of the data area
 * @bytes_backed: bytes of the mapping that hold memory now (device: the
 *	kernel's count; anon: measured with mincore())
 * @bytes_in_use: bytes of spans and large objects carved from the page heap
 * @bytes_cached: bytes of free spans kept backed for reuse
 * @bytes_released: bytes given back to the backend so far
 * @releases: release calls to the backend so far
 * @released_on_pressure: bytes released in answer to the pressure epoch
 * @pressure_epoch: the header's epoch
 * @pressure_seen: the last epoch answered
 * @large_objects: live objects above the largest size class
 * @thread_caches: threads holding a cache of this arena
 * @bad_frees: frees and size queries refused (foreign or interior pointers)
 * @double_frees: double frees detected (refused, or dropped when found
 *	while a thread cache was emptied)
 * @spans: spans per class (class 0: large objects)
 * @objects: objects per class taken out of their spans (in use by the
 *	program or waiting in a thread cache)
 */
struct mgp_stats {
	char backend[8];
	uint32_t nr_classes;
	uint32_t pad;
	uint64_t map_size;
	uint64_t data_size;
	uint64_t bytes_backed;
	uint64_t bytes_in_use;
	uint64_t bytes_cached;
	uint64_t bytes_released;
	uint64_t releases;
	uint64_t released_on_pressure;
	uint64_t pressure_epoch;
	uint64_t pressure_seen;
	uint64_t large_objects;
	uint64_t thread_caches;
	uint64_t bad_frees;
	uint64_t double_frees;
	uint32_t spans[MGP_STATS_CLASSES];
	uint64_t objects[MGP_STATS_CLASSES];
};

/*
 * mgp_arena_create() - map a new arena. @opts may be NULL (defaults).
 * Errors: EINVAL (flags, an unknown MAGPIE_BACKEND, a size above 64 GiB),
 * EPROTO (/dev/magpie speaks another API or size-class version),
 * EOPNOTSUPP (a page size other than 4096), ENOMEM, and open()'s errno
 * when the device backend was asked for and /dev/magpie does not open.
 */
struct mgp_arena *mgp_arena_create(const struct mgp_arena_opts *opts);

/*
 * mgp_arena_close() - unmap an arena and every object in it. No other
 * thread may use the arena during or after the call. EINVAL: NULL.
 */
int mgp_arena_close(struct mgp_arena *arena);

/*
 * mgp_alloc() - @size bytes (0 counts as 1), aligned to 16 bytes (8 for
 * sizes up to 8 and from 17 to 24). EINVAL: NULL arena; ENOMEM: no room.
 */
void *mgp_alloc(struct mgp_arena *arena, size_t size);

/* mgp_calloc() - zeroed @nmemb * @size bytes. EOVERFLOW: the product overflows. */
void *mgp_calloc(struct mgp_arena *arena, size_t nmemb, size_t size);

/*
 * mgp_alloc_aligned() - @size bytes at a multiple of @align.
 * EINVAL: @align is not a power of two.
 */
void *mgp_alloc_aligned(struct mgp_arena *arena, size_t align, size_t size);

/*
 * mgp_free() - give an object back; NULL is ignored.
 * EFAULT: @ptr is not inside the arena's data area;
 * EINVAL: @ptr is inside but not the start of an allocated object
 *	(an interior pointer, free pages, span descriptors);
 * EALREADY: the object is free already: a double free, detected wherever
 *	the first free put it (this or another thread's cache, its span, or
 *	pages freed recently), or a slot never handed out. Detection reads
 *	the object's first word, which a free object holds a per-arena key
 *	in; a program that writes into an object after freeing it can hide
 *	a later double free of it.
 */
int mgp_free(struct mgp_arena *arena, void *ptr);

/*
 * mgp_realloc() - resize, keeping the contents up to the smaller size;
 * NULL @ptr allocates, @size 0 frees and returns NULL (errno 0). The
 * errors of mgp_free() for a bad @ptr (which then stays untouched), and
 * ENOMEM (the old object stays valid).
 */
void *mgp_realloc(struct mgp_arena *arena, void *ptr, size_t size);

/*
 * mgp_usable_size() - bytes usable at @ptr (at least what was asked for).
 * 0 with errno EFAULT or EINVAL as for mgp_free().
 */
size_t mgp_usable_size(struct mgp_arena *arena, const void *ptr);

/*
 * Offsets count from the start of the arena's mapping, which is what a
 * process sharing the arena would agree on. mgp_ptr_to_offset() returns
 * -1 with EFAULT for a pointer outside the mapping; mgp_offset_to_ptr()
 * returns NULL with EFAULT for an offset outside the data area.
 */
int64_t mgp_ptr_to_offset(struct mgp_arena *arena, const void *ptr);
void *mgp_offset_to_ptr(struct mgp_arena *arena, uint64_t offset);

/* mgp_arena_base() - start of the mapping (the shared header). */
void *mgp_arena_base(struct mgp_arena *arena);

/*
 * mgp_arena_trim() - empty the calling thread's cache and release every
 * cached free span to the backend now.
 */
int mgp_arena_trim(struct mgp_arena *arena);

/* mgp_arena_stats() - fill @stats. */
int mgp_arena_stats(struct mgp_arena *arena, struct mgp_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* _LIBMAGPIE_H */
