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

# The host's root, read-only over virtio-9p, with this guest's proc, dev
# and a tmpfs over its /proc, /dev and /tmp: real programs chrooted in it
# see the host's files and this kernel's /dev/magpie. A build tree under
# the host's /tmp (a CI clone, say) would vanish under the tmpfs: it is
# bound back in, through a bind of the host's /tmp made before.
mount_host_tmp() {
	case "$MAGPIE_HOST_BUILD" in
	/tmp/*)
		mkdir -p /hosttmp &&
		mount -o bind /host/tmp /hosttmp &&
		mount -t tmpfs tmp /host/tmp &&
		mkdir -p "/host$MAGPIE_HOST_BUILD" &&
		mount -o bind "/hosttmp${MAGPIE_HOST_BUILD#/tmp}" "/host$MAGPIE_HOST_BUILD"
		;;
	*) mount -t tmpfs tmp /host/tmp ;;
	esac
}

umount_host_tmp() {
	case "$MAGPIE_HOST_BUILD" in
	/tmp/*) umount "/host$MAGPIE_HOST_BUILD" && umount /host/tmp && umount /hosttmp ;;
	*) umount /host/tmp ;;
	esac
}

mount_host() {
	if [ -f /magpie/kmods/order ]; then
		while read -r m; do
			insmod "/magpie/kmods/$m" || return 1
		done </magpie/kmods/order
	fi
	mkdir -p /host &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host &&
	mount -t proc proc /host/proc &&
	mount -t sysfs sysfs /host/sys &&
	mount -t devtmpfs dev /host/dev &&
	mount_host_tmp || return 1
	test -x "/host$MAGPIE_HOST_BUILD/host/userlib-preload" || {
		echo "no $MAGPIE_HOST_BUILD/host/userlib-preload in the host's root"
		return 1
	}
}

umount_host() {
	umount_host_tmp && umount /host/dev && umount /host/sys && umount /host/proc && umount /host
}

# python3, cc and a threaded program under libmagpie-malloc.so on the
# device backend (tools/testing/userlib/preload.c).
run_host_programs() {
	out "MAGPIE-SUITE-BEGIN guest.host_root tap"
	step_n=0
	step_rc=0
	step "host root mounted over virtio-9p" mount_host
	host_ok=$step_rc
	out "MAGPIE-SUITE-END guest.host_root rc=0"
	[ "$host_ok" = 0 ] || return
	out "MAGPIE-SUITE-BEGIN guest.preload tap"
	console "preload: python3, cc, threads on /dev/magpie"
	chroot /host /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
		"$MAGPIE_HOST_BUILD/host/userlib-preload" device >&3 2>&1
	out "MAGPIE-SUITE-END guest.preload rc=$?"
	out "MAGPIE-SUITE-BEGIN guest.host_root_unmount tap"
	step_n=0
	step "host root unmounted" umount_host
	out "MAGPIE-SUITE-END guest.host_root_unmount rc=0"
}

# magpie-check: the self-checks pass; a benchmark needs its module; a
# second run while one is in progress is refused (the pool benchmark
# takes seconds, the refusal comes at once), and the first still
# delivers its results.
check_self() { magpie-check --self && magpie-check --self --json | grep -q '"failed":0,'; }
check_needs_module() {
	! magpie-check --bench caches 2>/tmp/check.err &&
	grep -q 'benchmark module is not loaded' /tmp/check.err
}
check_busy() {
	magpie-check --bench pool >/tmp/bench.out 2>&1 &
	bench=$!
	sleep 1
	magpie-check --self 2>/tmp/check.err
	rc=$?
	wait $bench || return 1
	cat /tmp/check.err /tmp/bench.out
	[ $rc = 2 ] && grep -q 'another run is in progress' /tmp/check.err &&
	grep -q '^bench noop_[0-9]cpu_tput magpie/unbound_wq [0-9]*\.[0-9]* (magpie' /tmp/bench.out
}
# Loaded with profile=1, that run logged where magpie's side spent its time.
check_profile() {
	bench_log_context | grep 'profile noop_1cpu_tput' | head -n 8
	bench_log_context | grep -q 'profile noop_1cpu_tput all: *[0-9]*\.[0-9]% [a-z_]' &&
	bench_log_context | grep -q 'profile chain_hop pool: [0-9]* runs'
}

# The benchmark modules' context lines in the log (settings, the pool's
# parks and empty wakeups), which magpie-check's records do not carry.
bench_log_context() {
	dmesg | sed -n -e 's/.*magpie_bench: \(init_on.*\)/\1/p' \
		-e 's/.*magpie_bench: \(pool: .*\)/\1/p' \
		-e 's/.*magpie_bench: \(profile .*\)/\1/p'
}

run_magpie_check() {
	out "MAGPIE-SUITE-BEGIN guest.magpie_check tap"
	step_n=0
	step "magpie-check --self: every self-check passes" check_self
	step "magpie-check --bench caches without its module says so" check_needs_module
	step "insmod magpie_pool_bench.ko scale=0 refused" not insmod /magpie/magpie_pool_bench.ko scale=0
	step "insmod magpie_bench.ko scale=101 refused" not insmod /magpie/magpie_bench.ko scale=101
	step "insmod magpie_pool_bench.ko profile=maybe refused" not insmod /magpie/magpie_pool_bench.ko profile=maybe
	step "insmod magpie_pool_bench.ko run_on_load=0 profile=1" \
		insmod /magpie/magpie_pool_bench.ko run_on_load=0 profile=1
	step "a second run while the pool benchmark runs: EBUSY" check_busy
	step "the profiled run logged its top functions" check_profile
	step "rmmod magpie_pool_bench" rmmod magpie_pool_bench
	out "MAGPIE-SUITE-END guest.magpie_check rc=0"
}

not() { ! "$@"; }
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
	run_magpie_check
	run_host_programs
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
		# The suites run through MAGPIE_IOC_RUN_CHECKS: magpie-check
		# prints their records; the log adds the pool's context lines.
		scale=$(echo "$MAGPIE_BENCH_ARGS" | sed -n 's/.*scale=\([0-9]*\).*/\1/p')
		profile=$(echo "$MAGPIE_BENCH_ARGS" | sed -n 's/.*\(profile=[01YN]\).*/\1/p')
		# MAGPIE_BENCH_SUITES (make bench) picks among caches, pool
		# and arena.
		case " $MAGPIE_BENCH_SUITES " in *" caches "*) caches=1 ;; *) caches= ;; esac
		case " $MAGPIE_BENCH_SUITES " in *" pool "*) pool=1 ;; *) pool= ;; esac
		case " $MAGPIE_BENCH_SUITES " in *" arena "*) arena=1 ;; *) arena= ;; esac
		which=${caches:+caches}${pool:+${caches:+_}pool}
		[ "$which" = caches_pool ] && which=all
		insmod /magpie/magpie.ko &&
		{ [ -z "$caches" ] || insmod /magpie/magpie_bench.ko run_on_load=0; } &&
		{ [ -z "$pool" ] || insmod /magpie/magpie_pool_bench.ko run_on_load=0 $profile; } &&
		{ [ -z "$which" ] || magpie-check --bench "$which" ${scale:+--scale $scale}; } &&
		bench_log_context &&
		{ [ -z "$caches" ] || rmmod magpie_bench; } &&
		{ [ -z "$pool" ] || rmmod magpie_pool_bench; } &&
		{ [ -z "$arena" ] || { /magpie/arena_bench && /magpie/backend_bench; }; } &&
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
		echo "== magpie-check --self: magpie checks its own spans, classes and pool"
		magpie-check --self
		echo
		echo "== a workload: magpie-check --bench caches, with magpie_bench.ko loaded"
		echo "   (magpie against SLUB in this boot; ratios below 1 favour magpie,"
		echo "   _tput ratios above 1 do)"
		insmod /magpie/magpie_bench.ko run_on_load=0 &&
		magpie-check --bench caches && rmmod magpie_bench
		echo
		echo "== the caches that hold the most memory now: magpie-stat --sort pages caches"
		magpie-stat --once --sort pages --rows 12 caches
		echo
		echo "== the worker pool before its workload: magpie-stat pool"
		echo "   (the self-check above already ran a few of its tasks)"
		magpie-stat --once pool
		echo
		echo "== a workload: magpie-check --bench pool, with magpie_pool_bench.ko"
		echo "   loaded (fork-join fib, no-op tasks, spawn chains and bursts against"
		echo "   the kernel's workqueues; _tput ratios above 1 favour magpie, the"
		echo "   others below 1 do)"
		insmod /magpie/magpie_pool_bench.ko run_on_load=0 &&
		magpie-check --bench pool && rmmod magpie_pool_bench
		bench_log_context
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
