#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of tools/magpie-stat on made-up /proc/magpie files: tables,
sorting, JSON, and a plain-words error for every way of failing (no
module, a missing file, no permission, an unknown format, bad options).
Usage: test_magpie_stat.py PATH-TO-magpie-stat. Prints TAP."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])

CACHES = """magpie caches - version: 1.0 init_on_alloc: 1 init_on_free: 0
# name                 objsize  size align active_objs  total_objs  spans  pages magsize depot_full depot_empty  hit%  locks/1k
magpie-8                     8     8     8          10         512      1      1      32          0           0  99.1         3
magpie-64                   64    64    64         900        1024     16     16      32          1           2  97.5        12
t-big                     4096  4096  4096           2           8      1      8       8          0           0   0.0       500
"""
CLASSES = """magpie classes - version: 1.0
# class  size caches  spans  pages    objects  out_of_spans    bytes_out tail_waste_bytes
      1     8      1      1      1        512            10           80                0
      2    16      1      0      0          0             0            0                0
"""
POOL = """magpie pool - version: 1.2
# cpu online       runs    runnext      local     global     stolen   steals  stolen_in stolen_out overflows    spins    parks idle_wakeups help_sleeps forks_inline max_run_us queued
    0      1        100         10         80         10          0        0          0          0         0        5        3            1           6            0         42      0
    1      1        200         20        150         10         20        2         20          0         0        7        4            2           9           11         17      0
pool ms 4 idle 2 spinning 0 spares 0 spares_running 0 handoffs 0 global_queued 0 in_flight 0 runs 300 sysmon_ticks 12
"""
ARENAS = """magpie arenas - version: 1.0 open_limit_kb: 1048576
#   id     pid comm             size_kb   map_kb   backed released   faults releases maps pressure   pr_rel hdr    spans    objects in_use_kb classes
     1     231 demo                4096     4116        6        0        5        0    1        0        0 ok           4        100        12 1:3/90,5:1/10
     2     232 other              65536    65796      300       10      309        1    2        1        0 bad          0          0         0 -
"""

n = 0
failed = 0


def tap(ok, name, detail=""):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + " %d %s" % (n, name))
    if not ok:
        failed += 1
        for line in detail.splitlines()[:30]:
            print("# " + line)


def run(*args, user=None):
    cmd = [BIN] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def make_proc(files):
    d = tempfile.mkdtemp(prefix="magpie-stat-")
    os.chmod(d, 0o755)
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


ALL = {"caches": CACHES, "classes": CLASSES, "pool": POOL, "arenas": ARENAS}
proc = make_proc(ALL)
try:
    rc, out, err = run("--proc", proc, "--once")
    tap(rc == 0 and all("== %s (format 1." % v in out for v in ALL),
        "--once shows all four tables", out + err)
    tap("init_on_alloc: 1" in out and "open_limit_kb: 1048576" in out,
        "the version lines' remainder is shown", out)

    rc, out, err = run("--proc", proc, "--once", "--sort", "active_objs", "caches")
    names = [l.split()[0] for l in out.splitlines()[2:]]
    tap(rc == 0 and names == ["magpie-64", "magpie-8", "t-big"],
        "--sort active_objs: largest first", out + err)
    rc, out, err = run("--proc", proc, "--once", "--sort", "hit%", "--ascending", "caches")
    names = [l.split()[0] for l in out.splitlines()[2:]]
    tap(rc == 0 and names == ["t-big", "magpie-64", "magpie-8"],
        "--sort hit% --ascending: decimals compare as numbers", out + err)
    rc, out, err = run("--proc", proc, "--once", "--sort", "comm", "arenas")
    rows = [l.split()[2] for l in out.splitlines()[2:]]
    tap(rc == 0 and rows == ["other", "demo"], "--sort on a text column", out + err)
    rc, out, err = run("--proc", proc, "--once", "--rows", "1", "caches")
    tap(rc == 0 and "... 2 more rows" in out, "--rows cuts a table", out + err)

    rc, out, err = run("--proc", proc, "--json")
    try:
        doc = json.loads(out)
    except ValueError as e:
        doc = None
        err += "\n" + str(e)
    tap(doc is not None and sorted(doc) == sorted(ALL), "--json is one valid JSON object", out + err)
    if doc:
        c = doc["caches"]["rows"][1]
        tap(c["name"] == "magpie-64" and c["active_objs"] == 900 and c["hit%"] == 97.5,
            "--json: numbers are numbers, names are strings", json.dumps(c))
        a = doc["arenas"]["rows"]
        tap(a[0]["classes"] == "1:3/90,5:1/10" and a[1]["hdr"] == "bad",
            "--json: arena class lists and flags stay strings", json.dumps(a))
        p = doc["pool"]
        tap(p.get("pool", {}).get("ms") == 4 and p["pool"]["sysmon_ticks"] == 12
            and len(p["rows"]) == 2, "--json: the pool's summary line becomes an object",
            json.dumps(p))

    rc, out, err = run("--proc", proc, "--once", "--sort", "activ_objs", "caches")
    tap(rc == 2 and "--sort takes a column" in err, "--sort with no such column: exit 2, says why",
        out + err)

    rc, out, err = run("--proc", proc, "--count", "2", "--delay", "0.1", "pool")
    tap(rc == 0 and out.count("== pool") == 2, "--count 2 refreshes twice", out + err)
finally:
    shutil.rmtree(proc)

# Errors, each in plain words and with a non-zero exit.
rc, out, err = run("--proc", "/nonexistent/magpie", "--once")
tap(rc == 1 and "module is not loaded" in err, "no /proc/magpie: says the module is not loaded",
    err)

proc = make_proc({"caches": CACHES})
try:
    rc, out, err = run("--proc", proc, "--once", "arenas")
    tap(rc == 1 and "older and has no 'arenas'" in err, "a missing file is named", err)
    os.chmod(os.path.join(proc, "caches"), 0o400)
    if os.geteuid() != 0:
        tap(True, "no permission # SKIP needs root to run as another user")
    elif shutil.which("setpriv"):
        rc, out, err = run("--proc", proc, "--once", "caches", user=65534)
        tap(rc == 1 and "root only" in err, "no permission: says the files are root only", err)
    else:
        tap(True, "no permission # SKIP setpriv not installed")
finally:
    shutil.rmtree(proc)

for name, text, want in [
        ("format 2.0", CACHES.replace("version: 1.0", "version: 2.0"), "this tool reads 1.x"),
        ("no version line", CACHES.split("\n", 1)[1], "no version line"),
        ("no column header", "magpie caches - version: 1.0\nmagpie-8 8 8\n", "before its column header"),
        ("a short row", CACHES + "bad-row 1 2\n", "a row has 3 fields, the header 13")]:
    proc = make_proc({"caches": text})
    try:
        rc, out, err = run("--proc", proc, "--once", "caches")
        tap(rc == 1 and want in err, "refuses a file with " + name, err)
    finally:
        shutil.rmtree(proc)

for args, want in [(["--delay", "0"], "--delay takes"), (["--delay", "nan"], "--delay takes"),
                   (["--count", "-1"], "--count takes"),
                   (["--rows", "x"], "--rows takes"), (["slabs"], "a view takes"),
                   (["--bogus"], "usage:")]:
    rc, out, err = run(*args)
    tap(rc == 2 and want in err, "bad usage %s: exit 2, says why" % " ".join(args), err)
rc, out, err = run("--help")
tap(rc == 0 and "usage: magpie-stat" in out, "--help", out + err)

print("1..%d" % n)
sys.exit(1 if failed else 0)
