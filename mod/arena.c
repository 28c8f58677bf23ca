// SPDX-License-Identifier: GPL-2.0
/*
 * Arenas: creating and freeing one, its mapping, backing its pages on the
 * first touch and giving them back on a release.
 *
 * DOC: arena pages
 *
 * An arena's pages live in an xarray indexed by their page offset in the
 * mapping. The header page is allocated at the create; every other page
 * is allocated, zeroed and charged to the toucher's memory cgroup
 * (__GFP_ACCOUNT) by the fault handler, which inserts it into the faulting
 * VMA with vm_insert_page() under the arena's lock. A release unmaps the
 * range from every process through the file's address_space, then takes
 * the pages out of the xarray and drops the arena's references, all under
 * that same lock, so a fault either maps a page before the release (and is
 * unmapped by it) or after it (and gets a new zeroed page); each page goes
 * back to the buddy allocator as the release drops it.
 *
 * Limitations: pages are not swappable and not migratable (they are
 * pinned by the arena like a driver's buffer); core dumps leave arenas out
 * (VM_DONTDUMP), since dumping would back every page of a large, mostly
 * untouched mapping; the per-arena lock serialises faults of one arena.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "arena.h"
#include "compat.h"

/* The registry of every arena, for unique ids, /proc and the shrinker. */
DEFINE_MUTEX(magpie_arenas_mutex);
DEFINE_XARRAY_ALLOC1(magpie_arenas);

static unsigned int open_limit_mb = 1024;

static int open_limit_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1U << 20);
}

static const struct kernel_param_ops open_limit_ops = {
	.set = open_limit_set,
	.get = param_get_uint,
};

module_param_cb(open_limit_mb, &open_limit_ops, &open_limit_mb, 0644);
MODULE_PARM_DESC(open_limit_mb,
		 "MiB of arena pages one open /dev/magpie may have backed (1..1048576, default 1024)");

/**
 * magpie_open_limit_pages() - how many pages one open file may have backed
 *
 * Return: the limit in pages, as the module parameter says now.
 */
unsigned long magpie_open_limit_pages(void)
{
	return (unsigned long)READ_ONCE(open_limit_mb) << (20 - PAGE_SHIFT);
}

/**
 * magpie_arena_header() - the kernel's view of an arena's header page
 * @arena: the arena
 *
 * Return: the header through the kernel's direct mapping. Userspace may
 * write any field at any time: readers use READ_ONCE() and validate.
 */
struct magpie_arena_header *magpie_arena_header(struct magpie_arena *arena)
{
	return page_address(arena->header);
}

/* Counts one more page against @df's limit, if it is below it. */
static bool magpie_file_charge(struct magpie_dev_file *df)
{
	return magpie_atomic_long_add_within(&df->backed, 1, magpie_open_limit_pages());
}

/*
 * Whether the caller's mmap() offset is a 32-bit count (ia32's mmap2());
 * x32 is a compat task too, but maps with 64-bit offsets.
 */
static bool magpie_mmap_offset_32bit(void)
{
#ifdef CONFIG_X86_X32_ABI
	if (in_x32_syscall())
		return false;
#endif
	return in_compat_syscall();
}

static void magpie_arena_fill_header(struct magpie_arena *arena, u64 data_size)
{
	struct magpie_arena_header *h = magpie_arena_header(arena);

	h->magic = MAGPIE_ARENA_MAGIC;
	h->api_version = MAGPIE_API_VERSION;
	h->sizeclass_version = MAGPIE_SIZECLASS_VERSION;
	h->nr_sizeclasses = MAGPIE_NR_SIZECLASSES;
	h->map_size = (u64)arena->nr_pages << PAGE_SHIFT;
	h->meta_offset = (u64)arena->meta_pgoff << PAGE_SHIFT;
	h->meta_size = (u64)(arena->data_pgoff - arena->meta_pgoff) << PAGE_SHIFT;
	h->data_offset = (u64)arena->data_pgoff << PAGE_SHIFT;
	h->data_size = data_size;
}

/**
 * magpie_arena_create() - create an arena for an open file
 * @df: the open file's context; its lock is held by the caller
 * @file: the open file
 * @req: the request, flags and reserved fields already checked; the
 *	output fields are filled in on success
 *
 * The arena is not published: no other ioctl or mmap of the file finds it
 * until the caller sets @published.
 *
 * Return: 0, -EINVAL for a size that is not a non-zero multiple of the page
 * size up to MAGPIE_ARENA_MAX_SIZE, -ENOSPC when the header page would
 * take the file over its limit, -EMFILE when the device has no id left
 * (32-bit callers share the ids their mmap2() reaches), -ENOMEM.
 */
int magpie_arena_create(struct magpie_dev_file *df, struct file *file,
			struct magpie_arena_create *req)
{
	unsigned long data_pages, meta_pages;
	struct magpie_arena *arena;
	struct xa_limit limit;
	u32 id;
	int ret;

	lockdep_assert_held(&df->lock);
	if (!req->size || req->size > MAGPIE_ARENA_MAX_SIZE || !PAGE_ALIGNED(req->size))
		return -EINVAL;
	data_pages = req->size >> PAGE_SHIFT;
	meta_pages = DIV_ROUND_UP(data_pages * MAGPIE_ARENA_META_PER_PAGE, PAGE_SIZE);

	arena = kzalloc_obj(*arena, GFP_KERNEL_ACCOUNT);
	if (!arena)
		return -ENOMEM;
	arena->header = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!arena->header) {
		ret = -ENOMEM;
		goto err_free;
	}
	arena->file = df;
	arena->mapping = file->f_mapping;
	arena->owner_tgid = task_tgid_nr(current);
	get_task_comm(arena->owner_comm, current);
	arena->meta_pgoff = 1;
	arena->data_pgoff = 1 + meta_pages;
	arena->nr_pages = arena->data_pgoff + data_pages;
	mutex_init(&arena->lock);
	xa_init(&arena->pages);
	magpie_wg_init(&arena->prefault_wg);
	atomic_long_set(&arena->prefault_queued, 0);
	atomic_set(&arena->mappings, 0);
	magpie_arena_fill_header(arena, req->size);

	ret = xa_insert(&arena->pages, 0, arena->header, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_page;
	/* The header page counts against the open file's limit like any. */
	if (!magpie_file_charge(df)) {
		ret = -ENOSPC;
		goto err_page_xa;
	}
	arena->backed = 1;

	if (magpie_mmap_offset_32bit())
		limit = XA_LIMIT(1, MAGPIE_ARENA_COMPAT_IDS - 1);
	else
		limit = XA_LIMIT(MAGPIE_ARENA_COMPAT_IDS, MAGPIE_ARENA_MAX_ID - 1);
	mutex_lock(&magpie_arenas_mutex);
	ret = xa_alloc(&magpie_arenas, &id, arena, limit, GFP_KERNEL);
	/* Under the mutex: /proc reads the id of every registered arena. */
	if (!ret) {
		arena->id = id;
		arena->base_pgoff = (unsigned long)id << (MAGPIE_ARENA_SLOT_SHIFT - PAGE_SHIFT);
	}
	mutex_unlock(&magpie_arenas_mutex);
	if (ret) {
		ret = ret == -EBUSY ? -EMFILE : ret;
		goto err_backed;
	}

	ret = xa_insert(&df->arenas, id, arena, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_registry;
	df->nr_arenas++;

	req->id = id;
	req->mmap_offset = (u64)id << MAGPIE_ARENA_SLOT_SHIFT;
	req->map_size = (u64)arena->nr_pages << PAGE_SHIFT;
	req->meta_offset = (u64)arena->meta_pgoff << PAGE_SHIFT;
	req->meta_size = (u64)meta_pages << PAGE_SHIFT;
	req->data_offset = (u64)arena->data_pgoff << PAGE_SHIFT;
	return 0;

err_registry:
	mutex_lock(&magpie_arenas_mutex);
	xa_erase(&magpie_arenas, id);
	mutex_unlock(&magpie_arenas_mutex);
err_backed:
	atomic_long_dec(&df->backed);
err_page_xa:
	xa_erase(&arena->pages, 0);
err_page:
	__free_page(arena->header);
err_free:
	kfree(arena);
	return ret;
}

/* Pages handed back to the page allocator at a time. */
#define MAGPIE_RELEASE_BATCH	32

/*
 * Takes the pages of [@first, @last] out of the arena and drops its
 * references, which are the last once the pages are unmapped. One walk of
 * the xarray, and release_pages() in batches: it uncharges the memory
 * cgroup and frees a batch at once, where put_page() would do both page
 * by page. Returns the number of pages dropped.
 */
static unsigned long magpie_arena_drop_pages(struct magpie_arena *arena, unsigned long first,
					     unsigned long last)
{
	struct page *batch[MAGPIE_RELEASE_BATCH];
	XA_STATE(xas, &arena->pages, first);
	unsigned long dropped = 0;
	unsigned int n = 0;
	struct page *page;

	xas_lock(&xas);
	xas_for_each(&xas, page, last) {
		xas_store(&xas, NULL);
		batch[n++] = page;
		if (n < ARRAY_SIZE(batch))
			continue;
		xas_pause(&xas);
		xas_unlock(&xas);
		release_pages(batch, n);
		dropped += n;
		n = 0;
		cond_resched();
		xas_lock(&xas);
	}
	xas_unlock(&xas);
	if (n)
		release_pages(batch, n);
	return dropped + n;
}

/**
 * magpie_arena_free() - free an arena and every page it holds
 * @arena: an arena no VMA maps any more, already taken out of its file's
 *	xarray
 *
 * Takes it out of the registry first, so /proc and the shrinker, which
 * look at arenas only under magpie_arenas_mutex, never see it half freed.
 */
void magpie_arena_free(struct magpie_arena *arena)
{
	WARN_ON_ONCE(atomic_read(&arena->mappings));
	/* Prefault tasks use the arena until their last page. */
	magpie_wg_wait(&arena->prefault_wg);
	WARN_ON_ONCE(atomic_long_read(&arena->prefault_queued));
	mutex_lock(&magpie_arenas_mutex);
	xa_erase(&magpie_arenas, arena->id);
	mutex_unlock(&magpie_arenas_mutex);

	magpie_arena_drop_pages(arena, 0, ULONG_MAX);
	xa_destroy(&arena->pages);
	atomic_long_sub(arena->backed, &arena->file->backed);
	mutex_destroy(&arena->lock);
	kfree(arena);
}

/**
 * magpie_arena_alloc_page() - a new page for an arena, within its file's limit
 * @arena: the arena; its lock need not be held
 *
 * The page is zeroed and charged to the active memory cgroup (the
 * caller's, or the one a prefault task adopted), and counted against the
 * open file's limit until magpie_arena_install() keeps it or
 * magpie_arena_drop_page() gives it back.
 *
 * Return: the page, or ERR_PTR(-ENOSPC) at the limit, ERR_PTR(-ENOMEM).
 */
struct page *magpie_arena_alloc_page(struct magpie_arena *arena)
{
	struct magpie_dev_file *df = arena->file;
	struct page *page;

	if (!magpie_file_charge(df))
		return ERR_PTR(-ENOSPC);
	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
	if (!page) {
		atomic_long_dec(&df->backed);
		return ERR_PTR(-ENOMEM);
	}
	return page;
}

/**
 * magpie_arena_drop_page() - give back a page magpie_arena_install() did not keep
 * @arena: the arena
 * @page: the page, from magpie_arena_alloc_page()
 */
void magpie_arena_drop_page(struct magpie_arena *arena, struct page *page)
{
	__free_page(page);
	atomic_long_dec(&arena->file->backed);
}

/**
 * magpie_arena_install() - make a page from magpie_arena_alloc_page() an arena page
 * @arena: the arena, its lock held
 * @idx: page index in the mapping
 * @page: the new page; given back when @idx is backed already or on error
 * @created: set to whether @page was kept
 *
 * Return: the page now at @idx, or ERR_PTR(-ENOMEM).
 */
struct page *magpie_arena_install(struct magpie_arena *arena, unsigned long idx,
				  struct page *page, bool *created)
{
	struct page *there;
	int ret;

	lockdep_assert_held(&arena->lock);
	*created = false;
	there = xa_load(&arena->pages, idx);
	if (!there) {
		ret = xa_insert(&arena->pages, idx, page, GFP_KERNEL_ACCOUNT);
		if (!ret) {
			arena->backed++;
			*created = true;
			return page;
		}
		there = ERR_PTR(ret);
	}
	magpie_arena_drop_page(arena, page);
	return there;
}

static vm_fault_t magpie_arena_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct magpie_arena *arena = vma->vm_private_data;
	unsigned long idx = vmf->pgoff - arena->base_pgoff;
	struct page *page;
	bool created;
	vm_fault_t ret;
	int err;

	/* mmap checked the VMA against the arena; mremap cannot grow it. */
	if (WARN_ON_ONCE(idx >= arena->nr_pages))
		return VM_FAULT_SIGBUS;

	mutex_lock(&arena->lock);
	page = xa_load(&arena->pages, idx);
	created = false;
	if (!page) {
		page = magpie_arena_alloc_page(arena);
		if (!IS_ERR(page))
			page = magpie_arena_install(arena, idx, page, &created);
	}
	if (IS_ERR(page)) {
		/*
		 * Over the open file's limit the toucher gets SIGBUS, as
		 * beyond the end of a file: the OOM killer is for a system
		 * out of memory, not for a client over its quota.
		 */
		ret = PTR_ERR(page) == -ENOSPC ? VM_FAULT_SIGBUS : VM_FAULT_OOM;
		goto out;
	}
	arena->faults += created;
	/*
	 * vm_insert_page() takes its own reference for the PTE; -EBUSY means
	 * another thread of the same mm mapped the page first.
	 */
	err = vm_insert_page(vma, vmf->address & PAGE_MASK, page);
	ret = (!err || err == -EBUSY) ? VM_FAULT_NOPAGE : vmf_error(err);
out:
	mutex_unlock(&arena->lock);
	return ret;
}

/* A VMA of the arena was split off or copied: one more to wait for. */
static void magpie_arena_vm_open(struct vm_area_struct *vma)
{
	struct magpie_arena *arena = vma->vm_private_data;

	atomic_inc(&arena->mappings);
}

static void magpie_arena_vm_close(struct vm_area_struct *vma)
{
	struct magpie_arena *arena = vma->vm_private_data;

	atomic_dec(&arena->mappings);
}

static const struct vm_operations_struct magpie_arena_vm_ops = {
	.open = magpie_arena_vm_open,
	.close = magpie_arena_vm_close,
	.fault = magpie_arena_fault,
};

/**
 * magpie_arena_mmap() - set up a VMA that maps (part of) an arena
 * @arena: the arena whose slot the VMA's offset is in
 * @vma: the new VMA
 *
 * The VMA must be shared and not executable, and lie inside the arena.
 * A child inherits it on fork like any shared mapping: parent and child
 * then see the same pages (userlib gives its child a private copy). It
 * cannot grow (VM_DONTEXPAND) and never becomes executable (VM_MAYEXEC
 * cleared).
 *
 * Return: 0, -EINVAL for a private mapping or a range outside the arena,
 * -EPERM for an executable one.
 */
int magpie_arena_mmap(struct magpie_arena *arena, struct vm_area_struct *vma)
{
	unsigned long first = vma->vm_pgoff - arena->base_pgoff;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (first >= arena->nr_pages || vma_pages(vma) > arena->nr_pages - first)
		return -EINVAL;

	/*
	 * VM_MIXEDMAP up front: vm_insert_page() would otherwise set it from
	 * the fault, which it may do only with the mmap lock held for write.
	 */
	magpie_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	magpie_vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_ops = &magpie_arena_vm_ops;
	vma->vm_private_data = arena;
	atomic_inc(&arena->mappings);
	return 0;
}

/**
 * magpie_arena_release_range() - give data pages back to the system
 * @arena: the arena
 * @req: the request, flags and reserved fields already checked; @released
 *	is filled in
 *
 * Return: 0, or -EINVAL for a range that is not page aligned, empty, or
 * not inside the data area.
 */
int magpie_arena_release_range(struct magpie_arena *arena, struct magpie_release *req)
{
	unsigned long first, last, idx, freed;

	if (!req->length || !PAGE_ALIGNED(req->offset) || !PAGE_ALIGNED(req->length))
		return -EINVAL;
	first = req->offset >> PAGE_SHIFT;
	/* Compare page counts, so offset + length cannot overflow. */
	if (first < arena->data_pgoff || first >= arena->nr_pages ||
	    (req->length >> PAGE_SHIFT) > arena->nr_pages - first)
		return -EINVAL;
	last = first + (req->length >> PAGE_SHIFT) - 1;

	mutex_lock(&arena->lock);
	/*
	 * Every PTE of the arena maps a page that is in @pages (faults add
	 * and map, releases remove and unmap, both under the lock), so a
	 * range without pages has nothing to unmap. Otherwise one unmap of
	 * the whole range, then the pages: no fault can map one in between,
	 * and the pages are freed once the PTEs' references and ours are gone.
	 */
	idx = first;
	if (xa_find(&arena->pages, &idx, last, XA_PRESENT))
		unmap_mapping_range(arena->mapping,
				    (loff_t)(arena->base_pgoff + first) << PAGE_SHIFT,
				    (loff_t)(last - first + 1) << PAGE_SHIFT, 1);
	freed = magpie_arena_drop_pages(arena, first, last);
	arena->backed -= freed;
	arena->released += freed;
	if (freed)
		arena->releases++;
	atomic_long_sub(freed, &arena->file->backed);
	mutex_unlock(&arena->lock);
	req->released = freed;
	return 0;
}

/**
 * magpie_arena_get_stats() - an arena's counters
 * @arena: the arena
 * @st: filled in (all output fields)
 */
void magpie_arena_get_stats(struct magpie_arena *arena, struct magpie_arena_stats *st)
{
	mutex_lock(&arena->lock);
	st->size = (u64)(arena->nr_pages - arena->data_pgoff) << PAGE_SHIFT;
	st->map_size = (u64)arena->nr_pages << PAGE_SHIFT;
	st->pages_backed = arena->backed;
	st->pages_released = arena->released;
	st->faults = arena->faults;
	st->releases = arena->releases;
	st->prefaulted = arena->prefaulted;
	mutex_unlock(&arena->lock);
	st->mappings = atomic_read(&arena->mappings);
	st->pressure_epoch = READ_ONCE(magpie_arena_header(arena)->pressure_epoch);
	st->open_backed = atomic_long_read(&arena->file->backed);
}
