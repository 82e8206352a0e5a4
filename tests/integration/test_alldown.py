"""Every address of the family down: all-down static | all."""

from harness import (GtmTestCase, O1, O2, O3, STATIC_A, check_block,
                     gtm_conf, name_block, pool_block)


class AllDown(GtmTestCase):

    def setUp(self):
        super().setUp()
        self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2, O3])],
                        [name_block('gtm', ['origins'], all_down='static'),
                         name_block('gtmall', ['origins'], ttl=20,
                                    all_down='all')])
        self.start_gtm(conf)

    def all_down(self):
        o = self.origins
        o[1].set_down()
        o[2].set_down()
        o[3].stop()

    def test_all_down_static(self):
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.all_down()
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])
        self.assertAnswer('gtm.example.com', 'A', [STATIC_A], aa=True,
                          ttl=3600)
        self.assertSteady('gtm.example.com', 'A', [STATIC_A], 0.5)
        self.origins[3].start()
        self.waitAnswer('gtm.example.com', 'A', [O3])
        self.assertAnswer('gtm.example.com', 'A', [O3], ttl=30)

    def test_all_down_all(self):
        self.assertAnswer('gtmall.example.com', 'A', [O1], ttl=20)
        self.all_down()
        self.waitAnswer('gtmall.example.com', 'A', [O1, O2, O3])
        a = self.assertAnswer('gtmall.example.com', 'A', [O1, O2, O3],
                              aa=True, ttl=20)
        self.assertEqual(len(a.order), 3, a)
        self.assertSteady('gtmall.example.com', 'A', [O1, O2, O3], 0.5)
        self.origins[2].set_up()
        self.waitAnswer('gtmall.example.com', 'A', [O2])
        self.assertAnswer('gtmall.example.com', 'A', [O2], ttl=20)
