"""Integration test harness for mod-gtm: knotd + origins + DNS helpers.

Everything runs on loopback.  knotd is started in the foreground from a
generated configuration in a private temporary directory and stopped by PID.
Run with /usr/bin/python3 (needs Debian's python3-dnspython).
"""

import atexit
import os
import pwd
import grp
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from origins import Origin, OriginSet, free_port, ipv6_usable  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

KNOTD = os.environ.get('KNOTD', '/usr/sbin/knotd')
KNOTC = os.environ.get('KNOTC', '/usr/sbin/knotc')

# Set by run.py (--module) or the GTM_MODULE environment variable.
MODULE = os.environ.get('GTM_MODULE') or None
KEEP_TMP = bool(os.environ.get('GTM_KEEP_TMP'))

# Loopback addresses of the test origins.
O1, O2, O3 = '127.0.0.11', '127.0.0.12', '127.0.0.13'
O6 = '::1'
BLACKHOLE = '127.0.0.99'

# Static records of the test zones (what answers when the module does not).
STATIC_A = '198.51.100.1'
STATIC_AAAA = '2001:db8::99'

EXAMPLE_COM_ZONE = """\
$ORIGIN example.com.
$TTL 3600
@       SOA   ns1 hostmaster 1 3600 600 86400 300
@       NS    ns1
@       A     198.51.100.10
@       MX    10 mail
ns1     A     127.0.0.1
mail    A     198.51.100.7
www     A     198.51.100.2
www     AAAA  2001:db8::2
gtm     A     198.51.100.1
gtm     AAAA  2001:db8::99
gtm     TXT   "static"
gtm2    A     198.51.100.3
gtm2    AAAA  2001:db8::93
gtmall  A     198.51.100.4
gtmall  AAAA  2001:db8::94
v4only  A     198.51.100.5
v4only  AAAA  2001:db8::95
abs     A     198.51.100.6
first   A     198.51.100.8
nocheck A     198.51.100.9
multi   A     198.51.100.11
tcp     A     198.51.100.12
"""

EXAMPLE_NET_ZONE = """\
$ORIGIN example.net.
$TTL 3600
@       SOA   ns1 hostmaster 1 3600 600 86400 300
@       NS    ns1
ns1     A     127.0.0.1
gtm     A     203.0.113.1
gtm     AAAA  2001:db8:1::1
"""

# Every process any Knot instance started, for emergency cleanup.
_LIVE = set()
_LIVE_LOCK = threading.Lock()


def emergency_cleanup():
    """Kill every knotd still running that this harness started."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        try:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        except Exception:
            pass


atexit.register(emergency_cleanup)


def is_root():
    return os.geteuid() == 0


def knot_ids():
    """(uid, gid) of user knot, or None."""
    try:
        return pwd.getpwnam('knot').pw_uid, grp.getgrnam('knot').gr_gid
    except KeyError:
        return None


def find_module(explicit=None):
    cands = [explicit, MODULE, os.path.join(REPO, 'build', 'gtm.so')]
    for c in cands:
        if c and os.path.isfile(c):
            return os.path.abspath(c)
    return None


# -- timing helpers ----------------------------------------------------------

def wait_for(pred, timeout, interval=0.02):
    """Poll pred() until truthy or timeout; return (ok, last value)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return True, last
        if time.monotonic() >= deadline:
            return False, last
        time.sleep(interval)


def parse_duration(s):
    s = str(s)
    if s.endswith('ms'):
        return int(s[:-2]) / 1000.0
    if s.endswith('s'):
        return float(s[:-1])
    if s.endswith('m'):
        return float(s[:-1]) * 60
    return float(s)


# -- DNS answers ---------------------------------------------------------------

class Answer:
    """Summary of a DNS response for (name, type)."""

    def __init__(self, rcode, aa=False, records=(), ttl=None, error=None,
                 raw=None):
        self.rcode = rcode            # 'NOERROR', 'NXDOMAIN', ..., 'TIMEOUT'
        self.aa = aa
        self.order = tuple(records)   # in wire order
        self.records = tuple(sorted(records))
        self.ttl = ttl
        self.error = error
        self.raw = raw

    @property
    def ok(self):
        return self.error is None

    def __eq__(self, other):
        if isinstance(other, (list, tuple)):
            return self.rcode == 'NOERROR' and self.records == tuple(
                sorted(other))
        return NotImplemented

    def __repr__(self):
        if self.error:
            return '<%s %s>' % (self.rcode, self.error)
        return '<%s%s %s ttl=%s>' % (self.rcode, ' aa' if self.aa else '',
                                     list(self.order), self.ttl)


def query(server, port, name, rdtype='A', tcp=False, timeout=1.0):
    rdtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) \
        else rdtype
    q = dns.message.make_query(name, rdtype)
    q.flags &= ~dns.flags.RD
    try:
        if tcp:
            r = dns.query.tcp(q, server, port=port, timeout=timeout)
        else:
            r = dns.query.udp(q, server, port=port, timeout=timeout)
    except dns.exception.Timeout:
        return Answer('TIMEOUT', error='timeout')
    except Exception as e:  # connection refused, malformed, ...
        return Answer('ERROR', error='%s: %s' % (type(e).__name__, e))
    recs = []
    ttl = None
    qname = dns.name.from_text(name)
    for rrset in r.answer:
        if rrset.rdtype == rdtype and rrset.name == qname:
            recs.extend(rd.to_text() for rd in rrset)
            ttl = rrset.ttl if ttl is None else min(ttl, rrset.ttl)
    return Answer(dns.rcode.to_text(r.rcode()),
                  aa=bool(r.flags & dns.flags.AA), records=recs, ttl=ttl,
                  raw=r)


def query_msg(server, port, name, rdtype='A', ecs=None, timeout=1.0):
    """One UDP query (EDNS, RD clear, optional ECS 'ADDR/PREFIX'); the
    response message, or None if none came within `timeout` (one retry)."""
    import dns.edns
    opts = []
    if ecs is not None:
        addr, plen = ecs.split('/')
        opts.append(dns.edns.ECSOption(addr, int(plen)))
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232,
                               options=opts)
    q.flags &= ~dns.flags.RD
    for _ in range(2):
        try:
            return dns.query.udp(q, server, port=port, timeout=timeout)
        except dns.exception.Timeout:
            continue
    return None


def rrsets(section):
    """A message section as [(owner, type, (rdata, ...)), ...] in wire
    order: owner lower case without the final dot, rdata sorted."""
    return [(rr.name.to_text(omit_final_dot=True).lower(),
             dns.rdatatype.to_text(rr.rdtype),
             tuple(sorted(rd.to_text() for rd in rr))) for rr in section]


# -- operations files (state file, Prometheus textfile) ---------------------

def read_json(path):
    """(text, parsed object) of a JSON file; (text or None, None) when it
    is missing or does not parse."""
    import json
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None, None
    try:
        return text, json.loads(text)
    except ValueError:
        return text, None


_PROM_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)'
                        r'(\s+-?\d+)?$')
_PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


def parse_prometheus(text):
    """Samples of a Prometheus text exposition: [(name, {label: value},
    float)]; comments skipped.  Raises ValueError on a malformed line."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        m = _PROM_LINE.match(line)
        if not m:
            raise ValueError('bad sample line %r' % line)
        labels = {}
        body = m.group(3) or ''
        pos = 0
        while pos < len(body):
            lm = _PROM_LABEL.match(body, pos)
            if not lm:
                raise ValueError('bad labels in %r' % line)
            labels[lm.group(1)] = re.sub(
                r'\\(.)', lambda c: '\n' if c.group(1) == 'n'
                else c.group(1), lm.group(2))
            pos = lm.end()
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def prom_values(samples, metric, /, **labels):
    """Values of the samples of `metric` whose labels include `labels`."""
    return [v for n, lab, v in samples if n == metric and
            all(lab.get(k) == str(want) for k, want in labels.items())]


# -- configuration builders ----------------------------------------------------

def yaml_list(items):
    return '[ ' + ', '.join(str(i) for i in items) + ' ]'


def check_block(id='web', type='http', port=None, path='/health',
                host='origin.example.com', expect='200-399', interval='200ms',
                timeout='200ms', rise=1, fall=1, **extra):
    lines = ['  - id: %s' % id, '    type: %s' % type, '    port: %d' % port]
    if type in ('http', 'https'):
        if path is not None:
            lines.append('    path: %s' % path)
        if host is not None:
            lines.append('    host: %s' % host)
        if expect is not None:
            lines.append('    expect: %s' % expect)
    for k, v in (('interval', interval), ('timeout', timeout), ('rise', rise),
                 ('fall', fall)):
        if v is not None:
            lines.append('    %s: %s' % (k, v))
    for k, v in extra.items():
        lines.append('    %s: %s' % (k.replace('_', '-'), v))
    return '\n'.join(lines)


def pool_block(id, addresses, check='web'):
    lines = ['  - id: %s' % id, '    address: %s' % yaml_list(addresses)]
    if check:
        lines.append('    check: %s' % check)
    return '\n'.join(lines)


def name_block(id, pools, ttl=30, all_down='static', enabled=None):
    lines = ['  - id: "%s"' % id if id == '@' else '  - id: %s' % id,
             '    pool: %s' % yaml_list(pools), '    ttl: %d' % ttl,
             '    all-down: %s' % all_down]
    if enabled is not None:
        lines.append('    enabled: %s' % ('on' if enabled else 'off'))
    return '\n'.join(lines)


def gtm_conf(checks, pools, names):
    out = []
    if checks:
        out.append('check:\n' + '\n'.join(checks))
    out.append('pool:\n' + '\n'.join(pools))
    out.append('name:\n' + '\n'.join(names))
    return '\n\n'.join(out) + '\n'


# -- knotd ---------------------------------------------------------------------

class Knot:
    """One knotd instance in its own temporary directory."""

    def __init__(self, workdir, module=None):
        self.dir = workdir
        self.module = module
        self.port = None
        self.proc = None
        self.conf_path = os.path.join(workdir, 'knot.conf')
        self.log_path = os.path.join(workdir, 'knot.log')
        self.stderr_path = os.path.join(workdir, 'knotd.stderr')
        self.instances = {}
        self.zones = []
        self._stderr = None

    # files

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        """Write a file in the work dir (readable by knotd's user)."""
        p = self.path(name)
        tmp = p + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        self._own(tmp)
        os.replace(tmp, p)
        return p

    def _own(self, p):
        if is_root() and knot_ids():
            uid, gid = knot_ids()
            os.chown(p, uid, gid)

    def configure(self, zones=(('example.com', 'default'),),
                  instances=None, port=None, extra='', server_extra=''):
        """Write knot.conf.

        zones: (domain, module instance id or None)
        instances: {id: {'config-file': path, 'enabled': bool or None,
                         other mod-gtm option: value (None: left out)}}
        server_extra: more lines of the server section, indented by 4
        spaces (e.g. '    edns-client-subnet: on\n')
        """
        if self.port is None:
            self.port = port or free_port(['127.0.0.1'], udp_too=True)
        self.zones = list(zones)
        self.instances = dict(instances or {})
        d = self.dir
        for sub in ('db',):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            self._own(os.path.join(d, sub))
        c = []
        c.append(textwrap.dedent("""\
            server:
                rundir: {d}
                listen: 127.0.0.1@{port}
                pidfile: {d}/knot.pid
                background-workers: 1
                udp-workers: 2
                tcp-workers: 2
            """).format(d=d, port=self.port))
        c.append(server_extra)
        if is_root() and knot_ids():
            c.append('    user: knot:knot\n')
        c.append(textwrap.dedent("""\
            control:
                listen: {d}/knot.sock
                timeout: 30

            log:
              - target: {d}/knot.log
                any: info
              - target: stderr
                any: info

            database:
                storage: {d}/db

            """).format(d=d))
        if self.module and self.instances:
            c.append('module:\n  - id: mod-gtm\n    file: %s\n\n'
                     % self._module_copy())
            c.append('mod-gtm:\n')
            for iid, opts in self.instances.items():
                c.append('  - id: %s\n' % iid)
                c.append('    config-file: %s\n' % opts['config-file'])
                if opts.get('enabled') is not None:
                    c.append('    enabled: %s\n'
                             % ('on' if opts['enabled'] else 'off'))
                for key, value in opts.items():   # e.g. 'geodb-file'
                    if key not in ('config-file', 'enabled') and \
                            value is not None:
                        c.append('    %s: %s\n' % (key, value))
            c.append('\n')
        c.append(textwrap.dedent("""\
            template:
              - id: default
                storage: {d}
                zonefile-sync: -1
                zonefile-load: whole
                journal-content: none
                semantic-checks: off

            zone:
            """).format(d=d))
        for domain, inst in self.zones:
            c.append('  - domain: %s\n' % domain)
            c.append('    file: %s/%s.zone\n' % (d, domain))
            if inst:
                c.append('    module: mod-gtm/%s\n' % inst)
        c.append(extra)
        self.write('knot.conf', ''.join(c))
        for domain, _ in self.zones:
            if not os.path.exists(self.path(domain + '.zone')):
                text = {'example.com': EXAMPLE_COM_ZONE,
                        'example.net': EXAMPLE_NET_ZONE}.get(domain)
                if text is None:
                    text = EXAMPLE_COM_ZONE.replace('example.com', domain)
                self.write(domain + '.zone', text)
        return self.conf_path

    def _module_copy(self):
        """knotd (re)loads the module as user knot on reload: use a copy in
        the work dir, readable whatever the checkout's permissions."""
        dst = self.path('gtm.so')
        if not os.path.exists(dst):
            shutil.copyfile(self.module, dst + '.tmp')
            os.chmod(dst + '.tmp', 0o755)
            self._own(dst + '.tmp')
            os.replace(dst + '.tmp', dst)
        return dst

    # process

    def start(self, timeout=15.0, expect_fail=False):
        """Start knotd; wait until it answers (or, expect_fail, exits)."""
        assert self.proc is None
        self._log_offset_start = self._log_size()
        self._stderr = open(self.stderr_path, 'ab')
        self.proc = subprocess.Popen([KNOTD, '-c', self.conf_path],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self._stderr,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        with _LIVE_LOCK:
            _LIVE.add(self.proc)
        if expect_fail:
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return None           # still running: caller fails the test
            self._reap()
            return rc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self._reap()
                raise RuntimeError('knotd exited with %s during startup:\n%s'
                                   % (rc, self.stderr_tail()))
            a = self.query('example.com', 'SOA', timeout=0.3)
            if a.rcode == 'NOERROR' and a.records:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('knotd did not answer within %.0fs:\n%s'
                           % (timeout, self.stderr_tail()))

    def stop(self, timeout=10.0):
        p = self.proc
        if p is None:
            return None
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self._reap()
        return p.returncode

    def _reap(self):
        with _LIVE_LOCK:
            _LIVE.discard(self.proc)
        self.proc = None
        if self._stderr:
            self._stderr.close()
            self._stderr = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # control

    def knotc(self, *args, timeout=60.0, force=False, socket=False):
        """Run knotc.  By default with -c knot.conf: knotc then parses
        (and checks) the configuration itself before sending the command;
        socket=True uses -s knot.sock so only knotd reads the files."""
        if socket:
            cmd = [KNOTC, '-s', self.path('knot.sock'), '-t', '30']
        else:
            cmd = [KNOTC, '-c', self.conf_path, '-t', '30']
        if force:
            cmd.append('-f')
        cmd += list(args)
        return subprocess.run(cmd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)

    # queries

    def query(self, name, rdtype='A', tcp=False, timeout=1.0):
        return query('127.0.0.1', self.port, name, rdtype, tcp=tcp,
                     timeout=timeout)

    def query_msg(self, name, rdtype='A', ecs=None, timeout=1.0):
        """The whole response (dns.message.Message), or None when lost;
        ecs: 'ADDR/PREFIX' sent as EDNS Client Subnet."""
        return query_msg('127.0.0.1', self.port, name, rdtype, ecs=ecs,
                         timeout=timeout)

    def zone_counters(self, zone='example.com'):
        """Every mod-gtm counter of a zone: {'answers[first]': N,
        'name[gtm.example.com.]': N, ...} (absent: 0; a counter with a
        single index is printed by Knot without it: 'watchdog')."""
        r = self.knotc('zone-stats', zone, 'mod-gtm', socket=True)
        out = {}
        for m in re.finditer(r'mod-gtm\.(\S+)\s*=\s*(\d+)', r.stdout):
            out[m.group(1)] = int(m.group(2))
        return out

    def zone_stats(self, zone='example.com'):
        """mod-gtm counters of a zone: {'first': N, ...} (absent: 0)."""
        r = self.knotc('zone-stats', zone, 'mod-gtm', socket=True)
        out = {}
        for m in re.finditer(r'answers\[([a-z-]+)\]\s*=\s*(\d+)', r.stdout):
            out[m.group(1)] = int(m.group(2))
        return out

    # logs

    def _log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def log_tail(self, n=40):
        return '\n'.join(self.log().splitlines()[-n:])

    def stderr_tail(self, n=40):
        try:
            with open(self.stderr_path, errors='replace') as f:
                return '\n'.join(f.read().splitlines()[-n:])
        except OSError:
            return ''

    def log_search(self, pattern):
        return [l for l in self.log().splitlines() if re.search(pattern, l)]


class QueryLoop(threading.Thread):
    """Query (name, type) every `period` seconds in the background."""

    def __init__(self, knot, name, rdtype='A', period=0.005, limit=60.0,
                 timeout=2.0):
        super().__init__(daemon=True)
        self.knot = knot
        self.name = name
        self.rdtype = rdtype
        self.period = period
        self.limit = limit
        self.timeout = timeout
        self.results = []
        self._stop_evt = threading.Event()

    def run(self):
        end = time.monotonic() + self.limit
        while not self._stop_evt.is_set() and time.monotonic() < end:
            t = time.monotonic()
            self.results.append((t, self.knot.query(self.name, self.rdtype,
                                                    timeout=self.timeout)))
            time.sleep(self.period)

    def stop(self):
        self._stop_evt.set()
        self.join(10)
        return self.results

    def bad(self, expected):
        return [(t, a) for t, a in self.results if not a == expected]


# -- test case base ------------------------------------------------------------

class GtmTestCase(unittest.TestCase):
    """Base class: temp dir, origins, knotd with mod-gtm, assertions."""

    needs_module = True
    maxDiff = None

    def shortDescription(self):
        return None            # report test ids, not docstrings

    def setUp(self):
        if self.needs_module and not find_module():
            self.skipTest('gtm.so not found (build first or pass --module)')
        self.module = find_module()
        self.tmp = tempfile.mkdtemp(prefix='gtm-it-')
        if is_root() and knot_ids():
            os.chown(self.tmp, *knot_ids())
        self.addCleanup(self._rm_tmp)
        self.knot = None
        self.origins = None
        self.oport = None

    def _rm_tmp(self):
        if KEEP_TMP:
            print('\n  [kept %s]' % self.tmp)
            return
        shutil.rmtree(self.tmp, ignore_errors=True)

    # origins

    def start_origins(self, addrs=(O1, O2, O3), port=None):
        self.oport = port or free_port(list(addrs))
        self.origins = OriginSet(list(addrs), self.oport).start()
        self.addCleanup(self.origins.stop)
        return self.origins

    # knotd

    def new_knot(self):
        k = Knot(self.tmp, module=self.module)
        self.addCleanup(k.stop)
        return k

    def start_gtm(self, conf_text, instances=None,
                  zones=(('example.com', 'default'),), enabled=None,
                  start=True, server_extra='', options=None):
        """Write gtm.conf and knot.conf, start knotd; return Knot.
        options: further mod-gtm options of the default instance
        (e.g. {'state-file': path})."""
        k = self.new_knot()
        cfg = k.write('gtm.conf', conf_text)
        if instances is None:
            instances = {'default': {'config-file': cfg, 'enabled': enabled}}
            instances['default'].update(options or {})
        k.configure(zones=zones, instances=instances,
                    server_extra=server_extra)
        self.knot = k
        if start:
            k.start()
        return k

    def simple_conf(self, addrs=(O1, O2, O3), name='gtm', ttl=30,
                    all_down='static', extra_names=(), **check_args):
        return gtm_conf([check_block(port=self.oport, **check_args)],
                        [pool_block('origins', addrs)],
                        [name_block(name, ['origins'], ttl=ttl,
                                    all_down=all_down)] + list(extra_names))

    # assertions

    def q(self, name, rdtype='A', **kw):
        """One query; a lost one (no answer in 1 s, e.g. on a machine
        starved by other work) is retried once.  Loops that must see no
        loss at all (QueryLoop) do not retry."""
        a = self.knot.query(name, rdtype, **kw)
        if a.rcode == 'TIMEOUT':
            print('\n  note: %s %s timed out, retrying' % (name, rdtype),
                  file=sys.stderr, flush=True)
            a = self.knot.query(name, rdtype, **kw)
        return a

    def context(self):
        s = []
        if self.origins:
            s.append('origins: ' + self.origins.describe())
        if self.knot:
            s.append('knotd log tail:\n' + self.knot.log_tail(25))
        return '\n'.join(s)

    def assertAnswer(self, name, rdtype, expected, aa=True, ttl=None,
                     rcode='NOERROR', **kw):
        a = self.q(name, rdtype, **kw)
        msg = '%s %s: expected %s %s, got %r\n%s' % (
            name, rdtype, rcode, expected, a, self.context())
        self.assertEqual(a.rcode, rcode, msg)
        if expected is not None:
            self.assertEqual(a.records, tuple(sorted(expected)), msg)
        if aa is not None:
            self.assertEqual(a.aa, aa, msg)
        if ttl is not None:
            self.assertEqual(a.ttl, ttl, msg)
        return a

    def waitAnswer(self, name, rdtype, expected, timeout=5.0):
        """Wait until the answer records equal expected; return elapsed."""
        t0 = time.monotonic()
        seen = []

        def probe():
            a = self.q(name, rdtype)
            seen.append(a)
            return a == expected

        ok, _ = wait_for(probe, timeout)
        if not ok:
            self.fail('%s %s: expected %s within %.1fs, last %r\n%s'
                      % (name, rdtype, expected, timeout, seen[-1],
                         self.context()))
        return time.monotonic() - t0

    def assertSteady(self, name, rdtype, expected, duration, period=0.02):
        """Every answer for `duration` seconds equals expected."""
        end = time.monotonic() + duration
        n = 0
        while time.monotonic() < end:
            a = self.q(name, rdtype)
            n += 1
            if not a == expected:
                self.fail('%s %s: expected steady %s, got %r after %d '
                          'queries\n%s' % (name, rdtype, expected, a, n,
                                           self.context()))
            time.sleep(period)
        return n

    def assertSteadyDuring(self, action, name, expected, total=2.0,
                           min_answers=20):
        """Query (name, A) every ~5 ms while action() runs and until `total`
        seconds have passed; every answer must be `expected` (no loss).
        Returns action's result."""
        loop = QueryLoop(self.knot, name, 'A', period=0.005)
        t0 = time.monotonic()
        loop.start()
        try:
            time.sleep(0.1)
            res = action()
            rest = total - (time.monotonic() - t0)
            if rest > 0:
                time.sleep(rest)
        finally:
            results = loop.stop()
        bad = loop.bad(expected)
        self.assertGreater(len(results), min_answers, 'query loop too slow')
        if bad:
            self.fail('%d of %d answers during/after %s were not %s; first: '
                      '%s\n%s' % (len(bad), len(results), getattr(
                          action, '__name__', 'action'), expected,
                          ['+%.3fs %r' % (t - t0, a) for t, a in bad[:5]],
                          self.context()))
        return res

    def waitMsg(self, name, rdtype, pred, what, timeout=5.0, ecs=None):
        """Query (whole response, optional ECS) until pred(msg) holds;
        return that response.  `what` describes pred for the failure."""
        seen = []

        def probe():
            m = self.knot.query_msg(name, rdtype, ecs=ecs)
            seen.append(m)
            return m is not None and pred(m)

        ok, _ = wait_for(probe, timeout)
        if not ok:
            self.fail('%s %s%s: expected %s within %.1fs, last:\n%s\n%s'
                      % (name, rdtype, ' ecs %s' % ecs if ecs else '', what,
                         timeout, seen[-1], self.context()))
        return seen[-1]

    def waitLog(self, pattern, timeout=5.0):
        ok, lines = wait_for(lambda: self.knot.log_search(pattern), timeout,
                             interval=0.05)
        if not ok:
            self.fail('no knotd log line matching %r within %.1fs\n%s'
                      % (pattern, timeout, self.context()))
        return lines
