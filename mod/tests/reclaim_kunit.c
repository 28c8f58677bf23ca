// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_reclaim: memory going back to the system. Empty spans
 * to the page heap, idle chunks and runs of their own to the buddy
 * allocator, by the reaper within its intervals and by the shrinker at
 * once, and the per-CPU magazines of a CPU that went idle.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>

#include "../cache.h"
#include "../compat.h"
#include "../internal.h"
#include "../pageheap.h"
#include "suites.h"

/*
 * A span that is a run of its own (a memory cgroup child's; __GFP_ACCOUNT
 * makes one from the root cgroup too, uncharged) goes straight back to the
 * buddy allocator, and the pages are reported so that the shrinker counts
 * them; a span cut from a chunk only goes back into the chunk.
 */
static void reclaim_direct_run_counted(struct kunit *test)
{
	struct magpie_kspan *own, *cut;

	own = magpie_kspan_alloc(4, GFP_KERNEL | __GFP_ACCOUNT);
	KUNIT_ASSERT_NOT_NULL(test, own);
	cut = magpie_kspan_alloc(4, GFP_KERNEL);
	if (!cut)
		magpie_kspan_free(own);
	KUNIT_ASSERT_NOT_NULL(test, cut);
	KUNIT_EXPECT_PTR_EQ(test, own->run.chunk, NULL);
	KUNIT_EXPECT_PTR_NE(test, cut->run.chunk, NULL);
	KUNIT_EXPECT_EQ(test, magpie_kspan_free(own), 4UL);
	KUNIT_EXPECT_EQ(test, magpie_kspan_free(cut), 0UL);
}

/* Idle memory goes back: spans to the heap, chunks to the buddy allocator. */
static void reclaim_memory_returns(struct kunit *test)
{
	struct magpie_cache *c = mt_cache(test, "t-return", 1024, 0, NULL);
	struct magpie_heap_stats before, during, after;
	const unsigned int n = 1024;	/* 1 MiB of objects */
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	magpie_heap_get_stats(&before);
	mt_alloc_n(test, c, objs, n);
	magpie_heap_get_stats(&during);
	KUNIT_EXPECT_GE(test, during.run_pages - before.run_pages, 256UL);
	for (i = 0; i < n; i++)
		magpie_cache_free(c, objs[i]);
	mt_drain(c);
	magpie_central_release_empty(c, 0);
	magpie_heap_release_idle(0);
	magpie_heap_get_stats(&after);
	KUNIT_EXPECT_LE(test, after.run_pages, before.run_pages);
	KUNIT_EXPECT_LE(test, after.chunk_pages, before.chunk_pages);
	magpie_cache_destroy(c);
}

/*
 * The reaper itself (not a call from the test) gives a freed burst back to
 * the buddy allocator within two intervals: one to prove it idle, one to
 * release it. Per-CPU magazines are not reaped, so they are flushed here.
 * The burst is 2 MiB more than the free pages the heap's chunks hold
 * already (earlier users leave some), so that it must grow the heap.
 */
static void reclaim_reaper_returns_burst(struct kunit *test)
{
	struct magpie_cache *c = mt_cache(test, "t-reap", 2048, 0, NULL);
	unsigned int interval = magpie_reap_interval_msecs(), i, cpu, n;
	struct magpie_heap_stats before, during, after;
	unsigned long chunk_free;
	void **objs;

	magpie_heap_get_stats(&before);
	chunk_free = before.chunk_pages - (before.run_pages - before.direct_pages);
	n = (chunk_free + 512) * (PAGE_SIZE / 2048);
	objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	mt_alloc_n(test, c, objs, n);
	magpie_heap_get_stats(&during);
	KUNIT_EXPECT_GE(test, during.chunk_pages, before.chunk_pages + 256);
	for (i = 0; i < n; i++)
		magpie_cache_free(c, objs[i]);
	for_each_possible_cpu(cpu)
		magpie_cpu_dead(cpu);
	msleep(2 * interval + interval / 2);
	magpie_heap_get_stats(&after);
	KUNIT_EXPECT_LE_MSG(test, after.chunk_pages, before.chunk_pages,
			    "chunk pages before %lu, with the burst %lu, %u ms after freeing %lu",
			    before.chunk_pages, during.chunk_pages, 2 * interval + interval / 2,
			    after.chunk_pages);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0UL);
	magpie_cache_destroy(c);
}

/*
 * The shrinker's pass frees everything idle at once: this cache's spans
 * go, and the page heap holds no more chunk memory than before the test
 * (other caches' partly used chunks legitimately keep free pages).
 */
static void reclaim_shrink_frees_idle_now(struct kunit *test)
{
	struct magpie_cache *c = mt_cache(test, "t-shrink", 512, 0, NULL);
	struct magpie_heap_stats before, after;
	const unsigned int n = 256;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	magpie_heap_get_stats(&before);
	mt_alloc_n(test, c, objs, n);
	for (i = 0; i < n; i++)
		magpie_cache_free(c, objs[i]);
	/* The reaper may not release them before we look (mt_drain_locked()). */
	mutex_lock(&magpie_caches_mutex);
	mt_drain_locked(c);
	KUNIT_EXPECT_GT(test, c->central.nr_empty, 0UL);
	mutex_unlock(&magpie_caches_mutex);
	magpie_reap_all(true);
	magpie_heap_get_stats(&after);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0UL);
	KUNIT_EXPECT_LE(test, after.chunk_pages, before.chunk_pages);
	magpie_cache_destroy(c);
}

struct mt_idle_cpu {
	struct magpie_cache *cache;
	struct completion done;
};

/* Allocates and frees on this CPU, leaving objects in its magazines. */
static int mt_use_then_idle(void *arg)
{
	struct mt_idle_cpu *ic = arg;
	void *objs[64];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = magpie_cache_alloc(ic->cache, GFP_KERNEL);
		n += !!objs[i];
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		magpie_cache_free(ic->cache, objs[i]);
	complete(&ic->done);
	return 0;
}

/* A CPU that stops using a cache gets its magazines taken back. */
static void reclaim_reaper_flushes_idle_cpu(struct kunit *test)
{
	struct mt_idle_cpu ic = { .cache = mt_cache(test, "t-idlecpu", 64, 0, NULL) };
	struct magpie_cpu_cache *pc;
	struct task_struct *t;

	if (!cpu_online(1))
		kunit_skip(test, "needs CPU 1");
	init_completion(&ic.done);
	t = kthread_run_on_cpu(mt_use_then_idle, &ic, 1, "mt_idle/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&ic.done);
	pc = per_cpu_ptr(ic.cache->cpu, 1);
	KUNIT_ASSERT_GT(test, pc->pair.loaded->rounds + pc->pair.previous->rounds, 0U);
	/* One pass to see the count, one to find it unchanged. */
	magpie_reap_all(false);
	magpie_reap_all(false);
	KUNIT_EXPECT_EQ(test, pc->pair.loaded->rounds + pc->pair.previous->rounds, 0U);
	KUNIT_EXPECT_PTR_EQ(test, pc->pair.loaded, &magpie_magazine_none);
	/* Everything is in the depot or the spans now: nothing is out. */
	mutex_lock(&magpie_caches_mutex);
	magpie_cache_drain_depot(ic.cache, true);
	mutex_unlock(&magpie_caches_mutex);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(ic.cache), 0UL);
	magpie_cache_destroy(ic.cache);
}

static struct kunit_case magpie_reclaim_cases[] = {
	KUNIT_CASE(reclaim_direct_run_counted),
	KUNIT_CASE(reclaim_memory_returns),
	KUNIT_CASE(reclaim_shrink_frees_idle_now),
	KUNIT_CASE_SLOW(reclaim_reaper_returns_burst),
	KUNIT_CASE(reclaim_reaper_flushes_idle_cpu),
	{}
};

struct kunit_suite magpie_reclaim_suite = {
	.name = "magpie_reclaim",
	.test_cases = magpie_reclaim_cases,
};
