#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: every test magpie has, then one report ending in the line
# `N passed, N failed`. Each step records its outcome as TAP under
# build/results/ and the run goes on after a failure, so the report always
# says everything that broke. Steps:
#   setup     dependencies; generated headers up to date
#   host      engine and userlib unit tests natively under ASan+UBSan and
#             TSan, userlib's LD_PRELOAD programs; report.py's tests
#   kernels   stock (Debian 6.1), debug and perf (linux-source-7.x) prepared
#   build     magpie.ko warning-free with W=1 on each; sparse (C=2) on each;
#             checkpatch --strict; static kselftest binaries
#   guests    stock and debug booted under QEMU: kselftests, KUnit (debug),
#             load/unload, kmemleak (debug), and a scan for kernel splats
# MAGPIE_KERNELS / MAGPIE_GUESTS narrow the kernels built and booted.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$MAGPIE_TOP" || exit 1

R=$MAGPIE_BUILD/results
rm -rf "$R"
mkdir -p "$R/logs"
kernels=${MAGPIE_KERNELS:-stock debug perf}
guests=${MAGPIE_GUESTS:-stock debug}
report_args=()
retried=()
started=$(date +%s)

# step FILE NAME CMD...: runs CMD, appends one TAP line to FILE.tap; the
# command's output goes to logs/ and, on failure, into the report.
declare -A step_n
step() {
	local file=$1 name=$2 log
	shift 2
	step_n[$file]=$((${step_n[$file]:-0} + 1))
	log=$R/logs/$file-${step_n[$file]}.log
	mp_log "$file: $name"
	if "$@" >"$log" 2>&1; then
		echo "ok ${step_n[$file]} $name" >>"$R/$file.tap"
		return 0
	fi
	echo "not ok ${step_n[$file]} $name" >>"$R/$file.tap"
	tail -n 40 "$log" | sed 's/^/# /' >>"$R/$file.tap"
	return 1
}

step setup "dependencies installed" tools/vm/deps.sh
step setup "generated size-class headers match tools/gen-sizeclasses.c" make -s check-gen
report_args+=(--tap "setup=$R/setup.tap")

# host_tests NAME LABEL: builds build/host/NAME, runs it into a TAP file;
# a non-zero exit (a sanitizer report) fails even if every case said ok.
host_tests() {
	local name=$1 label=$2 rc=0
	step host "$name builds" make -s "$MAGPIE_BUILD/host/$name" || return
	mp_log "host: $name"
	"$MAGPIE_BUILD/host/$name" >"$R/host-$name.tap" 2>&1 || rc=$?
	step host "$name exits 0 (no sanitizer report)" test "$rc" -eq 0
	report_args+=(--tap "host: $label=$R/host-$name.tap")
}
host_tests engine-asan "engine (ASan+UBSan)"
host_tests depot-tsan "depot threads (TSan)"
host_tests runq-tsan "run queue threads (TSan)"
host_tests userlib-asan "userlib (ASan+UBSan)"
host_tests userlib-tsan "userlib threads (TSan)"
host_tests userlib-preload "userlib LD_PRELOAD programs"
python3 tools/vm/report_selftest.py >"$R/host-report.tap" 2>&1
if step host "magpie-stat, magpie-check, arena_bench, magpie-demo, userlib-test-static build" \
	make -s "$MAGPIE_BUILD/tools/magpie-stat" "$MAGPIE_BUILD/tools/magpie-stat-static" \
	"$MAGPIE_BUILD/tools/magpie-check" "$MAGPIE_BUILD/tools/magpie-check-static" \
	"$MAGPIE_BUILD/tools/arena_bench" "$MAGPIE_BUILD/tools/magpie-demo" \
	"$MAGPIE_BUILD/userlib/userlib-test-static"; then
	rc=0
	python3 tools/testing/stat/test_magpie_stat.py "$MAGPIE_BUILD/tools/magpie-stat" \
		>"$R/host-stat.tap" 2>&1 || rc=$?
	step host "magpie-stat tests exit 0" test "$rc" -eq 0
	report_args+=(--tap "host: magpie-stat=$R/host-stat.tap")
	rc=0
	python3 tools/testing/check/test_magpie_check.py "$MAGPIE_BUILD/tools/magpie-check" \
		>"$R/host-check.tap" 2>&1 || rc=$?
	step host "magpie-check tests exit 0" test "$rc" -eq 0
	report_args+=(--tap "host: magpie-check=$R/host-check.tap")
fi
report_args+=(--tap "host=$R/host.tap" --tap "host: report parser=$R/host-report.tap")

declare -A kdir image
versions=()
for k in $kernels; do
	if step kernels "kernel $k prepared" bash -c "tools/vm/kernel.sh $k >'$R/kernel-$k.env'"; then
		# shellcheck disable=SC1090
		. "$R/kernel-$k.env"
		kdir[$k]=$KDIR
		image[$k]=$IMAGE
		versions+=("$k: $KVERSION")
	fi
done
report_args+=(--tap "kernels=$R/kernels.tap")

step build "checkpatch --strict clean" tools/vm/lint.sh
step build "kselftest binaries build (static)" make -s selftests
for k in $kernels; do
	[ -n "${kdir[$k]:-}" ] || continue
	step build "magpie.ko builds W=1 warning-free on $k" tools/vm/build-module.sh "$k" "${kdir[$k]}"
	step build "sparse (C=2) clean on $k" tools/vm/build-module.sh "$k-sparse" "${kdir[$k]}" C=2
done
report_args+=(--tap "build=$R/build.tap")

for k in $guests; do
	if [ -z "${image[$k]:-}" ] || [ ! -f "$MAGPIE_BUILD/$k/module/magpie.ko" ]; then
		echo "not ok 1 guest $k: kernel or module missing" >"$R/guest-$k.tap"
		report_args+=(--tap "guest $k=$R/guest-$k.tap")
		continue
	fi
	tools/vm/guest.sh "$k" "${image[$k]}" check
	# A kernel that dies before /init runs never met magpie (seen once:
	# the debug kernel hit a KASAN report in an interrupt during early
	# boot under TCG). Boot once more, keep the first console, and say
	# so in the report; a guest that reached /init is never retried.
	out=$MAGPIE_BUILD/$k/check
	if ! grep -q '^MAGPIE-GUEST-BEGIN' "$out/results.log" 2>/dev/null; then
		cp "$out/console.log" "$R/logs/$k-boot-failure-console.log"
		mp_log "$k: the kernel died before /init; booting once more"
		tools/vm/guest.sh "$k" "${image[$k]}" check
		retried+=("$k (first console: build/results/logs/$k-boot-failure-console.log)")
	fi
	report_args+=(--guest "$k=$MAGPIE_BUILD/$k/check")
done

{
	echo
	echo "magpie check report ($(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - started)) s)"
	for v in "${versions[@]}"; do echo "  kernel $v"; done
	for r in "${retried[@]}"; do echo "  rebooted after a death before /init: $r"; done
	echo
	python3 tools/vm/report.py "${report_args[@]}"
} | tee "$R/report.txt"
exit "${PIPESTATUS[0]}"
