/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON output shared by the command-line tools (magpie-stat,
 * magpie-check): a string written with the escapes JSON requires.
 */
#ifndef _MAGPIE_TOOLS_JSON_H
#define _MAGPIE_TOOLS_JSON_H

#include <stdio.h>

/* @s as a JSON string: quotes, backslashes and control bytes escaped. */
static inline void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

#endif /* _MAGPIE_TOOLS_JSON_H */
