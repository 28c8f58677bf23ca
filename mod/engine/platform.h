/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one header through which magpie's engine (size classes, spans,
 * magazines, run queues) sees its host. The engine is compiled into the
 * kernel module and, unchanged, into userlib and the host unit tests; it
 * includes nothing but this file and its own headers.
 *
 * What a host provides: fixed-width types (u8..u64), size_t, bool,
 * likely()/unlikely(), MAGPIE_STATIC_ASSERT(), and MAGPIE_ENGINE_EXPORT(),
 * which in the kernel makes an engine symbol visible to magpie's KUnit
 * module (and to nothing else) and elsewhere does nothing.
 */
#ifndef _MAGPIE_ENGINE_PLATFORM_H
#define _MAGPIE_ENGINE_PLATFORM_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>
#include <linux/export.h>

#include "../compat.h"

#define MAGPIE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)
#define MAGPIE_ENGINE_EXPORT(sym)	EXPORT_SYMBOL_IF_KUNIT(sym)

#else /* userspace: userlib and host unit tests */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define MAGPIE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)
#define MAGPIE_ENGINE_EXPORT(sym)	MAGPIE_STATIC_ASSERT(1, #sym)

#endif /* __KERNEL__ */

#endif /* _MAGPIE_ENGINE_PLATFORM_H */
