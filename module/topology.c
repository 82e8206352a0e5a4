/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Compiled topology of a name.
 *
 * The subnets of every rule are kept per address family in groups of equal
 * prefix length, longest first; inside a group they are sorted by address
 * and then by rule index. A lookup visits the groups from the longest
 * prefix down and binary-searches each: O(lengths * log(subnets)), no
 * allocation, no lock. In a sorted group the subnets sharing the most
 * leading bits with the client are the neighbours of the client's position,
 * so one search per group yields both "does a subnet of this length
 * contain the client" and "how close is the nearest one" (for the scope).
 *
 * A subnet contains the client when its prefix is at most the client's
 * known bits (ECS source prefix, or 32/128) and those prefix bits agree:
 * a client 10.1.0.0/16 is not matched by a rule 10.1.2.0/24 (only part of
 * the client's network is in it), but it is by 10.0.0.0/8.
 */

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <libknot/errcode.h>

#include "topology.h"

/*! One subnet of a rule. */
typedef struct {
	uint8_t addr[16];   /*!< Network address, host bits zero. */
	uint8_t prefix;     /*!< Prefix length. */
	uint32_t rule;      /*!< Index in the name's 'topology' list. */
} topo_net_t;

/*! Subnets of one prefix length, sorted by address then rule. */
typedef struct {
	uint8_t prefix;
	const topo_net_t *nets;
	size_t count;
} topo_group_t;

/*! Subnets of one address family. */
typedef struct {
	topo_net_t *nets;       /*!< Sorted: prefix desc, address, rule. */
	size_t net_count;
	topo_group_t *groups;   /*!< One per prefix length, longest first. */
	size_t group_count;
} topo_family_t;

/*! A country or continent code of a rule. */
typedef struct {
	char code[3];
	uint32_t rule;
} topo_geo_t;

struct gtm_topo_map {
	topo_family_t fam[2];   /*!< [0] IPv4, [1] IPv6. */
	topo_geo_t *countries;  /*!< In rule order. */
	size_t country_count;
	topo_geo_t *continents; /*!< In rule order. */
	size_t continent_count;
};

/* Family slot: 0 IPv4, 1 IPv6, -1 other. */
static int fam_slot(int family)
{
	switch (family) {
	case AF_INET:  return 0;
	case AF_INET6: return 1;
	default:       return -1;
	}
}

static size_t slot_len(int slot)
{
	return slot == 0 ? 4 : 16;
}

/* Zeroes the bits of addr past prefix (len bytes). */
static void mask_addr(uint8_t *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		unsigned first = i * 8;
		if (prefix >= first + 8) {
			continue;
		}
		if (prefix <= first) {
			addr[i] = 0;
		} else {
			addr[i] &= (uint8_t)(0xff << (8 - (prefix - first)));
		}
	}
}

/* Leading bits a and b have in common (len bytes). */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t x = a[i] ^ b[i];
		if (x != 0) {
			return i * 8 + (unsigned)__builtin_clz(x) - 24;
		}
	}
	return len * 8;
}

/* Copies the address of a subnet; returns its family slot. */
static int subnet_addr(const gtm_subnet_t *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (s->addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&s->addr;
		memcpy(out, &in->sin_addr, 4);
		return 0;
	}
	if (s->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)&s->addr;
		memcpy(out, &in->sin6_addr, 16);
		return 1;
	}
	return -1;
}

/* Sort key: longest prefix first, then address, then rule (first wins). */
static int net_cmp(const topo_net_t *x, const topo_net_t *y, size_t len)
{
	if (x->prefix != y->prefix) {
		return x->prefix > y->prefix ? -1 : 1;
	}
	int c = memcmp(x->addr, y->addr, len);
	if (c != 0) {
		return c;
	}
	return x->rule < y->rule ? -1 : (x->rule > y->rule ? 1 : 0);
}

static int net_cmp_v4(const void *a, const void *b)
{
	return net_cmp(a, b, 4);
}

static int net_cmp_v6(const void *a, const void *b)
{
	return net_cmp(a, b, 16);
}

/* Sorts the subnets of a family and splits them into prefix groups. */
static int family_index(topo_family_t *f, int slot)
{
	if (f->net_count == 0) {
		return KNOT_EOK;
	}
	qsort(f->nets, f->net_count, sizeof(*f->nets),
	      slot == 0 ? net_cmp_v4 : net_cmp_v6);

	size_t groups = 1;
	for (size_t i = 1; i < f->net_count; i++) {
		groups += f->nets[i].prefix != f->nets[i - 1].prefix;
	}
	f->groups = calloc(groups, sizeof(*f->groups));
	if (f->groups == NULL) {
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < f->net_count; i++) {
		if (i == 0 || f->nets[i].prefix != f->nets[i - 1].prefix) {
			topo_group_t *g = &f->groups[f->group_count++];
			g->prefix = f->nets[i].prefix;
			g->nets = &f->nets[i];
		}
		f->groups[f->group_count - 1].count++;
	}
	return KNOT_EOK;
}

/* Appends the country or continent codes of rule r to out. */
static void geo_add(topo_geo_t *out, size_t *count, const char (*codes)[3],
                    size_t code_count, uint32_t r)
{
	for (size_t i = 0; i < code_count; i++) {
		topo_geo_t *g = &out[(*count)++];
		memcpy(g->code, codes[i], 2);
		g->code[2] = '\0';
		g->rule = r;
	}
}

/*
 * Truth table:
 *   name NULL or map NULL               -> KNOT_EINVAL
 *   no rules                            -> empty map (every client: -1)
 *   subnet of a family other than IPv4/IPv6 -> ignored
 *   out of memory                       -> KNOT_ENOMEM, *map untouched
 *   otherwise                           -> KNOT_EOK, *map set
 */
int gtm_topo_map_build(const gtm_name_t *name, gtm_topo_map_t **map)
{
	if (name == NULL || map == NULL) {
		return KNOT_EINVAL;
	}

	gtm_topo_map_t *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return KNOT_ENOMEM;
	}

	size_t nets[2] = { 0 }, countries = 0, continents = 0;
	for (size_t r = 0; r < name->topo_count; r++) {
		const gtm_topo_t *t = name->topos[r];
		for (size_t i = 0; i < t->subnet_count; i++) {
			int slot = fam_slot(t->subnets[i].addr.ss_family);
			if (slot >= 0) {
				nets[slot]++;
			}
		}
		countries += t->country_count;
		continents += t->continent_count;
	}

	int ret = KNOT_ENOMEM;
	for (int s = 0; s < 2; s++) {
		if (nets[s] > 0) {
			m->fam[s].nets = calloc(nets[s], sizeof(topo_net_t));
			if (m->fam[s].nets == NULL) {
				goto fail;
			}
		}
	}
	if (countries > 0) {
		m->countries = calloc(countries, sizeof(topo_geo_t));
		if (m->countries == NULL) {
			goto fail;
		}
	}
	if (continents > 0) {
		m->continents = calloc(continents, sizeof(topo_geo_t));
		if (m->continents == NULL) {
			goto fail;
		}
	}

	for (size_t r = 0; r < name->topo_count; r++) {
		const gtm_topo_t *t = name->topos[r];
		for (size_t i = 0; i < t->subnet_count; i++) {
			uint8_t addr[16];
			int slot = subnet_addr(&t->subnets[i], addr);
			if (slot < 0) {
				continue;
			}
			topo_family_t *f = &m->fam[slot];
			topo_net_t *n = &f->nets[f->net_count++];
			unsigned bits = slot_len(slot) * 8;
			unsigned prefix = t->subnets[i].prefix;
			n->prefix = prefix > bits ? bits : prefix;
			memcpy(n->addr, addr, sizeof(n->addr));
			mask_addr(n->addr, slot_len(slot), n->prefix);
			n->rule = r;
		}
		geo_add(m->countries, &m->country_count, t->countries,
		        t->country_count, r);
		geo_add(m->continents, &m->continent_count, t->continents,
		        t->continent_count, r);
	}

	for (int s = 0; s < 2; s++) {
		ret = family_index(&m->fam[s], s);
		if (ret != KNOT_EOK) {
			goto fail;
		}
	}

	*map = m;
	return KNOT_EOK;
fail:
	gtm_topo_map_free(m);
	return ret;
}

void gtm_topo_map_free(gtm_topo_map_t *map)
{
	if (map == NULL) {
		return;
	}
	for (int s = 0; s < 2; s++) {
		free(map->fam[s].nets);
		free(map->fam[s].groups);
	}
	free(map->countries);
	free(map->continents);
	free(map);
}

/* First index of g whose address is >= key. */
static size_t lower_bound(const topo_group_t *g, const uint8_t *key, size_t len)
{
	size_t lo = 0, hi = g->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(g->nets[mid].addr, key, len) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* First rule listing code (upper case, 2 letters) in list, or -1. */
static int geo_find(const topo_geo_t *list, size_t count, const char *code)
{
	if (code[0] == '\0') {
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (list[i].code[0] == code[0] && list[i].code[1] == code[1]) {
			return (int)list[i].rule;
		}
	}
	return -1;
}

/*
 * Truth table (first row that applies):
 *   map NULL, client family not IPv4/IPv6       -> -1, scope 0
 *   a subnet of the client's family contains the
 *     client network (prefix <= client.prefix,
 *     those bits equal)                         -> the rule of the longest
 *                                                  such subnet, equal
 *                                                  prefixes: lowest rule
 *   rules have countries/continents and
 *     client.has_geo: country listed            -> first rule listing it
 *                     continent listed          -> first rule listing it
 *   otherwise                                   -> -1
 * Scope, P = prefix of the matched subnet (0 without a subnet match):
 *   max(P, for each longer subnet S of the family (any rule):
 *            min(S.prefix, common_bits(client.addr, S.addr) + 1))
 *   - S not overlapping the client's P-bit network adds at most P;
 *   - S longer than the client's known bits but inside its network adds
 *     S.prefix (scope above the source prefix: ask with more bits);
 *   no subnet match and the rules have countries/continents: at least
 *   client.geo_prefix (also when the client has no geo data: the "not in
 *   the database" answer holds for that network); at most 32 / 128.
 */
int gtm_topo_match(const gtm_topo_map_t *map, const gtm_client_t *client,
                   uint8_t *scope)
{
	uint8_t dummy;
	if (scope == NULL) {
		scope = &dummy;
	}
	*scope = 0;
	if (map == NULL || client == NULL) {
		return -1;
	}
	int slot = fam_slot(client->family);
	if (slot < 0) {
		return -1;
	}

	const topo_family_t *f = &map->fam[slot];
	size_t len = slot_len(slot);
	unsigned bits = len * 8;
	unsigned known = client->prefix > bits ? bits : client->prefix;

	uint8_t addr[16] = { 0 };
	memcpy(addr, client->addr, len);
	mask_addr(addr, len, known);

	int rule = -1;
	unsigned matched = 0, need = 0;
	for (size_t gi = 0; gi < f->group_count; gi++) {
		const topo_group_t *g = &f->groups[gi];
		size_t i = lower_bound(g, addr, len);
		unsigned c = 0;
		if (i > 0) {
			c = common_bits(addr, g->nets[i - 1].addr, len);
		}
		if (i < g->count) {
			unsigned c2 = common_bits(addr, g->nets[i].addr, len);
			c = c2 > c ? c2 : c;
		}
		if (g->prefix <= known && c >= g->prefix) {
			uint8_t net[16];
			memcpy(net, addr, len);
			mask_addr(net, len, g->prefix);
			rule = (int)g->nets[lower_bound(g, net, len)].rule;
			matched = g->prefix;
			break;
		}
		unsigned contrib = c + 1 < g->prefix ? c + 1 : g->prefix;
		need = contrib > need ? contrib : need;
	}

	unsigned sc = matched > need ? matched : need;
	if (rule < 0 && map->country_count + map->continent_count > 0) {
		if (client->has_geo) {
			rule = geo_find(map->countries, map->country_count,
			                client->country);
			if (rule < 0) {
				rule = geo_find(map->continents, map->continent_count,
				                client->continent);
			}
		}
		sc = client->geo_prefix > sc ? client->geo_prefix : sc;
	}
	*scope = sc > bits ? bits : sc;
	return rule;
}
