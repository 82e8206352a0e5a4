#!/usr/bin/python3
"""Figure 1: QPS of GTM names against static names, same knotd, one run.

knotd (1 UDP worker, 1 background worker) is pinned to core 0 with taskset,
dnsperf and the HTTP origins to core 1.  The zone example.com holds static
names and the module answers GTM names whose pools are three real HTTP
origins on 127.0.0.11-13, health-checked every second while measured.

Two scenarios, each in rounds alternating GTM and static (ABBA order so a
drift of the machine does not favour one side):
  single  gtm.example.com A            vs  static.example.com A
  many    1,000 GTM names at random    vs  1,000 static names at random

Per run: QPS (dnsperf), server CPU seconds (utime+stime of knotd from
/proc/PID/stat before and after), responses per server-CPU second.  The
GTM/static ratio is the median of the per-round ratios.

  bench/qps.py [--rounds 6] [--duration 10] [--quick]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

TARGET = 1.00


def build_zone(n):
    lines = [B.STATIC_ZONE_HEAD.format(zone=B.ZONE),
             'static  A  198.51.100.1',
             'gtm     A  198.51.100.2']
    for i in range(n):
        lines.append('s%04d  A  198.51.%d.%d' % (i, 101 + i // 250,
                                                  1 + i % 250))
        lines.append('g%04d  A  203.0.%d.%d' % (i, 113 + (i // 250) % 4,
                                                 1 + i % 250))
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=6)
    ap.add_argument('--duration', type=int, default=10,
                    help='seconds per dnsperf run')
    ap.add_argument('--names', type=int, default=1000)
    ap.add_argument('--clients', type=int, default=8)
    ap.add_argument('--outstanding', type=int, default=200)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--server-quota', type=int, default=0, metavar='PCT',
                    help='also cap knotd at PCT %% of its core (CFS quota in '
                    'a cgroup) so that the server, not dnsperf, is the '
                    'bottleneck; 0: no cap')
    ap.add_argument('--quick', action='store_true',
                    help='smoke run: 2 rounds of 2 s')
    ap.add_argument('--results', default='qps', help='results file stem')
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration = 2, 2
    rounds = max(1, min(args.rounds, 100))
    duration = max(1, min(args.duration, 600))

    B.module_path()
    info = B.machine_info()
    port = B.pick_port(18080)
    listener = B.Listener('http', B.ORIGINS, port,
                          duration=4 * rounds * (duration + 5) + 300)
    pools = ('o123', 'o231', 'o312')
    names = [('gtm', 'o123')] + [('g%04d' % i, pools[i % 3])
                                 for i in range(args.names)]
    knot = B.Knot('qps', B.origins_conf(port, names=names),
                  build_zone(args.names)).start()
    tmp = knot.dir
    quota = None
    try:
        if args.server_quota:
            quota = B.CpuQuota(knot.pid, args.server_quota)
        # The answers are what they should be before anything is measured.
        r = B.query('127.0.0.1', knot.port, 'gtm.%s' % B.ZONE)
        if not B.is_gtm_answer(r, B.ORIGINS[0]):
            raise SystemExit('gtm.%s does not answer %s: %s' %
                             (B.ZONE, B.ORIGINS[0], r))
        r = B.query('127.0.0.1', knot.port, 'g0001.%s' % B.ZONE)
        if not B.is_gtm_answer(r, B.ORIGINS[1]):
            raise SystemExit('g0001.%s does not answer %s: %s' %
                             (B.ZONE, B.ORIGINS[1], r))
        r = B.query('127.0.0.1', knot.port, 'static.%s' % B.ZONE)
        if B.answer_addrs(r) != ['198.51.100.1']:
            raise SystemExit('static.%s wrong: %s' % (B.ZONE, r))

        z = B.ZONE
        qf = {
            ('single', 'gtm'): B.write_queryfile(
                os.path.join(tmp, 'q-single-gtm'), ['gtm.%s' % z]),
            ('single', 'static'): B.write_queryfile(
                os.path.join(tmp, 'q-single-static'), ['static.%s' % z]),
            ('many', 'gtm'): B.write_queryfile(
                os.path.join(tmp, 'q-many-gtm'),
                ['g%04d.%s' % (i, z) for i in range(args.names)],
                count=100000, shuffle=True),
            ('many', 'static'): B.write_queryfile(
                os.path.join(tmp, 'q-many-static'),
                ['s%04d.%s' % (i, z) for i in range(args.names)],
                count=100000, shuffle=True),
        }
        stats0 = B.mod_stats(knot)
        runs = []
        for scen in ('single', 'many'):
            for rnd in range(rounds):
                order = ('gtm', 'static') if rnd % 2 == 0 else \
                        ('static', 'gtm')
                for kind in order:
                    c0 = B.proc_cpu(knot.pid)
                    res = B.dnsperf(knot.port, qf[(scen, kind)], duration,
                                    clients=args.clients,
                                    outstanding=args.outstanding,
                                    threads=args.threads)
                    c1 = B.proc_cpu(knot.pid)
                    cpu = c1 - c0
                    run = {
                        'scenario': scen, 'kind': kind, 'round': rnd + 1,
                        'qps': res['qps'], 'completed': res.get('completed'),
                        'lost': res['lost'], 'rcodes': res['rcodes'],
                        'server_cpu_s': round(cpu, 2),
                        'qps_per_cpu': (res['completed'] / cpu) if cpu else 0,
                        'server_cpu_pct': 100.0 * cpu / res['run_time'],
                        'latency_avg_ms': 1000 * res.get('latency_avg', 0),
                    }
                    runs.append(run)
                    B.log('%-6s %-6s round %d: %9.0f qps, server CPU %5.1f %%,'
                          ' %9.0f q/CPU-s, lost %d' %
                          (scen, kind, rnd + 1, run['qps'],
                           run['server_cpu_pct'], run['qps_per_cpu'],
                           run['lost']))
        stats1 = B.mod_stats(knot)
        r_end = B.query('127.0.0.1', knot.port, 'gtm.%s' % B.ZONE)
        end_ok = B.is_gtm_answer(r_end, B.ORIGINS[0])
        downs = sum(1 for line in knot.log_text().splitlines()
                    if ' down (' in line)
    finally:
        if quota:
            quota.close()
        knot.cleanup()
        lstats = listener.stop()

    # -- summary --------------------------------------------------------------
    rows, summary = [], {}
    for scen in ('single', 'many'):
        per = {}
        for kind in ('gtm', 'static'):
            rs = [r for r in runs if r['scenario'] == scen and r['kind'] == kind]
            per[kind] = rs
        ratio_q = B.median([g['qps'] / s['qps'] for g, s in
                            zip(per['gtm'], per['static'])])
        ratio_c = B.median([g['qps_per_cpu'] / s['qps_per_cpu'] for g, s in
                            zip(per['gtm'], per['static'])])
        pr = [g['qps'] / s['qps'] for g, s in zip(per['gtm'], per['static'])]
        summary[scen] = {'ratio_qps': ratio_q, 'ratio_qps_per_cpu': ratio_c,
                         'ratio_qps_min': min(pr), 'ratio_qps_max': max(pr)}
        label = ('1 name' if scen == 'single'
                 else '%d names, random' % args.names)
        for kind in ('gtm', 'static'):
            rs = per[kind]
            q = [r['qps'] for r in rs]
            c = [r['qps_per_cpu'] for r in rs]
            summary[scen][kind] = {'qps_median': B.median(q),
                                   'qps_per_cpu_median': B.median(c)}
            rows.append([
                label, kind.upper() if kind == 'gtm' else kind,
                '%.0f' % B.median(q), '%.0f-%.0f' % (min(q), max(q)),
                '%.0f' % B.median(c),
                '%.0f' % B.median([r['server_cpu_pct'] for r in rs]),
                sum(r['lost'] for r in rs),
                '%.2fx' % ratio_q if kind == 'gtm' else '',
                '%.2fx' % ratio_c if kind == 'gtm' else '',
            ])
    verdicts = []
    for scen, label in (('single', '1 name'), ('many', '%d names' %
                                                 args.names)):
        s = summary[scen]
        verdicts.append('GTM QPS >= %.2fx static (%s%s): %.3fx QPS (rounds '
                        '%.3f-%.3f), %.3fx per server-CPU second: %s' %
                        (TARGET, label, ', server-bound' if args.server_quota
                         else '', s['ratio_qps'], s['ratio_qps_min'],
                         s['ratio_qps_max'], s['ratio_qps_per_cpu'],
                         B.verdict(s['ratio_qps'] >= TARGET)))
    answered = {k: stats1.get(k, 0) - stats0.get(k, 0) for k in stats1}
    text = '\n'.join([
        'Figure 1%s: GTM vs static QPS, same knotd, %d rounds x %d s per '
        'side, alternating (ABBA)%s' %
        ('b' if args.server_quota else '', rounds, duration,
         ', knotd capped at %d %% of its core (CFS quota): server-bound' %
         args.server_quota if args.server_quota else ''),
        'machine: ' + B.machine_line(info),
        'server: knotd pinned to CPU %s (udp-workers 1, background-workers 1);'
        ' client: dnsperf -T %d -c %d -q %d pinned to CPU %s; HTTP origins '
        '%s port %d (interval 1s) on CPU %s' %
        (B.SERVER_CPU, args.threads, args.clients, args.outstanding,
         B.CLIENT_CPU,
         ','.join(B.ORIGINS), port, B.CLIENT_CPU),
        '',
        B.fmt_table(['names', 'side', 'QPS median', 'QPS min-max',
                     'q/server-CPU-s', 'server CPU %', 'lost',
                     'ratio QPS', 'ratio q/CPU-s'], rows),
        '',
        'ratio = median over rounds of GTM/static of the same round',
        'module answers during the run: %s; health checks served by the '
        'origins: %s; down transitions: %d; gtm answer at the end ok: %s' %
        (answered, lstats.get('answered'), downs, end_ok),
        '',
    ] + verdicts)
    B.save_results(args.results, text, {'machine': info, 'runs': runs,
                                         'summary': summary,
                                         'module_answers': answered,
                                         'origins': lstats,
                                         'down_transitions': downs,
                                         'args': vars(args)})
    return 0


if __name__ == '__main__':
    sys.exit(main())
