/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one header through which magpie's engine (size classes, spans,
 * magazines, run queues) sees its host. The engine is compiled into the
 * kernel module and, unchanged, into userlib and the host unit tests; it
 * includes nothing but this file and its own headers.
 *
 * What a host provides: fixed-width types (u8..u64), size_t, uintptr_t, bool,
 * magpie_ctz64() (count trailing zeros of a non-zero word),
 * likely()/unlikely(), MAGPIE_STATIC_ASSERT(), and EXPORT_SYMBOL_FOR_MAGPIE_TESTS(),
 * which in the kernel makes an engine symbol visible to magpie's KUnit
 * module (and to nothing else) and elsewhere does nothing.
 */
#ifndef _MAGPIE_ENGINE_PLATFORM_H
#define _MAGPIE_ENGINE_PLATFORM_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/export.h>

#include "../compat.h"

#define MAGPIE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)
#define EXPORT_SYMBOL_FOR_MAGPIE_TESTS(sym)	EXPORT_SYMBOL_IF_KUNIT(sym)
#define magpie_ctz64(x)			__ffs64(x)

#else /* userspace: userlib and host unit tests */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
#define EXPORT_SYMBOL_FOR_MAGPIE_TESTS(sym)	MAGPIE_STATIC_ASSERT(1, #sym)
#define magpie_ctz64(x)			((unsigned int)__builtin_ctzll(x))

#endif /* __KERNEL__ */

#endif /* _MAGPIE_ENGINE_PLATFORM_H */
