// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: when a CPU is gone, its magazines of every cache move to
 * the depots (full ones as they are, partial ones' objects to the spans),
 * so nothing it held is lost or pinned. A CPU coming online starts with
 * empty pairs and needs nothing.
 */
#include <linux/cpuhotplug.h>

#include "cache.h"
#include "compat.h"
#include "internal.h"

static enum cpuhp_state magpie_cpuhp_state;

/**
 * magpie_cpu_dead() - flush a dead CPU's magazines
 * @cpu: the CPU, no longer running anything
 *
 * Called by the hotplug core on a surviving CPU (and by the KUnit suite).
 *
 * Return: 0.
 */
int magpie_cpu_dead(unsigned int cpu)
{
	struct magpie_cache *cache;

	mutex_lock(&magpie_caches_mutex);
	list_for_each_entry(cache, &magpie_caches, list)
		magpie_cache_drain_cpu(cache, cpu);
	mutex_unlock(&magpie_caches_mutex);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(magpie_cpu_dead);

/**
 * magpie_hotplug_init() - register the CPU-dead callback
 *
 * Return: 0, or the hotplug core's error.
 */
int magpie_hotplug_init(void)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "magpie:dead",
					    NULL, magpie_cpu_dead);

	if (ret < 0)
		return ret;
	magpie_cpuhp_state = ret;
	return 0;
}

/**
 * magpie_hotplug_exit() - unregister it
 */
void magpie_hotplug_exit(void)
{
	cpuhp_remove_state_nocalls(magpie_cpuhp_state);
}
