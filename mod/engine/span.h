/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Spans: a run of pages cut into equal objects of one size class, with a
 * bitmap of which objects are out. Allocation follows Go's
 * mspan.nextFreeFast: @alloc_cache holds the free bits of the current bitmap
 * word from @freeindex on, shifted so that bit 0 is @freeindex, and the
 * common case is one count-trailing-zeros and two shifts.
 *
 * A span knows nothing of locking or of where its memory is: @base is an
 * address in the kernel and an address or arena offset in userlib. Its
 * owner serialises every call (the central list's lock in the kernel).
 */
#ifndef _MAGPIE_ENGINE_SPAN_H
#define _MAGPIE_ENGINE_SPAN_H

#include "platform.h"
#include "sizeclass.h"

#define MAGPIE_SPAN_WORDS	(MAGPIE_SIZECLASS_MAX_OBJECTS / 64)

/**
 * struct magpie_span - one span's objects and free bitmap
 * @base: address (or offset) of object 0
 * @elemsize: bytes per object
 * @div_mul: reciprocal of @elemsize for offset -> index, as Go's divMul
 * @nelems: objects in the span
 * @freeindex: index the next allocation looks at first
 * @alloc_count: objects currently allocated
 * @class: size class, 0 for a span holding one large object
 * @alloc_cache: free bits of @freeindex's bitmap word from @freeindex on
 *	(bit 0 is @freeindex); bits at and past @nelems are always 0
 * @alloc_bits: bit i set while object i is allocated
 *
 * Invariant: every 1 bit of @alloc_cache is a 0 bit of @alloc_bits, and
 * popcount(@alloc_bits) == @alloc_count.
 */
struct magpie_span {
	uintptr_t base;
	u32 elemsize;
	u32 div_mul;
	u16 nelems;
	u16 freeindex;
	u16 alloc_count;
	u8 class;
	u64 alloc_cache;
	u64 alloc_bits[MAGPIE_SPAN_WORDS];
};

void magpie_span_init(struct magpie_span *span, uintptr_t base, unsigned int class);
void magpie_span_init_large(struct magpie_span *span, uintptr_t base, size_t bytes);
int magpie_span_alloc_slow(struct magpie_span *span);
unsigned int magpie_span_alloc_bulk(struct magpie_span *span, uintptr_t *objs,
				    unsigned int nr);
int magpie_span_index(const struct magpie_span *span, uintptr_t addr);
int magpie_span_free_index(struct magpie_span *span, unsigned int idx);

/**
 * magpie_span_alloc() - take one free object out of a span
 * @span: the span
 *
 * Return: the object's index, or -1 when the span is full.
 */
static inline int magpie_span_alloc(struct magpie_span *span)
{
	if (likely(span->alloc_cache)) {
		unsigned int bit = magpie_ctz64(span->alloc_cache);
		unsigned int idx = span->freeindex + bit;

		/* Two shifts: bit + 1 may be 64, which one shift cannot do. */
		span->alloc_cache = (span->alloc_cache >> bit) >> 1;
		span->freeindex = idx + 1;
		span->alloc_bits[idx / 64] |= 1ULL << (idx % 64);
		span->alloc_count++;
		return idx;
	}
	return magpie_span_alloc_slow(span);
}

/**
 * magpie_span_addr() - address of an object
 * @span: the span
 * @idx: object index, below @span->nelems
 *
 * Return: @span->base + @idx * @span->elemsize.
 */
static inline uintptr_t magpie_span_addr(const struct magpie_span *span, unsigned int idx)
{
	return span->base + (uintptr_t)idx * span->elemsize;
}

/**
 * magpie_span_full() - whether every object is out
 * @span: the span
 *
 * Return: true when no object can be allocated.
 */
static inline bool magpie_span_full(const struct magpie_span *span)
{
	return span->alloc_count == span->nelems;
}

/**
 * magpie_span_empty() - whether no object is out
 * @span: the span
 *
 * Return: true when the span's memory can go back to the page heap.
 */
static inline bool magpie_span_empty(const struct magpie_span *span)
{
	return span->alloc_count == 0;
}

#endif /* _MAGPIE_ENGINE_SPAN_H */
