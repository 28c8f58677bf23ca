// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite magpie_cache: the object caches end to end in the kernel
 * (page heap, central lists, magazines and depot together), and the
 * general allocator on top of them.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "../cache.h"
#include "../compat.h"
#include "../internal.h"
#include "../magpie.h"
#include "suites.h"

/* mt_drain() for a caller that holds magpie_caches_mutex. */
void mt_drain_locked(struct magpie_cache *c)
{
	unsigned int cpu;

	lockdep_assert_held(&magpie_caches_mutex);
	for_each_possible_cpu(cpu)
		magpie_cache_drain_cpu(c, cpu);
	magpie_cache_drain_depot(c, true);
}

/* Every CPU's magazines and the depot back to the spans. */
void mt_drain(struct magpie_cache *c)
{
	/*
	 * The reaper runs under this mutex and may hold magazines it took
	 * from the depot; waiting for it means none are in flight after.
	 */
	mutex_lock(&magpie_caches_mutex);
	mt_drain_locked(c);
	mutex_unlock(&magpie_caches_mutex);
}

/* Fills @objs with @n objects of @c; the case stops if one is missing. */
void mt_alloc_n(struct kunit *test, struct magpie_cache *c, void **objs,
		unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		objs[i] = magpie_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
}

struct magpie_cache *mt_cache(struct kunit *test, const char *name,
			      unsigned int size, unsigned int align,
			      void (*ctor)(void *))
{
	struct magpie_cache *cache = magpie_cache_create(name, size, align, 0, ctor);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(cache), "create %s: %ld", name, PTR_ERR(cache));
	return cache;
}

/* Every bad argument is refused with -EINVAL and creates nothing. */
static void cache_create_rejects_bad_arguments(struct kunit *test)
{
	static const struct { const char *name; unsigned int size, align; unsigned long flags; }
	bad[] = {
		{ NULL, 64, 0, 0 },
		{ "", 64, 0, 0 },
		{ "a-name-that-is-far-too-long-for-a-cache", 64, 0, 0 },
		{ "has space", 64, 0, 0 },
		{ "#header", 64, 0, 0 },
		{ "tab\tname", 64, 0, 0 },
		{ "back\\slash", 64, 0, 0 },
		{ "caf\xe9", 64, 0, 0 },
		{ "zero", 0, 0, 0 },
		{ "huge", MAGPIE_MAX_SMALL_SIZE + 1, 0, 0 },
		{ "align3", 64, 3, 0 },
		{ "align2page", 64, 2 * PAGE_SIZE, 0 },
		{ "flags", 64, 0, BIT(7) },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct magpie_cache *c = magpie_cache_create(bad[i].name, bad[i].size,
							     bad[i].align, bad[i].flags, NULL);

		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(c), -EINVAL, "case %u", i);
		if (!IS_ERR(c))
			magpie_cache_destroy(c);
	}
	magpie_cache_destroy(NULL);
	magpie_cache_destroy(ERR_PTR(-EINVAL));
}

/* Objects are distinct, usable, aligned; all memory goes back. */
static void cache_alloc_free_many(struct kunit *test)
{
	struct magpie_cache *c = mt_cache(test, "t-many", 72, 0, NULL);
	const unsigned int n = 2000;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = magpie_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_EQ(test, (unsigned long)objs[i] % 8, 0UL);
		memset(objs[i], i & 0xff, 72);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < 72; j++)
			if (((u8 *)objs[i])[j] != (i & 0xff)) {
				KUNIT_FAIL(test, "object %u overwritten at byte %u", i, j);
				i = n;
				break;
			}
	for (i = 0; i < n; i++)
		magpie_cache_free(c, objs[i]);
	/*
	 * Under the mutex, so that the reaper cannot release the drained
	 * spans (drained magazines count as idle) before we look.
	 */
	mutex_lock(&magpie_caches_mutex);
	mt_drain_locked(c);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	KUNIT_EXPECT_GT(test, c->central.nr_empty, 0UL);
	/* Spans cut from chunks: back into them, none to the buddy allocator yet. */
	KUNIT_EXPECT_EQ(test, magpie_central_release_empty(c, 0), 0UL);
	mutex_unlock(&magpie_caches_mutex);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0UL);
	magpie_cache_destroy(c);
}

/* Alignment: natural for powers of two, as asked otherwise. */
static void cache_alignment(struct kunit *test)
{
	static const struct { unsigned int size, align, want; } cases[] = {
		{ 24, 0, 8 }, { 100, 64, 64 }, { 512, 0, 512 }, { 4096, 0, 4096 },
		{ 1, 0, 8 }, { 3000, 256, 256 }, { 8192, 0, 8 },
	};
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct magpie_cache *c = mt_cache(test, "t-align", cases[i].size,
						  cases[i].align, NULL);
		void *objs[16];

		for (k = 0; k < ARRAY_SIZE(objs); k++) {
			objs[k] = magpie_cache_alloc(c, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[k]);
			KUNIT_EXPECT_EQ_MSG(test, (unsigned long)objs[k] % cases[i].want, 0UL,
					    "size %u align %u", cases[i].size, cases[i].align);
		}
		for (k = 0; k < ARRAY_SIZE(objs); k++)
			magpie_cache_free(c, objs[k]);
		magpie_cache_destroy(c);
	}
}

static atomic_t mt_ctor_calls;

static void mt_ctor(void *obj)
{
	atomic_inc(&mt_ctor_calls);
	*(u32 *)obj = 0xc0ffee;
}

/* The constructor runs once per object when its span is made, not per allocation. */
static void cache_ctor_once_per_object(struct kunit *test)
{
	struct magpie_cache *c;
	void *objs[40];
	unsigned int i, round;

	atomic_set(&mt_ctor_calls, 0);
	c = mt_cache(test, "t-ctor", 256, 0, mt_ctor);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			objs[i] = magpie_cache_alloc(c, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_EQ(test, *(u32 *)objs[i], 0xc0ffeeU);
		}
		for (i = 0; i < ARRAY_SIZE(objs); i++)
			magpie_cache_free(c, objs[i]);
	}
	/* 256-byte spans hold 16: every object constructed exactly once. */
	KUNIT_EXPECT_EQ(test, atomic_read(&mt_ctor_calls) % 16, 0);
	KUNIT_EXPECT_LE(test, atomic_read(&mt_ctor_calls), 16 * (int)c->central.nr_spans);
	KUNIT_EXPECT_GE(test, atomic_read(&mt_ctor_calls), (int)ARRAY_SIZE(objs));
	magpie_cache_destroy(c);
}

/*
 * __GFP_ZERO zeroes an object even when it was dirty when freed, at every
 * size the zeroing treats apart: whole words up to 64 bytes, other sizes
 * up to 64 bytes and larger objects (magpie_zero()).
 */
static void cache_gfp_zero(struct kunit *test)
{
	static const unsigned int sizes[] = { 8, 24, 44, 48, 64, 72, 200 };
	unsigned int s, i;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		unsigned int size = sizes[s];
		struct magpie_cache *c = mt_cache(test, "t-zero", size, 0, NULL);
		u8 *p = magpie_cache_alloc(c, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xa5, size);
		magpie_cache_free(c, p);
		p = magpie_cache_alloc(c, GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, p);
		for (i = 0; i < size; i++)
			if (p[i]) {
				KUNIT_FAIL(test, "size %u: byte %u not zeroed", size, i);
				break;
			}
		magpie_cache_free(c, p);
		magpie_cache_destroy(c);
	}
}

/* Bulk allocation gives distinct objects and frees them all. */
static void cache_bulk(struct kunit *test)
{
	struct magpie_cache *c = mt_cache(test, "t-bulk", 128, 0, NULL);
	void **objs = kunit_kcalloc(test, 300, sizeof(void *), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, magpie_cache_alloc_bulk(c, GFP_KERNEL, 16, objs), 16);
	KUNIT_ASSERT_EQ(test, magpie_cache_alloc_bulk(c, GFP_KERNEL, 284, objs + 16), 284);
	for (i = 0; i < 300; i++)
		for (j = i + 1; j < 300; j++)
			KUNIT_ASSERT_PTR_NE(test, objs[i], objs[j]);
	magpie_cache_free_bulk(c, 300, objs);
	mt_drain(c);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	magpie_cache_destroy(c);
}

/* Destroying with objects out reports them and keeps the memory valid. */
static void cache_destroy_with_objects_remaining(struct kunit *test)
{
	struct magpie_cache *c = mt_cache(test, "t-leak", 64, 0, NULL);
	void *a = magpie_cache_alloc(c, GFP_KERNEL), *b = magpie_cache_alloc(c, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	magpie_cache_destroy(c);
	KUNIT_EXPECT_TRUE(test, c->leaked);
	memset(a, 1, 64);	/* still valid memory */
	magpie_cache_free(c, a);
	magpie_cache_free(c, b);
	magpie_cache_destroy(c);	/* now it can go */
}

/* magpie_alloc: every small size, then large ones, report usable sizes. */
static void alloc_general_sizes(struct kunit *test)
{
	size_t size;

	for (size = 1; size <= 4096; size += size < 64 ? 1 : 37) {
		u8 *p = magpie_alloc(size, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, magpie_size(p),
				(size_t)magpie_class_size(magpie_size_to_class(size)));
		memset(p, 0x5a, magpie_size(p));
		magpie_free(p);
	}
	for (size = MAGPIE_MAX_SMALL_SIZE + 1; size < 300000; size = size * 3 / 2) {
		u8 *p = magpie_alloc(size, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, (unsigned long)p % PAGE_SIZE, 0UL);
		KUNIT_EXPECT_GE(test, magpie_size(p), size);
		memset(p, 0x5a, size);
		magpie_free(p);
	}
	KUNIT_EXPECT_PTR_EQ(test, magpie_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, magpie_size(ZERO_SIZE_PTR), (size_t)0);
	magpie_free(NULL);
	magpie_free(ZERO_SIZE_PTR);
}

/*
 * A large object is zeroed over all of magpie_size(), not just the size
 * asked for, under __GFP_ZERO and init_on_alloc: its previous user filled
 * all of it. The heap cuts first fit, so a chunk run freed and asked for
 * again comes back in place, dirty. 40000 bytes (10 pages) is a chunk run
 * and 600000 a direct one at the default chunk order.
 */
static void alloc_large_zeroes_usable_size(struct kunit *test)
{
	static const size_t sizes[] = { 40000, 600000 };
	unsigned int s, round, chunk_runs = 0, reused = 0;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (round = 0; round < 4; round++) {
			gfp_t gfp = round & 1 ? GFP_KERNEL : GFP_KERNEL | __GFP_ZERO;
			struct magpie_heap_stats before, after;
			u8 *p, *q, *bad;

			magpie_heap_get_stats(&before);
			p = magpie_alloc(sizes[s], GFP_KERNEL);
			magpie_heap_get_stats(&after);
			KUNIT_ASSERT_NOT_NULL(test, p);
			memset(p, 0xa5, magpie_size(p));
			magpie_free(p);
			q = magpie_alloc(sizes[s], gfp);
			KUNIT_ASSERT_NOT_NULL(test, q);
			if (after.direct_pages == before.direct_pages) {
				chunk_runs++;
				reused += (q == p);
			}
			bad = memchr_inv(q, 0, magpie_size(q));
			if (want_init_on_alloc(gfp))
				KUNIT_EXPECT_NULL_MSG(test, bad, "size %zu: byte %td of %zu dirty",
						      sizes[s], bad - q, magpie_size(q));
			magpie_free(q);
		}
	}
	if (chunk_runs)
		KUNIT_EXPECT_GT(test, reused, 0U);
}

/*
 * KASAN sees a large object: all of its usable size is accessible, and its
 * run is poisoned once freed, by the page heap when it went back into a
 * chunk (which the buddy allocator never sees), else by the buddy allocator.
 */
static void alloc_large_kasan(struct kunit *test)
{
#ifdef CONFIG_KASAN_GENERIC
	u8 *p = magpie_alloc(40000, GFP_KERNEL);
	size_t last;
	s8 *shadow;

	KUNIT_ASSERT_NOT_NULL(test, p);
	shadow = kasan_mem_to_shadow(p);
	last = (magpie_size(p) - 1) >> KASAN_SHADOW_SCALE_SHIFT;
	KUNIT_EXPECT_EQ(test, shadow[0], 0);
	KUNIT_EXPECT_EQ(test, shadow[last], 0);
	magpie_free(p);
	KUNIT_EXPECT_NE(test, shadow[0], 0);
	KUNIT_EXPECT_NE(test, shadow[last], 0);
#else
	kunit_skip(test, "needs generic KASAN");
#endif
}

struct mt_stress {
	struct magpie_cache *cache;
	spinlock_t lock;		/* protects handoff[] */
	void *handoff[64];
	unsigned int nr_handoff;
	atomic_t errors;
	unsigned long deadline;
	struct completion done[2];
};

/*
 * Each thread fills its objects with its own tag and checks the tag before
 * freeing; some objects are freed by the other CPU through a handoff list.
 * An object handed to two owners at once shows up as a wrong tag.
 */
static int mt_stress_thread(void *arg)
{
	struct mt_stress *s = arg;
	unsigned int me = raw_smp_processor_id() & 1, i;
	u32 tag = 0x1000 + me;
	void *mine[32] = { NULL };

	while (time_before(jiffies, s->deadline)) {
		for (i = 0; i < ARRAY_SIZE(mine); i++) {
			u32 *p = mine[i];
			void *give = NULL;

			if (p) {
				if (p[0] != tag || p[15] != tag)
					atomic_inc(&s->errors);
				if (get_random_u32_below(4) == 0) {
					spin_lock(&s->lock);
					if (s->nr_handoff < ARRAY_SIZE(s->handoff)) {
						p[0] = 0;
						p[15] = 0;
						s->handoff[s->nr_handoff++] = p;
						p = NULL;
					}
					spin_unlock(&s->lock);
				}
				if (p)
					magpie_cache_free(s->cache, p);
				mine[i] = NULL;
				continue;
			}
			p = magpie_cache_alloc(s->cache, GFP_KERNEL);
			if (!p) {
				atomic_inc(&s->errors);
				continue;
			}
			p[0] = tag;
			p[15] = tag;
			mine[i] = p;
			spin_lock(&s->lock);
			if (s->nr_handoff)
				give = s->handoff[--s->nr_handoff];
			spin_unlock(&s->lock);
			if (give)
				magpie_cache_free(s->cache, give);
		}
		cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(mine); i++)
		if (mine[i])
			magpie_cache_free(s->cache, mine[i]);
	complete(&s->done[me]);
	return 0;
}

static void cache_stress_two_cpus(struct kunit *test)
{
	struct mt_stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *t[2];
	unsigned int cpu;

	KUNIT_ASSERT_NOT_NULL(test, s);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	s->cache = mt_cache(test, "t-stress", 64, 0, NULL);
	spin_lock_init(&s->lock);
	init_completion(&s->done[0]);
	init_completion(&s->done[1]);
	s->deadline = jiffies + 2 * HZ;
	for (cpu = 0; cpu < 2; cpu++) {
		t[cpu] = kthread_create(mt_stress_thread, s, "magpie-stress/%u", cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[cpu]));
		kthread_bind(t[cpu], cpu);
	}
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	wait_for_completion(&s->done[0]);
	wait_for_completion(&s->done[1]);
	while (s->nr_handoff)
		magpie_cache_free(s->cache, s->handoff[--s->nr_handoff]);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->errors), 0);
	mt_drain(s->cache);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(s->cache), 0UL);
	magpie_cache_destroy(s->cache);
}

struct mt_fill {
	struct magpie_cache *cache;
	struct completion done;
};

/* Leaves objects in this CPU's magazines. */
static int mt_fill_thread(void *arg)
{
	struct mt_fill *f = arg;
	void *objs[50];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(objs); i++)
		objs[i] = magpie_cache_alloc(f->cache, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		if (objs[i])
			magpie_cache_free(f->cache, objs[i]);
	complete(&f->done);
	return 0;
}

/* A dead CPU's magazines go to the depot and spans; nothing is lost. */
static void cache_cpu_dead_flushes(struct kunit *test)
{
	struct mt_fill f;
	struct magpie_cpu_cache *pc;
	struct task_struct *t;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	f.cache = mt_cache(test, "t-hotplug", 128, 0, NULL);
	init_completion(&f.done);
	t = kthread_create(mt_fill_thread, &f, "magpie-fill");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, 1);
	wake_up_process(t);
	wait_for_completion(&f.done);
	pc = per_cpu_ptr(f.cache->cpu, 1);
	KUNIT_EXPECT_GT(test, pc->pair.loaded->rounds + pc->pair.previous->rounds, 0U);
	magpie_cpu_dead(1);
	KUNIT_EXPECT_PTR_EQ(test, pc->pair.loaded, &magpie_magazine_none);
	KUNIT_EXPECT_PTR_EQ(test, pc->pair.previous, &magpie_magazine_none);
	mt_drain(f.cache);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(f.cache), 0UL);
	magpie_cache_destroy(f.cache);
}

/*
 * Hardirq callers: an hrtimer pinned to CPU 0 allocates (GFP_ATOMIC) and
 * frees every 200 us while a thread on CPU 0 hammers the same cache, so
 * interrupts land both inside and outside the thread's fast path. Each
 * side tags its objects; a tag changed under its owner means an object
 * was handed out twice. The timer is not HRTIMER_MODE_HARD: like kmalloc,
 * magpie takes spinlock_t locks on its slow paths, which raw contexts may
 * not (lockdep reports an invalid wait context); on !PREEMPT_RT kernels
 * such a timer still expires in hardirq context, which the case checks.
 */
static struct {
	struct hrtimer timer;
	struct magpie_cache *cache;
	u32 *held;
	unsigned int allocs, nomem, errors, in_irq;
	bool stop;
	unsigned int thread_errors;
	unsigned long thread_ops;
	struct completion done;
} mt_irq;

static enum hrtimer_restart mt_irq_timer(struct hrtimer *timer)
{
	u32 *p = magpie_cache_alloc(mt_irq.cache, GFP_ATOMIC);

	mt_irq.in_irq += !!in_hardirq();
	if (p) {
		p[0] = 0x1a1a1a1a;
		if (mt_irq.held) {
			if (mt_irq.held[0] != 0x1a1a1a1a)
				mt_irq.errors++;
			magpie_cache_free(mt_irq.cache, mt_irq.held);
		}
		mt_irq.held = p;
		mt_irq.allocs++;
	} else {
		mt_irq.nomem++;
	}
	if (READ_ONCE(mt_irq.stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, us_to_ktime(200));
	return HRTIMER_RESTART;
}

static int mt_irq_thread(void *arg)
{
	unsigned long deadline = jiffies + HZ;
	u32 *mine[8] = { NULL };
	unsigned int i;

	magpie_hrtimer_setup(&mt_irq.timer, mt_irq_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED);
	hrtimer_start(&mt_irq.timer, us_to_ktime(200), HRTIMER_MODE_REL_PINNED);
	while (time_before(jiffies, deadline)) {
		for (i = 0; i < ARRAY_SIZE(mine); i++) {
			if (mine[i]) {
				if (mine[i][0] != 0x2b2b2b2b)
					mt_irq.thread_errors++;
				magpie_cache_free(mt_irq.cache, mine[i]);
			}
			mine[i] = magpie_cache_alloc(mt_irq.cache, GFP_KERNEL);
			if (mine[i])
				mine[i][0] = 0x2b2b2b2b;
			mt_irq.thread_ops++;
		}
		cond_resched();
	}
	WRITE_ONCE(mt_irq.stop, true);
	hrtimer_cancel(&mt_irq.timer);
	for (i = 0; i < ARRAY_SIZE(mine); i++)
		if (mine[i])
			magpie_cache_free(mt_irq.cache, mine[i]);
	complete(&mt_irq.done);
	return 0;
}

static void cache_hardirq_callers(struct kunit *test)
{
	struct task_struct *t;

	memset(&mt_irq, 0, sizeof(mt_irq));
	mt_irq.cache = mt_cache(test, "t-hardirq", 64, 0, NULL);
	init_completion(&mt_irq.done);
	t = kthread_create(mt_irq_thread, NULL, "magpie-irq-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, 0);
	wake_up_process(t);
	wait_for_completion(&mt_irq.done);
	if (mt_irq.held)
		magpie_cache_free(mt_irq.cache, mt_irq.held);
	KUNIT_EXPECT_GT(test, mt_irq.allocs, 10U);
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		KUNIT_EXPECT_EQ(test, mt_irq.in_irq, mt_irq.allocs + mt_irq.nomem);
	KUNIT_EXPECT_EQ(test, mt_irq.errors, 0U);
	KUNIT_EXPECT_EQ(test, mt_irq.thread_errors, 0U);
	kunit_info(test, "%u hardirq allocations (%u refused), %lu thread operations",
		   mt_irq.allocs, mt_irq.nomem, mt_irq.thread_ops);
	mt_drain(mt_irq.cache);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(mt_irq.cache), 0UL);
	magpie_cache_destroy(mt_irq.cache);
}

/*
 * KASAN sees objects inside spans: an allocated object is accessible to
 * the byte, the rest of its slot and every free object are poisoned.
 */
static void cache_kasan_sees_objects(struct kunit *test)
{
#ifdef CONFIG_KASAN_GENERIC
	struct magpie_cache *c = mt_cache(test, "t-kasan", 100, 0, NULL);
	u8 *obj = magpie_cache_alloc(c, GFP_KERNEL);
	s8 *shadow;

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_GE(test, c->size, 104U);
	shadow = kasan_mem_to_shadow(obj);
	KUNIT_EXPECT_EQ(test, shadow[0], 0);		/* bytes 0..7 */
	KUNIT_EXPECT_EQ(test, shadow[11], 0);		/* bytes 88..95 */
	KUNIT_EXPECT_EQ(test, shadow[12], 4);		/* 96..99 of 96..103 */
	KUNIT_EXPECT_EQ(test, (u8)shadow[13], 0xFBU);	/* the slot's tail */
	magpie_cache_free(c, obj);
	KUNIT_EXPECT_EQ(test, (u8)shadow[0], 0xFBU);	/* freed, in a magazine */
	mt_drain(c);
	KUNIT_EXPECT_EQ(test, (u8)shadow[0], 0xFBU);	/* free, in its span */
	magpie_cache_destroy(c);
#else
	kunit_skip(test, "needs generic KASAN");
#endif
}

/*
 * Accounting asked for from the root cgroup (where KUnit runs) charges
 * nothing, as for SLUB: no memcg child is made, the pages stay uncharged,
 * frees stay on the plain path, and the bulk and large paths take
 * __GFP_ACCOUNT too. The charged side runs in the kselftest
 * selfcheck_in_memcg_charges_it, from a cgroup.
 */
static void cache_account_from_root(struct kunit *test)
{
	struct magpie_cache *c = magpie_cache_create("t-acct", 64, 0, MAGPIE_CACHE_ACCOUNT, NULL);
	void *objs[16], *obj, *big;

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	obj = magpie_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_EQ(test, magpie_cache_alloc_bulk(c, GFP_KERNEL_ACCOUNT, 16, objs), 16);
	big = magpie_alloc(40 << 10, GFP_KERNEL_ACCOUNT);
	KUNIT_ASSERT_NOT_NULL(test, big);
#ifdef CONFIG_MEMCG
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, page_memcg_check(virt_to_page(obj)));
	KUNIT_EXPECT_NULL(test, page_memcg_check(virt_to_page(objs[15])));
	KUNIT_EXPECT_NULL(test, page_memcg_check(virt_to_page(big)));
	rcu_read_unlock();
#endif
	KUNIT_EXPECT_TRUE(test, xa_empty(&c->children));
	KUNIT_EXPECT_FALSE(test, c->free_special);
	magpie_free(big);
	magpie_cache_free_bulk(c, 16, objs);
	magpie_cache_free(c, obj);
	mt_drain(c);
	KUNIT_EXPECT_EQ(test, magpie_central_objects_out(c), 0UL);
	magpie_cache_destroy(c);
}

static struct kunit_case magpie_cache_cases[] = {
	KUNIT_CASE(cache_create_rejects_bad_arguments),
	KUNIT_CASE(cache_alloc_free_many),
	KUNIT_CASE(cache_alignment),
	KUNIT_CASE(cache_ctor_once_per_object),
	KUNIT_CASE(cache_gfp_zero),
	KUNIT_CASE(cache_bulk),
	KUNIT_CASE(cache_destroy_with_objects_remaining),
	KUNIT_CASE(alloc_general_sizes),
	KUNIT_CASE(alloc_large_zeroes_usable_size),
	KUNIT_CASE(alloc_large_kasan),
	KUNIT_CASE_SLOW(cache_stress_two_cpus),
	KUNIT_CASE(cache_cpu_dead_flushes),
	KUNIT_CASE(cache_hardirq_callers),
	KUNIT_CASE(cache_kasan_sees_objects),
	KUNIT_CASE(cache_account_from_root),
	{}
};

struct kunit_suite magpie_cache_suite = {
	.name = "magpie_cache",
	.test_cases = magpie_cache_cases,
};
