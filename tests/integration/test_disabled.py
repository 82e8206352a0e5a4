"""Disabled instance, disabled name, zone without the module."""

import re

from harness import (GtmTestCase, O1, O2, STATIC_A, STATIC_AAAA,
                     check_block, gtm_conf, name_block, pool_block)


class Disabled(GtmTestCase):

    def test_instance_disabled(self):
        self.start_origins()
        self.start_gtm(self.simple_conf(), enabled=False)
        self.assertSteady('gtm.example.com', 'A', [STATIC_A], 0.8)
        self.assertEqual(sum(o.connection_count()
                             for o in self.origins.origins), 0,
                         'a disabled instance probes its targets')
        self.assertAnswer('gtm.example.com', 'A', [STATIC_A], ttl=3600)
        self.assertAnswer('gtm.example.com', 'AAAA', [STATIC_AAAA], ttl=3600)

    def test_name_disabled(self):
        self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2])],
                        [name_block('gtm', ['origins']),
                         name_block('gtm2', ['origins'], enabled=False)])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm2.example.com', 'A', ['198.51.100.3'],
                          ttl=3600)
        self.assertAnswer('gtm2.example.com', 'AAAA', ['2001:db8::93'],
                          ttl=3600)

    def test_name_explicitly_enabled(self):
        self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2])],
                        [name_block('gtm', ['origins'], enabled=True)])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)

    def test_zone_without_module(self):
        self.start_origins()
        self.start_gtm(self.simple_conf(),
                       zones=(('example.com', 'default'),
                              ('example.net', None)))
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm.example.net', 'A', ['203.0.113.1'], ttl=3600)
        self.assertAnswer('gtm.example.net', 'AAAA', ['2001:db8:1::1'],
                          ttl=3600)

    def test_two_instances_one_disabled(self):
        self.start_origins()
        k = self.new_knot()
        cfg = k.write('gtm.conf', self.simple_conf())
        k.configure(zones=(('example.com', 'on'), ('example.net', 'off')),
                    instances={'on': {'config-file': cfg},
                               'off': {'config-file': cfg,
                                       'enabled': False}})
        self.knot = k
        k.start()
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm.example.net', 'A', ['203.0.113.1'], ttl=3600)

    def test_same_instance_on_two_zones(self):
        self.start_origins()
        self.start_gtm(self.simple_conf(),
                       zones=(('example.com', 'default'),
                              ('example.net', 'default')))
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm.example.net', 'A', [O1], ttl=30)
        self.origins[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.waitAnswer('gtm.example.net', 'A', [O2])

    def test_toggle_instance_by_reload(self):
        self.start_origins()
        k = self.start_gtm(self.simple_conf())
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        text = open(k.conf_path).read()
        off = re.sub(r'(config-file: \S+\n)', r'\1    enabled: off\n', text)
        self.assertNotEqual(off, text)
        k.write('knot.conf', off)
        r = k.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A], timeout=3)
        k.write('knot.conf', text)
        r = k.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.waitAnswer('gtm.example.com', 'A', [O1], timeout=3)
        # health is known again: a down origin is skipped at once
        self.origins[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])

    def test_toggle_name_by_reload(self):
        self.start_origins()
        mk = lambda on: gtm_conf(  # noqa: E731
            [check_block(port=self.oport)],
            [pool_block('origins', [O1, O2])],
            [name_block('gtm', ['origins'], enabled=on)])
        k = self.start_gtm(mk(True))
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        k.write('gtm.conf', mk(False))
        self.assertEqual(k.knotc('reload').returncode, 0)
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A], timeout=3)
        k.write('gtm.conf', mk(True))
        self.assertEqual(k.knotc('reload').returncode, 0)
        self.waitAnswer('gtm.example.com', 'A', [O1], timeout=3)
