"""knotd life cycle with the module: repeated reloads, clean shutdown."""

import time

from harness import GtmTestCase, O1, O2, O3, QueryLoop


class Lifecycle(GtmTestCase):

    def test_repeated_reloads_under_query_load(self):
        o = self.start_origins()
        k = self.start_gtm(self.simple_conf(interval='200ms',
                                            timeout='200ms'))
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        loop = QueryLoop(k, 'gtm.example.com', 'A', period=0.002, limit=60)
        loop.start()
        try:
            for i in range(10):
                r = k.knotc('reload')
                self.assertEqual(r.returncode, 0, r.stdout)
                r = k.knotc('zone-reload', 'example.com', force=True)
                self.assertEqual(r.returncode, 0, r.stdout)
        finally:
            loop.stop()
        bad = loop.bad([O2])
        self.assertEqual(bad[:5], [], '%d bad answers of %d\n%s'
                         % (len(bad), len(loop.results), self.context()))
        self.assertTrue(k.running)
        # still probing and switching
        o[2].stop()
        self.waitAnswer('gtm.example.com', 'A', [O3])
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])

    def test_flapping_origin_under_query_load(self):
        o = self.start_origins()
        k = self.start_gtm(self.simple_conf(interval='100ms',
                                            timeout='100ms'))
        loop = QueryLoop(k, 'gtm.example.com', 'A', period=0.002, limit=60)
        loop.start()
        try:
            for i in range(15):
                o[1].stop() if i % 2 == 0 else o[1].start()
                time.sleep(0.15)
        finally:
            loop.stop()
        wrong = [a for _, a in loop.results
                 if not (a == [O1] or a == [O2])]
        self.assertEqual(wrong[:5], [], '%d unexpected answers of %d'
                         % (len(wrong), len(loop.results)))
        o[1].start()
        self.waitAnswer('gtm.example.com', 'A', [O1])

    def test_clean_shutdown_with_probe_in_flight(self):
        o = self.start_origins()
        k = self.start_gtm(self.simple_conf(interval='5s', timeout='5s'))
        o[1].set_hang()
        o[2].set_hang()
        time.sleep(0.5)       # first probes of origin 1/2 now hang
        t0 = time.monotonic()
        rc = k.stop(timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, 'knotd exit status %s\n%s'
                         % (rc, k.stderr_tail()))
        self.assertLess(took, 3.0, 'knotd took %.1fs to stop' % took)
        self.assertEqual(k.log_search(r'(?i)crit|assert|segfault'), [])
