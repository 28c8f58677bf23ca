// SPDX-License-Identifier: GPL-2.0
/*
 * Self-checks for MAGPIE_IOC_RUN_CHECKS: magpie looks at its own state and
 * exercises its paths on the running system, as slub_debug's validate
 * does for SLUB.
 *
 *   alloc_classes   one general allocation per size class: usable size,
 *                   the whole object writable, freed again (first, so
 *                   that the next check has spans of every class to see)
 *   cache_spans     every span of every cache, under its central lock: the
 *                   bitmap agrees with the count, the ctz cache offers
 *                   only free objects, the span sits on the list its count
 *                   says, the page heap names it the owner of its pages,
 *                   and the central counters add up
 *   pool_tasks      1000 tasks on the worker pool all run once
 *   pool_fork_join  a binary tree of tasks 8 deep, each waiting for its
 *                   two children (waiters run other tasks meanwhile)
 *   cache_memcg     only when the caller is in a memory cgroup other than
 *                   the root: accounted allocations (an accounting cache,
 *                   __GFP_ACCOUNT on a plain one, a large object, and
 *                   ones that may not sleep or enter the filesystem,
 *                   before and after their child cache is made) land on
 *                   pages charged to that cgroup, plain ones on pages
 *                   charged to nobody
 *
 * An inconsistency is described in the kernel log and recorded as
 * -EUCLEAN; nothing is repaired.
 *
 * Limitations: objects in per-CPU magazines and the depot are out as far
 * as the spans know, so the checks cannot tell a leak from a cached
 * object; a span is checked while its cache's lock is held, so other
 * allocations of that cache wait for the walk.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/memcontrol.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cache.h"
#include "checks.h"
#include "internal.h"
#include "magpie.h"

/* One span against its own invariants; the first problem, or NULL. */
static const char *magpie_selfcheck_span(struct magpie_cache *cache, struct magpie_kspan *ks,
					 enum magpie_span_list list)
{
	const struct magpie_span *s = &ks->s;
	unsigned int i, count = 0;
	u64 cache_bits;

	if (ks->cache != cache)
		return "span of another cache on this cache's list";
	if (ks->where != list)
		return "span on another list than it records";
	if (s->nelems != magpie_sizeclasses[cache->class].nobjs)
		return "object count differs from the size class";
	for (i = 0; i < MAGPIE_SPAN_WORDS; i++)
		count += hweight64(s->alloc_bits[i]);
	if (count != s->alloc_count)
		return "bitmap and allocation count disagree";
	/* alloc_cache bit b stands for object freeindex + b. */
	cache_bits = s->alloc_cache;
	while (cache_bits) {
		unsigned int idx = s->freeindex + __ffs64(cache_bits);

		if (idx >= s->nelems || (s->alloc_bits[idx / 64] & BIT_ULL(idx % 64)))
			return "ctz cache offers an object that is out or past the end";
		cache_bits &= cache_bits - 1;
	}
	if (list == MAGPIE_SPAN_FULL ? s->alloc_count != s->nelems :
				       s->alloc_count == s->nelems)
		return "span on the wrong list for its count";
	if (list == MAGPIE_SPAN_EMPTY ? s->alloc_count : !s->alloc_count)
		return "span on the wrong list for its count";
	for (i = 0; i < ks->run.npages; i++)
		if (magpie_heap_owner(ks->run.addr + ((size_t)i << PAGE_SHIFT)) != ks)
			return "page heap names another owner of a page";
	return NULL;
}

/* Every span of @cache; adds the spans seen to *@spans. */
static int magpie_selfcheck_cache(struct magpie_cache *cache, u64 *spans)
{
	static const enum magpie_span_list lists[] = {
		MAGPIE_SPAN_PARTIAL, MAGPIE_SPAN_FULL, MAGPIE_SPAN_EMPTY,
	};
	struct magpie_central *central = &cache->central;
	unsigned long flags, nr = 0, nr_empty = 0, free = 0;
	const char *bad = NULL;
	struct magpie_kspan *ks, *bad_span = NULL;
	struct list_head *head;
	int i;

	spin_lock_irqsave(&central->lock, flags);
	for (i = 0; i < ARRAY_SIZE(lists) && !bad; i++) {
		head = magpie_central_list(central, lists[i]);
		list_for_each_entry(ks, head, node) {
			bad = magpie_selfcheck_span(cache, ks, lists[i]);
			if (bad) {
				bad_span = ks;
				break;
			}
			nr++;
			nr_empty += lists[i] == MAGPIE_SPAN_EMPTY;
			free += ks->s.nelems - ks->s.alloc_count;
		}
	}
	if (!bad && (nr != central->nr_spans || nr_empty != central->nr_empty ||
		     free != central->free_objects))
		bad = "central counters differ from the spans on the lists";
	spin_unlock_irqrestore(&central->lock, flags);
	*spans += nr;
	if (!bad)
		return 0;
	/* The span is only named, never dereferenced, after the unlock. */
	pr_err("magpie: selfcheck: cache %s: %s (span %p)\n", cache->name, bad, bad_span);
	return -EUCLEAN;
}

static void magpie_selfcheck_spans(struct magpie_results *res)
{
	struct magpie_cache *cache;
	u64 spans = 0;
	int ret = 0;

	mutex_lock(&magpie_caches_mutex);
	list_for_each_entry(cache, &magpie_caches, list)
		ret = magpie_selfcheck_cache(cache, &spans) ?: ret;
	mutex_unlock(&magpie_caches_mutex);
	magpie_result_check(res, "cache_spans", ret, spans);
}

static void magpie_selfcheck_classes(struct magpie_results *res)
{
	unsigned int class, size;
	int ret = 0;
	u8 *p;

	for (class = 1; class < MAGPIE_NR_SIZECLASSES; class++) {
		size = magpie_class_object_size(class);
		p = magpie_alloc(size, GFP_KERNEL);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		memset(p, 0x5a, size);
		if (magpie_size(p) != size || p[size - 1] != 0x5a) {
			pr_err("magpie: selfcheck: class %u: usable size %zu, want %u\n",
			       class, magpie_size(p), size);
			ret = -EUCLEAN;
		}
		magpie_free(p);
	}
	magpie_result_check(res, "alloc_classes", ret, class - 1);
}

#define SELFCHECK_TASKS		1000
#define SELFCHECK_TREE_DEPTH	8

static void magpie_selfcheck_count(void *arg)
{
	atomic_inc(arg);
}

static void magpie_selfcheck_tasks(struct magpie_results *res)
{
	struct magpie_wg wg = MAGPIE_WG_INIT;
	atomic_t ran = ATOMIC_INIT(0);
	int i, ret = 0;

	for (i = 0; i < SELFCHECK_TASKS && !ret; i++)
		ret = magpie_go(magpie_selfcheck_count, &ran, &wg, GFP_KERNEL);
	/* The wait group outlives every task that was queued. */
	magpie_wg_wait(&wg);
	if (!ret && atomic_read(&ran) != SELFCHECK_TASKS) {
		pr_err("magpie: selfcheck: %d of %d tasks ran\n", atomic_read(&ran),
		       SELFCHECK_TASKS);
		ret = -EUCLEAN;
	}
	magpie_result_check(res, "pool_tasks", ret, atomic_read(&ran));
}

struct magpie_selfcheck_node {
	unsigned int depth;
	atomic_t *leaves;
	atomic_t *errors;
};

/* Spawns two children and waits for them; the nodes live on this stack. */
static void magpie_selfcheck_tree(void *arg)
{
	struct magpie_selfcheck_node *n = arg, kids[2];
	struct magpie_wg wg = MAGPIE_WG_INIT;
	int i;

	if (!n->depth) {
		atomic_inc(n->leaves);
		return;
	}
	for (i = 0; i < 2; i++) {
		kids[i] = (struct magpie_selfcheck_node){ n->depth - 1, n->leaves, n->errors };
		if (magpie_go(magpie_selfcheck_tree, &kids[i], &wg, GFP_KERNEL)) {
			atomic_inc(n->errors);
			magpie_selfcheck_tree(&kids[i]);
		}
	}
	magpie_wg_wait(&wg);
}

static void magpie_selfcheck_fork_join(struct magpie_results *res)
{
	atomic_t leaves = ATOMIC_INIT(0), errors = ATOMIC_INIT(0);
	struct magpie_selfcheck_node root = { SELFCHECK_TREE_DEPTH, &leaves, &errors };
	int ret = 0;

	magpie_selfcheck_tree(&root);
	if (atomic_read(&errors)) {
		ret = -ENOMEM;
	} else if (atomic_read(&leaves) != 1 << SELFCHECK_TREE_DEPTH) {
		pr_err("magpie: selfcheck: fork-join reached %d of %d leaves\n",
		       atomic_read(&leaves), 1 << SELFCHECK_TREE_DEPTH);
		ret = -EUCLEAN;
	}
	magpie_result_check(res, "pool_fork_join", ret, atomic_read(&leaves));
}

#ifdef CONFIG_MEMCG
#define SELFCHECK_MEMCG_OBJS	64

/* Whether the page under @obj is charged to @memcg (NULL: to nobody). */
static bool magpie_selfcheck_charged(const void *obj, struct mem_cgroup *memcg)
{
	bool ret;

	rcu_read_lock();
	ret = page_memcg_check(virt_to_page(obj)) == memcg;
	rcu_read_unlock();
	return ret;
}

/* One object of @cache, charged (or not) as @memcg says; the object. */
static void *magpie_selfcheck_charge_one(struct magpie_cache *cache, gfp_t gfp,
					 struct mem_cgroup *memcg, const char *what, int *ret)
{
	void *obj = magpie_cache_alloc(cache, gfp);

	if (!obj) {
		*ret = *ret ?: -ENOMEM;
	} else if (!magpie_selfcheck_charged(obj, memcg)) {
		pr_err("magpie: selfcheck: %s: page of %p is charged wrongly\n", what, obj);
		*ret = -EUCLEAN;
	}
	return obj;
}

/*
 * A fresh accounting cache asked with @gfp, under which the child for the
 * caller's cgroup is not made at once but queued: the first object is
 * charged to nobody, one after magpie_memcg_flush() to @memcg.
 */
static void magpie_selfcheck_queued_child(const char *name, gfp_t gfp,
					  struct mem_cgroup *memcg, int *ret)
{
	struct magpie_cache *cache;
	void *first, *later;

	cache = magpie_cache_create(name, 128, 0, MAGPIE_CACHE_ACCOUNT, NULL);
	if (IS_ERR(cache)) {
		*ret = *ret ?: -ENOMEM;
		return;
	}
	first = magpie_selfcheck_charge_one(cache, gfp, NULL, name, ret);
	magpie_memcg_flush();
	later = magpie_selfcheck_charge_one(cache, gfp, memcg, name, ret);
	if (first)
		magpie_cache_free(cache, first);
	if (later)
		magpie_cache_free(cache, later);
	magpie_cache_destroy(cache);
}

static void magpie_selfcheck_memcg(struct magpie_results *res)
{
	struct mem_cgroup *memcg = magpie_memcg_get_current();
	struct magpie_cache *acct, *plain;
	void *objs[SELFCHECK_MEMCG_OBJS] = { }, *p = NULL, *q = NULL, *big = NULL;
	unsigned int i;
	int ret = 0;

	if (!memcg)
		return;
	acct = magpie_cache_create("selfcheck-acct", 256, 0, MAGPIE_CACHE_ACCOUNT, NULL);
	plain = magpie_cache_create("selfcheck-plain", 256, 0, 0, NULL);
	if (IS_ERR(acct) || IS_ERR(plain)) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < SELFCHECK_MEMCG_OBJS; i++)
		objs[i] = magpie_selfcheck_charge_one(acct, GFP_KERNEL, memcg,
						      "accounting cache", &ret);
	p = magpie_selfcheck_charge_one(plain, GFP_KERNEL, NULL, "plain cache", &ret);
	q = magpie_selfcheck_charge_one(plain, GFP_KERNEL_ACCOUNT, memcg,
					"__GFP_ACCOUNT on a plain cache", &ret);
	big = magpie_alloc(64 << 10, GFP_KERNEL_ACCOUNT);
	if (!big)
		ret = ret ?: -ENOMEM;
	else if (!magpie_selfcheck_charged(big, memcg))
		ret = -EUCLEAN;
	/*
	 * The child is only queued without sleeping, and without entering
	 * the filesystem (making it would).
	 */
	magpie_selfcheck_queued_child("selfcheck-atomic", GFP_NOWAIT, memcg, &ret);
	magpie_selfcheck_queued_child("selfcheck-nofs", GFP_NOFS, memcg, &ret);
out:
	/* Through the parents: frees find the children themselves. */
	for (i = 0; i < SELFCHECK_MEMCG_OBJS; i++)
		if (objs[i])
			magpie_cache_free(acct, objs[i]);
	if (p)
		magpie_cache_free(plain, p);
	if (q)
		magpie_cache_free(plain, q);
	magpie_free(big);
	magpie_cache_destroy(acct);
	magpie_cache_destroy(plain);
	mem_cgroup_put(memcg);
	magpie_result_check(res, "cache_memcg", ret, SELFCHECK_MEMCG_OBJS + 7);
}
#else
static void magpie_selfcheck_memcg(struct magpie_results *res)
{
}
#endif

/**
 * magpie_selfcheck_run() - every self-check, one result each
 * @res: where the results go
 *
 * Return: 0; a failed check is a result.
 */
int magpie_selfcheck_run(struct magpie_results *res)
{
	magpie_selfcheck_classes(res);
	magpie_selfcheck_spans(res);
	magpie_selfcheck_tasks(res);
	magpie_selfcheck_fork_join(res);
	magpie_selfcheck_memcg(res);
	return 0;
}
