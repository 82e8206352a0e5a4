"""Names and types the module does not manage are answered by the zone;
name forms (relative, apex, absolute), case, transport."""

from harness import (GtmTestCase, O1, O2, STATIC_AAAA, check_block, gtm_conf,
                     name_block, pool_block)


class Unmanaged(GtmTestCase):

    def setUp(self):
        super().setUp()
        self.start_origins()
        self.start_gtm(self.simple_conf())

    def test_other_names(self):
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('www.example.com', 'A', ['198.51.100.2'], ttl=3600)
        self.assertAnswer('www.example.com', 'AAAA', ['2001:db8::2'],
                          ttl=3600)
        self.assertAnswer('example.com', 'A', ['198.51.100.10'], ttl=3600)

    def test_other_types(self):
        self.assertAnswer('gtm.example.com', 'TXT', ['"static"'], ttl=3600)
        a = self.assertAnswer('gtm.example.com', 'MX', [])   # NODATA
        self.assertTrue(any(rr.rdtype == 6 for rr in a.raw.authority),
                        'NODATA without SOA in authority: %r' % a.raw)
        # no IPv6 target configured: the zone's AAAA answers
        self.assertAnswer('gtm.example.com', 'AAAA', [STATIC_AAAA], ttl=3600)

    def test_nxdomain_and_below(self):
        self.assertAnswer('nonexistent.example.com', 'A', [],
                          rcode='NXDOMAIN')
        self.assertAnswer('sub.gtm.example.com', 'A', [], rcode='NXDOMAIN')
        self.assertAnswer('gtm.example.com.example.com', 'A', [],
                          rcode='NXDOMAIN')

    def test_soa_ns(self):
        a = self.assertAnswer('example.com', 'SOA', None)
        self.assertEqual(len(a.records), 1)
        self.assertTrue(a.records[0].startswith('ns1.example.com.'), a)
        self.assertAnswer('example.com', 'NS', ['ns1.example.com.'])

    def test_not_authoritative_elsewhere(self):
        a = self.q('gtm.example.org', 'A')
        self.assertEqual(a.rcode, 'REFUSED', a)

    def test_case_insensitive_qname(self):
        self.assertAnswer('GTM.Example.COM', 'A', [O1], ttl=30)

    def test_tcp_transport(self):
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30, tcp=True)
        self.assertAnswer('www.example.com', 'A', ['198.51.100.2'], tcp=True)

    def test_any_type_not_synthesized(self):
        a = self.q('gtm.example.com', 'ANY')
        self.assertIn(a.rcode, ('NOERROR',), a)
        for rrset in a.raw.answer:
            if rrset.rdtype == 1:
                self.assertNotIn(O1, [r.to_text() for r in rrset], a.raw)


class NameForms(GtmTestCase):

    def test_apex_absolute_and_nonexistent(self):
        o = self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2])],
                        [name_block('@', ['origins'], ttl=40),
                         name_block('abs.example.com.', ['origins'], ttl=50),
                         name_block('fresh', ['origins'], ttl=60)])
        self.start_gtm(conf)
        self.assertAnswer('example.com', 'A', [O1], ttl=40)
        self.assertAnswer('abs.example.com', 'A', [O1], ttl=50)
        # a configured name that has no records in the zone at all
        self.assertAnswer('fresh.example.com', 'A', [O1], ttl=60)
        # apex: other types still from the zone
        self.assertAnswer('example.com', 'MX', ['10 mail.example.com.'])
        self.assertAnswer('example.com', 'NS', ['ns1.example.com.'])
        o[1].set_down()
        self.waitAnswer('example.com', 'A', [O2])
        self.assertAnswer('abs.example.com', 'A', [O2], ttl=50)
