// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of magpie's engine: the shared test cases of mod/tests
 * compiled natively against the engine sources, run under sanitizers.
 * Prints TAP.
 */
#include <stdio.h>

#include "../../../mod/tests/sizeclass_cases.h"
#include "../../../mod/tests/span_cases.h"
#include "../../../mod/tests/magazine_cases.h"
#include "../../../mod/tests/runq_cases.h"

int main(void)
{
	int number = 0, failed = 0;

	printf("TAP version 13\n");
	failed += mt_run_suite("magpie_sizeclass", magpie_sizeclass_cases, &number);
	failed += mt_run_suite("magpie_span", magpie_span_cases, &number);
	failed += mt_run_suite("magpie_magazine", magpie_magazine_cases, &number);
	failed += mt_run_suite("magpie_runq", magpie_runq_cases, &number);
	printf("1..%d\n", number);
	return failed ? 1 : 0;
}
