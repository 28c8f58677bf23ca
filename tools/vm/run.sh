#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: magpie's demo. Installs what is missing, builds magpie.ko for
# Debian's stock 6.1 kernel (or MAGPIE_RUN_KERNEL), boots it under QEMU and
# prints on this terminal what the guest did with the module.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$MAGPIE_TOP"

k=${MAGPIE_RUN_KERNEL:-stock}
tools/vm/deps.sh
env=$(tools/vm/kernel.sh "$k")
eval "$env"
mp_log "kernel: $KVERSION"
tools/vm/build-module.sh "$k" "$KDIR"
make -s "$MAGPIE_BUILD/tools/magpie-stat-static" "$MAGPIE_BUILD/tools/magpie-check-static" \
	"$MAGPIE_BUILD/tools/magpie-demo"
tools/vm/guest.sh "$k" "$IMAGE" run
out=$MAGPIE_BUILD/$k/run
echo
echo "==== magpie in a QEMU guest running $KVERSION ===="
if ! grep -q '^MAGPIE-GUEST-END' "$out/results.log" 2>/dev/null; then
	echo "the guest did not finish; the end of its console:" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
sed -n '/^MAGPIE-SUITE-BEGIN demo/,/^MAGPIE-SUITE-END demo/{/^MAGPIE-/d;p}' "$out/results.log"
echo "==== kernel messages from magpie ===="
grep -E 'magpie' "$out/console.log" | grep -v 'magpie-guest:' || true
if PYTHONPATH=tools/vm python3 -c 'import sys, report; sys.exit(1 if report.find_splats(open(sys.argv[1]).readlines()) else 0)' \
	"$out/console.log" 2>/dev/null; then
	echo "(no warnings or oopses on the console)"
else
	echo "the kernel printed a splat, see $out/console.log" >&2
	exit 1
fi
