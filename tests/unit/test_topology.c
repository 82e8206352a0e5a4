/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <libknot/errcode.h>

#include "geo.h"
#include "topology.h"

#define GEO_DB	GTM_TEST_DATA "/geo/test.mmdb"

/* -- building rules ---------------------------------------------------------- */

#define MAX_RULES	8

/* A name with up to MAX_RULES rules, built from strings. */
typedef struct {
	gtm_topo_t topos[MAX_RULES];
	const gtm_topo_t *refs[MAX_RULES];
	gtm_name_t name;
} rules_t;

/* Parses "ADDR/PREFIX" into a subnet. */
static gtm_subnet_t subnet(const char *cidr)
{
	gtm_subnet_t s = { 0 };
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", cidr);
	char *slash = strchr(buf, '/');
	assert_non_null(slash);
	*slash = '\0';
	s.prefix = (uint8_t)atoi(slash + 1);
	struct sockaddr_in *in = (struct sockaddr_in *)&s.addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s.addr;
	if (inet_pton(AF_INET, buf, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, buf, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return s;
}

/* Adds a rule: subnets "A/P A/P", countries "DE FR", continents "EU". */
static void rule_add(rules_t *r, const char *subnets, const char *countries,
                     const char *continents)
{
	size_t i = r->name.topo_count;
	assert_true(i < MAX_RULES);
	gtm_topo_t *t = &r->topos[i];
	memset(t, 0, sizeof(*t));
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", subnets ? subnets : "");
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		t->subnets = realloc(t->subnets, (t->subnet_count + 1) * sizeof(*t->subnets));
		assert_non_null(t->subnets);
		t->subnets[t->subnet_count++] = subnet(tok);
	}
	const char *lists[2] = { countries, continents };
	char (**codes[2])[3] = { &t->countries, &t->continents };
	size_t *counts[2] = { &t->country_count, &t->continent_count };
	for (int l = 0; l < 2; l++) {
		for (const char *p = lists[l]; p != NULL && *p != '\0'; p += 2) {
			while (*p == ' ') {
				p++;
			}
			*codes[l] = realloc(*codes[l], (*counts[l] + 1) * 3);
			assert_non_null(*codes[l]);
			memcpy((*codes[l])[*counts[l]], p, 2);
			(*codes[l])[(*counts[l])++][2] = '\0';
		}
	}
	r->refs[i] = t;
	r->name.topos = r->refs;
	r->name.topo_count = i + 1;
}

static void rules_free(rules_t *r)
{
	for (size_t i = 0; i < r->name.topo_count; i++) {
		free(r->topos[i].subnets);
		free(r->topos[i].countries);
		free(r->topos[i].continents);
	}
	memset(r, 0, sizeof(*r));
}

static gtm_topo_map_t *build(rules_t *r)
{
	gtm_topo_map_t *map = NULL;
	assert_int_equal(gtm_topo_map_build(&r->name, &map), KNOT_EOK);
	assert_non_null(map);
	return map;
}

/* Client "ADDR/PREFIX" (or "ADDR": full length), no geo data. */
static gtm_client_t client(const char *cidr)
{
	gtm_client_t c = { 0 };
	gtm_subnet_t s;
	if (strchr(cidr, '/') != NULL) {
		s = subnet(cidr);
	} else {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s/%d", cidr,
		         strchr(cidr, ':') != NULL ? 128 : 32);
		s = subnet(buf);
	}
	c.family = s.addr.ss_family;
	c.prefix = s.prefix;
	if (c.family == AF_INET) {
		memcpy(c.addr, &((struct sockaddr_in *)&s.addr)->sin_addr, 4);
	} else {
		memcpy(c.addr, &((struct sockaddr_in6 *)&s.addr)->sin6_addr, 16);
	}
	return c;
}

static gtm_client_t geo_client(const char *addr, const char *country,
                               const char *continent, uint8_t geo_prefix)
{
	gtm_client_t c = client(addr);
	c.has_geo = country != NULL || continent != NULL;
	snprintf(c.country, sizeof(c.country), "%s", country ? country : "");
	snprintf(c.continent, sizeof(c.continent), "%s", continent ? continent : "");
	c.geo_prefix = geo_prefix;
	return c;
}

/* Asserts the rule and scope for a client. */
#define assert_match(map, cl, rule, sc) do { \
	gtm_client_t c_ = (cl); \
	uint8_t scope_ = 0xff; \
	assert_int_equal(gtm_topo_match((map), &c_, &scope_), (rule)); \
	assert_int_equal(scope_, (sc)); \
} while (0)

/* -- subnet matching ------------------------------------------------------------ */

static void test_null_map_and_no_rules(void **state)
{
	(void)state;
	assert_match(NULL, client("10.1.2.3"), -1, 0);
	assert_match(NULL, client("2001:db8::1"), -1, 0);

	rules_t r = { 0 };
	gtm_topo_map_t *map = build(&r);
	assert_match(map, client("10.1.2.3"), -1, 0);
	assert_match(map, client("10.1.0.0/16"), -1, 0);
	assert_match(map, geo_client("10.1.2.3", "DE", "EU", 24), -1, 0);
	gtm_topo_map_free(map);
	gtm_topo_map_free(NULL);

	gtm_client_t bad = client("10.1.2.3");
	bad.family = AF_UNIX;
	map = build(&r);
	assert_match(map, bad, -1, 0);
	gtm_topo_map_free(map);

	assert_int_equal(gtm_topo_map_build(NULL, &map), KNOT_EINVAL);
}

static void test_longest_prefix_across_rules(void **state)
{
	(void)state;
	rules_t r = { 0 };
	rule_add(&r, "10.0.0.0/8", NULL, NULL);
	rule_add(&r, "172.16.0.0/12 10.1.0.0/16", NULL, NULL);
	rule_add(&r, "10.1.2.0/24", NULL, NULL);
	gtm_topo_map_t *map = build(&r);

	/* the /24 wins; nothing longer: scope = its prefix */
	assert_match(map, client("10.1.2.3"), 2, 24);
	/* the /16; 10.1.3.x shares 23 bits with 10.1.2.0/24: scope 24 */
	assert_match(map, client("10.1.3.3"), 1, 24);
	/* the /16; 10.1.128.x shares 16 bits with the /24: scope 17 */
	assert_match(map, client("10.1.128.1"), 1, 17);
	/* the /8; 10.200.x shares 8 bits with the longer ones: scope 9 */
	assert_match(map, client("10.200.0.1"), 0, 9);
	/* no rule; 11.x shares 7 bits with 10/8: scope 8 */
	assert_match(map, client("11.0.0.1"), -1, 8);
	/* no rule; 192.x shares 0 bits with 10/8 and 1 with 172.16/12 */
	assert_match(map, client("192.168.1.1"), -1, 2);
	/* the /12 of rule 1 */
	assert_match(map, client("172.20.1.1"), 1, 12);
	gtm_topo_map_free(map);
	rules_free(&r);
}

static void test_equal_prefix_first_rule(void **state)
{
	(void)state;
	rules_t r = { 0 };
	rule_add(&r, "192.0.2.0/24", NULL, NULL);
	rule_add(&r, "10.0.0.0/8 10.1.0.0/16", NULL, NULL);
	rule_add(&r, "10.1.0.0/16", NULL, NULL);
	rule_add(&r, "10.1.0.0/16 192.0.2.0/24", NULL, NULL);
	gtm_topo_map_t *map = build(&r);
	assert_match(map, client("10.1.5.5"), 1, 16);
	assert_match(map, client("192.0.2.77"), 0, 24);
	gtm_topo_map_free(map);

	/* the same rules, the name lists them the other way round */
	const gtm_topo_t *rev[4] = { r.refs[3], r.refs[2], r.refs[1], r.refs[0] };
	r.name.topos = rev;
	map = build(&r);
	assert_match(map, client("10.1.5.5"), 0, 16);
	assert_match(map, client("192.0.2.77"), 0, 24);
	assert_match(map, client("10.2.0.1"), 2, 15);
	gtm_topo_map_free(map);
	r.name.topos = r.refs;
	rules_free(&r);
}

static void test_families_do_not_mix(void **state)
{
	(void)state;
	rules_t r = { 0 };
	rule_add(&r, "2001:db8::/32", NULL, NULL);
	rule_add(&r, "10.0.0.0/8", NULL, NULL);
	gtm_topo_map_t *map = build(&r);

	assert_match(map, client("10.1.1.1"), 1, 8);
	assert_match(map, client("2001:db8::1"), 0, 32);
	/* IPv4 32.1.13.184 has the bytes of 2001:db8::/32: IPv4 rules only;
	 * 0x20 and 0x0a share 2 bits */
	assert_match(map, client("32.1.13.184"), -1, 3);
	/* ::10.1.1.1 and ::ffff:10.1.1.1 are IPv6 clients */
	assert_match(map, client("::10.1.1.1"), -1, 3);
	assert_match(map, client("::ffff:10.1.1.1"), -1, 3);
	/* IPv6 client with a long ECS prefix */
	assert_match(map, client("2001:db8:ff00::/40"), 0, 32);
	gtm_topo_map_free(map);
	rules_free(&r);
}

static void test_ecs_prefix_shorter_than_rule(void **state)
{
	(void)state;
	rules_t r = { 0 };
	rule_add(&r, "10.1.2.0/24", NULL, NULL);
	rule_add(&r, "10.0.0.0/8", NULL, NULL);
	gtm_topo_map_t *map = build(&r);

	/* the client's /16 is not inside the /24: the /8 answers; the scope
	 * above the source prefix asks for more bits (10.1.0.0 and 10.1.2.0
	 * share 22 bits) */
	assert_match(map, client("10.1.0.0/16"), 1, 23);
	/* the longer source prefix that scope asked for: still outside */
	assert_match(map, client("10.1.0.0/23"), 1, 23);
	/* the client network is inside the /24 */
	assert_match(map, client("10.1.2.0/24"), 0, 24);
	assert_match(map, client("10.1.2.128/25"), 0, 24);
	/* a /23 containing the /24: only part of it is in the rule */
	assert_match(map, client("10.1.2.0/23"), 1, 24);
	/* a /7 containing the /8: no rule contains the client network;
	 * 10.0.0.0 shares 15 bits with 10.1.2.0/24 */
	assert_match(map, client("10.0.0.0/7"), -1, 16);
	/* /0: nothing known */
	assert_match(map, client("0.0.0.0/0"), -1, 5);
	gtm_topo_map_free(map);
	rules_free(&r);
}

static void test_zero_prefix_rule(void **state)
{
	(void)state;
	rules_t r = { 0 };
	rule_add(&r, "0.0.0.0/0", NULL, NULL);
	rule_add(&r, "192.0.2.0/24", NULL, NULL);
	gtm_topo_map_t *map = build(&r);
	assert_match(map, client("198.51.100.1"), 0, 6);
	assert_match(map, client("192.0.2.1"), 1, 24);
	assert_match(map, client("0.0.0.0/0"), 0, 1);
	assert_match(map, client("2001:db8::1"), -1, 0);
	gtm_topo_map_free(map);
	rules_free(&r);
}

/* -- country and continent ------------------------------------------------------- */

static void test_country_continent(void **state)
{
	(void)state;
	rules_t r = { 0 };
	rule_add(&r, "10.0.0.0/8", NULL, NULL);
	rule_add(&r, NULL, NULL, "EU");
	rule_add(&r, NULL, "FR DE", NULL);
	rule_add(&r, "192.0.2.0/24", "JP", "AS");
	rule_add(&r, NULL, "DE US", NULL);
	gtm_topo_map_t *map = build(&r);

	/* country before continent, first rule listing the country */
	assert_match(map, geo_client("198.51.100.1", "DE", "EU", 24), 2, 24);
	assert_match(map, geo_client("198.51.100.1", "US", "NA", 20), 4, 20);
	/* continent */
	assert_match(map, geo_client("198.51.100.1", "IT", "EU", 16), 1, 16);
	assert_match(map, geo_client("198.51.100.1", "CN", "AS", 16), 3, 16);
	/* nothing listed: the name's list, scope still the geo network */
	assert_match(map, geo_client("198.51.100.1", "BR", "SA", 18), -1, 18);
	/* a subnet match wins over geo; geo_prefix is not consulted */
	assert_match(map, geo_client("10.1.1.1", "DE", "EU", 30), 0, 8);
	assert_match(map, geo_client("192.0.2.9", "DE", "EU", 30), 3, 24);
	/* a nearby subnet needs more bits than the geo network */
	assert_match(map, geo_client("192.0.3.1", "DE", "EU", 16), 2, 24);
	/* not in the database: the name's list for the empty network */
	assert_match(map, geo_client("198.51.100.1", NULL, NULL, 8), -1, 8);
	/* ... unless a subnet nearby needs more bits (198 and 192 share 5) */
	assert_match(map, geo_client("198.51.100.1", NULL, NULL, 4), -1, 6);
	/* a country-only or continent-only record */
	assert_match(map, geo_client("198.51.100.1", NULL, "EU", 10), 1, 10);
	assert_match(map, geo_client("198.51.100.1", "FR", NULL, 10), 2, 10);
	/* a bogus geo_prefix is capped at the family's length */
	assert_match(map, geo_client("198.51.100.1", "DE", "EU", 40), 2, 32);
	/* without has_geo the codes are ignored */
	gtm_client_t c = geo_client("198.51.100.1", "DE", "EU", 12);
	c.has_geo = false;
	assert_match(map, c, -1, 12);
	/* IPv6 client with geo data */
	assert_match(map, geo_client("2001:db8::1", "JP", "AS", 48), 3, 48);
	gtm_topo_map_free(map);
	rules_free(&r);

	/* rules without countries or continents: geo_prefix is irrelevant */
	rule_add(&r, "10.0.0.0/8", NULL, NULL);
	map = build(&r);
	assert_match(map, geo_client("198.51.100.1", "DE", "EU", 24), -1, 1);
	gtm_topo_map_free(map);
	rules_free(&r);
}

/* -- against a brute-force model -------------------------------------------------- */

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static uint32_t v4(const gtm_subnet_t *s)
{
	return ntohl(((const struct sockaddr_in *)&s->addr)->sin_addr.s_addr);
}

static uint32_t mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static unsigned common32(uint32_t a, uint32_t b)
{
	return a == b ? 32 : (unsigned)__builtin_clz(a ^ b);
}

/* The definition, literally: rule of the longest containing subnet (first
 * rule on a tie) and the scope formula of topology.h, in O(subnets). */
static int model(const rules_t *r, uint32_t addr, unsigned prefix, uint8_t *scope)
{
	int rule = -1;
	unsigned p = 0;
	for (size_t i = 0; i < r->name.topo_count; i++) {
		const gtm_topo_t *t = r->name.topos[i];
		for (size_t j = 0; j < t->subnet_count; j++) {
			unsigned sp = t->subnets[j].prefix;
			if (sp <= prefix && ((addr ^ v4(&t->subnets[j])) & mask(sp)) == 0 &&
			    (rule < 0 || sp > p)) {
				rule = (int)i;
				p = sp;
			}
		}
	}
	unsigned sc = p;
	for (size_t i = 0; i < r->name.topo_count; i++) {
		const gtm_topo_t *t = r->name.topos[i];
		for (size_t j = 0; j < t->subnet_count; j++) {
			unsigned sp = t->subnets[j].prefix;
			if (sp > p) {
				unsigned c = common32(addr, v4(&t->subnets[j])) + 1;
				c = c < sp ? c : sp;
				sc = c > sc ? c : sc;
			}
		}
	}
	*scope = sc;
	return rule;
}

static gtm_client_t client_v4(uint32_t addr, unsigned prefix)
{
	gtm_client_t c = { .family = AF_INET, .prefix = prefix };
	addr &= mask(prefix);
	c.addr[0] = addr >> 24;
	c.addr[1] = addr >> 16;
	c.addr[2] = addr >> 8;
	c.addr[3] = addr;
	return c;
}

/* Random subnets in base/16 with prefixes 16-32, random rules. */
static void random_rules(rules_t *r, size_t rules, size_t per_rule, uint32_t base)
{
	for (size_t i = 0; i < rules; i++) {
		rule_add(r, NULL, NULL, NULL);
		gtm_topo_t *t = &r->topos[i];
		t->subnets = calloc(per_rule, sizeof(*t->subnets));
		assert_non_null(t->subnets);
		t->subnet_count = per_rule;
		for (size_t j = 0; j < per_rule; j++) {
			unsigned p = 16 + rng() % 17;
			uint32_t a = (base | (rng() & 0xffff)) & mask(p);
			struct sockaddr_in *in = (struct sockaddr_in *)&t->subnets[j].addr;
			in->sin_family = AF_INET;
			in->sin_addr.s_addr = htonl(a);
			t->subnets[j].prefix = p;
		}
	}
}

/* Few subnets in a /16: the scope network is checked address by address
 * (every /32 and every network of the client's length in it answers the
 * same rule). */
static void test_scope_holds_for_whole_network(void **state)
{
	(void)state;
	rng_state = 42;
	for (int round = 0; round < 40; round++) {
		rules_t r = { 0 };
		random_rules(&r, 1 + rng() % 4, 1 + rng() % 6, 0x0a010000);
		gtm_topo_map_t *map = build(&r);
		for (int k = 0; k < 50; k++) {
			unsigned prefix = 16 + rng() % 17;
			uint32_t addr = (0x0a010000 | (rng() & 0xffff)) & mask(prefix);
			gtm_client_t c = client_v4(addr, prefix);
			uint8_t scope, mscope;
			int rule = gtm_topo_match(map, &c, &scope);
			assert_int_equal(rule, model(&r, addr, prefix, &mscope));
			assert_int_equal(scope, mscope);
			if (scope > prefix || scope < 16) {
				continue;
			}
			uint32_t net = addr & mask(scope);
			uint32_t size = scope == 32 ? 1 : 1u << (32 - scope);
			uint32_t step = prefix == 32 ? 1 : 1u << (32 - prefix);
			for (uint32_t a = net; a - net < size; a += step) {
				gtm_client_t o = client_v4(a, prefix);
				uint8_t s2;
				assert_int_equal(gtm_topo_match(map, &o, &s2), rule);
				o = client_v4(a, 32);
				assert_int_equal(gtm_topo_match(map, &o, &s2), rule);
			}
		}
		gtm_topo_map_free(map);
		rules_free(&r);
	}
}

/* Thousands of subnets: the indexed search equals the linear model. */
static void test_many_subnets_match_model(void **state)
{
	(void)state;
	rng_state = 7;
	rules_t r = { 0 };
	random_rules(&r, MAX_RULES, 1000, 0xc0a80000);
	gtm_topo_map_t *map = build(&r);
	for (int k = 0; k < 3000; k++) {
		unsigned prefix = (k % 3 == 0) ? 32 : rng() % 33;
		uint32_t addr = (k % 2 == 0) ? (0xc0a80000 | (rng() & 0xffff))
		                             : (rng() << 8 ^ rng());
		addr &= mask(prefix);
		gtm_client_t c = client_v4(addr, prefix);
		uint8_t scope, mscope;
		int rule = gtm_topo_match(map, &c, &scope);
		assert_int_equal(rule, model(&r, addr, prefix, &mscope));
		assert_int_equal(scope, mscope);
	}
	gtm_topo_map_free(map);
	rules_free(&r);
}

/* -- GeoIP ----------------------------------------------------------------------- */

#ifdef HAVE_MAXMINDDB

static void assert_geo(const gtm_geo_t *geo, const char *addr, bool has_geo,
                       const char *country, const char *continent, int prefix)
{
	gtm_client_t c = client(addr);
	strcpy(c.country, "XX");
	c.geo_prefix = 99;
	gtm_geo_lookup(geo, &c);
	if (c.has_geo != has_geo || strcmp(c.country, country) != 0 ||
	    strcmp(c.continent, continent) != 0 || c.geo_prefix != prefix) {
		fail_msg("%s: got %d %s %s /%u, expected %d %s %s /%d", addr,
		         c.has_geo, c.country, c.continent, c.geo_prefix,
		         has_geo, country, continent, prefix);
	}
}

/* tests/data/geo/test.mmdb, written by mmdb_writer.py (see its README). */
static void test_geo_lookup(void **state)
{
	(void)state;
	assert_true(gtm_geo_available());
	gtm_geo_t *geo = NULL;
	char err[256] = "";
	assert_int_equal(gtm_geo_open(GEO_DB, &geo, err, sizeof(err)), KNOT_EOK);
	assert_non_null(geo);

	/* 192.0.2.0/24 DE with 192.0.2.128/25 FR inside: /25 each */
	assert_geo(geo, "192.0.2.1", true, "DE", "EU", 25);
	assert_geo(geo, "192.0.2.200", true, "FR", "EU", 25);
	assert_geo(geo, "192.0.2.0/24", true, "DE", "EU", 25);
	assert_geo(geo, "198.51.100.7", true, "US", "NA", 24);
	/* registered_country when there is no country */
	assert_geo(geo, "203.0.113.9", true, "JP", "AS", 24);
	/* continent only */
	assert_geo(geo, "100.100.1.1", true, "", "OC", 10);
	/* IPv6 */
	assert_geo(geo, "2001:db8:1::5", true, "JP", "AS", 48);
	assert_geo(geo, "2001:db8:3:1::1", true, "BR", "SA", 47);
	/* IPv4-mapped IPv6 reaches the IPv4 data, with an IPv6 netmask */
	assert_geo(geo, "::ffff:198.51.100.7", true, "US", "NA", 120);
	/* not found: the empty network (127/8 and 100.64/10 share 3 bits) */
	assert_geo(geo, "127.0.0.1", false, "", "", 4);
	assert_geo(geo, "2001:db9::1", false, "", "", 32);

	/* a lookup feeding the topology match: scope = geo network */
	rules_t r = { 0 };
	rule_add(&r, NULL, "FR", NULL);
	rule_add(&r, NULL, NULL, "EU");
	gtm_topo_map_t *map = build(&r);
	gtm_client_t c = client("192.0.2.0/24");
	gtm_geo_lookup(geo, &c);
	assert_match(map, c, 1, 25);
	c = client("192.0.2.130");
	gtm_geo_lookup(geo, &c);
	assert_match(map, c, 0, 25);
	c = client("127.0.0.1");
	gtm_geo_lookup(geo, &c);
	assert_match(map, c, -1, 4);
	gtm_topo_map_free(map);
	rules_free(&r);

	gtm_geo_lookup(NULL, &c);
	assert_false(c.has_geo);
	assert_int_equal(c.geo_prefix, 0);
	gtm_geo_close(geo);
	gtm_geo_close(NULL);
}

static void test_geo_open_errors(void **state)
{
	(void)state;
	gtm_geo_t *geo = NULL;
	char err[256] = "";
	assert_int_equal(gtm_geo_open(GTM_TEST_DATA "/geo/missing.mmdb", &geo,
	                              err, sizeof(err)), KNOT_EINVAL);
	assert_null(geo);
	assert_non_null(strstr(err, "cannot open '" GTM_TEST_DATA "/geo/missing.mmdb' ("));

	err[0] = '\0';
	assert_int_equal(gtm_geo_open(GTM_TEST_DATA "/geo/README", &geo,
	                              err, sizeof(err)), KNOT_EINVAL);
	assert_null(geo);
	assert_non_null(strstr(err, "cannot open '"));
}

#else /* !HAVE_MAXMINDDB */

static void test_geo_unavailable(void **state)
{
	(void)state;
	assert_false(gtm_geo_available());
	gtm_geo_t *geo = NULL;
	char err[256] = "";
	assert_int_equal(gtm_geo_open(GEO_DB, &geo, err, sizeof(err)), KNOT_ENOTSUP);
	assert_null(geo);
	assert_non_null(strstr(err, "libmaxminddb"));
	gtm_client_t c = geo_client("192.0.2.1", "DE", "EU", 24);
	gtm_geo_lookup(NULL, &c);
	assert_false(c.has_geo);
	assert_string_equal(c.country, "");
	assert_int_equal(c.geo_prefix, 0);
	gtm_geo_close(NULL);
}

#endif /* HAVE_MAXMINDDB */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_map_and_no_rules),
		cmocka_unit_test(test_longest_prefix_across_rules),
		cmocka_unit_test(test_equal_prefix_first_rule),
		cmocka_unit_test(test_families_do_not_mix),
		cmocka_unit_test(test_ecs_prefix_shorter_than_rule),
		cmocka_unit_test(test_zero_prefix_rule),
		cmocka_unit_test(test_country_continent),
		cmocka_unit_test(test_scope_holds_for_whole_network),
		cmocka_unit_test(test_many_subnets_match_model),
#ifdef HAVE_MAXMINDDB
		cmocka_unit_test(test_geo_lookup),
		cmocka_unit_test(test_geo_open_errors),
#else
		cmocka_unit_test(test_geo_unavailable),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
