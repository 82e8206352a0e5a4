#!/usr/bin/python3
"""Profiles behind the figures that miss their targets (perf, linux-perf).

  bench/profile.py reload  [--names 10000]    perf record -g of knotd during
                                              one 'knotc reload'
  bench/profile.py prober  [--targets 10000]  perf record -g of the prober
                                              thread for --seconds (TCP check)
  bench/profile.py memory  [--targets 10000]  gdb: prober state (probe objects
                                              kept in the pool) + struct sizes

Each writes bench/results/profile-MODE.txt: the hottest symbols (self time)
and, for the module's own functions and the system calls, the inclusive
time (children).  Setup as in scale.py/reload.py (same pinning).
"""

import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import reload as R  # noqa: E402
import scale as S  # noqa: E402

INTERESTING = re.compile(r'gtm|probe|heap|table|entry|conf_|registry|id_exists|'
                         r'resolve_refs|name_pool|add_item|'
                         r'prober|snapshot|sys_(connect|close|socket|epoll)|'
                         r'knot_dname|yp_|strcmp|malloc|free|calloc|'
                         r'zone_|module|conf_mod|rcu')


def perf_report(data, limit=40):
    def rep(children):
        argv = ['perf', 'report', '-i', data, '--stdio', '--sort', 'dso,sym',
                '--children' if children else '--no-children']
        out = subprocess.run(argv, capture_output=True, text=True).stdout
        return [line for line in out.splitlines()
                if re.match(r'^\s+\d+\.\d+%', line)]
    self_lines = rep(False)[:limit]
    child = [line for line in rep(True) if INTERESTING.search(line)][:limit]
    return self_lines, child


def perf_record(target_args, data, seconds=None, during=None):
    argv = ['perf', 'record', '--call-graph', 'dwarf,16384', '-F', '499',
            '-o', data] + target_args
    if seconds:
        argv += ['--', 'sleep', str(seconds)]
        subprocess.run(argv, capture_output=True)
        return None
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    B._LIVE.append(p)
    time.sleep(1.0)
    try:
        result = during()
    finally:
        B.stop_process(p, timeout=30)   # SIGTERM: perf writes its data file
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('mode', choices=('reload', 'prober', 'memory'))
    ap.add_argument('--names', type=int, default=10000)
    ap.add_argument('--targets', type=int, default=10000)
    ap.add_argument('--seconds', type=int, default=10)
    args = ap.parse_args()
    B.module_path()
    info = B.machine_info()
    B.pin_self()
    oport, pport = B.pick_port(18080), B.pick_port(18090)
    origins = B.Listener('http', B.ORIGINS, oport, 1800)
    probes = B.Listener('tcp', ['0.0.0.0'], pport, 1800)
    base = B.origins_conf(oport)
    tmp = B.make_tmpdir('gtm-bench-perf-')
    data = os.path.join(tmp, 'perf.data')
    text = ['Profile: %s' % args.mode, 'machine: ' + B.machine_line(info), '']
    knot = None
    try:
        if args.mode == 'reload':
            datas = [R.data_file(base, args.names, pport, m)[0]
                     for m in R.MARKERS]
            knot = B.Knot('perf', datas[0], R.zone_text(0)).start(timeout=600)
            time.sleep(3)
            state = {'flip': 0}
            ms = perf_record(['-p', str(knot.pid)], data,
                             during=lambda: R.do_reload(knot, datas, state))
            text.append('one knotc reload with %d names: %.0f ms (knotc), '
                        'effective after %.0f ms' % (args.names, ms[0], ms[1]))
        else:
            d, _names = S.targets_conf(base, args.targets, pport, 'tcp',
                                       'names')
            knot = B.Knot('perf', d, S.zone_text()).start(timeout=600)
            time.sleep(5)
            tid = B.find_prober_tid(knot.pid)
            if args.mode == 'prober':
                perf_record(['-t', str(tid)], data, seconds=args.seconds)
                text.append('prober thread %s, %d TCP targets at 1s, %d s' %
                            (tid, args.targets, args.seconds))
            else:
                exprs = ['gtm_reg.probe_pool_len', 'gtm_reg.inflight',
                         'gtm_reg.target_count', 'gtm_reg.slot_cap',
                         'sizeof(gtm_probe_t)', 'sizeof(gtm_target_t)',
                         'sizeof(gtm_ref_t)', 'sizeof(gtm_entry_t)',
                         'sizeof(gtm_addr_t)', 'sizeof(gtm_pool_t)',
                         'sizeof(gtm_name_t)']
                argv = ['gdb', '-batch', '-p', str(knot.pid)]
                for e in exprs:
                    argv += ['-ex', 'printf "%s = %%lu\\n", (unsigned long)(%s)'
                             % (e, e)]
                out = subprocess.run(argv, capture_output=True, text=True,
                                     timeout=120).stdout
                text += [line for line in out.splitlines() if ' = ' in line]
                text.append('RSS %d KiB with %d targets' %
                            (B.rss_kib(knot.pid), args.targets))
    finally:
        if knot:
            knot.cleanup()
        probes.stop()
        origins.stop()
    if args.mode != 'memory':
        self_lines, child = perf_report(data)
        text += ['', 'self time (top):'] + self_lines
        text += ['', 'inclusive time (children) of module functions and '
                 'system calls:'] + child
    B.remove_tmpdir(tmp)
    B.save_results('profile-%s' % args.mode, '\n'.join(text),
                   {'machine': info, 'text': text})
    return 0


if __name__ == '__main__':
    sys.exit(main())
