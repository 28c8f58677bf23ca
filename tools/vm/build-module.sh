#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds magpie.ko (and magpie_test.ko where the kernel has KUnit) for one
# kernel, in build/<kernel>/ so that builds for different kernels never share
# object files (out-of-tree M= builds write next to the sources on 6.1).
# Fails when the compiler or modpost says anything at all: W=1 must be clean.
# Usage: build-module.sh KNAME KDIR [extra make args...]
set -euo pipefail
. "$(dirname "$0")/common.sh"

kname=${1:?usage: build-module.sh KNAME KDIR}
kdir=${2:?usage: build-module.sh KNAME KDIR}
shift 2
out=$MAGPIE_BUILD/$kname/module
mkdir -p "$out"
# Mirror only what Kbuild compiles; --delete keeps stale sources out.
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	"$MAGPIE_TOP/mod" "$MAGPIE_TOP/uapi" "$out/"
cp "$MAGPIE_TOP/Kbuild" "$out/"
log=$out/build.log
if ! make -C "$kdir" M="$out" W=1 -j"$MAGPIE_JOBS" "$@" modules >"$log" 2>&1; then
	cat "$log" >&2
	mp_die "module build for $kname failed"
fi
if grep -E 'warning:|error:|WARNING:' "$log" >&2; then
	mp_die "module build for $kname is not warning-free (W=1), see $log"
fi
mp_log "built $(cd "$out" && ls ./*.ko | tr '\n' ' ')for $kname"
