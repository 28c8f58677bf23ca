#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Packs an initramfs (static busybox, /init, magpie's modules, static test
# binaries) and boots it under QEMU/TCG, collecting the kernel console and
# the results channel into build/<kernel>/<mode>/.
# Usage: guest.sh KNAME IMAGE MODE   (MODE: check | run | bench)
# MODULE_DIR (default build/KNAME/module) holds the .ko files, SELFTEST_DIR
# (default build/selftests) the static test binaries.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kname=${1:?usage: guest.sh KNAME IMAGE MODE}
image=${2:?usage: guest.sh KNAME IMAGE MODE}
mode=${3:?usage: guest.sh KNAME IMAGE MODE}
moddir=${MODULE_DIR:-$MAGPIE_BUILD/$kname/module}
stdir=${SELFTEST_DIR:-$MAGPIE_BUILD/selftests}
out=$MAGPIE_BUILD/$kname/$mode
# TCG is ~10x slower than hardware and the debug kernel slower again.
timeout_s=${MAGPIE_VM_TIMEOUT:-900}

busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	busybox=/bin/busybox
[ -x "$busybox" ] || mp_die "static busybox missing (package busybox-static)"

rm -rf "$out"
mkdir -p "$out/root"/{bin,sbin,proc,sys,dev,tmp,magpie/selftests}
root=$out/root
cp "$busybox" "$root/bin/busybox"
cp "$MAGPIE_TOP/tools/vm/guest-init.sh" "$root/init"
chmod +x "$root/init"
cp "$moddir/magpie.ko" "$root/magpie/"
cp "$moddir/magpie_bench.ko" "$moddir/magpie_pool_bench.ko" "$root/magpie/"
# magpie-stat and magpie-check, static: the guest has nothing but busybox.
for t in magpie-stat magpie-check; do
	if [ -x "$MAGPIE_BUILD/tools/$t-static" ]; then
		cp "$MAGPIE_BUILD/tools/$t-static" "$root/bin/$t"
	fi
done
[ "$mode" = bench ] && cp "$MAGPIE_BUILD/tools/arena_bench" "$MAGPIE_BUILD/tools/backend_bench" "$root/magpie/"
[ "$mode" = run ] && cp "$MAGPIE_BUILD/tools/magpie-demo" "$root/magpie/"
# userlib's API suite, static: in the guest it runs on /dev/magpie too.
if [ "$mode" = check ] && [ -x "$MAGPIE_BUILD/userlib/userlib-test-static" ]; then
	cp "$MAGPIE_BUILD/userlib/userlib-test-static" "$root/magpie/selftests/userlib_test"
fi
# The check guest runs real programs (python3, cc) under the LD_PRELOAD
# shim on /dev/magpie: it mounts the host's root read-only over virtio-9p
# and chroots into it. Built kernels have 9p built in; the stock one has
# it as modules, packed here in load order (modules.dep lists each
# module's dependencies transitively, the last to be loaded first).
virtfs=()
if [ "$mode" = check ]; then
	virtfs=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
	# The image names its own release ("..., version 6.1.0-56-amd64 (...").
	krel=$(file -bL "$image" | sed -n 's/.*, version \([^ ]*\) .*/\1/p')
	if [ "$kname" = stock ] && [ -f "/lib/modules/$krel/modules.dep" ]; then
		mkdir -p "$root/magpie/kmods"
		for m in virtio_pci 9pnet_virtio 9p; do
			line=$(grep -E "/$m\.ko(\.xz)?:" "/lib/modules/$krel/modules.dep") ||
				mp_die "$m.ko missing from /lib/modules/$krel"
			for dep in $(echo "${line#*:}" | tr ' ' '\n' | tac) "${line%%:*}"; do
				b=$(basename "$dep")
				grep -qx "$b" "$root/magpie/kmods/order" 2>/dev/null && continue
				cp "/lib/modules/$krel/$dep" "$root/magpie/kmods/"
				echo "$b" >>"$root/magpie/kmods/order"
			done
		done
	fi
fi
kunit=0
if [ -f "$moddir/magpie_test.ko" ]; then
	cp "$moddir/magpie_test.ko" "$root/magpie/"
	kunit=1
fi
[ "$mode" = check ] && [ -d "$stdir" ] && cp "$stdir"/* "$root/magpie/selftests/" 2>/dev/null || true
# Programs the kselftests run, which are not tests themselves.
if [ "$mode" = check ] && [ -d "$stdir-helpers" ]; then
	mkdir -p "$root/magpie/helpers"
	cp "$stdir-helpers"/* "$root/magpie/helpers/"
fi
printf 'MAGPIE_MODE=%s\nMAGPIE_KUNIT=%s\nMAGPIE_BENCH_ARGS="%s"\nMAGPIE_BENCH_SUITES="%s"\nMAGPIE_HOST_BUILD=%s\n' \
	"$mode" "$kunit" "${MAGPIE_BENCH_ARGS:-}" "$MAGPIE_BENCH_SUITES" \
	"$MAGPIE_BUILD" >"$root/magpie/plan"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initramfs.cpio.gz"

# panic_on_warn + oops=panic: a splat ends the run at once; panic=-1 reboots
# and -no-reboot turns that into QEMU exiting. printk.time keeps timestamps
# for the report; kmemleak scans only when asked.
append="console=ttyS0 panic_on_warn=1 oops=panic panic=-1 loglevel=7 \
kmemleak.auto_scan=0 ${MAGPIE_VM_APPEND:-}"
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 1024 -cpu max
	"${virtfs[@]}" -kernel "$image" -initrd "$out/initramfs.cpio.gz" -append "$append"
	-display none -monitor none -no-reboot
	-serial "file:$out/console.log" -serial "file:$out/results.log")
mp_log "booting $kname ($mode) under QEMU/TCG"
start=$(date +%s)
rc=0
timeout "$timeout_s" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 || rc=$?
echo "$rc" >"$out/qemu.rc"
mp_log "$kname ($mode) guest finished in $(($(date +%s) - start)) s (qemu rc=$rc)"
[ "$rc" -eq 124 ] && mp_log "guest timed out after $timeout_s s"
exit 0
