#!/usr/bin/python3
"""Health-check listener for the benchmarks (standard library only).

One epoll loop in one process serves every address given with --bind
(0.0.0.0 accepts for all of 127.0.0.0/8).

  tcp   accept, keep the connection until the peer closes it (a TCP check
        connects and resets), then close it with RST (no TIME_WAIT).
        Closing at once instead would race with the prober, which reads
        SO_ERROR after the connect completes and would see the reset.
  http  read the request up to the blank line, answer
        "HTTP/1.1 200 OK" with Connection: close, close

Bounded: exits after --duration seconds, on SIGTERM/SIGINT, or when its
parent process goes away.  On exit it prints one JSON line with the number of
connections accepted and answered and its own CPU time.

  listener.py --mode http --bind 127.0.0.11 --bind 127.0.0.12 --port 18080
"""

import argparse
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import time

RESPONSE = (b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain'
            b'\r\nConnection: close\r\n\r\nok')
LINGER0 = struct.pack('ii', 1, 0)
MAX_REQUEST = 8192
CONN_LIMIT_S = 5.0         # an unfinished HTTP connection is dropped after this


def write_stats(path, mode, accepted, answered, dropped):
    t = os.times()
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump({'mode': mode, 'accepted': accepted, 'answered': answered,
                   'dropped': dropped, 'cpu_s': round(t.user + t.system, 3),
                   'time': time.monotonic()}, f)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mode', choices=('tcp', 'http'), default='http')
    ap.add_argument('--bind', action='append', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--duration', type=float, default=3600.0,
                    help='exit after this many seconds (default 3600)')
    ap.add_argument('--backlog', type=int, default=4096)
    ap.add_argument('--ready-file', help='written once listening')
    ap.add_argument('--stats-file',
                    help='rewritten every second with the running counts')
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    parent = os.getppid()

    ep = select.epoll()
    listeners = {}
    for addr in args.bind:
        fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, args.port))
        s.listen(args.backlog)
        s.setblocking(False)
        ep.register(s.fileno(), select.EPOLLIN)
        listeners[s.fileno()] = s
    if args.ready_file:
        with open(args.ready_file, 'w') as f:
            f.write('%d\n' % os.getpid())

    conns = {}                 # fd -> [socket, buffer, start time]
    accepted = answered = dropped = 0
    deadline = time.monotonic() + args.duration
    last_check = time.monotonic()
    http = args.mode == 'http'

    while not stop:
        now = time.monotonic()
        if now >= deadline:
            break
        if now - last_check >= 1.0:
            last_check = now
            if os.getppid() != parent:
                break
            if args.stats_file:
                write_stats(args.stats_file, args.mode, accepted, answered,
                            dropped)
            for fd in [fd for fd, c in conns.items()
                       if now - c[2] > CONN_LIMIT_S]:
                c = conns.pop(fd)
                c[0].close()
                dropped += 1
        try:
            events = ep.poll(0.5, 1024)
        except InterruptedError:
            continue
        for fd, ev in events:
            ls = listeners.get(fd)
            if ls is not None:
                for _ in range(1024):
                    try:
                        c, _a = ls.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        if e.errno in (errno.EMFILE, errno.ENFILE,
                                       errno.ECONNABORTED):
                            break
                        raise
                    accepted += 1
                    c.setblocking(False)
                    if not http:
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     LINGER0)
                    conns[c.fileno()] = [c, b'', time.monotonic()]
                    ep.register(c.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
                continue
            entry = conns.get(fd)
            if entry is None:
                continue
            c = entry[0]
            try:
                data = c.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b''
            if data and not http:
                continue    # a TCP check sends nothing; wait for its close
            if data:
                entry[1] += data
                if b'\r\n\r\n' not in entry[1] and len(entry[1]) < MAX_REQUEST:
                    continue
                try:
                    c.send(RESPONSE)
                    answered += 1
                except OSError:
                    pass
            del conns[fd]
            c.close()   # closing unregisters it from epoll

    if args.stats_file:
        write_stats(args.stats_file, args.mode, accepted, answered, dropped)
    for c in conns.values():
        c[0].close()
    for s in listeners.values():
        s.close()
    t = os.times()
    print(json.dumps({'mode': args.mode, 'accepted': accepted,
                      'answered': answered, 'dropped': dropped,
                      'cpu_s': round(t.user + t.system, 3)}))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
