/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the module's own files; nothing here is
 * visible to other modules (that is mod/magpie.h).
 */
#ifndef _MAGPIE_INTERNAL_H
#define _MAGPIE_INTERNAL_H

#include <linux/proc_fs.h>

#define MAGPIE_PROC_DIR		"magpie"

/* proc.c: the /proc/magpie directory that every subsystem adds to. */
int magpie_proc_init(void);
void magpie_proc_exit(void);
struct proc_dir_entry *magpie_proc_dir(void);

/*
 * Whether byte @c may stand as itself in a field of a /proc/magpie line:
 * fields are split at whitespace, and a backslash starts an escape.
 */
static inline bool magpie_proc_field_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '\\';
}

/* sizeclass_proc.c */
int magpie_sizeclass_proc_init(struct proc_dir_entry *dir);

/* cache_proc.c */
int magpie_cache_proc_init(struct proc_dir_entry *dir);

/* reap.c */
int magpie_reap_init(void);
void magpie_reap_exit(void);
unsigned long magpie_reap_all(bool urgent);
unsigned int magpie_reap_interval_msecs(void);

/* hotplug.c */
int magpie_hotplug_init(void);
void magpie_hotplug_exit(void);
int magpie_cpu_dead(unsigned int cpu);

/* alloc.c */
int magpie_alloc_init(void);
void magpie_alloc_exit(void);

#endif /* _MAGPIE_INTERNAL_H */
