#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Style and static checks: checkpatch.pl --strict over every C file magpie
# owns (checkpatch comes from the cached linux-source tree, since Debian's
# headers package does not ship it) and sparse (C=2) over the module built
# against KDIR. Prints TAP, one line per check; exits non-zero on failure.
# Usage: lint.sh KDIR [KNAME]   (default: the stock kernel's headers)
set -uo pipefail
. "$(dirname "$0")/common.sh"

# Deliberate exceptions, each with its reason:
#  compat.h    is the one place that compares kernel versions.
#  platform.h  defines the engine's export macro in terms of EXPORT_SYMBOL_IF_KUNIT,
#              and for userspace the kernel's attribute macros (noinline), as
#              include/linux/compiler_attributes.h does.
#  magpie_sizeclasses.h  is a generated X-macro table, a list by design.
declare -A IGNORE=(
	[uapi/linux/magpie_sizeclasses.h]=COMPLEX_MACRO,MACRO_ARG_REUSE
	[mod/compat.h]=LINUX_VERSION_CODE,CONSTANT_COMPARISON
	[mod/engine/platform.h]=EXPORT_SYMBOL,PREFER_DEFINED_ATTRIBUTE_MACRO
)

kdir=${1:-}
kname=${2:-lint}
n=0
rc=0
tap() { # tap OK|FAIL NAME [detail file]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		[ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -n 60
		rc=1
	fi
}

src=$(ls -d "$MAGPIE_CACHE"/src/linux-source-*_*/ 2>/dev/null | sort -V | tail -n1)
checkpatch=${CHECKPATCH:-${src:+${src}scripts/checkpatch.pl}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$MAGPIE_TOP" || exit 1
if [ -z "$checkpatch" ] || [ ! -x "$checkpatch" ]; then
	echo "# checkpatch.pl not found: run tools/vm/kernel.sh debug first, or set CHECKPATCH="
	tap FAIL "checkpatch --strict"
else
	files=$(git ls-files -co --exclude-standard 'mod/*.[ch]' 'uapi/*.h' 'tools/*.[ch]' \
		'userlib/*.[ch]' 'selftests/magpie/*.[ch]')
	bad=0
	for f in $files; do
		ign=${IGNORE[$f]:-}
		# Userspace code speaks the C library's types (uint64_t...).
		case $f in
		userlib/* | tools/testing/* | tools/*.c)
			ign=${ign:+$ign,}PREFER_KERNEL_TYPES ;;
		esac
		if ! "$checkpatch" --no-tree --strict --quiet --show-types \
			${ign:+--ignore "$ign"} -f "$f" >"$tmp/cp" 2>&1; then
			cat "$tmp/cp" >>"$tmp/all"
			bad=1
		fi
	done
	if [ $bad -eq 0 ]; then tap OK "checkpatch --strict ($(echo "$files" | wc -w) files)"; else tap FAIL "checkpatch --strict" "$tmp/all"; fi
fi

if [ -n "$kdir" ]; then
	if ! command -v sparse >/dev/null; then
		echo "# sparse not installed"
		tap FAIL "sparse C=2 ($kname)"
	else
		if "$MAGPIE_TOP/tools/vm/build-module.sh" "$kname-sparse" "$kdir" C=2 >"$tmp/sp" 2>&1; then
			tap OK "sparse C=2 ($kname)"
		else
			tap FAIL "sparse C=2 ($kname)" "$tmp/sp"
		fi
	fi
fi
echo "1..$n"
exit $rc
