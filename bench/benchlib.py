"""Shared helpers of the knot-gtm benchmarks (bench/*.py).

A small launcher of its own (no dependency on tests/integration): a knotd
started in the foreground from a generated configuration in a private
temporary directory, pinned to one core, stopped by PID; the health-check
listener bench/listener.py; dnsperf runs and the parsing of their summary;
CPU and memory readings from /proc; result files under bench/results/.

Run with /usr/bin/python3 (Debian's python3-dnspython).
"""

import atexit
import datetime
import grp
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, 'results')
PY = '/usr/bin/python3'
KNOTD = os.environ.get('KNOTD', '/usr/sbin/knotd')
KNOTC = os.environ.get('KNOTC', '/usr/sbin/knotc')
DNSPERF = os.environ.get('DNSPERF', '/usr/bin/dnsperf')
BUILD_DIR = os.environ.get('BUILD_DIR', os.path.join(REPO, 'build'))

SERVER_CPU = os.environ.get('BENCH_SERVER_CPU', '0')
CLIENT_CPU = os.environ.get('BENCH_CLIENT_CPU', '1')
CLK_TCK = os.sysconf('SC_CLK_TCK')
PAGE = os.sysconf('SC_PAGE_SIZE')

ZONE = 'example.com'
ORIGINS = ['127.0.0.11', '127.0.0.12', '127.0.0.13']

# Every process this module started and has not reaped yet.
_LIVE = []
_TMPDIRS = []


def _cleanup():
    for p in list(_LIVE):
        stop_process(p)
    for d in list(_TMPDIRS):
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _sig_exit(signum, _frame):
    _cleanup()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _sig_exit)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# -- processes ---------------------------------------------------------------

def spawn(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _LIVE.append(p)
    return p


def stop_process(p, timeout=10.0):
    """SIGTERM, then SIGKILL after timeout; only our own child, by PID."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
        except ProcessLookupError:
            pass
    if p in _LIVE:
        _LIVE.remove(p)
    return p.returncode


def make_tmpdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _TMPDIRS.append(d)
    os.chmod(d, 0o755)
    return d


def remove_tmpdir(d):
    shutil.rmtree(d, ignore_errors=True)
    if d in _TMPDIRS:
        _TMPDIRS.remove(d)


def knot_user():
    """'knot:knot' and (uid, gid) when running as root and the user exists."""
    if os.geteuid() != 0:
        return None, None
    try:
        return 'knot:knot', (pwd.getpwnam('knot').pw_uid,
                             grp.getgrnam('knot').gr_gid)
    except KeyError:
        return None, None


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(('127.0.0.1', 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError('no free port')


def port_free_everywhere(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(('0.0.0.0', port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port(preferred):
    """preferred when free on 0.0.0.0 (TCP), else another free one."""
    if port_free_everywhere(preferred):
        return preferred
    for _ in range(100):
        p = free_port()
        if port_free_everywhere(p):
            return p
    raise RuntimeError('no free port')


# -- build and machine -------------------------------------------------------

def module_path(build=True):
    """The module under test: $GTM_MODULE as is, else BUILD_DIR/gtm.so
    (BUILD_DIR defaults to build/ of the checkout), built first if needed."""
    explicit = os.environ.get('GTM_MODULE')
    if explicit:
        if not os.path.isfile(explicit):
            raise SystemExit('GTM_MODULE=%s: no such file' % explicit)
        return os.path.abspath(explicit)
    so = os.path.join(BUILD_DIR, 'gtm.so')
    if build:
        if not os.path.isfile(os.path.join(BUILD_DIR, 'build.ninja')):
            subprocess.run(['meson', 'setup', BUILD_DIR], cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
        subprocess.run(['ninja', '-C', BUILD_DIR], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    if not os.path.isfile(so):
        raise SystemExit('module not built: %s' % so)
    return so


def machine_info():
    model = '?'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    knot = subprocess.run([KNOTD, '-V'], capture_output=True, text=True)
    dp = subprocess.run([DNSPERF, '-h'], capture_output=True, text=True)
    m = re.search(r'Version (\S+)', dp.stdout + dp.stderr)
    try:
        commit = subprocess.run(['git', '-C', REPO, 'rev-parse', '--short',
                                 'HEAD'], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = '?'
    return {
        'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'nproc': os.cpu_count(),
        'cpu': model,
        'kernel': os.uname().release,
        'knot': knot.stdout.strip().split('version')[-1].strip(),
        'dnsperf': m.group(1) if m else '?',
        'commit': os.environ.get('GTM_MODULE_COMMIT') or commit,
        'module': module_path(build=False),
        'loadavg': open('/proc/loadavg').read().split()[:3],
    }


def machine_line(info):
    return ('%s, nproc %s, %s, kernel %s, Knot %s, dnsperf %s, module '
            'commit %s, loadavg at start %s\nmodule: %s' %
            (info['date'], info['nproc'], info['cpu'], info['kernel'],
             info['knot'], info['dnsperf'], info['commit'],
             ' '.join(info['loadavg']), info['module']))


# -- /proc readings ----------------------------------------------------------

def _stat_fields(path):
    with open(path) as f:
        data = f.read()
    # comm may contain spaces: split after the closing parenthesis.
    rest = data[data.rindex(')') + 2:].split()
    return data[data.index('(') + 1:data.rindex(')')], rest


def proc_cpu(pid):
    """utime + stime of a whole process, in seconds."""
    _comm, f = _stat_fields('/proc/%d/stat' % pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK


def thread_cpu(pid):
    """{tid: (comm, cpu seconds)} of every thread of pid."""
    out = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            comm, f = _stat_fields('/proc/%d/task/%s/stat' % (pid, tid))
            out[int(tid)] = (comm, (int(f[11]) + int(f[12])) / CLK_TCK)
        except (OSError, ValueError):
            pass
    return out


def thread_runtime_ns(pid):
    """{tid: on-CPU time in ns} from schedstat (finer than clock ticks)."""
    out = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                out[int(tid)] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


# -- knotd -------------------------------------------------------------------

STATIC_ZONE_HEAD = """\
$ORIGIN {zone}.
$TTL 3600
@       SOA   ns1 hostmaster 1 3600 600 86400 300
@       NS    ns1
ns1     A     127.0.0.1
"""


class Knot:
    """A knotd in its own temporary directory, pinned with taskset."""

    def __init__(self, name, gtm_conf, zone_text, module=True, cpu=None,
                 udp_workers=1, log_level='info', extra_server=''):
        self.name = name
        self.dir = make_tmpdir('gtm-bench-%s-' % name)
        self.port = free_port()
        self.sock = os.path.join(self.dir, 'knot.sock')
        self.conf = os.path.join(self.dir, 'knot.conf')
        self.gtm_conf = os.path.join(self.dir, 'gtm.conf')
        self.zone_file = os.path.join(self.dir, '%s.zone' % ZONE)
        self.log_path = os.path.join(self.dir, 'knotd.log')
        self.cpu = SERVER_CPU if cpu is None else cpu
        self.proc = None
        self.module = module_path(build=False) if module else None
        user, ids = knot_user()
        with open(self.zone_file, 'w') as f:
            f.write(zone_text)
        self.write_gtm(gtm_conf)
        lines = [
            'server:',
            '    rundir: %s' % self.dir,
            '    listen: 127.0.0.1@%d' % self.port,
            '    udp-workers: %d' % udp_workers,
            '    tcp-workers: 1',
            '    background-workers: 1',
        ]
        if user:
            lines.append('    user: %s' % user)
        lines += extra_server.splitlines()
        lines += [
            'control:',
            '    listen: %s' % self.sock,
            '    timeout: 120',
            'log:',
            '  - target: stderr',
            '    any: %s' % log_level,
            'database:',
            '    storage: %s' % os.path.join(self.dir, 'db'),
        ]
        if self.module:
            lines += [
                'module:',
                '  - id: mod-gtm',
                '    file: %s' % self.module,
                'mod-gtm:',
                '  - id: default',
                '    config-file: %s' % self.gtm_conf,
            ]
        lines += [
            'template:',
            '  - id: default',
            '    storage: %s' % self.dir,
            '    zonefile-sync: -1',
            '    journal-content: none',
            'zone:',
            '  - domain: %s' % ZONE,
            '    file: %s' % self.zone_file,
        ]
        if self.module:
            lines.append('    module: mod-gtm/default')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        if ids:
            for root, dirs, files in os.walk(self.dir):
                for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(n, *ids)

    def write_gtm(self, text):
        tmp = self.gtm_conf + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.gtm_conf)

    @property
    def pid(self):
        return self.proc.pid

    def start(self, timeout=120.0):
        self.logf = open(self.log_path, 'wb')
        self.proc = spawn(['taskset', '-c', self.cpu, KNOTD, '-c', self.conf],
                          stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('knotd exited (%s), log:\n%s' %
                                   (self.proc.returncode, self.log_tail()))
            r = query('127.0.0.1', self.port, ZONE, 'SOA', timeout=0.5)
            if r is not None and r.rcode() == dns.rcode.NOERROR and r.answer:
                return self
            time.sleep(0.1)
        raise RuntimeError('knotd not ready in %ss, log:\n%s' %
                           (timeout, self.log_tail()))

    def knotc(self, *args, timeout=120.0):
        return subprocess.run([KNOTC, '-s', self.sock, '-t', '110'] +
                              list(args), capture_output=True, text=True,
                              timeout=timeout)

    def log_text(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def log_tail(self, n=30):
        return '\n'.join(self.log_text().splitlines()[-n:])

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc, timeout=30.0)
            self.logf.close()
            self.proc = None

    def cleanup(self):
        self.stop()
        remove_tmpdir(self.dir)


def query(server, port, name, rdtype='A', timeout=1.0):
    q = dns.message.make_query(name, dns.rdatatype.from_text(rdtype))
    q.flags &= ~dns.flags.RD
    try:
        return dns.query.udp(q, server, port=port, timeout=timeout)
    except Exception:
        return None


def answer_addrs(r):
    if r is None:
        return None
    out = []
    for rr in r.answer:
        if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            out += [x.address for x in rr]
    return sorted(out)


def is_gtm_answer(r, expect):
    """AA NOERROR with exactly the address expect."""
    return (r is not None and r.rcode() == dns.rcode.NOERROR and
            bool(r.flags & dns.flags.AA) and answer_addrs(r) == [expect])


def mod_stats(knot):
    """{'first': n, ...} from knotc zone-stats ZONE mod-gtm."""
    r = knot.knotc('zone-stats', ZONE, 'mod-gtm')
    out = {}
    for m in re.finditer(r'answers\[([\w-]+)\]\s*=\s*(\d+)', r.stdout):
        out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


# -- listener ----------------------------------------------------------------

class Listener:
    """bench/listener.py in its own process, pinned to the client core."""

    def __init__(self, mode, binds, port, duration, cpu=None):
        self.dir = make_tmpdir('gtm-bench-listener-')
        ready = os.path.join(self.dir, 'ready')
        self.out_path = os.path.join(self.dir, 'out')
        self.stats_path = os.path.join(self.dir, 'stats')
        self.out = open(self.out_path, 'wb')
        argv = ['taskset', '-c', CLIENT_CPU if cpu is None else cpu, PY,
                os.path.join(BENCH, 'listener.py'), '--mode', mode,
                '--port', str(port), '--duration', str(int(duration)),
                '--ready-file', ready, '--stats-file', self.stats_path]
        for b in binds:
            argv += ['--bind', b]
        self.proc = spawn(argv, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('listener failed: %s' %
                                   open(self.out_path).read())
            time.sleep(0.05)
        self.port = port

    @property
    def pid(self):
        return self.proc.pid

    def stats(self):
        """Running counts (updated every second) with this process's CPU."""
        try:
            with open(self.stats_path) as f:
                st = json.load(f)
        except (OSError, ValueError):
            st = {'accepted': 0, 'answered': 0}
        try:
            st['cpu_now'] = proc_cpu(self.proc.pid)
        except OSError:
            pass
        return st

    def stop(self):
        """Stops it and returns its JSON summary (or {})."""
        stop_process(self.proc)
        self.out.close()
        stats = {}
        try:
            for line in open(self.out_path):
                if line.startswith('{'):
                    stats = json.loads(line)
        except (OSError, ValueError):
            pass
        remove_tmpdir(self.dir)
        return stats


# -- dnsperf -----------------------------------------------------------------

def write_queryfile(path, names, rdtype='A', count=None, shuffle=False,
                    seed=1):
    """One 'name TYPE' line per query; count lines drawn at random when
    shuffle (dnsperf reads the file in order and loops)."""
    rnd = random.Random(seed)
    with open(path, 'w') as f:
        if shuffle:
            for _ in range(count or len(names)):
                f.write('%s %s\n' % (rnd.choice(names), rdtype))
        else:
            for n in names:
                f.write('%s %s\n' % (n, rdtype))
    return path


def parse_dnsperf(text):
    res = {'raw': text}
    pats = {
        'sent': r'Queries sent:\s+(\d+)',
        'completed': r'Queries completed:\s+(\d+)',
        'lost': r'Queries lost:\s+(\d+)',
        'interrupted': r'Queries interrupted:\s+(\d+)',
        'qps': r'Queries per second:\s+([\d.]+)',
        'run_time': r'Run time \(s\):\s+([\d.]+)',
        'latency_avg': r'Average Latency \(s\):\s+([\d.]+)',
        'latency_sd': r'Latency StdDev \(s\):\s+([\d.]+)',
    }
    for k, p in pats.items():
        m = re.search(p, text)
        if m:
            res[k] = float(m.group(1)) if '.' in m.group(1) else int(m.group(1))
    res.setdefault('lost', 0)
    res.setdefault('interrupted', 0)
    rc = {}
    m = re.search(r'Response codes:\s+(.*)', text)
    if m:
        for part in m.group(1).split(','):
            mm = re.match(r'\s*(\w+)\s+(\d+)', part)
            if mm:
                rc[mm.group(1)] = int(mm.group(2))
    res['rcodes'] = rc
    return res


def pin_self():
    """Pins this orchestrating process to the client core."""
    try:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    except (OSError, ValueError):
        pass


def dnsperf_start(port, queryfile, duration, clients=4, outstanding=200,
                  qps=None, timeout=2, cpu=None, threads=1, extra=()):
    argv = ['taskset', '-c', CLIENT_CPU if cpu is None else cpu, DNSPERF,
            '-s', '127.0.0.1', '-p', str(port), '-d', queryfile,
            '-l', str(duration), '-c', str(clients), '-T', str(threads),
            '-q', str(outstanding), '-t', str(timeout)]
    if qps:
        argv += ['-Q', str(qps)]
    argv += list(extra)
    p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
              text=True)
    p.bench_argv = argv
    p.bench_limit = duration + timeout + 60
    return p


def dnsperf_finish(p):
    try:
        out, _ = p.communicate(timeout=p.bench_limit)
    finally:
        stop_process(p)
    res = parse_dnsperf(out)
    res['argv'] = ' '.join(p.bench_argv[3:])
    res['timeouts_logged'] = out.count('[Timeout]')
    del res['raw']
    if 'qps' not in res:
        raise RuntimeError('dnsperf failed:\n%s' % out[-3000:])
    return res


def dnsperf(port, queryfile, duration, **kw):
    return dnsperf_finish(dnsperf_start(port, queryfile, duration, **kw))


# -- data files --------------------------------------------------------------

def origins_conf(port, interval='1s', names=(('gtm', 'o123'),),
                 check_type='http'):
    """Checks and pools on the loopback origins and the given names."""
    lines = ['check:', '  - id: web', '    type: %s' % check_type,
             '    port: %d' % port]
    if check_type == 'http':
        lines += ['    path: /health']
    lines += ['    interval: %s' % interval, '    rise: 2', '    fall: 3', '',
              'pool:']
    o = ORIGINS
    for pid, order in (('o123', o), ('o231', o[1:] + o[:1]),
                       ('o312', o[2:] + o[:2])):
        lines += ['  - id: %s' % pid,
                  '    address: [ %s ]' % ', '.join(order),
                  '    check: web']
    lines += ['', 'name:']
    for name, pool in names:
        lines += ['  - id: %s' % name, '    pool: [ %s ]' % pool,
                  '    ttl: 30']
    return '\n'.join(lines) + '\n'


# -- statistics and results --------------------------------------------------

def median(xs):
    return statistics.median(xs) if xs else float('nan')


def fmt_table(headers, rows):
    cols = [[str(h)] + [str(r[i]) for r in rows] for i, h in enumerate(headers)]
    widths = [max(len(c) for c in col) for col in cols]
    out = ['  '.join(str(h).ljust(w) for h, w in zip(headers, widths)),
           '  '.join('-' * w for w in widths)]
    for r in rows:
        out.append('  '.join(str(c).rjust(w) if isinstance(c, (int, float))
                             or re.match(r'^[\d.,x%+-]+$', str(c))
                             else str(c).ljust(w) for c, w in zip(r, widths)))
    return '\n'.join(out)


def save_results(name, text, data):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name + '.txt'), 'w') as f:
        f.write(text.rstrip('\n') + '\n')
    with open(os.path.join(RESULTS, name + '.json'), 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True, default=str)
        f.write('\n')
    print(text.rstrip('\n'))
    log('results: %s/%s.{txt,json}' % (os.path.relpath(RESULTS), name))


def verdict(ok):
    return 'met' if ok else 'MISSED'


# -- CPU quota (cgroup v1 cpu controller, or v2) ---------------------------

class CpuQuota:
    """Limits a process (all its threads) to pct % of one CPU with a CFS
    quota, so that the server and not the load generator is the
    bottleneck.  Removed (processes moved back, group deleted) by close()."""

    V1 = '/sys/fs/cgroup/cpu'
    V2 = '/sys/fs/cgroup'

    def __init__(self, pid, pct, period_us=100000):
        self.path = None
        quota = int(period_us * pct / 100.0)
        name = 'gtm-bench-%d' % os.getpid()
        if os.path.isfile(os.path.join(self.V1, 'cpu.cfs_quota_us')):
            self.root = self.V1
            self.path = os.path.join(self.V1, name)
            os.mkdir(self.path)
            self._write('cpu.cfs_period_us', str(period_us))
            self._write('cpu.cfs_quota_us', str(quota))
        elif os.path.isfile(os.path.join(self.V2, 'cgroup.controllers')):
            self.root = self.V2
            self.path = os.path.join(self.V2, name)
            os.mkdir(self.path)
            self._write('cpu.max', '%d %d' % (quota, period_us))
        else:
            raise OSError('no cgroup cpu controller')
        self._write('cgroup.procs', str(pid))

    def _write(self, f, v):
        with open(os.path.join(self.path, f), 'w') as fh:
            fh.write(v)

    def close(self):
        if not self.path:
            return
        try:
            with open(os.path.join(self.path, 'cgroup.procs')) as fh:
                pids = fh.read().split()
            for p in pids:
                try:
                    with open(os.path.join(self.root, 'cgroup.procs'),
                              'w') as fh:
                        fh.write(p)
                except OSError:
                    pass
        except OSError:
            pass
        for _ in range(50):
            try:
                os.rmdir(self.path)
                break
            except OSError:
                time.sleep(0.1)
        self.path = None


# -- the prober thread -------------------------------------------------------

def _epoll_watches_eventfd(pid, epfd):
    try:
        with open('/proc/%d/fdinfo/%d' % (pid, epfd)) as f:
            tfds = [int(m.group(1)) for m in
                    re.finditer(r'^tfd:\s+(\d+)', f.read(), re.M)]
    except OSError:
        return False
    for fd in tfds:
        try:
            if os.readlink('/proc/%d/fd/%d' % (pid, fd)) == \
                    'anon_inode:[eventfd]':
                return True
        except OSError:
            pass
    return False


def find_prober_tid(pid, attempts=200):
    """TID of the mod-gtm prober thread.

    knotd names none of its threads, so the prober is recognised by what it
    waits in: epoll_wait() with maxevents 256 (MAX_EVENTS in prober.c) on an
    epoll set that watches an eventfd (its wake-up fd).  A busy thread shows
    no system call, so the threads are sampled up to `attempts` times."""
    for _ in range(attempts):
        for tid in sorted(int(t) for t in os.listdir('/proc/%d/task' % pid)):
            try:
                with open('/proc/%d/task/%d/syscall' % (pid, tid)) as f:
                    sc = f.read().split()
            except OSError:
                continue
            if len(sc) >= 4 and sc[0] in ('232', '281') and \
                    int(sc[3], 16) == 256 and \
                    _epoll_watches_eventfd(pid, int(sc[1], 16)):
                return tid
        time.sleep(0.01)
    return None
