"""Every address of the family down: each all-down policy (static, all,
last-good, pool:ID, cname:TARGET, nodata, servfail) with its TTL and
counter; disabled addresses and pools (enabled: off)."""

import time

from harness import (EXAMPLE_COM_ZONE, GtmTestCase, O1, O2, O3, STATIC_A,
                     check_block, gtm_conf, name_block, pool_block, rrsets)

O4 = '127.0.0.14'


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


# Static records of the names below: the module must not let them answer.
ALLDOWN_ZONE = EXAMPLE_COM_ZONE + """\
lastgood  A 198.51.100.21
lastgood2 A 198.51.100.26
spare     A 198.51.100.22
spare2    A 198.51.100.28
togtm     A 198.51.100.29
tocname   A 198.51.100.23
outcname  A 198.51.100.27
nodata    A 198.51.100.24
fail      A 198.51.100.25
"""

ALLDOWN_DATA = """\
check:
{check}

pool:
  - id: origins
    address: [ {o1}, {o2} ]
    check: web
  - id: reserve
    address: [ 127.0.0.99, 127.0.0.98 ]
    check: web
    policy: all
  - id: fixed
    address: [ 127.0.0.97, 127.0.0.96 ]

name:
  - id: alt
    pool: [ fixed ]
    ttl: 30
"""

# name -> all-down policy; each name: ttl 30, ttl-degraded 5.
ALLDOWN_NAMES = (('gtm', 'static'), ('gtmall', 'all'),
                 ('lastgood', 'last-good'), ('lastgood2', 'last-good'),
                 ('spare', 'pool:reserve'), ('spare2', 'pool:fixed'),
                 ('tocname', 'cname:www'), ('togtm', 'cname:alt'),
                 ('outcname', 'cname:cdn.example.net.'),
                 ('nodata', 'nodata'), ('fail', 'servfail'))


class AllDownPolicies(GtmTestCase):
    """origins = [O1, O2]; every name uses it, with ttl 30, ttl-degraded 5."""

    def setUp(self):
        super().setUp()
        self.start_origins(addrs=(O1, O2))
        conf = ALLDOWN_DATA.format(check=check_block(port=self.oport),
                                   o1=O1, o2=O2)
        for n, policy in ALLDOWN_NAMES:
            conf += ('  - id: %s\n    pool: [ origins ]\n    ttl: 30\n'
                     '    ttl-degraded: 5\n    all-down: %s\n' % (n, policy))
        k = self.start_gtm(conf, start=False)
        k.write('example.com.zone', ALLDOWN_ZONE)
        k.start()

    def all_down(self):
        self.origins[1].set_down()
        self.origins[2].stop()
        self.waitLog(r'origins/127\.0\.0\.11 .*down')
        self.waitLog(r'origins/127\.0\.0\.12 .*down')

    def count(self, n=5, name=None, rdtype='A'):
        """n queries of name: (responses received, change of each
        counter)."""
        before = self.knot.zone_stats()
        got = sum(1 for _ in range(n)
                  if self.knot.query(name, rdtype).rcode != 'TIMEOUT')
        after = self.knot.zone_stats()
        return got, {k: after.get(k, 0) - before.get(k, 0)
                     for k in ('first', 'failover', 'all-down', 'static')}

    def assertCounted(self, name, outcome, n=5):
        got, d = self.count(n, name)
        self.assertGreater(got, 0, 'no response\n' + self.context())
        self.assertGreaterEqual(d[outcome], got, '%s: counters changed by %s'
                                % (name, d))
        for k, v in d.items():
            if k != outcome:
                self.assertEqual(v, 0, '%s: counters changed by %s'
                                 % (name, d))

    def test_static(self):
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertCounted('gtm.example.com', 'first')
        self.all_down()
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])
        # the zone answers with its own records and TTL
        self.assertAnswer('gtm.example.com', 'A', [STATIC_A], ttl=3600)
        self.assertCounted('gtm.example.com', 'static')

    def test_all(self):
        self.all_down()
        self.waitAnswer('gtmall.example.com', 'A', [O1, O2])
        self.assertAnswer('gtmall.example.com', 'A', [O1, O2], ttl=5)
        self.assertCounted('gtmall.example.com', 'all-down')
        self.origins[2].start()
        self.waitAnswer('gtmall.example.com', 'A', [O2])
        self.assertAnswer('gtmall.example.com', 'A', [O2], ttl=5)
        self.assertCounted('gtmall.example.com', 'failover')

    def test_last_good(self):
        o = self.origins
        self.assertAnswer('lastgood.example.com', 'A', [O1], ttl=30)
        o[1].set_down()
        self.waitAnswer('lastgood.example.com', 'A', [O2])
        self.assertAnswer('lastgood.example.com', 'A', [O2], ttl=5)
        o[2].stop()
        self.waitLog(r'origins/127\.0\.0\.12 .*down')
        # the last answer before everything went down, not the static A
        self.assertSteady('lastgood.example.com', 'A', [O2], 0.6)
        self.assertAnswer('lastgood.example.com', 'A', [O2], ttl=5)
        self.assertCounted('lastgood.example.com', 'all-down')
        # a name never answered while something was up: like all
        self.assertAnswer('lastgood2.example.com', 'A', [O1, O2], ttl=5)
        # remembered across a reload
        r = self.knot.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        time.sleep(0.3)
        self.assertSteady('lastgood.example.com', 'A', [O2], 0.6)
        self.assertAnswer('lastgood.example.com', 'A', [O2], ttl=5)
        o[1].set_up()
        self.waitAnswer('lastgood.example.com', 'A', [O1])
        self.assertAnswer('lastgood.example.com', 'A', [O1], ttl=30)

    def test_fallback_pool(self):
        self.assertAnswer('spare.example.com', 'A', [O1], ttl=30)
        self.all_down()
        # 127.0.0.98/99 have no listener: answered although down
        self.waitAnswer('spare.example.com', 'A', ['127.0.0.99',
                                                   '127.0.0.98'])
        self.assertAnswer('spare.example.com', 'A',
                          ['127.0.0.99', '127.0.0.98'], ttl=5)
        self.assertCounted('spare.example.com', 'all-down')
        # a pool without check, sequence: its first address alone
        self.assertAnswer('spare2.example.com', 'A', ['127.0.0.97'], ttl=5)

    def test_cname(self):
        self.all_down()
        # in-zone target with a static A: CNAME + that A
        m = self.waitMsg('tocname.example.com', 'A',
                         lambda m: rrsets(m.answer)[:1] == [
                             ('tocname.example.com', 'CNAME',
                              ('www.example.com.',))],
                         'CNAME to www.example.com')
        self.assertEqual(m.rcode(), 0, m)
        self.assertTrue(m.flags & 0x400, 'no AA\n%s' % m)
        self.assertEqual(rrsets(m.answer), [
            ('tocname.example.com', 'CNAME', ('www.example.com.',)),
            ('www.example.com', 'A', ('198.51.100.2',))], m)
        self.assertEqual(m.answer[0].ttl, 5, m)
        # out-of-zone target: the CNAME alone
        m = self.knot.query_msg('outcname.example.com', 'A')
        self.assertEqual(m.rcode(), 0, m)
        self.assertEqual(rrsets(m.answer), [
            ('outcname.example.com', 'CNAME', ('cdn.example.net.',))], m)
        self.assertEqual(m.answer[0].ttl, 5, m)
        self.assertCounted('tocname.example.com', 'all-down')
        # target a GTM name of the zone: its GTM answer completes the chain
        m = self.knot.query_msg('togtm.example.com', 'A')
        self.assertEqual(m.rcode(), 0, m)
        self.assertEqual(rrsets(m.answer), [
            ('togtm.example.com', 'CNAME', ('alt.example.com.',)),
            ('alt.example.com', 'A', ('127.0.0.97',))], m)
        self.assertEqual([rr.ttl for rr in m.answer], [5, 30], m)

    def test_nodata(self):
        self.assertAnswer('nodata.example.com', 'A', [O1], ttl=30)
        self.all_down()
        m = self.waitMsg('nodata.example.com', 'A',
                         lambda m: not m.answer, 'no answer records')
        self.assertEqual(m.rcode(), 0, m)
        self.assertTrue(m.flags & 0x400, 'no AA\n%s' % m)
        self.assertEqual([(o, t) for o, t, _ in rrsets(m.authority)],
                         [('example.com', 'SOA')], m)
        self.assertCounted('nodata.example.com', 'all-down')

    def test_servfail(self):
        self.assertAnswer('fail.example.com', 'A', [O1], ttl=30)
        self.all_down()
        m = self.waitMsg('fail.example.com', 'A', lambda m: m.rcode() == 2,
                         'SERVFAIL')
        self.assertEqual(m.answer, [], m)
        self.assertCounted('fail.example.com', 'all-down')


class EnabledOff(GtmTestCase):
    """A disabled address or pool is never answered and never probed."""

    def test_disabled_address_and_pool(self):
        o = self.start_origins(addrs=(O1, O2, O3, O4))
        conf = """\
check:
{check}

pool:
  - id: origins
    address: [ {o1}, "{o3} enabled=off", {o2} ]
    check: web
  - id: off
    address: [ {o4} ]
    check: web
    enabled: off

name:
  - id: gtm
    pool: [ origins ]
    ttl: 30
    ttl-degraded: 5
    all-down: all
  - id: gtm2
    pool: [ off, origins ]
    ttl: 30
    ttl-degraded: 5
""".format(check=check_block(port=self.oport), o1=O1, o2=O2, o3=O3, o4=O4)
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        # the disabled pool is not in the list: origins is the first choice
        self.assertAnswer('gtm2.example.com', 'A', [O1], ttl=30)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertSteady('gtm.example.com', 'A', [O2], 0.5)
        self.assertAnswer('gtm2.example.com', 'A', [O2], ttl=5)
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1, O2])
        self.assertAnswer('gtm.example.com', 'A', [O1, O2], ttl=5)
        self.assertGreater(o[1].connection_count(), 0, self.context())
        self.assertEqual(o[O3].connection_count(), 0,
                         'disabled address probed\n' + self.context())
        self.assertEqual(o[O4].connection_count(), 0,
                         'address of a disabled pool probed\n'
                         + self.context())
        self.assertEqual(
            self.knot.log_search(r'127\.0\.0\.1[34] .*(up|down)'), [])
