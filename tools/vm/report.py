#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns everything `make check` produced into one report.

Inputs are TAP files (host tests, build checks) and guest result
directories written by guest.sh (results.log framed by MAGPIE-SUITE
markers, console.log with the kernel's messages, qemu.rc). Each KUnit and
kselftest case counts as one test. A guest also yields two tests of its
own: that it ran to the end, and that its kernel printed no splat (WARN,
BUG, oops, KASAN/UBSAN/lockdep/kmemleak reports): a splat fails the run
even when every test said ok.

The last line printed is always exactly `N passed, N failed`; skips, if
any, are counted on the line before it. Exit status is 0 only when
nothing failed.

usage: report.py [--tap LABEL=FILE]... [--guest LABEL=DIR]...
"""
import argparse
import os
import re
import sys

RESULT = re.compile(r'^(?P<indent>\s*)(?P<ok>not ok|ok)\b\s*(?P<num>\d+)?\s*-?\s*'
                    r'(?P<name>[^#]*?)\s*(?:#\s*(?P<directive>\S+)(?P<reason>.*))?$')
PLAN = re.compile(r'^\s*1\.\.(\d+)')

# What a kernel prints when something went wrong, whatever the tests said.
SPLAT = re.compile('|'.join([
    r'WARNING: CPU: \d+ PID: ',              # up to 6.x
    r'WARNING: \S+ at .*, CPU#\d+: ',         # 7.x: file:line first
    r'------------\[ cut here \]------------',
    r'\bBUG: ',
    r'kernel BUG at ',
    r'Kernel panic - ',
    r'\bOops\b',
    r'general protection fault',
    r'UBSAN: ',
    r'WARNING: possible ',
    r'WARNING: suspicious RCU usage',
    r'WARNING: bad unlock balance',
    r'WARNING: inconsistent lock state',
    r'INFO: task .* blocked for more than',
    r'unreferenced object 0x',
    r'list_(add|del) corruption',
    r'watchdog: BUG: soft lockup',
    r'rcu: INFO: rcu_.* detected stalls',
]))


class Result:
    """One counted test."""

    def __init__(self, group, name, status, detail=None):
        self.group = group
        self.name = name
        self.status = status          # 'pass', 'fail' or 'skip'
        self.detail = detail or []


def parse_tap(lines, group, ktap=False):
    """Results of one TAP/KTAP stream.

    Plain TAP counts the top-level result lines. KUnit's KTAP nests cases
    under their suite's line: the cases are the result lines one level
    below the shallowest, and parameterised sub-cases deeper still are
    folded into their case. Diagnostics ('#' lines) before a failed result
    (kselftest's habit) and after it (TAP's convention) are kept as its detail.
    """
    parsed = []
    pending = []
    plan = None
    bail = None
    for raw in lines:
        line = raw.rstrip('\n')
        m = RESULT.match(line)
        if m:
            parsed.append((len(m.group('indent').expandtabs()), m, pending))
            pending = []
            continue
        if parsed and line.lstrip().startswith('#'):
            parsed[-1][2].append(line)
        if plan is None:
            p = PLAN.match(line)
            if p and not line.startswith(' '):
                plan = int(p.group(1))
        if line.lstrip().startswith('Bail out!'):
            bail = line.strip()
        if line.strip():
            pending.append(line)
            pending = pending[-30:]
    if not parsed:
        out = []
        if bail:
            out.append(Result(group, 'bail out', 'fail', [bail]))
        elif plan:
            out.append(Result(group, 'no results', 'fail', ['planned %d tests, none reported' % plan]))
        return out
    levels = sorted({indent for indent, _, _ in parsed})
    if ktap and len(levels) > 1:
        level = levels[1]
    else:
        level = levels[0]
    results = []
    for indent, m, diag in parsed:
        if indent != level:
            continue
        directive = (m.group('directive') or '').upper()
        name = m.group('name') or ('test %s' % m.group('num'))
        if directive == 'SKIP':
            status = 'skip'
        elif m.group('ok') == 'ok' or directive == 'TODO':
            status = 'pass'
        else:
            status = 'fail'
        results.append(Result(group, name, status, diag if status == 'fail' else None))
    if not ktap and plan is not None and plan != len(results):
        results.append(Result(group, 'plan', 'fail',
                              ['planned %d tests, %d reported' % (plan, len(results))]))
    if bail:
        results.append(Result(group, 'bail out', 'fail', [bail]))
    return results


def parse_sections(lines):
    """Splits results.log into framed sections: (name, kind, lines, rc)."""
    sections = []
    current = None
    for raw in lines:
        line = raw.rstrip('\n')
        if line.startswith('MAGPIE-SUITE-BEGIN '):
            parts = line.split()
            current = [parts[1], parts[2] if len(parts) > 2 else 'tap', [], None]
            sections.append(current)
        elif line.startswith('MAGPIE-SUITE-END ') and current is not None:
            m = re.search(r'rc=(-?\d+)', line)
            current[3] = int(m.group(1)) if m else -1
            current = None
        elif current is not None:
            current[2].append(line)
    return sections


def find_splats(console_lines, context=25):
    """First splat in the console log with the lines that follow it."""
    for i, line in enumerate(console_lines):
        if SPLAT.search(line):
            return [line.rstrip('\n') for line in console_lines[max(0, i - 2):i + context]]
    return []


def read_lines(path):
    try:
        with open(path, errors='replace') as f:
            return f.readlines()
    except OSError:
        return []


def guest_results(label, directory):
    """Every test of one guest run, including its own two checks."""
    results = []
    log = read_lines(os.path.join(directory, 'results.log'))
    console = read_lines(os.path.join(directory, 'console.log'))
    group = 'guest ' + label
    for name, kind, body, rc in parse_sections(log):
        sub = '%s: %s' % (group, name)
        if kind == 'text':
            results.append(Result(sub, 'ran', 'pass' if rc == 0 else 'fail', body[-20:]))
            continue
        got = parse_tap(body, sub, ktap=(kind == 'ktap'))
        results.extend(got)
        if rc is None:
            results.append(Result(sub, 'finished', 'fail', ['section never ended (guest died?)']))
        elif rc != 0 and not any(r.status == 'fail' for r in got):
            results.append(Result(sub, 'exit status', 'fail', ['exited with %d' % rc]))
    rc_text = ''.join(read_lines(os.path.join(directory, 'qemu.rc'))).strip()
    ended = any(line.startswith('MAGPIE-GUEST-END') for line in log)
    detail = []
    if not ended:
        detail.append('the guest never reached its end marker; qemu rc=%s' % (rc_text or '?'))
        detail.extend(line.rstrip('\n') for line in console[-30:])
    elif rc_text not in ('', '0'):
        detail.append('qemu exited with %s' % rc_text)
    results.append(Result(group, 'ran to the end', 'fail' if detail else 'pass', detail))
    splat = find_splats(console)
    results.append(Result(group, 'no kernel splat', 'fail' if splat else 'pass', splat))
    return results


def summarize(results, out):
    groups = []
    for r in results:
        if r.group not in groups:
            groups.append(r.group)
    width = max([len(g) for g in groups] + [20])
    for g in groups:
        rs = [r for r in results if r.group == g]
        counts = {s: sum(1 for r in rs if r.status == s) for s in ('pass', 'fail', 'skip')}
        line = '%-*s %4d passed, %d failed' % (width, g, counts['pass'], counts['fail'])
        if counts['skip']:
            line += ', %d skipped' % counts['skip']
        out.write(line + '\n')
    failed = [r for r in results if r.status == 'fail']
    if failed:
        out.write('\nFAILURES\n')
        for r in failed:
            out.write('--- %s: %s\n' % (r.group, r.name))
            for d in r.detail[-40:]:
                out.write('    %s\n' % d)
    npass = sum(1 for r in results if r.status == 'pass')
    nskip = sum(1 for r in results if r.status == 'skip')
    out.write('\n')
    if nskip:
        out.write('%d skipped (neither passed nor failed)\n' % nskip)
    out.write('%d passed, %d failed\n' % (npass, len(failed)))
    return len(failed)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tap', action='append', default=[], metavar='LABEL=FILE')
    ap.add_argument('--ktap', action='append', default=[], metavar='LABEL=FILE')
    ap.add_argument('--guest', action='append', default=[], metavar='LABEL=DIR')
    args = ap.parse_args(argv)
    results = []
    for spec, ktap in [(s, False) for s in args.tap] + [(s, True) for s in args.ktap]:
        label, _, path = spec.partition('=')
        lines = read_lines(path)
        got = parse_tap(lines, label, ktap=ktap)
        if not got:
            got = [Result(label, 'produced results', 'fail', ['no TAP results in %s' % path])]
        results.extend(got)
    for spec in args.guest:
        label, _, path = spec.partition('=')
        results.extend(guest_results(label, path))
    return 1 if summarize(results, sys.stdout) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
