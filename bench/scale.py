#!/usr/bin/python3
"""Figure 2: the prober with 10,000 targets probed every second.

The targets are 10,000 loopback addresses 127.1.x.y, all served by one
listener socket bound to 0.0.0.0:PORT (bench/listener.py, pinned to the
client core together with dnsperf): a TCP check (connect) by default, an
HTTP check (GET /health, 200) as a second figure.  knotd is pinned to core 0.

Phases (each knotd fresh, so that RSS is comparable):
  base    knotd with only gtm.example.com (3 HTTP origins, 3 targets)
  10k     the same plus 10,000 targets, one name per address (10,000 names,
          pools and targets: the heaviest layout); optionally also 200 names
          x 50 addresses (--layouts names,pools) and the HTTP check
  qps     in the 10k knotd: GTM QPS with and without the 10,000 targets,
          switched by 'knotc reload' between the two data files, rounds in
          ABBA order

Reported: prober CPU (% of one core) from the prober thread's own run time
(/proc/PID/task/TID/schedstat; the thread is recognised by its epoll set,
see benchlib.find_prober_tid), knotd's whole CPU minus the base knotd's idle
CPU, probes per second seen by the listener, RSS per target =
(RSS 10k - RSS base) / 10,000, and QPS with/without probes.

  bench/scale.py [--targets 10000] [--window 30] [--rounds 6] [--quick]
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

TARGET_CPU_PCT = 15.0
TARGET_RSS_PER_TARGET = 1024
TARGET_QPS_DROP = 0.03


def addr(i):
    return '127.1.%d.%d' % (i // 250, 1 + i % 250)


def targets_conf(base, n, port, check_type, layout):
    """base data file + n probed addresses."""
    if n == 0:
        return base
    lines = [base.rstrip('\n'), '', 'check:', '  - id: probe',
             '    type: %s' % check_type, '    port: %d' % port]
    if check_type == 'http':
        lines.append('    path: /health')
    lines += ['    interval: 1s', '    timeout: 1s', '    rise: 2',
              '    fall: 3', '', 'pool:']
    names = []
    if layout == 'names':
        for i in range(n):
            lines += ['  - id: p%05d' % i, '    address: %s' % addr(i),
                      '    check: probe']
            names.append(('n%05d' % i, 'p%05d' % i, addr(i)))
    else:
        per = 50
        for p in range((n + per - 1) // per):
            addrs = [addr(i) for i in range(p * per, min(n, (p + 1) * per))]
            lines += ['  - id: q%05d' % p,
                      '    address: [ %s ]' % ', '.join(addrs),
                      '    check: probe']
            names.append(('m%05d' % p, 'q%05d' % p, addrs[0]))
    lines += ['', 'name:']
    for name, pool, _a in names:
        lines += ['  - id: %s' % name, '    pool: [ %s ]' % pool,
                  '    ttl: 30']
    return '\n'.join(lines) + '\n', names


def zone_text():
    return (B.STATIC_ZONE_HEAD.format(zone=B.ZONE) +
            'static  A  198.51.100.1\ngtm     A  198.51.100.2\n')


def measure_window(knot, listener, seconds):
    """CPU of knotd and of its threads, RSS, listener rate over seconds."""
    pid = knot.pid
    prober = B.find_prober_tid(pid)
    l0 = listener.stats() if listener else None
    th0 = B.thread_runtime_ns(pid)
    p0 = B.proc_cpu(pid)
    t0 = time.monotonic()
    time.sleep(seconds)
    th1 = B.thread_runtime_ns(pid)
    p1 = B.proc_cpu(pid)
    t1 = time.monotonic()
    l1 = listener.stats() if listener else None
    wall = t1 - t0
    threads = {tid: 100.0 * (th1[tid] - th0.get(tid, 0)) / 1e9 / wall
               for tid in th1}
    out = {
        'wall_s': wall,
        'knotd_cpu_pct': 100.0 * (p1 - p0) / wall,
        'threads_cpu_pct': threads,
        'prober_tid': prober,
        'prober_cpu_pct': threads.get(prober) if prober else None,
        'rss_kib': B.rss_kib(pid),
    }
    if l0 and l1 and 'time' in l0 and 'time' in l1 and l1['time'] > l0['time']:
        dt = l1['time'] - l0['time']
        out['probes_per_s'] = (l1['accepted'] - l0['accepted']) / dt
        out['answered_per_s'] = (l1['answered'] - l0['answered']) / dt
        out['listener_cpu_pct'] = 100.0 * (l1['cpu_now'] - l0['cpu_now']) / wall
    return out


def sample_answers(knot, names, count=200, seed=7):
    rnd = random.Random(seed)
    ok = bad = 0
    examples = []
    for name, _pool, expect in rnd.sample(names, min(count, len(names))):
        r = B.query('127.0.0.1', knot.port, '%s.%s' % (name, B.ZONE))
        if B.is_gtm_answer(r, expect):
            ok += 1
        else:
            bad += 1
            if len(examples) < 3:
                examples.append('%s: %s' % (name, B.answer_addrs(r)))
    return ok, bad, examples


def count_downs(knot):
    return sum(1 for line in knot.log_text().splitlines() if ' down (' in line)


def run_phase(label, base, n, probe_port, check_type, layout, listener,
              warmup, window):
    data, names = (base, []) if n == 0 else \
        targets_conf(base, n, probe_port, check_type, layout)
    t0 = time.monotonic()
    knot = B.Knot('scale-%s' % label, data, zone_text())
    knot.start(timeout=300)
    startup = time.monotonic() - t0
    B.log('%s: knotd %d started in %.2f s, warm-up %d s' %
          (label, knot.pid, startup, warmup))
    time.sleep(warmup)
    m = measure_window(knot, listener, window)
    m['startup_s'] = startup
    m['downs'] = count_downs(knot)
    if names:
        ok, bad, ex = sample_answers(knot, names)
        m['sample_up'], m['sample_not_up'], m['sample_examples'] = ok, bad, ex
    m['label'], m['targets'], m['check'], m['layout'] = \
        label, n, check_type, layout
    B.log('%s: knotd CPU %.2f %%, prober %s %%, RSS %d KiB, probes/s %s, '
          'downs %d' % (label, m['knotd_cpu_pct'],
                        '%.2f' % m['prober_cpu_pct']
                        if m['prober_cpu_pct'] is not None else '?',
                        m['rss_kib'], '%.0f' % m.get('probes_per_s', 0),
                        m['downs']))
    return knot, m, data


def qps_rounds(knot, data_with, data_without, rounds, duration, settle,
               clients, outstanding, threads, rate=None):
    """Rounds of GTM queries with and without the probes (ABBA); rate: a
    fixed dnsperf -Q instead of as fast as the client can."""
    qf = B.write_queryfile(os.path.join(knot.dir, 'q-gtm'),
                           ['gtm.%s' % B.ZONE])
    runs = []
    for rnd in range(rounds):
        order = ('with', 'without') if rnd % 2 == 0 else ('without', 'with')
        for kind in order:
            knot.write_gtm(data_with if kind == 'with' else data_without)
            r = knot.knotc('reload')
            if r.returncode != 0:
                raise SystemExit('knotc reload failed: %s %s' %
                                 (r.stdout, r.stderr))
            time.sleep(settle)
            r = B.query('127.0.0.1', knot.port, 'gtm.%s' % B.ZONE)
            if not B.is_gtm_answer(r, B.ORIGINS[0]):
                raise SystemExit('gtm.%s wrong after reload: %s' % (B.ZONE, r))
            prober = B.find_prober_tid(knot.pid)
            th0 = B.thread_runtime_ns(knot.pid)
            c0 = B.proc_cpu(knot.pid)
            res = B.dnsperf(knot.port, qf, duration, clients=clients,
                            outstanding=outstanding, threads=threads,
                            qps=rate)
            c1 = B.proc_cpu(knot.pid)
            th1 = B.thread_runtime_ns(knot.pid)
            cpu = c1 - c0
            wall = res['run_time']
            delta = {t: (th1[t] - th0.get(t, 0)) / 1e9 for t in th1}
            prober_s = delta.get(prober, 0.0) if prober else None
            # The UDP worker: the busiest thread that is not the prober.
            worker_s = max([v for t, v in delta.items() if t != prober] or
                           [0.0])
            run = {'kind': kind, 'round': rnd + 1, 'qps': res['qps'],
                   'lost': res['lost'], 'rcodes': res['rcodes'],
                   'rate': rate,
                   'latency_avg_ms': 1000 * res.get('latency_avg', 0),
                   'server_cpu_pct': 100.0 * cpu / wall,
                   'qps_per_cpu': res['completed'] / cpu if cpu else 0,
                   'worker_cpu_pct': 100.0 * worker_s / wall,
                   'qps_per_worker_cpu': (res['completed'] / worker_s
                                          if worker_s else 0),
                   'prober_cpu_pct': (100.0 * prober_s / wall
                                      if prober_s is not None else None)}
            runs.append(run)
            B.log('qps %-7s round %d%s: %9.0f qps, server CPU %5.1f %% '
                  '(worker %5.1f %%, prober %s %%), latency %.3f ms, lost %d'
                  % (kind, rnd + 1, ' at -Q %d' % rate if rate else '',
                     run['qps'], run['server_cpu_pct'], run['worker_cpu_pct'],
                     '%.1f' % run['prober_cpu_pct']
                     if run['prober_cpu_pct'] is not None else '?',
                     run['latency_avg_ms'], run['lost']))
    return runs


def qps_table(runs, n, title):
    w = [r for r in runs if r['kind'] == 'with']
    wo = [r for r in runs if r['kind'] == 'without']
    ratio = B.median([a['qps'] / b['qps'] for a, b in zip(w, wo)])
    ratio_w = B.median([a['qps_per_worker_cpu'] / b['qps_per_worker_cpu']
                        for a, b in zip(w, wo)])
    rows = []
    for kind, rs in (('with %d probes' % n, w), ('without', wo)):
        q = [r['qps'] for r in rs]
        pp = [r['prober_cpu_pct'] for r in rs
              if r['prober_cpu_pct'] is not None]
        rows.append([kind, '%.0f' % B.median(q),
                     '%.0f-%.0f' % (min(q), max(q)),
                     '%.1f' % B.median([r['server_cpu_pct'] for r in rs]),
                     '%.1f' % B.median([r['worker_cpu_pct'] for r in rs]),
                     '%.2f' % B.median(pp) if pp else '?',
                     '%.0f' % B.median([r['qps_per_worker_cpu'] for r in rs]),
                     '%.3f' % B.median([r['latency_avg_ms'] for r in rs]),
                     sum(r['lost'] for r in rs)])
    text = [title,
            B.fmt_table(['probes', 'QPS median', 'QPS min-max',
                         'server CPU %', 'UDP worker CPU %', 'prober CPU %',
                         'q/worker-CPU-s', 'latency ms', 'lost'], rows),
            'ratio with/without: QPS %.3fx (drop %.1f %%), queries per UDP '
            'worker CPU second %.3fx' % (ratio, 100 * (1 - ratio), ratio_w)]
    return text, ratio, ratio_w


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--targets', type=int, default=10000)
    ap.add_argument('--window', type=int, default=30,
                    help='seconds of CPU measurement')
    ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--rounds', type=int, default=6)
    ap.add_argument('--duration', type=int, default=10,
                    help='seconds per dnsperf run')
    ap.add_argument('--settle', type=int, default=5,
                    help='seconds after each reload before measuring')
    ap.add_argument('--layouts', default='names,pools')
    ap.add_argument('--checks', default='tcp,http')
    ap.add_argument('--clients', type=int, default=8)
    ap.add_argument('--outstanding', type=int, default=200)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--fixed-rounds', type=int, default=2,
                    help='extra rounds at a fixed rate (0: none)')
    ap.add_argument('--fixed-fraction', type=float, default=0.5,
                    help='fixed rate = this x the QPS without probes')
    ap.add_argument('--quick', action='store_true',
                    help='smoke run: 1,000 targets, short windows')
    ap.add_argument('--results', default='scale')
    args = ap.parse_args()
    if args.quick:
        args.targets, args.window, args.warmup = 1000, 5, 3
        args.rounds, args.duration, args.settle = 2, 2, 2
        args.fixed_rounds = 1
        args.layouts, args.checks = 'names', 'tcp'
    n = max(1, min(args.targets, 60000))
    layouts = [x for x in args.layouts.split(',') if x]
    checks = [x for x in args.checks.split(',') if x]

    B.module_path()
    info = B.machine_info()
    origin_port = B.pick_port(18080)
    probe_port = B.pick_port(18090)
    budget = 3600 + 4 * args.rounds * (args.duration + args.settle + 5)
    origins = B.Listener('http', B.ORIGINS, origin_port, budget)
    base = B.origins_conf(origin_port)

    phases, qruns, listeners, fruns = [], [], [], []
    try:
        knot, m, _ = run_phase('base', base, 0, probe_port, 'tcp', '-', None,
                               args.warmup, args.window)
        knot.cleanup()
        phases.append(m)
        for check in checks:
            for layout in layouts:
                if check != 'tcp' and layout != 'names':
                    continue
                lst = B.Listener(check, ['0.0.0.0'], probe_port, budget)
                try:
                    label = '%s-%s' % (check, layout)
                    knot, m, data = run_phase(label, base, n, probe_port,
                                              check, layout, lst,
                                              args.warmup, args.window)
                    phases.append(m)
                    if check == 'tcp' and layout == 'names':
                        qruns = qps_rounds(knot, data, base, args.rounds,
                                           args.duration, args.settle,
                                           args.clients, args.outstanding,
                                           args.threads)
                        wo = [r['qps'] for r in qruns
                              if r['kind'] == 'without']
                        if args.fixed_rounds > 0 and wo:
                            rate = int(args.fixed_fraction * B.median(wo))
                            fruns = qps_rounds(knot, data, base,
                                               args.fixed_rounds,
                                               args.duration, args.settle,
                                               args.clients, args.outstanding,
                                               args.threads, rate=rate)
                        m['downs_after_qps'] = count_downs(knot)
                    knot.cleanup()
                finally:
                    m_l = lst.stop()
                    listeners.append(m_l)
                    B.log('listener %s: %s' % (check, m_l))
    finally:
        origins.stop()

    # -- summary --------------------------------------------------------------
    bp = phases[0]
    rows = []
    for m in phases:
        extra = m['knotd_cpu_pct'] - bp['knotd_cpu_pct']
        per_target = ((m['rss_kib'] - bp['rss_kib']) * 1024.0 / m['targets']
                      if m['targets'] else None)
        m['knotd_cpu_minus_base_pct'] = extra
        m['rss_per_target_bytes'] = per_target
        rows.append([
            m['label'], m['targets'] + 3, m['check'] if m['targets'] else '-',
            '%.1f' % m['startup_s'],
            '%.0f' % m['probes_per_s'] if 'probes_per_s' in m else '-',
            '%.2f' % m['prober_cpu_pct'] if m['prober_cpu_pct'] is not None
            else '?',
            '%.2f' % m['knotd_cpu_pct'], '%.2f' % extra if m['targets'] else '-',
            m['rss_kib'], '%.0f' % per_target if per_target else '-',
            '%.1f' % m['listener_cpu_pct'] if 'listener_cpu_pct' in m else '-',
            m['downs'],
            '%d/%d' % (m['sample_up'], m['sample_up'] + m['sample_not_up'])
            if 'sample_up' in m else '-',
        ])
    text = [
        'Figure 2: prober scale, %d targets at interval 1s (window %d s after '
        '%d s warm-up, no DNS load)' % (n, args.window, args.warmup),
        'machine: ' + B.machine_line(info),
        'knotd pinned to CPU %s; probe listener (one socket, 0.0.0.0:%d, '
        'python epoll) and dnsperf pinned to CPU %s; gtm.%s on 3 HTTP '
        'origins (3 targets in every phase)' %
        (B.SERVER_CPU, probe_port, B.CLIENT_CPU, B.ZONE),
        '',
        B.fmt_table(['phase', 'targets', 'check', 'start s', 'probes/s',
                     'prober CPU %', 'knotd CPU %', 'minus base', 'RSS KiB',
                     'B/target', 'listener CPU %', 'downs', 'sample up'],
                    rows),
        '',
        'prober CPU % = run time of the prober thread / wall time (100 = one '
        'core); it includes the kernel work of both ends of the loopback '
        'TCP handshakes that runs in its system calls',
        'B/target = (RSS - RSS base) / targets; layout names = one name, pool '
        'and address per target; pools = 200 names x 50 addresses',
    ]
    summary = {}
    main_m = next((m for m in phases if m['label'] == 'tcp-names'), None)
    if qruns:
        t, ratio, ratio_w = qps_table(
            qruns, n, 'GTM QPS with and without the probes, as fast as the '
            'client goes (same knotd, switched by knotc reload, %d rounds x '
            '%d s, ABBA; dnsperf -T %d -c %d -q %d)' %
            (args.rounds, args.duration, args.threads, args.clients,
             args.outstanding))
        text += [''] + t
        summary['qps_ratio'] = ratio
        summary['qps_per_worker_cpu_ratio'] = ratio_w
    if fruns:
        t, fratio, _ = qps_table(
            fruns, n, 'the same at a fixed rate dnsperf -Q %d (%.0f %% of the '
            'QPS without probes), %d rounds' %
            (fruns[0]['rate'], 100 * args.fixed_fraction, args.fixed_rounds))
        text += [''] + t
        summary['fixed_rate_qps_ratio'] = fratio
    text.append('')
    if main_m:
        per_t = main_m['rss_per_target_bytes']
        summary.update({'prober_cpu_pct': main_m['prober_cpu_pct'],
                        'rss_per_target_bytes': per_t})
        text.append('prober < %.0f %% of one core (%d tcp targets): %.2f %%: %s'
                    % (TARGET_CPU_PCT, n, main_m['prober_cpu_pct'] or -1,
                       B.verdict(main_m['prober_cpu_pct'] is not None and
                                 main_m['prober_cpu_pct'] < TARGET_CPU_PCT)))
        text.append('RSS < 1 KiB per target: %.0f B: %s' %
                    (per_t, B.verdict(per_t < TARGET_RSS_PER_TARGET)))
    if qruns:
        text.append('QPS drop < %.0f %% with the probes: %.1f %%: %s' %
                    (100 * TARGET_QPS_DROP, 100 * (1 - summary['qps_ratio']),
                     B.verdict(1 - summary['qps_ratio'] < TARGET_QPS_DROP)))
    B.save_results(args.results, '\n'.join(text),
                   {'machine': info, 'phases': phases, 'qps_runs': qruns,
                    'fixed_rate_runs': fruns,
                    'listeners': listeners,
                    'summary': summary, 'args': vars(args)})
    return 0


if __name__ == '__main__':
    sys.exit(main())
