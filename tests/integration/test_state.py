"""State file: the prober's JSON health state (state-file, state-interval).

A real knotd with the module and real HTTP origins on loopback; the state
file is read as any tool would read it (no module internals).
"""

import json
import os
import re
import threading
import time

from harness import (GtmTestCase, O1, O2, O3, read_json, wait_for)

STATE_NAME = 'gtm-state.json'

TARGET_FIELDS = {
    'key': str, 'refs': list, 'type': str, 'address': (str, type(None)),
    'port': int, 'hostname': (str, type(None)), 'state': str, 'real': str,
    'forced': (str, type(None)), 'since': (int, float, type(None)),
    'last_check': (int, float, type(None)), 'result': (str, type(None)),
    'reason': (str, type(None)), 'latency_ms': (int, float, type(None)),
    'checks': int, 'successes': int, 'failures': int, 'changes': int,
    'warm': bool,
}
NAME_FIELDS = {
    'name': str, 'zone': str, 'family': str, 'kind': str, 'answer': list,
    'pool': (str, type(None)), 'degraded': bool, 'all_down': bool,
    'why': str,
}


def by_address(state, addr):
    """The target object probed at addr (None if absent)."""
    for t in state.get('targets', []):
        if t.get('address') == addr:
            return t
    return None


def name_entry(state, name, family='A'):
    for n in state.get('names', []):
        if n.get('name') == name and n.get('family') == family:
            return n
    return None


class StateFileBase(GtmTestCase):

    def start_with_state(self, interval='200ms', state_interval='1s',
                         **check_args):
        self.start_origins()
        self.state_path = os.path.join(self.tmp, STATE_NAME)
        return self.start_gtm(
            self.simple_conf(interval=interval, timeout='200ms', rise=1,
                             fall=1, **check_args),
            options={'state-file': self.state_path,
                     'state-interval': state_interval})

    def state(self):
        return read_json(self.state_path)[1]

    def wait_state(self, pred, what, timeout=5.0):
        """Wait until the state file parses and pred(state) holds."""
        def probe():
            st = self.state()
            return st if st is not None and pred(st) else None
        ok, st = wait_for(probe, timeout, interval=0.05)
        if not ok:
            text, _ = read_json(self.state_path)
            self.fail('state file: expected %s within %.1fs; file now:\n%s\n%s'
                      % (what, timeout, text, self.context()))
        return st


class StateFile(StateFileBase):

    def test_fields_and_one_target_per_line(self):
        k = self.start_with_state()
        st = self.wait_state(lambda s: len(s.get('targets', [])) == 3 and all(
            t.get('real') == 'up' for t in s['targets']),
            'three targets up')
        self.assertEqual(st['version'], 1)
        self.assertIsInstance(st['written'], float)
        self.assertLess(abs(st['written'] - time.time()), 10)
        self.assertEqual(st['pid'], k.proc.pid)
        prober = st['prober']
        self.assertIsInstance(prober['published'], (int, float))
        self.assertLess(abs(prober['published'] - time.time()), 10)
        self.assertIs(prober['paused'], False)
        self.assertIs(prober['stale'], False)

        for addr in (O1, O2, O3):
            t = by_address(st, addr)
            self.assertIsNotNone(t, 'no target %s in %s' % (addr, st))
            for field, types in TARGET_FIELDS.items():
                self.assertIn(field, t, 'target %s lacks %s' % (addr, field))
                self.assertIsInstance(t[field], types, 'target %s field %s: %r'
                                      % (addr, field, t[field]))
            self.assertRegex(t['key'], r'^[0-9a-f]+$')
            self.assertEqual(t['type'], 'http')
            self.assertEqual(t['port'], self.oport)
            self.assertIsNone(t['hostname'])
            self.assertEqual(t['state'], 'up')
            self.assertIsNone(t['forced'])
            self.assertIs(t['warm'], False)
            self.assertGreaterEqual(t['checks'], 1)
            self.assertEqual(t['checks'], t['successes'] + t['failures'])
            self.assertIn('200', t['reason'])
            self.assertIsInstance(t['since'], float)
            self.assertIsInstance(t['last_check'], float)
            self.assertEqual(t['refs'], [{'name': 'gtm.example.com.',
                                          'pool': 'origins', 'address': addr,
                                          'check': 'web'}])
        self.assertEqual(len({t['key'] for t in st['targets']}), 3)

        n = name_entry(st, 'gtm.example.com.')
        self.assertIsNotNone(n, 'no name gtm.example.com. A in %s' % st)
        for field, types in NAME_FIELDS.items():
            self.assertIn(field, n)
            self.assertIsInstance(n[field], types, 'name field %s: %r'
                                  % (field, n[field]))
        self.assertEqual(n['zone'], 'example.com.')
        self.assertEqual(n['kind'], 'address')
        self.assertEqual(n['answer'], [O1])
        self.assertEqual(n['pool'], 'origins')
        self.assertIs(n['degraded'], False)
        self.assertIs(n['all_down'], False)
        self.assertTrue(n['why'])

        # Each target object on its own line, parseable alone.
        text, _ = read_json(self.state_path)
        for t in st['targets']:
            lines = [l for l in text.splitlines()
                     if '"key": "%s"' % t['key'] in l
                     or '"key":"%s"' % t['key'] in l]
            self.assertEqual(len(lines), 1, 'target %s on %d lines:\n%s'
                             % (t['key'], len(lines), text))
            obj = json.loads(lines[0].strip().rstrip(','))
            self.assertEqual(obj['key'], t['key'])
            self.assertEqual(obj['address'], t['address'])

    def test_reflects_origin_down(self):
        self.start_with_state()
        before = self.wait_state(
            lambda s: (by_address(s, O1) or {}).get('real') == 'up' and
            (name_entry(s, 'gtm.example.com.') or {}).get('answer') == [O1],
            'origin 1 up and answered')
        t_before = by_address(before, O1)
        why_before = name_entry(before, 'gtm.example.com.')['why']

        t0 = time.monotonic()
        self.origins[1].set_down(503)
        st = self.wait_state(
            lambda s: (by_address(s, O1) or {}).get('state') == 'down' and
            (name_entry(s, 'gtm.example.com.') or {}).get('answer') == [O2],
            'origin 1 down and origin 2 answered', timeout=5.0)
        took = time.monotonic() - t0
        self.assertLess(took, 5.0)
        t = by_address(st, O1)
        self.assertEqual(t['real'], 'down')
        self.assertIn('503', t['reason'])
        self.assertNotEqual(t['result'], 'ok')
        self.assertGreater(t['failures'], t_before['failures'])
        self.assertGreater(t['changes'], t_before['changes'])
        self.assertGreaterEqual(t['since'], t_before['since'])
        self.assertGreaterEqual(t['checks'], t_before['checks'] + 1)
        n = name_entry(st, 'gtm.example.com.')
        self.assertEqual(n['kind'], 'address')
        self.assertIs(n['degraded'], True)
        self.assertIs(n['all_down'], False)
        self.assertNotEqual(n['why'], why_before)
        self.assertAnswer('gtm.example.com', 'A', [O2])
        # origins 2 and 3 untouched
        self.assertEqual(by_address(st, O2)['state'], 'up')
        self.assertEqual(by_address(st, O3)['state'], 'up')

        # all down: the name says so
        self.origins[2].set_down(503)
        self.origins[3].stop()
        st = self.wait_state(
            lambda s: (name_entry(s, 'gtm.example.com.') or {}).get(
                'all_down') is True, 'gtm.example.com. all down')
        n = name_entry(st, 'gtm.example.com.')
        self.assertEqual(n['kind'], 'static')
        self.assertEqual(n['answer'], [])

    def test_rewritten_every_state_interval(self):
        """Nothing changes: the file is still rewritten every 1 s."""
        self.start_with_state(state_interval='1s')
        self.wait_state(lambda s: True, 'a state file')
        time.sleep(0.5)          # past the first round of changes
        seen = []
        end = time.monotonic() + 4.5
        while time.monotonic() < end:
            st = self.state()
            if st is not None and (not seen or st['written'] != seen[-1][1]):
                seen.append((time.monotonic(), st['written']))
            time.sleep(0.05)
        writes = [w for _, w in seen]
        self.assertGreaterEqual(len(writes), 4, 'written values in 4.5 s: %s'
                                % writes)
        self.assertEqual(writes, sorted(writes))
        gaps = [b - a for a, b in zip(writes, writes[1:])]
        self.assertLessEqual(max(gaps), 1.6, 'gaps between writes %s' % gaps)
        ogaps = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
        self.assertLessEqual(max(ogaps), 1.8, 'observed gaps %s' % ogaps)

    def test_atomic_under_changes(self):
        """A reader loop never sees a partial file while origins flap."""
        self.start_with_state(interval='200ms')
        self.wait_state(lambda s: True, 'a state file')
        bad = []
        versions = set()
        reads = [0]
        stop = threading.Event()

        def reader():
            end = time.monotonic() + 10
            while not stop.is_set() and time.monotonic() < end:
                try:
                    with open(self.state_path, 'rb') as f:
                        raw = f.read()
                except OSError as e:
                    bad.append('open failed: %s' % e)
                    continue
                reads[0] += 1
                try:
                    st = json.loads(raw)
                    versions.add(st['written'])
                except (ValueError, KeyError, TypeError) as e:
                    bad.append('%s: %r' % (e, raw[-200:]))

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        try:
            end = time.monotonic() + 4.0
            i = 0
            while time.monotonic() < end:
                o = self.origins[1 + i % 2]
                o.set_down(503)
                time.sleep(0.25)
                o.set_up()
                time.sleep(0.15)
                i += 1
        finally:
            stop.set()
            th.join(15)
        self.assertEqual(bad, [], '%d bad reads of %d' % (len(bad), reads[0]))
        self.assertGreater(reads[0], 100)
        self.assertGreaterEqual(len(versions), 5, 'only %d distinct writes '
                                'seen while origins flapped' % len(versions))
        # no leftover temporary files next to it that grow without bound
        leftovers = [f for f in os.listdir(self.tmp)
                     if f.startswith(STATE_NAME) and f != STATE_NAME]
        self.assertLessEqual(len(leftovers), 1, leftovers)

    def test_no_state_file_option_writes_nothing(self):
        """Without state-file nothing is written into the directory."""
        self.start_origins()
        self.start_gtm(self.simple_conf())
        self.assertAnswer('gtm.example.com', 'A', [O1])
        time.sleep(1.0)
        found = [f for f in os.listdir(self.tmp) if re.search(r'json|state', f)]
        self.assertEqual(found, [])
