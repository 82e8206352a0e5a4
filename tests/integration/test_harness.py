"""Self-tests of the harness: knotd without the module, origins."""

import http.client
import socket
import time

from harness import (GtmTestCase, Knot, O1, O2, O3, O6, BLACKHOLE,
                     STATIC_A, STATIC_AAAA, ipv6_usable, QueryLoop)


def http_status(addr, port, timeout=1.0):
    """Status of GET /health, or the exception class name."""
    try:
        c = http.client.HTTPConnection(addr, port, timeout=timeout)
        c.request('GET', '/health', headers={'Host': 'origin.example.com'})
        st = c.getresponse().status
        c.close()
        return st
    except Exception as e:  # noqa: BLE001
        return type(e).__name__


class HarnessOrigins(GtmTestCase):
    needs_module = False

    def test_origin_modes(self):
        o = self.start_origins((O1, O2, O3))
        p = self.oport
        self.assertEqual(http_status(O1, p), 200)
        o[1].set_down()
        self.assertEqual(http_status(O1, p), 503)
        o[2].stop()
        self.assertEqual(http_status(O2, p), 'ConnectionRefusedError')
        o[2].start()
        self.assertEqual(http_status(O2, p), 200)
        o[3].set_hang()
        t0 = time.monotonic()
        self.assertIn(http_status(O3, p, timeout=0.3),
                      ('timeout', 'TimeoutError'))
        self.assertLess(time.monotonic() - t0, 2)
        o[3].set_up()
        self.assertEqual(http_status(O3, p), 200)
        o[1].set_status(302)
        self.assertEqual(http_status(O1, p), 302)
        r = o[1].last_request()
        self.assertEqual((r.method, r.path, r.host),
                         ('GET', '/health', 'origin.example.com'))
        # TCP connect-only probes are counted too
        n = o[1].connection_count()
        socket.create_connection((O1, p), timeout=1).close()
        time.sleep(0.1)
        self.assertEqual(o[1].connection_count(), n + 1)

    def test_origin_ipv6(self):
        if not ipv6_usable():
            self.skipTest('[::1] not usable on this machine')
        o = self.start_origins((O6,))
        self.assertEqual(http_status(O6, self.oport), 200)
        o[1].stop()
        self.assertEqual(http_status(O6, self.oport),
                         'ConnectionRefusedError')

    def test_blackhole_address(self):
        o = self.start_origins((BLACKHOLE,))
        o[1].set_hang()
        self.assertIn(http_status(BLACKHOLE, self.oport, timeout=0.2),
                      ('timeout', 'TimeoutError'))


class HarnessKnot(GtmTestCase):
    needs_module = False

    def test_static_zone_and_reload(self):
        k = Knot(self.tmp)           # no module at all
        self.addCleanup(k.stop)
        k.configure(zones=[('example.com', None), ('example.net', None)])
        self.knot = k
        k.start()
        self.assertAnswer('gtm.example.com', 'A', [STATIC_A], ttl=3600)
        self.assertAnswer('gtm.example.com', 'AAAA', [STATIC_AAAA])
        self.assertAnswer('gtm.example.net', 'A', ['203.0.113.1'])
        self.assertAnswer('nope.example.com', 'A', [], rcode='NXDOMAIN')
        self.assertAnswer('gtm.example.com', 'MX', [])
        self.assertAnswer('gtm.example.com', 'A', [STATIC_A], tcp=True)
        loop = QueryLoop(k, 'gtm.example.com', 'A')
        loop.start()
        r = k.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        r = k.knotc('zone-reload', 'example.com', force=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        time.sleep(0.3)
        loop.stop()
        self.assertGreater(len(loop.results), 20)
        self.assertEqual(loop.bad([STATIC_A]), [])
        r = k.knotc('conf-check')
        self.assertEqual(r.returncode, 0, r.stdout)
        rc = k.stop()
        self.assertIsNotNone(rc)
        self.assertFalse(k.running)
