"""Address policies of a pool (issue 3): sequence with preempt off,
round-robin, weighted, all, max-answers, several checks per address with
check-rule, failback-delay (address hold-down), ttl-degraded, disabled
addresses.

The data files are written as literal text: the keys under test are then
visible in the test itself.
"""

import collections
import socket
import struct
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from harness import (GtmTestCase, O1, O2, O3, OriginSet,
                     STATIC_A, free_port)

ROTATIONS3 = {(O1, O2, O3), (O2, O3, O1), (O3, O1, O2)}


def http_check(port, id='web', path='/health', interval='200ms',
               timeout='200ms', rise=1, fall=1):
    """One 'check' entry (fast timings: the tests stay short)."""
    return ('  - id: %s\n    type: http\n    port: %d\n    path: %s\n'
            '    interval: %s\n    timeout: %s\n    rise: %d\n    fall: %d\n'
            % (id, port, path, interval, timeout, rise, fall))


def data_file(checks, pools, names):
    """check/pool/name sections from their (already indented) entries."""
    return ('check:\n' + ''.join(checks) + '\npool:\n' + ''.join(pools)
            + '\nname:\n' + ''.join(names))


def answer_counts(knot, name, n, rdtype='A', limit=30.0):
    """Send n queries over one UDP socket, one at a time; count answers.

    Returns (Counter of sorted answer tuples, Counter of TTLs, lost, sent).
    The loop stops at `limit` seconds whatever n says.
    """
    rdt = dns.rdatatype.from_text(rdtype)
    q = dns.message.make_query(name, rdt)
    q.flags &= ~dns.flags.RD
    wire = bytearray(q.to_wire())
    counts = collections.Counter()
    ttls = collections.Counter()
    lost = sent = 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    try:
        s.connect(('127.0.0.1', knot.port))
        end = time.monotonic() + limit
        for i in range(n):
            if time.monotonic() >= end:
                break
            qid = i & 0xffff
            wire[0:2] = struct.pack('>H', qid)
            s.send(wire)
            sent += 1
            r = None
            try:
                while True:
                    r = dns.message.from_wire(s.recv(4096))
                    if r.id == qid:
                        break
            except socket.timeout:
                lost += 1
                continue
            recs = []
            ttl = None
            for rrset in r.answer:
                if rrset.rdtype == rdt:
                    recs.extend(rd.to_text() for rd in rrset)
                    ttl = rrset.ttl
            if r.rcode() != dns.rcode.NOERROR:
                recs = [dns.rcode.to_text(r.rcode())]
            counts[tuple(sorted(recs))] += 1
            ttls[ttl] += 1
    finally:
        s.close()
    return counts, ttls, lost, sent


class PolicyCase(GtmTestCase):
    """Helpers shared by the address and pool policy tests."""

    def log_count(self, pattern):
        return len(self.knot.log_search(pattern))

    def waitLogMore(self, pattern, before, timeout=5.0):
        """Wait until more than `before` log lines match pattern."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            lines = self.knot.log_search(pattern)
            if len(lines) > before:
                return lines[before:]
            time.sleep(0.02)
        self.fail('no new knotd log line matching %r within %.1fs\n%s'
                  % (pattern, timeout, self.context()))

    def orders(self, name, n, rdtype='A'):
        """Answer orders (wire order) of n queries."""
        out = []
        for _ in range(n):
            a = self.q(name, rdtype)
            self.assertEqual(a.rcode, 'NOERROR', '%r\n%s'
                             % (a, self.context()))
            out.append((a.order, a.ttl))
        return out

    def check_sticky(self, k, up_pattern):
        """The non-preemptive script over origins 1, 2 (pools or addresses):
        1 fails -> 2; 1 recovers -> still 2; reload -> still 2; 2 fails
        -> 1 again, with the first-choice TTL."""
        o = self.origins
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)

        # 1 fails -> 2, degraded TTL
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=5)

        # 1 recovers -> still 2 (sticky on a non-first: degraded TTL)
        before = self.log_count(up_pattern)
        o[1].set_up()
        self.waitLogMore(up_pattern, before)
        self.assertSteady('gtm.example.com', 'A', [O2], 1.0)
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=5)

        # knotc reload -> still 2, during and after
        r = self.assertSteadyDuring(lambda: k.knotc('reload'),
                               'gtm.example.com', [O2], total=2.0)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertSteady('gtm.example.com', 'A', [O2], 0.6)

        # 2 fails -> 1 (the first eligible again), first-choice TTL
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        # 2 recovers: 1 stays (it is the first choice anyway)
        o[2].set_up()
        self.assertSteady('gtm.example.com', 'A', [O1], 0.6)

    def measure_return(self, name, held, back, limit, ttl_held=None):
        """Poll until the answer is `back`; every answer before must be
        `held` (with TTL ttl_held if given).  Returns the time of the first
        `back` answer (monotonic)."""
        end = time.monotonic() + limit
        n = 0
        while time.monotonic() < end:
            a = self.q(name, 'A')
            t = time.monotonic()
            n += 1
            if a == back:
                return t
            if not a == held:
                self.fail('%s: expected %s while held, got %r after %d '
                          'queries\n%s' % (name, held, a, n, self.context()))
            if ttl_held is not None:
                self.assertEqual(a.ttl, ttl_held, 'TTL while held: %r' % a)
            time.sleep(0.02)
        self.fail('%s: no %s within %.1fs\n%s' % (name, back, limit,
                                                   self.context()))

    def assertShare(self, counts, key, total, expected, tol, what=''):
        share = counts.get(key, 0) / float(total)
        self.assertLessEqual(abs(share - expected), tol,
                             '%s%s: %.2f%% of %d answers, expected %.2f%% '
                             '+- %.1f pp; all: %s' % (
                                 what, key, 100 * share, total,
                                 100 * expected, 100 * tol, dict(counts)))


class SequenceSticky(PolicyCase):

    def test_preempt_off_sticky_across_reload(self):
        self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: origins\n'
             '    address: [ %s, %s, %s ]\n'
             '    check: web\n'
             '    policy: sequence\n'
             '    preempt: off\n' % (O1, O2, O3)],
            ['  - id: gtm\n'
             '    pool: [ origins ]\n'
             '    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        k = self.start_gtm(conf)
        self.check_sticky(k, r'origins/127\.0\.0\.11 up')

    def test_preempt_off_sticks_on_third(self):
        """Sticky on the third address while both better ones recover."""
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: origins\n'
             '    address: [ %s, %s, %s ]\n'
             '    check: web\n'
             '    preempt: off\n' % (O1, O2, O3)],
            ['  - id: gtm\n    pool: [ origins ]\n    ttl: 30\n'
             '    ttl-degraded: 7\n'])
        self.start_gtm(conf)
        o[1].set_down()
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O3])
        o[2].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O3])
        o[1].set_up()
        t0 = time.monotonic()
        # both good ones are probed up well within this second
        self.assertSteady('gtm.example.com', 'A', [O3], 1.0)
        self.assertGreater(o[1].served_count(200, t0), 0)
        self.assertAnswer('gtm.example.com', 'A', [O3], ttl=7)
        # 3 fails -> 1, not 2: the first eligible in order
        o[3].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)


class Ttl(PolicyCase):

    def test_ttl_degraded_on_failover_and_default(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: origins\n    address: [ %s, %s ]\n    check: web\n'
             % (O1, O2)],
            ['  - id: gtm\n    pool: [ origins ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n',
             # no ttl-degraded: the degraded TTL is ttl
             '  - id: gtm2\n    pool: [ origins ]\n    ttl: 40\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        self.assertAnswer('gtm2.example.com', 'A', [O1], ttl=40)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=5)
        self.assertAnswer('gtm2.example.com', 'A', [O2], ttl=40)
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)


class RoundRobin(PolicyCase):

    def test_rotation_down_address_and_max_answers(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: rr\n    address: [ %s, %s, %s ]\n    check: web\n'
             '    policy: round-robin\n' % (O1, O2, O3),
             '  - id: rr2\n    address: [ %s, %s, %s ]\n    check: web\n'
             '    policy: round-robin\n    max-answers: 2\n' % (O1, O2, O3)],
            ['  - id: gtm\n    pool: [ rr ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n',
             '  - id: gtm2\n    pool: [ rr2 ]\n    ttl: 30\n'])
        self.start_gtm(conf)

        # every healthy address, order rotated across queries
        got = self.orders('gtm.example.com', 40)
        seen = set(order for order, _ in got)
        self.assertLessEqual(seen, ROTATIONS3, 'answers not rotations of '
                             'the pool order: %s' % sorted(seen))
        self.assertEqual(seen, ROTATIONS3, 'not every rotation in 40 '
                         'queries: %s' % sorted(seen))
        self.assertEqual(set(t for _, t in got), {30})

        # max-answers 2: two consecutive addresses of the rotated order
        pairs = {(O1, O2), (O2, O3), (O3, O1)}
        seen2 = set(order for order, _ in self.orders('gtm2.example.com',
                                                      40))
        self.assertEqual(seen2, pairs, 'max-answers 2 answers: %s'
                         % sorted(seen2))

        # a down address disappears; the rest still rotates
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1, O3])
        got = self.orders('gtm.example.com', 30)
        seen = set(order for order, _ in got)
        self.assertEqual(seen, {(O1, O3), (O3, O1)}, 'with 2 down: %s'
                         % sorted(seen))
        # fewer answers than with every address up: degraded TTL
        self.assertEqual(set(t for _, t in got), {5})
        seen2 = set(order for order, _ in self.orders('gtm2.example.com',
                                                      30))
        self.assertEqual(seen2, {(O1, O3), (O3, O1)}, 'max-answers 2 with '
                         '2 down: %s' % sorted(seen2))

        # back up: all three again
        o[2].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1, O2, O3])
        self.assertAnswer('gtm.example.com', 'A', [O1, O2, O3], ttl=30)

    def test_round_robin_failback_delay(self):
        """The hold-down applies to every policy: a recovered address
        joins the rotation only after failback-delay."""
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: rr\n    address: [ %s, %s, %s ]\n    check: web\n'
             '    policy: round-robin\n    failback-delay: 2s\n'
             % (O1, O2, O3)],
            ['  - id: gtm\n    pool: [ rr ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1, O2, O3], ttl=30)
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1, O3])
        t0 = time.monotonic()
        o[2].set_up()
        t1 = self.measure_return('gtm.example.com', [O1, O3],
                                 [O1, O2, O3], limit=6.0, ttl_held=5)
        self.assertGreaterEqual(t1 - t0, 1.99, 'held for %.2fs only'
                                % (t1 - t0))
        self.assertLessEqual(t1 - t0, 2.0 + 1.5, 'held for %.2fs'
                             % (t1 - t0))
        self.assertAnswer('gtm.example.com', 'A', [O1, O2, O3], ttl=30)


class All(PolicyCase):

    def test_all_and_max_answers(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: every\n    address: [ %s, %s, %s ]\n    check: web\n'
             '    policy: all\n' % (O1, O2, O3),
             '  - id: two\n    address: [ %s, %s, %s ]\n    check: web\n'
             '    policy: all\n    max-answers: 2\n' % (O1, O2, O3)],
            ['  - id: gtmall\n    pool: [ every ]\n    ttl: 30\n',
             '  - id: gtm2\n    pool: [ two ]\n    ttl: 30\n'])
        self.start_gtm(conf)
        self.assertSteady('gtmall.example.com', 'A', [O1, O2, O3], 0.4)
        self.assertAnswer('gtmall.example.com', 'A', [O1, O2, O3], ttl=30)
        self.assertSteady('gtm2.example.com', 'A', [O1, O2], 0.4)

        o[1].set_down()
        self.waitAnswer('gtmall.example.com', 'A', [O2, O3])
        self.assertAnswer('gtm2.example.com', 'A', [O2, O3])
        o[3].set_down()
        self.waitAnswer('gtmall.example.com', 'A', [O2])
        self.assertAnswer('gtm2.example.com', 'A', [O2])
        o[1].set_up()
        o[3].set_up()
        self.waitAnswer('gtmall.example.com', 'A', [O1, O2, O3])
        self.waitAnswer('gtm2.example.com', 'A', [O1, O2])


class Weighted(PolicyCase):

    def test_weighted_distribution_10000(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: w\n'
             '    address: [ "%s weight=1", "%s weight=3", "%s weight=6" ]\n'
             '    check: web\n'
             '    policy: weighted\n'
             '    max-answers: 1\n' % (O1, O2, O3),
             '  - id: w2\n'
             '    address: [ "%s weight=1", "%s weight=3", "%s weight=6" ]\n'
             '    check: web\n'
             '    policy: weighted\n'
             '    max-answers: 2\n' % (O1, O2, O3)],
            ['  - id: gtm\n    pool: [ w ]\n    ttl: 30\n',
             '  - id: gtm2\n    pool: [ w2 ]\n    ttl: 30\n'])
        self.start_gtm(conf)
        self.assertEqual(self.q('gtm.example.com').rcode, 'NOERROR')

        counts, ttls, lost, sent = answer_counts(self.knot,
                                                 'gtm.example.com', 10000)
        self.assertEqual(sent, 10000, 'query loop too slow: %d sent' % sent)
        self.assertLess(lost, 20, '%d of %d queries lost' % (lost, sent))
        total = sent - lost
        self.assertLessEqual(set(counts), {(O1,), (O2,), (O3,)},
                             'answers other than one address: %s'
                             % dict(counts))
        for addr, share in ((O1, 0.1), (O2, 0.3), (O3, 0.6)):
            self.assertShare(counts, (addr,), total, share, 0.03)
        self.assertEqual(set(ttls), {30})

        # max-answers 2: two distinct addresses, every pair occurs
        counts, _, lost, sent = answer_counts(self.knot, 'gtm2.example.com',
                                              600)
        pairs = {tuple(sorted(p)) for p in ((O1, O2), (O1, O3), (O2, O3))}
        self.assertEqual(set(counts), pairs, 'max-answers 2: %s'
                         % dict(counts))

        # a down address is skipped; the others keep their ratio (1:3)
        down = r'/127\.0\.0\.13 (\(\+\d+ more\) )?down'
        before = self.log_count(down)
        o[3].set_down()
        self.waitLogMore(down, before)
        time.sleep(0.1)              # the prober publishes, then logs
        counts, _, lost, sent = answer_counts(self.knot, 'gtm.example.com',
                                              3000)
        total = sent - lost
        self.assertLessEqual(set(counts), {(O1,), (O2,)},
                             'down address answered: %s' % dict(counts))
        self.assertShare(counts, (O1,), total, 0.25, 0.04, 'O3 down: ')
        self.assertShare(counts, (O2,), total, 0.75, 0.04, 'O3 down: ')
        self.assertSteady('gtm2.example.com', 'A', [O1, O2], 0.3)


class CheckRule(PolicyCase):
    """Three HTTP checks (paths /a, /b, /c) on every address."""

    def test_all_any_n(self):
        o = self.start_origins((O1, O2))
        checks = [http_check(self.oport, id=c, path='/' + c)
                  for c in ('a', 'b', 'c')]
        pool = ('  - id: %%s\n    address: [ %s, %s ]\n'
                '    check: [ a, b, c ]\n%%s' % (O1, O2))
        conf = data_file(
            checks,
            [pool % ('pall', ''),
             pool % ('pexplicit', '    check-rule: all\n'),
             pool % ('pany', '    check-rule: any\n'),
             pool % ('ptwo', '    check-rule: 2\n')],
            ['  - id: gtm\n    pool: [ pall ]\n',
             '  - id: first\n    pool: [ pexplicit ]\n',
             '  - id: gtm2\n    pool: [ pany ]\n',
             '  - id: gtmall\n    pool: [ ptwo ]\n'])
        self.start_gtm(conf)

        def expect(all_, any_, two):
            self.waitAnswer('gtm.example.com', 'A', [all_])
            self.waitAnswer('first.example.com', 'A', [all_])
            self.waitAnswer('gtm2.example.com', 'A', [any_])
            self.waitAnswer('gtmall.example.com', 'A', [two])
            # settled: hold for a few check intervals
            self.assertSteady('gtm.example.com', 'A', [all_], 0.5)
            self.assertAnswer('first.example.com', 'A', [all_])
            self.assertAnswer('gtm2.example.com', 'A', [any_])
            self.assertAnswer('gtmall.example.com', 'A', [two])

        expect(O1, O1, O1)
        o[1].set_path_status('/a', 503)          # 2 of 3 up
        expect(O2, O1, O1)
        o[1].set_path_status('/b', 503)          # 1 of 3 up
        expect(O2, O1, O2)
        o[1].set_path_status('/c', 503)          # 0 of 3 up
        expect(O2, O2, O2)
        o[1].set_path_status('/a', None)         # 1 of 3 up
        expect(O2, O1, O2)
        o[1].set_path_status('/b', None)
        o[1].set_path_status('/c', None)         # 3 of 3 up
        expect(O1, O1, O1)
        # every check is really probed on its own path
        for p in ('/a', '/b', '/c'):
            self.assertTrue(any(r.path == p for r in o[2].requests),
                            'path %s never requested' % p)


    def test_checks_on_two_ports(self):
        """An HTTP check on one port and a TCP check on another."""
        o = self.start_origins((O1, O2))
        alt_port = free_port([O1, O2])
        alt = OriginSet([O1, O2], alt_port).start()
        self.addCleanup(alt.stop)
        checks = [http_check(self.oport),
                  '  - id: alt\n    type: tcp\n    port: %d\n'
                  '    interval: 200ms\n    timeout: 200ms\n    rise: 1\n'
                  '    fall: 1\n' % alt_port]
        pool = ('  - id: %%s\n    address: [ %s, %s ]\n'
                '    check: [ web, alt ]\n%%s' % (O1, O2))
        conf = data_file(checks,
                         [pool % ('pall', ''),
                          pool % ('pany', '    check-rule: any\n')],
                         ['  - id: gtm\n    pool: [ pall ]\n',
                          '  - id: gtm2\n    pool: [ pany ]\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1])
        alt[1].stop()                            # TCP check of O1 fails
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertSteady('gtm2.example.com', 'A', [O1], 0.5)
        o[1].set_down()                          # HTTP check fails too
        self.waitAnswer('gtm2.example.com', 'A', [O2])
        alt[1].start()
        self.assertSteady('gtm.example.com', 'A', [O2], 0.5)
        self.waitAnswer('gtm2.example.com', 'A', [O1])
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.assertGreater(alt[2].connection_count(), 0)


class FailbackDelay(PolicyCase):

    def test_pool_failback_hold_down_timing(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: origins\n    address: [ %s, %s ]\n    check: web\n'
             '    failback-delay: 3s\n' % (O1, O2)],
            ['  - id: gtm\n    pool: [ origins ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=5)

        t0 = time.monotonic()
        o[1].set_up()
        t1 = self.measure_return('gtm.example.com', [O2], [O1], limit=8.0,
                                 ttl_held=5)
        held = t1 - t0
        # up-since is set after t0, so the return cannot come before
        # t0 + 3 s; it comes at the latest one check interval (+ slack)
        # after it
        self.assertGreaterEqual(held, 2.99, 'failed back after %.2fs'
                                % held)
        self.assertLessEqual(held, 3.0 + 1.5, 'failed back after %.2fs'
                             % held)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)

        lines = self.waitLog(r'failback held for 3s')
        self.assertTrue(any('127.0.0.11' in l for l in lines), lines)
        lines = self.waitLog(r'hold-down over', timeout=2.0)
        self.assertTrue(any('127.0.0.11' in l for l in lines), lines)

    def test_failback_zero_is_immediate(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: origins\n    address: [ %s, %s ]\n    check: web\n'
             '    failback-delay: 0\n' % (O1, O2)],
            ['  - id: gtm\n    pool: [ origins ]\n'])
        self.start_gtm(conf)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        t0 = time.monotonic()
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertEqual(self.knot.log_search(r'failback held'), [])

    def test_held_address_answers_when_nothing_settled(self):
        """A held address is answered when nothing settled is eligible."""
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: origins\n    address: [ %s, %s ]\n    check: web\n'
             '    failback-delay: 3s\n' % (O1, O2)],
            ['  - id: gtm\n    pool: [ origins ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_up()
        self.assertSteady('gtm.example.com', 'A', [O2], 0.6)
        # O1 is held now; O2 goes down: the held O1 answers at once
        t0 = time.monotonic()
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1], timeout=2.0)
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertSteady('gtm.example.com', 'A', [O1], 0.4)


class DisabledAddress(PolicyCase):

    def test_disabled_address_not_answered_not_probed(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            ['  - id: every\n'
             '    address: [ %s, "%s enabled=off", %s ]\n'
             '    check: web\n    policy: all\n' % (O1, O2, O3),
             '  - id: seq\n'
             '    address: [ %s, "%s enabled=off", %s ]\n'
             '    check: web\n' % (O1, O2, O3)],
            ['  - id: gtmall\n    pool: [ every ]\n',
             '  - id: gtm\n    pool: [ seq ]\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtmall.example.com', 'A', [O1, O3])
        self.assertAnswer('gtm.example.com', 'A', [O1])
        o[1].set_down()
        # the next in order is the disabled one: skipped
        self.waitAnswer('gtm.example.com', 'A', [O3])
        self.waitAnswer('gtmall.example.com', 'A', [O3])
        o[3].set_down()
        # nothing enabled is up: all-down (static), never the disabled one
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])
        self.assertSteady('gtm.example.com', 'A', [STATIC_A], 0.5)
        self.assertGreater(o[1].connection_count(), 2)
        self.assertGreater(o[3].connection_count(), 2)
        self.assertEqual(o[2].connection_count(), 0,
                         'disabled address probed: %r' % o[2].requests[:3])
