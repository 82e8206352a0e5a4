"""Prometheus textfile (prometheus-file): promtool, values, node_exporter.

promtool (Debian package prometheus) lints the file; a real
prometheus-node-exporter started here on loopback scrapes it through its
textfile collector.
"""

import os
import pwd
import subprocess
import time
import urllib.request

from harness import (GtmTestCase, O1, O2, O3, free_port, is_root, knot_ids,
                     parse_prometheus, prom_values, read_json, wait_for)

PROMTOOL = '/usr/bin/promtool'
SETPRIV = '/usr/bin/setpriv'
NODE_EXPORTER = '/usr/bin/prometheus-node-exporter'

REF = {'name': 'gtm.example.com.', 'pool': 'origins', 'check': 'web'}

DOCUMENTED = (
    'gtm_target_up', 'gtm_target_real_up', 'gtm_target_check_duration_seconds',
    'gtm_target_checks_total', 'gtm_target_state_changes_total',
    'gtm_name_all_down', 'gtm_answers_total',
    'gtm_prober_last_publish_timestamp_seconds', 'gtm_prober_stale',
    'gtm_state_file_timestamp_seconds',
)


def prometheus_user():
    try:
        return pwd.getpwnam('prometheus')
    except KeyError:
        return None


class PromBase(GtmTestCase):

    def start_with_prom(self, state=True, **check_args):
        self.start_origins()
        self.prom_dir = os.path.join(self.tmp, 'textfile')
        os.mkdir(self.prom_dir)
        if is_root() and knot_ids():
            os.chown(self.prom_dir, *knot_ids())
        self.prom_path = os.path.join(self.prom_dir, 'gtm.prom')
        self.state_path = os.path.join(self.tmp, 'gtm-state.json')
        opts = {'prometheus-file': self.prom_path, 'state-interval': '1s'}
        if state:
            opts['state-file'] = self.state_path
        args = dict(interval='200ms', timeout='200ms', rise=1, fall=1)
        args.update(check_args)
        return self.start_gtm(self.simple_conf(**args), options=opts)

    def prom_text(self):
        try:
            with open(self.prom_path) as f:
                return f.read()
        except OSError:
            return None

    def samples(self):
        text = self.prom_text()
        if text is None:
            return None
        try:
            return parse_prometheus(text)
        except ValueError:
            return None

    def wait_prom(self, pred, what, timeout=5.0):
        def probe():
            s = self.samples()
            return s if s is not None and pred(s) else None
        ok, s = wait_for(probe, timeout, interval=0.05)
        if not ok:
            self.fail('prometheus file: expected %s within %.1fs; file:\n%s\n%s'
                      % (what, timeout, self.prom_text(), self.context()))
        return s

    def up(self, s, addr, metric='gtm_target_up'):
        return prom_values(s, metric, address=addr, **REF)


class PromFile(PromBase):

    def test_promtool_check_metrics(self):
        if not os.access(PROMTOOL, os.X_OK):
            self.skipTest('promtool missing (Debian package prometheus)')
        self.start_with_prom()
        s = self.wait_prom(lambda s: all(self.up(s, a) == [1.0]
                                         for a in (O1, O2, O3)),
                           'three targets up')
        names = {n for n, _, _ in s}
        for metric in DOCUMENTED:
            self.assertIn(metric, names, 'metric %s missing' % metric)
        text = self.prom_text()
        for metric in names:
            self.assertIn('# HELP %s ' % metric, text)
            self.assertRegex(text, r'# TYPE %s (gauge|counter)\n' % metric)
        r = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, 'promtool check metrics:\n%s\n'
                         'file:\n%s' % (r.stdout, text))
        # after a state change (labels of forced/down targets, reasons)
        self.origins[1].set_down(503)
        self.wait_prom(lambda s: self.up(s, O1) == [0.0], 'origin 1 down')
        text = self.prom_text()
        r = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, 'promtool check metrics:\n%s\n'
                         'file:\n%s' % (r.stdout, text))

    def test_values_follow_the_state(self):
        self.start_with_prom()
        s = self.wait_prom(lambda s: self.up(s, O1) == [1.0], 'origin 1 up')
        self.assertEqual(self.up(s, O1, 'gtm_target_real_up'), [1.0])
        self.assertEqual(prom_values(s, 'gtm_name_all_down',
                                     name='gtm.example.com.', family='A'),
                         [0.0])
        self.assertEqual(prom_values(s, 'gtm_prober_stale'), [0.0])
        self.assertEqual(prom_values(s, 'gtm_target_forced'), [])
        ok = prom_values(s, 'gtm_target_checks_total', result='success',
                         address=O1, **REF)
        self.assertEqual(len(ok), 1)
        self.assertGreaterEqual(ok[0], 1)
        dur = prom_values(s, 'gtm_target_check_duration_seconds', address=O1,
                          **REF)
        self.assertEqual(len(dur), 1)
        self.assertTrue(0 <= dur[0] < 0.2, dur)
        pub = prom_values(s, 'gtm_prober_last_publish_timestamp_seconds')
        self.assertEqual(len(pub), 1)
        self.assertLess(abs(pub[0] - time.time()), 10)

        # answers counted per name and outcome
        n = sum(1 for _ in range(5)
                if self.knot.query('gtm.example.com').rcode == 'NOERROR')
        self.assertGreater(n, 0)
        self.wait_prom(lambda s: sum(prom_values(
            s, 'gtm_answers_total', zone='example.com.',
            name='gtm.example.com.', outcome='first')) >= n,
            '%d first answers of gtm.example.com.' % n)

        changes0 = self.up(s, O1, 'gtm_target_state_changes_total')[0]
        self.origins[1].set_down(503)
        s = self.wait_prom(lambda s: self.up(s, O1) == [0.0],
                           'gtm_target_up of origin 1 at 0')
        self.assertEqual(self.up(s, O1, 'gtm_target_real_up'), [0.0])
        self.assertEqual(self.up(s, O2), [1.0])
        self.assertGreater(self.up(s, O1, 'gtm_target_state_changes_total')[0],
                           changes0)
        fail = prom_values(s, 'gtm_target_checks_total', result='failure',
                           address=O1, **REF)
        self.assertGreaterEqual(fail[0], 1)
        self.assertAnswer('gtm.example.com', 'A', [O2])
        self.wait_prom(lambda s: sum(prom_values(
            s, 'gtm_answers_total', name='gtm.example.com.',
            outcome='failover')) >= 1, 'a failover answer counted')

        # the same state as the state file (written together)
        def agree():
            st = read_json(self.state_path)[1]
            s = self.samples()
            if st is None or s is None:
                return False
            for t in st['targets']:
                want = 1.0 if t['state'] == 'up' else 0.0
                if self.up(s, t['address']) != [want]:
                    return False
            return True
        ok, _ = wait_for(agree, 3.0, interval=0.05)
        self.assertTrue(ok, 'state file and prometheus file disagree:\n%s\n%s'
                        % (read_json(self.state_path)[0], self.prom_text()))

        # all down: the name gauge
        self.origins[2].stop()
        self.origins[3].stop()
        self.wait_prom(lambda s: prom_values(
            s, 'gtm_name_all_down', name='gtm.example.com.', family='A')
            == [1.0], 'gtm_name_all_down 1')

    def test_rewritten_and_timestamped(self):
        self.start_with_prom(state=False)
        s = self.wait_prom(lambda s: True, 'a prometheus file')
        t0 = prom_values(s, 'gtm_state_file_timestamp_seconds')
        self.assertEqual(len(t0), 1)
        self.wait_prom(lambda s: prom_values(
            s, 'gtm_state_file_timestamp_seconds')[0] > t0[0],
            'a newer timestamp within 2.5 s', timeout=2.5)


class NodeExporter(PromBase):

    def scrape(self, port):
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port,
                                        timeout=2) as r:
                return r.read().decode('utf-8', 'replace')
        except OSError:
            return None

    def test_scraped_by_node_exporter(self):
        if not os.access(NODE_EXPORTER, os.X_OK):
            self.skipTest('node exporter missing (prometheus-node-exporter)')
        self.start_with_prom()
        self.wait_prom(lambda s: self.up(s, O1) == [1.0], 'origin 1 up')
        port = free_port(['127.0.0.1'])
        log = open(os.path.join(self.tmp, 'node_exporter.log'), 'wb')
        self.addCleanup(log.close)
        # As on Debian: node_exporter runs as user prometheus, knotd as
        # user knot; the textfile must be readable by the former.
        as_user = []
        if is_root() and knot_ids() and prometheus_user() and \
                os.access(SETPRIV, os.X_OK):
            os.chmod(self.tmp, 0o711)
            as_user = [SETPRIV, '--reuid=prometheus', '--regid=prometheus',
                       '--init-groups', '--']
        ne = subprocess.Popen(
            as_user +
            [NODE_EXPORTER, '--web.listen-address=127.0.0.1:%d' % port,
             '--collector.disable-defaults', '--collector.textfile',
             '--collector.textfile.directory=%s' % self.prom_dir],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

        def stop():
            if ne.poll() is None:
                ne.terminate()
                try:
                    ne.wait(5)
                except subprocess.TimeoutExpired:
                    ne.kill()
                    ne.wait(5)
        self.addCleanup(stop)

        def exposed(value):
            text = self.scrape(port)
            if text is None:
                return None
            try:
                s = parse_prometheus(text)
            except ValueError:
                return None
            if prom_values(s, 'node_textfile_scrape_error') != [0.0]:
                return None
            return s if self.up(s, O1) == [value] else None

        ok, s = wait_for(lambda: exposed(1.0), 10.0, interval=0.2)
        if not ok:
            with open(os.path.join(self.tmp, 'node_exporter.log')) as f:
                out = f.read()[-600:]
            st = os.stat(self.prom_path)
            self.fail('node_exporter%s did not expose gtm_target_up 1 of %s '
                      '(file mode %o):\n%s\n%s'
                      % (' (user prometheus)' if as_user else '', O1,
                         st.st_mode & 0o777, '\n'.join(
                             l for l in (self.scrape(port) or '').splitlines()
                             if 'gtm_' in l or 'textfile' in l), out))
        self.assertEqual(self.up(s, O2), [1.0])
        self.assertEqual(len(prom_values(s, 'gtm_prober_stale')), 1)
        self.origins[1].set_down(503)
        ok, s = wait_for(lambda: exposed(0.0), 6.0, interval=0.2)
        self.assertTrue(ok, 'node_exporter did not expose gtm_target_up 0 '
                        'after origin 1 went down:\n%s' % self.scrape(port))
        stop()
        self.assertIsNotNone(ne.returncode)
