#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of magpie's test guest (busybox). Runs the plan the harness put in
# /magpie/plan and writes results to the second serial port (ttyS1), apart
# from the kernel console (ttyS0) so kernel messages never split a TAP line.
# Every section of results is framed:
#   MAGPIE-SUITE-BEGIN <name> <tap|ktap>  ...  MAGPIE-SUITE-END <name> rc=<n>
# and the run ends with MAGPIE-GUEST-END; a guest that crashes never prints
# it, which the report counts as a failure.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp

. /magpie/plan
exec 3>/dev/ttyS1
out() { echo "$*" >&3; }
console() { echo "magpie-guest: $*" >/dev/console; }

# A TAP stream of the steps this script itself checks.
step_n=0
step_rc=0
step() { # step NAME COMMAND...: one TAP line for one command
	name=$1
	shift
	step_n=$((step_n + 1))
	if "$@" >/tmp/step.out 2>&1; then
		out "ok $step_n $name"
	else
		out "not ok $step_n $name"
		sed 's/^/# /' /tmp/step.out >&3
		step_rc=1
	fi
}

run_kselftests() {
	for t in /magpie/selftests/*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		out "MAGPIE-SUITE-BEGIN kselftest.$n tap"
		console "kselftest $n"
		"$t" >&3 2>&1
		out "MAGPIE-SUITE-END kselftest.$n rc=$?"
	done
}

# Fault injection for magpie_fault: everything fails, but only for tasks
# that set make_it_fail, which the suite does allocation by allocation.
fault_injection() { # fault_injection PROBABILITY
	for d in /sys/kernel/debug/fail_page_alloc /sys/kernel/debug/failslab; do
		[ -d "$d" ] || continue
		echo 0 >"$d/verbose"
		echo Y >"$d/task-filter"
		echo N >"$d/ignore-gfp-wait"
		echo 1 >"$d/interval"
		echo -1 >"$d/times"
		echo "$1" >"$d/probability"
	done
}

run_kunit() {
	# Suites run while the test module loads; their KTAP stays in debugfs.
	fault_injection 100
	out "MAGPIE-SUITE-BEGIN guest.kunit_load tap"
	step_n=0
	step "insmod magpie_test.ko" insmod /magpie/magpie_test.ko
	out "MAGPIE-SUITE-END guest.kunit_load rc=0"
	for d in /sys/kernel/debug/kunit/magpie_*; do
		[ -f "$d/results" ] || continue
		n=$(basename "$d")
		out "MAGPIE-SUITE-BEGIN kunit.$n ktap"
		cat "$d/results" >&3
		out "MAGPIE-SUITE-END kunit.$n rc=0"
	done
	fault_injection 0
	rmmod magpie_test
}

no_proc_dir() { [ ! -e /proc/magpie ]; }
# magpie-stat reads every /proc/magpie file: four tables, valid JSON shape.
stat_tables() { [ "$(magpie-stat --once | grep -c '^== ')" = 4 ]; }
stat_json() { magpie-stat --json | grep -q '^{"caches":{"version":"1.0".*"arenas":{'; }
stat_says_not_loaded() { ! magpie-stat --once 2>/tmp/stat.err && grep -q 'not loaded' /tmp/stat.err; }
refused() { ! "$@" && [ ! -e /proc/magpie ]; }
kmemleak_clean() {
	# kmemleak reports objects only once they are old enough (5 s).
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/tmp/leaks
	cat /tmp/leaks >/dev/console
	[ ! -s /tmp/leaks ]
}

out "MAGPIE-GUEST-BEGIN kernel=$(uname -r) mode=$MAGPIE_MODE"
console "mode $MAGPIE_MODE on $(uname -r), $(nproc) CPUs"
[ -e /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak

case "$MAGPIE_MODE" in
check)
	out "MAGPIE-SUITE-BEGIN guest.module tap"
	step "insmod chunk_order=3 refused" refused insmod /magpie/magpie.ko chunk_order=3
	step "insmod chunk_order=11 refused" refused insmod /magpie/magpie.ko chunk_order=11
	step "insmod reap_interval_ms=5 refused" refused insmod /magpie/magpie.ko reap_interval_ms=5
	step "insmod debug=maybe refused" refused insmod /magpie/magpie.ko debug=maybe
	step "insmod magpie.ko" insmod /magpie/magpie.ko
	step "/proc/magpie/sizeclasses present" test -r /proc/magpie/sizeclasses
	step "magpie-stat shows the four tables" stat_tables
	step "magpie-stat --json" stat_json
	out "MAGPIE-SUITE-END guest.module rc=0"
	run_kselftests
	[ "$MAGPIE_KUNIT" = 1 ] && run_kunit
	out "MAGPIE-SUITE-BEGIN guest.unload tap"
	step_n=0
	step "rmmod magpie" rmmod magpie
	step "/proc/magpie gone after rmmod" no_proc_dir
	step "magpie-stat says the module is not loaded" stat_says_not_loaded
	step "insmod again after rmmod" insmod /magpie/magpie.ko
	step "rmmod again" rmmod magpie
	step "insmod debug=1 (every cache in debug mode)" insmod /magpie/magpie.ko debug=1
	step "debug=1 shows in the parameter" grep -qx Y /sys/module/magpie/parameters/debug
	step "rmmod after debug=1" rmmod magpie
	[ -e /sys/kernel/debug/kmemleak ] && step "kmemleak finds no leak" kmemleak_clean
	out "MAGPIE-SUITE-END guest.unload rc=0"
	;;
bench)
	out "MAGPIE-SUITE-BEGIN bench text"
	{
		insmod /magpie/magpie.ko &&
		insmod /magpie/magpie_bench.ko $MAGPIE_BENCH_ARGS &&
		rmmod magpie_bench &&
		insmod /magpie/magpie_pool_bench.ko $MAGPIE_BENCH_ARGS &&
		rmmod magpie_pool_bench &&
		dmesg | sed -n 's/.*magpie_bench: //p' &&
		/magpie/arena_bench &&
		rmmod magpie
	} >&3 2>&1
	out "MAGPIE-SUITE-END bench rc=$?"
	;;
run)
	out "MAGPIE-SUITE-BEGIN demo text"
	{
		echo "== insmod magpie.ko"
		insmod /magpie/magpie.ko && echo "loaded; /proc/magpie has: $(ls /proc/magpie)"
		echo
		echo "== cat /proc/magpie/sizeclasses"
		cat /proc/magpie/sizeclasses
		echo
		echo "== a workload: insmod magpie_bench.ko (magpie against SLUB in this"
		echo "   boot; ratios below 1 favour magpie, _tput ratios above 1 do)"
		insmod /magpie/magpie_bench.ko && rmmod magpie_bench
		dmesg | sed -n 's/.*magpie_bench: //p'
		echo
		echo "== the caches that hold the most memory now: magpie-stat --sort pages caches"
		magpie-stat --once --sort pages --rows 12 caches
		echo
		echo "== the worker pool before any work: magpie-stat pool"
		magpie-stat --once pool
		echo
		echo "== a workload: insmod magpie_pool_bench.ko (fork-join fib, no-op"
		echo "   tasks, spawn chains and bursts against the kernel's workqueues;"
		echo "   _tput ratios above 1 favour magpie, the others below 1 do)"
		insmod /magpie/magpie_pool_bench.ko && rmmod magpie_pool_bench
		dmesg | sed -n '/magpie_bench: pool:/,$ s/.*magpie_bench: //p'
		echo
		echo "== the worker pool after it: magpie-stat pool"
		magpie-stat --once pool
		echo
		echo "== userspace: /magpie/magpie-demo allocates from a /dev/magpie arena"
		echo "   through libmagpie (linked statically), then frees and releases"
		/magpie/magpie-demo
		echo
		echo "== rmmod magpie"
		rmmod magpie && echo "unloaded cleanly; /proc/magpie $( [ -e /proc/magpie ] && echo still there || echo is gone)"
	} >&3 2>&1
	out "MAGPIE-SUITE-END demo rc=$?"
	;;
esac

out "MAGPIE-GUEST-END"
console "done"
# Leave through a reboot: QEMU runs with -no-reboot, so this ends it.
sync
reboot -f
