"""pool-policy topology by subnet: EDNS Client Subnet (with its scope in
the answer) or the resolver's address, nested rules, IPv6, failover within
the chosen pool list."""

import dns.edns

from harness import GtmTestCase, O1, O2, O3, check_block, rrsets

O4 = '127.0.0.14'
ECS_ON = '    edns-client-subnet: on\n'

TOPO_DATA = """\
check:
{check}

pool:
  - id: eu
    address: [ {o1} ]
    check: web
  - id: us
    address: [ {o2} ]
    check: web
  - id: lab
    address: [ {o3} ]
    check: web
  - id: def
    address: [ {o4} ]
    check: web

topology:
  - id: europe
    subnet: [ 10.1.0.0/16, 2001:db8:1::/48 ]
    pool: [ eu, us ]
  - id: america
    subnet: [ 10.2.0.0/16, 2001:db8:2::/48 ]
    pool: [ us ]
  - id: lab
    subnet: [ 10.1.5.0/24 ]
    pool: [ lab ]
  - id: loop
    subnet: [ 127.0.0.0/8 ]
    pool: [ eu ]

name:
  - id: geo
    pool: [ def ]
    pool-policy: topology
    topology: [ europe, america, lab ]
    ttl: 30
    ttl-degraded: 5
  - id: geoloop
    pool: [ def ]
    pool-policy: topology
    topology: [ loop ]
    ttl: 30
    ttl-degraded: 5
"""

# ECS source -> (answer of geo A, ECS scope); scopes per topology.h: the
# matched prefix, raised above every more specific subnet the client's
# network overlaps (one more than the bits shared with the client).
GEO_CASES = (
    ('10.2.3.0/24', O2, 16),           # america
    ('10.1.200.0/24', O1, 17),         # europe; lab 10.1.5/24 differs at 17
    ('10.1.4.0/24', O1, 24),           # europe, next to lab: shares 23
    ('10.1.5.0/24', O3, 24),           # nested lab wins over europe
    ('10.1.5.7/32', O3, 24),
    ('10.3.0.0/24', O4, 16),           # no rule; shares 15 with 10.2/16
    ('192.0.2.0/24', O4, 1),           # no rule; shares 0 with 10/8
    ('2001:db8:1:abcd::/64', O1, 48),  # europe (IPv6)
    ('2001:db8:2::/56', O2, 48),       # america (IPv6)
    ('2001:db8:3::/48', O4, 48),       # no rule; shares 47 with :2::/48
)


def ecs_of(msg):
    for opt in msg.options:
        if isinstance(opt, dns.edns.ECSOption):
            return opt
    return None


class TopologyBase(GtmTestCase):

    ecs = True

    def setUp(self):
        super().setUp()
        self.start_origins(addrs=(O1, O2, O3, O4))
        self.start_gtm(TOPO_DATA.format(check=check_block(port=self.oport),
                                        o1=O1, o2=O2, o3=O3, o4=O4),
                       server_extra=ECS_ON if self.ecs else '')

    def answer(self, name, ecs, addr, ttl, scope=None, timeout=0.0):
        """geo-style A query with ECS source `ecs` (None: none): answer
        [addr] with `ttl`, and the ECS option echoed with `scope`."""
        m = self.waitMsg(name, 'A', lambda m: rrsets(m.answer) == [
            (name, 'A', (addr,))], '[%s]' % addr, timeout=timeout, ecs=ecs)
        self.assertEqual(m.rcode(), 0, m)
        self.assertEqual(m.answer[0].ttl, ttl, m)
        opt = ecs_of(m)
        if scope is None:
            self.assertIsNone(opt, 'ECS option in the answer\n%s' % m)
        else:
            self.assertIsNotNone(opt, 'no ECS option in the answer\n%s' % m)
            src, plen = ecs.split('/')
            self.assertEqual((opt.address, opt.srclen), (src, int(plen)), m)
            self.assertEqual(opt.scopelen, scope,
                             'ECS %s: scope %d, expected %d\n%s'
                             % (ecs, opt.scopelen, scope, m))
        return m


class TopologyEcs(TopologyBase):

    def test_subnets_nested_rules_and_scope(self):
        for ecs, addr, scope in GEO_CASES:
            with self.subTest(ecs=ecs):
                self.answer('geo.example.com', ecs, addr, 30, scope)

    def test_resolver_address_without_ecs(self):
        # no ECS: the resolver (127.0.0.1) decides; no ECS in the answer
        self.answer('geoloop.example.com', None, O1, 30)
        self.answer('geo.example.com', None, O4, 30)
        # with ECS the client subnet decides, not the resolver
        self.answer('geoloop.example.com', '10.1.200.0/24', O4, 30, 2)

    def test_failover_within_chosen_list(self):
        o = self.origins
        self.answer('geo.example.com', '10.1.200.0/24', O1, 30, 17)
        o[1].set_down()
        # europe = [eu, us]: us, degraded; america's clients unaffected
        self.answer('geo.example.com', '10.1.200.0/24', O2, 5, 17,
                    timeout=5.0)
        self.answer('geo.example.com', '2001:db8:1::/64', O2, 5, 48)
        self.answer('geo.example.com', '10.2.3.0/24', O2, 30, 16)
        self.answer('geo.example.com', '10.3.0.0/24', O4, 30, 16)
        o[1].set_up()
        self.answer('geo.example.com', '10.1.200.0/24', O1, 30, 17,
                    timeout=5.0)


class TopologyEcsOff(TopologyBase):
    """knotd without edns-client-subnet: ECS is ignored."""

    ecs = False

    def test_ecs_ignored(self):
        self.answer('geo.example.com', '10.2.3.0/24', O4, 30)
        self.answer('geoloop.example.com', '10.2.3.0/24', O1, 30)
