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

#endif /* _MAGPIE_COMPAT_H */
