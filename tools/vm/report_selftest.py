#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of report.py on made-up guest output: the harness must count
KUnit and kselftest cases right and must fail a run whose kernel printed a
splat, died, or left a suite unfinished, whatever the tests said. Prints
TAP."""
import atexit
import io
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

KTAP = """KTAP version 1
    # Subtest: magpie_sizeclass
    # module: magpie_test
    1..3
    ok 1 case_a
        # Subtest: case_param
        ok 1 param-0
        not ok 2 param-1
    not ok 2 case_param
    ok 3 case_c # SKIP not here
ok 1 magpie_sizeclass
"""

SELFTEST = """TAP version 13
1..2
# Starting 2 tests from 1 test cases.
ok 1 global.first
# sizeclasses_test.c:80:second:Expected 1 (1) == 2 (2)
not ok 2 global.second
# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0
"""

CLEAN_RESULTS = """MAGPIE-GUEST-BEGIN kernel=x mode=check
MAGPIE-SUITE-BEGIN guest.module tap
ok 1 insmod magpie.ko
MAGPIE-SUITE-END guest.module rc=0
MAGPIE-GUEST-END
"""

WARN_CONSOLE = """[    5.1] magpie: loaded
[    5.2] ------------[ cut here ]------------
[    5.2] WARNING: CPU: 1 PID: 73 at mod/main.c:20 magpie_init+0x10/0x20 [magpie]
[    5.2] Call Trace:
"""

checks = []


def check(name, cond, detail=''):
    checks.append((name, bool(cond), detail))


def guest(results, console, rc='0'):
    d = tempfile.mkdtemp(prefix='magpie-report-test-')
    atexit.register(shutil.rmtree, d, True)
    for name, text in (('results.log', results), ('console.log', console), ('qemu.rc', rc)):
        with open(os.path.join(d, name), 'w') as f:
            f.write(text)
    return report.guest_results('t', d)


def by_name(results, name):
    return [r for r in results if r.name == name]


def main():
    rs = report.parse_tap(KTAP.splitlines(), 'k', ktap=True)
    check('ktap counts cases, not the suite line or parameters',
          [r.name for r in rs] == ['case_a', 'case_param', 'case_c'], [r.name for r in rs])
    check('ktap statuses: pass, fail, skip',
          [r.status for r in rs] == ['pass', 'fail', 'skip'], [r.status for r in rs])

    rs = report.parse_tap(SELFTEST.splitlines(), 's')
    check('kselftest TAP counts each case', len(rs) == 2)
    check('failed kselftest keeps its diagnostic',
          rs[1].status == 'fail' and any('Expected 1' in d for d in rs[1].detail))

    rs = report.parse_tap(['not ok 1 lint', '# WARNING: line too long', 'ok 2 b'], 't')
    check('diagnostics after a failed line are kept',
          any('line too long' in d for d in rs[0].detail), rs[0].detail)

    rs = report.parse_tap(['1..3', 'ok 1 a', 'ok 2 b'], 'p')
    check('missing results against the plan fail', any(r.name == 'plan' and r.status == 'fail' for r in rs))

    rs = guest(CLEAN_RESULTS, '[ 1.0] magpie: loaded\n')
    check('clean guest passes everything', all(r.status == 'pass' for r in rs) and len(rs) == 3)

    rs = guest(CLEAN_RESULTS, WARN_CONSOLE)
    splat = by_name(rs, 'no kernel splat')
    check('a WARN fails the run though every test passed',
          splat and splat[0].status == 'fail' and any('WARNING: CPU' in d for d in splat[0].detail))

    for text in ('BUG: KASAN: slab-out-of-bounds in magpie_alloc+0x1/0x2',
                 'WARNING: mod/main.c:23 at magpie_init+0x23/0x1000 [magpie], CPU#1: insmod/49',
                 'WARNING: possible circular locking dependency detected',
                 'unreferenced object 0xffff888003a1b000 (size 64):',
                 'BUG: sleeping function called from invalid context at mm/slub.c:1'):
        rs = guest(CLEAN_RESULTS, text + '\n')
        check('splat detected: ' + text.split(' ')[0] + ' ' + text.split(' ')[1],
              by_name(rs, 'no kernel splat')[0].status == 'fail')

    rs = guest(CLEAN_RESULTS.replace('MAGPIE-GUEST-END\n', ''), 'Kernel panic - not syncing\n', rc='124')
    check('a guest that never ends fails', by_name(rs, 'ran to the end')[0].status == 'fail')

    rs = guest('MAGPIE-SUITE-BEGIN kselftest.x tap\nok 1 a\n', '')
    check('an unfinished suite fails', any(r.name == 'finished' and r.status == 'fail' for r in rs))

    rs = guest('MAGPIE-SUITE-BEGIN kselftest.x tap\nok 1 a\nMAGPIE-SUITE-END kselftest.x rc=1\n'
               'MAGPIE-GUEST-END\n', '')
    check('a suite exiting non-zero with no failed case fails',
          any(r.name == 'exit status' and r.status == 'fail' for r in rs))

    out = io.StringIO()
    nfail = report.summarize(guest(CLEAN_RESULTS, WARN_CONSOLE), out)
    check('final line reads N passed, N failed',
          out.getvalue().rstrip('\n').splitlines()[-1] == '2 passed, 1 failed' and nfail == 1,
          out.getvalue().splitlines()[-1])

    out = io.StringIO()
    rs = guest('MAGPIE-SUITE-BEGIN kselftest.x tap\nok 1 a\nok 2 b # SKIP no\n'
               'MAGPIE-SUITE-END kselftest.x rc=0\nMAGPIE-GUEST-END\n', '')
    report.summarize(rs, out)
    tail = out.getvalue().rstrip('\n').splitlines()[-2:]
    check('with skips the final line still reads N passed, N failed',
          tail[0] == '1 skipped (neither passed nor failed)' and
          re.fullmatch(r'\d+ passed, 0 failed', tail[1]) is not None, tail)

    print('TAP version 13')
    for i, (name, ok, detail) in enumerate(checks, 1):
        print('%s %d report: %s' % ('ok' if ok else 'not ok', i, name))
        if not ok and detail:
            print('# %s' % (detail,))
    print('1..%d' % len(checks))
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == '__main__':
    sys.exit(main())
