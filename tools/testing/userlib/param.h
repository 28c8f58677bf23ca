/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Setting one of magpie's module parameters from a userlib test, for the
 * tests that run as root in the guests.
 */
#ifndef _MAGPIE_UT_PARAM_H
#define _MAGPIE_UT_PARAM_H

#include <stdio.h>

/* Writes @val to parameter @name, keeping the old value in @old (if any); 0 or -1. */
static inline int ut_set_param(const char *name, const char *val, char *old, size_t len)
{
	char path[128];
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/magpie/parameters/%s", name);
	f = fopen(path, "r+");
	if (!f)
		return -1;
	if (old && !fgets(old, (int)len, f))
		goto out;
	rewind(f);
	if (fputs(val, f) >= 0 && fflush(f) == 0)
		ret = 0;
out:
	fclose(f);
	return ret;
}

#endif /* _MAGPIE_UT_PARAM_H */
