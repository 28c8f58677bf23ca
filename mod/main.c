// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry and exit: brings the subsystems up in order and takes them
 * down in reverse, unwinding on the first failure.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "arena.h"
#include "internal.h"
#include "pageheap.h"
#include "pool.h"

static unsigned int chunk_order = 8;
module_param(chunk_order, uint, 0444);
MODULE_PARM_DESC(chunk_order,
		 "log2 of the pages the page heap takes from the buddy allocator at once (4..10, default 8 = 1 MiB)");

static int __init magpie_init(void)
{
	int ret;

	ret = magpie_heap_init(chunk_order);
	if (ret) {
		pr_err("chunk_order=%u is out of range (4..10)\n", chunk_order);
		return ret;
	}
	ret = magpie_hotplug_init();
	if (ret)
		goto err_heap;
	ret = magpie_alloc_init();
	if (ret)
		goto err_hotplug;
	ret = magpie_reap_init();
	if (ret)
		goto err_alloc;
	ret = magpie_pool_init();
	if (ret)
		goto err_reap;
	ret = magpie_proc_init();
	if (ret)
		goto err_pool;
	ret = magpie_sizeclass_proc_init(magpie_proc_dir());
	if (ret)
		goto err_proc;
	ret = magpie_cache_proc_init(magpie_proc_dir());
	if (ret)
		goto err_proc;
	ret = magpie_pool_proc_init(magpie_proc_dir());
	if (ret)
		goto err_proc;
	ret = magpie_arena_proc_init(magpie_proc_dir());
	if (ret)
		goto err_proc;
	ret = magpie_arena_pressure_init();
	if (ret)
		goto err_proc;
	/* Last: from here on userspace can open the device. */
	ret = magpie_dev_init();
	if (ret)
		goto err_pressure;
	pr_info("loaded\n");
	return 0;

err_pressure:
	magpie_arena_pressure_exit();
err_proc:
	magpie_proc_exit();
err_pool:
	magpie_pool_exit();
err_reap:
	magpie_reap_exit();
err_alloc:
	magpie_alloc_exit();
err_hotplug:
	magpie_hotplug_exit();
err_heap:
	magpie_heap_exit();
	return ret;
}

static void __exit magpie_exit(void)
{
	magpie_dev_exit();
	magpie_arena_pressure_exit();
	magpie_proc_exit();
	magpie_pool_exit();
	magpie_reap_exit();
	magpie_alloc_exit();
	magpie_hotplug_exit();
	magpie_heap_exit();
	pr_info("unloaded\n");
}

module_init(magpie_init);
module_exit(magpie_exit);

MODULE_DESCRIPTION("magpie: Go-style object caches and work-stealing worker pool");
MODULE_AUTHOR("The magpie developers");
MODULE_LICENSE("GPL");
