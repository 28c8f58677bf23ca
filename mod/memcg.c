// SPDX-License-Identifier: GPL-2.0
/*
 * Memory cgroup accounting for caches: one child cache per cgroup.
 *
 * SLUB charges each object to an obj_cgroup, but neither 6.1 nor 7.x
 * exports that API to modules; what a module can charge is pages, through
 * __GFP_ACCOUNT. So an accounted allocation (a MAGPIE_CACHE_ACCOUNT cache,
 * or __GFP_ACCOUNT in the call) is served by a child of its cache that
 * belongs to the caller's cgroup, and the child's spans come from the
 * buddy allocator charged to that cgroup, as the kernel's own per-memcg
 * caches did before 5.9. A child is a cache like any other: it has its
 * own magazines, depot and spans, shows in /proc/magpie/caches as
 * "<cache>@<cgroup inode>", and the reaper and shrinker return its memory.
 * Its objects go back to it whichever CPU or cgroup frees them: a cache
 * with children routes every free through the object's span.
 *
 * Whose cgroup: the active memcg (set_active_memcg()) if one is set, else
 * that of the current task; in interrupt context only an active memcg set
 * there. The root cgroup is not charged, as for SLUB.
 *
 * A child is made on the first accounted allocation of its cgroup. When
 * that allocation may not sleep, it is served uncharged by the parent and
 * a work item makes the child for the next one (the pre-5.9 kernels did
 * the same).
 *
 * Limitations: a child lives, holding a reference on its cgroup, until its
 * parent is destroyed; a removed cgroup with a child stays a zombie until
 * then, although the child's memory goes back as for any idle cache.
 * Objects freed while their cgroup is gone still return to the child.
 *
 * Lock order: parent->children_mutex, then magpie_caches_mutex (child
 * creation); magpie_memcg_lock and the children xarray's lock (IRQ-safe:
 * an allocation in an interrupt may queue a child) nest inside nothing.
 */
#include <linux/cgroup.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cache.h"
#include "compat.h"

#ifdef CONFIG_MEMCG

/* A child that an atomic allocation wanted, made by magpie_memcg_work. */
struct magpie_memcg_request {
	struct list_head node;
	struct magpie_cache *cache;
	struct mem_cgroup *memcg;	/* referenced */
};

static DEFINE_SPINLOCK(magpie_memcg_lock);
static LIST_HEAD(magpie_memcg_requests);	/* [magpie_memcg_lock] */

/* Marks a child queued for creation in a parent's xarray. */
#define MAGPIE_CHILD_QUEUED	xa_mk_value(1)

/**
 * magpie_memcg_get_current() - the memory cgroup to charge now
 *
 * Return: the cgroup, referenced (mem_cgroup_put() it), or NULL when
 * nothing is charged: the root cgroup, or kernel memory not accounted.
 */
struct mem_cgroup *magpie_memcg_get_current(void)
{
	struct mem_cgroup *memcg;

	if (!magpie_memcg_kmem_on())
		return NULL;
	rcu_read_lock();
	if (in_task()) {
		memcg = current->active_memcg;
		if (!memcg)
			memcg = mem_cgroup_from_task(current);
	} else {
		memcg = this_cpu_read(int_active_memcg);
	}
	/* The root has no parent and is never charged. */
	if (memcg && (!memcg->css.parent || !css_tryget(&memcg->css)))
		memcg = NULL;
	rcu_read_unlock();
	return memcg;
}

/* Makes, or finds made meanwhile, @parent's child for @memcg. */
static struct magpie_cache *magpie_memcg_child_make(struct magpie_cache *parent,
						    struct mem_cgroup *memcg)
{
	char name[MAGPIE_CACHE_NAME_LEN];
	struct magpie_cache *child;
	int ret;

	mutex_lock(&parent->children_mutex);
	child = xa_load(&parent->children, memcg->css.id);
	if (child && !xa_is_value(child))
		goto out;
	snprintf(name, sizeof(name), "%.*s@%llu", MAGPIE_CACHE_NAME_LEN - 12, parent->name,
		 (unsigned long long)cgroup_ino(memcg->css.cgroup));
	css_get(&memcg->css);
	child = magpie_cache_create_child(parent, name, memcg);
	if (IS_ERR(child)) {
		mem_cgroup_put(memcg);
		child = NULL;
		goto out;
	}
	/*
	 * Frees of @parent look for children from now on. Before the child
	 * is published: whoever frees one of its objects got that object,
	 * through the xarray's release below and the allocation, after this.
	 */
	WRITE_ONCE(parent->free_special, true);
	ret = xa_err(xa_store_irq(&parent->children, memcg->css.id, child, GFP_KERNEL));
	if (ret) {
		/* Not magpie_cache_destroy(): it flushes the work we may be in. */
		magpie_cache_destroy_child(child);
		child = NULL;
	}
out:
	mutex_unlock(&parent->children_mutex);
	return child;
}

static void magpie_memcg_work_fn(struct work_struct *work)
{
	struct magpie_memcg_request *req;

	for (;;) {
		spin_lock_irq(&magpie_memcg_lock);
		req = list_first_entry_or_null(&magpie_memcg_requests,
					       struct magpie_memcg_request, node);
		if (req)
			list_del(&req->node);
		spin_unlock_irq(&magpie_memcg_lock);
		if (!req)
			return;
		if (!magpie_memcg_child_make(req->cache, req->memcg))
			xa_cmpxchg_irq(&req->cache->children, req->memcg->css.id,
				       MAGPIE_CHILD_QUEUED, NULL, GFP_KERNEL);
		mem_cgroup_put(req->memcg);
		kfree(req);
	}
}

static DECLARE_WORK(magpie_memcg_work, magpie_memcg_work_fn);

/* From a context that may not sleep: ask the work item for the child. */
static void magpie_memcg_child_queue(struct magpie_cache *parent, struct mem_cgroup *memcg)
{
	struct magpie_memcg_request *req;
	unsigned long flags;
	int ret;

	/*
	 * Only the first asker queues; a failed insert means it is done.
	 * We may be in an interrupt: the xarray's lock is IRQ-safe.
	 */
	xa_lock_irqsave(&parent->children, flags);
	ret = __xa_insert(&parent->children, memcg->css.id, MAGPIE_CHILD_QUEUED,
			  GFP_ATOMIC | __GFP_NOWARN);
	xa_unlock_irqrestore(&parent->children, flags);
	if (ret)
		return;
	req = kmalloc_obj(*req, GFP_ATOMIC | __GFP_NOWARN);
	if (!req) {
		/*
		 * Only our marker goes: a sleeping allocation may have made
		 * the child over it meanwhile (magpie_memcg_child_make()).
		 */
		xa_lock_irqsave(&parent->children, flags);
		__xa_cmpxchg(&parent->children, memcg->css.id, MAGPIE_CHILD_QUEUED, NULL,
			     GFP_ATOMIC);
		xa_unlock_irqrestore(&parent->children, flags);
		return;
	}
	css_get(&memcg->css);
	req->cache = parent;
	req->memcg = memcg;
	spin_lock_irqsave(&magpie_memcg_lock, flags);
	list_add_tail(&req->node, &magpie_memcg_requests);
	spin_unlock_irqrestore(&magpie_memcg_lock, flags);
	queue_work(magpie_unbound_wq(), &magpie_memcg_work);
}

/**
 * magpie_memcg_cache() - the cache an accounted allocation comes from
 * @cache: the cache asked
 * @gfp: the allocation's flags
 *
 * Return: @cache's child for the caller's cgroup, or @cache itself when
 * nothing is to be charged, or the child is not made yet and @gfp does
 * not let us sleep, or enter the filesystem or block I/O, to make it, or
 * making it failed.
 */
struct magpie_cache *magpie_memcg_cache(struct magpie_cache *cache, gfp_t gfp)
{
	struct mem_cgroup *memcg = magpie_memcg_get_current();
	struct magpie_cache *child;

	if (!memcg)
		return cache;
	/* Children are never erased while the parent lives: no RCU needed. */
	child = xa_load(&cache->children, memcg->css.id);
	if (!child || xa_is_value(child)) {
		/*
		 * Making a child allocates with GFP_KERNEL and takes a mutex:
		 * a caller that may not recurse into the filesystem or block
		 * I/O (GFP_NOFS, GFP_NOIO: say, inside a transaction) gets
		 * it queued, as one that may not sleep.
		 */
		if (gfpflags_allow_blocking(gfp) &&
		    (gfp & (__GFP_FS | __GFP_IO)) == (__GFP_FS | __GFP_IO))
			child = magpie_memcg_child_make(cache, memcg);
		else if (!child)
			magpie_memcg_child_queue(cache, memcg);
		if (!child || xa_is_value(child))
			child = cache;
	}
	mem_cgroup_put(memcg);
	return child;
}

/**
 * magpie_memcg_flush() - wait until queued children are made
 */
void magpie_memcg_flush(void)
{
	flush_work(&magpie_memcg_work);
}

/**
 * magpie_memcg_children_destroy() - destroy a parent's children
 * @cache: the parent, which nobody uses any more
 *
 * Return: true when every child is gone; false when one still has objects
 * out (it is reported and kept, and so must the parent be).
 */
bool magpie_memcg_children_destroy(struct magpie_cache *cache)
{
	struct magpie_memcg_request *req, *tmp;
	struct magpie_cache *child;
	unsigned long id;
	bool all = true;
	LIST_HEAD(mine);

	/*
	 * A queued child is marked in the xarray before its request exists
	 * and until the work is done with it: empty, nothing to wait for.
	 */
	if (xa_empty(&cache->children))
		return true;
	spin_lock_irq(&magpie_memcg_lock);
	list_for_each_entry_safe(req, tmp, &magpie_memcg_requests, node)
		if (req->cache == cache)
			list_move(&req->node, &mine);
	spin_unlock_irq(&magpie_memcg_lock);
	list_for_each_entry_safe(req, tmp, &mine, node) {
		mem_cgroup_put(req->memcg);
		kfree(req);
	}
	/* One of ours may be in the making right now. */
	flush_work(&magpie_memcg_work);

	xa_for_each(&cache->children, id, child) {
		if (!xa_is_value(child) && !magpie_cache_destroy_child(child)) {
			all = false;
			continue;
		}
		xa_erase_irq(&cache->children, id);
	}
	return all;
}

#else /* !CONFIG_MEMCG */

struct mem_cgroup *magpie_memcg_get_current(void)
{
	return NULL;
}

void magpie_memcg_flush(void)
{
}

struct magpie_cache *magpie_memcg_cache(struct magpie_cache *cache, gfp_t gfp)
{
	return cache;
}

bool magpie_memcg_children_destroy(struct magpie_cache *cache)
{
	return true;
}

#endif /* CONFIG_MEMCG */
