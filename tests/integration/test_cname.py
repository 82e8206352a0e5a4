"""CNAME pools (probe= addresses, resolved targets), CNAME chains to GTM
names, and zone records `www CNAME gtm` pointing at GTM names."""

from harness import (EXAMPLE_COM_ZONE, GtmTestCase, O1, O2, STATIC_A,
                     check_block, rrsets, wait_for)

LOCAL = '127.0.0.1'     # what `localhost.` resolves to

CNAME_DATA = """\
check:
{check}

pool:
  - id: origins
    address: [ {o1}, {o2} ]
    check: web
  - id: cdns
    cname: [ "cdn1.example.net. probe={o1}", "cdn2.example.net. probe={o2}" ]
    check: web
  - id: local
    cname: [ localhost., "cdn2.example.net. probe={o2}" ]
    check: web
  - id: chain
    cname: [ gtm ]
  - id: toloop2
    cname: [ loop2 ]
  - id: toloop1
    cname: [ loop1 ]

name:
  - id: gtm
    pool: [ origins ]
    ttl: 30
    ttl-degraded: 5
  - id: gtmx
    pool: [ origins ]
    ttl: 40
    ttl-degraded: 4
  - id: cdn
    pool: [ cdns ]
    ttl: 30
    ttl-degraded: 5
  - id: lh
    pool: [ local ]
    ttl: 30
    ttl-degraded: 5
  - id: alias
    pool: [ chain ]
    ttl: 60
    ttl-degraded: 6
  - id: gnd
    pool: [ origins ]
    all-down: nodata
  - id: gsf
    pool: [ origins ]
    all-down: servfail
  - id: loop1
    pool: [ toloop2 ]
  - id: loop2
    pool: [ toloop1 ]
"""

# www and www2 point at GTM names: gtm has static records, gtmx none.
CNAME_ZONE = '\n'.join(
    line for line in EXAMPLE_COM_ZONE.splitlines()
    if not line.startswith('www ')) + """
www     CNAME gtm
www2    CNAME gtmx
wnd     CNAME gnd
wsf     CNAME gsf
"""


def cname(owner, target):
    return (owner, 'CNAME', (target,))


def a(owner, *addrs):
    return (owner, 'A', tuple(sorted(addrs)))


class CnameBase(GtmTestCase):

    def setUp(self):
        super().setUp()
        self.start_origins(addrs=(O1, O2, LOCAL))
        k = self.start_gtm(CNAME_DATA.format(
            check=check_block(port=self.oport), o1=O1, o2=O2), start=False)
        k.write('example.com.zone', CNAME_ZONE)
        k.start()

    def waitChain(self, name, rdtype, expected, ttls=None, timeout=5.0):
        """Wait until the answer section is `expected` (rrsets in order);
        then check NOERROR, AA and the TTL of each rrset."""
        m = self.waitMsg(name, rdtype,
                         lambda m: rrsets(m.answer) == expected,
                         expected, timeout=timeout)
        self.assertEqual(m.rcode(), 0, m)
        self.assertTrue(m.flags & 0x400, 'no AA\n%s' % m)
        if ttls is not None:
            self.assertEqual([rr.ttl for rr in m.answer], ttls, m)
        return m

    def assertChain(self, name, rdtype, expected, ttls=None):
        return self.waitChain(name, rdtype, expected, ttls, timeout=0)


class CnamePool(CnameBase):

    def test_failover_by_probe_address(self):
        o = self.origins
        to1 = [cname('cdn.example.com', 'cdn1.example.net.')]
        to2 = [cname('cdn.example.com', 'cdn2.example.net.')]
        # out-of-zone target: the CNAME alone, for A, AAAA and CNAME
        self.assertChain('cdn.example.com', 'A', to1, [30])
        self.assertChain('cdn.example.com', 'AAAA', to1, [30])
        self.assertChain('cdn.example.com', 'CNAME', to1, [30])
        o[1].set_down()
        self.waitChain('cdn.example.com', 'A', to2, [5])
        self.assertChain('cdn.example.com', 'CNAME', to2, [5])
        o[1].set_up()
        self.waitChain('cdn.example.com', 'A', to1, [30])

    def test_target_probed_at_resolved_address(self):
        o = self.origins
        local = o[LOCAL]
        self.assertChain('lh.example.com', 'A',
                         [cname('lh.example.com', 'localhost.')], [30])
        ok, _ = wait_for(lambda: local.requests, 3.0)
        self.assertTrue(ok, 'localhost. not probed at 127.0.0.1\n'
                        + self.context())
        local.stop()
        self.waitChain('lh.example.com', 'A',
                       [cname('lh.example.com', 'cdn2.example.net.')], [5])
        local.start()
        self.waitChain('lh.example.com', 'A',
                       [cname('lh.example.com', 'localhost.')], [30])


class CnameChain(CnameBase):

    def test_target_is_gtm_name(self):
        o = self.origins
        self.assertChain('alias.example.com', 'A',
                         [cname('alias.example.com', 'gtm.example.com.'),
                          a('gtm.example.com', O1)], [60, 30])
        # a CNAME query: the CNAME alone
        self.assertChain('alias.example.com', 'CNAME',
                         [cname('alias.example.com', 'gtm.example.com.')],
                         [60])
        # the chain follows gtm's failover
        o[1].set_down()
        self.waitChain('alias.example.com', 'A',
                       [cname('alias.example.com', 'gtm.example.com.'),
                        a('gtm.example.com', O2)], [60, 5])
        o[1].set_up()
        self.waitChain('alias.example.com', 'A',
                       [cname('alias.example.com', 'gtm.example.com.'),
                        a('gtm.example.com', O1)], [60, 30])


    def test_cname_loop_is_bounded(self):
        # loop1 -> loop2 -> loop1 ...: the module stops following
        m = self.knot.query_msg('loop1.example.com', 'A')
        self.assertIsNotNone(m, 'no answer\n' + self.context())
        # the rcode is the zone's, for the name where the chain stopped
        got = rrsets(m.answer)
        self.assertTrue(2 <= len(got) <= 20, m)
        self.assertEqual(got[0], cname('loop1.example.com',
                                       'loop2.example.com.'), m)
        self.assertEqual(got[1], cname('loop2.example.com',
                                       'loop1.example.com.'), m)
        self.assertEqual({t for _, t, _ in got}, {'CNAME'}, m)
        self.assertTrue(self.knot.running, self.context())
        self.assertChain('alias.example.com', 'CNAME',
                         [cname('alias.example.com', 'gtm.example.com.')])


class ZoneCname(CnameBase):
    """www CNAME gtm / www2 CNAME gtmx in the zone file."""

    def test_zone_cname_to_gtm_name(self):
        o = self.origins
        www = cname('www.example.com', 'gtm.example.com.')
        www2 = cname('www2.example.com', 'gtmx.example.com.')
        # gtm's GTM answer, not its static A
        self.assertChain('www.example.com', 'A',
                         [www, a('gtm.example.com', O1)], [3600, 30])
        # gtmx has no record in the zone at all: still NOERROR
        self.assertChain('www2.example.com', 'A',
                         [www2, a('gtmx.example.com', O1)], [3600, 40])
        self.assertChain('www.example.com', 'CNAME', [www], [3600])
        o[1].set_down()
        self.waitChain('www.example.com', 'A',
                       [www, a('gtm.example.com', O2)], [3600, 5])
        self.waitChain('www2.example.com', 'A',
                       [www2, a('gtmx.example.com', O2)], [3600, 4])
        o[1].set_up()
        self.waitChain('www.example.com', 'A',
                       [www, a('gtm.example.com', O1)], [3600, 30])
        self.waitChain('www2.example.com', 'A',
                       [www2, a('gtmx.example.com', O1)], [3600, 40])

    def test_zone_cname_all_down_static(self):
        o = self.origins
        o[1].set_down()
        o[2].set_down()
        # all-down static: the zone's record of gtm ends the chain
        self.waitChain('www.example.com', 'A',
                       [cname('www.example.com', 'gtm.example.com.'),
                        a('gtm.example.com', STATIC_A)], [3600, 3600])
        o[2].set_up()
        self.waitChain('www.example.com', 'A',
                       [cname('www.example.com', 'gtm.example.com.'),
                        a('gtm.example.com', O2)], [3600, 5])

    def test_zone_cname_all_down_nodata_servfail(self):
        o = self.origins
        self.assertChain('wnd.example.com', 'A',
                         [cname('wnd.example.com', 'gnd.example.com.'),
                          a('gnd.example.com', O1)])
        o[1].set_down()
        o[2].set_down()
        # nodata at the end of the chain: the CNAME, no address, SOA
        m = self.waitChain('wnd.example.com', 'A',
                           [cname('wnd.example.com', 'gnd.example.com.')])
        self.assertEqual([(n, t) for n, t, _ in rrsets(m.authority)],
                         [('example.com', 'SOA')], m)
        self.waitMsg('wsf.example.com', 'A', lambda m: m.rcode() == 2,
                         'SERVFAIL')
