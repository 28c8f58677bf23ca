// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry and exit: brings the subsystems up in order and takes them
 * down in reverse, unwinding on the first failure.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "internal.h"

static int __init magpie_init(void)
{
	int ret;

	ret = magpie_proc_init();
	if (ret)
		return ret;
	ret = magpie_sizeclass_proc_init(magpie_proc_dir());
	if (ret)
		goto err_proc;
	pr_info("loaded\n");
	return 0;

err_proc:
	magpie_proc_exit();
	return ret;
}

static void __exit magpie_exit(void)
{
	magpie_proc_exit();
	pr_info("unloaded\n");
}

module_init(magpie_init);
module_exit(magpie_exit);

MODULE_DESCRIPTION("magpie: Go-style object caches and work-stealing worker pool");
MODULE_AUTHOR("The magpie developers");
MODULE_LICENSE("GPL");
