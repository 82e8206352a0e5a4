"""Warm restart: the state file of the last run (state-max-age) decides the
first answers, before the first probe round has finished.

Checks run every 5 s with a 3 s timeout and origin 1 hangs (accepts, never
answers): without the saved state, origin 1 is answered for the first 3 s
(no result yet counts as up); with it, origin 2 is answered at once.
"""

import os
import re
import time

from harness import (GtmTestCase, O1, O2, O3, check_block, gtm_conf,
                     name_block, pool_block, read_json, wait_for)

GTM = 'gtm.example.com'
FIRST_ROUND = 3.0         # the hanging check's timeout


class WarmRestart(GtmTestCase):

    def setUp(self):
        super().setUp()
        self.start_origins()
        self.origins[1].set_hang()
        self.state_path = os.path.join(self.tmp, 'gtm-state.json')
        self.conf = self.simple_conf(interval='5s', timeout='3s', rise=1,
                                     fall=1)
        self.opts = {'state-file': self.state_path, 'state-interval': '1s'}

    def target(self, st, addr):
        for t in (st or {}).get('targets', []):
            if t.get('address') == addr:
                return t
        return None

    def produce_state(self):
        """A real run: origin 1 down in the state file, knotd stopped."""
        k = self.start_gtm(self.conf, options=self.opts)
        ok, st = wait_for(lambda: (self.target(read_json(self.state_path)[1],
                                               O1) or {}).get('state')
                          == 'down', FIRST_ROUND + 3.0, interval=0.05)
        self.assertTrue(ok, 'state file never showed origin 1 down:\n%s\n%s'
                        % (read_json(self.state_path)[0], self.context()))
        self.assertAnswer(GTM, 'A', [O2])
        self.assertEqual(k.stop(), 0)
        text, st = read_json(self.state_path)
        self.assertIsNotNone(st, 'state file after stop:\n%s' % text)
        self.assertEqual(self.target(st, O1)['state'], 'down')
        return k

    def restart(self, k):
        """Start knotd again; (time.monotonic() before start, log offset)."""
        offset = os.path.getsize(k.log_path)
        t0 = time.monotonic()
        k.start()
        return t0, offset

    def log_since(self, k, offset):
        return k.log()[offset:]

    def test_warm_state_answers_before_first_round(self):
        k = self.produce_state()
        t0, offset = self.restart(k)
        a = self.q(GTM, 'A')
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, FIRST_ROUND - 0.5,
                        'first query only %.2fs after the start' % elapsed)
        self.assertEqual(a, [O2], 'first answer after a warm restart: %r\n%s'
                         % (a, self.context()))
        # every answer until the hanging check can have finished
        while time.monotonic() - t0 < FIRST_ROUND - 0.3:
            a = self.q(GTM, 'A')
            self.assertEqual(a, [O2], 'answer %.2fs after the start: %r'
                             % (time.monotonic() - t0, a))
            time.sleep(0.05)
        # probing started at once: origin 1 got a connection right away
        self.assertGreaterEqual(self.origins[1].connection_count(since=t0), 1)

        # the first fresh result decides: origin 1 no longer warm
        pid = k.proc.pid

        def fresh():
            st = read_json(self.state_path)[1]
            if not st or st.get('pid') != pid:
                return None
            t = self.target(st, O1)
            return st if t and t.get('warm') is False else None
        ok, st = wait_for(fresh, FIRST_ROUND + 3.0, interval=0.1)
        self.assertTrue(ok, 'origin 1 still warm:\n%s'
                        % read_json(self.state_path)[0])
        t = self.target(st, O1)
        self.assertEqual(t['state'], 'down')
        self.assertGreaterEqual(t['checks'], 1)
        self.assertAnswer(GTM, 'A', [O2])

    def test_warm_flag_in_state_file(self):
        k = self.produce_state()
        t0, _ = self.restart(k)
        pid = k.proc.pid

        def warm_file():
            st = read_json(self.state_path)[1]
            if not st or st.get('pid') != pid:
                return None
            t = self.target(st, O1)
            return st if t and t.get('warm') is True else None
        ok, st = wait_for(warm_file, FIRST_ROUND - 0.5, interval=0.05)
        self.assertTrue(ok, 'state file of the new run never showed origin 1 '
                        'warm:\n%s' % read_json(self.state_path)[0])
        t = self.target(st, O1)
        self.assertEqual(t['state'], 'down')
        self.assertEqual(t['real'], 'down')
        self.assertLess(time.monotonic() - t0, FIRST_ROUND)

    def test_old_state_file_ignored(self):
        k = self.produce_state()
        text, st = read_json(self.state_path)
        old = time.time() - 3600          # state-max-age default 5m
        new = re.sub(r'("written":\s*)[0-9.]+', r'\g<1>%.3f' % old, text,
                     count=1)
        self.assertNotEqual(new, text)
        k.write('gtm-state.json', new)
        t0, offset = self.restart(k)
        a = self.q(GTM, 'A')
        self.assertLess(time.monotonic() - t0, FIRST_ROUND - 0.5)
        self.assertEqual(a, [O1], 'an hour-old state file was used: %r' % a)
        log = self.log_since(k, offset)
        lines = [l for l in log.splitlines()
                 if re.search(r'(?i)state', l) and
                 re.search(r'(?i)\b(old|age|older|expired|stale)\b', l)]
        self.assertTrue(lines, 'no log line saying the state file is too '
                        'old:\n%s' % log)
        self.assertIn('info:', lines[0])
        # probing started at once: origin 1 down after its timeout
        self.waitAnswer(GTM, 'A', [O2], timeout=FIRST_ROUND + 2.5)

    def test_tiny_max_age(self):
        k = self.produce_state()
        time.sleep(1.2)
        k.configure(zones=k.zones, instances={'default': dict(
            k.instances['default'], **{'state-max-age': '1s'})})
        t0, offset = self.restart(k)
        a = self.q(GTM, 'A')
        self.assertLess(time.monotonic() - t0, FIRST_ROUND - 0.5)
        self.assertEqual(a, [O1], 'a state file older than state-max-age '
                         '1s was used: %r' % a)

    def test_missing_state_file_cold_start(self):
        self.assertFalse(os.path.exists(self.state_path))
        k = self.start_gtm(self.conf, options=self.opts, start=False)
        t0 = time.monotonic()
        k.start()
        a = self.q(GTM, 'A')
        self.assertLess(time.monotonic() - t0, FIRST_ROUND - 0.5)
        self.assertEqual(a, [O1])
        lines = [l for l in k.log().splitlines()
                 if re.search(r'(?i)state', l) and
                 re.search(r'(?i)(missing|no such|not found|not exist|'
                           r'cold|no state)', l)]
        self.assertTrue(lines, 'no log line about the missing state file:\n%s'
                        % k.log_tail(30))
        self.waitAnswer(GTM, 'A', [O2], timeout=FIRST_ROUND + 2.5)
        self.assertTrue(os.path.exists(self.state_path))
        st = read_json(self.state_path)[1]
        self.assertFalse(any(t['warm'] for t in st['targets']))
        self.assertEqual(self.target(st, O3)['state'], 'up')


class WarmRemembered(GtmTestCase):
    """A non-preemptive choice survives a restart: the state file's memos
    are restored with the targets."""

    def test_sticky_choice_after_restart(self):
        o = self.start_origins()
        state_path = os.path.join(self.tmp, 'gtm-state.json')
        conf = gtm_conf([check_block(port=self.oport, interval='500ms',
                                     timeout='400ms', rise=1, fall=1)],
                        [pool_block('origins', [O1, O2]) +
                         '\n    preempt: off'],
                        [name_block('gtm', ['origins'])])
        k = self.start_gtm(conf, options={'state-file': state_path,
                                          'state-interval': '1s'})

        def memo():
            st = read_json(state_path)[1] or {}
            for m in st.get('memos') or []:
                if 'pool origins' in (m.get('memo') or ''):
                    return m.get('value')
            return None

        self.assertAnswer(GTM, 'A', [O1])
        ok, first = wait_for(memo, 5.0, interval=0.1)
        self.assertTrue(ok, 'choice of 1 not in the state file:\n%s'
                        % read_json(state_path)[0])
        o[1].set_down()
        self.waitAnswer(GTM, 'A', [O2])
        o[1].set_up()
        self.waitLog(r'origins/127\.0\.0\.11 up')
        self.assertAnswer(GTM, 'A', [O2])   # sticky while 1 is up again
        # the choice of 2 is saved soon after it was made
        ok, _ = wait_for(lambda: memo() not in (None, first), 3.0,
                         interval=0.1)
        self.assertTrue(ok, 'choice of 2 not saved:\n%s'
                        % read_json(state_path)[0])
        self.assertEqual(k.stop(), 0)

        offset = os.path.getsize(k.log_path)
        k.start()
        self.assertAnswer(GTM, 'A', [O2])   # not the fresh choice, 1
        self.assertIn('1 remembered choices', k.log()[offset:])
        # and it stays there: 1 is up, but the choice is remembered
        self.assertSteady(GTM, 'A', [O2], 1.0)
