#!/usr/bin/python3
"""Demo HTTP origins on loopback, controlled through files.

    scripts/origin.py --port 8080 --state-dir DIR 127.0.0.11 127.0.0.12 ...

Origin N (1-based, in the order given) serves GET /health on ADDR:PORT.
Its behaviour is read from DIR/originN every 100 ms:

    up     200 OK          down   503 Service Unavailable
    stop   listener closed (connection refused)
    hang   accepts, never answers (probe timeout)

scripts/origin-ctl N up|down|stop|hang writes that file.  The current
state of each origin is mirrored in DIR/originN.status.  SIGINT/SIGTERM or
--duration ends the process.
"""

import argparse
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests',
                                'integration'))

from origins import Origin  # noqa: E402

STATES = ('up', 'down', 'stop', 'hang')


def apply(origin, want):
    if want == 'up':
        origin.set_up()
    elif want == 'down':
        origin.set_down()
    elif want == 'hang':
        origin.set_hang()
    elif want == 'stop':
        origin.stop()


def main():
    ap = argparse.ArgumentParser(description='demo HTTP origins')
    ap.add_argument('addrs', nargs='+', help='loopback addresses')
    ap.add_argument('--port', type=int, default=8080)
    ap.add_argument('--state-dir', required=True)
    ap.add_argument('--duration', type=float, default=0,
                    help='exit after this many seconds (0: run until killed)')
    args = ap.parse_args()

    for a in args.addrs:
        if not (a.startswith('127.') or a == '::1'):
            ap.error('%s is not a loopback address' % a)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    os.makedirs(args.state_dir, exist_ok=True)
    origins = []
    current = []
    for i, a in enumerate(args.addrs, 1):
        o = Origin(a, args.port, label='origin%d' % i)
        ctl = os.path.join(args.state_dir, 'origin%d' % i)
        if not os.path.exists(ctl):
            with open(ctl, 'w') as f:
                f.write('up\n')
        origins.append((o, ctl))
        current.append(None)

    print('origins on port %d: %s' % (args.port, ', '.join(args.addrs)),
          flush=True)
    end = time.monotonic() + args.duration if args.duration else None
    try:
        while not stop and (end is None or time.monotonic() < end):
            for i, (o, ctl) in enumerate(origins):
                try:
                    with open(ctl) as f:
                        want = f.read().strip().lower()
                except OSError:
                    want = 'up'
                if want not in STATES:
                    want = 'up'
                if want != current[i]:
                    try:
                        apply(o, want)
                    except OSError as e:
                        print('origin%d %s: %s' % (i + 1, o.addr, e),
                              file=sys.stderr, flush=True)
                        continue
                    current[i] = want
                    print('origin%d %s -> %s' % (i + 1, o.addr, want),
                          flush=True)
                    with open(ctl + '.status', 'w') as f:
                        f.write(want + '\n')
            time.sleep(0.1)
    finally:
        for o, _ in origins:
            o.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
