#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares one of the kernels magpie is tested on and prints, as shell
# assignments, where its build tree (KDIR) and boot image (IMAGE) are:
#
#   stock  Debian bookworm's linux-image-amd64 + linux-headers-amd64 (6.1),
#          installed with apt exactly as a user has them;
#   debug  the newest linux-source-7.x of $MAGPIE_BPO_SUITE, allnoconfig +
#          configs/base.config + configs/debug.config (KUnit, KASAN, lockdep...);
#   perf   the same source with configs/perf.config (no debug options).
#
# Built kernels are cached in $MAGPIE_CACHE/kernels keyed by source version,
# fragment contents and compiler, so a second run costs nothing.
# Usage: kernel.sh NAME        (prints KNAME= KVERSION= KDIR= IMAGE=)
set -euo pipefail
. "$(dirname "$0")/common.sh"

name=${1:?usage: kernel.sh stock|debug|perf}

prepare_stock() {
	local pkgs=() krel dep
	dpkg-query -W -f='${Status}' linux-image-amd64 2>/dev/null | grep -q 'ok installed' ||
		pkgs+=(linux-image-amd64)
	dpkg-query -W -f='${Status}' linux-headers-amd64 2>/dev/null | grep -q 'ok installed' ||
		pkgs+=(linux-headers-amd64)
	if [ ${#pkgs[@]} -gt 0 ]; then
		mp_log "installing ${pkgs[*]}"
		mp_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2
	fi
	# The meta-package depends on exactly one versioned image package.
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64)
	krel=$(printf '%s' "$dep" | sed -n 's/.*linux-image-\([^ ,]*\)-unsigned.*/\1/p')
	[ -n "$krel" ] || krel=$(printf '%s' "$dep" | sed -n 's/.*linux-image-\([^ ,(]*\).*/\1/p')
	[ -n "$krel" ] || mp_die "cannot tell the stock kernel release from '$dep'"
	local ver
	ver=$(dpkg-query -W -f='${Version}' "linux-image-$krel")
	[ -d "/usr/src/linux-headers-$krel" ] || mp_die "headers for $krel missing"
	# /boot/vmlinuz-* is 0600 on some systems: keep a readable copy.
	local img=$MAGPIE_CACHE/kernels/stock-$krel/vmlinuz
	if [ ! -s "$img" ]; then
		mkdir -p "$(dirname "$img")"
		mp_root cat "/boot/vmlinuz-$krel" >"$img.tmp"
		mv "$img.tmp" "$img"
	fi
	echo "KNAME=stock"
	echo "KVERSION='linux-image-$krel $ver'"
	echo "KDIR=/usr/src/linux-headers-$krel"
	echo "IMAGE=$img"
}

# Prints the newest linux-source-7.x package name and version the suite
# offers, or nothing when the suite cannot be reached.
newest_source_pkg() {
	local opts pkg
	# shellcheck disable=SC2046
	opts=$(mp_apt_private_opts)
	# shellcheck disable=SC2086
	if ! timeout 120 apt-get $opts update -q >"$MAGPIE_CACHE/apt/update.log" 2>&1; then
		mp_log "cannot reach $MAGPIE_BPO_SUITE (see $MAGPIE_CACHE/apt/update.log)"
		return 0
	fi
	# shellcheck disable=SC2086
	pkg=$(apt-cache $opts search --names-only '^linux-source-7\.[0-9]+$' |
		awk '{print $1}' | sort -V | tail -n1)
	[ -n "$pkg" ] || return 0
	# shellcheck disable=SC2086
	echo "$pkg $(apt-cache $opts show "$pkg" | sed -n 's/^Version: //p' | sort -V | tail -n1)"
}

# Unpacks linux-source-7.x into the cache; prints the source directory.
fetch_source() {
	local pkg ver src deb opts tarball
	read -r pkg ver < <(newest_source_pkg; echo) || true
	if [ -z "${pkg:-}" ]; then
		src=$(ls -d "$MAGPIE_CACHE"/src/linux-source-7.*_*/ 2>/dev/null | sort -V | tail -n1)
		[ -n "$src" ] || mp_die "no linux-source-7.x: $MAGPIE_BPO_SUITE unreachable and nothing cached"
		mp_log "offline: using cached ${src%/}"
		echo "${src%/}"
		return
	fi
	src=$MAGPIE_CACHE/src/${pkg}_$ver
	if [ ! -f "$src/.magpie-unpacked" ]; then
		opts=$(mp_apt_private_opts)
		mkdir -p "$MAGPIE_CACHE/src/dl"
		mp_log "downloading $pkg $ver"
		# shellcheck disable=SC2086
		(cd "$MAGPIE_CACHE/src/dl" && apt-get $opts download -q "$pkg=$ver" >&2)
		deb=$(ls "$MAGPIE_CACHE/src/dl/${pkg}_"*.deb | sort -V | tail -n1)
		rm -rf "$src" "$src.x"
		mkdir -p "$src.x"
		dpkg-deb -x "$deb" "$src.x"
		tarball=$(ls "$src.x"/usr/src/linux-source-7.*.tar.xz)
		mp_log "unpacking $(basename "$tarball")"
		mkdir -p "$src"
		tar -C "$src" --strip-components=1 -xJf "$tarball"
		rm -rf "$src.x" "$deb"
		touch "$src/.magpie-unpacked"
	fi
	echo "$src"
}

prepare_built() {
	local role=$1 src key out cfg frag opt
	src=$(fetch_source)
	local base=$MAGPIE_TOP/tools/vm/configs/base.config
	frag=$MAGPIE_TOP/tools/vm/configs/$role.config
	key=$( (cat "$base" "$frag"; gcc --version | head -n1) | sha256sum | cut -c1-12)
	out=$MAGPIE_CACHE/kernels/$role-$(basename "$src")-$key
	# Drop unfinished builds of this role left by changed fragments.
	local d
	for d in "$MAGPIE_CACHE/kernels/$role-"*; do
		[ -d "$d" ] && [ "$d" != "$out" ] && [ ! -f "$d/.magpie-done" ] && rm -rf "$d"
	done
	mkdir -p "$out"
	exec 9>"$out/.lock"
	flock 9
	if [ ! -f "$out/.magpie-done" ]; then
		mp_log "building $role kernel from $(basename "$src") in $out (a few minutes)"
		local mk=(make -C "$src" O="$out" ARCH=x86_64 -j"$MAGPIE_JOBS")
		# allnoconfig with the fragments as KCONFIG_ALLCONFIG: what the
		# fragments do not ask for stays off, even options that enabling
		# PCI or NET would otherwise drag in with default y. (tinyconfig
		# would add CC_OPTIMIZE_FOR_SIZE and SLUB_TINY: wrong for a
		# kernel that is benchmarked against SLUB.)
		cat "$base" "$frag" >"$out/fragment.config"
		"${mk[@]}" KCONFIG_ALLCONFIG="$out/fragment.config" allnoconfig \
			>"$out/build.log" 2>&1 || mp_die "configuring $role failed: $out/build.log"
		# Every option the fragments ask for must have survived olddefconfig.
		cfg=$out/.config
		while read -r opt; do
			case "$opt" in
			CONFIG_*=*) grep -qx "$opt" "$cfg" || mp_die "$role: $opt did not stick (dependency missing?)" ;;
			"# CONFIG_"*" is not set")
				opt=${opt#\# }; opt=${opt%% *}
				if grep -q "^$opt=" "$cfg"; then mp_die "$role: $opt should be unset"; fi ;;
			esac
		done < <(cat "$base" "$frag")
		"${mk[@]}" bzImage modules >>"$out/build.log" 2>&1 ||
			mp_die "building $role failed: tail of $out/build.log:
$(tail -n 30 "$out/build.log")"
		touch "$out/.magpie-done"
	fi
	echo "KNAME=$role"
	echo "KVERSION='$(basename "$src" | tr _ ' ') $(make -s -C "$src" O="$out" kernelrelease 2>/dev/null)'"
	echo "KDIR=$out"
	echo "IMAGE=$out/arch/x86/boot/bzImage"
}

case "$name" in
stock) prepare_stock ;;
debug | perf) prepare_built "$name" ;;
*) mp_die "unknown kernel '$name' (stock, debug, perf)" ;;
esac
