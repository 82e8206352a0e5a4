"""Address families: A from IPv4 targets, AAAA from IPv6 targets."""

from harness import (GtmTestCase, O1, O2, O6, STATIC_AAAA, check_block,
                     gtm_conf, ipv6_usable, name_block, pool_block)


class Families(GtmTestCase):

    def setUp(self):
        super().setUp()
        if not ipv6_usable():
            self.skipTest('[::1] is not usable on this machine (no IPv6 '
                          'loopback): IPv6 tests skipped')

    def test_mixed_pool(self):
        o = self.start_origins((O1, O6, O2))
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('mixed', [O1, O6, O2]),
                         pool_block('v4', [O1, O2])],
                        [name_block('gtm', ['mixed']),
                         name_block('v4only', ['v4'])])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm.example.com', 'AAAA', [O6], ttl=30)
        # no IPv6 address configured: the zone's own AAAA answers
        self.assertAnswer('v4only.example.com', 'AAAA', ['2001:db8::95'],
                          ttl=3600)
        self.assertAnswer('v4only.example.com', 'A', [O1], ttl=30)

        # IPv6 target down: only AAAA is affected (static fallback)
        o[O6].stop()
        self.waitAnswer('gtm.example.com', 'AAAA', [STATIC_AAAA])
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        o[O6].start()
        self.waitAnswer('gtm.example.com', 'AAAA', [O6])

        # IPv4 first target down: A fails over within IPv4, AAAA unchanged
        o[O1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertAnswer('gtm.example.com', 'AAAA', [O6], ttl=30)

    def test_ipv6_all_down_all(self):
        o = self.start_origins((O1, O6))
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('mixed', [O1, O6])],
                        [name_block('gtmall', ['mixed'], all_down='all')])
        self.start_gtm(conf)
        o[O6].stop()
        o[O1].stop()
        self.waitAnswer('gtmall.example.com', 'AAAA', [O6])
        self.assertAnswer('gtmall.example.com', 'A', [O1], ttl=30)
        # give the probes time to mark both down; answers must not change
        self.assertSteady('gtmall.example.com', 'AAAA', [O6], 0.8)
        self.assertAnswer('gtmall.example.com', 'AAAA', [O6], ttl=30)
        self.assertTrue(self.knot.log_search(r'::1 down'),
                        self.context())
