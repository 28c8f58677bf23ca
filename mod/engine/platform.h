/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one header through which magpie's engine (size classes, spans,
 * magazines, run queues) sees its host. The engine is compiled into the
 * kernel module and, unchanged, into userlib and the host unit tests; it
 * includes nothing but this file and its own headers.
 *
 * What a host provides: fixed-width types (u8..u64), size_t, uintptr_t, bool,
 * magpie_ctz64() (count trailing zeros of a non-zero word), a lock that
 * may be taken from any context the host has (magpie_lock_t: an IRQ-safe
 * raw spinlock in the kernel, a mutex elsewhere),
 * likely()/unlikely(), MAGPIE_STATIC_ASSERT(), EXPORT_SYMBOL_FOR_MAGPIE_TESTS(),
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
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <asm/barrier.h>

#include "../compat.h"

/*
 * Raw: the depot is traded with under get_cpu_ptr() and the global run
 * queue is filled with preemption off and from hard interrupts, where a
 * PREEMPT_RT kernel's sleeping spinlock_t may not be taken. No section
 * under these locks takes another lock; each is a few list links, at most
 * half a ring of tasks, or a batch of magazines a depot reap takes
 * (MAGPIE_DEPOT_REAP_BATCH).
 */
#define magpie_lock_t			raw_spinlock_t
#define magpie_lock_init(l)		raw_spin_lock_init(l)
#define magpie_lock(l, flags)		raw_spin_lock_irqsave(l, flags)
#define magpie_trylock(l, flags)	raw_spin_trylock_irqsave(l, flags)
#define magpie_unlock(l, flags)		raw_spin_unlock_irqrestore(l, flags)

#define MAGPIE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)
#define EXPORT_SYMBOL_FOR_MAGPIE_TESTS(sym)	EXPORT_SYMBOL_IF_KUNIT(sym)
#define magpie_ctz64(x)			__ffs64(x)

/*
 * Each use says what it orders and with what (engine/runq.c); these only
 * map the names onto the kernel's primitives.
 */
#define magpie_load_acquire(p)		smp_load_acquire(p)
/* Release: the comment at each use says what it publishes. */
#define magpie_store_release(p, v)	smp_store_release(p, v)
#define magpie_load_relaxed(p)		READ_ONCE(*(p))
#define magpie_store_relaxed(p, v)	WRITE_ONCE(*(p), v)
/* cmpxchg() is fully ordered when it succeeds (memory-barriers.txt). */
#define magpie_cas(p, old, new)		({				\
		typeof(p) __magpie_p = (p);				\
		typeof(*__magpie_p) __magpie_old = (old);		\
		cmpxchg(__magpie_p, __magpie_old, new) == __magpie_old;	\
	})
/* xchg() is fully ordered, too. */
#define magpie_xchg(p, new)		xchg(p, new)

#else /* userspace: userlib and host unit tests */

#include <assert.h>
#include <pthread.h>
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
#ifndef noinline
#define noinline	__attribute__((__noinline__))
#endif

#define MAGPIE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)
#define EXPORT_SYMBOL_FOR_MAGPIE_TESTS(sym)	MAGPIE_STATIC_ASSERT(1, #sym)
#define magpie_ctz64(x)			((unsigned int)__builtin_ctzll(x))

/* The same orderings as the kernel's, as C11 atomics ThreadSanitizer sees. */
#define magpie_load_acquire(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define magpie_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define magpie_load_relaxed(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define magpie_store_relaxed(p, v)	__atomic_store_n(p, v, __ATOMIC_RELAXED)
#define magpie_cas(p, old, new)		({				\
		__typeof__(p) __magpie_p = (p);				\
		__typeof__(*__magpie_p) __magpie_old = (old);		\
		__atomic_compare_exchange_n(__magpie_p, &__magpie_old, new, 0, \
					    __ATOMIC_SEQ_CST,		\
					    __ATOMIC_SEQ_CST);		\
	})
#define magpie_xchg(p, new)		__atomic_exchange_n(p, new, __ATOMIC_SEQ_CST)

/* @flags exists for the kernel's irqsave; here it is only set. */
#define magpie_lock_t			pthread_mutex_t
#define __acquires(x)
#define __releases(x)
#define magpie_lock_init(l)		pthread_mutex_init(l, NULL)
#define magpie_lock(l, flags)		((flags) = 0, pthread_mutex_lock(l))
#define magpie_trylock(l, flags)	((flags) = 0, pthread_mutex_trylock(l) == 0)
#define magpie_unlock(l, flags)		((void)(flags), pthread_mutex_unlock(l))

#endif /* __KERNEL__ */

#endif /* _MAGPIE_ENGINE_PLATFORM_H */
