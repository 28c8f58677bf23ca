// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/magpie: owns the directory; each subsystem adds its own files to
 * it from its init function. Removing the directory removes them all.
 */
#include <linux/proc_fs.h>

#include "internal.h"

static struct proc_dir_entry *magpie_proc_root;

/**
 * magpie_proc_dir() - the /proc/magpie directory entry
 *
 * Return: the directory, valid between magpie_proc_init() and
 * magpie_proc_exit().
 */
struct proc_dir_entry *magpie_proc_dir(void)
{
	return magpie_proc_root;
}

/**
 * magpie_proc_init() - create /proc/magpie
 *
 * Return: 0, or -ENOMEM when the directory cannot be created.
 */
int magpie_proc_init(void)
{
	magpie_proc_root = proc_mkdir(MAGPIE_PROC_DIR, NULL);
	return magpie_proc_root ? 0 : -ENOMEM;
}

/**
 * magpie_proc_exit() - remove /proc/magpie and every file in it
 *
 * Waits for readers in progress to leave, so the show functions of the
 * subsystems may go away after this returns.
 */
void magpie_proc_exit(void)
{
	proc_remove(magpie_proc_root);
	magpie_proc_root = NULL;
}
