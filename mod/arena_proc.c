// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie/arenas: one line per arena of /dev/magpie, with the kernel's
 * own counters and what userlib reports in the arena's shared header. The
 * header is client-written memory: every figure taken from it is read
 * once and clamped to what the arena could possibly hold, so a corrupt or
 * hostile header can make a line wrong but never large or harmful.
 */
#include <linux/mm.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "arena.h"
#include "compat.h"
#include "engine/sizeclass.h"
#include "internal.h"

struct magpie_arena_usage {
	unsigned long spans, objects, bytes, on_pressure;
	bool header_ok;
	struct magpie_arena_class_stats classes[MAGPIE_NR_SIZECLASSES];
};

/*
 * Takes one snapshot of the header's per-class figures, each clamped by
 * the data area: every span takes at least one page of it.
 */
static void magpie_arena_usage(struct magpie_arena *arena, struct magpie_arena_usage *u)
{
	const struct magpie_arena_header *h = magpie_arena_header(arena);
	unsigned long data_pages = arena->nr_pages - arena->data_pgoff;
	unsigned int c;

	u->spans = 0;
	u->objects = 0;
	u->bytes = 0;
	/* Only what a release really freed can have come back on pressure. */
	u->on_pressure = min_t(unsigned long, READ_ONCE(h->released_on_pressure) >> PAGE_SHIFT,
			       READ_ONCE(arena->released));
	u->header_ok = READ_ONCE(h->magic) == MAGPIE_ARENA_MAGIC &&
		       READ_ONCE(h->api_version) == MAGPIE_API_VERSION;
	for (c = 0; c < MAGPIE_NR_SIZECLASSES; c++) {
		unsigned long spans = READ_ONCE(h->classes[c].spans);
		unsigned long objs = READ_ONCE(h->classes[c].objects);

		if (c) {
			spans = min(spans, data_pages / magpie_sizeclasses[c].npages);
			objs = min(objs, spans * magpie_sizeclasses[c].nobjs);
			u->bytes += objs * magpie_class_size(c);
		} else {
			/* Large objects: one per span of at least one page. */
			spans = min(spans, data_pages);
			objs = min(objs, spans);
		}
		u->classes[c].spans = spans;
		u->classes[c].objects = objs;
		u->spans += spans;
		u->objects += objs;
	}
}

/*
 * The owner's command name as one field: any task may name itself (with
 * spaces, newlines, bytes past ASCII), so every byte that may not stand
 * as itself (magpie_proc_field_char()) is written as a backslash and
 * three octal digits, as /proc/mounts does, and an
 * empty name as "-". (string_escape_str() escapes either a class or a
 * set of characters, not both, hence this loop.)
 */
static void magpie_arena_comm(char *buf, const char *comm)
{
	unsigned char c;

	if (!*comm) {
		strscpy(buf, "-", 2);
		return;
	}
	while ((c = *comm++)) {
		if (magpie_proc_field_char(c))
			*buf++ = c;
		else
			buf += sprintf(buf, "\\%03o", c);
	}
	*buf = '\0';
}

/*
 * Format 1.0: a version line with the per-open limit, a '#' header, one
 * line per arena. Sizes in KiB, page counts in pages. From the kernel:
 * backed/released/faults/releases/maps and the pressure epoch the shrinker
 * has reached; from the header (clamped): the pages released in answer to
 * pressure (pr_rel, at most released), spans,
 * objects, in_use_kb (objects of the size classes times their size), and
 * after them the classes that have spans, as class:spans/objects ("-"
 * for none). hdr is "bad" when the client overwrote the header's magic or
 * version. comm is escaped (magpie_arena_comm()).
 */
static int magpie_arenas_show(struct seq_file *m, void *v)
{
	char comm[4 * TASK_COMM_LEN];
	struct magpie_arena_usage *u;
	struct magpie_arena *arena;
	unsigned long id;
	unsigned int c, shown;

	u = kmalloc_obj(*u, GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	seq_printf(m, "magpie arenas - version: 1.0 open_limit_kb: %lu\n",
		   magpie_open_limit_pages() << (PAGE_SHIFT - 10));
	seq_puts(m, "#   id     pid comm             size_kb   map_kb   backed released   faults releases maps pressure   pr_rel hdr    spans    objects in_use_kb classes\n");
	mutex_lock(&magpie_arenas_mutex);
	xa_for_each(&magpie_arenas, id, arena) {
		magpie_arena_usage(arena, u);
		magpie_arena_comm(comm, arena->owner_comm);
		seq_printf(m, "%6u %7d %-16s %8lu %8lu %8lu %8lu %8lu %8lu %4d %8llu %8lu %-4s %7lu %10lu %9lu",
			   arena->id, arena->owner_tgid, comm,
			   (arena->nr_pages - arena->data_pgoff) << (PAGE_SHIFT - 10),
			   arena->nr_pages << (PAGE_SHIFT - 10),
			   READ_ONCE(arena->backed), READ_ONCE(arena->released),
			   READ_ONCE(arena->faults), READ_ONCE(arena->releases),
			   atomic_read(&arena->mappings),
			   READ_ONCE(magpie_arena_header(arena)->pressure_epoch),
			   u->on_pressure, u->header_ok ? "ok" : "bad", u->spans, u->objects,
			   u->bytes >> 10);
		for (c = 0, shown = 0; c < MAGPIE_NR_SIZECLASSES; c++) {
			if (u->classes[c].spans)
				seq_printf(m, "%s%u:%u/%llu", shown++ ? "," : " ", c,
					   u->classes[c].spans, u->classes[c].objects);
		}
		seq_puts(m, shown ? "\n" : " -\n");
		cond_resched();	/* arenas are bounded only by memory */
	}
	mutex_unlock(&magpie_arenas_mutex);
	kfree(u);
	return 0;
}

/**
 * magpie_arena_proc_init() - add /proc/magpie/arenas
 * @dir: the /proc/magpie directory
 *
 * Readable by root only (0400): it names other users' processes.
 *
 * Return: 0, or -ENOMEM.
 */
int magpie_arena_proc_init(struct proc_dir_entry *dir)
{
	return proc_create_single("arenas", 0400, dir, magpie_arenas_show) ? 0 : -ENOMEM;
}
