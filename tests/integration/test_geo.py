"""pool-policy topology by GeoIP: country and continent rules looked up in
a MaxMind DB (written by mmdb_writer.py) for the ECS subnet or the
resolver's address, with the ECS scope of the answer; conf-check of the
geodb-file option; the writer itself checked with libmaxminddb's
mmdblookup."""

import ipaddress
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import dns.edns

from harness import GtmTestCase, rrsets
from mmdb_writer import country_record, write_mmdb

ECS_ON = '    edns-client-subnet: on\n'

DE, US, EU, ASIA, LAN, WORLD = ('127.0.1.1', '127.0.1.2', '127.0.1.3',
                                '127.0.1.4', '127.0.1.5', '127.0.1.9')

# Pools without checks: always up, never probed.
GEO_DATA = """\
pool:
  - id: de
    address: [ {de} ]
  - id: us
    address: [ {us} ]
  - id: eu
    address: [ {eu} ]
  - id: asia
    address: [ {asia} ]
  - id: lan
    address: [ {lan} ]
  - id: world
    address: [ {world} ]

topology:
  - id: lan
    subnet: [ 10.20.0.0/16 ]
    pool: [ lan ]
  - id: germany
    country: [ de ]
    pool: [ de ]
  - id: america
    country: [ US, ca ]
    pool: [ us ]
  - id: europe
    continent: [ EU ]
    pool: [ eu ]
  - id: asia
    continent: [ as ]
    pool: [ asia ]

name:
  - id: gtm
    pool: [ world ]
    pool-policy: topology
    topology: [ lan, germany, america, europe, asia ]
    ttl: 30
""".format(de=DE, us=US, eu=EU, asia=ASIA, lan=LAN, world=WORLD)

# Only subnet rules: needs no GeoIP database.
SUBNET_DATA = """\
pool:
  - id: lan
    address: [ {lan} ]
  - id: world
    address: [ {world} ]

topology:
  - id: lan
    subnet: [ 10.20.0.0/16 ]
    pool: [ lan ]

name:
  - id: gtm
    pool: [ world ]
    pool-policy: topology
    topology: [ lan ]
    ttl: 30
""".format(lan=LAN, world=WORLD)

GEO_DB = [
    ('192.0.2.0/24', country_record('DE', 'EU')),
    ('10.0.0.0/8', country_record('DE', 'EU')),
    ('198.51.100.0/24', country_record('US', 'NA')),
    ('172.16.0.0/12', country_record(None, 'NA', registered='US')),
    ('203.0.113.0/24', country_record('JP', 'AS')),
    ('100.64.0.0/16', country_record('FR', 'EU')),
    ('2001:db8:100::/48', country_record('JP', 'AS')),
    ('2001:db8:200::/40', country_record('CA', 'NA')),
]

# ECS source -> (answer, ECS scope).  Scope per topology.h: the GeoIP
# network of the client for a country/continent answer (or for "not in the
# database"), raised where a subnet rule is nearer (one more than the bits
# the client shares with it; lan is 10.20.0.0/16).
GEO_CASES = (
    ('192.0.2.0/24', DE, 24),          # DE: germany
    ('198.51.100.0/24', US, 24),       # US: america
    ('172.16.5.0/24', US, 12),         # registered_country US: america
    ('203.0.113.0/24', ASIA, 24),      # JP not listed, continent AS
    ('100.64.7.0/24', EU, 16),         # FR not listed, continent EU
    ('10.20.30.0/24', LAN, 16),        # subnet rule wins over DE (10/8)
    ('10.99.0.0/24', DE, 10),          # DE of 10/8; 10.99 shares 9 bits
                                       # with 10.20/16
    ('198.18.0.0/24', WORLD, 11),      # not in the db: the empty network
                                       # (shares 10 bits with 198.51.100/24)
    ('2001:db8:100:ab00::/56', ASIA, 48),  # IPv6 JP, continent AS
    ('2001:db8:200::/48', US, 40),     # IPv6 CA: america
    ('2001:db8:ff00::/40', WORLD, 33),  # IPv6 not in the db
)


def ecs_option(msg):
    for opt in msg.options:
        if isinstance(opt, dns.edns.ECSOption):
            return opt
    return None


class GeoBase(GtmTestCase):

    ecs = True

    def start_geo(self, data=GEO_DATA, geodb=True, start=True):
        """knotd with mod-gtm; geodb: True (the test db), a path, or None
        (no geodb-file option)."""
        k = self.new_knot()
        cfg = k.write('gtm.conf', data)
        if geodb is True:
            geodb = write_mmdb(k.path('geo.mmdb'), GEO_DB)
            k._own(geodb)
        k.configure(instances={'default': {'config-file': cfg,
                                           'geodb-file': geodb}},
                    server_extra=ECS_ON if self.ecs else '')
        self.knot = k
        if start:
            k.start()
        return k

    def answer(self, ecs, addr, scope=None, name='gtm.example.com'):
        """A query with ECS source `ecs` (None: none): answer [addr], TTL
        30, and the ECS option echoed with `scope` (None: no option)."""
        m = self.waitMsg(name, 'A', lambda m: rrsets(m.answer) == [
            (name, 'A', (addr,))], '[%s]' % addr, timeout=0.0, ecs=ecs)
        self.assertEqual(m.rcode(), 0, m)
        self.assertEqual(m.answer[0].ttl, 30, m)
        opt = ecs_option(m)
        if scope is None:
            self.assertIsNone(opt, 'ECS option in the answer\n%s' % m)
            return m
        self.assertIsNotNone(opt, 'no ECS option in the answer\n%s' % m)
        src, plen = ecs.split('/')
        self.assertEqual((opt.address, opt.srclen), (src, int(plen)), m)
        self.assertEqual(opt.scopelen, scope, 'ECS %s: scope %d, expected %d'
                         '\n%s' % (ecs, opt.scopelen, scope, m))
        return m


class GeoEcs(GeoBase):

    def setUp(self):
        super().setUp()
        self.start_geo()

    def test_country_continent_and_scope(self):
        for ecs, addr, scope in GEO_CASES:
            with self.subTest(ecs=ecs):
                self.answer(ecs, addr, scope)

    def test_resolver_address_without_ecs(self):
        # 127.0.0.1 is not in the database: the name's own list, no ECS
        self.answer(None, WORLD)
        # the client subnet decides when there is one
        self.answer('192.0.2.0/24', DE, 24)
        self.answer(None, WORLD)


class GeoEcsOff(GeoBase):
    """knotd without edns-client-subnet: the resolver's address decides."""

    ecs = False

    def test_ecs_ignored(self):
        self.start_geo()
        self.answer('192.0.2.0/24', WORLD)
        self.answer('10.20.30.0/24', WORLD)


class GeoResolverAddress(GeoBase):
    """The resolver's own address is looked up when there is no ECS."""

    def test_resolver_in_database(self):
        db = [('127.0.0.0/8', country_record('JP', 'AS'))] + GEO_DB
        k = self.new_knot()
        cfg = k.write('gtm.conf', GEO_DATA)
        path = write_mmdb(k.path('geo.mmdb'), db)
        k._own(path)
        k.configure(instances={'default': {'config-file': cfg,
                                           'geodb-file': path}},
                    server_extra=ECS_ON)
        self.knot = k
        k.start()
        self.answer(None, ASIA)
        self.answer('198.51.100.0/24', US, 24)


class GeoConfCheck(GeoBase):

    def geo_line(self):
        lines = GEO_DATA.splitlines()
        return lines.index('    country: [ de ]') + 1

    def test_country_needs_geodb_file(self):
        k = self.start_geo(geodb=None, start=False)
        r = k.knotc('conf-check')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('gtm.conf:%d: topology[germany].country:'
                      % self.geo_line(), r.stdout)
        self.assertIn('geodb-file', r.stdout)

    def test_unreadable_geodb_file(self):
        missing = os.path.join(self.tmp, 'missing.mmdb')
        k = self.start_geo(geodb=missing, start=False)
        r = k.knotc('conf-check')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("cannot open '%s'" % missing, r.stdout)

    def test_not_a_maxmind_db(self):
        bogus = os.path.join(self.tmp, 'bogus.mmdb')
        with open(bogus, 'w') as f:
            f.write('not a MaxMind database\n' * 10)
        k = self.start_geo(geodb=bogus, start=False)
        r = k.knotc('conf-check')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("cannot open '%s'" % bogus, r.stdout)

    def test_accepted(self):
        r = self.start_geo(start=False).knotc('conf-check')
        self.assertEqual(r.returncode, 0, r.stdout)
        # subnet rules alone need no database
        k = self.start_geo(data=SUBNET_DATA, geodb=None, start=False)
        r = k.knotc('conf-check')
        self.assertEqual(r.returncode, 0, r.stdout)


# -- the writer, checked with libmaxminddb's own reader ----------------------

class MmdbWriter(unittest.TestCase):
    """mmdb_writer.py against mmdblookup (Debian mmdb-bin)."""

    def setUp(self):
        self.lookup = shutil.which('mmdblookup')
        if not self.lookup:
            self.skipTest('mmdblookup not installed (Debian mmdb-bin; '
                          'scripts/deps.sh installs it)')
        self.tmp = tempfile.mkdtemp(prefix='gtm-mmdb-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = write_mmdb(os.path.join(self.tmp, 'geo.mmdb'), GEO_DB,
                             build_epoch=1767225600)

    def mmdb(self, ip, *path):
        r = subprocess.run([self.lookup, '--file', self.db, '--ip', ip,
                            '--verbose'] + list(path),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=10)
        m = re.search(r'Record prefix length: (\d+)', r.stdout)
        strings = re.findall(r'"([^"]*)" <utf8_string>', r.stdout)
        return r.returncode, int(m.group(1)) if m else None, strings, r.stdout

    def test_metadata(self):
        rc, _, _, out = self.mmdb('192.0.2.1')
        self.assertEqual(rc, 0, out)
        self.assertIn('IP version:    IPv6', out)
        self.assertIn('Record size:   24 bits', out)
        self.assertIn('Binary format: 2.0', out)
        self.assertIn('Type:          GeoLite2-Country', out)
        self.assertIn('Build epoch:   1767225600', out)

    def test_every_network(self):
        for cidr, rec in GEO_DB:
            net = ipaddress.ip_network(cidr)
            tree_prefix = net.prefixlen + (96 if net.version == 4 else 0)
            for ip in (net[0], net[net.num_addresses // 2], net[-1]):
                with self.subTest(ip=str(ip)):
                    rc, plen, _, out = self.mmdb(str(ip))
                    self.assertEqual((rc, plen), (0, tree_prefix), out)
                    for key, sub in rec.items():
                        code = list(sub.values())[0]
                        field = list(sub.keys())[0]
                        rc, _, strings, out = self.mmdb(str(ip), key, field)
                        self.assertEqual((rc, strings), (0, [code]), out)

    def test_ipv4_mapped_alias(self):
        rc, plen, strings, out = self.mmdb('::ffff:198.51.100.7', 'country',
                                           'iso_code')
        self.assertEqual((rc, plen, strings), (0, 120, ['US']), out)

    def test_not_found(self):
        for ip, plen in (('198.18.0.1', 96 + 11), ('127.0.0.1', 96 + 4),
                         ('2001:db8:ff00::1', 33)):
            with self.subTest(ip=ip):
                rc, got, _, out = self.mmdb(ip)
                self.assertIn('Could not find an entry', out)
                self.assertEqual(got, plen, out)

    def test_more_specific_inside_less_specific(self):
        db = write_mmdb(os.path.join(self.tmp, 'nested.mmdb'), [
            ('192.0.2.128/25', country_record('FR', 'EU')),
            ('192.0.2.0/24', country_record('DE', 'EU'))])
        self.db = db
        for ip, cc, plen in (('192.0.2.1', 'DE', 121),
                             ('192.0.2.129', 'FR', 121)):
            rc, got, strings, out = self.mmdb(ip, 'country', 'iso_code')
            self.assertEqual((rc, got, strings), (0, plen, [cc]), out)


if __name__ == '__main__':
    unittest.main()
