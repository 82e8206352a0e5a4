#!/usr/bin/python3
"""Failover / failback latency of mod-gtm with real knotd and origins.

    /usr/bin/python3 bench/failover.py [--module build/gtm.so] [--trials 8]

For each setting (interval 1s, timeout 1s, rise 2; fall 1 and fall 3):
queries gtm.example.com A every 10 ms, stops origin 1 (listener closed:
connection refused) and measures the time until origin 2 answers
(failover); restarts origin 1 and measures the time until it answers
again (failback).  A random pause before each trial spreads the change
over the probe phase.  Prints a table and writes bench/results/failover.txt.
"""

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

import harness  # noqa: E402
from harness import (O1, O2, O3, Knot, OriginSet, check_block,  # noqa: E402
                     free_port, gtm_conf, knot_ids, is_root, name_block,
                     parse_duration, pool_block)

QUERY_PERIOD = 0.010
WAIT_LIMIT = 30.0


def wait_switch(knot, expected, limit=WAIT_LIMIT):
    """Seconds until gtm.example.com A == [expected], querying every 10 ms;
    also the number of failed queries on the way."""
    t0 = time.monotonic()
    errors = 0
    while True:
        a = knot.query('gtm.example.com', 'A', timeout=0.5)
        now = time.monotonic()
        if not a.ok:
            errors += 1
        elif a == [expected]:
            return now - t0, errors
        if now - t0 > limit:
            raise RuntimeError('answer did not become %s within %.0fs (%r)'
                               % (expected, limit, a))
        time.sleep(QUERY_PERIOD)


def run_setting(module, fall, rise, interval, timeout, trials, log,
                recheck=None):
    tmp = tempfile.mkdtemp(prefix='gtm-bench-')
    if is_root() and knot_ids():
        os.chown(tmp, *knot_ids())
    port = free_port([O1, O2, O3])
    origins = OriginSet([O1, O2, O3], port).start()
    knot = Knot(tmp, module=module)
    try:
        extra = {'recheck': recheck} if recheck else {}
        conf = gtm_conf([check_block(port=port, interval=interval,
                                     timeout=timeout, rise=rise, fall=fall,
                                     **extra)],
                        [pool_block('origins', [O1, O2, O3])],
                        [name_block('gtm', ['origins'])])
        cfg = knot.write('gtm.conf', conf)
        knot.configure(instances={'default': {'config-file': cfg}})
        knot.start()
        wait_switch(knot, O1)
        time.sleep(parse_duration(interval) * 2)
        fo, fb, errs = [], [], 0
        ivl = parse_duration(interval)
        for i in range(trials):
            time.sleep(random.uniform(0.2, 0.2 + ivl))
            origins[1].stop()
            t, e = wait_switch(knot, O2)
            fo.append(t)
            errs += e
            time.sleep(random.uniform(0.2, 0.2 + ivl))
            origins[1].start()
            t, e = wait_switch(knot, O1)
            fb.append(t)
            errs += e
            log('  fall %d rise %d trial %d: failover %.3fs failback %.3fs'
                % (fall, rise, i + 1, fo[-1], fb[-1]))
        return fo, fb, errs
    finally:
        knot.stop()
        origins.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument('--module', help='gtm.so (default build/gtm.so)')
    ap.add_argument('--trials', type=int, default=8)
    ap.add_argument('--interval', default='1s')
    ap.add_argument('--timeout', default='1s')
    ap.add_argument('--rise', type=int, default=2)
    ap.add_argument('--recheck', default=None,
                    help='check recheck value (default: the module default)')
    ap.add_argument('--falls', default='1,3',
                    help='comma-separated fall values (default 1,3)')
    ap.add_argument('--out', default=os.path.join(HERE, 'results',
                                                  'failover.txt'))
    args = ap.parse_args()

    module = harness.find_module(args.module)
    if not module:
        print('gtm.so not found: build it or pass --module', file=sys.stderr)
        return 1
    if args.trials < 1 or args.trials > 100:
        ap.error('--trials must be 1..100')

    falls = [int(f) for f in args.falls.split(',') if f]
    rows = []
    started = time.strftime('%Y-%m-%d %H:%M:%S %Z')
    for fall in falls:
        print('fall %d, rise %d, interval %s, timeout %s: %d trials'
              % (fall, args.rise, args.interval, args.timeout, args.trials),
              flush=True)
        fo, fb, errs = run_setting(module, fall, args.rise, args.interval,
                                   args.timeout, args.trials,
                                   lambda s: print(s, flush=True),
                                   recheck=args.recheck)
        rows.append((fall, fo, fb, errs))

    knot_ver = subprocess.run([harness.KNOTD, '--version'],
                              capture_output=True, text=True).stdout.strip()
    lines = [
        'mod-gtm failover benchmark (bench/failover.py)',
        'date:     %s' % started,
        'knotd:    %s' % knot_ver,
        'machine:  %s, %d CPUs' % (platform.platform(), os.cpu_count() or 0),
        'setup:    3 HTTP origins on 127.0.0.11-13, check interval %s, '
        'timeout %s, rise %d, recheck %s;' % (
            args.interval, args.timeout, args.rise,
            args.recheck or 'default (interval/10)'),
        '          origin 1 stopped (connection refused) then restarted; '
        'gtm.example.com A queried every %d ms' % (QUERY_PERIOD * 1000),
        'trials:   %d per setting' % args.trials,
        '',
        '%-8s %-9s %9s %9s %9s %9s' % ('setting', 'event', 'median', 'min',
                                       'max', 'mean'),
    ]
    for fall, fo, fb, errs in rows:
        for name, xs in (('failover', fo), ('failback', fb)):
            lines.append('%-8s %-9s %8.3fs %8.3fs %8.3fs %8.3fs'
                         % ('fall %d' % fall, name, statistics.median(xs),
                            min(xs), max(xs), statistics.mean(xs)))
    lines.append('')
    lines.append('expected: the first failed (good) check comes within one '
                 'interval of the change;')
    lines.append('          the remaining fall-1 (rise-1) checks follow '
                 'every recheck.')
    errs = sum(r[3] for r in rows)
    lines.append('queries without an answer during the runs: %d' % errs)
    text = '\n'.join(lines) + '\n'
    print()
    print(text, end='')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(text)
    print('written to %s' % os.path.relpath(args.out, os.getcwd()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
