/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernel APIs magpie builds against (Debian's
 * 6.1 and 7.x) is bridged here and nowhere else.
 */
#ifndef _MAGPIE_COMPAT_H
#define _MAGPIE_COMPAT_H

#include <linux/version.h>

/*
 * EXPORT_SYMBOL_IF_KUNIT() (6.2+) exports internals to test modules only
 * when KUnit is built; 6.1 has neither the macro nor KUnit in Debian's build.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <kunit/visibility.h>
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#endif

/*
 * MODULE_IMPORT_NS() takes a string literal since 6.13, a bare token before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define MAGPIE_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define MAGPIE_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

/*
 * The typed allocation helpers of 7.x (kmalloc_obj() and friends), for
 * kernels that predate them; only the forms magpie uses, GFP always given.
 */
#include <linux/slab.h>
#ifndef kmalloc_obj
#define kmalloc_obj(VAR, GFP)	kmalloc(sizeof(VAR), GFP)
#define kzalloc_obj(VAR, GFP)	kzalloc(sizeof(VAR), GFP)
#endif

/*
 * Shrinkers are allocated by the core since 6.7 (shrinker_alloc() and
 * shrinker_register()); before, the caller embeds and registers one.
 * magpie_shrinker_create() returns a registered shrinker either way.
 */
#include <linux/shrinker.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *
magpie_shrinker_create(unsigned long (*count)(struct shrinker *, struct shrink_control *),
		       unsigned long (*scan)(struct shrinker *, struct shrink_control *),
		       const char *name)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void magpie_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *
magpie_shrinker_create(unsigned long (*count)(struct shrinker *, struct shrink_control *),
		       unsigned long (*scan)(struct shrinker *, struct shrink_control *),
		       const char *name)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	return s;
}

static inline void magpie_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
	kfree(s);
}
#endif

/* hrtimer_setup() replaced hrtimer_init() + setting ->function in 6.13. */
#include <linux/hrtimer.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
static inline void magpie_hrtimer_setup(struct hrtimer *timer,
					enum hrtimer_restart (*fn)(struct hrtimer *),
					clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
}
#else
#define magpie_hrtimer_setup(timer, fn, clock, mode)	hrtimer_setup(timer, fn, clock, mode)
#endif

/*
 * 6.18 named the system workqueues for what they are (system_dfl_wq,
 * system_percpu_wq) and deprecated system_unbound_wq and system_wq.
 */
#include <linux/workqueue.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define magpie_unbound_wq()	system_dfl_wq
#define magpie_percpu_wq()	system_percpu_wq
#else
#define magpie_unbound_wq()	system_unbound_wq
#define magpie_percpu_wq()	system_wq
#endif

/*
 * vma->vm_flags became read-only behind vm_flags_set()/vm_flags_clear()
 * in 6.3; before, drivers changed it directly in their mmap handlers.
 */
#include <linux/mm.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define magpie_vm_flags_set(vma, flags)		vm_flags_set(vma, flags)
#define magpie_vm_flags_clear(vma, flags)	vm_flags_clear(vma, flags)
#else
static inline void magpie_vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void magpie_vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * Whether kernel memory is charged to cgroups at all (memcg on, and not
 * booted with cgroup.memory=nokmem): memcg_kmem_enabled() until 6.2,
 * memcg_kmem_online() since 6.3.
 */
#include <linux/memcontrol.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define magpie_memcg_kmem_on()	memcg_kmem_online()
#else
#define magpie_memcg_kmem_on()	memcg_kmem_enabled()
#endif

#endif /* _MAGPIE_COMPAT_H */
