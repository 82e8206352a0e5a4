#!/usr/bin/python3
"""Sum up meson test logs into one 'N passed, M failed' line.

    scripts/summarize.py [--failed-steps K] build/meson-logs/testlog.json ...

A test whose output carries its own count is counted by it: the
integration runner's 'N passed, M failed' line or cmocka's
'[  PASSED  ] N test(s).' / '[  FAILED  ] M test(s)' lines.  Any other
test counts as one.  A test that did not end OK (crash, timeout) counts
at least one failure.  --failed-steps adds failures for steps that ran no
test at all (a failed build, say).
"""

import argparse
import json
import re
import sys

PLAIN = re.compile(r'^(?:\w+: )?(\d+) passed, (\d+) failed'
                   r'(?:, (\d+) skipped)?\s*$', re.M)
CMOCKA_PASS = re.compile(r'^\[  PASSED  \] (\d+) test', re.M)
CMOCKA_FAIL = re.compile(r'^\[  FAILED  \] (\d+) test', re.M)


def count(entry):
    out = (entry.get('stdout') or '') + '\n' + (entry.get('stderr') or '')
    result = entry.get('result', '')
    passed = failed = None
    skipped = 0
    m = PLAIN.findall(out)
    if m:
        passed, failed = int(m[-1][0]), int(m[-1][1])
        skipped = int(m[-1][2] or 0)
    else:
        p = CMOCKA_PASS.findall(out)
        f = CMOCKA_FAIL.findall(out)
        if p or f:
            passed = sum(int(x) for x in p)
            failed = sum(int(x) for x in f)
    if passed is None:
        if result == 'SKIP':
            return 0, 0, 1
        ok = result in ('OK', 'EXPECTEDFAIL')
        return (1, 0, 0) if ok else (0, 1, 0)
    if result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and failed == 0:
        failed = 1
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('logs', nargs='*')
    ap.add_argument('--failed-steps', type=int, default=0)
    ap.add_argument('--label', action='append', default=[],
                    help='label for each log, in order')
    args = ap.parse_args()

    tp = tf = ts = 0
    for i, path in enumerate(args.logs):
        label = args.label[i] if i < len(args.label) else path
        try:
            with open(path) as f:
                entries = [json.loads(l) for l in f if l.strip()]
        except (OSError, ValueError) as e:
            print('%s: unreadable (%s)' % (label, e))
            tf += 1
            continue
        for e in entries:
            p, fl, s = count(e)
            tp, tf, ts = tp + p, tf + fl, ts + s
            print('  %-10s %-24s %-8s pass=%d fail=%d%s'
                  % (label, e.get('name', '?'), e.get('result', '?'), p, fl,
                     ' skip=%d' % s if s else ''))
    tf += args.failed_steps
    line = '%d passed, %d failed' % (tp, tf)
    if ts:
        line += ', %d skipped' % ts
    print(line)
    return 1 if tf else 0


if __name__ == '__main__':
    sys.exit(main())
