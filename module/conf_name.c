/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Keys of the 'name' section: the pool list and its policy, topology
 * rules, TTLs and the all-down policy.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>

#include "conf.h"
#include "conf_int.h"

#define MAX_TTL		604800
#define MAX_TOPOS	64
#define DAY_MS		(24 * 3600 * 1000)

static const char *pool_policy_names[] = {
	[GTM_PPOL_SEQUENCE] = "sequence",
	[GTM_PPOL_WEIGHTED] = "weighted",
	[GTM_PPOL_TOPOLOGY] = "topology",
};

#define POOL_POLICY_COUNT	(sizeof(pool_policy_names) / sizeof(pool_policy_names[0]))

/*! All-down keywords without an argument. */
static const struct {
	const char *name;
	gtm_alldown_t value;
} alldown_names[] = {
	{ "static",    GTM_ALLDOWN_STATIC },
	{ "all",       GTM_ALLDOWN_ALL },
	{ "last-good", GTM_ALLDOWN_LAST_GOOD },
	{ "nodata",    GTM_ALLDOWN_NODATA },
	{ "servfail",  GTM_ALLDOWN_SERVFAIL },
};

#define ALLDOWN_COUNT	(sizeof(alldown_names) / sizeof(alldown_names[0]))

/*! Reports an error of a key at the current line. */
#define bad(ctx, ret, key, ...) \
	gtm_conf_report((ctx), (ret), (ctx)->line, gtm_conf_keys[key].name, __VA_ARGS__)

/*! Reports an error of a key given in the current item, at its line. */
#define bad_at(ctx, ret, line, key, ...) \
	gtm_conf_report((ctx), (ret), (line), gtm_conf_keys[key].name, __VA_ARGS__)

void gtm_conf_name_init(gtm_name_t *name, size_t line)
{
	*name = (gtm_name_t) {
		.pool_policy = GTM_PPOL_SEQUENCE, .preempt = true,
		.ttl = 30, .ttl_degraded = 30, .all_down = GTM_ALLDOWN_STATIC,
		.enabled = true, .line = line,
	};
}

void gtm_conf_name_clear(gtm_name_t *name)
{
	free(name->id);
	free(name->pools);
	free(name->topos);
	free(name->all_down_cname);
}

static size_t current_idx(const conf_ctx_t *ctx)
{
	return ctx->conf->name_count - 1;
}

static gtm_name_t *current(conf_ctx_t *ctx)
{
	return &ctx->conf->names[current_idx(ctx)];
}

/*! 'pool': "ID [weight=N]". */
static int name_pool(conf_ctx_t *ctx, gtm_name_t *name, const char *val)
{
	conf_entry_t entry;
	int ret = gtm_conf_entry(ctx, K_POOL, val, &entry);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (entry.has_enabled) {
		ret = bad(ctx, KNOT_EINVAL, K_POOL, "enabled= is only valid in "
		          "address and cname entries (use the pool's enabled)");
	} else if (entry.has_probe) {
		ret = bad(ctx, KNOT_EINVAL, K_POOL, "probe= is only valid in a cname pool");
	} else if (gtm_conf_has_ref(ctx, REF_NAME_POOL, entry.value)) {
		ret = bad(ctx, KNOT_EEXIST, K_POOL, "duplicate pool '%s'", entry.value);
	} else if (name->pool_count >= GTM_MAX_POOLS) {
		ret = bad(ctx, KNOT_ERANGE, K_POOL, "too many pools (max %d)",
		          GTM_MAX_POOLS);
	}
	if (ret == KNOT_EOK) {
		void *grown;
		gtm_pool_ref_t *ref = CONF_APPEND(name->pools, name->pool_count);
		if (ref == NULL) {
			ret = gtm_conf_no_memory(ctx);
		} else {
			*ref = (gtm_pool_ref_t) { .weight = entry.weight, .line = ctx->line };
			ret = gtm_conf_add_ref(ctx, REF_NAME_POOL, current_idx(ctx),
			                       name->pool_count - 1, entry.value);
		}
	}
	if (ret == KNOT_EOK && entry.has_weight && ctx->weight_line == 0) {
		ctx->weight_line = ctx->line;
	}
	gtm_conf_entry_clear(&entry);
	return ret;
}

/*! 'topology': a rule id. */
static int name_topo(conf_ctx_t *ctx, gtm_name_t *name, const char *val)
{
	if (gtm_conf_has_ref(ctx, REF_NAME_TOPO, val)) {
		return bad(ctx, KNOT_EEXIST, K_TOPOLOGY, "duplicate topology '%s'", val);
	} else if (name->topo_count >= MAX_TOPOS) {
		return bad(ctx, KNOT_ERANGE, K_TOPOLOGY, "too many topology rules (max %d)",
		           MAX_TOPOS);
	}
	void *grown;
	const gtm_topo_t **slot = CONF_APPEND(name->topos, name->topo_count);
	if (slot == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	return gtm_conf_add_ref(ctx, REF_NAME_TOPO, current_idx(ctx),
	                        name->topo_count - 1, val);
}

static int name_pool_policy(conf_ctx_t *ctx, gtm_name_t *name, const char *val)
{
	for (size_t i = 0; i < POOL_POLICY_COUNT; i++) {
		if (strcasecmp(val, pool_policy_names[i]) == 0) {
			name->pool_policy = i;
			return KNOT_EOK;
		}
	}
	return bad(ctx, KNOT_EINVAL, K_POOL_POLICY, "invalid pool-policy '%s' "
	           "(expected sequence, weighted or topology)", val);
}

/*! 'ttl' and 'ttl-degraded': seconds or a whole-second duration. */
static int name_ttl(conf_ctx_t *ctx, key_id_t key, const char *val, uint32_t *ttl)
{
	uint64_t ms;
	if (gtm_conf_duration(val, 0, UINT64_MAX, &ms) != KNOT_EOK || ms % 1000 != 0) {
		return bad(ctx, KNOT_EINVAL, key, "invalid ttl '%s'", val);
	} else if (ms / 1000 > MAX_TTL) {
		return bad(ctx, KNOT_ERANGE, key, "value %s out of range 0-%d", val, MAX_TTL);
	}
	*ttl = ms / 1000;
	return KNOT_EOK;
}

/*
 * 'all-down':
 *
 *   value                         result
 *   ----------------------------  ------------------------------------------
 *   static all last-good          that policy (any case)
 *   nodata servfail
 *   pool:ID                       GTM_ALLDOWN_POOL, ID resolved at the end
 *                                 (ENOENT "undefined pool" if not defined)
 *   cname:TARGET                  GTM_ALLDOWN_CNAME; TARGET relative, '@'
 *                                 or absolute, no wildcard
 *   pool: / cname: without value  EINVAL "missing ... in"
 *   anything else                 EINVAL "invalid value (expected ...)"
 */
static int name_all_down(conf_ctx_t *ctx, gtm_name_t *name, const char *val)
{
	for (size_t i = 0; i < ALLDOWN_COUNT; i++) {
		if (strcasecmp(val, alldown_names[i].name) == 0) {
			name->all_down = alldown_names[i].value;
			return KNOT_EOK;
		}
	}
	if (strncasecmp(val, "pool:", 5) == 0) {
		if (val[5] == '\0') {
			return bad(ctx, KNOT_EINVAL, K_ALLDOWN, "missing pool id in '%s'", val);
		}
		name->all_down = GTM_ALLDOWN_POOL;
		return gtm_conf_add_ref(ctx, REF_NAME_ALLDOWN, current_idx(ctx), 0, val + 5);
	}
	if (strncasecmp(val, "cname:", 6) == 0) {
		const char *target = val + 6;
		int ret = gtm_conf_name_check(target);
		if (*target == '\0') {
			return bad(ctx, KNOT_EINVAL, K_ALLDOWN, "missing target in '%s'", val);
		} else if (ret == KNOT_ENOTSUP) {
			return bad(ctx, KNOT_EINVAL, K_ALLDOWN,
			           "wildcard cname '%s' not supported", target);
		} else if (ret != KNOT_EOK) {
			return bad(ctx, KNOT_EINVAL, K_ALLDOWN, "invalid cname '%s'", target);
		}
		name->all_down = GTM_ALLDOWN_CNAME;
		name->all_down_cname = strdup(target);
		return (name->all_down_cname == NULL) ? gtm_conf_no_memory(ctx) : KNOT_EOK;
	}
	return bad(ctx, KNOT_EINVAL, K_ALLDOWN, "invalid value '%s' (expected static, "
	           "all, last-good, nodata, servfail, pool:ID or cname:TARGET)", val);
}

int gtm_conf_name_key(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	gtm_name_t *name = current(ctx);

	switch (key) {
	case K_POOL:
		return name_pool(ctx, name, val);
	case K_POOL_POLICY:
		return name_pool_policy(ctx, name, val);
	case K_NAME_PREEMPT:
		return gtm_conf_get_bool(ctx, key, val, &name->preempt);
	case K_NAME_FAILBACK:
		return gtm_conf_get_duration(ctx, key, val, 0, DAY_MS, &name->failback_ms);
	case K_TOPOLOGY:
		return name_topo(ctx, name, val);
	case K_TTL:
		return name_ttl(ctx, key, val, &name->ttl);
	case K_TTL_DEGRADED:
		return name_ttl(ctx, key, val, &name->ttl_degraded);
	case K_ALLDOWN:
		return name_all_down(ctx, name, val);
	case K_ENABLED:
		return gtm_conf_get_bool(ctx, key, val, &name->enabled);
	default:
		return KNOT_EINVAL;
	}
}

/*
 * Rules between the keys of a name (once the item was read):
 *
 *   condition                                   result (at the line of)
 *   ------------------------------------------  ------------------------------
 *   no pool                                     EINVAL "no pool" (id)
 *   topology without pool-policy topology       EINVAL "not valid without
 *                                               pool-policy topology"
 *   pool-policy topology without topology       EINVAL (pool-policy)
 *   preempt with pool-policy weighted           EINVAL "not valid with
 *                                               pool-policy weighted"
 *   weight= without pool-policy weighted        EINVAL (first entry with weight=)
 *   otherwise                                   ttl-degraded defaults to ttl
 */
int gtm_conf_name_finish(conf_ctx_t *ctx)
{
	gtm_name_t *name = current(ctx);

	if (name->pool_count == 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no pool");
	}
	if (name->topo_count > 0 && name->pool_policy != GTM_PPOL_TOPOLOGY) {
		return bad_at(ctx, KNOT_EINVAL, ctx->key_line[K_TOPOLOGY], K_TOPOLOGY,
		              "not valid without pool-policy topology");
	}
	if (name->topo_count == 0 && name->pool_policy == GTM_PPOL_TOPOLOGY) {
		return bad_at(ctx, KNOT_EINVAL, ctx->key_line[K_POOL_POLICY], K_POOL_POLICY,
		              "topology needs a topology list");
	}
	if ((ctx->seen & KEY_BIT(K_NAME_PREEMPT)) &&
	    name->pool_policy == GTM_PPOL_WEIGHTED) {
		return bad_at(ctx, KNOT_EINVAL, ctx->key_line[K_NAME_PREEMPT],
		              K_NAME_PREEMPT, "not valid with pool-policy weighted");
	}
	if (ctx->weight_line != 0 && name->pool_policy != GTM_PPOL_WEIGHTED) {
		return bad_at(ctx, KNOT_EINVAL, ctx->weight_line, K_POOL,
		              "weight= needs pool-policy weighted");
	}
	if (!(ctx->seen & KEY_BIT(K_TTL_DEGRADED))) {
		name->ttl_degraded = name->ttl;
	}
	return KNOT_EOK;
}
