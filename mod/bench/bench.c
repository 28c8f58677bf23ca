// SPDX-License-Identifier: GPL-2.0
/*
 * magpie_bench.ko: magpie's caches against SLUB, measured side by side in
 * one boot. Loading it runs every benchmark on kthreads pinned to CPU 0
 * (and CPU 1 for the cross-CPU one) and prints one line per result:
 *
 *   bench <name> magpie/slub <ratio>  (<context>)
 *
 * For times a ratio below 1 favours magpie; for throughputs (name ending
 * in _tput) above 1 does. Each figure is the best of BENCH_RUNS runs, the
 * two allocators alternating. Absolute ns/op are context only: under
 * QEMU/TCG they are about 10x off, the ratios hold. The loops call both
 * allocators directly (no function pointers), so neither pays for an
 * indirect call the other does not.
 *
 * Loaded, the module also registers its suite with magpie, so that
 * MAGPIE_IOC_RUN_CHECKS (tools/magpie-check) runs it again and gets the
 * results as records; run_on_load=0 loads it for that alone.
 */
#define pr_fmt(fmt) "magpie_bench: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "bench_module.h"
#include "../compat.h"
#include "../magpie.h"

#define BENCH_BATCH_MAX	1000
#define BENCH_RING	1024

struct bench_caches {
	struct magpie_cache *mp64, *mp256;
	struct kmem_cache *sl64, *sl256;
	void *objs[BENCH_BATCH_MAX];
	unsigned int order[BENCH_BATCH_MAX];
	unsigned int sizes[4096];
};

static struct bench_caches *bc;

/*
 * BENCH_DEFINE(fn, ALLOC, FREE) makes fn_magpie() and fn_slub() from one
 * body, so the two differ only in the calls.
 */
#define MP_ALLOC(c, gfp)	magpie_cache_alloc(c, gfp)
#define MP_FREE(c, p)		magpie_cache_free(c, p)
#define SL_ALLOC(c, gfp)	kmem_cache_alloc(c, gfp)
#define SL_FREE(c, p)		kmem_cache_free(c, p)

#define BENCH_PAIR(tag, ALLOC, FREE)					\
static u64 bench_pair_##tag(void *c, unsigned long iters)			\
{									\
	u64 t0 = ktime_get_ns();					\
	unsigned long i;						\
									\
	for (i = 0; i < iters; i++) {					\
		void *p = ALLOC(c, GFP_KERNEL);				\
									\
		OPTIMIZER_HIDE_VAR(p);					\
		FREE(c, p);						\
	}								\
	return ktime_get_ns() - t0;					\
}

BENCH_PAIR(magpie, MP_ALLOC, MP_FREE)
BENCH_PAIR(slub, SL_ALLOC, SL_FREE)

/*
 * The floor: a bare per-CPU stack of free objects under preempt_disable()
 * only, inline in this module, as the caches issue describes it. No real
 * allocator can beat it; it tells how much of a pair's cost is magpie's
 * own logic and how much the guest charges for anything at all. The
 * _call variant adds one out-of-line call each way, as a module calling
 * magpie pays.
 */
struct bench_floor {
	void *objs[64];
	unsigned int nr;
};

static DEFINE_PER_CPU(struct bench_floor, bench_floor);

static __always_inline void *floor_alloc(void *c, gfp_t gfp)
{
	struct bench_floor *f = get_cpu_ptr(&bench_floor);
	void *p = f->nr ? f->objs[--f->nr] : NULL;

	put_cpu_ptr(&bench_floor);
	return p;
}

static __always_inline void floor_free(void *c, void *p)
{
	struct bench_floor *f = get_cpu_ptr(&bench_floor);

	if (f->nr < ARRAY_SIZE(f->objs))
		f->objs[f->nr++] = p;
	put_cpu_ptr(&bench_floor);
}

static noinline void *floor_alloc_call(void *c, gfp_t gfp)
{
	return floor_alloc(c, gfp);
}

static noinline void floor_free_call(void *c, void *p)
{
	floor_free(c, p);
}

BENCH_PAIR(floor, floor_alloc, floor_free)
BENCH_PAIR(floor_call, floor_alloc_call, floor_free_call)

#define BENCH_BATCH(tag, ALLOC, FREE)					\
static u64 bench_batch_##tag(void *c, unsigned int n, bool shuffled,	\
			     unsigned long rounds)			\
{									\
	u64 t0 = ktime_get_ns();					\
	unsigned long r;						\
	unsigned int i;							\
									\
	for (r = 0; r < rounds; r++) {					\
		for (i = 0; i < n; i++)					\
			bc->objs[i] = ALLOC(c, GFP_KERNEL);		\
		for (i = 0; i < n; i++)					\
			FREE(c, bc->objs[shuffled ? bc->order[i] : i]);	\
	}								\
	return ktime_get_ns() - t0;					\
}

BENCH_BATCH(magpie, MP_ALLOC, MP_FREE)
BENCH_BATCH(slub, SL_ALLOC, SL_FREE)

#define BENCH_BULK(tag, ALLOC_BULK, FREE_BULK)				\
static u64 bench_bulk_##tag(void *c, unsigned long rounds)		\
{									\
	u64 t0 = ktime_get_ns();					\
	unsigned long r;						\
									\
	for (r = 0; r < rounds; r++) {					\
		if (ALLOC_BULK(c, GFP_KERNEL, 16, bc->objs) == 0)	\
			break;						\
		FREE_BULK(c, 16, bc->objs);				\
	}								\
	return ktime_get_ns() - t0;					\
}

BENCH_BULK(magpie, magpie_cache_alloc_bulk, magpie_cache_free_bulk)
BENCH_BULK(slub, kmem_cache_alloc_bulk, kmem_cache_free_bulk)

#define BENCH_SIZES(tag, ALLOC, FREE)						\
static u64 bench_sizes_##tag(unsigned long rounds)			\
{									\
	u64 t0 = ktime_get_ns();					\
	unsigned long r;						\
	unsigned int i, j;						\
									\
	for (r = 0; r < rounds; r++) {					\
		for (i = 0; i < ARRAY_SIZE(bc->sizes); i += 64) {	\
			for (j = 0; j < 64; j++)			\
				bc->objs[j] = ALLOC(bc->sizes[i + j], GFP_KERNEL); \
			for (j = 0; j < 64; j++)			\
				FREE(bc->objs[j]);			\
		}							\
	}								\
	return ktime_get_ns() - t0;					\
}

BENCH_SIZES(magpie, magpie_alloc, magpie_free)
BENCH_SIZES(slub, kmalloc, kfree)

/* Producer on CPU 0 allocates, consumer on CPU 1 frees, through a ring. */
struct bench_ring {
	void *slot[BENCH_RING];
	unsigned long head;	/* written by the producer only */
	unsigned long tail;	/* written by the consumer only */
	unsigned long total;
	bool magpie;
	struct completion done;
	u64 ns;
};

static int bench_consumer(void *arg)
{
	struct bench_ring *ring = arg;
	unsigned long tail = 0, head;

	while (tail < ring->total) {
		/* Acquire: the slot's pointer was stored before head moved. */
		head = smp_load_acquire(&ring->head);
		while (tail < head) {
			void *p = ring->slot[tail % BENCH_RING];

			if (ring->magpie)
				magpie_cache_free(bc->mp64, p);
			else
				kmem_cache_free(bc->sl64, p);
			tail++;
		}
		/* Release: the slot is read before the producer may reuse it. */
		smp_store_release(&ring->tail, tail);
		cpu_relax();
	}
	complete(&ring->done);
	return 0;
}

static u64 bench_prodcons(bool magpie, unsigned long total)
{
	struct bench_ring *ring = kzalloc_obj(*ring, GFP_KERNEL);
	struct task_struct *t;
	unsigned long head;
	u64 t0, ns;

	if (!ring)
		return U64_MAX;
	ring->total = total;
	ring->magpie = magpie;
	init_completion(&ring->done);
	t = kthread_create(bench_consumer, ring, "magpie-bench-c");
	if (IS_ERR(t)) {
		kfree(ring);
		return U64_MAX;
	}
	kthread_bind(t, 1);
	t0 = ktime_get_ns();
	wake_up_process(t);
	for (head = 0; head < total; head++) {
		void *p = magpie ? magpie_cache_alloc(bc->mp64, GFP_KERNEL) :
				   kmem_cache_alloc(bc->sl64, GFP_KERNEL);

		/* Acquire: the consumer is done with the slot we reuse. */
		while (head - smp_load_acquire(&ring->tail) >= BENCH_RING)
			cpu_relax();
		ring->slot[head % BENCH_RING] = p;
		/* Release: the slot is written before the consumer sees it. */
		smp_store_release(&ring->head, head + 1);
	}
	wait_for_completion(&ring->done);
	ns = ktime_get_ns() - t0;
	kfree(ring);
	return ns;
}

/*
 * Footprint after a mixed-lifetime workload: objects of random sizes from
 * 8 to 4096 bytes are allocated, two in three freed again in random order,
 * and the survivors kept; after 2.5 reap intervals (magpie's reaper gives
 * idle memory back within two) the memory each allocator holds for them is
 * compared: magpie's pages from the buddy allocator plus the slab memory
 * of its metadata, against the growth of unreclaimable slab memory for
 * kmalloc. Lower favours magpie; live bytes are the same on both sides.
 */
#define FOOTPRINT_OBJS	20000

static unsigned long slab_pages(void)
{
	return global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
}

static unsigned long bench_footprint(bool magpie, u16 *sizes, u8 *keep, void **objs,
				     unsigned int n, unsigned long *live)
{
	unsigned long before = slab_pages() + (magpie ? magpie_pages_held() : 0), after;
	unsigned int i;

	*live = 0;
	for (i = 0; i < n; i++) {
		if (magpie)
			objs[i] = magpie_alloc(sizes[i], GFP_KERNEL);
		else
			objs[i] = kmalloc(sizes[i], GFP_KERNEL);
		if (i >= 2 && !keep[i - 2] && objs[i - 2]) {
			if (magpie)
				magpie_free(objs[i - 2]);
			else
				kfree(objs[i - 2]);
			objs[i - 2] = NULL;
		}
	}
	for (i = n - 2; i < n; i++)
		if (!keep[i] && objs[i]) {
			if (magpie)
				magpie_free(objs[i]);
			else
				kfree(objs[i]);
			objs[i] = NULL;
		}
	for (i = 0; i < n; i++)
		if (objs[i])
			*live += sizes[i];
	msleep(5000);
	after = slab_pages() + (magpie ? magpie_pages_held() : 0);
	for (i = 0; i < n; i++) {
		if (magpie)
			magpie_free(objs[i]);
		else
			kfree(objs[i]);
	}
	return after > before ? after - before : 0;
}

static void bench_footprints(void)
{
	unsigned int n = FOOTPRINT_OBJS * bench_scale, i;
	unsigned long live_m, live_s, m, s;
	void **objs = kvcalloc(n, sizeof(void *), GFP_KERNEL);
	u16 *sizes = kvcalloc(n, sizeof(u16), GFP_KERNEL);
	u8 *keep = kvcalloc(n, 1, GFP_KERNEL);

	if (objs && sizes && keep) {
		for (i = 0; i < n; i++) {
			sizes[i] = 8 + get_random_u32_below(4096 - 8 + 1);
			keep[i] = get_random_u32_below(3) == 0;
		}
		m = bench_footprint(true, sizes, keep, objs, n, &live_m);
		s = bench_footprint(false, sizes, keep, objs, n, &live_s);
		pr_info("bench footprint_mixed magpie/slub %lu.%03lu (magpie %lu pages, slub %lu pages, live %lu KiB)\n",
			m * 1000 / max(s, 1UL) / 1000, m * 1000 / max(s, 1UL) % 1000,
			m, s, live_m >> 10);
		magpie_result_ratio(bench_res, "footprint_mixed", "slub", "pages", false,
				    m, s, n);
	}
	kvfree(objs);
	kvfree(sizes);
	kvfree(keep);
}

static void bench_all(void)
{
	unsigned long iters = 200000UL * bench_scale, i;
	static const unsigned int batch_n[] = { 100, 1000 };
	char name[48];
	u64 m, s;
	int k;

	pr_info("init_on_alloc=%d init_on_free=%d cpus=%u scale=%u\n",
		want_init_on_alloc(0), want_init_on_free(), num_online_cpus(), bench_scale);

	m = BEST(bench_pair_magpie(bc->mp64, iters));
	s = BEST(bench_pair_slub(bc->sl64, iters));
	bench_ratio("pair_64", "slub", m, s, iters, false);
	/* Seed the floor's stack with one object for this CPU (pinned). */
	this_cpu_ptr(&bench_floor)->objs[0] = bc;
	this_cpu_ptr(&bench_floor)->nr = 1;
	m = BEST(bench_pair_floor(NULL, iters));
	s = BEST(bench_pair_slub(bc->sl64, iters));
	bench_ratio("floor_pair_64", "slub", m, s, iters, false);
	m = BEST(bench_pair_floor_call(NULL, iters));
	s = BEST(bench_pair_slub(bc->sl64, iters));
	bench_ratio("floor_call_pair_64", "slub", m, s, iters, false);
	m = BEST(bench_pair_magpie(bc->mp256, iters));
	s = BEST(bench_pair_slub(bc->sl256, iters));
	bench_ratio("pair_256", "slub", m, s, iters, false);

	for (k = 0; k < ARRAY_SIZE(batch_n); k++) {
		unsigned int n = batch_n[k];
		unsigned long rounds = iters / n;

		m = BEST(bench_batch_magpie(bc->mp64, n, false, rounds));
		s = BEST(bench_batch_slub(bc->sl64, n, false, rounds));
		snprintf(name, sizeof(name), "batch%u_fifo_64", n);
		bench_ratio(name, "slub", m, s, rounds * n, false);
		for (i = 0; i < n; i++)
			bc->order[i] = i;
		/* Fisher-Yates; the index is drawn once (swap() reads it twice). */
		for (i = n - 1; i > 0; i--) {
			unsigned int j = get_random_u32_below(i + 1);

			swap(bc->order[i], bc->order[j]);
		}
		m = BEST(bench_batch_magpie(bc->mp64, n, true, rounds));
		s = BEST(bench_batch_slub(bc->sl64, n, true, rounds));
		snprintf(name, sizeof(name), "batch%u_shuffled_64", n);
		bench_ratio(name, "slub", m, s, rounds * n, false);
	}

	m = BEST(bench_bulk_magpie(bc->mp64, iters / 16));
	s = BEST(bench_bulk_slub(bc->sl64, iters / 16));
	bench_ratio("bulk16_64", "slub", m, s, iters / 16 * 16, false);

	for (i = 0; i < ARRAY_SIZE(bc->sizes); i++)
		bc->sizes[i] = 8 + get_random_u32_below(4096 - 8 + 1);
	m = BEST(bench_sizes_magpie(iters / 4096 + 1));
	s = BEST(bench_sizes_slub(iters / 4096 + 1));
	bench_ratio("sizes_8_4096", "slub", m, s, (iters / 4096 + 1) * 4096, false);

	if (num_online_cpus() >= 2) {
		m = BEST(bench_prodcons(true, iters));
		s = BEST(bench_prodcons(false, iters));
		bench_ratio("prodcons_64_tput", "slub", m, s, iters, true);
	}
	bench_footprints();
}

static int bench_thread(void *arg)
{
	bench_all();
	complete(arg);
	return 0;
}

/* One run of every benchmark on a kthread pinned to CPU 0. */
static int bench_run(struct magpie_results *res, unsigned int run_scale)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *t;
	int ret = -ENOMEM;

	bc = kzalloc_obj(*bc, GFP_KERNEL);
	if (!bc)
		return -ENOMEM;
	bench_scale = run_scale;
	bench_res = res;
	bc->mp64 = magpie_cache_create("bench-64", 64, 0, 0, NULL);
	bc->mp256 = magpie_cache_create("bench-256", 256, 0, 0, NULL);
	bc->sl64 = kmem_cache_create("bench-64", 64, 0, 0, NULL);
	bc->sl256 = kmem_cache_create("bench-256", 256, 0, 0, NULL);
	if (IS_ERR(bc->mp64) || IS_ERR(bc->mp256) || !bc->sl64 || !bc->sl256)
		goto out;
	t = kthread_create(bench_thread, &done, "magpie-bench");
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto out;
	}
	kthread_bind(t, 0);
	wake_up_process(t);
	bench_wait(&done);
	ret = 0;
out:
	magpie_cache_destroy(bc->mp64);
	magpie_cache_destroy(bc->mp256);
	kmem_cache_destroy(bc->sl64);
	kmem_cache_destroy(bc->sl256);
	kfree(bc);
	bc = NULL;
	bench_res = NULL;
	return ret;
}

static struct magpie_check_suite bench_suite = {
	.name = "caches",
	.what = MAGPIE_RUN_BENCH_CACHES,
	.run = bench_run,
	.owner = THIS_MODULE,
};

MODULE_DESCRIPTION("magpie caches vs SLUB, side by side");
MODULE_LICENSE("GPL");
