"""Counters in Knot's module statistics: `knotc zone-stats ZONE mod-gtm`.

answers[first|failover|all-down|static], name[OWNER], pool[ID],
address[ADDRESS], probes[success|failure] (watchdog[stale]: see
test_watchdog.py).
"""

import time

from harness import (GtmTestCase, O1, O2, O3, check_block, gtm_conf,
                     name_block, pool_block, wait_for)

GTM2_STATIC = '198.51.100.3'       # gtm2's A record in the test zone


class ZoneStats(GtmTestCase):

    def setUp(self):
        super().setUp()
        o = self.start_origins()
        conf = gtm_conf([check_block(port=self.oport, interval='200ms',
                                     timeout='200ms', rise=1, fall=1)],
                        [pool_block('origins', [O1, O2]),
                         pool_block('other', [O3])],
                        [name_block('gtm', ['origins']),
                         name_block('gtm2', ['other'], all_down='static')])
        self.start_gtm(conf)
        self.o = o

    def ask(self, name, n, expected):
        """n queries of name; the number of responses equal to expected
        (others lost or different: the caller's bounds allow for them)."""
        got = 0
        for _ in range(n):
            a = self.knot.query(name, 'A')
            if a == expected:
                got += 1
        self.assertGreater(got, 0, '%s: no answer %s\n%s'
                           % (name, expected, self.context()))
        return got

    def delta(self, before, after, key):
        return after.get(key, 0) - before.get(key, 0)

    def test_answers_per_name_pool_address(self):
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.waitAnswer('gtm2.example.com', 'A', [O3])
        c0 = self.knot.zone_counters()
        n1 = self.ask('gtm.example.com', 6, [O1])
        n2 = self.ask('gtm2.example.com', 4, [O3])
        c1 = self.knot.zone_counters()
        out = '\n'.join('%s = %s' % kv for kv in sorted(c1.items()))
        d = lambda k: self.delta(c0, c1, k)  # noqa: E731
        self.assertTrue(n1 <= d('name[gtm.example.com.]') <= 6, out)
        self.assertTrue(n2 <= d('name[gtm2.example.com.]') <= 4, out)
        self.assertTrue(n1 <= d('pool[origins]') <= 6, out)
        self.assertTrue(n2 <= d('pool[other]') <= 4, out)
        self.assertTrue(n1 <= d('address[127.0.0.11]') <= 6, out)
        self.assertTrue(n2 <= d('address[127.0.0.13]') <= 4, out)
        self.assertEqual(d('address[127.0.0.12]'), 0, out)
        self.assertTrue(n1 + n2 <= d('answers[first]') <= 10, out)
        self.assertEqual(d('answers[failover]'), 0, out)

        # origin 1 down: failovers, counted for origin 2
        self.o[1].set_down(503)
        self.waitAnswer('gtm.example.com', 'A', [O2])
        c0 = self.knot.zone_counters()
        n = self.ask('gtm.example.com', 5, [O2])
        c1 = self.knot.zone_counters()
        out = '\n'.join('%s = %s' % kv for kv in sorted(c1.items()))
        self.assertTrue(n <= self.delta(c0, c1, 'answers[failover]') <= 5, out)
        self.assertTrue(n <= self.delta(c0, c1, 'address[127.0.0.12]') <= 5,
                        out)
        self.assertEqual(self.delta(c0, c1, 'address[127.0.0.11]'), 0, out)
        self.assertTrue(n <= self.delta(c0, c1, 'name[gtm.example.com.]') <= 5,
                        out)
        self.assertTrue(n <= self.delta(c0, c1, 'pool[origins]') <= 5, out)

        # origin 3 down: gtm2 all down, the zone's records (static)
        self.o[3].stop()
        self.waitAnswer('gtm2.example.com', 'A', [GTM2_STATIC])
        c0 = self.knot.zone_counters()
        n = self.ask('gtm2.example.com', 5, [GTM2_STATIC])
        c1 = self.knot.zone_counters()
        out = '\n'.join('%s = %s' % kv for kv in sorted(c1.items()))
        self.assertTrue(n <= self.delta(c0, c1, 'answers[static]') <= 5, out)
        self.assertTrue(n <= self.delta(c0, c1, 'name[gtm2.example.com.]')
                        <= 5, out)
        self.assertEqual(self.delta(c0, c1, 'pool[other]'), 0, out)
        self.assertEqual(self.delta(c0, c1, 'answers[first]'), 0, out)

    def test_probe_results_grow(self):
        self.waitAnswer('gtm.example.com', 'A', [O1])

        def grown(key, base, by):
            def pred():
                c = self.knot.zone_counters()
                return c if c.get(key, 0) >= base + by else None
            return pred

        c0 = self.knot.zone_counters()
        self.assertGreater(c0.get('probes[success]', 0), 0,
                           'no probe success counted: %s' % c0)
        # 3 targets every 200 ms: at least a few more within 2 s
        ok, c1 = wait_for(grown('probes[success]', c0['probes[success]'], 6),
                          3.0, interval=0.2)
        self.assertTrue(ok, 'probes[success] did not grow: %s -> %s'
                        % (c0, self.knot.zone_counters()))
        fail0 = c1.get('probes[failure]', 0)
        self.o[1].set_down(503)
        ok, c2 = wait_for(grown('probes[failure]', fail0, 3), 3.0,
                          interval=0.2)
        self.assertTrue(ok, 'probes[failure] did not grow: %s -> %s'
                        % (c1, self.knot.zone_counters()))
        # the failures are origin 1's: its checks keep failing, successes
        # still grow from origins 2 and 3
        time.sleep(0.6)
        c3 = self.knot.zone_counters()
        self.assertGreater(c3['probes[success]'], c2['probes[success]'])
        self.assertGreater(c3['probes[failure]'], c2['probes[failure]'])

    def test_counter_names_listed(self):
        """Every documented counter is listed by zone-stats (-f shows the
        zero ones too)."""
        self.waitAnswer('gtm.example.com', 'A', [O1])
        r = self.knot.knotc('-f', 'zone-stats', 'example.com', 'mod-gtm',
                            socket=True)
        for key in ('answers[first]', 'answers[failover]',
                    'answers[all-down]', 'answers[static]',
                    'name[gtm.example.com.]', 'name[gtm2.example.com.]',
                    'pool[origins]', 'pool[other]', 'address[127.0.0.11]',
                    'address[127.0.0.12]', 'address[127.0.0.13]',
                    'probes[success]', 'probes[failure]'):
            self.assertIn('mod-gtm.%s = ' % key, r.stdout)
        # watchdog[stale] has a single index: knotc prints it without it
        self.assertRegex(r.stdout, r'mod-gtm\.watchdog(\[stale\])? = 0\n')
