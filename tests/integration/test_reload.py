"""Reloads: health survives, data file changes apply, bad files are
rejected while the old configuration keeps answering."""

import re
import time

from harness import (GtmTestCase, O1, O2, O3, check_block,
                     gtm_conf, name_block, pool_block, wait_for)


class Reload(GtmTestCase):

    def loop_during(self, action, name='gtm.example.com', expected=None,
                    total=2.0):
        return self.assertSteadyDuring(action, name, expected, total,
                                       min_answers=50)

    def test_health_survives_reload_and_zone_reload(self):
        o = self.start_origins()
        # A hanging origin1 is down only after `timeout`: if a reload forgot
        # its health, origin1 would answer again for ~400 ms.
        self.start_gtm(self.simple_conf(interval='500ms', timeout='400ms',
                                        rise=1, fall=1))
        o[1].set_hang()
        self.waitAnswer('gtm.example.com', 'A', [O2], timeout=5)

        def reload():
            return self.knot.knotc('reload')

        r = self.loop_during(reload, expected=[O2])
        self.assertEqual(r.returncode, 0, r.stdout)

        def zone_reload():
            return self.knot.knotc('zone-reload', 'example.com', force=True)

        r = self.loop_during(zone_reload, expected=[O2])
        self.assertEqual(r.returncode, 0, r.stdout)

        # probing still runs after the reloads
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1], timeout=5)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2], timeout=5)

    def test_zone_reload_without_force(self):
        o = self.start_origins()
        self.start_gtm(self.simple_conf(interval='500ms', timeout='400ms'))
        o[1].set_hang()
        self.waitAnswer('gtm.example.com', 'A', [O2], timeout=5)
        r = self.loop_during(
            lambda: self.knot.knotc('zone-reload', 'example.com'),
            expected=[O2], total=1.5)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_data_file_change_applies_on_reload(self):
        o = self.start_origins()
        chk = check_block(port=self.oport, interval='300ms', timeout='200ms')
        self.start_gtm(gtm_conf([chk], [pool_block('origins', [O1, O2, O3])],
                                [name_block('gtm', ['origins'])]))
        ok, _ = wait_for(lambda: o[1].connection_count() >= 2, 5)
        self.assertTrue(ok, 'origin1 not probed\n' + self.context())
        self.assertAnswer('gtm.example.com', 'A', [O1])
        self.assertAnswer('gtm2.example.com', 'A', ['198.51.100.3'],
                          ttl=3600)

        # origin1 removed from the pool, a new name added
        self.knot.write('gtm.conf', gtm_conf(
            [chk], [pool_block('origins', [O2, O3])],
            [name_block('gtm', ['origins']),
             name_block('gtm2', ['origins'], ttl=45)]))
        r = self.knot.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.waitAnswer('gtm2.example.com', 'A', [O2], timeout=3)
        self.assertAnswer('gtm2.example.com', 'A', [O2], ttl=45)
        self.assertAnswer('gtm.example.com', 'A', [O2], ttl=30)

        # the removed target is no longer probed
        time.sleep(2 * 0.3 + 0.2 + 0.2)
        n1 = o[1].connection_count()
        n2 = o[2].connection_count()
        time.sleep(1.5)
        self.assertEqual(o[1].connection_count(), n1,
                         'removed target 127.0.0.11 still probed after '
                         'reload\n' + self.context())
        self.assertGreater(o[2].connection_count(), n2,
                           'kept target 127.0.0.12 no longer probed')

        # the change of check parameters applies too: origin3 only
        self.knot.write('gtm.conf', gtm_conf(
            [chk.replace('/health', '/other')],
            [pool_block('origins', [O3])],
            [name_block('gtm', ['origins'])]))
        r = self.knot.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.waitAnswer('gtm.example.com', 'A', [O3], timeout=3)
        ok, _ = wait_for(lambda: o[3].last_request().path == '/other', 3)
        self.assertTrue(ok, 'new check path not used: %r'
                        % o[3].last_request())
        # removed names fall back to the zone
        self.waitAnswer('gtm2.example.com', 'A', ['198.51.100.3'], timeout=3)

    def test_bad_data_file_reload_keeps_old_config(self):
        o = self.start_origins()
        good = self.simple_conf(interval='300ms', timeout='200ms')
        self.start_gtm(good)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])

        lines = good.splitlines()
        idx = [i for i, l in enumerate(lines) if l.strip().startswith('ttl:')]
        lines.insert(idx[0] + 1, '    bogus-key: 1')
        bad_line = idx[0] + 2                         # 1-based
        self.knot.write('gtm.conf', '\n'.join(lines) + '\n')

        # knotc -c knot.conf checks the configuration itself first
        r = self.loop_during(lambda: self.knot.knotc('reload'),
                             expected=[O2], total=1.5)
        failed = r.returncode != 0 or re.search(r'(?i)error|fail', r.stdout)
        self.assertTrue(failed, 'knotc reload accepted a broken data file: '
                        'rc=%d %s' % (r.returncode, r.stdout))
        self.assertIn('gtm.conf:%d' % bad_line, r.stdout)

        # knotc -s socket: knotd itself reloads, fails and logs FILE:LINE
        r = self.loop_during(lambda: self.knot.knotc('reload', socket=True),
                             expected=[O2], total=1.5)
        failed = r.returncode != 0 or re.search(r'(?i)error|fail', r.stdout)
        self.assertTrue(failed, 'knotd reload accepted a broken data file: '
                        'rc=%d %s' % (r.returncode, r.stdout))
        ok, _ = wait_for(lambda: self.knot.log_search(
            r'gtm\.conf:%d' % bad_line), 3)
        self.assertTrue(ok, 'knotd log lacks gtm.conf:%d\n%s'
                        % (bad_line, self.knot.log_tail()))

        # old configuration keeps answering, and probing
        self.assertSteady('gtm.example.com', 'A', [O2], 0.5)
        o[1].set_up()
        self.waitAnswer('gtm.example.com', 'A', [O1])

        # fixed file (with a new name) reloads fine
        self.knot.write('gtm.conf', good + '\n'.join([
            '  - id: gtm2', '    pool: [ origins ]', '    ttl: 45', '']))
        r = self.knot.knotc('reload')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.waitAnswer('gtm2.example.com', 'A', [O1], timeout=3)
        self.assertAnswer('gtm.example.com', 'A', [O1], ttl=30)

    def test_bad_data_file_zone_reload(self):
        """zone-reload with a broken data file: the zone keeps answering."""
        o = self.start_origins()
        good = self.simple_conf(interval='300ms', timeout='200ms')
        self.start_gtm(good)
        o[1].set_down()
        self.waitAnswer('gtm.example.com', 'A', [O2])
        self.knot.write('gtm.conf', good.replace('ttl: 30', 'ttl: banana'))
        self.knot.knotc('zone-reload', 'example.com', force=True)
        time.sleep(0.5)
        # whatever the module does, the zone must still answer
        a = self.q('www.example.com', 'A')
        self.assertEqual(a, ['198.51.100.2'])
        self.assertTrue(self.knot.running)
