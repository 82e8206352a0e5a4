#!/usr/bin/python3
"""Check types against real local servers, and hostile origins.

  https   test CA (ca-file), system store, verify off; expired, wrong-name
          and unknown-issuer certificates (made with openssl at test time)
  http    body rules (expect-body, expect-body-regex, chunked), HEAD, headers
  dns     answer, rcode, truncation to TCP, silence, garbage (python server)
  icmp    in a private network namespace (unshare -n) where the test sets
          net.ipv4.ping_group_range itself; never the host's sysctls
  hostile endless body, one byte per second, garbage instead of HTTP or TLS,
          accept and never answer, reset mid-response, half-close; each a
          clean "down" with its reason, knotd's RSS measured before/after

Standalone:  /usr/bin/python3 tests/integration/test_probes.py --module build/gtm.so
Ends with 'N passed, M failed'; exit status 1 on failure.  Also discovered
by run.py (test_*.py).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, 'probes'))

import harness  # noqa: E402
from harness import (GtmTestCase, free_port, gtm_conf, is_root,  # noqa: E402
                     name_block, pool_block, wait_for)
import servers  # noqa: E402

NAME = 'www.test.example'
# Static A record of gtm.example.com in the harness zone.
STATIC_GTM = harness.STATIC_A
# How long knotd runs against the hostile origins between RSS samples (s).
HOSTILE_RUN = 20.0
# Largest RSS growth accepted over HOSTILE_RUN (KiB).
RSS_GROWTH_MAX = 3 * 1024


def check(id, type, interval='300ms', timeout='300ms', rise=1, fall=1,
          **keys):
    """A check item; list values become repeated keys."""
    lines = ['  - id: %s' % id, '    type: %s' % type]
    for k, v in keys.items():
        for item in (v if isinstance(v, list) else [v]):
            lines.append('    %s: %s' % (k.replace('_', '-'), item))
    for k, v in (('interval', interval), ('timeout', timeout),
                 ('rise', rise), ('fall', fall)):
        lines.append('    %s: %s' % (k, v))
    return '\n'.join(lines)


def vm_rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS for %d' % pid)


class ProbeCase(GtmTestCase):
    """Helpers: origins on loopback addresses, state lines from the log."""

    def origin(self, addr, handler, tls=None):
        o = servers.ScriptedOrigin(addr, self.oport, handler, tls).start()
        self.addCleanup(o.stop)
        return o

    def dns_origin(self, addr, mode):
        o = servers.DnsOrigin(addr, self.oport, mode).start()
        self.addCleanup(o.stop)
        return o

    def wait_state(self, pool, addr, state, reason, timeout=8.0):
        """Wait for 'POOL/ADDR STATE (REASON' in knotd's log."""
        pattern = r'%s/%s %s \(%s' % (re.escape(pool), re.escape(addr),
                                        state, re.escape(reason))
        return self.waitLog(pattern, timeout)


class HttpsProbes(ProbeCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which('openssl') is None:
            raise unittest.SkipTest('openssl not installed')
        cls.pki = servers.Pki()
        cls.certs = {
            'good': cls.pki.server('good', [NAME], ['127.0.0.21']),
            'expired': cls.pki.server('expired', [NAME], ['127.0.0.22'],
                                      start='20200101000000Z',
                                      end='20200102000000Z'),
            'wrong': cls.pki.server('wrong', ['other.example']),
            'untrusted': cls.pki.server('untrusted', [NAME], issuer='other'),
        }

    @classmethod
    def tearDownClass(cls):
        cls.pki.cleanup()

    def test_https_verification(self):
        addrs = ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24']
        self.oport = free_port(addrs)
        body = servers.respond(200, b'healthy\n')
        for addr, cert in zip(addrs, ('good', 'expired', 'wrong',
                                      'untrusted')):
            self.origin(addr, body, self.pki.context(self.certs[cert]))

        p = self.oport
        checks = [
            check('tls', 'https', port=p, host=NAME,
                  ca_file=self.pki.ca_file, expect_body='healthy'),
            check('sys', 'https', port=p, host=NAME),
            check('off', 'https', port=p, host=NAME, verify='off'),
            check('sick', 'https', port=p, host=NAME,
                  ca_file=self.pki.ca_file, expect_body='sick'),
        ]
        pools = [pool_block('good', ['127.0.0.21'], 'tls'),
                 pool_block('expired', ['127.0.0.22'], 'tls'),
                 pool_block('wrong', ['127.0.0.23'], 'tls'),
                 pool_block('untrusted', ['127.0.0.24'], 'tls'),
                 pool_block('system', ['127.0.0.21'], 'sys'),
                 pool_block('noverify', ['127.0.0.24'], 'off'),
                 pool_block('body', ['127.0.0.21'], 'sick')]
        names = [name_block('gtm', ['expired', 'wrong', 'untrusted', 'good']),
                 name_block('gtm2', ['noverify']),
                 name_block('other', ['system', 'body'])]
        self.start_gtm(gtm_conf(checks, pools, names))

        self.wait_state('good', '127.0.0.21', 'up', 'http status 200')
        self.wait_state('expired', '127.0.0.22', 'down', 'certificate expired')
        self.wait_state('wrong', '127.0.0.23', 'down',
                        'certificate name mismatch')
        self.wait_state('untrusted', '127.0.0.24', 'down',
                        'certificate not trusted')
        self.wait_state('system', '127.0.0.21', 'down',
                        'certificate not trusted')
        self.wait_state('noverify', '127.0.0.24', 'up', 'http status 200')
        self.wait_state('body', '127.0.0.21', 'down', 'body mismatch')
        self.waitAnswer('gtm.example.com', 'A', ['127.0.0.21'])
        self.waitAnswer('gtm2.example.com', 'A', ['127.0.0.24'])


class BodyProbes(ProbeCase):

    def test_body_rules_and_request(self):
        addrs = ['127.0.0.41', '127.0.0.42', '127.0.0.43', '127.0.0.44']
        self.oport = free_port(addrs)
        self.origin('127.0.0.41', servers.respond(200, b'status: ok\n'))
        self.origin('127.0.0.42', servers.respond(200, b'status: degraded\n'))
        self.origin('127.0.0.43', servers.respond(
            200, chunks=[b'sta', b'tus: o', b'k\n']))
        head = self.origin('127.0.0.44', servers.respond(204))

        p = self.oport
        checks = [
            check('body', 'http', port=p, expect_body='"status: ok"'),
            check('regex', 'http', port=p,
                  expect_body_regex='"^status: (ok|fine)"'),
            check('head', 'http', port=p, method='head', path='/live',
                  header=['"X-Probe: gtm-test"', '"User-Agent: probe/1"']),
        ]
        pools = [pool_block('ok', ['127.0.0.41'], 'body'),
                 pool_block('bad', ['127.0.0.42'], 'body'),
                 pool_block('chunked', ['127.0.0.43'], 'regex'),
                 pool_block('badre', ['127.0.0.42'], 'regex'),
                 pool_block('head', ['127.0.0.44'], 'head')]
        names = [name_block('gtm', ['bad', 'ok']),
                 name_block('other', ['chunked', 'badre', 'head'])]
        self.start_gtm(gtm_conf(checks, pools, names))

        self.wait_state('ok', '127.0.0.41', 'up', 'http status 200')
        self.wait_state('bad', '127.0.0.42', 'down', 'body mismatch')
        self.wait_state('chunked', '127.0.0.43', 'up', 'http status 200')
        self.wait_state('badre', '127.0.0.42', 'down', 'body mismatch')
        self.wait_state('head', '127.0.0.44', 'up', 'http status 204')
        self.waitAnswer('gtm.example.com', 'A', ['127.0.0.41'])

        req = head.requests[-1]
        self.assertTrue(req.startswith(b'HEAD /live HTTP/1.1\r\n'), req)
        self.assertIn(b'\r\nX-Probe: gtm-test\r\n', req)
        self.assertIn(b'\r\nUser-Agent: probe/1\r\n', req)
        self.assertNotIn(b'knot-gtm', req)


class DnsProbes(ProbeCase):

    def test_dns_checks(self):
        modes = {'127.0.0.31': 'answer', '127.0.0.32': 'servfail',
                 '127.0.0.33': 'truncate', '127.0.0.34': 'silent',
                 '127.0.0.35': 'garbage'}
        self.oport = free_port(list(modes), udp_too=True)
        srv = {a: self.dns_origin(a, m) for a, m in modes.items()}

        p = self.oport
        checks = [
            check('a', 'dns', port=p, query_name='www.example.com',
                  query_type='A', expect_answer=servers.DnsOrigin.ANSWER_A),
            check('wrong', 'dns', port=p, query_name='www.example.com',
                  query_type='A', expect_answer='192.0.2.99'),
            check('soa', 'dns', port=p),
        ]
        pools = [pool_block('ok', ['127.0.0.31'], 'a'),
                 pool_block('fail', ['127.0.0.32'], 'a'),
                 pool_block('tc', ['127.0.0.33'], 'a'),
                 pool_block('silent', ['127.0.0.34'], 'a'),
                 pool_block('junk', ['127.0.0.35'], 'a'),
                 pool_block('mismatch', ['127.0.0.31'], 'wrong'),
                 pool_block('soa', ['127.0.0.31'], 'soa')]
        names = [name_block('gtm', ['fail', 'ok']),
                 name_block('other', ['tc', 'silent', 'junk', 'mismatch',
                                      'soa'])]
        self.start_gtm(gtm_conf(checks, pools, names))

        self.wait_state('ok', '127.0.0.31', 'up', 'rcode NOERROR')
        self.wait_state('fail', '127.0.0.32', 'down', 'rcode SERVFAIL')
        self.wait_state('tc', '127.0.0.33', 'up', 'rcode NOERROR')
        self.wait_state('silent', '127.0.0.34', 'down',
                        'timeout in dns response')
        self.wait_state('junk', '127.0.0.35', 'down', 'dns bad response')
        self.wait_state('mismatch', '127.0.0.31', 'down', 'answer mismatch')
        self.wait_state('soa', '127.0.0.31', 'up', 'rcode NOERROR')
        self.waitAnswer('gtm.example.com', 'A', ['127.0.0.31'])
        self.assertGreater(srv['127.0.0.33'].tcp_queries, 0)

        # The answering server fails: every address down, the zone answers.
        srv['127.0.0.31'].mode = 'servfail'
        self.wait_state('ok', '127.0.0.31', 'down', 'rcode SERVFAIL')
        self.waitAnswer('gtm.example.com', 'A', [STATIC_GTM])


class HostileOrigins(ProbeCase):

    def test_hostile_origins(self):
        h = servers
        plain = {
            '127.0.0.51': ('endless', h.endless_body, 'http', 'body mismatch'),
            '127.0.0.52': ('drip', h.drip, 'http', 'timeout in http response'),
            '127.0.0.53': ('junk', h.garbage, 'http', 'http bad response'),
            '127.0.0.54': ('junktls', h.garbage, 'tls', 'tls bad response'),
            '127.0.0.55': ('mute', h.silent, 'http',
                           'timeout in http response'),
            '127.0.0.56': ('mutetls', h.silent, 'tls',
                           'timeout in tls handshake'),
            '127.0.0.57': ('reset', h.reset_mid_response, 'http',
                           'connection reset'),
            '127.0.0.58': ('half', h.half_close, 'http',
                           'http connection closed'),
        }
        self.oport = free_port(list(plain) + ['127.0.0.59'])
        pki = servers.Pki() if shutil.which('openssl') else None
        if pki is None:
            self.skipTest('openssl not installed')
        self.addCleanup(pki.cleanup)
        origins = {a: self.origin(a, v[1]) for a, v in plain.items()}
        origins['127.0.0.59'] = self.origin(
            '127.0.0.59', h.endless_body,
            pki.context(pki.server('endless', ['endless.example'])))

        p = self.oport
        checks = [
            check('http', 'http', interval='500ms', timeout='500ms', port=p,
                  expect_body='needle'),
            check('tls', 'https', interval='500ms', timeout='500ms', port=p,
                  verify='off', expect_body='needle'),
        ]
        pools = [pool_block(v[0], [a], v[2]) for a, v in plain.items()]
        pools.append(pool_block('endlesstls', ['127.0.0.59'], 'tls'))
        names = [name_block('gtm', [v[0] for v in plain.values()]),
                 name_block('other', ['endlesstls'])]
        self.start_gtm(gtm_conf(checks, pools, names))
        pid = self.knot.proc.pid

        for addr, (pool, _, _, reason) in plain.items():
            self.wait_state(pool, addr, 'down', reason)
        self.wait_state('endlesstls', '127.0.0.59', 'down', 'body mismatch')
        self.waitAnswer('gtm.example.com', 'A', [STATIC_GTM])

        # Memory: flat while every origin keeps misbehaving.
        time.sleep(2.0)
        conns0 = sum(o.connections for o in origins.values())
        rss0 = vm_rss_kib(pid)
        end = time.monotonic() + HOSTILE_RUN
        while time.monotonic() < end:
            self.assertTrue(self.knot.running, self.context())
            time.sleep(0.5)
        rss1 = vm_rss_kib(pid)
        probes = sum(o.connections for o in origins.values()) - conns0
        print('\n  knotd RSS %d KiB -> %d KiB (%+d KiB) over %d hostile '
              'probes in %.0fs' % (rss0, rss1, rss1 - rss0, probes,
                                   HOSTILE_RUN), flush=True)
        self.assertGreater(probes, 5 * HOSTILE_RUN)
        self.assertLess(rss1 - rss0, RSS_GROWTH_MAX,
                        'knotd RSS grew from %d to %d KiB' % (rss0, rss1))
        # Still answering promptly.
        self.assertAnswer('gtm.example.com', 'A', [STATIC_GTM], aa=None)


# -- ICMP, in a network namespace of its own -------------------------------------

def write_proc(path, value):
    with open(path, 'w') as f:
        f.write(value)


def netns_cases():
    """Test cases that only run inside 'unshare -n' (see IcmpProbes)."""

    class IcmpInNetns(ProbeCase):

        def test_icmp_up_down(self):
            write_proc('/proc/sys/net/ipv4/ping_group_range', '0 2147483647')
            checks = [check('ping', 'icmp', packets=3, max_loss='0%')]
            pools = [pool_block('v4', ['192.0.2.1', '127.0.0.1'], 'ping'),
                     pool_block('v6', ['::1'], 'ping')]
            names = [name_block('gtm', ['v4', 'v6'])]
            self.start_gtm(gtm_conf(checks, pools, names))

            self.wait_state('v4', '192.0.2.1', 'down', 'network unreachable')
            self.wait_state('v4', '127.0.0.1', 'up', '3/3 echo replied')
            self.wait_state('v6', '::1', 'up', '3/3 echo replied')
            self.waitAnswer('gtm.example.com', 'A', ['127.0.0.1'])
            self.waitAnswer('gtm.example.com', 'AAAA', ['::1'])
            self.assertFalse(self.knot.log_search('ping_group_range'))

            write_proc('/proc/sys/net/ipv4/icmp_echo_ignore_all', '1')
            write_proc('/proc/sys/net/ipv6/icmp/echo_ignore_all', '1')
            self.wait_state('v4', '127.0.0.1', 'down', '3/3 echo lost')
            self.wait_state('v6', '::1', 'down', '3/3 echo lost')
            self.waitAnswer('gtm.example.com', 'A', [STATIC_GTM])

            write_proc('/proc/sys/net/ipv4/icmp_echo_ignore_all', '0')
            write_proc('/proc/sys/net/ipv6/icmp/echo_ignore_all', '0')
            self.waitAnswer('gtm.example.com', 'A', ['127.0.0.1'])

        def test_icmp_not_permitted(self):
            write_proc('/proc/sys/net/ipv4/ping_group_range', '1 0')
            self.addCleanup(write_proc, '/proc/sys/net/ipv4/ping_group_range',
                            '0 2147483647')
            checks = [check('ping', 'icmp')]
            pools = [pool_block('v4', ['127.0.0.1'], 'ping')]
            self.start_gtm(gtm_conf(checks, pools,
                                    [name_block('gtm', ['v4'])]))
            self.waitLog(r'icmp checks need unprivileged ping sockets.*'
                         r'sysctl -w net\.ipv4\.ping_group_range=')
            self.wait_state('v4', '127.0.0.1', 'down',
                            'icmp not permitted (net.ipv4.ping_group_range)')
            self.waitAnswer('gtm.example.com', 'A', [STATIC_GTM])

    return [IcmpInNetns]


class IcmpProbes(GtmTestCase):
    """Runs the ICMP cases in a child process inside 'unshare -n'."""

    def test_icmp_in_netns(self):
        if not is_root() or shutil.which('unshare') is None:
            self.skipTest('needs root and unshare for a network namespace')
        cmd = ['unshare', '-n', '--', sys.executable or '/usr/bin/python3',
               os.path.abspath(__file__), '--netns-child',
               '--module', self.module]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=300)
        tail = '\n'.join(r.stdout.splitlines()[-60:])
        m = re.search(r'^(\d+) passed, (\d+) failed', r.stdout, re.M)
        self.assertIsNotNone(m, 'no result line from the child:\n' + tail)
        self.assertEqual((int(m.group(1)), int(m.group(2))), (2, 0), tail)
        self.assertEqual(r.returncode, 0, tail)


# -- running ----------------------------------------------------------------------

def run_suite(suite):
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    line = '%d passed, %d failed' % (passed, failed)
    if skipped:
        line += ', %d skipped' % skipped
    print(line, flush=True)
    harness.emergency_cleanup()
    return 1 if failed or result.testsRun == 0 else 0


def netns_child():
    """Inside 'unshare -n': lo up, then the namespace-only cases."""
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True,
                   timeout=30)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c)
                               for c in netns_cases())
    return run_suite(suite)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--module', help='path to gtm.so (default build/gtm.so)')
    ap.add_argument('-k', action='append', dest='patterns',
                    help='only tests whose name contains PATTERN')
    ap.add_argument('--netns-child', action='store_true',
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    module = harness.find_module(args.module)
    if module is None:
        print('error: gtm.so not found (build it or pass --module)',
              file=sys.stderr)
        print('0 passed, 1 failed')
        return 1
    harness.MODULE = module
    os.environ['GTM_MODULE'] = module
    if args.netns_child:
        return netns_child()

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ['*%s*' % p for p in args.patterns]
    return run_suite(loader.loadTestsFromModule(sys.modules[__name__]))


if __name__ == '__main__':
    sys.exit(main())
