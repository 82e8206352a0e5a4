"""scripts/gtmctl against a real knotd: status (table and JSON) following
real state changes, overrides of every kind through the admin file (globs,
name/pool/address patterns, reload, restart, --ttl, an invalid file), and
explain agreeing with the real answers (ECS clients, hypothetical states)."""

import json
import os
import re
import subprocess
import time

import harness
from harness import (GtmTestCase, O1, O2, O3, STATIC_A, check_block,
                     gtm_conf, name_block, pool_block, read_json, rrsets,
                     wait_for)

GTMCTL = os.path.join(harness.REPO, 'scripts', 'gtmctl')
PYTHON = '/usr/bin/python3'
O4 = '127.0.0.14'
ECS_ON = '    edns-client-subnet: on\n'
MULTI_STATIC = '198.51.100.11'      # multi A in the test zone


def explain_bin():
    """gtm-explain next to the module under test, else build/."""
    cands = []
    if harness.find_module():
        cands.append(os.path.join(os.path.dirname(harness.find_module()),
                                  'gtm-explain'))
    cands.append(os.path.join(harness.REPO, 'build', 'gtm-explain'))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


class GtmctlCase(GtmTestCase):
    """knotd with state-file and admin-file in the test's directory."""

    def start_ops(self, conf_text, server_extra='', **kw):
        self.state_path = os.path.join(self.tmp, 'gtm-state.json')
        self.admin_path = os.path.join(self.tmp, 'gtm-admin')
        return self.start_gtm(conf_text, server_extra=server_extra,
                              options={'state-file': self.state_path,
                                       'state-interval': '1s',
                                       'admin-file': self.admin_path}, **kw)

    def gtmctl(self, *args, rc=0, conf=True):
        cmd = [PYTHON, GTMCTL]
        if conf:
            cmd += ['-c', self.knot.conf_path]
        cmd += list(args)
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        if rc is not None:
            self.assertEqual(p.returncode, rc, 'gtmctl %s: exit %d, expected '
                             '%d\nstdout:\n%s\nstderr:\n%s\n%s' % (
                                 ' '.join(args), p.returncode, rc, p.stdout,
                                 p.stderr, self.context()))
        return p

    def state(self):
        return read_json(self.state_path)[1]

    def wait_state(self, pred, what, timeout=5.0):
        """The state file once pred(state) holds."""
        ok, st = wait_for(lambda: (lambda s: s if s and pred(s) else None)(
            self.state()), timeout, interval=0.05)
        if not ok:
            self.fail('state file: expected %s within %.1fs; last:\n%s\n%s'
                      % (what, timeout, read_json(self.state_path)[0],
                         self.context()))
        return st

    @staticmethod
    def target(st, addr, name='gtm.example.com.', pool=None):
        for t in st['targets']:
            for r in t['refs']:
                if r['address'] == addr and r['name'] == name and \
                        (pool is None or r['pool'] == pool):
                    return t
        return None

    def target_is(self, addr, state, forced=None, real=None,
                  name='gtm.example.com.'):
        def pred(st):
            t = self.target(st, addr, name)
            return t is not None and t['state'] == state and \
                t['forced'] == forced and (real is None or t['real'] == real)
        return self.wait_state(pred, '%s %s forced=%s real=%s' % (
            addr, state, forced, real))

    @staticmethod
    def status_rows(out, addr, name='gtm.example.com.'):
        return [l for l in out.splitlines()
                if l.startswith(name + ' ') and '/%s ' % addr in l]

    def admin_text(self):
        with open(self.admin_path) as f:
            return f.read()


class Status(GtmctlCase):

    def test_table_and_json_follow_real_state(self):
        o = self.start_origins()
        self.start_ops(self.simple_conf(interval='200ms', timeout='200ms'))
        st = self.target_is(O1, 'up', real='up')
        self.assertEqual(len(self.target(st, O1)['key']) > 0, True)

        out = self.gtmctl('status').stdout
        self.assertRegex(out, r'gtm\.example\.com\.\s+A\s+address\s+%s\s+'
                         r'origins\s+ok' % re.escape(O1))
        row = self.status_rows(out, O1)
        self.assertEqual(len(row), 1, out)
        self.assertRegex(row[0], r'\bweb\s+up\s+\d+[smhd]')

        o[1].set_down(503)
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.target_is(O1, 'down', real='down')
        self.wait_state(lambda s: s['names'][0]['answer'] == [O2],
                        'answer O2')
        p = self.gtmctl('status')
        row = self.status_rows(p.stdout, O1)
        self.assertRegex(row[0], r'\bdown\s+\d+s\b.*503', p.stdout)
        self.assertRegex(p.stdout, r'gtm\.example\.com\.\s+A\s+address\s+%s'
                         r'\s+origins\s+degraded' % re.escape(O2))
        self.assertEqual(p.stderr, '')

        js = json.loads(self.gtmctl('status', 'gtm.example.com',
                                    '--json').stdout)
        self.assertEqual(js['version'], 1)
        t = self.target(js, O1)
        self.assertEqual((t['state'], t['real'], t['forced'], t['result']),
                         ('down', 'down', None, t['result']))
        self.assertIn('503', t['reason'])
        self.assertGreaterEqual(t['failures'], 1)
        (n,) = [n for n in js['names'] if n['family'] == 'A']
        self.assertEqual((n['name'], n['answer'], n['pool'], n['degraded']),
                         ('gtm.example.com.', [O2], 'origins', True))

        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.target_is(O1, 'up', real='up')
        row = self.status_rows(self.gtmctl('status').stdout, O1)
        self.assertRegex(row[0], r'\bup\s+\d+s\b')

    def test_name_filter_and_errors(self):
        self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2]),
                         pool_block('other', [O3])],
                        [name_block('gtm', ['origins']),
                         name_block('gtm2', ['other'])])
        self.start_ops(conf)
        self.target_is(O3, 'up', name='gtm2.example.com.')
        out = self.gtmctl('status', 'gtm2.example.com').stdout
        self.assertIn('gtm2.example.com.', out)
        self.assertNotIn('gtm.example.com.', out)
        js = json.loads(self.gtmctl('status', 'gtm*', '--json').stdout)
        self.assertEqual({n['name'] for n in js['names']},
                         {'gtm.example.com.', 'gtm2.example.com.'})
        js = json.loads(self.gtmctl('status', '--json', 'gtm2.example.com').stdout)
        self.assertEqual([r['address'] for t in js['targets']
                          for r in t['refs']], [O3])

        p = self.gtmctl('status', 'nope.example.com', rc=1)
        self.assertIn("unknown name 'nope.example.com.'", p.stderr)
        p = self.gtmctl('--state', os.path.join(self.tmp, 'missing.json'),
                        'status', rc=1)
        self.assertIn('does not exist', p.stderr)
        bad = self.knot.write('bad.json', '{"version": 1, "targets": [')
        p = self.gtmctl('--state', bad, 'status', rc=1)
        self.assertIn('not valid JSON', p.stderr)
        bad = self.knot.write('bad2.json', '{"version": 7}')
        self.assertIn('invalid', self.gtmctl('--state', bad, 'status',
                                             rc=1).stderr)
        p = self.gtmctl('-c', os.path.join(self.tmp, 'none.conf'), 'status',
                        rc=1, conf=False)
        self.assertIn('cannot read', p.stderr)
        self.gtmctl('status', '--bogus', rc=2)
        self.gtmctl('frobnicate', rc=2)

    def test_warns_when_paused(self):
        self.start_origins()
        self.start_ops(self.simple_conf())
        self.target_is(O1, 'up', real='up')
        self.assertEqual(self.gtmctl('status').stderr, '')
        self.gtmctl('set', 'prober', 'pause')
        self.assertIn('prober pause', self.admin_text())

        def warned():
            err = self.gtmctl('status').stderr
            return err if 'warning' in err else None
        ok, err = wait_for(warned, 8.0, interval=0.5)
        self.assertTrue(ok, 'no warning within 8 s of prober pause')
        self.assertIn('the prober is paused', err)
        js = json.loads(self.gtmctl('status', '--json').stdout)
        self.assertIs(js['prober']['paused'], True)
        self.gtmctl('set', 'prober', 'run')
        self.assertNotIn('prober', self.admin_text())
        ok, _ = wait_for(lambda: self.gtmctl('status').stderr == '', 5.0,
                         interval=0.3)
        self.assertTrue(ok, self.gtmctl('status').stderr)


OVR_CONF = """\
check:
{check}

pool:
  - id: origins
    address: [ {o1}, {o2}, {o3} ]
    check: web
  - id: primary
    address: [ {o1} ]
    check: web
  - id: backup
    address: [ {o2} ]
    check: web

name:
  - id: gtm
    pool: [ origins ]
    ttl: 30
    all-down: static
  - id: multi
    pool: [ primary, backup ]
    ttl: 30
    all-down: static
"""


class Overrides(GtmctlCase):

    def setUp(self):
        super().setUp()
        self.start_origins()
        self.start_ops(OVR_CONF.format(check=check_block(port=self.oport),
                                       o1=O1, o2=O2, o3=O3))
        self.target_is(O1, 'up', real='up')

    def probes(self, i, secs):
        """Connections origin i receives in `secs` seconds."""
        t0 = time.monotonic()
        time.sleep(secs)
        return self.origins[i].connection_count(since=t0)

    def test_down_address_glob(self):
        p = self.gtmctl('set', 'gtm.example.com/origins/127.0.0.1[1]', 'down')
        self.assertIn('added: gtm.example.com./origins/127.0.0.1[1] down',
                      p.stdout)
        self.assertIn('gtm.example.com. origins/%s' % O1, p.stdout)
        self.assertEqual(os.stat(self.admin_path).st_mode & 0o777, 0o644)
        took = self.waitAnswer('gtm.example.com', 'A', [O2], 2.0)
        self.assertLess(took, 2.0)
        self.target_is(O1, 'down', forced='down')
        row = self.status_rows(self.gtmctl('status').stdout, O1)
        self.assertIn('down (forced, real', row[0])
        # forced down: not probed
        time.sleep(0.5)
        self.assertEqual(self.probes(1, 1.0), 0)
        # the target is shared: multi's primary is down as well
        self.waitAnswer('multi.example.com', 'A', [O2], 2.0)
        p = self.gtmctl('set', 'gtm.example.com/origins/127.0.0.1[1]', 'auto')
        self.assertIn('removed: gtm.example.com./origins/127.0.0.1[1] down',
                      p.stdout)
        self.waitAnswer('gtm.example.com', 'A', [O1], 2.0)
        self.waitAnswer('multi.example.com', 'A', [O1], 2.0)
        self.target_is(O1, 'up', forced=None)

    def test_drain_pool(self):
        self.gtmctl('set', 'gtm.example.com/origins', 'drain')
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A], 2.0)
        st = self.target_is(O3, 'down', forced='drain')
        self.assertEqual(self.target(st, O3)['real'], 'up')
        # drained: still probed, real state kept up to date
        self.assertGreater(self.probes(3, 1.0), 0)
        self.origins[3].set_down()
        self.target_is(O3, 'down', forced='drain', real='down')
        row = self.status_rows(self.gtmctl('status').stdout, O3)
        self.assertIn('down (forced drain, real down)', row[0])
        self.origins[3].set_up()
        self.gtmctl('set', 'gtm.example.com./origins', 'auto')
        self.waitAnswer('gtm.example.com', 'A', [O1], 2.0)

    def test_up_overrides_health(self):
        self.origins[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.gtmctl('set', '*/*/127.0.0.11', 'up')
        self.waitAnswer('gtm.example.com', 'A', [O1], 2.0)
        self.target_is(O1, 'up', forced='up', real='down')
        row = self.status_rows(self.gtmctl('status').stdout, O1)
        self.assertIn('up (forced, real down)', row[0])
        # still probed while forced up
        self.assertGreater(self.probes(1, 1.0), 0)
        self.gtmctl('set', '*/*/127.0.0.11', 'auto')
        self.waitAnswer('gtm.example.com', 'A', [O2], 2.0)

    def test_name_only_pattern(self):
        # every target of multi (O1, O2) down: gtm (sharing them) gets O3
        p = self.gtmctl('set', 'multi.example.com', 'down')
        self.assertIn('added: multi.example.com. down', p.stdout)
        self.waitAnswer('multi.example.com', 'A', [MULTI_STATIC], 2.0)
        self.waitAnswer('gtm.example.com', 'A', [O3], 2.0)
        self.target_is(O2, 'down', forced='down', name='multi.example.com.')
        # a second rule for the same pattern replaces the first
        p = self.gtmctl('set', 'multi.example.com.', 'drain')
        self.assertIn('replaced: multi.example.com. down -> '
                      'multi.example.com. drain', p.stdout)
        self.assertEqual(self.admin_text().count('multi.example.com.'), 1)
        self.target_is(O2, 'down', forced='drain', name='multi.example.com.')
        self.gtmctl('set', 'm*', 'auto')
        self.assertEqual(self.admin_text().strip(), '')
        self.waitAnswer('multi.example.com', 'A', [O1], 2.0)
        self.waitAnswer('gtm.example.com', 'A', [O1], 2.0)

    def test_survives_reload_and_restart(self):
        with open(self.admin_path, 'w') as f:
            f.write('# maintenance window\n\n')
        self.gtmctl('set', 'gtm.example.com/origins/127.0.0.11', 'down')
        self.waitAnswer('gtm.example.com', 'A', [O2], 2.0)
        self.assertTrue(self.admin_text().startswith(
            '# maintenance window\n\n'), self.admin_text())
        r = self.knot.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertSteady('gtm.example.com', 'A', [O2], 1.5)
        self.knot.stop()
        self.knot.start()
        # the override holds from the first answer after the restart
        self.assertAnswer('gtm.example.com', 'A', [O2])
        self.assertSteady('gtm.example.com', 'A', [O2], 1.5)
        self.target_is(O1, 'down', forced='down')
        self.gtmctl('set', 'gtm.example.com/origins/127.0.0.11', 'auto')
        self.waitAnswer('gtm.example.com', 'A', [O1], 2.0)

    def test_ttl_expiry(self):
        t0 = time.time()
        p = self.gtmctl('set', 'gtm.example.com/*/127.0.0.11', 'down',
                        '--ttl', '2s')
        self.assertIn('expires', p.stdout)
        m = re.search(r'until (\d+)', self.admin_text())
        self.assertIsNotNone(m, self.admin_text())
        until = int(m.group(1))
        self.assertTrue(t0 + 2 <= until <= t0 + 3.5, (t0, until))
        self.waitAnswer('gtm.example.com', 'A', [O2], 2.0)
        # lifted at its time (within 1 s), O1 back without any command
        ok, _ = wait_for(lambda: self.q('gtm.example.com', 'A') == [O1],
                         until - time.time() + 3.0)
        self.assertTrue(ok, self.context())
        self.assertGreaterEqual(time.time(), until - 0.05)
        # a later set drops the expired line
        p = self.gtmctl('set', 'multi.example.com', 'drain', '--ttl', '1h')
        self.assertIn('removed expired rule', p.stdout)
        self.assertNotIn('127.0.0.11', self.admin_text())

    def test_invalid_admin_file_keeps_previous(self):
        self.gtmctl('set', 'gtm.example.com/origins/127.0.0.11', 'down')
        self.waitAnswer('gtm.example.com', 'A', [O2], 2.0)
        good = self.admin_text()
        with open(self.admin_path, 'a') as f:
            f.write('gtm.example.com. sideways\n')
        lines = self.waitLog(r'error.*%s:2: ' % re.escape(self.admin_path),
                             3.0)
        self.assertEqual(len(lines), 1, lines)
        self.assertSteady('gtm.example.com', 'A', [O2], 1.5)
        # reported once per change
        self.assertEqual(len(self.knot.log_search(
            r'%s:2: ' % re.escape(self.admin_path))), 1)
        # gtmctl refuses to build on an invalid file and names the line
        p = self.gtmctl('set', 'multi.example.com', 'down', rc=1)
        self.assertIn('%s:2:' % self.admin_path, p.stderr)
        # fixed by hand: the same override, still in force
        with open(self.admin_path, 'w') as f:
            f.write(good)
        self.assertSteady('gtm.example.com', 'A', [O2], 1.2)
        self.gtmctl('set', 'gtm.example.com/origins/127.0.0.11', 'auto')
        self.waitAnswer('gtm.example.com', 'A', [O1], 2.0)

    def test_set_errors(self):
        cases = (
            (('set', 'gtm', 'sideways'), 2, 'invalid action'),
            (('set', 'a/b/c/d', 'down'), 2, 'more than 3'),
            (('set', 'gtm//x', 'down'), 2, 'empty POOL'),
            (('set', 'gtm', 'down', '--ttl', '5x'), 2, "invalid ttl '5x'"),
            (('set', 'gtm', 'down', '--ttl', '0s'), 2, 'out of range'),
            (('set', 'gtm/origins/300.1.2.3', 'down'), 2, 'neither'),
            (('set', 'gtm', 'pause'), 2, 'prober'),
            (('set', 'nope.example.com', 'down'), 1, 'matches no target'),
            (('set', 'gtm.example.com/nopool', 'down'), 1,
             'matches no target'),
            (('set', 'multi', 'down'), 1,
             'did you mean multi.example.com.?'),
            (('set', 'gtm'), 2, 'required'),
        )
        for args, rc, msg in cases:
            with self.subTest(args=args):
                self.assertIn(msg, self.gtmctl(*args, rc=rc).stderr)
        self.assertFalse(os.path.exists(self.admin_path))
        self.gtmctl('set', 'later.example.com', 'down', '--allow-unmatched')
        self.assertEqual(self.admin_text(), 'later.example.com. down\n')
        p = self.gtmctl('--admin', os.path.join(self.tmp, 'no', 'admin'),
                        'set', 'gtm', 'down', rc=1)
        self.assertIn('no', p.stderr)


TOPO_DATA = """\
check:
{check}

pool:
  - id: eu
    address: [ {o1}, {o2} ]
    check: web
  - id: us
    address: [ {o3} ]
    check: web
  - id: def
    address: [ {o4} ]
    check: web

topology:
  - id: europe
    subnet: [ 10.1.0.0/16, 2001:db8:1::/48 ]
    pool: [ eu, us ]
  - id: america
    subnet: [ 10.2.0.0/16 ]
    pool: [ us, eu ]

name:
  - id: geo
    pool: [ def, eu ]
    pool-policy: topology
    topology: [ europe, america ]
    ttl: 30
    ttl-degraded: 5
"""

CLIENTS = ('10.1.200.0/24', '10.1.5.7/32', '10.2.3.0/24', '10.3.0.0/24',
           '2001:db8:1::/64', '192.0.2.1/32')


class Explain(GtmctlCase):

    def setUp(self):
        super().setUp()
        self.tool = explain_bin()
        if self.tool is None:
            self.fail('gtm-explain not built next to the module or in build/')

    def explain(self, *args, rc=0):
        return self.gtmctl('--explain-bin', self.tool, 'explain', *args,
                           rc=rc)

    def explain_answer(self, name, client=None, forces=()):
        """Answer records of explain --json (sorted)."""
        args = [name, '--json']
        if client:
            args += ['--client', client]
        for f in forces:
            args += ['--force', f]
        out = self.explain(*args).stdout
        try:
            js = json.loads(out)
        except ValueError:
            self.fail('explain --json printed no JSON object:\n%s' % out)
        ans = js.get('answer')
        if isinstance(ans, str):
            ans = ans.split()
        return tuple(sorted(ans or ())), js

    def real_answer(self, name, client):
        m = self.knot.query_msg(name, 'A', ecs=client)
        self.assertIsNotNone(m, 'no answer for %s ecs %s' % (name, client))
        a = [rs for rs in rrsets(m.answer) if rs[1] == 'A']
        return a[0][2] if a else ()

    def compare_all(self, label):
        for client in CLIENTS:
            with self.subTest(state=label, client=client):
                want = self.real_answer('geo.example.com', client)
                got, js = self.explain_answer('geo.example.com', client)
                self.assertEqual(got, want, '%s client %s: explain says %s, '
                                 'knotd answers %s\n%s' % (
                                     label, client, got, want,
                                     json.dumps(js, indent=1)))

    def test_agrees_with_real_answers(self):
        o = self.start_origins(addrs=(O1, O2, O3, O4))
        self.start_ops(TOPO_DATA.format(check=check_block(port=self.oport),
                                        o1=O1, o2=O2, o3=O3, o4=O4),
                       server_extra=ECS_ON)
        self.target_is(O4, 'up', real='up', name='geo.example.com.')
        self.compare_all('all up')
        # the text form prints the decisions and the answer
        out = self.explain('geo.example.com', '--client',
                           '10.2.3.0/24').stdout
        self.assertIn('america', out)
        self.assertRegex(out, r'answer: A %s \(ttl 30\)' % re.escape(O3))
        o[1].set_down()
        self.target_is(O1, 'down', real='down', name='geo.example.com.')
        self.compare_all('eu 1 down')
        o[2].set_down()
        self.target_is(O2, 'down', real='down', name='geo.example.com.')
        self.compare_all('eu down')
        self.gtmctl('set', 'geo.example.com/us', 'drain')
        self.target_is(O3, 'down', forced='drain', name='geo.example.com.')
        self.compare_all('eu down, us drained')
        out = self.explain('geo.example.com', '--client',
                           '10.2.3.0/24').stdout
        self.assertIn("answer: the zone's own records", out)

    def test_hypothetical_state(self):
        self.start_origins()
        self.start_ops(self.simple_conf())
        self.target_is(O1, 'up', real='up')
        got, _ = self.explain_answer('gtm.example.com')
        self.assertEqual(got, (O1,))
        got, _ = self.explain_answer(
            'gtm.example.com', forces=['gtm.example.com/origins/%s=down' % O1])
        self.assertEqual(got, (O2,))
        got, _ = self.explain_answer(
            'gtm.example.com', forces=['*/*/127.0.0.1[12]=down'])
        self.assertEqual(got, (O3,))
        # the real answer did not move
        self.assertAnswer('gtm.example.com', 'A', [O1])
        self.assertFalse(os.path.exists(self.admin_path))
        # auto: the real health under a current override
        self.gtmctl('set', 'gtm.example.com/origins/%s' % O1, 'down')
        self.waitAnswer('gtm.example.com', 'A', [O2], 2.0)
        self.target_is(O1, 'down', forced='down')
        got, _ = self.explain_answer('gtm.example.com')
        self.assertEqual(got, (O2,))
        # auto: as if not forced; forced down is not probed, so its real
        # state is unknown, which counts as up
        got, _ = self.explain_answer('gtm.example.com', forces=['*=auto'])
        self.assertEqual(got, (O1,))
        out = self.explain('gtm.example.com', '--force',
                           'gtm.example.com/origins/%s=down' % O2).stdout
        self.assertIn('hypothetical', out)
        self.assertIn(O3, out)

    def test_failback_hold_down(self):
        """A recovered address held by failback-delay: explain gets its
        up-since from the state file and agrees with the held answer."""
        o = self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2]) +
                         '\n    failback-delay: 4s'],
                        [name_block('gtm', ['origins'])])
        self.start_ops(conf)
        self.target_is(O1, 'up', real='up')
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_up()
        self.target_is(O1, 'up', real='up')
        t_up = time.monotonic()
        self.assertAnswer('gtm.example.com', 'A', [O2])
        got, js = self.explain_answer('gtm.example.com')
        self.assertEqual(got, (O2,), json.dumps(js, indent=1))
        self.assertLess(time.monotonic() - t_up, 3.0, 'too slow to see the '
                        'hold-down')
        self.waitAnswer('gtm.example.com', 'A', [O1], 6.0)
        got, js = self.explain_answer('gtm.example.com')
        self.assertEqual(got, (O1,), json.dumps(js, indent=1))

    def test_remembered_choice(self):
        """preempt off: after 1 failed and recovered knotd stays on 2, and
        explain continues from that remembered choice (state file memos)."""
        o = self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2]) +
                         '\n    preempt: off'],
                        [name_block('gtm', ['origins'])])
        self.start_ops(conf)
        self.target_is(O1, 'up', real='up')
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_up()
        self.target_is(O1, 'up', real='up')
        self.assertAnswer('gtm.example.com', 'A', [O2])
        got, js = self.explain_answer('gtm.example.com')
        self.assertEqual(got, (O2,), json.dumps(js, indent=1))
        self.assertIn('remembered', js.get('why', ''))
        # a hypothetical failure of the remembered address moves explain on
        got, js = self.explain_answer(
            'gtm.example.com', forces=['gtm.example.com/origins/%s=down' % O2])
        self.assertEqual(got, (O1,), json.dumps(js, indent=1))

    def test_errors(self):
        self.start_origins()
        self.start_ops(self.simple_conf())
        self.target_is(O1, 'up', real='up')
        cases = (
            (('nope.example.com',), 1, 'unknown name'),
            (('gtm.example.com', '--type', 'MX'), 2, 'invalid --type'),
            (('gtm.example.com', '--client', '10.1.2.300'), 2,
             'invalid --client'),
            (('gtm.example.com', '--force', 'gtm'), 2, 'invalid --force'),
            (('gtm.example.com', '--force', 'gtm=sideways'), 2,
             'invalid --force action'),
            (('gtm.example.com', '--force', 'x.example.net=down'), 1,
             'matches no target'),
        )
        for args, rc, msg in cases:
            with self.subTest(args=args):
                self.assertIn(msg, self.explain(*args, rc=rc).stderr)
        p = self.gtmctl('--explain-bin', os.path.join(self.tmp, 'none'),
                        'explain', 'gtm.example.com', rc=1)
        self.assertIn('not an executable', p.stderr)
