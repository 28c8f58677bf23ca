/* SPDX-License-Identifier: GPL-2.0 */
/*
 * magpie - Go-style object caches and a work-stealing worker pool for the
 * kernel. This is the in-kernel API for other modules; everything here is
 * exported with EXPORT_SYMBOL_GPL and prefixed magpie_.
 *
 * Build against it with KBUILD_EXTRA_SYMBOLS pointing at magpie's
 * Module.symvers (see README.md).
 */
#ifndef _MAGPIE_H
#define _MAGPIE_H

#include <linux/types.h>

/* Version of the in-kernel API described in this header. */
#define MAGPIE_API_VERSION_MAJOR	0
#define MAGPIE_API_VERSION_MINOR	1

/**
 * magpie_size_class() - the magpie size class that serves an allocation
 * @size: request size in bytes
 *
 * Size classes are listed in <linux/magpie_sizeclasses.h> and in
 * /proc/magpie/sizeclasses.
 *
 * Return: the class number (1 .. MAGPIE_NR_SIZECLASSES - 1) whose objects
 * are the smallest that hold @size bytes, or 0 when @size is above
 * MAGPIE_MAX_SMALL_SIZE and would be served as a whole page run.
 */
unsigned int magpie_size_class(size_t size);

/**
 * magpie_class_object_size() - object size of a magpie size class
 * @class: class number from magpie_size_class()
 *
 * Return: the object size in bytes, or 0 for class 0 and invalid classes.
 */
unsigned int magpie_class_object_size(unsigned int class);

#endif /* _MAGPIE_H */
