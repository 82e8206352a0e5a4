"""Alerts: state changes and all-down logged once; the webhook (a local
receiver), and a dead webhook that must not slow probing."""

import http.server
import json
import os
import socket
import threading
import time

from harness import (GtmTestCase, O1, O2, STATIC_A, free_port, is_root,
                     knot_ids, parse_prometheus, prom_values, wait_for)

GTM = 'gtm.example.com'


class Receiver:
    """HTTP server on 127.0.0.1 recording the POSTed bodies."""

    def __init__(self, status=200):
        self.events = []
        self.raw = []
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(n)
                with rec.lock:
                    rec.raw.append((time.monotonic(), self.path,
                                    self.headers.get('Content-Type'), body))
                    try:
                        rec.events.append(json.loads(body))
                    except ValueError:
                        rec.events.append({'unparsed': body})
                self.send_response(status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={'poll_interval': 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self):
        return 'http://127.0.0.1:%d/hook' % self.port

    def find(self, event, text=None):
        with self.lock:
            return [e for e in self.events if e.get('event') == event and
                    (text is None or text in json.dumps(e))]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class AlertBase(GtmTestCase):

    def start_alerting(self, addrs=(O1, O2), fall=1, **opts):
        self.start_origins()
        self.prom_dir = os.path.join(self.tmp, 'textfile')
        os.mkdir(self.prom_dir)
        if is_root() and knot_ids():
            os.chown(self.prom_dir, *knot_ids())
        self.prom_path = os.path.join(self.prom_dir, 'gtm.prom')
        options = {'prometheus-file': self.prom_path, 'state-interval': '1s'}
        options.update(opts)
        return self.start_gtm(
            self.simple_conf(addrs=addrs, interval='200ms', timeout='200ms',
                             rise=1, fall=fall),
            options=options)

    def webhook_counts(self):
        try:
            with open(self.prom_path) as f:
                s = parse_prometheus(f.read())
        except (OSError, ValueError):
            return {}
        return {r: sum(prom_values(s, 'gtm_webhook_deliveries_total',
                                   result=r))
                for r in ('ok', 'failed', 'dropped')}

    def lines(self, pattern):
        return self.knot.log_search(pattern)


class LoggedOnce(AlertBase):

    def test_state_change_and_all_down_logged_once(self):
        self.start_alerting()
        self.assertAnswer(GTM, 'A', [O1])
        self.origins[1].set_down(503)
        self.waitLog(r'127\.0\.0\.11 down')
        time.sleep(1.2)        # ~6 more failed checks
        down = self.lines(r'127\.0\.0\.11 down')
        self.assertEqual(len(down), 1, '\n'.join(down))
        self.assertIn('503', down[0])

        # both down: the name goes all down, logged once at warning
        self.origins[2].set_down(503)
        self.waitAnswer(GTM, 'A', [STATIC_A])
        self.waitLog(r'gtm\.example\.com\. A all down')
        time.sleep(1.2)
        for _ in range(5):
            self.q(GTM, 'A')
        ad = self.lines(r'gtm\.example\.com\. A all down')
        self.assertEqual(len(ad), 1, '\n'.join(ad))
        self.assertIn('warning:', ad[0])
        self.assertIn('answering static', ad[0])
        self.assertEqual(len(self.lines(r'127\.0\.0\.12 down')), 1)

        # origin 1 back: recovered, logged once at notice
        self.origins[1].set_up()
        self.waitAnswer(GTM, 'A', [O1])
        self.waitLog(r'gtm\.example\.com\. A recovered')
        time.sleep(1.2)
        rec = self.lines(r'gtm\.example\.com\. A recovered')
        self.assertEqual(len(rec), 1, '\n'.join(rec))
        self.assertIn('notice:', rec[0])
        self.assertIn('answering 127.0.0.11', rec[0])
        up = [l for l in self.lines(r'127\.0\.0\.11 up')
              if 'first check' not in l]
        self.assertEqual(len(up), 1, '\n'.join(up))
        self.assertEqual(len(self.lines(r'A all down')), 1)


class Webhook(AlertBase):

    def test_events_delivered(self):
        r = Receiver()
        self.addCleanup(r.stop)
        self.start_alerting(**{'webhook-url': r.url(),
                               'webhook-timeout': '2s'})
        self.assertAnswer(GTM, 'A', [O1])
        t0 = time.time()
        self.origins[1].set_down(503)
        ok, ev = wait_for(lambda: r.find('target-down', '127.0.0.11'), 5.0,
                          interval=0.05)
        self.assertTrue(ok, 'no target-down event: %s\n%s'
                        % (r.events, self.context()))
        e = ev[0]
        self.assertEqual(e['state'], 'down')
        self.assertIsInstance(e['time'], (int, float))
        self.assertTrue(t0 - 1 <= e['time'] <= time.time() + 1, e)
        self.assertIn('127.0.0.11', e['target'])
        self.assertIn('503', e['reason'])
        self.assertEqual(r.raw[0][1], '/hook')
        self.assertIn('json', (r.raw[0][2] or '').lower())

        self.origins[2].set_down(503)
        ok, ev = wait_for(lambda: r.find('name-all-down', 'gtm.example.com.'),
                          5.0, interval=0.05)
        self.assertTrue(ok, 'no name-all-down event: %s' % r.events)
        e = ev[0]
        self.assertIn('gtm.example.com.', e['name'])
        self.assertIsInstance(e['time'], (int, float))
        self.assertIn('reason', e)
        self.assertIn('state', e)

        self.origins[1].set_up()
        ok, ev = wait_for(lambda: r.find('name-recovered', 'gtm.example.com.'),
                          5.0, interval=0.05)
        self.assertTrue(ok, 'no name-recovered event: %s' % r.events)
        self.assertIn('gtm.example.com.', ev[0]['name'])
        ok, ev = wait_for(lambda: r.find('target-up', '127.0.0.11'), 5.0,
                          interval=0.05)
        self.assertTrue(ok, 'no target-up event: %s' % r.events)
        self.assertEqual(ev[0]['state'], 'up')
        self.assertIn('200', ev[0]['reason'])

        # each event once
        time.sleep(1.0)
        self.assertEqual(len(r.find('target-down', '127.0.0.11')), 1,
                         r.events)
        self.assertEqual(len(r.find('name-all-down')), 1, r.events)
        self.assertEqual(len(r.find('name-recovered')), 1, r.events)
        ok, c = wait_for(lambda: self.webhook_counts().get('ok', 0) >= 5,
                         3.0, interval=0.1)
        self.assertTrue(ok, 'gtm_webhook_deliveries_total: %s, received %d'
                        % (self.webhook_counts(), len(r.events)))
        self.assertEqual(self.webhook_counts().get('failed'), 0)


class DeadWebhook(AlertBase):

    def black_hole(self):
        """A listener that accepts (kernel backlog) and never answers."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(('127.0.0.1', 0))
        s.listen(128)
        self.addCleanup(s.close)
        return s.getsockname()[1]

    def flap(self, times=3):
        for _ in range(times):
            self.origins[1].set_down(503)
            self.waitAnswer(GTM, 'A', [O2])
            self.origins[1].set_up()
            self.waitAnswer(GTM, 'A', [O1])

    def test_hanging_webhook_does_not_slow_failover(self):
        port = self.black_hole()
        k = self.start_alerting(fall=2, **{
            'webhook-url': 'http://127.0.0.1:%d/hook' % port,
            'webhook-timeout': '3s'})
        self.assertAnswer(GTM, 'A', [O1])
        self.flap(3)           # events pile up behind the hanging delivery
        # fall 2, interval 200 ms, timeout 200 ms: about 0.6 s
        took = []
        for _ in range(2):
            t0 = time.monotonic()
            self.origins[1].set_down(503)
            self.waitAnswer(GTM, 'A', [O2], timeout=5)
            took.append(time.monotonic() - t0)
            t0 = time.monotonic()
            self.origins[1].set_up()
            self.waitAnswer(GTM, 'A', [O1], timeout=5)
            took.append(time.monotonic() - t0)
        self.assertLess(max(took), 0.6 + 1.5, 'switch times %s with a hanging '
                        'webhook' % ['%.2f' % t for t in took])
        # stopping knotd is not held up for long by the hanging delivery
        t0 = time.monotonic()
        rc = k.stop()
        self.assertLess(time.monotonic() - t0, 8.0)
        self.assertEqual(rc, 0)

    def test_closed_port_failures_logged_and_counted(self):
        port = free_port(['127.0.0.1'])      # nobody listens there
        self.start_alerting(**{'webhook-url': 'http://127.0.0.1:%d/hook'
                               % port, 'webhook-timeout': '1s'})
        self.assertAnswer(GTM, 'A', [O1])
        t0 = time.monotonic()
        self.origins[1].set_down(503)
        self.waitAnswer(GTM, 'A', [O2])
        took = time.monotonic() - t0
        self.assertLess(took, 0.4 + 1.5)
        self.origins[1].set_up()
        self.waitAnswer(GTM, 'A', [O1])
        self.origins[1].set_down(503)
        self.waitAnswer(GTM, 'A', [O2])
        # 3 retries 1 s, 2 s, 4 s apart: an event fails after ~7 s, the
        # next one ~7 s later
        ok, _ = wait_for(lambda: self.webhook_counts().get('failed', 0) >= 2,
                         20.0, interval=0.2)
        self.assertTrue(ok, 'not two failed deliveries counted: %s\n%s'
                        % (self.webhook_counts(), self.context()))
        warn = [l for l in self.lines(r'webhook') if 'warning:' in l]
        self.assertEqual(len(warn), 1, 'webhook warnings (rate-limited to one '
                         'a minute):\n%s' % '\n'.join(warn))
        # probing went on meanwhile
        self.origins[1].set_up()
        self.waitAnswer(GTM, 'A', [O1], timeout=3)


class AcrossReload(AlertBase):

    def test_all_down_not_alerted_again_by_reload(self):
        r = Receiver()
        self.addCleanup(r.stop)
        k = self.start_alerting(**{'webhook-url': r.url()})
        self.assertAnswer(GTM, 'A', [O1])
        self.origins[1].set_down(503)
        self.origins[2].stop()
        self.waitAnswer(GTM, 'A', [STATIC_A])
        ok, _ = wait_for(lambda: r.find('name-all-down'), 5.0, interval=0.05)
        self.assertTrue(ok, 'no name-all-down event: %s' % r.events)
        res = k.knotc('reload')
        self.assertEqual(res.returncode, 0, res.stdout)
        self.waitLog(r'configuration reloaded')
        self.assertSteady(GTM, 'A', [STATIC_A], 1.5, period=0.1)
        self.assertEqual(len(self.lines(r'A all down')), 1,
                         '\n'.join(self.lines(r'A all down')))
        self.assertEqual(len(self.lines(r'127\.0\.0\.11 down')), 1)
        self.assertEqual(len(r.find('name-all-down')), 1, r.events)
        self.assertEqual(len(r.find('target-down')), 2, r.events)
        # recovery after the reload is still reported, once
        self.origins[1].set_up()
        self.waitAnswer(GTM, 'A', [O1])
        ok, _ = wait_for(lambda: r.find('name-recovered'), 5.0,
                         interval=0.05)
        self.assertTrue(ok, 'no name-recovered event after the reload: %s'
                        % r.events)
        self.waitLog(r'gtm\.example\.com\. A recovered')
        time.sleep(0.5)
        self.assertEqual(len(self.lines(r'A recovered')), 1)
