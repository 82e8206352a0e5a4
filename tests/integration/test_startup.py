"""Start-up: unknown health counts as up; a bad data file stops knotd."""

import os
import time

from harness import (GtmTestCase, BLACKHOLE, O2, check_block,
                     gtm_conf, name_block, pool_block, wait_for)


class BeforeFirstResult(GtmTestCase):

    def test_first_address_answers_before_first_result(self):
        # 127.0.0.99 accepts connections but never answers: its first
        # probe result (a timeout) only arrives after `timeout`.
        o = self.start_origins((BLACKHOLE, O2))
        o[1].set_hang()
        conf = gtm_conf([check_block(port=self.oport, interval='4s',
                                     timeout='4s', rise=1, fall=1)],
                        [pool_block('origins', [BLACKHOLE, O2]),
                         pool_block('hole', [BLACKHOLE])],
                        [name_block('gtm', ['origins']),
                         name_block('first', ['hole'])])
        t0 = time.monotonic()
        self.start_gtm(conf)
        # origin2 gets its first (good) result quickly; the black hole has
        # no result yet and must still count as up.
        ok, _ = wait_for(lambda: len(o[2].requests) >= 1, 3.0)
        self.assertTrue(ok, 'origin2 never probed\n' + self.context())
        self.assertAnswer('gtm.example.com', 'A', [BLACKHOLE], ttl=30)
        self.assertAnswer('first.example.com', 'A', [BLACKHOLE], ttl=30)
        left = 3.0 - (time.monotonic() - t0)
        if left > 0.2:
            self.assertSteady('gtm.example.com', 'A', [BLACKHOLE], left - 0.1)
        # after the timeout, the first result (a failure) decides at once
        self.waitAnswer('gtm.example.com', 'A', [O2], timeout=8)
        self.waitAnswer('first.example.com', 'A', ['198.51.100.8'], timeout=2)


class BadDataFileAtStart(GtmTestCase):

    def test_knotd_refuses_to_start(self):
        self.start_origins()
        k = self.new_knot()
        good = self.simple_conf()
        cfg = k.write('gtm.conf', good.replace('pool: [ origins ]',
                                               'pool: [ nosuchpool ]'))
        k.configure(instances={'default': {'config-file': cfg}})
        self.knot = k
        rc = k.start(expect_fail=True, timeout=15)
        self.assertIsNotNone(rc, 'knotd still running 15s after start with '
                             'a bad data file\n' + k.log_tail())
        self.assertNotEqual(rc, 0, k.stderr_tail())
        out = k.stderr_tail(60) + '\n' + k.log_tail(60)
        self.assertRegex(out, r'gtm\.conf:\d+', out)
        self.assertIn('nosuchpool', out)

    def test_knotd_refuses_to_start_missing_file(self):
        k = self.new_knot()
        k.configure(instances={'default': {
            'config-file': os.path.join(self.tmp, 'missing.conf')}})
        self.knot = k
        rc = k.start(expect_fail=True, timeout=15)
        self.assertIsNotNone(rc, 'knotd still running with a missing data '
                             'file\n' + k.log_tail())
        self.assertNotEqual(rc, 0)
        self.assertIn('missing.conf', k.stderr_tail(60) + k.log_tail(60))
