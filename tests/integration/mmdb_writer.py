#!/usr/bin/python3
"""Minimal MaxMind DB (format 2.0) writer for the GeoIP tests.

Writes what a GeoLite2-Country database looks like to libmaxminddb: an
IPv6 search tree (ip_version 6) with 24-bit records, IPv4 networks at
::a.b.c.d/(96+n), ::ffff:0:0/96 aliased to the IPv4 subtree, a data section
of maps/strings/unsigned integers, and the metadata map after the
"\\xAB\\xCD\\xEFMaxMind.com" marker.  Standard library only.

    from mmdb_writer import write_mmdb, country_record
    write_mmdb(path, [('192.0.2.0/24', country_record('DE', 'EU')), ...])

Command line (for manual checks with mmdblookup):

    mmdb_writer.py OUT.mmdb 192.0.2.0/24=DE/EU 2001:db8::/32=JP/AS ...

(CIDR=COUNTRY/CONTINENT[/REGISTERED_COUNTRY], empty parts left out;
SOURCE_DATE_EPOCH, when set, is the build epoch.)
"""

import ipaddress
import os
import struct
import sys
import time

METADATA_MARKER = b'\xab\xcd\xefMaxMind.com'
RECORD_SIZE = 24

# data section type numbers
T_POINTER, T_STRING, T_DOUBLE, T_BYTES, T_UINT16, T_UINT32, T_MAP = range(1, 8)
T_INT32, T_UINT64, T_UINT128, T_ARRAY = 8, 9, 10, 11
T_BOOL = 14


def country_record(country, continent=None, registered=None):
    """GeoLite2-Country shaped record: country.iso_code, continent.code
    (and registered_country.iso_code when given)."""
    rec = {}
    if continent:
        rec['continent'] = {'code': continent}
    if country:
        rec['country'] = {'iso_code': country}
    if registered:
        rec['registered_country'] = {'iso_code': registered}
    return rec


# -- data section encoding ---------------------------------------------------

def _control(type_, size):
    """Control byte(s) for a field of type_ with payload size."""
    if type_ <= 7:
        first = type_ << 5
        ext = b''
    else:
        first = 0
        ext = bytes([type_ - 7])
    if size < 29:
        return bytes([first | size]) + ext
    if size < 29 + 256:
        return bytes([first | 29]) + ext + bytes([size - 29])
    if size < 285 + 65536:
        return bytes([first | 30]) + ext + struct.pack('>H', size - 285)
    if size < 65821 + (1 << 24):
        return (bytes([first | 31]) + ext
                + struct.pack('>I', size - 65821)[1:])
    raise ValueError('field too large: %d bytes' % size)


def _uint(type_, value, width):
    if value < 0 or value >= 1 << (8 * width):
        raise ValueError('%d does not fit %d bytes' % (value, width))
    payload = value.to_bytes(width, 'big').lstrip(b'\0')
    return _control(type_, len(payload)) + payload


class Uint16(int):
    pass


class Uint32(int):
    pass


class Uint64(int):
    pass


def encode(value):
    """Encode a Python value: dict -> map, str -> utf8_string, bool ->
    boolean, list -> array, bytes -> bytes, int -> uint32 (Uint16/Uint64
    wrappers choose the width)."""
    if isinstance(value, dict):
        out = _control(T_MAP, len(value))
        for k, v in value.items():
            out += encode(str(k)) + encode(v)
        return out
    if isinstance(value, str):
        raw = value.encode('utf-8')
        return _control(T_STRING, len(raw)) + raw
    if isinstance(value, bool):
        return _control(T_BOOL, int(value))
    if isinstance(value, (list, tuple)):
        out = _control(T_ARRAY, len(value))
        for v in value:
            out += encode(v)
        return out
    if isinstance(value, bytes):
        return _control(T_BYTES, len(value)) + value
    if isinstance(value, Uint16):
        return _uint(T_UINT16, value, 2)
    if isinstance(value, Uint64):
        return _uint(T_UINT64, value, 8)
    if isinstance(value, int):
        return _uint(T_UINT32, value, 4)
    raise TypeError('cannot encode %r' % (value,))


# -- search tree ----------------------------------------------------------------

class _Data:
    """A record pointing at data (index into the data list)."""

    def __init__(self, index):
        self.index = index


def _network_bits(cidr):
    """(128-bit int, prefix) of a network in the IPv6 tree."""
    net = ipaddress.ip_network(cidr, strict=True)
    if net.version == 4:
        return int(net.network_address), 96 + net.prefixlen
    return int(net.network_address), net.prefixlen


class _Tree:
    """Binary trie over 128 bits; node = [left, right], a record is None
    (empty), a _Data, or another node (list)."""

    def __init__(self):
        self.root = [None, None]

    def insert(self, value, prefix, data):
        if prefix == 0:
            raise ValueError('a /0 network is not supported')
        node = self.root
        for depth in range(prefix):
            bit = (value >> (127 - depth)) & 1
            if depth == prefix - 1:
                node[bit] = data
                return
            child = node[bit]
            if not isinstance(child, list):
                # empty or a shorter network: split it
                child = [child, child]
                node[bit] = child
            node = child

    def walk(self, value, depth):
        """The node at depth along value, or None."""
        node = self.root
        for d in range(depth):
            child = node[(value >> (127 - d)) & 1]
            if not isinstance(child, list):
                return None
            node = child
        return node

    def alias(self, value, depth, target):
        """Make the record at (value, depth) point at node target."""
        node = self.root
        for d in range(depth - 1):
            bit = (value >> (127 - d)) & 1
            if not isinstance(node[bit], list):
                node[bit] = [node[bit], node[bit]]
            node = node[bit]
        node[(value >> (128 - depth)) & 1] = target

    def number(self):
        """Nodes in breadth-first order (root 0), shared nodes once."""
        order, ids = [], {}
        queue = [self.root]
        while queue:
            nxt = []
            for n in queue:
                if id(n) in ids:
                    continue
                ids[id(n)] = len(order)
                order.append(n)
                for c in n:
                    if isinstance(c, list):
                        nxt.append(c)
            queue = nxt
        return order, ids


def build(entries, description='knot-gtm test database',
          database_type='GeoLite2-Country', build_epoch=None):
    """Return the bytes of a MaxMind DB for [(cidr, record dict), ...].
    More specific networks override less specific ones, whatever the order
    of the entries."""
    datas, data_index = [], {}
    nets = []
    for cidr, record in entries:
        key = encode(record)
        if key not in data_index:
            data_index[key] = len(datas)
            datas.append(key)
        value, prefix = _network_bits(cidr)
        nets.append((prefix, value, data_index[key]))

    tree = _Tree()
    for prefix, value, di in sorted(nets, key=lambda n: n[0]):
        tree.insert(value, prefix, _Data(di))
    ipv4 = tree.walk(0, 96)
    if ipv4 is not None:
        # ::ffff:0:0/96 (IPv4-mapped) leads to the IPv4 subtree too
        tree.alias(0xffff << 32, 96, ipv4)

    nodes, ids = tree.number()
    node_count = len(nodes)

    offsets, data = [], b''
    for d in datas:
        offsets.append(len(data))
        data += d

    def record(r):
        if r is None:
            v = node_count
        elif isinstance(r, _Data):
            v = node_count + 16 + offsets[r.index]
        else:
            v = ids[id(r)]
        if v >= 1 << RECORD_SIZE:
            raise ValueError('database too large for 24-bit records')
        return v.to_bytes(3, 'big')

    tree_bytes = b''.join(record(n[0]) + record(n[1]) for n in nodes)

    metadata = {
        'binary_format_major_version': Uint16(2),
        'binary_format_minor_version': Uint16(0),
        'build_epoch': Uint64(int(time.time()) if build_epoch is None
                              else build_epoch),
        'database_type': database_type,
        'description': {'en': description},
        'ip_version': Uint16(6),
        'languages': ['en'],
        'node_count': Uint32(node_count),
        'record_size': Uint16(RECORD_SIZE),
    }
    return (tree_bytes + b'\0' * 16 + data + METADATA_MARKER
            + encode(metadata))


def write_mmdb(path, entries, **kw):
    """Write a MaxMind DB for [(cidr, record dict), ...] to path."""
    blob = build(entries, **kw)
    with open(path, 'wb') as f:
        f.write(blob)
    return path


def _parse_arg(arg):
    """'CIDR=CC/CONT[/REG]' -> (cidr, record)."""
    cidr, _, geo = arg.partition('=')
    parts = (geo.split('/') + ['', ''])[:3]
    return cidr, country_record(*[p or None for p in parts])


def main(argv):
    if len(argv) < 2:
        print('usage: mmdb_writer.py OUT.mmdb CIDR=CC/CONT[/REG] ...',
              file=sys.stderr)
        return 2
    epoch = os.environ.get('SOURCE_DATE_EPOCH')
    write_mmdb(argv[1], [_parse_arg(a) for a in argv[2:]],
               build_epoch=int(epoch) if epoch else None)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
