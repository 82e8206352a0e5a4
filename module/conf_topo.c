/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Keys of the 'topology' section: which clients (subnets, countries,
 * continents) get which pool list.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "conf.h"
#include "conf_int.h"

/*! Reports an error of a key at the current line. */
#define bad(ctx, ret, key, ...) \
	gtm_conf_report((ctx), (ret), (ctx)->line, gtm_conf_keys[key].name, __VA_ARGS__)

void gtm_conf_topo_init(gtm_topo_t *topo, size_t line)
{
	*topo = (gtm_topo_t) { .line = line };
}

void gtm_conf_topo_clear(gtm_topo_t *topo)
{
	free(topo->id);
	free(topo->subnets);
	free(topo->countries);
	free(topo->continents);
	free(topo->pools);
}

static size_t current_idx(const conf_ctx_t *ctx)
{
	return ctx->conf->topo_count - 1;
}

static gtm_topo_t *current(conf_ctx_t *ctx)
{
	return &ctx->conf->topos[current_idx(ctx)];
}

/*
 * Subnet:
 *
 *   input                        result
 *   ---------------------------  -----------------------------------------
 *   not ADDRESS[/PREFIX]         EINVAL "invalid subnet"
 *   prefix above 32 / 128        ERANGE "prefix ... out of range 0-32/128"
 *   host bits set                EINVAL "host bits set (network A/P)"
 *   same network and prefix      EEXIST "duplicate subnet"
 *   ADDRESS alone                the host (/32, /128)
 */
static int topo_subnet(conf_ctx_t *ctx, gtm_topo_t *topo, const char *val)
{
	gtm_subnet_t net;
	int ret = gtm_conf_subnet(val, &net);
	bool v4 = (net.addr.ss_family == AF_INET);
	if (ret == KNOT_EINVAL) {
		return bad(ctx, ret, K_SUBNET, "invalid subnet '%s' "
		           "(expected ADDRESS/PREFIX)", val);
	} else if (ret == KNOT_ERANGE) {
		return bad(ctx, ret, K_SUBNET, "prefix of '%s' out of range 0-%d",
		           val, v4 ? 32 : 128);
	} else if (ret != KNOT_EOK) {
		/* Show the network the subnet probably meant. */
		uint8_t *bytes = v4 ?
			(uint8_t *)&((struct sockaddr_in *)&net.addr)->sin_addr :
			(uint8_t *)&((struct sockaddr_in6 *)&net.addr)->sin6_addr;
		for (size_t bit = net.prefix; bit < (v4 ? 32U : 128U); bit++) {
			bytes[bit / 8] &= ~(0x80 >> (bit % 8));
		}
		char text[INET6_ADDRSTRLEN] = "";
		(void)inet_ntop(net.addr.ss_family, bytes, text, sizeof(text));
		return bad(ctx, KNOT_EINVAL, K_SUBNET, "subnet '%s' has host bits set "
		           "(network %s/%u)", val, text, net.prefix);
	}
	for (size_t i = 0; i < topo->subnet_count; i++) {
		if (topo->subnets[i].prefix == net.prefix &&
		    memcmp(&topo->subnets[i].addr, &net.addr, sizeof(net.addr)) == 0) {
			return bad(ctx, KNOT_EEXIST, K_SUBNET, "duplicate subnet '%s'", val);
		}
	}

	void *grown;
	gtm_subnet_t *slot = CONF_APPEND(topo->subnets, topo->subnet_count);
	if (slot == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	*slot = net;
	return KNOT_EOK;
}

/*! 'country' or 'continent': a known code, upper-cased, not given twice. */
static int topo_geo(conf_ctx_t *ctx, gtm_topo_t *topo, key_id_t key, const char *val)
{
	bool country = (key == K_COUNTRY);
	char code[3];
	if (country && !gtm_conf_country(val, code)) {
		return bad(ctx, KNOT_EINVAL, key, "invalid country '%s' "
		           "(expected an ISO 3166-1 alpha-2 code)", val);
	} else if (!country && !gtm_conf_continent(val, code)) {
		return bad(ctx, KNOT_EINVAL, key, "invalid continent '%s' "
		           "(expected AF, AN, AS, EU, NA, OC or SA)", val);
	}

	char (**codes)[3] = country ? &topo->countries : &topo->continents;
	size_t *count = country ? &topo->country_count : &topo->continent_count;
	for (size_t i = 0; i < *count; i++) {
		if (memcmp((*codes)[i], code, 3) == 0) {
			return bad(ctx, KNOT_EEXIST, key, "duplicate %s '%s'",
			           gtm_conf_keys[key].name, code);
		}
	}
	void *grown;
	char (*slot)[3] = CONF_APPEND(*codes, *count);
	if (slot == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	memcpy(*slot, code, 3);

	size_t *geo_line = &ctx->geo_lines[current_idx(ctx)];
	if (*geo_line == 0) {
		*geo_line = ctx->line;
	}
	return KNOT_EOK;
}

/*! 'pool': "ID", no attributes (the list is ordered, never weighted). */
static int topo_pool(conf_ctx_t *ctx, gtm_topo_t *topo, const char *val)
{
	conf_entry_t entry;
	int ret = gtm_conf_entry(ctx, K_TOPO_POOL, val, &entry);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (entry.has_weight) {
		ret = bad(ctx, KNOT_EINVAL, K_TOPO_POOL, "weight= is not valid in a "
		          "topology rule (its pools are tried in order)");
	} else if (entry.has_enabled) {
		ret = bad(ctx, KNOT_EINVAL, K_TOPO_POOL, "enabled= is only valid in "
		          "address and cname entries (use the pool's enabled)");
	} else if (entry.has_probe) {
		ret = bad(ctx, KNOT_EINVAL, K_TOPO_POOL, "probe= is only valid in a "
		          "cname pool");
	} else if (gtm_conf_has_ref(ctx, REF_TOPO_POOL, entry.value)) {
		ret = bad(ctx, KNOT_EEXIST, K_TOPO_POOL, "duplicate pool '%s'", entry.value);
	} else if (topo->pool_count >= GTM_MAX_POOLS) {
		ret = bad(ctx, KNOT_ERANGE, K_TOPO_POOL, "too many pools (max %d)",
		          GTM_MAX_POOLS);
	}
	if (ret == KNOT_EOK) {
		void *grown;
		gtm_pool_ref_t *ref = CONF_APPEND(topo->pools, topo->pool_count);
		if (ref == NULL) {
			ret = gtm_conf_no_memory(ctx);
		} else {
			*ref = (gtm_pool_ref_t) { .weight = 1, .line = ctx->line };
			ret = gtm_conf_add_ref(ctx, REF_TOPO_POOL, current_idx(ctx),
			                       topo->pool_count - 1, entry.value);
		}
	}
	gtm_conf_entry_clear(&entry);
	return ret;
}

int gtm_conf_topo_key(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	gtm_topo_t *topo = current(ctx);
	switch (key) {
	case K_SUBNET:
		return topo_subnet(ctx, topo, val);
	case K_COUNTRY:
	case K_CONTINENT:
		return topo_geo(ctx, topo, key, val);
	case K_TOPO_POOL:
		return topo_pool(ctx, topo, val);
	default:
		return KNOT_EINVAL;
	}
}

/*
 * A rule (once the item was read):
 *
 *   condition                           result (at the line of the id)
 *   ----------------------------------  ----------------------------------
 *   no pool                             EINVAL "no pool"
 *   no subnet, country or continent     EINVAL "no subnet, country or continent"
 */
int gtm_conf_topo_finish(conf_ctx_t *ctx)
{
	const gtm_topo_t *topo = current(ctx);
	if (topo->pool_count == 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no pool");
	}
	if (topo->subnet_count + topo->country_count + topo->continent_count == 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL,
		                       "no subnet, country or continent");
	}
	return KNOT_EOK;
}
