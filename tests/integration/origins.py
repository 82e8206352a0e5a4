"""Controllable HTTP origins on loopback addresses.

Each Origin is a tiny HTTP/1.1 server bound to one (address, port).  Its
behaviour is switched at run time by the test (or the demo):

  up       answer every request with 200 (or the status set with set_status)
  down     answer every request with 503
  hang     accept the connection, read the request, never answer
  raw      send given bytes (optionally slowly), then close
  stopped  listener closed: new connections are refused (RST)

Every accepted connection is recorded (time, path, Host header) so tests can
tell whether a target is still being probed.  Standard library only.
"""

import select
import socket
import threading
import time

REASONS = {200: 'OK', 204: 'No Content', 301: 'Moved Permanently',
           302: 'Found', 399: 'Unknown', 400: 'Bad Request',
           404: 'Not Found', 500: 'Internal Server Error',
           503: 'Service Unavailable'}

# How long a hung connection is held open at most (seconds).
HANG_LIMIT = 60.0


def _family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def serve_setup(conn, timeout, tls=None):
    """Prepare an accepted connection for a handler thread.

    Blocking with `timeout` (seconds) on every operation, then the TLS
    handshake (server side) if `tls` is an ssl.SSLContext.  Returns the
    connection to use (the TLS one if wrapped).
    """
    conn.setblocking(True)
    conn.settimeout(timeout)
    if tls is not None:
        conn = tls.wrap_socket(conn, server_side=True)
    return conn


def close_quietly(conn):
    """Close a connection, ignoring errors (the peer may be gone)."""
    try:
        conn.close()
    except OSError:
        pass


class Request:
    __slots__ = ('time', 'path', 'host', 'method', 'raw', 'served')

    def __init__(self, t, method, path, host, raw):
        self.time = t
        self.method = method
        self.path = path
        self.host = host
        self.raw = raw
        self.served = None      # HTTP status sent, or 'hang' / 'raw'

    def __repr__(self):
        return 'Request(%.3f %s %s host=%s)' % (self.time, self.method,
                                                self.path, self.host)


class Origin:
    """One HTTP origin on (addr, port)."""

    def __init__(self, addr, port, label=None, tls=None):
        self.addr = addr
        self.port = port
        self.label = label or addr
        self.tls = tls                 # ssl.SSLContext: serve HTTPS
        self.body = None               # None: '<status> <label>\n'
        self.status = 200
        self.path_status = {}          # path -> status, overrides up/down
        self.mode = 'stopped'          # up | down | hang | raw | stopped
        self.raw = ([], 0.0)
        self.connections = []          # accept times (every connection)
        self.requests = []             # parsed HTTP requests
        self._lock = threading.Lock()
        self._sock = None
        self._thread = None
        self._stop = threading.Event()
        self._release = threading.Event()   # wakes hung connections

    # -- control -----------------------------------------------------------

    def start(self):
        """Open the listener (again) and serve with the current status."""
        with self._lock:
            if self._sock is not None:
                if self.mode == 'stopped':
                    self.mode = 'up'
                return
            sock = socket.socket(_family(self.addr), socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if _family(self.addr) == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((self.addr, self.port))
                sock.listen(64)
            except OSError:
                sock.close()
                raise
            sock.setblocking(False)
            self._sock = sock
            self._stop = threading.Event()
            if self.mode == 'stopped':
                self.mode = 'up'
            self._thread = threading.Thread(target=self._accept_loop,
                                            args=(sock, self._stop),
                                            name='origin-%s' % self.label,
                                            daemon=True)
            self._thread.start()

    def stop(self):
        """Close the listener: connections are refused from now on."""
        with self._lock:
            sock, thread, stop = self._sock, self._thread, self._stop
            self._sock = None
            self._thread = None
            self.mode = 'stopped'
        self._release_hung()
        if thread is not None:
            stop.set()
            thread.join(5)
        if sock is not None:
            sock.close()

    def set_up(self, status=200):
        self.status = status
        self._set_mode('up')

    def set_down(self, status=503):
        self.status = status
        self._set_mode('down')

    def set_hang(self):
        self._set_mode('hang')

    def set_raw(self, chunks, delay=0.0):
        """Answer with raw bytes: the chunks, `delay` seconds apart, then
        close (malformed or slow responses)."""
        self.raw = (list(chunks), delay)
        self._set_mode('raw')

    def set_status(self, status):
        """Answer with an arbitrary HTTP status (mode 'up')."""
        self.status = status
        self._set_mode('up')

    def set_path_status(self, path, status):
        """Answer requests for `path` with `status` whatever the mode
        up/down says (None: back to the origin's status).  Lets one origin
        pass one HTTP check and fail another."""
        if status is None:
            self.path_status.pop(path, None)
        else:
            self.path_status[path] = status
        if self._sock is None:
            self.start()

    def _set_mode(self, mode):
        if self._sock is None:
            self.start()
        self._release_hung()
        self.mode = mode

    def _release_hung(self):
        old = self._release
        self._release = threading.Event()
        old.set()

    @property
    def running(self):
        return self._sock is not None

    # -- observation -------------------------------------------------------

    def connection_count(self, since=None):
        with self._lock:
            if since is None:
                return len(self.connections)
            return sum(1 for t in self.connections if t >= since)

    def served_count(self, status, since, until=None):
        """Requests received in [since, until] answered with `status`."""
        with self._lock:
            return sum(1 for r in self.requests
                       if r.time >= since and (until is None or r.time <= until)
                       and r.served == status)

    def last_request(self):
        with self._lock:
            return self.requests[-1] if self.requests else None

    def state(self):
        if self.mode == 'stopped':
            return 'stopped'
        if self.mode == 'hang':
            return 'hang'
        return '%s(%d)' % (self.mode, self.status)

    # -- serving -----------------------------------------------------------

    def _accept_loop(self, sock, stop):
        while not stop.is_set():
            try:
                ready, _, _ = select.select([sock], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                conn, _peer = sock.accept()
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            with self._lock:
                self.connections.append(time.monotonic())
            t = threading.Thread(target=self._handle, args=(conn,),
                                 daemon=True)
            t.start()

    def _handle(self, conn):
        try:
            conn = serve_setup(conn, 2.0, self.tls)
            data = b''
            while b'\r\n\r\n' not in data and len(data) < 16384:
                try:
                    chunk = conn.recv(4096)
                except socket.timeout:
                    break
                if not chunk:
                    break
                data += chunk
            if not data:
                return                       # TCP check: connect + close
            head = data.split(b'\r\n\r\n', 1)[0].decode('latin-1')
            lines = head.split('\r\n')
            parts = lines[0].split(' ')
            method = parts[0] if parts else ''
            path = parts[1] if len(parts) > 1 else ''
            host = None
            for line in lines[1:]:
                k, _, v = line.partition(':')
                if k.strip().lower() == 'host':
                    host = v.strip()
            req = Request(time.monotonic(), method, path, host, head)
            with self._lock:
                self.requests.append(req)
            mode, status = self.mode, self.status
            req.served = mode if mode in ('hang', 'raw') else None
            if mode == 'hang':
                self._release.wait(HANG_LIMIT)
                return
            if mode == 'stopped':
                return
            if mode == 'raw':
                chunks, delay = self.raw
                for i, c in enumerate(chunks):
                    if i and delay:
                        time.sleep(delay)
                    conn.sendall(c)
                return
            if mode == 'down':
                status = self.status if self.status >= 400 else 503
            status = self.path_status.get(path, status)
            req.served = status
            body = self.body if self.body is not None else \
                '%d %s\n' % (status, self.label)
            body = body.encode() if isinstance(body, str) else body
            resp = ('HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n'
                    'Content-Length: %d\r\nConnection: close\r\n\r\n'
                    % (status, REASONS.get(status, 'Status'),
                       len(body))).encode() + body
            if method == 'HEAD':
                resp = resp[:-len(body)]
            conn.sendall(resp)
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        except OSError:
            pass
        finally:
            close_quietly(conn)


class DnsOrigin:
    """A tiny UDP DNS server on (addr, port) for 'dns' checks.

    Modes: up (NOERROR; A queries get `self.a`, others an SOA), servfail,
    silent (read, never answer), stopped (socket closed: port unreachable).
    """

    def __init__(self, addr, port, label=None, a='192.0.2.1'):
        self.addr = addr
        self.port = port
        self.label = label or addr
        self.a = a
        self.mode = 'stopped'
        self.queries = []
        self._lock = threading.Lock()
        self._sock = None
        self._thread = None
        self._stop = None

    def start(self):
        with self._lock:
            if self._sock is None:
                s = socket.socket(_family(self.addr), socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((self.addr, self.port))
                self._sock = s
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._loop, args=(s, self._stop), daemon=True)
                self._thread.start()
            if self.mode == 'stopped':
                self.mode = 'up'

    def stop(self):
        with self._lock:
            s, t, ev = self._sock, self._thread, self._stop
            self._sock = None
            self.mode = 'stopped'
        if t is not None:
            ev.set()
            t.join(5)
        if s is not None:
            s.close()

    def set_mode(self, mode, a=None):
        if a is not None:
            self.a = a
        if self._sock is None:
            self.start()
        self.mode = mode

    def set_up(self, a=None):
        self.set_mode('up', a)

    def set_down(self):
        self.set_mode('servfail')

    def connection_count(self, since=None):
        with self._lock:
            return len(self.queries)

    def state(self):
        return self.mode if self.mode != 'up' else 'up(%s)' % self.a

    def _loop(self, sock, stop):
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset
        while not stop.is_set():
            try:
                r, _, _ = select.select([sock], [], [], 0.05)
                if not r:
                    continue
                wire, peer = sock.recvfrom(4096)
            except (OSError, ValueError):
                return
            try:
                q = dns.message.from_wire(wire)
            except Exception:  # noqa: BLE001
                continue
            with self._lock:
                self.queries.append((time.monotonic(), q.question[0].name
                                     .to_text() if q.question else ''))
            mode = self.mode
            if mode in ('silent', 'stopped'):
                continue
            resp = dns.message.make_response(q)
            if mode == 'servfail':
                resp.set_rcode(dns.rcode.SERVFAIL)
            elif q.question:
                qq = q.question[0]
                if qq.rdtype == dns.rdatatype.A:
                    resp.answer.append(dns.rrset.from_text(
                        qq.name, 60, 'IN', 'A', self.a))
                elif qq.rdtype == dns.rdatatype.SOA:
                    resp.answer.append(dns.rrset.from_text(
                        qq.name, 60, 'IN', 'SOA',
                        'ns. host. 1 3600 600 86400 300'))
            try:
                sock.sendto(resp.to_wire(), peer)
            except OSError:
                pass


class OriginSet:
    """Several origins sharing one port, addressed by 1-based index or addr."""

    def __init__(self, addrs, port, tls=None, cls=None):
        self.port = port
        cls = cls or Origin
        kw = {'tls': tls} if tls is not None else {}
        self.origins = [cls(a, port, label='origin%d' % (i + 1), **kw)
                        for i, a in enumerate(addrs)]
        self.by_addr = {o.addr: o for o in self.origins}

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.origins[key - 1]
        return self.by_addr[key]

    def start(self):
        for o in self.origins:
            o.start()
        return self

    def stop(self):
        for o in self.origins:
            o.stop()

    def describe(self):
        return ', '.join('%s=%s' % (o.addr, o.state()) for o in self.origins)


def port_free_on(addrs, port):
    """True if TCP port is bindable on every address."""
    socks = []
    try:
        for a in addrs:
            s = socket.socket(_family(a), socket.SOCK_STREAM)
            socks.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if _family(a) == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((a, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port(addrs, udp_too=False, attempts=200):
    """A port that is free (TCP, optionally UDP) on all given addresses."""
    for _ in range(attempts):
        s = socket.socket(_family(addrs[0]), socket.SOCK_STREAM)
        s.bind((addrs[0], 0))
        port = s.getsockname()[1]
        s.close()
        if not port_free_on(addrs, port):
            continue
        if udp_too:
            ok = True
            for a in addrs:
                u = socket.socket(_family(a), socket.SOCK_DGRAM)
                try:
                    u.bind((a, port))
                except OSError:
                    ok = False
                finally:
                    u.close()
            if not ok:
                continue
        return port
    raise RuntimeError('no free port on %s' % (addrs,))


def ipv6_usable():
    """Can we listen on and connect to [::1]?"""
    try:
        srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        srv.bind(('::1', 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        cli = socket.create_connection(('::1', port), timeout=1)
        cli.close()
        srv.close()
        return True
    except OSError:
        return False
