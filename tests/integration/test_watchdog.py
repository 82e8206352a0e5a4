"""Watchdog: the prober stopped through the admin file (`prober pause`),
stale-after 2s; stale-policy static and keep; `prober run` recovers."""

import os
import time

from harness import (GtmTestCase, O1, O2, STATIC_A, is_root, knot_ids,
                     parse_prometheus, prom_values, read_json, wait_for)

GTM = 'gtm.example.com'
STALE = r'prober stale for'
RECOVERED = r'prober running again'


class Watchdog(GtmTestCase):

    def start_watched(self, policy):
        self.start_origins()
        self.admin = os.path.join(self.tmp, 'gtm-admin')
        self.state_path = os.path.join(self.tmp, 'gtm-state.json')
        prom_dir = os.path.join(self.tmp, 'textfile')
        os.mkdir(prom_dir)
        if is_root() and knot_ids():
            os.chown(prom_dir, *knot_ids())
        self.prom_path = os.path.join(prom_dir, 'gtm.prom')
        return self.start_gtm(
            self.simple_conf(interval='200ms', timeout='200ms', rise=1,
                             fall=1),
            options={'admin-file': self.admin, 'stale-after': '2s',
                     'stale-policy': policy, 'state-file': self.state_path,
                     'prometheus-file': self.prom_path,
                     'state-interval': '1s'})

    def files_say(self, paused, stale, timeout=3.0):
        """The state file's prober flags and gtm_prober_stale agree."""
        def check():
            st = read_json(self.state_path)[1]
            try:
                with open(self.prom_path) as f:
                    s = parse_prometheus(f.read())
            except (OSError, ValueError):
                return False
            return st is not None and st['prober'] == dict(
                st['prober'], paused=paused, stale=stale) and \
                prom_values(s, 'gtm_prober_stale') == [1.0 if stale else 0.0]
        ok, _ = wait_for(check, timeout, interval=0.1)
        self.assertTrue(ok, 'expected paused %s, stale %s; state file:\n%s'
                        % (paused, stale, read_json(self.state_path)[0]))

    def query_until_log(self, pattern, expected, timeout):
        """Query (the watchdog looks at queries) until a log line matches;
        every answer meanwhile must equal expected (None: any)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            a = self.q(GTM, 'A')
            if expected is not None:
                self.assertEqual(a, expected, 'answer while waiting for %r: '
                                 '%r\n%s' % (pattern, a, self.context()))
            lines = self.knot.log_search(pattern)
            if lines:
                return lines
            time.sleep(0.05)
        self.fail('no log line %r within %.1fs\n%s'
                  % (pattern, timeout, self.context()))

    def assertOnce(self, pattern, level):
        for _ in range(10):
            self.q(GTM, 'A')
            time.sleep(0.1)
        lines = self.knot.log_search(pattern)
        self.assertEqual(len(lines), 1, '%r logged %d times:\n%s'
                         % (pattern, len(lines), '\n'.join(lines)))
        self.assertIn('%s:' % level, lines[0])
        return lines[0]

    def stale_count(self):
        # a single-index counter: knotc prints it without the index
        c = self.knot.zone_counters()
        return c.get('watchdog[stale]', c.get('watchdog', 0))

    def test_stale_policy_static(self):
        k = self.start_watched('static')
        self.assertAnswer(GTM, 'A', [O1])
        self.assertEqual(self.stale_count(), 0)
        k.write('gtm-admin', 'prober pause\n')
        t0 = time.monotonic()
        self.assertAnswer(GTM, 'A', [O1])      # not stale before 1 s
        took = self.waitAnswer(GTM, 'A', [STATIC_A], timeout=6.0)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9,
                                'static after %.2fs' % took)
        line = self.query_until_log(STALE, [STATIC_A], 2.0)[0]
        self.assertIn('static', line)
        self.assertOnce(STALE, 'error')
        self.assertGreaterEqual(self.stale_count(), 1)
        self.assertSteady(GTM, 'A', [STATIC_A], 1.0)
        self.assertEqual(k.log_search(RECOVERED), [])
        self.files_say(paused=True, stale=True)

        k.write('gtm-admin', 'prober run\n')
        self.waitAnswer(GTM, 'A', [O1], timeout=4.0)
        self.query_until_log(RECOVERED, [O1], 2.0)
        self.assertOnce(RECOVERED, 'notice')
        self.assertOnce(STALE, 'error')
        self.files_say(paused=False, stale=False)
        # probing again: a failure is seen
        self.origins[1].set_down(503)
        self.waitAnswer(GTM, 'A', [O2], timeout=4.0)

    def test_stale_policy_keep(self):
        k = self.start_watched('keep')
        self.assertAnswer(GTM, 'A', [O1])
        k.write('gtm-admin', 'prober pause\n')
        time.sleep(1.2)                  # the pause is applied within 1 s
        # origin 1 fails while the prober is paused: nobody notices, and
        # the last state keeps answering
        self.origins[1].set_down(503)
        line = self.query_until_log(STALE, [O1], 6.0)[0]
        self.assertIn('keep', line)
        self.assertOnce(STALE, 'error')
        self.assertGreaterEqual(self.stale_count(), 1)
        self.assertSteady(GTM, 'A', [O1], 1.0)

        k.write('gtm-admin', 'prober run\n')
        self.waitAnswer(GTM, 'A', [O2], timeout=4.0)
        self.query_until_log(RECOVERED, None, 2.0)
        self.assertOnce(RECOVERED, 'notice')

    def test_comment_only_admin_file_keeps_probing(self):
        """No 'prober pause' line: the watchdog stays quiet."""
        k = self.start_watched('static')
        k.write('gtm-admin', '# maintenance notes only\n\n')
        end = time.monotonic() + 3.5
        while time.monotonic() < end:
            self.assertAnswer(GTM, 'A', [O1])
            time.sleep(0.1)
        self.assertEqual(k.log_search(STALE), [])
        self.assertEqual(self.stale_count(), 0)
