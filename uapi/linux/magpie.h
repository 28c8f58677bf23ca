/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/magpie: kernel-backed arenas that a cooperative userspace allocator
 * (userlib, libmagpie) carves into spans and objects with the size classes
 * of <linux/magpie_sizeclasses.h>.
 *
 * An arena is created with MAGPIE_IOC_ARENA_CREATE on an open /dev/magpie
 * and belongs to that open file: every other ioctl names it by the id the
 * create returned, and only through the file that created it. It is mapped
 * with mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
 * mmap_offset); the mapping is laid out as
 *
 *   [0, meta_offset)                 the shared header (struct magpie_arena_header)
 *   [meta_offset, data_offset)       metadata for userlib (span records)
 *   [data_offset, map_size)          data: the pages spans are cut from
 *
 * The header page exists from the create on; every other page is backed
 * lazily, zeroed, on its first touch, and charged to the memory cgroup of
 * the task that touched it. MAGPIE_IOC_RELEASE gives data pages back: the
 * kernel unmaps them from every process and frees them, and the next touch
 * reads zeroes again.
 *
 * Every structure has fixed-width fields and explicit padding; every
 * flags, padding and reserved field must be zero on input (-EINVAL
 * otherwise), so that they can take meaning later. Commands the kernel
 * does not know fail with -ENOTTY.
 */
#ifndef _UAPI_LINUX_MAGPIE_H
#define _UAPI_LINUX_MAGPIE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#include "magpie_sizeclasses.h"

/* Bumped on any incompatible change of the structures below. */
#define MAGPIE_API_VERSION		1

#define MAGPIE_DEVICE_PATH		"/dev/magpie"

/* Features reported by MAGPIE_IOC_VERSION. */
#define MAGPIE_FEAT_ARENA		_BITULL(0)	/* create, map, release, stats */
#define MAGPIE_FEAT_PRESSURE		_BITULL(1)	/* header pressure epoch */
#define MAGPIE_FEAT_PREFAULT		_BITULL(2)	/* MAGPIE_IOC_PREFAULT */
#define MAGPIE_FEAT_RUN_CHECKS		_BITULL(3)	/* MAGPIE_IOC_RUN_CHECKS */

/* Largest data area of one arena; arena sizes are multiples of pages. */
#define MAGPIE_ARENA_MAX_SIZE		_BITULL(36)	/* 64 GiB */

/**
 * struct magpie_version - MAGPIE_IOC_VERSION: the handshake
 * @api_version: out: MAGPIE_API_VERSION of the running module
 * @sizeclass_version: out: MAGPIE_SIZECLASS_VERSION of the running module;
 *	userlib refuses an arena whose classes differ from its own
 * @features: out: MAGPIE_FEAT_* bits
 * @page_size: out: the kernel's page size
 * @nr_sizeclasses: out: MAGPIE_NR_SIZECLASSES of the running module
 * @max_arena_size: out: MAGPIE_ARENA_MAX_SIZE
 * @open_limit: out: bytes of backed pages one open file may hold
 *	(module parameter open_limit_mb)
 * @flags: in: must be 0
 * @pad: must be 0
 * @reserved: must be 0
 */
struct magpie_version {
	__u32 api_version;
	__u32 sizeclass_version;
	__u64 features;
	__u32 page_size;
	__u32 nr_sizeclasses;
	__u64 max_arena_size;
	__u64 open_limit;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

/**
 * struct magpie_arena_create - MAGPIE_IOC_ARENA_CREATE
 * @size: in: bytes of the data area, a non-zero multiple of the page size
 *	up to MAGPIE_ARENA_MAX_SIZE
 * @flags: in: must be 0
 * @id: out: the arena's id, for the other ioctls on this file
 * @mmap_offset: out: the offset to pass to mmap()
 * @map_size: out: the length of the whole mapping
 * @meta_offset: out: where the metadata area starts in the mapping
 * @meta_size: out: its length (MAGPIE_ARENA_META_PER_PAGE bytes per data
 *	page, rounded up to pages)
 * @data_offset: out: where the data area starts in the mapping
 * @reserved: must be 0
 *
 * The header page is backed at once and counts against the open file's
 * limit: -ENOSPC when it would go past it. A 32-bit process gets an id
 * whose mmap_offset its mmap2() can reach (ids below 128, shared by every
 * 32-bit process); -EMFILE when none is free.
 */
struct magpie_arena_create {
	__u64 size;
	__u32 flags;
	__u32 id;
	__u64 mmap_offset;
	__u64 map_size;
	__u64 meta_offset;
	__u64 meta_size;
	__u64 data_offset;
	__u64 reserved[3];
};

/* Metadata bytes the kernel lays out for each data page. */
#define MAGPIE_ARENA_META_PER_PAGE	16

/**
 * struct magpie_release - MAGPIE_IOC_RELEASE: give data pages back
 * @id: in: the arena
 * @flags: in: must be 0
 * @offset: in: start of the range, from the start of the mapping; page
 *	aligned and inside the data area
 * @length: in: bytes, a non-zero multiple of the page size; the range must
 *	end inside the data area
 * @released: out: pages that were backed and are now freed
 * @reserved: must be 0
 */
struct magpie_release {
	__u32 id;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u64 released;
	__u64 reserved[2];
};

/**
 * struct magpie_arena_stats - MAGPIE_IOC_ARENA_STATS
 * @id: in: the arena
 * @flags: in: must be 0
 * @size: out: bytes of the data area
 * @map_size: out: bytes of the whole mapping
 * @pages_backed: out: pages that hold memory now (header included)
 * @pages_released: out: pages given back by MAGPIE_IOC_RELEASE so far
 * @faults: out: pages backed on a touch so far
 * @releases: out: MAGPIE_IOC_RELEASE calls that freed at least one page
 * @mappings: out: live mappings (VMAs) of the arena in all processes
 * @pressure_epoch: out: the header's pressure epoch
 * @open_backed: out: pages backed by all arenas of this open file
 * @prefaulted: out: pages backed by MAGPIE_IOC_PREFAULT so far
 * @reserved: must be 0
 */
struct magpie_arena_stats {
	__u32 id;
	__u32 flags;
	__u64 size;
	__u64 map_size;
	__u64 pages_backed;
	__u64 pages_released;
	__u64 faults;
	__u64 releases;
	__u64 mappings;
	__u64 pressure_epoch;
	__u64 open_backed;
	__u64 prefaulted;
	__u64 reserved[3];
};

/**
 * struct magpie_arena_destroy - MAGPIE_IOC_ARENA_DESTROY
 * @id: in: the arena; it must not be mapped any more (-EBUSY otherwise)
 * @flags: in: must be 0
 * @reserved: must be 0
 */
struct magpie_arena_destroy {
	__u32 id;
	__u32 flags;
	__u64 reserved[2];
};

/* MAGPIE_IOC_PREFAULT: return at once, back the pages on magpie's worker pool. */
#define MAGPIE_PREFAULT_ASYNC		_BITUL(0)

/* Most bytes of one arena that asynchronous prefaults may have queued. */
#define MAGPIE_PREFAULT_ASYNC_MAX	_BITULL(27)	/* 128 MiB */

/**
 * struct magpie_prefault - MAGPIE_IOC_PREFAULT: back pages before they are touched
 * @id: in: the arena
 * @flags: in: 0 (back the pages now) or MAGPIE_PREFAULT_ASYNC
 * @offset: in: start of the range, from the start of the mapping; page
 *	aligned and inside the metadata or data area
 * @length: in: bytes, a non-zero multiple of the page size, ending inside
 *	the arena
 * @backed: out: pages this call backed (0 with MAGPIE_PREFAULT_ASYNC)
 * @reserved: must be 0
 *
 * Pages are allocated, zeroed and charged to the caller's memory cgroup
 * as a touch would, but not mapped: the touch that follows only maps
 * them. Pages already backed are left alone. Without MAGPIE_PREFAULT_ASYNC
 * the call fails with -ENOSPC when the open file's limit stops it (the
 * pages backed before stay); asynchronous prefaulting stops at the limit
 * silently, and MAGPIE_IOC_ARENA_STATS shows what it did.
 *
 * The worker pool is shared, so one arena may have at most
 * MAGPIE_PREFAULT_ASYNC_MAX bytes queued: a longer asynchronous request
 * fails with -EINVAL, and one that does not fit beside those still queued
 * fails with -EBUSY and queues nothing (retry later, or prefault
 * synchronously).
 */
struct magpie_prefault {
	__u32 id;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u64 backed;
	__u64 reserved[2];
};

/* MAGPIE_IOC_RUN_CHECKS: what to run, in this order. */
#define MAGPIE_RUN_SELFCHECK		_BITUL(0)	/* consistency of caches and pool */
#define MAGPIE_RUN_BENCH_CACHES		_BITUL(1)	/* magpie_bench.ko: caches vs SLUB */
#define MAGPIE_RUN_BENCH_POOL		_BITUL(2)	/* magpie_pool_bench.ko: pool vs wq */
#define MAGPIE_RUN_ALL			(MAGPIE_RUN_SELFCHECK | MAGPIE_RUN_BENCH_CACHES | \
					 MAGPIE_RUN_BENCH_POOL)

/* Most results one MAGPIE_IOC_RUN_CHECKS returns, and its largest scale. */
#define MAGPIE_RESULTS_MAX		256
#define MAGPIE_RUN_SCALE_MAX		100

/* struct magpie_result's @kind. */
#define MAGPIE_RESULT_CHECK		0	/* a self-check: see @status */
#define MAGPIE_RESULT_COST		1	/* magpie/peer cost: below 1000 favours magpie */
#define MAGPIE_RESULT_TPUT		2	/* magpie/peer throughput: above 1000 does */

/**
 * struct magpie_result - one result of MAGPIE_IOC_RUN_CHECKS
 * @suite: "self", "caches" or "pool", NUL-terminated
 * @name: the check or benchmark, NUL-terminated
 * @peer: what magpie was measured against ("slub", "unbound_wq", ...);
 *	empty for a check
 * @unit: unit of @magpie and @peer_value ("ns", "pages"; empty for a check)
 * @kind: MAGPIE_RESULT_*
 * @status: 0, or for a check that failed a negative errno (-EUCLEAN: an
 *	inconsistency, described in the kernel log)
 * @ratio_milli: the ratio times 1000 (0 for a check)
 * @magpie: magpie's figure: total ns of its best run, or pages
 * @peer_value: the peer's figure in the same unit
 * @ops: operations each side did; for a check, the items it looked at
 */
struct magpie_result {
	char suite[16];
	char name[32];
	char peer[16];
	char unit[8];
	__u32 kind;
	__s32 status;
	__u64 ratio_milli;
	__u64 magpie;
	__u64 peer_value;
	__u64 ops;
};

/**
 * struct magpie_run_checks - MAGPIE_IOC_RUN_CHECKS: self-checks and benchmarks
 * @what: in: MAGPIE_RUN_* bits, at least one
 * @scale: in: multiplies the benchmarks' iteration counts; 0 means 1, at
 *	most MAGPIE_RUN_SCALE_MAX
 * @results: in: user address of an array of @capacity struct magpie_result
 * @capacity: in: its length, at most MAGPIE_RESULTS_MAX (0: count only)
 * @result_size: in: sizeof(struct magpie_result) as the caller knows it
 * @count: out: results produced; when above @capacity, only the first
 *	@capacity were written
 * @failed: out: self-checks that failed
 * @reserved: must be 0
 *
 * Needs CAP_SYS_ADMIN (-EPERM): the benchmarks load every CPU for seconds.
 * The benchmark suites live in their own modules, which must be loaded
 * (-ENOPKG otherwise); one run at a time (-EBUSY). The call returns when
 * everything asked for has run, which for the benchmarks takes seconds
 * natively and minutes under emulation; it cannot be interrupted.
 */
struct magpie_run_checks {
	__u32 what;
	__u32 scale;
	__u64 results;
	__u32 capacity;
	__u32 result_size;
	__u32 count;
	__u32 failed;
	__u64 reserved[2];
};

#define MAGPIE_IOC_MAGIC		0xB9
#define MAGPIE_IOC_VERSION		_IOWR(MAGPIE_IOC_MAGIC, 0x00, struct magpie_version)
#define MAGPIE_IOC_ARENA_CREATE		_IOWR(MAGPIE_IOC_MAGIC, 0x01, struct magpie_arena_create)
#define MAGPIE_IOC_RELEASE		_IOWR(MAGPIE_IOC_MAGIC, 0x02, struct magpie_release)
#define MAGPIE_IOC_ARENA_STATS		_IOWR(MAGPIE_IOC_MAGIC, 0x03, struct magpie_arena_stats)
#define MAGPIE_IOC_ARENA_DESTROY	_IOWR(MAGPIE_IOC_MAGIC, 0x04, struct magpie_arena_destroy)
#define MAGPIE_IOC_PREFAULT		_IOWR(MAGPIE_IOC_MAGIC, 0x05, struct magpie_prefault)
#define MAGPIE_IOC_RUN_CHECKS		_IOWR(MAGPIE_IOC_MAGIC, 0x06, struct magpie_run_checks)

#define MAGPIE_ARENA_MAGIC		0x6d616770u	/* "magp" */

/**
 * struct magpie_arena_class_stats - one size class in the shared header
 * @spans: spans of the class that userlib has carved and not given back
 * @pad: 0
 * @objects: objects of the class in use
 */
struct magpie_arena_class_stats {
	__u32 spans;
	__u32 pad;
	__u64 objects;
};

/**
 * struct magpie_arena_header - the first page of every arena mapping
 *
 * The kernel fills in the fields above @pressure_epoch at create and never
 * reads them back; a client that overwrites them harms only itself. The
 * fields userlib maintains are read by the kernel for /proc/magpie/arenas
 * only, and clamped to what the arena could hold before they are shown.
 *
 * @magic: MAGPIE_ARENA_MAGIC
 * @api_version: MAGPIE_API_VERSION
 * @sizeclass_version: MAGPIE_SIZECLASS_VERSION
 * @nr_sizeclasses: MAGPIE_NR_SIZECLASSES
 * @map_size: as returned by the create
 * @meta_offset: as returned by the create
 * @meta_size: as returned by the create
 * @data_offset: as returned by the create
 * @data_size: the data area's length
 * @pressure_epoch: kernel: incremented by the shrinker under memory pressure
 * @pressure_seen: userlib: the last epoch it answered by releasing its
 *	cached free spans
 * @cached_free_bytes: userlib: bytes of free spans it keeps backed for reuse
 *	(what pressure would get back)
 * @released_on_pressure: userlib: bytes it released in answer to pressure
 * @classes: userlib: per size class (index = class, 0 = large objects)
 */
struct magpie_arena_header {
	__u32 magic;
	__u32 api_version;
	__u32 sizeclass_version;
	__u32 nr_sizeclasses;
	__u64 map_size;
	__u64 meta_offset;
	__u64 meta_size;
	__u64 data_offset;
	__u64 data_size;
	__u64 pressure_epoch;
	__u64 pressure_seen;
	__u64 cached_free_bytes;
	__u64 released_on_pressure;
	__u64 reserved[6];
	struct magpie_arena_class_stats classes[MAGPIE_NR_SIZECLASSES];
};

#endif /* _UAPI_LINUX_MAGPIE_H */
