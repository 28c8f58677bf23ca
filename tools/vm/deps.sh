#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs, with apt-get (through sudo when not root), whatever the build,
# the VM harness and the tests need and the machine lacks. Changes nothing
# when all is there. Debian and derivatives only; elsewhere it names the
# missing programs and stops.
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs=(build-essential bc bison flex libelf-dev libssl-dev kmod cpio gzip xz-utils
      rsync file perl python3 sparse qemu-system-x86 busybox-static
      linux-image-amd64 linux-headers-amd64 "$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null || mp_die "not a Debian system; install the equivalents of: ${missing[*]}"
mp_log "installing: ${missing[*]}"
mp_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
mp_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"${missing[@]}" >&2
