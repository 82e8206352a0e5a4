"""Failover behaviour: the seed sequence, pool order, check semantics."""

import time

from harness import (GtmTestCase, O1, O2, O3, STATIC_A, check_block,
                     gtm_conf, name_block, pool_block)


class SeedSequence(GtmTestCase):

    def run_sequence(self, fall, rise, fall_wait, rise_wait, settle=0.0):
        o = self.origins
        # all healthy -> origin1, authoritative, configured TTL
        self.assertAnswer('gtm.example.com', 'A', [O1], aa=True, ttl=30)
        if settle:
            time.sleep(settle)
            self.assertAnswer('gtm.example.com', 'A', [O1], aa=True, ttl=30)

        # origin1 answers 503 -> origin2, after `fall` failed checks
        t0 = time.monotonic()
        o[1].set_down(503)
        self.waitAnswer('gtm.example.com', 'A', [O2], fall_wait)
        n = o[1].served_count(503, t0, time.monotonic())
        self.assertGreaterEqual(n, fall, 'failed over after %d failed '
                                'checks, fall is %d' % (n, fall))
        self.assertAnswer('gtm.example.com', 'A', [O2], aa=True, ttl=30)
        lines = self.waitLog(r'mod-gtm.*origins/127\.0\.0\.11 down.*503')
        self.assertIn('gtm.example.com', lines[0])
        self.assertIn('%d/%d failures' % (fall, fall), lines[0])

        # origin2 stopped (connection refused) -> origin3
        o[2].stop()
        self.waitAnswer('gtm.example.com', 'A', [O3], fall_wait)
        self.assertAnswer('gtm.example.com', 'A', [O3], aa=True, ttl=30)
        self.waitLog(r'mod-gtm.*origins/127\.0\.0\.12 down')

        # origin1 healthy again -> back to origin1 (preemptive), after
        # `rise` good checks
        t0 = time.monotonic()
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1], rise_wait)
        n = o[1].served_count(200, t0, time.monotonic())
        self.assertGreaterEqual(n, rise, 'failed back after %d good checks, '
                                'rise is %d' % (n, rise))
        self.assertAnswer('gtm.example.com', 'A', [O1], aa=True, ttl=30)
        line = self.waitLog(r'mod-gtm.*origins/127\.0\.0\.11 up')[-1]
        self.assertIn('%d/%d successes' % (rise, rise), line)

        # origin2 back as well: origin1 keeps answering
        o[2].start()
        self.assertSteady('gtm.example.com', 'A', [O1], 0.6)

    def test_seed_sequence_fast(self):
        """interval 200ms, fall 1, rise 1."""
        self.start_origins()
        self.start_gtm(self.simple_conf(interval='200ms', timeout='200ms',
                                        rise=1, fall=1))
        self.run_sequence(1, 1, fall_wait=5, rise_wait=5)

    def test_seed_sequence_real_timings(self):
        """interval 1s, timeout 1s, fall 3, rise 2 (the documented example)."""
        self.start_origins()
        self.start_gtm(self.simple_conf(interval='1s', timeout='1s',
                                        rise=2, fall=3))
        self.run_sequence(3, 2, fall_wait=8, rise_wait=6, settle=1.5)

    def test_fall_rise_at_interval_pace(self):
        """recheck = interval: fall 3 / rise 2 take whole intervals."""
        self.start_origins()
        self.start_gtm(self.simple_conf(interval='500ms', timeout='400ms',
                                        rise=2, fall=3, recheck='500ms'))
        time.sleep(0.8)
        t0 = time.monotonic()
        self.origins[1].set_down(503)
        took = self.waitAnswer('gtm.example.com', 'A', [O2], 6)
        # 3 failures 500 ms apart: >= 1 s after the change
        self.assertGreaterEqual(time.monotonic() - t0, 0.9,
                                'failed over in %.2fs' % took)
        t0 = time.monotonic()
        self.origins[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1], 6)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)


class PoolOrder(GtmTestCase):

    def test_second_pool_when_first_pool_down(self):
        o = self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('primary', [O1]),
                         pool_block('backup', [O2, O3])],
                        [name_block('multi', ['primary', 'backup'])])
        self.start_gtm(conf)
        self.assertAnswer('multi.example.com', 'A', [O1], ttl=30)
        o[1].set_down()
        self.waitAnswer('multi.example.com', 'A', [O2])
        o[2].set_down()
        self.waitAnswer('multi.example.com', 'A', [O3])
        o[1].set_up()
        self.waitAnswer('multi.example.com', 'A', [O1])

    def test_pool_without_check_is_always_up(self):
        o = self.start_origins()
        # 127.0.0.98 has no listener at all; without a check it stays up.
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('fixed', ['127.0.0.98'], check=None),
                         pool_block('origins', [O1, O2])],
                        [name_block('nocheck', ['fixed', 'origins']),
                         name_block('gtm', ['origins'])])
        self.start_gtm(conf)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertSteady('nocheck.example.com', 'A', ['127.0.0.98'], 1.0)
        self.assertEqual(self.knot.log_search(r'127\.0\.0\.98 down'), [])

    def test_one_target_shared_by_two_names(self):
        o = self.start_origins()
        conf = gtm_conf([check_block(port=self.oport)],
                        [pool_block('origins', [O1, O2]),
                         pool_block('reverse', [O2, O1])],
                        [name_block('gtm', ['origins']),
                         name_block('gtm2', ['reverse'], ttl=60)])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm2.example.com', 'A', [O2], ttl=60)
        o[2].stop()
        self.waitAnswer('gtm2.example.com', 'A', [O1])
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)


class CheckSemantics(GtmTestCase):

    def test_http_request_path_and_host(self):
        o = self.start_origins()
        self.start_gtm(self.simple_conf())
        ok, _ = self.wait_requests(o[1], 2)
        self.assertTrue(ok, 'origin1 not probed\n' + self.context())
        r = o[1].last_request()
        self.assertEqual(r.method, 'GET', r.raw)
        self.assertEqual(r.path, '/health', r.raw)
        # RFC 9110: the port may follow the host name when not 80
        self.assertIn(r.host, ('origin.example.com',
                               'origin.example.com:%d' % self.oport), r.raw)

    def wait_requests(self, origin, n, timeout=5.0):
        from harness import wait_for
        return wait_for(lambda: len(origin.requests) >= n, timeout)

    def test_http_expect_range(self):
        o = self.start_origins()
        self.start_gtm(self.simple_conf(expect='200-399'))
        o[1].set_status(302)
        o[2].set_status(399)
        self.assertSteady('gtm.example.com', 'A', [O1], 1.0)
        o[1].set_status(400)
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_status(204)
        self.waitAnswer('gtm.example.com', 'A', [O1])
        o[1].set_status(500)
        self.waitAnswer('gtm.example.com', 'A', [O2])

    def test_http_expect_single_status(self):
        o = self.start_origins()
        self.start_gtm(self.simple_conf(expect='204'))
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])   # 200 != 204
        o[2].set_status(204)
        self.waitAnswer('gtm.example.com', 'A', [O2])

    def test_http_timeout_counts_as_failure(self):
        o = self.start_origins()
        self.start_gtm(self.simple_conf(interval='300ms', timeout='200ms'))
        o[1].set_hang()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])

    def test_tcp_check(self):
        o = self.start_origins()
        conf = gtm_conf([check_block(id='port', type='tcp', port=self.oport)],
                        [pool_block('origins', [O1, O2, O3], check='port')],
                        [name_block('tcp', ['origins'])])
        self.start_gtm(conf)
        self.assertAnswer('tcp.example.com', 'A', [O1])
        # An HTTP error does not matter to a TCP check ...
        o[1].set_down(503)
        self.assertSteady('tcp.example.com', 'A', [O1], 1.0)
        # ... a refused connection does.
        o[1].stop()
        self.waitAnswer('tcp.example.com', 'A', [O2])
        o[1].start()
        self.waitAnswer('tcp.example.com', 'A', [O1])


class StateLog(GtmTestCase):

    def test_state_change_logged_with_reason(self):
        o = self.start_origins()
        self.start_gtm(self.simple_conf(fall=2, rise=2, interval='200ms'))
        o[1].set_down(503)
        self.waitAnswer('gtm.example.com', 'A', [O2])
        line = self.waitLog(r'origins/127\.0\.0\.11 down')[0]
        self.assertIn('mod-gtm', line)
        self.assertIn('gtm.example.com', line)
        self.assertRegex(line, r'503')
        self.assertRegex(line, r'2/2')
        o[3].stop()
        line = self.waitLog(r'origins/127\.0\.0\.13 down')[0]
        self.assertRegex(line, r'\(.+\)', 'no reason given for refused '
                         'connection')
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.waitLog(r'origins/127\.0\.0\.11 up')


class HttpResponses(GtmTestCase):
    """Odd but valid responses count as up; broken ones as down."""

    def setUp(self):
        super().setUp()
        self.start_origins()
        self.start_gtm(self.simple_conf(interval='300ms', timeout='250ms'))

    def expect(self, chunks, up, delay=0.0):
        o = self.origins
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_raw(chunks, delay)
        if up:
            self.waitAnswer('gtm.example.com', 'A', [O1])
        else:
            self.assertSteady('gtm.example.com', 'A', [O2], 1.0)

    def test_http10_status_line_only(self):
        self.expect([b'HTTP/1.0 200 OK\r\n\r\n'], up=True)

    def test_response_in_small_pieces(self):
        self.expect([b'HTT', b'P/1.1 2', b'04 No Content\r\n',
                     b'Content-Length: 0\r\n\r\n'], up=True, delay=0.02)

    def test_garbage_response(self):
        self.expect([b'garbage\r\n\r\n'], up=False)

    def test_closed_without_response(self):
        self.expect([], up=False)

    def test_truncated_status_line(self):
        self.expect([b'HTTP/1.1 20'], up=False)

    def test_too_slow_response(self):
        # complete status arrives after the 250 ms timeout
        self.expect([b'HTTP/1.1 ', b'200 OK\r\n\r\n'], up=False, delay=0.5)
