#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: boots each benchmark kernel (perf, then stock) once with
# magpie_bench.ko, which measures magpie against SLUB in that same boot,
# and prints its `bench <name> magpie/<peer> <ratio>` lines. Never run on
# the debug kernel: KASAN and lockdep would distort every figure.
# MAGPIE_BENCH_KERNELS picks the kernels, MAGPIE_BENCH_ARGS passes module
# parameters (e.g. scale=5), MAGPIE_BENCH_SUITES runs only some of
# "caches pool arena" (the default: all three).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$MAGPIE_TOP"

for s in $MAGPIE_BENCH_SUITES; do
	case $s in
	caches | pool | arena) ;;
	*)
		echo "MAGPIE_BENCH_SUITES: no suite '$s' (caches, pool, arena)" >&2
		exit 2
		;;
	esac
done

tools/vm/deps.sh
make -s "$MAGPIE_BUILD/tools/magpie-stat-static" "$MAGPIE_BUILD/tools/magpie-check-static" \
	"$MAGPIE_BUILD/tools/arena_bench" "$MAGPIE_BUILD/tools/backend_bench"
out=$MAGPIE_BUILD/bench
mkdir -p "$out"
: >"$out/results.txt"
for k in ${MAGPIE_BENCH_KERNELS:-perf stock}; do
	eval "$(tools/vm/kernel.sh "$k")"
	tools/vm/build-module.sh "$k" "$KDIR"
	tools/vm/guest.sh "$k" "$IMAGE" bench
	if ! grep -q '^MAGPIE-SUITE-END bench rc=0' "$MAGPIE_BUILD/$k/bench/results.log"; then
		echo "bench on $k failed; end of its console:" >&2
		tail -n 30 "$MAGPIE_BUILD/$k/bench/console.log" >&2
		exit 1
	fi
	{
		echo "== $k: $KVERSION"
		sed -n '/^MAGPIE-SUITE-BEGIN bench/,/^MAGPIE-SUITE-END bench/{/^MAGPIE-/d;p}' \
			"$MAGPIE_BUILD/$k/bench/results.log"
	} | tee -a "$out/results.txt"
done
echo "(saved in $out/results.txt)"
