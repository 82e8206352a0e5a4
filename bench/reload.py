#!/usr/bin/python3
"""Figure 3: cost of 'knotc reload' with 10,000 GTM names.

knotd (pinned to core 0) serves example.com with 10,000 GTM names, each with
its own pool of one address 127.1.x.y under a TCP check every second (one
listener socket on 0.0.0.0, pinned to core 1), plus gtm.example.com on
three HTTP origins and a marker name without check whose address flips
between 192.0.2.1 and 192.0.2.2 at every reload, so that the moment the new
data file answers can be seen from outside.

  idle        N reloads: wall time of 'knotc reload' and the time until the
              marker answers with its new address (median and max)
  under load  dnsperf at a fixed rate (-Q) on a mix of GTM and static names
              for the whole run, with N reloads spread over it, plus a
              verifier that checks every answer of sampled GTM names
              (right address, AA); then the same load without reloads as a
              control.  Failed = dnsperf lost/timeouts, any rcode other than
              NOERROR, or a wrong answer from the verifier

  bench/reload.py [--names 10000] [--reloads 5] [--qps 5000] [--quick]
"""

import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import scale  # noqa: E402

TARGET_MS = 300.0
MARKERS = ('192.0.2.1', '192.0.2.2')


def data_file(base, n, probe_port, marker):
    data, names = scale.targets_conf(base, n, probe_port, 'tcp', 'names')
    data += ('\npool:\n  - id: marker\n    address: %s\n\nname:\n'
             '  - id: reload-marker\n    pool: [ marker ]\n    ttl: 0\n' %
             marker)
    return data, names


def zone_text(static_names):
    lines = [scale.zone_text().rstrip('\n')]
    for i in range(static_names):
        lines.append('s%04d  A  198.51.%d.%d' % (i, 101 + i // 250,
                                                  1 + i % 250))
    return '\n'.join(lines) + '\n'


def marker_answer(knot):
    r = B.query('127.0.0.1', knot.port, 'reload-marker.%s' % B.ZONE,
                timeout=0.2)
    a = B.answer_addrs(r)
    return a[0] if a and len(a) == 1 else None


def do_reload(knot, datas, state, limit=30.0):
    """Flips the marker, reloads; (knotc wall ms, ms until effective)."""
    state['flip'] ^= 1
    knot.write_gtm(datas[state['flip']])
    want = MARKERS[state['flip']]
    t0 = time.monotonic()
    r = knot.knotc('reload')
    t1 = time.monotonic()
    if r.returncode != 0:
        raise SystemExit('knotc reload failed: %s %s' % (r.stdout, r.stderr))
    seen = None
    while time.monotonic() - t0 < limit:
        if marker_answer(knot) == want:
            seen = time.monotonic()
            break
        time.sleep(0.002)
    return (1000 * (t1 - t0),
            1000 * (seen - t0) if seen else float('inf'))


class Verifier(threading.Thread):
    """Queries sampled GTM names at a modest rate and checks each answer."""

    def __init__(self, knot, names, rate, seconds):
        super().__init__(daemon=True)
        self.knot, self.names = knot, names
        self.interval = 1.0 / rate
        self.seconds = seconds
        self.ok = 0
        self.bad = []          # (time offset, name, what)
        self.stop_ev = threading.Event()

    def run(self):
        rnd = random.Random(3)
        t0 = time.monotonic()
        nxt = t0
        while not self.stop_ev.is_set() and \
                time.monotonic() - t0 < self.seconds:
            name, _p, expect = rnd.choice(self.names)
            r = B.query('127.0.0.1', self.knot.port,
                        '%s.%s' % (name, B.ZONE), timeout=1.0)
            if B.is_gtm_answer(r, expect):
                self.ok += 1
            else:
                what = 'timeout' if r is None else '%s %s aa=%s' % (
                    B.dns.rcode.to_text(r.rcode()), B.answer_addrs(r),
                    bool(r.flags & B.dns.flags.AA))
                self.bad.append((round(time.monotonic() - t0, 3), name, what))
            nxt += self.interval
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def load_run(knot, qf, names, seconds, qps, reloads, datas, state,
             verify_rate):
    ver = Verifier(knot, names, verify_rate, seconds)
    p = B.dnsperf_start(knot.port, qf, seconds, clients=4, outstanding=200,
                        qps=qps, timeout=2, threads=1)
    ver.start()
    times = []
    if reloads:
        gap = seconds / (reloads + 1)
        t0 = time.monotonic()
        for i in range(reloads):
            delay = t0 + gap * (i + 1) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            times.append(do_reload(knot, datas, state))
    res = B.dnsperf_finish(p)
    ver.stop_ev.set()
    ver.join(5)
    return res, ver, times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--names', type=int, default=10000)
    ap.add_argument('--reloads', type=int, default=5)
    ap.add_argument('--qps', type=int, default=5000,
                    help='fixed dnsperf rate during the load runs')
    ap.add_argument('--load-seconds', type=int, default=40)
    ap.add_argument('--verify-rate', type=int, default=200)
    ap.add_argument('--quick', action='store_true',
                    help='smoke run: 1,000 names, 3 reloads, 10 s load')
    ap.add_argument('--results', default='reload')
    args = ap.parse_args()
    if args.quick:
        args.names, args.reloads, args.load_seconds = 1000, 3, 10
    n = max(1, min(args.names, 60000))
    reloads = max(1, min(args.reloads, 50))
    seconds = max(5, min(args.load_seconds, 600))

    B.module_path()
    info = B.machine_info()
    B.pin_self()
    origin_port = B.pick_port(18080)
    probe_port = B.pick_port(18090)
    budget = 1800 + 3 * seconds
    origins = B.Listener('http', B.ORIGINS, origin_port, budget)
    probes = B.Listener('tcp', ['0.0.0.0'], probe_port, budget)
    base = B.origins_conf(origin_port)
    datas, names = [], None
    for m in MARKERS:
        d, names = data_file(base, n, probe_port, m)
        datas.append(d)
    state = {'flip': 0}
    try:
        t0 = time.monotonic()
        knot = B.Knot('reload', datas[0], zone_text(1000)).start(timeout=600)
        startup = time.monotonic() - t0
        B.log('knotd %d with %d names started in %.2f s' %
              (knot.pid, n, startup))
        time.sleep(3)
        if marker_answer(knot) != MARKERS[0]:
            raise SystemExit('marker does not answer')

        idle = []
        for i in range(reloads):
            idle.append(do_reload(knot, datas, state))
            B.log('idle reload %d: knotc %.1f ms, effective after %.1f ms' %
                  (i + 1, idle[-1][0], idle[-1][1]))
            time.sleep(2)

        # Query mix: 80 % GTM names (random), 20 % static names.
        rnd = random.Random(5)
        qf = os.path.join(knot.dir, 'q-mix')
        with open(qf, 'w') as f:
            for _ in range(50000):
                if rnd.random() < 0.8:
                    f.write('%s.%s A\n' % (rnd.choice(names)[0], B.ZONE))
                else:
                    f.write('s%04d.%s A\n' % (rnd.randrange(1000), B.ZONE))

        runs = {}
        for label, nrel in (('with reloads', reloads), ('control', 0)):
            res, ver, times = load_run(knot, qf, names, seconds, args.qps,
                                       nrel, datas, state, args.verify_rate)
            runs[label] = {'dnsperf': res, 'verifier_ok': ver.ok,
                           'verifier_bad': ver.bad, 'reload_ms': times}
            B.log('%s: dnsperf %s, lost %d, rcodes %s; verifier ok %d bad %d'
                  % (label, '%.0f qps' % res['qps'], res['lost'],
                     res['rcodes'], ver.ok, len(ver.bad)))
        downs = scale.count_downs(knot)
        peak_rss = B.rss_kib(knot.pid)
    finally:
        try:
            knot.cleanup()
        except NameError:
            pass
        probes.stop()
        origins.stop()

    knotc_ms = [x[0] for x in idle]
    eff_ms = [x[1] for x in idle]
    rows = [['idle', reloads, '%.0f' % B.median(knotc_ms),
             '%.0f' % max(knotc_ms), '%.0f' % B.median(eff_ms),
             '%.0f' % max(eff_ms), '-', '-', '-', '-', '-']]
    failed_total = 0
    for label, r in runs.items():
        d = r['dnsperf']
        non_ok = sum(v for k, v in d['rcodes'].items() if k != 'NOERROR')
        failed = d['lost'] + non_ok + len(r['verifier_bad'])
        if label != 'control':
            failed_total += failed
        rl = r['reload_ms']
        rows.append([
            label, len(rl),
            '%.0f' % B.median([x[0] for x in rl]) if rl else '-',
            '%.0f' % max(x[0] for x in rl) if rl else '-',
            '%.0f' % B.median([x[1] for x in rl]) if rl else '-',
            '%.0f' % max(x[1] for x in rl) if rl else '-',
            '%d/%d' % (d.get('completed', 0), d.get('sent', 0)), d['lost'],
            ' '.join('%s %d' % kv for kv in sorted(d['rcodes'].items())),
            '%d/%d' % (r['verifier_ok'], r['verifier_ok'] +
                       len(r['verifier_bad'])),
            failed])
    med = B.median(knotc_ms)
    med_eff = B.median(eff_ms)
    text = [
        "Figure 3: 'knotc reload' with %d GTM names (%d TCP-checked targets "
        'at 1s + 3 HTTP origins)' % (n, n),
        'machine: ' + B.machine_line(info),
        'knotd pinned to CPU %s, started in %.1f s, RSS %d MiB; dnsperf -Q %d '
        '(80 %% GTM names at random, 20 %% static), verifier %d q/s, probe '
        'listener and dnsperf: CPU %s' % (B.SERVER_CPU, startup, peak_rss // 1024,
                              args.qps, args.verify_rate, B.CLIENT_CPU),
        '',
        B.fmt_table(['run', 'reloads', 'knotc ms med', 'max',
                     'effective ms med', 'max', 'dnsperf completed/sent',
                     'lost', 'rcodes', 'verifier ok', 'failed'], rows),
        '',
        'knotc ms = wall time of knotc reload; effective = until the marker '
        'name answers from the new data file; failed = lost + non-NOERROR + '
        'wrong verifier answers; down transitions in the log: %d' % downs,
    ]
    for label, r in runs.items():
        for b in r['verifier_bad'][:5]:
            text.append('  %s: verifier at %.3f s: %s: %s' % ((label,) + b))
    text += ['',
             'reload < %.0f ms with %d names: knotc %.0f ms, effective %.0f ms '
             '(median of %d): %s' % (TARGET_MS, n, med, med_eff, reloads,
                                     B.verdict(max(med, med_eff) < TARGET_MS)),
             'zero failed or lost queries while reloading: %d: %s' %
             (failed_total, B.verdict(failed_total == 0))]
    B.save_results(args.results, '\n'.join(text),
                   {'machine': info, 'idle': idle, 'runs': runs,
                    'startup_s': startup, 'downs': downs,
                    'args': vars(args)})
    return 0


if __name__ == '__main__':
    sys.exit(main())
