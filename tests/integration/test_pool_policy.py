"""Pool policies of a name (issue 3): sequence with preempt off across a
reload, weighted pools, min-available (count and percent), name-level
failback-delay between pools, ttl-degraded, disabled pools."""

import time

from harness import O1, O2, O3, STATIC_A
from test_addr_policy import PolicyCase, answer_counts, data_file, http_check

O4 = '127.0.0.14'


def pool(id, addrs, extra=''):
    return ('  - id: %s\n    address: [ %s ]\n    check: web\n%s'
            % (id, ', '.join(addrs), extra))


class PoolSticky(PolicyCase):

    def test_name_preempt_off_sticky_across_reload(self):
        self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            [pool('p1', [O1]), pool('p2', [O2]), pool('p3', [O3])],
            ['  - id: gtm\n'
             '    pool: [ p1, p2, p3 ]\n'
             '    pool-policy: sequence\n'
             '    preempt: off\n'
             '    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        k = self.start_gtm(conf)
        self.check_sticky(k, r'p1/127\.0\.0\.11 up')

    def test_name_preempt_on_returns(self):
        """The default (preempt on) returns to the first pool."""
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            [pool('p1', [O1]), pool('p2', [O2])],
            ['  - id: gtm\n    pool: [ p1, p2 ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=5)
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)


class MinAvailable(PolicyCase):

    def test_count_and_percent(self):
        o = self.start_origins((O1, O2, O3, O4))
        three = [O1, O2, O3]
        conf = data_file(
            [http_check(self.oport)],
            [pool('big2', three, '    policy: all\n    min-available: 2\n'),
             pool('big67', three,
                  '    policy: all\n    min-available: 67%\n'),
             pool('big50', three,
                  '    policy: all\n    min-available: 50%\n'),
             pool('backup', [O4])],
            ['  - id: gtm\n    pool: [ big2, backup ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n',
             # 67% of 3 = 2.01 -> 3 needed
             '  - id: multi\n    pool: [ big67, backup ]\n',
             # 50% of 3 = 1.5 -> 2 needed
             '  - id: first\n    pool: [ big50, backup ]\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', three, ttl=30)
        self.assertAnswer('multi.example.com', 'A', three)
        self.assertAnswer('first.example.com', 'A', three)

        # 1 of 3 down: 2 left
        o[1].set_down()
        self.waitAnswer('multi.example.com', 'A', [O4])
        self.assertAnswer('gtm.example.com', 'A', [O2, O3])
        self.assertAnswer('first.example.com', 'A', [O2, O3])
        self.assertSteady('gtm.example.com', 'A', [O2, O3], 0.4)

        # 2 of 3 down: 1 left, below 2 -> the next pool
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O4])
        self.assertAnswer('gtm.example.com', 'A', [O4], ttl=5)
        self.assertAnswer('first.example.com', 'A', [O4])
        self.assertAnswer('multi.example.com', 'A', [O4])
        self.assertSteady('gtm.example.com', 'A', [O4], 0.4)

        # 1 back: 2 up again
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1, O3])
        self.assertAnswer('first.example.com', 'A', [O1, O3])
        self.assertSteady('multi.example.com', 'A', [O4], 0.4)
        o[2].set_up()
        self.waitAnswer('multi.example.com', 'A', three)
        self.assertAnswer('gtm.example.com', 'A', three, ttl=30)

    def test_min_available_all_in_sequence_pool(self):
        """min-available with the default policy (sequence, one answer)."""
        o = self.start_origins((O1, O2, O3, O4))
        conf = data_file(
            [http_check(self.oport)],
            [pool('seq', [O1, O2, O3], '    min-available: 100%\n'),
             pool('backup', [O4])],
            ['  - id: gtm\n    pool: [ seq, backup ]\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1])
        o[3].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O4])
        o[3].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])


class NameFailbackDelay(PolicyCase):

    def test_pool_hold_down_timing(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            [pool('p1', [O1]), pool('p2', [O2])],
            ['  - id: gtm\n    pool: [ p1, p2 ]\n    failback-delay: 2s\n'
             '    ttl: 30\n    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        t0 = time.monotonic()
        o[1].set_up()
        t1 = self.measure_return('gtm.example.com', [O2], [O1], limit=6.0,
                                 ttl_held=5)
        held = t1 - t0
        self.assertGreaterEqual(held, 1.99, 'failed back after %.2fs' % held)
        self.assertLessEqual(held, 2.0 + 1.5, 'failed back after %.2fs'
                             % held)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)
        # pending failbacks are logged
        lines = self.waitLog(r'failback held for 2s')
        self.assertTrue(any('127.0.0.11' in l for l in lines), lines)

    def test_pool_hold_down_needs_settled_alternative(self):
        """A held pool answers when no settled pool is eligible."""
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            [pool('p1', [O1]), pool('p2', [O2])],
            ['  - id: gtm\n    pool: [ p1, p2 ]\n    failback-delay: 3s\n'])
        self.start_gtm(conf)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        o[1].set_up()
        self.assertSteady('gtm.example.com', 'A', [O2], 0.6)
        t0 = time.monotonic()
        o[2].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O1], timeout=2.0)
        self.assertLess(time.monotonic() - t0, 1.5)


class WeightedPools(PolicyCase):

    def test_weighted_pools(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            [pool('p1', [O1]), pool('p2', [O2])],
            ['  - id: gtm\n    pool: [ "p1 weight=1", "p2 weight=3" ]\n'
             '    pool-policy: weighted\n    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        self.assertEqual(self.q('gtm.example.com').rcode, 'NOERROR')
        counts, ttls, lost, sent = answer_counts(self.knot,
                                                 'gtm.example.com', 6000)
        total = sent - lost
        self.assertGreater(total, 5900, 'lost %d, sent %d' % (lost, sent))
        self.assertLessEqual(set(counts), {(O1,), (O2,)}, dict(counts))
        self.assertShare(counts, (O1,), total, 0.25, 0.03)
        self.assertShare(counts, (O2,), total, 0.75, 0.03)
        self.assertEqual(set(ttls), {30})

        # an ineligible pool is skipped; degraded TTL
        down = r'p2/127\.0\.0\.12 down'
        before = self.log_count(down)
        o[2].set_down()
        self.waitLogMore(down, before)
        time.sleep(0.1)              # the prober publishes, then logs
        counts, ttls, lost, sent = answer_counts(self.knot,
                                                 'gtm.example.com', 300)
        self.assertEqual(set(counts), {(O1,)}, dict(counts))
        self.assertEqual(set(ttls), {5})


class DisabledPool(PolicyCase):

    def test_disabled_pool_skipped_and_not_probed(self):
        o = self.start_origins()
        conf = data_file(
            [http_check(self.oport)],
            [pool('p1', [O1], '    enabled: off\n'), pool('p2', [O2])],
            ['  - id: gtm\n    pool: [ p1, p2 ]\n    ttl: 30\n'
             '    ttl-degraded: 5\n'])
        self.start_gtm(conf)
        # not in the list at all: p2 is the first choice
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=30)
        self.assertSteady('gtm.example.com', 'A', [O2], 0.6)
        o[2].set_down()
        # no eligible pool: all-down static, not the disabled pool
        self.waitAnswer('gtm.example.com', 'A', [STATIC_A])
        self.assertSteady('gtm.example.com', 'A', [STATIC_A], 0.5)
        self.assertGreater(o[2].connection_count(), 2)
        self.assertEqual(o[1].connection_count(), 0,
                         'disabled pool probed: %r' % o[1].requests[:3])
