// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the size-class table: /proc/magpie/sizeclasses, the
 * exported lookups of mod/magpie.h, and the table exports the KUnit module
 * checks. The table itself is engine code (engine/sizeclass.c).
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "compat.h"
#include "engine/sizeclass.h"
#include "internal.h"
#include "magpie.h"

/* The spans of the table are cut from kernel pages one to one. */
static_assert(PAGE_SIZE == MAGPIE_SIZECLASS_PAGE_SIZE,
	      "magpie's size classes assume 4 KiB pages");

unsigned int magpie_size_class(size_t size)
{
	return magpie_size_to_class(size);
}
EXPORT_SYMBOL_GPL(magpie_size_class);

unsigned int magpie_class_object_size(unsigned int class)
{
	if (!class || class >= MAGPIE_NR_SIZECLASSES)
		return 0;
	return magpie_class_size(class);
}
EXPORT_SYMBOL_GPL(magpie_class_object_size);

/*
 * Format (version 1.0), slabinfo-style: a version line naming the table
 * version too, a '#' header naming the columns, one row per class. Waste
 * columns are percentages with two decimals.
 */
static int magpie_sizeclasses_show(struct seq_file *m, void *v)
{
	unsigned int c;

	seq_printf(m, "magpie sizeclasses - version: 1.0 table: %u page_size: %u classes: %u\n",
		   MAGPIE_SIZECLASS_VERSION, MAGPIE_SIZECLASS_PAGE_SIZE,
		   MAGPIE_NR_SIZECLASSES - 1);
	seq_puts(m, "# class  size pages objects tail max_waste% max_waste_with_tail%\n");
	for (c = 1; c < MAGPIE_NR_SIZECLASSES; c++) {
		const struct magpie_sizeclass *sc = &magpie_sizeclasses[c];

		seq_printf(m, "%7u %5u %5u %7u %4u %7u.%02u %17u.%02u\n", c,
			   sc->size, sc->npages, sc->nobjs, sc->tail_waste,
			   sc->max_waste_bp / 100, sc->max_waste_bp % 100,
			   sc->max_total_waste_bp / 100, sc->max_total_waste_bp % 100);
	}
	return 0;
}

/**
 * magpie_sizeclass_proc_init() - add /proc/magpie/sizeclasses
 * @dir: the /proc/magpie directory
 *
 * The file is world-readable: the table is public (it is in the uapi
 * header) and says nothing about the system's state.
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_sizeclass_proc_init(struct proc_dir_entry *dir)
{
	if (!proc_create_single("sizeclasses", 0444, dir, magpie_sizeclasses_show))
		return -ENOMEM;
	return 0;
}
