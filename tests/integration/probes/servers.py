"""Origins for the probe integration tests (test_probes.py).

  ScriptedOrigin  TCP (optionally TLS) server on (addr, port) running a
                  handler per connection: normal, body and hostile origins
  DnsOrigin       UDP + TCP DNS server built on dnspython
  Pki             test CA and server certificates made with openssl at test
                  time in a private temporary directory (keys never leave it)

Every loop is bounded in count and time; servers are threads of this
process, stopped by closing their sockets.  Standard library + dnspython
(and helpers of tests/integration/origins.py).
"""

import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from origins import close_quietly, serve_setup  # tests/integration on sys.path

# Longest any connection handler runs (seconds).
HANDLER_LIMIT = 30.0
# Most bytes an endless origin sends on one connection.
ENDLESS_MAX = 256 * 1024 * 1024


def _family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def read_request(conn, limit=16384):
    """Read an HTTP request head; return it (bytes, maybe partial)."""
    data = b''
    while b'\r\n\r\n' not in data and len(data) < limit:
        try:
            chunk = conn.recv(4096)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data


def hold(conn, seconds=HANDLER_LIMIT):
    """Wait until the client goes away (or the time is up)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            r, _, _ = select.select([conn], [], [], 0.2)
            if r and not conn.recv(4096):
                return
        except (OSError, ValueError):
            return


class ScriptedOrigin:
    """Accepts connections on (addr, port); handler(origin, conn) each."""

    def __init__(self, addr, port, handler, tls=None):
        self.addr = addr
        self.port = port
        self.handler = handler
        self.tls = tls                  # ssl.SSLContext or None
        self.requests = []              # raw request heads
        self.connections = 0
        self.lock = threading.Lock()
        self._sock = None
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        s = socket.socket(_family(self.addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.addr, self.port))
        s.listen(64)
        s.setblocking(False)
        self._sock = s
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name='origin-%s' % self.addr)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self._sock:
            self._sock.close()
            self._sock = None

    def record(self, head):
        with self.lock:
            self.requests.append(head)

    def _loop(self):
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self._sock], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not r:
                continue
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        try:
            conn = serve_setup(conn, 5.0, self.tls)
            self.handler(self, conn)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            close_quietly(conn)


# -- handlers ------------------------------------------------------------------

def respond(status=200, body=b'', headers=(), chunks=None):
    """Handler: read the request, answer, close."""
    def handler(origin, conn):
        origin.record(read_request(conn))
        head = 'HTTP/1.1 %d X\r\nConnection: close\r\n' % status
        for h in headers:
            head += h + '\r\n'
        if chunks is not None:
            head += 'Transfer-Encoding: chunked\r\n\r\n'
            payload = b''.join(b'%x\r\n%s\r\n' % (len(c), c) for c in chunks)
            payload += b'0\r\n\r\n'
        else:
            head += 'Content-Length: %d\r\n\r\n' % len(body)
            payload = body
        conn.sendall(head.encode() + payload)
    return handler


def endless_body(origin, conn):
    """200, then 'A' bytes until the client stops reading."""
    origin.record(read_request(conn))
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n')
    chunk = b'A' * 65536
    sent, end = 0, time.monotonic() + HANDLER_LIMIT
    while sent < ENDLESS_MAX and time.monotonic() < end:
        conn.sendall(chunk)
        sent += len(chunk)


def drip(origin, conn):
    """A status line, one byte per second."""
    origin.record(read_request(conn))
    for b in b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok':
        conn.sendall(bytes([b]))
        time.sleep(1.0)


def garbage(origin, conn):
    """Junk instead of HTTP (or TLS), then close."""
    try:
        conn.recv(4096)
    except OSError:
        pass
    conn.sendall(b'SSH-2.0-OpenSSH_9.2p1\r\n' + bytes(range(256)) * 16)


def silent(origin, conn):
    """Accept, read whatever comes, never answer."""
    hold(conn)


def reset_mid_response(origin, conn):
    """Half a response, then RST."""
    origin.record(read_request(conn))
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial')
    time.sleep(0.05)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack('ii', 1, 0))


def half_close(origin, conn):
    """Part of a status line, then FIN; the client's side stays open."""
    origin.record(read_request(conn))
    conn.sendall(b'HTTP/1.1 2')
    conn.shutdown(socket.SHUT_WR)
    hold(conn)


# -- DNS -------------------------------------------------------------------------

class DnsOrigin:
    """DNS server on (addr, port), UDP and TCP.

    modes: answer (A 192.0.2.1 for A queries), servfail, truncate (TC over
    UDP, the answer over TCP), silent, garbage.
    """

    ANSWER_A = '192.0.2.1'

    def __init__(self, addr, port, mode='answer'):
        self.addr = addr
        self.port = port
        self.mode = mode
        self.udp_queries = 0
        self.tcp_queries = 0
        self._stop = threading.Event()
        self._udp = self._tcp = None
        self._threads = []

    def start(self):
        fam = _family(self.addr)
        self._udp = socket.socket(fam, socket.SOCK_DGRAM)
        self._udp.bind((self.addr, self.port))
        self._tcp = socket.socket(fam, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._tcp.bind((self.addr, self.port))
        self._tcp.listen(16)
        for target in (self._udp_loop, self._tcp_loop):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)
        for s in (self._udp, self._tcp):
            if s:
                s.close()

    def response(self, wire, tcp):
        q = dns.message.from_wire(wire)
        r = dns.message.make_response(q)
        if self.mode == 'servfail':
            r.set_rcode(dns.rcode.SERVFAIL)
        elif self.mode == 'truncate' and not tcp:
            r.flags |= dns.flags.TC
        elif q.question and q.question[0].rdtype == dns.rdatatype.A:
            r.answer.append(dns.rrset.from_text(q.question[0].name, 300,
                                                'IN', 'A', self.ANSWER_A))
        return r.to_wire()

    def _udp_loop(self):
        while not self._stop.is_set():
            r, _, _ = select.select([self._udp], [], [], 0.05)
            if not r:
                continue
            try:
                wire, peer = self._udp.recvfrom(4096)
            except OSError:
                continue
            self.udp_queries += 1
            if self.mode == 'silent':
                continue
            try:
                out = (b'\x13\x37garbage!' if self.mode == 'garbage'
                       else self.response(wire, False))
                self._udp.sendto(out, peer)
            except Exception:  # malformed query: ignore
                pass

    def _tcp_loop(self):
        while not self._stop.is_set():
            r, _, _ = select.select([self._tcp], [], [], 0.05)
            if not r:
                continue
            try:
                conn, _ = self._tcp.accept()
            except OSError:
                continue
            try:
                conn.settimeout(2.0)
                head = conn.recv(2)
                if len(head) == 2:
                    wire = conn.recv(struct.unpack('!H', head)[0])
                    self.tcp_queries += 1
                    out = self.response(wire, True)
                    conn.sendall(struct.pack('!H', len(out)) + out)
            except Exception:
                pass
            finally:
                conn.close()


# -- certificates -------------------------------------------------------------------

class Pki:
    """A test CA and server certificates, made with openssl.

    Private keys are generated here for the tests only, in a temporary
    directory that cleanup() removes.
    """

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='gtm-pki-')
        os.chmod(self.dir, 0o755)
        self.ca = self._ca('ca', 'knot-gtm test CA')
        self.other_ca = self._ca('other', 'knot-gtm unknown CA')
        self.ca_file = self.ca[0]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, *args):
        subprocess.run(('openssl',) + args, check=True, cwd=self.dir,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)

    def _ca(self, name, cn):
        cert, key = self.path(name + '.pem'), self.path(name + '.key')
        self._run('req', '-x509', '-newkey', 'ec', '-pkeyopt',
                  'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
                  '-subj', '/CN=' + cn, '-days', '3', '-out', cert)
        os.chmod(cert, 0o644)
        with open(self.path(name + '.index'), 'w'):
            pass
        with open(self.path(name + '.serial'), 'w') as f:
            f.write('1000\n')
        with open(self.path(name + '.cnf'), 'w') as f:
            f.write('[ca]\ndefault_ca = c\n[c]\n'
                    'database = {d}/{n}.index\nnew_certs_dir = {d}\n'
                    'serial = {d}/{n}.serial\ndefault_md = sha256\n'
                    'policy = p\ncopy_extensions = copy\nunique_subject = no\n'
                    '[p]\ncommonName = supplied\n'.format(d=self.dir, n=name))
        return cert, key

    def server(self, name, dns_names=(), ips=(), start=None, end=None,
               issuer='ca'):
        """Server certificate + key; start/end as YYYYMMDDHHMMSSZ."""
        key, csr = self.path(name + '.key'), self.path(name + '.csr')
        cert = self.path(name + '.pem')
        san = ','.join(['DNS:' + d for d in dns_names] +
                       ['IP:' + i for i in ips])
        cn = dns_names[0] if dns_names else name
        self._run('req', '-new', '-newkey', 'ec', '-pkeyopt',
                  'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
                  '-subj', '/CN=' + cn, '-addext', 'subjectAltName=' + san,
                  '-out', csr)
        ca_cert, ca_key = self.ca if issuer == 'ca' else self.other_ca
        dates = (['-startdate', start, '-enddate', end] if start
                 else ['-days', '2'])
        self._run('ca', '-batch', '-notext', '-config',
                  self.path(issuer + '.cnf'), '-cert', ca_cert, '-keyfile',
                  ca_key, '-in', csr, '-out', cert, *dates)
        return cert, key

    def context(self, cert_key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*cert_key)
        return ctx
