/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KASAN sees magpie's objects. Spans are page runs that KASAN considers
 * one allocation, so without help a use after free or an overrun inside
 * a span goes unnoticed. As SLUB does for its slabs, magpie poisons every
 * free object (in its span or in a magazine) and unpoisons an object when
 * it is handed out, to the byte: the rest of its slot stays poisoned.
 * Debug caches check their objects themselves (red zones, patterns) and
 * are left alone.
 *
 * Page runs need the same help: a run freed into a chunk of the page heap
 * never reaches the buddy allocator, which would poison it. So the page
 * heap poisons a new chunk whole and every run going back into one, and
 * each user of a run unpoisons what it hands out: a new span its whole run
 * (for constructors and debug patterns; other caches then poison their
 * objects again), a large object its whole run. That is a large object's
 * usable size (magpie_size()), just as magpie_alloc()'s small objects are
 * unpoisoned to their class size, so a use after free of a large object,
 * or an overrun past its run into free chunk memory, is reported, but not
 * an overrun past the size asked for. Runs freed to the buddy allocator
 * are poisoned there.
 *
 * Generic KASAN only. kasan_poison() is exported by the kernel but
 * declared only in mm/kasan/kasan.h, so it is declared again here; the
 * shadow values are the kernel's (mm/kasan/kasan.h), so reports read
 * "slab-use-after-free".
 */
#ifndef _MAGPIE_KASAN_H
#define _MAGPIE_KASAN_H

#include <linux/kasan.h>
#include <linux/math.h>

#ifdef CONFIG_KASAN_GENERIC

void kasan_poison(const void *addr, size_t size, u8 value, bool init);

#define MAGPIE_KASAN_GRANULE	BIT(KASAN_SHADOW_SCALE_SHIFT)
#define MAGPIE_KASAN_FREE	0xFB	/* the kernel's KASAN_SLAB_FREE */

/* @size bytes from @obj (granule aligned) become inaccessible. */
static inline void magpie_kasan_poison(const void *obj, size_t size)
{
	kasan_poison(obj, round_up(size, MAGPIE_KASAN_GRANULE), MAGPIE_KASAN_FREE, false);
}

/* The first @size bytes of @obj become accessible, no more. */
static inline void magpie_kasan_unpoison(const void *obj, size_t size)
{
	size_t whole = round_down(size, MAGPIE_KASAN_GRANULE);

	kasan_poison(obj, whole, 0, false);
	/* A partial granule's shadow holds the count of accessible bytes. */
	if (size % MAGPIE_KASAN_GRANULE)
		kasan_poison(obj + whole, MAGPIE_KASAN_GRANULE,
			     size % MAGPIE_KASAN_GRANULE, false);
}

#else

static inline void magpie_kasan_poison(const void *obj, size_t size) { }
static inline void magpie_kasan_unpoison(const void *obj, size_t size) { }

#endif /* CONFIG_KASAN_GENERIC */

#endif /* _MAGPIE_KASAN_H */
