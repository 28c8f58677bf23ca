/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one header through which magpie's engine (size classes, spans,
 * magazines, run queues) sees its host. The engine is compiled into the
 * kernel module and, unchanged, into userlib and the host unit tests; it
 * includes nothing but this file and its own headers.
 *
 * What a host provides: fixed-width types (u8..u64), size_t, bool,
 * likely()/unlikely(), and MAGPIE_STATIC_ASSERT().
 */
#ifndef _MAGPIE_ENGINE_PLATFORM_H
#define _MAGPIE_ENGINE_PLATFORM_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>

#define MAGPIE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)

#else /* userspace: userlib and host unit tests */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define MAGPIE_STATIC_ASSERT(expr, msg)	_Static_assert(expr, msg)

#endif /* __KERNEL__ */

#endif /* _MAGPIE_ENGINE_PLATFORM_H */
