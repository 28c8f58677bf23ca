/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arenas behind /dev/magpie: a mapping of lazily backed pages that a
 * userspace allocator carves up (see uapi/linux/magpie.h for the layout).
 * arena.c owns an arena's pages, its faults and its releases; dev.c owns
 * the open files and the ioctls; arena_proc.c shows every arena.
 *
 * Lock order:
 *   magpie_dev_file.lock
 *     magpie_arenas_mutex            (the registry of every arena)
 *   mmap_lock or the VMA lock (a fault)
 *     magpie_arena.lock
 *       i_mmap_rwsem, then page table locks (unmap_mapping_range, vm_insert_page)
 */
#ifndef _MAGPIE_ARENA_H
#define _MAGPIE_ARENA_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/xarray.h>

#include "../uapi/linux/magpie.h"
#include "magpie.h"

/*
 * Each arena owns a slot of 2^37 bytes of the device's mmap offsets, so the
 * offset names the arena and unmap_mapping_range() over a slot touches
 * only that arena's mappings. 64 GiB of data, its metadata and the header
 * fit one slot.
 */
#define MAGPIE_ARENA_SLOT_SHIFT		37
#define MAGPIE_ARENA_MAX_ID		BIT(24)

/*
 * A 32-bit process maps with mmap2(), whose offset is a 32-bit count of
 * 4 KiB units whatever the page size (x86 and arm64 compat alike): it
 * reaches only the slots below this id. Those ids are kept for arenas
 * that 32-bit processes create; 64-bit ones get the ids above.
 */
#define MAGPIE_ARENA_COMPAT_IDS		BIT(32 + 12 - MAGPIE_ARENA_SLOT_SHIFT)

/**
 * struct magpie_dev_file - one open of /dev/magpie
 * @lock: serialises creating, destroying and mapping arenas of this file
 * @arenas: id -> struct magpie_arena, the arenas this file created
 *	(modified under @lock; xa_load() without it is safe under RCU only)
 * @nr_arenas: entries in @arenas (@lock)
 * @backed: pages backed by all arenas of this file; changed under each
 *	arena's lock, so atomic across arenas
 */
struct magpie_dev_file {
	struct mutex lock;		/* see the kernel-doc above */
	struct xarray arenas;
	unsigned int nr_arenas;
	atomic_long_t backed;
};

/**
 * struct magpie_arena - one arena
 * @id: index in the registry and in its file's @arenas; names the mmap slot
 * @owner_tgid: the process that created it (shown in /proc)
 * @owner_comm: its command name at the time
 * @file: the open file it belongs to; outlives the arena, because every
 *	mapping of the arena holds a reference to that file
 * @mapping: the file's address_space, which every mapping of the arena
 *	hangs off; releases unmap through it
 * @nr_pages: pages in the whole mapping (header, metadata, data)
 * @meta_pgoff: first metadata page, from the start of the mapping
 * @data_pgoff: first data page, from the start of the mapping
 * @base_pgoff: the mapping's first page in the device's offsets
 * @header: the header page, backed from the create on and never released;
 *	the kernel writes it through its direct mapping
 * @lock: serialises backing a page (fault) against releasing it, and
 *	guards @pages and the counters below; held across vm_insert_page()
 *	so a release that unmaps a range cannot race a fault that maps it
 * @pages: page index in the mapping -> struct page, the backed pages
 * @backed: pages in @pages (@lock; read without it for statistics)
 * @released: pages given back by releases so far (@lock)
 * @faults: pages backed on a touch (@lock)
 * @releases: releases that freed a page (@lock)
 * @prefaulted: pages backed by a prefault (@lock)
 * @prefault_wg: asynchronous prefault tasks in flight; the arena is freed
 *	only after they are done
 * @prefault_queued: pages of asynchronous prefaults queued and not yet
 *	done, at most MAGPIE_PREFAULT_ASYNC_MAX bytes' worth
 * @mappings: live VMAs of the arena: +1 at mmap and vm_ops->open, -1 at
 *	vm_ops->close; a destroy is refused while it is not 0
 * @published: the creator has been told the id (its file's @lock); until
 *	then no ioctl or mmap of the file finds the arena, so the create can
 *	take it back if telling fails
 */
struct magpie_arena {
	u32 id;
	pid_t owner_tgid;
	char owner_comm[TASK_COMM_LEN];
	struct magpie_dev_file *file;
	struct address_space *mapping;
	unsigned long nr_pages;
	unsigned long meta_pgoff;
	unsigned long data_pgoff;
	unsigned long base_pgoff;
	struct page *header;

	struct mutex lock;		/* see the kernel-doc above */
	struct xarray pages;
	unsigned long backed;
	unsigned long released;
	unsigned long faults;
	unsigned long releases;
	unsigned long prefaulted;
	struct magpie_wg prefault_wg;
	atomic_long_t prefault_queued;
	atomic_t mappings;
	bool published;
};

/*
 * Adds @n to @v if the sum stays at most @max, never above it even for a
 * moment: an addition undone on failure would make a concurrent one near
 * @max fail for nothing. Used for the counts that ioctls charge against a
 * limit (pages of an open file, queued prefault pages of an arena).
 */
static inline bool magpie_atomic_long_add_within(atomic_long_t *v, long n, long max)
{
	long old = atomic_long_read(v);

	do {
		if (old > max - n)
			return false;
	} while (!atomic_long_try_cmpxchg(v, &old, old + n));
	return true;
}

/* arena.c */
extern struct mutex magpie_arenas_mutex;
extern struct xarray magpie_arenas;
int magpie_arena_create(struct magpie_dev_file *df, struct file *file,
			struct magpie_arena_create *req);
void magpie_arena_free(struct magpie_arena *arena);
int magpie_arena_mmap(struct magpie_arena *arena, struct vm_area_struct *vma);
int magpie_arena_release_range(struct magpie_arena *arena, struct magpie_release *req);
void magpie_arena_get_stats(struct magpie_arena *arena, struct magpie_arena_stats *st);
struct magpie_arena_header *magpie_arena_header(struct magpie_arena *arena);
struct page *magpie_arena_alloc_page(struct magpie_arena *arena);
void magpie_arena_drop_page(struct magpie_arena *arena, struct page *page);
struct page *magpie_arena_install(struct magpie_arena *arena, unsigned long idx,
				  struct page *page, bool *created);

/* arena_prefault.c */
int magpie_arena_prefault(struct magpie_arena *arena, struct magpie_prefault *req);
unsigned long magpie_open_limit_pages(void);

/* arena_proc.c */
int magpie_arena_proc_init(struct proc_dir_entry *dir);
int magpie_arena_pressure_init(void);
void magpie_arena_pressure_exit(void);

/* dev.c */
int magpie_dev_init(void);
void magpie_dev_exit(void);

#endif /* _MAGPIE_ARENA_H */
