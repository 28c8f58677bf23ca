# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the VM harness: paths, the cache, logging, privileged
# commands and the private apt configuration for Debian's backports suite.
# Sourced by the other tools/vm scripts; defines nothing when run alone.

MAGPIE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Kernels, sources and the private apt state live outside the repository so
# that a fresh clone reuses them and `git clean` never throws them away.
MAGPIE_CACHE=${MAGPIE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/magpie}
MAGPIE_BUILD=${MAGPIE_BUILD:-$MAGPIE_TOP/build}
MAGPIE_JOBS=${MAGPIE_JOBS:-$(nproc)}
# The suite that carries linux-source-7.x; override to follow a newer one.
MAGPIE_BPO_SUITE=${MAGPIE_BPO_SUITE:-trixie-backports}
MAGPIE_BPO_MIRROR=${MAGPIE_BPO_MIRROR:-http://deb.debian.org/debian}
# The benchmark suites `make bench` runs (bench.sh); a subset may be named.
MAGPIE_BENCH_SUITES=${MAGPIE_BENCH_SUITES:-caches pool arena}

mp_log() { printf '[magpie] %s\n' "$*" >&2; }
mp_die() { printf '[magpie] error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
mp_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		mp_die "need root for: $* (install sudo or run as root)"
	fi
}

# apt-get options that point every piece of state at our private directory,
# so the extra suite never enters the system's sources or package lists.
mp_apt_private_opts() {
	local d=$MAGPIE_CACHE/apt
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/etc/preferences.d"
	if [ ! -f "$d/etc/sources.list" ] || ! grep -q " $MAGPIE_BPO_SUITE " "$d/etc/sources.list"; then
		printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
			"$MAGPIE_BPO_MIRROR" "$MAGPIE_BPO_SUITE" >"$d/etc/sources.list"
	fi
	echo "-o Dir::Etc::SourceList=$d/etc/sources.list" \
	     "-o Dir::Etc::SourceParts=/dev/null" \
	     "-o Dir::Etc::PreferencesParts=$d/etc/preferences.d" \
	     "-o Dir::State::Lists=$d/lists" \
	     "-o Dir::Cache=$d/cache"
	# As root apt would drop to _apt, which cannot write into $HOME.
	[ "$(id -u)" -eq 0 ] && echo "-o APT::Sandbox::User=root"
	return 0
}

# Short stable hash of files, used to key cached kernels by their config.
mp_hash_files() { cat "$@" | sha256sum | cut -c1-12; }
