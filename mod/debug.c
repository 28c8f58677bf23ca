// SPDX-License-Identifier: GPL-2.0
/*
 * Debug mode: caches created with MAGPIE_CACHE_DEBUG (or every cache, with
 * the module parameter debug=1) skip the per-CPU magazines, so that every
 * allocation and free meets its span, and check each object on the way:
 *
 *   - a free of a pointer magpie does not own, of another cache's object,
 *     of a pointer inside an object, or of an object already free;
 *   - a write past the end of an object (a red zone of MAGPIE_REDZONE
 *     bytes follows each object, filled with MAGPIE_REDZONE_BYTE);
 *   - a write into a free object (free objects are filled with
 *     MAGPIE_POISON_FREE, the last byte MAGPIE_POISON_END, as SLUB's
 *     poisoning; objects of caches with a constructor are not poisoned).
 *
 * Each finding is reported once with the cache, the object and the
 * caller, and counted in the cache; a refused free leaves everything as
 * it was. Objects stay visible to kmemleak as in normal mode.
 */
#include <linux/kmemleak.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "cache.h"
#include "compat.h"
#include "internal.h"
#include "magpie.h"

static bool debug;
module_param(debug, bool, 0444);
MODULE_PARM_DESC(debug, "create every cache in debug mode (checks, poisoning, red zones)");

/**
 * magpie_debug_all() - whether every cache is created in debug mode
 *
 * Return: the debug module parameter.
 */
bool magpie_debug_all(void)
{
	return debug;
}

static void magpie_debug_report(struct magpie_cache *cache, const void *obj,
				const char *what, long offset, unsigned long caller)
{
	atomic_long_inc(&cache->debug_reports);
	if (offset >= 0)
		pr_err("magpie: cache %s: %s (byte %ld) in object %p, caller %pS\n",
		       cache->name, what, offset, obj, (void *)caller);
	else
		pr_err("magpie: cache %s: %s: object %p, caller %pS\n",
		       cache->name, what, obj, (void *)caller);
}

/* Offset of the first byte in [p, p + n) that is not @val, or -1. */
static long magpie_first_mismatch(const u8 *p, u8 val, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != val)
			return i;
	return -1;
}

/**
 * magpie_debug_init_object() - poison an object and set its red zone
 * @cache: a debug cache
 * @obj: a free object: one of a span being made (after its constructor
 *	ran), or one just freed or about to be handed out (repainted so a
 *	finding is reported once)
 */
void magpie_debug_init_object(struct magpie_cache *cache, void *obj)
{
	u8 *p = obj;

	if (!cache->ctor) {
		memset(p, MAGPIE_POISON_FREE, cache->object_size - 1);
		p[cache->object_size - 1] = MAGPIE_POISON_END;
	}
	memset(p + cache->object_size, MAGPIE_REDZONE_BYTE,
	       cache->size - cache->object_size);
}

/* Checks a free object's poison and red zone; reports what is broken. */
static void magpie_debug_check_free_object(struct magpie_cache *cache, u8 *obj,
					   unsigned long caller)
{
	long off;

	if (!cache->ctor) {
		off = magpie_first_mismatch(obj, MAGPIE_POISON_FREE, cache->object_size - 1);
		if (off < 0 && obj[cache->object_size - 1] != MAGPIE_POISON_END)
			off = cache->object_size - 1;
		if (off >= 0)
			magpie_debug_report(cache, obj, "use after free: a free object was written",
					    off, caller);
	}
	off = magpie_first_mismatch(obj + cache->object_size, MAGPIE_REDZONE_BYTE,
				    cache->size - cache->object_size);
	if (off >= 0)
		magpie_debug_report(cache, obj, "red zone of a free object overwritten",
				    cache->object_size + off, caller);
}

/**
 * magpie_debug_alloc() - allocate from a debug cache, straight from a span
 * @cache: the cache
 * @gfp: allocation flags
 * @caller: return address of the public entry point
 *
 * Return: the object, checked, or NULL.
 */
void *magpie_debug_alloc(struct magpie_cache *cache, gfp_t gfp, unsigned long caller)
{
	void *obj;

	if (!magpie_central_alloc(cache, &obj, 1, gfp))
		return NULL;
	magpie_debug_check_free_object(cache, obj, caller);
	/* Repaint, so a finding is reported once and not at every reuse. */
	magpie_debug_init_object(cache, obj);
	return obj;
}

/**
 * magpie_debug_free() - free to a debug cache after checking the pointer
 * @cache: the cache the caller names
 * @obj: the object
 * @caller: return address of the public entry point
 *
 * Return: true when @obj was freed, false when it was refused (reported).
 */
bool magpie_debug_free(struct magpie_cache *cache, void *obj, unsigned long caller)
{
	long off;
	int err;

	if (!magpie_heap_contains(obj)) {
		magpie_debug_report(cache, obj, "free of a pointer magpie did not hand out", -1,
				    caller);
		return false;
	}
	err = magpie_central_check_out(cache, obj);
	if (err) {
		magpie_debug_report(cache, obj,
				    err == -EXDEV ? "free of another cache's object" :
				    err == -EALREADY ? "double free" :
				    "free of a pointer that is not the start of an object",
				    -1, caller);
		return false;
	}
	off = magpie_first_mismatch((u8 *)obj + cache->object_size, MAGPIE_REDZONE_BYTE,
				    cache->size - cache->object_size);
	if (off >= 0)
		magpie_debug_report(cache, obj, "write past the end of the object",
				    cache->object_size + off, caller);
	kmemleak_free(obj);
	magpie_debug_init_object(cache, obj);
	magpie_central_free(cache, &obj, 1, false);
	return true;
}
