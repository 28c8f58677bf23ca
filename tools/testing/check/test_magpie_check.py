#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host tests of tools/magpie-check: every bad option is refused with a
message and exit status 2, and without /dev/magpie it says the module is
not loaded. (The ioctl itself is tested in the guests: checks_test and
the guest.magpie_check steps.) Usage: test_magpie_check.py PATH. Prints TAP."""
import os
import subprocess
import sys

BIN = os.path.abspath(sys.argv[1])
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok"), n, what)
    if not cond:
        failed += 1


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


print("TAP version 13")
for args, msg in [
    (["--bench", "disks"], "--bench takes caches, pool or all, not 'disks'"),
    (["--scale", "0"], "--scale takes 1..100, not '0'"),
    (["--scale", "101"], "--scale takes 1..100, not '101'"),
    (["--scale", "3x"], "--scale takes 1..100, not '3x'"),
    (["--scale", ""], "--scale takes 1..100, not ''"),
    (["extra"], "unexpected argument 'extra'"),
    (["--frobnicate"], "usage: magpie-check"),
]:
    rc, out, err = run(*args)
    ok(rc == 2 and msg in err and not out, "magpie-check %s: exit 2, says %r" % (" ".join(args), msg))

rc, out, err = run("--help")
ok(rc == 0 and out.startswith("usage: magpie-check") and "--bench" in out, "--help prints the usage, exit 0")

if os.path.exists("/dev/magpie"):
    print("ok %d no /dev/magpie: plain words # SKIP /dev/magpie exists" % (n + 1))
    n += 1
else:
    rc, out, err = run("--self")
    ok(rc == 2 and "magpie is not loaded (no /dev/magpie): insmod magpie.ko first" in err,
       "no /dev/magpie: says the module is not loaded, exit 2")
print("1..%d" % n)
sys.exit(1 if failed else 0)
