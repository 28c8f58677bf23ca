/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the userlib host tests: the TAP case macros of
 * tools/testing/engine/mt_host.h, the backend the suites run against, and
 * small helpers (arenas, fill patterns, RSS).
 */
#ifndef _MAGPIE_UT_H
#define _MAGPIE_UT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <libmagpie.h>

#include "../engine/mt_host.h"
#include "../../../uapi/linux/magpie.h"

/* MGP_BACKEND_ANON or MGP_BACKEND_DEVICE: what ut_arena() asks for. */
extern uint32_t ut_backend;

/* An arena of @size bytes on ut_backend; aborts the run when none. */
struct mgp_arena *ut_arena(uint64_t size, uint64_t cache_bytes, uint32_t cache_ms);
/* VmRSS of this process in KiB. */
long ut_rss_kib(void);
void ut_fill(void *p, size_t n, unsigned int seed);
/* Index of the first byte that differs from ut_fill()'s, or -1. */
long ut_check(const void *p, size_t n, unsigned int seed);

/* Expects a call's result and errno. */
#define UT_EXPECT_ERR(expr, bad, err)					\
	do {								\
		errno = 0;						\
		MT_EXPECT_TRUE((expr) == (bad));			\
		MT_EXPECT_EQ(errno, err);				\
	} while (0)

const struct mt_case *ut_error_cases(void);
const struct mt_case *ut_device_error_cases(void);

#endif /* _MAGPIE_UT_H */
