"""Further check types and options: HTTP body match, HTTPS, DNS."""

import os
import shutil
import ssl
import subprocess

from harness import (GtmTestCase, O1, O2, O3, STATIC_A, check_block,
                     free_port, gtm_conf, name_block, pool_block)
from origins import DnsOrigin, OriginSet


class BodyMatch(GtmTestCase):

    def test_expect_body(self):
        o = self.start_origins()
        for x in o.origins:
            x.body = 'state: ready\n'
        self.start_gtm(self.simple_conf(expect_body='ready'))
        self.assertSteady('gtm.example.com', 'A', [O1], 0.8)
        o[1].body = 'state: draining\n'
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].body = 'state: ready\n'
        self.waitAnswer('gtm.example.com', 'A', [O1])

    def test_expect_body_regex(self):
        o = self.start_origins()
        for x in o.origins:
            x.body = 'state=ok load=12'
        self.start_gtm(self.simple_conf(
            expect_body_regex='"load=[0-4]?[0-9]$"'))
        self.assertSteady('gtm.example.com', 'A', [O1], 0.8)
        o[1].body = 'state=ok load=99'
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].body = 'state=ok load=7'
        self.waitAnswer('gtm.example.com', 'A', [O1])


def make_cert(tmp, cn='origin.example.com'):
    """Self-signed certificate + key for the HTTPS origins, or None."""
    openssl = shutil.which('openssl')
    if not openssl:
        return None
    crt, key = os.path.join(tmp, 'origin.crt'), os.path.join(tmp, 'origin.key')
    r = subprocess.run(
        [openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
         '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=' + cn,
         '-addext', 'subjectAltName=DNS:' + cn,
         '-addext', 'basicConstraints=critical,CA:TRUE'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        return None
    os.chmod(crt, 0o644)
    return crt, key


class Https(GtmTestCase):

    def start_tls_origins(self):
        cert = make_cert(self.tmp)
        if cert is None:
            self.skipTest('openssl not available to make a test certificate')
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*cert)
        self.oport = free_port([O1, O2, O3])
        self.origins = OriginSet([O1, O2, O3], self.oport, tls=ctx).start()
        self.addCleanup(self.origins.stop)
        return cert[0]

    def test_https_verify_off(self):
        self.start_tls_origins()
        self.start_gtm(self.simple_conf(type='https', verify='off'))
        self.assertSteady('gtm.example.com', 'A', [O1], 0.8)
        self.origins[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.origins[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        r = self.origins[2].last_request()
        self.assertIsNotNone(r)
        self.assertEqual(r.path, '/health')

    def test_https_verified_with_ca_file(self):
        crt = self.start_tls_origins()
        self.start_gtm(self.simple_conf(type='https', ca_file=crt))
        self.assertSteady('gtm.example.com', 'A', [O1], 0.8)
        self.assertEqual(self.knot.log_search(r'127\.0\.0\.1[123] down'), [],
                         self.context())
        self.origins[1].stop()
        self.waitAnswer('gtm.example.com', 'A', [O2])

    def test_https_wrong_name_fails_verification(self):
        crt = self.start_tls_origins()
        self.start_gtm(self.simple_conf(type='https', ca_file=crt,
                                        sni='other.example.com'))
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])

    def test_https_untrusted_certificate(self):
        self.start_tls_origins()
        # system store: the self-signed certificate is not trusted
        self.start_gtm(self.simple_conf(type='https'))
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])


class DnsCheck(GtmTestCase):

    def start_dns_origins(self):
        self.oport = free_port([O1, O2, O3], udp_too=True)
        self.origins = OriginSet([O1, O2, O3], self.oport,
                                 cls=DnsOrigin).start()
        self.addCleanup(self.origins.stop)
        return self.origins

    def conf(self, **kw):
        chk = check_block(port=self.oport, type='dns', path=None, host=None,
                          expect=None, **kw)
        return gtm_conf([chk], [pool_block('origins', [O1, O2, O3])],
                        [name_block('gtm', ['origins'])])

    def test_dns_check_default_query(self):
        o = self.start_dns_origins()
        self.start_gtm(self.conf())
        self.assertSteady('gtm.example.com', 'A', [O1], 0.8)
        self.assertGreater(o[1].connection_count(), 0, 'no DNS probe seen')
        o[1].set_mode('servfail')
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[2].set_mode('silent')
        self.waitAnswer('gtm.example.com', 'A', [O3])
        o[3].stop()
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])

    def test_dns_check_expect_answer(self):
        o = self.start_dns_origins()
        self.start_gtm(self.conf(query_name='probe.example.',
                                 query_type='A',
                                 expect_answer='192.0.2.1'))
        self.assertSteady('gtm.example.com', 'A', [O1], 0.8)
        self.assertEqual(o[1].queries[-1][1], 'probe.example.')
        o[1].set_up(a='192.0.2.2')          # wrong answer
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_up(a='192.0.2.1')
        self.waitAnswer('gtm.example.com', 'A', [O1])
