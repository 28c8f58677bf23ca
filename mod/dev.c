// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/magpie: the misc device, its open files and its ioctls. Every
 * arena belongs to the open file that created it and is reached only
 * through that file (its xarray), never by a number alone.
 *
 * DOC: device mode
 *
 * The node is created 0600, root only. Arena pages are unswappable kernel
 * memory; they are charged to the toucher's memory cgroup and bounded per
 * open file (open_limit_mb), but one user can open the device many times,
 * so handing it to unprivileged users is a site decision: a udev rule that
 * gives the node to a group, where memory cgroups bound that group.
 *
 * The module cannot be unloaded while any file of the device is open: the
 * file operations carry THIS_MODULE, and a mapping keeps its file open
 * after close(). delete_module() then fails with EWOULDBLOCK.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "arena.h"
#include "checks.h"
#include "compat.h"

/* Arenas one open file may have at once. */
#define MAGPIE_DEV_MAX_ARENAS	256

static int magpie_dev_open(struct inode *inode, struct file *file)
{
	struct magpie_dev_file *df;

	df = kzalloc_obj(*df, GFP_KERNEL_ACCOUNT);
	if (!df)
		return -ENOMEM;
	mutex_init(&df->lock);
	xa_init(&df->arenas);
	atomic_long_set(&df->backed, 0);
	file->private_data = df;
	return 0;
}

/* The last reference is gone: no VMA maps any arena of this file. */
static int magpie_dev_release(struct inode *inode, struct file *file)
{
	struct magpie_dev_file *df = file->private_data;
	struct magpie_arena *arena;
	unsigned long id;

	xa_for_each(&df->arenas, id, arena) {
		xa_erase(&df->arenas, id);
		magpie_arena_free(arena);
	}
	xa_destroy(&df->arenas);
	WARN_ON_ONCE(atomic_long_read(&df->backed));
	mutex_destroy(&df->lock);
	kfree(df);
	return 0;
}

/* Takes an arena nothing maps out of its file and frees it; @df->lock held. */
static void magpie_dev_drop_arena(struct magpie_dev_file *df, struct magpie_arena *arena)
{
	lockdep_assert_held(&df->lock);
	xa_erase(&df->arenas, arena->id);
	df->nr_arenas--;
	magpie_arena_free(arena);
}

/*
 * The arena @id names in this file, once its creator has been told the id;
 * @df->lock held.
 */
static struct magpie_arena *magpie_dev_lookup(struct magpie_dev_file *df, unsigned long id)
{
	struct magpie_arena *arena;

	lockdep_assert_held(&df->lock);
	arena = xa_load(&df->arenas, id);
	return arena && arena->published ? arena : NULL;
}

/* Each request is copied in whole; the handlers check its zero fields. */
static int magpie_dev_copy_in(void *req, const void __user *uarg, size_t size)
{
	if (copy_from_user(req, uarg, size))
		return -EFAULT;
	return 0;
}

static bool magpie_dev_zero(const void *p, size_t size)
{
	return !memchr_inv(p, 0, size);
}

static long magpie_dev_version(void __user *uarg)
{
	struct magpie_version v;
	int ret;

	ret = magpie_dev_copy_in(&v, uarg, sizeof(v));
	if (ret)
		return ret;
	/* Every field is output, flags, padding or reserved: all must be 0. */
	if (!magpie_dev_zero(&v, sizeof(v)))
		return -EINVAL;
	v.api_version = MAGPIE_API_VERSION;
	v.sizeclass_version = MAGPIE_SIZECLASS_VERSION;
	v.features = MAGPIE_FEAT_ARENA | MAGPIE_FEAT_PRESSURE | MAGPIE_FEAT_PREFAULT |
		     MAGPIE_FEAT_RUN_CHECKS;
	v.page_size = PAGE_SIZE;
	v.nr_sizeclasses = MAGPIE_NR_SIZECLASSES;
	v.max_arena_size = MAGPIE_ARENA_MAX_SIZE;
	v.open_limit = (u64)magpie_open_limit_pages() << PAGE_SHIFT;
	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long magpie_dev_arena_create(struct file *file, void __user *uarg)
{
	struct magpie_dev_file *df = file->private_data;
	struct magpie_arena_create req;
	struct magpie_arena *arena;
	unsigned long failed;
	int ret;

	ret = magpie_dev_copy_in(&req, uarg, sizeof(req));
	if (ret)
		return ret;
	/* Every field but @size is output or reserved: all must be 0. */
	if (req.flags || req.id || req.mmap_offset || req.map_size || req.meta_offset ||
	    req.meta_size || req.data_offset ||
	    !magpie_dev_zero(req.reserved, sizeof(req.reserved)))
		return -EINVAL;

	mutex_lock(&df->lock);
	if (df->nr_arenas >= MAGPIE_DEV_MAX_ARENAS)
		ret = -EMFILE;
	else
		ret = magpie_arena_create(df, file, &req);
	mutex_unlock(&df->lock);
	if (ret)
		return ret;
	/*
	 * Outside @df->lock: a fault in copy_to_user() takes the mmap lock,
	 * under which mmap takes @df->lock. Until the id is out, nothing
	 * else of this file finds the arena, so the undo frees our own.
	 */
	failed = copy_to_user(uarg, &req, sizeof(req));
	mutex_lock(&df->lock);
	arena = xa_load(&df->arenas, req.id);
	if (failed)
		magpie_dev_drop_arena(df, arena);
	else
		arena->published = true;
	mutex_unlock(&df->lock);
	return failed ? -EFAULT : 0;
}

static long magpie_dev_arena_destroy(struct magpie_dev_file *df, void __user *uarg)
{
	struct magpie_arena_destroy req;
	struct magpie_arena *arena;
	int ret;

	ret = magpie_dev_copy_in(&req, uarg, sizeof(req));
	if (ret)
		return ret;
	if (req.flags || !magpie_dev_zero(req.reserved, sizeof(req.reserved)))
		return -EINVAL;

	mutex_lock(&df->lock);
	arena = magpie_dev_lookup(df, req.id);
	if (!arena) {
		ret = -ENOENT;
	} else if (atomic_read(&arena->mappings)) {
		/* mmap takes @df->lock too, so no new mapping can appear. */
		ret = -EBUSY;
	} else {
		magpie_dev_drop_arena(df, arena);
	}
	mutex_unlock(&df->lock);
	return ret;
}

/*
 * Release, prefault and stats use the arena under @df->lock: a destroy on the same
 * file, from another thread, would otherwise free it underneath them.
 */
static long magpie_dev_release_range(struct magpie_dev_file *df, void __user *uarg)
{
	struct magpie_release req;
	struct magpie_arena *arena;
	int ret;

	ret = magpie_dev_copy_in(&req, uarg, sizeof(req));
	if (ret)
		return ret;
	if (req.flags || req.released || !magpie_dev_zero(req.reserved, sizeof(req.reserved)))
		return -EINVAL;

	mutex_lock(&df->lock);
	arena = magpie_dev_lookup(df, req.id);
	ret = arena ? magpie_arena_release_range(arena, &req) : -ENOENT;
	mutex_unlock(&df->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long magpie_dev_arena_stats(struct magpie_dev_file *df, void __user *uarg)
{
	struct magpie_arena_stats st;
	struct magpie_arena *arena;
	u32 id;
	int ret;

	ret = magpie_dev_copy_in(&st, uarg, sizeof(st));
	if (ret)
		return ret;
	if (st.flags)
		return -EINVAL;
	/* Output fields must come in as 0 like reserved ones. */
	if (!magpie_dev_zero(&st.size, sizeof(st) - offsetof(struct magpie_arena_stats, size)))
		return -EINVAL;
	id = st.id;

	mutex_lock(&df->lock);
	arena = magpie_dev_lookup(df, id);
	if (arena)
		magpie_arena_get_stats(arena, &st);
	mutex_unlock(&df->lock);
	if (!arena)
		return -ENOENT;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long magpie_dev_prefault(struct magpie_dev_file *df, void __user *uarg)
{
	struct magpie_prefault req;
	struct magpie_arena *arena;
	int ret;

	ret = magpie_dev_copy_in(&req, uarg, sizeof(req));
	if (ret)
		return ret;
	/* All that does not need the arena, before it is looked up. */
	if ((req.flags & ~MAGPIE_PREFAULT_ASYNC) || req.backed ||
	    !magpie_dev_zero(req.reserved, sizeof(req.reserved)) ||
	    !req.length || !PAGE_ALIGNED(req.offset) || !PAGE_ALIGNED(req.length))
		return -EINVAL;

	mutex_lock(&df->lock);
	arena = magpie_dev_lookup(df, req.id);
	ret = arena ? magpie_arena_prefault(arena, &req) : -ENOENT;
	mutex_unlock(&df->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

/*
 * MAGPIE_IOC_RUN_CHECKS: the results are gathered in a kernel buffer and
 * copied out once at the end, so no suite runs with a user fault pending.
 */
static long magpie_dev_run_checks(void __user *uarg)
{
	struct magpie_run_checks req;
	struct magpie_results res = {};
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = magpie_dev_copy_in(&req, uarg, sizeof(req));
	if (ret)
		return ret;
	if (!req.what || (req.what & ~MAGPIE_RUN_ALL) || req.scale > MAGPIE_RUN_SCALE_MAX ||
	    req.capacity > MAGPIE_RESULTS_MAX || req.result_size != sizeof(struct magpie_result) ||
	    req.count || req.failed || !magpie_dev_zero(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (req.capacity) {
		res.buf = kvcalloc(req.capacity, sizeof(*res.buf), GFP_KERNEL);
		if (!res.buf)
			return -ENOMEM;
	}
	res.capacity = req.capacity;
	ret = magpie_checks_run(req.what, req.scale ?: 1, &res);
	if (ret)
		goto out;
	if (copy_to_user(u64_to_user_ptr(req.results), res.buf,
			 (size_t)min(res.count, res.capacity) * sizeof(*res.buf))) {
		ret = -EFAULT;
		goto out;
	}
	req.count = res.count;
	req.failed = res.failed;
	ret = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
out:
	kvfree(res.buf);
	return ret;
}

static long magpie_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct magpie_dev_file *df = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MAGPIE_IOC_VERSION:
		return magpie_dev_version(uarg);
	case MAGPIE_IOC_ARENA_CREATE:
		return magpie_dev_arena_create(file, uarg);
	case MAGPIE_IOC_RELEASE:
		return magpie_dev_release_range(df, uarg);
	case MAGPIE_IOC_ARENA_STATS:
		return magpie_dev_arena_stats(df, uarg);
	case MAGPIE_IOC_ARENA_DESTROY:
		return magpie_dev_arena_destroy(df, uarg);
	case MAGPIE_IOC_PREFAULT:
		return magpie_dev_prefault(df, uarg);
	case MAGPIE_IOC_RUN_CHECKS:
		return magpie_dev_run_checks(uarg);
	default:
		return -ENOTTY;
	}
}

static int magpie_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct magpie_dev_file *df = file->private_data;
	unsigned long id = vma->vm_pgoff >> (MAGPIE_ARENA_SLOT_SHIFT - PAGE_SHIFT);
	struct magpie_arena *arena;
	int ret;

	mutex_lock(&df->lock);
	arena = magpie_dev_lookup(df, id);
	ret = arena ? magpie_arena_mmap(arena, vma) : -EINVAL;
	mutex_unlock(&df->lock);
	return ret;
}

static const struct file_operations magpie_dev_fops = {
	.owner = THIS_MODULE,
	.open = magpie_dev_open,
	.release = magpie_dev_release,
	.unlocked_ioctl = magpie_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = magpie_dev_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice magpie_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "magpie",
	.fops = &magpie_dev_fops,
	.mode = 0600,
};

/**
 * magpie_dev_init() - register /dev/magpie
 *
 * Return: 0, or the error of misc_register().
 */
int magpie_dev_init(void)
{
	return misc_register(&magpie_miscdev);
}

/**
 * magpie_dev_exit() - unregister /dev/magpie
 *
 * No file of the device is open here: each holds a module reference.
 */
void magpie_dev_exit(void)
{
	misc_deregister(&magpie_miscdev);
}
