/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Size classes: the table generated into <linux/magpie_sizeclasses.h> as
 * an array the engine can index, and the O(1) size -> class lookup.
 *
 * Class 0 stands for "large": sizes above MAGPIE_MAX_SMALL_SIZE are served
 * as whole page runs and have no class. Classes 1..MAGPIE_NR_SIZECLASSES-1
 * grow strictly; class c serves every request in (size[c-1], size[c]].
 */
#ifndef _MAGPIE_ENGINE_SIZECLASS_H
#define _MAGPIE_ENGINE_SIZECLASS_H

#include "platform.h"
#include "../../uapi/linux/magpie_sizeclasses.h"

/* Sizes up to here are looked up with 8-byte, larger ones 128-byte steps. */
#define MAGPIE_SIZECLASS_SMALL_LIMIT	1024

/**
 * struct magpie_sizeclass - one row of the size-class table
 * @size: object size in bytes; every object of the class has exactly this size
 * @npages: span length in MAGPIE_SIZECLASS_PAGE_SIZE pages
 * @nobjs: objects cut from one span
 * @tail_waste: bytes left at the end of a span after the last object
 * @max_waste_bp: worst internal waste of a request served by this class, in
 *	1/10000 of @size (the request is one byte above the class below)
 * @max_total_waste_bp: the same counting the span tail, in 1/10000 of the span
 */
struct magpie_sizeclass {
	u32 size;
	u16 npages;
	u16 nobjs;
	u32 tail_waste;
	u16 max_waste_bp;
	u16 max_total_waste_bp;
};

extern const struct magpie_sizeclass magpie_sizeclasses[MAGPIE_NR_SIZECLASSES];
extern const u8 magpie_size_to_class8[MAGPIE_SIZECLASS_SMALL_LIMIT / 8 + 1];
extern const u8 magpie_size_to_class128[(MAGPIE_MAX_SMALL_SIZE -
					 MAGPIE_SIZECLASS_SMALL_LIMIT) / 128 + 1];

/**
 * magpie_size_to_class() - the smallest size class that holds @size bytes
 * @size: request size; 0 is treated as 1
 *
 * Return: a class in 1..MAGPIE_NR_SIZECLASSES-1, or 0 when @size is above
 * MAGPIE_MAX_SMALL_SIZE and needs a page run of its own.
 */
static inline unsigned int magpie_size_to_class(size_t size)
{
	if (likely(size <= MAGPIE_SIZECLASS_SMALL_LIMIT))
		return magpie_size_to_class8[(size + 7) >> 3];
	if (likely(size <= MAGPIE_MAX_SMALL_SIZE))
		return magpie_size_to_class128[(size - MAGPIE_SIZECLASS_SMALL_LIMIT + 127) >> 7];
	return 0;
}

/**
 * magpie_class_size() - object size of a class
 * @class: a class in 1..MAGPIE_NR_SIZECLASSES-1
 *
 * Return: the size in bytes of each object of @class.
 */
static inline unsigned int magpie_class_size(unsigned int class)
{
	return magpie_sizeclasses[class].size;
}

/**
 * magpie_class_span_bytes() - length of one span of a class
 * @class: a class in 1..MAGPIE_NR_SIZECLASSES-1
 *
 * Return: the span length in bytes.
 */
static inline size_t magpie_class_span_bytes(unsigned int class)
{
	return (size_t)magpie_sizeclasses[class].npages * MAGPIE_SIZECLASS_PAGE_SIZE;
}

#endif /* _MAGPIE_ENGINE_SIZECLASS_H */
