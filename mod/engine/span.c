// SPDX-License-Identifier: GPL-2.0
/*
 * Span bitmap allocation: setting a span up, refilling the ctz cache when
 * it runs dry, bulk allocation for magazine refills, and the checked
 * pointer -> index -> free path that catches double and foreign frees.
 */
#include "span.h"

/*
 * Go's divMagic: for every offset a span of our classes can hold
 * (below 8 pages), (off * div_mul) >> 32 == off / elemsize exactly; the
 * tests check all of them.
 */
static u32 magpie_div_mul(u32 size)
{
	return (u32)(0xffffffffu / size) + 1;
}

/* Free bits of @idx's bitmap word from @idx on, limited to @nelems. */
static u64 magpie_span_free_window(const struct magpie_span *span, unsigned int idx)
{
	u64 free = ~span->alloc_bits[idx / 64] >> (idx % 64);
	unsigned int left = span->nelems - idx;

	if (left < 64)
		free &= (1ULL << left) - 1;
	return free;
}

/**
 * magpie_span_init() - set a span up with every object free
 * @span: the span
 * @base: address or offset of the span's first byte
 * @class: size class, 1 .. MAGPIE_NR_SIZECLASSES - 1
 */
void magpie_span_init(struct magpie_span *span, uintptr_t base, unsigned int class)
{
	unsigned int i;

	span->base = base;
	span->class = class;
	span->elemsize = magpie_sizeclasses[class].size;
	span->div_mul = magpie_div_mul(span->elemsize);
	span->nelems = magpie_sizeclasses[class].nobjs;
	span->alloc_count = 0;
	for (i = 0; i < MAGPIE_SPAN_WORDS; i++)
		span->alloc_bits[i] = 0;
	span->freeindex = 0;
	span->alloc_cache = magpie_span_free_window(span, 0);
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_span_init);

/**
 * magpie_span_init_large() - set a span up as one object of @bytes bytes
 * @span: the span
 * @base: address or offset of the object
 * @bytes: the object's size (more than MAGPIE_MAX_SMALL_SIZE)
 */
void magpie_span_init_large(struct magpie_span *span, uintptr_t base, size_t bytes)
{
	unsigned int i;

	span->base = base;
	span->class = 0;
	span->elemsize = (u32)bytes;
	span->div_mul = 0;
	span->nelems = 1;
	span->alloc_count = 0;
	for (i = 0; i < MAGPIE_SPAN_WORDS; i++)
		span->alloc_bits[i] = 0;
	span->freeindex = 0;
	span->alloc_cache = 1;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_span_init_large);

/**
 * magpie_span_alloc_slow() - allocate when the ctz cache is empty
 * @span: the span
 *
 * Looks for a free object in the words after the cache's, then, since
 * frees land behind @freeindex, from the start of the span.
 *
 * Return: the object's index, or -1 when the span is full.
 */
int magpie_span_alloc_slow(struct magpie_span *span)
{
	unsigned int idx, pass;

	if (magpie_span_full(span))
		return -1;
	idx = span->freeindex;
	for (pass = 0; pass < 2; pass++) {
		while (idx < span->nelems) {
			u64 free = magpie_span_free_window(span, idx);

			if (free) {
				span->freeindex = idx;
				span->alloc_cache = free;
				return magpie_span_alloc(span);
			}
			idx = (idx / 64 + 1) * 64;
		}
		idx = 0;
	}
	/* alloc_count said there was room, the bitmap says not. */
	return -1;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_span_alloc_slow);

/**
 * magpie_span_alloc_bulk() - take up to @nr objects out of a span
 * @span: the span
 * @objs: where the objects' addresses go
 * @nr: how many are wanted
 *
 * Return: how many were taken (fewer than @nr only when the span filled).
 */
unsigned int magpie_span_alloc_bulk(struct magpie_span *span, uintptr_t *objs,
				    unsigned int nr)
{
	unsigned int got;

	for (got = 0; got < nr; got++) {
		int idx = magpie_span_alloc(span);

		if (idx < 0)
			break;
		objs[got] = magpie_span_addr(span, idx);
	}
	return got;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_span_alloc_bulk);

/**
 * magpie_span_index() - index of the object at @addr
 * @span: the span @addr is believed to belong to
 * @addr: the object's address (or offset)
 *
 * Return: the index, or -1 when @addr is outside the span's objects or
 * not the start of one (an interior or foreign pointer).
 */
int magpie_span_index(const struct magpie_span *span, uintptr_t addr)
{
	uintptr_t off = addr - span->base;
	u32 idx;

	if (addr < span->base || off >= (uintptr_t)span->nelems * span->elemsize)
		return -1;
	if (span->nelems == 1)
		return off == 0 ? 0 : -1;
	idx = (u32)(((u64)off * span->div_mul) >> 32);
	if ((uintptr_t)idx * span->elemsize != off)
		return -1;
	return idx;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_span_index);

/**
 * magpie_span_free_index() - give object @idx back to its span
 * @span: the span
 * @idx: the object's index, from magpie_span_index()
 *
 * Return: 0, or -1 when the object is not allocated (a double free); the
 * span is left unchanged then.
 */
int magpie_span_free_index(struct magpie_span *span, unsigned int idx)
{
	u64 bit = 1ULL << (idx % 64);

	if (idx >= span->nelems || !(span->alloc_bits[idx / 64] & bit))
		return -1;
	span->alloc_bits[idx / 64] &= ~bit;
	span->alloc_count--;
	/* Inside the cache's window: make it visible to the fast path. */
	if (idx >= span->freeindex && idx / 64 == span->freeindex / 64)
		span->alloc_cache |= 1ULL << (idx - span->freeindex);
	return 0;
}
EXPORT_SYMBOL_FOR_MAGPIE_TESTS(magpie_span_free_index);
