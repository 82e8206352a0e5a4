/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Keys of the 'pool' section (address and CNAME pools), and the
 * attributes of list entries ("VALUE weight=N enabled=off probe=ADDR")
 * shared with the pool lists of names and topology rules.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>

#include "conf.h"
#include "conf_int.h"

#define MAX_WEIGHT	1000
#define DAY_MS		(24 * 3600 * 1000)

static const char *policy_names[] = {
	[GTM_APOL_SEQUENCE]    = "sequence",
	[GTM_APOL_ROUND_ROBIN] = "round-robin",
	[GTM_APOL_WEIGHTED]    = "weighted",
	[GTM_APOL_ALL]         = "all",
};

#define POLICY_COUNT	(sizeof(policy_names) / sizeof(policy_names[0]))

/*! Reports an error of a key at the current line. */
#define bad(ctx, ret, key, ...) \
	gtm_conf_report((ctx), (ret), (ctx)->line, gtm_conf_keys[key].name, __VA_ARGS__)

/*! Handles one attribute "NAME=VALUE" of an entry (name and value split). */
static int entry_attr(conf_ctx_t *ctx, key_id_t key, const char *name,
                      const char *val, conf_entry_t *entry)
{
	uint64_t num;
	bool *seen = (strcmp(name, "weight") == 0) ? &entry->has_weight :
	             (strcmp(name, "enabled") == 0) ? &entry->has_enabled :
	             (strcmp(name, "probe") == 0) ? &entry->has_probe : NULL;
	if (seen == NULL) {
		return bad(ctx, KNOT_EINVAL, key, "unknown attribute '%s' "
		           "(expected weight, enabled or probe)", name);
	} else if (*seen) {
		return bad(ctx, KNOT_EINVAL, key, "repeated attribute '%s'", name);
	}
	*seen = true;

	if (seen == &entry->has_weight) {
		int ret = gtm_conf_number(val, 1, MAX_WEIGHT, &num);
		if (ret == KNOT_EINVAL) {
			return bad(ctx, ret, key, "invalid weight '%s'", val);
		} else if (ret != KNOT_EOK) {
			return bad(ctx, ret, key, "weight %s out of range 1-%d", val,
			           MAX_WEIGHT);
		}
		entry->weight = num;
	} else if (seen == &entry->has_enabled) {
		if (strcasecmp(val, "on") == 0 || strcasecmp(val, "true") == 0) {
			entry->enabled = true;
		} else if (strcasecmp(val, "off") == 0 || strcasecmp(val, "false") == 0) {
			entry->enabled = false;
		} else {
			return bad(ctx, KNOT_EINVAL, key, "invalid value '%s' of "
			           "enabled= (expected on or off)", val);
		}
	} else if (!gtm_conf_addr(val, &entry->probe)) {
		return bad(ctx, KNOT_EINVAL, key, "invalid probe address '%s'", val);
	}
	return KNOT_EOK;
}

int gtm_conf_entry(conf_ctx_t *ctx, key_id_t key, const char *val,
                   conf_entry_t *entry)
{
	*entry = (conf_entry_t) { .weight = 1, .enabled = true };
	entry->buf = strdup(val);
	if (entry->buf == NULL) {
		return gtm_conf_no_memory(ctx);
	}

	char *save = NULL;
	char *word = strtok_r(entry->buf, " \t", &save);
	int ret = KNOT_EOK;
	if (word == NULL) {
		ret = bad(ctx, KNOT_EINVAL, key, "missing value");
	}
	entry->value = word;
	while (ret == KNOT_EOK && (word = strtok_r(NULL, " \t", &save)) != NULL) {
		char *eq = strchr(word, '=');
		if (eq == NULL || eq == word) {
			ret = bad(ctx, KNOT_EINVAL, key, "invalid attribute '%s' "
			          "(expected NAME=VALUE)", word);
			break;
		}
		*eq = '\0';
		ret = entry_attr(ctx, key, word, eq + 1, entry);
	}
	if (ret != KNOT_EOK) {
		gtm_conf_entry_clear(entry);
	}
	return ret;
}

void gtm_conf_entry_clear(conf_entry_t *entry)
{
	free(entry->buf);
	entry->buf = NULL;
	entry->value = NULL;
}

void gtm_conf_pool_init(gtm_pool_t *pool, size_t line)
{
	*pool = (gtm_pool_t) {
		.policy = GTM_APOL_SEQUENCE, .preempt = true, .min_count = 1,
		.enabled = true, .line = line,
	};
}

void gtm_conf_pool_clear(gtm_pool_t *pool)
{
	free(pool->id);
	for (size_t i = 0; i < pool->addr_count; i++) {
		free(pool->addrs[i].cname);
	}
	free(pool->addrs);
}

static gtm_pool_t *current(conf_ctx_t *ctx)
{
	return &ctx->conf->pools[ctx->conf->pool_count - 1];
}

/*! An address of an address pool: valid and not given twice. */
static int entry_address(conf_ctx_t *ctx, const gtm_pool_t *pool,
                         const conf_entry_t *entry, gtm_addr_t *addr)
{
	if (!gtm_conf_addr(entry->value, &addr->addr)) {
		return bad(ctx, KNOT_EINVAL, K_ADDRESS, "invalid address '%s'", entry->value);
	}
	for (size_t i = 0; i < pool->addr_count; i++) {
		/* Both zeroed except for family and address. */
		if (memcmp(&pool->addrs[i].addr, &addr->addr, sizeof(addr->addr)) == 0) {
			return bad(ctx, KNOT_EEXIST, K_ADDRESS, "duplicate address '%s'",
			           entry->value);
		}
	}
	if (pool->addr_count >= GTM_MAX_ADDRS) {
		return bad(ctx, KNOT_ERANGE, K_ADDRESS, "too many addresses (max %d)",
		           GTM_MAX_ADDRS);
	}
	return KNOT_EOK;
}

/*! A target of a CNAME pool: a domain, no wildcard, not given twice
 *  (same form, ignoring case). */
static int entry_cname(conf_ctx_t *ctx, const gtm_pool_t *pool,
                       const conf_entry_t *entry, gtm_addr_t *addr)
{
	uint8_t key[KNOT_DNAME_MAXLEN + 1], other[KNOT_DNAME_MAXLEN + 1];
	int ret = gtm_conf_name_check(entry->value);
	if (ret == KNOT_ENOTSUP) {
		return bad(ctx, KNOT_EINVAL, K_CNAME, "wildcard cname '%s' not supported",
		           entry->value);
	} else if (ret != KNOT_EOK) {
		return bad(ctx, KNOT_EINVAL, K_CNAME, "invalid cname '%s'", entry->value);
	}
	size_t len = gtm_conf_domain_key(entry->value, key, sizeof(key));
	for (size_t i = 0; i < pool->addr_count; i++) {
		size_t other_len = gtm_conf_domain_key(pool->addrs[i].cname, other,
		                                       sizeof(other));
		if (len == other_len && memcmp(key, other, len) == 0) {
			return bad(ctx, KNOT_EEXIST, K_CNAME, "duplicate cname '%s'",
			           entry->value);
		}
	}
	if (pool->addr_count >= GTM_MAX_ADDRS) {
		return bad(ctx, KNOT_ERANGE, K_CNAME, "too many cname targets (max %d)",
		           GTM_MAX_ADDRS);
	}
	addr->addr = entry->probe;
	addr->cname = strdup(entry->value);
	return (addr->cname == NULL) ? gtm_conf_no_memory(ctx) : KNOT_EOK;
}

/*! 'address' or 'cname': one entry with its attributes. */
static int pool_entry(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	gtm_pool_t *pool = current(ctx);
	key_id_t other = (key == K_ADDRESS) ? K_CNAME : K_ADDRESS;
	if (ctx->seen & KEY_BIT(other)) {
		return bad(ctx, KNOT_EINVAL, key, "not valid together with %s",
		           gtm_conf_keys[other].name);
	}

	conf_entry_t entry;
	int ret = gtm_conf_entry(ctx, key, val, &entry);
	if (ret != KNOT_EOK) {
		return ret;
	}
	gtm_addr_t addr = {
		.weight = entry.weight, .enabled = entry.enabled, .line = ctx->line,
	};
	if (key == K_ADDRESS && entry.has_probe) {
		ret = bad(ctx, KNOT_EINVAL, key, "probe= is only valid in a cname pool");
	} else if (key == K_ADDRESS) {
		ret = entry_address(ctx, pool, &entry, &addr);
	} else {
		ret = entry_cname(ctx, pool, &entry, &addr);
	}
	if (ret == KNOT_EOK) {
		void *grown;
		gtm_addr_t *slot = CONF_APPEND(pool->addrs, pool->addr_count);
		if (slot == NULL) {
			free(addr.cname);
			ret = gtm_conf_no_memory(ctx);
		} else {
			*slot = addr;
			pool->is_cname = (key == K_CNAME);
		}
	}
	if (ret == KNOT_EOK && entry.has_weight && ctx->weight_line == 0) {
		ctx->weight_line = ctx->line;
	}
	if (ret == KNOT_EOK && entry.has_probe && ctx->probe_line == 0) {
		ctx->probe_line = ctx->line;
	}
	gtm_conf_entry_clear(&entry);
	return ret;
}

static int pool_check(conf_ctx_t *ctx, const char *val)
{
	gtm_pool_t *pool = current(ctx);
	if (gtm_conf_has_ref(ctx, REF_POOL_CHECK, val)) {
		return bad(ctx, KNOT_EEXIST, K_CHECK, "duplicate check '%s'", val);
	} else if (pool->check_count >= GTM_MAX_CHECKS) {
		return bad(ctx, KNOT_ERANGE, K_CHECK, "too many checks (max %d)",
		           GTM_MAX_CHECKS);
	}
	return gtm_conf_add_ref(ctx, REF_POOL_CHECK, ctx->conf->pool_count - 1,
	                        pool->check_count++, val);
}

/*! 'check-rule': all (check_need 0 until the item ends), any, or N. */
static int pool_check_rule(conf_ctx_t *ctx, const char *val, gtm_pool_t *pool)
{
	uint64_t num;
	if (strcasecmp(val, "all") == 0) {
		pool->check_need = 0;
	} else if (strcasecmp(val, "any") == 0) {
		pool->check_need = 1;
	} else if (gtm_conf_number(val, 0, UINT64_MAX, &num) == KNOT_EINVAL) {
		return bad(ctx, KNOT_EINVAL, K_CHECK_RULE, "invalid check-rule '%s' "
		           "(expected all, any or a number)", val);
	} else {
		int ret = gtm_conf_get_number(ctx, K_CHECK_RULE, val, 1, GTM_MAX_CHECKS, &num);
		pool->check_need = num;
		return ret;
	}
	return KNOT_EOK;
}

static int pool_policy(conf_ctx_t *ctx, const char *val, gtm_pool_t *pool)
{
	for (size_t i = 0; i < POLICY_COUNT; i++) {
		if (strcasecmp(val, policy_names[i]) == 0) {
			pool->policy = i;
			return KNOT_EOK;
		}
	}
	return bad(ctx, KNOT_EINVAL, K_POLICY, "invalid policy '%s' "
	           "(expected sequence, round-robin, weighted or all)", val);
}

int gtm_conf_pool_key(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	gtm_pool_t *pool = current(ctx);
	uint64_t num = 0;
	int ret;

	switch (key) {
	case K_ADDRESS:
	case K_CNAME:
		return pool_entry(ctx, key, val);
	case K_CHECK:
		return pool_check(ctx, val);
	case K_CHECK_RULE:
		return pool_check_rule(ctx, val, pool);
	case K_POLICY:
		return pool_policy(ctx, val, pool);
	case K_PREEMPT:
		return gtm_conf_get_bool(ctx, key, val, &pool->preempt);
	case K_MAX_ANSWERS:
		ret = gtm_conf_get_number(ctx, key, val, 1, GTM_MAX_ADDRS, &num);
		pool->max_answers = num;
		return ret;
	case K_MIN_AVAILABLE:
		ret = gtm_conf_min_available(val, &pool->min_count, &pool->min_percent);
		if (ret == KNOT_EINVAL) {
			return bad(ctx, ret, key, "invalid min-available '%s' "
			           "(expected N or N%%)", val);
		} else if (ret != KNOT_EOK) {
			return bad(ctx, ret, key, "value %s out of range 1-%d or 1%%-100%%",
			           val, GTM_MAX_ADDRS);
		}
		return KNOT_EOK;
	case K_FAILBACK:
		return gtm_conf_get_duration(ctx, key, val, 0, DAY_MS, &pool->failback_ms);
	case K_POOL_ENABLED:
		return gtm_conf_get_bool(ctx, key, val, &pool->enabled);
	default:
		return KNOT_EINVAL;
	}
}

/*! Reports an error of a key given in the current item, at its line. */
#define bad_at(ctx, ret, line, key, ...) \
	gtm_conf_report((ctx), (ret), (line), gtm_conf_keys[key].name, __VA_ARGS__)

/*
 * Rules between the keys of a pool (once the item was read):
 *
 *   condition                                 result (at the line of)
 *   ----------------------------------------  ----------------------------------
 *   no address and no cname                   EINVAL "no address or cname" (id)
 *   check-rule without check                  EINVAL "not valid without check"
 *   check-rule N above the number of checks   ERANGE "check-rule N exceeds ..."
 *   max-answers in a cname pool               EINVAL "not valid in a cname pool"
 *   preempt with a policy other than sequence EINVAL "not valid with policy P"
 *   weight= with a policy other than weighted EINVAL (first entry with weight=)
 *   probe= without check                      EINVAL (first entry with probe=)
 *   otherwise                                 defaults: max-answers 1 for
 *       sequence and weighted, else 0 (no limit); check-rule all = checks
 */
int gtm_conf_pool_finish(conf_ctx_t *ctx)
{
	gtm_pool_t *pool = current(ctx);
	key_id_t entries = pool->is_cname ? K_CNAME : K_ADDRESS;

	if (pool->addr_count == 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL,
		                       "no address or cname");
	}
	if ((ctx->seen & KEY_BIT(K_CHECK_RULE)) && pool->check_count == 0) {
		return bad_at(ctx, KNOT_EINVAL, ctx->key_line[K_CHECK_RULE], K_CHECK_RULE,
		              "not valid without check");
	}
	if (pool->check_need > pool->check_count) {
		return bad_at(ctx, KNOT_ERANGE, ctx->key_line[K_CHECK_RULE], K_CHECK_RULE,
		              "check-rule %u exceeds the number of checks (%zu)",
		              pool->check_need, pool->check_count);
	}
	if ((ctx->seen & KEY_BIT(K_MAX_ANSWERS)) && pool->is_cname) {
		return bad_at(ctx, KNOT_EINVAL, ctx->key_line[K_MAX_ANSWERS], K_MAX_ANSWERS,
		              "not valid in a cname pool (one target answers)");
	}
	if ((ctx->seen & KEY_BIT(K_PREEMPT)) && pool->policy != GTM_APOL_SEQUENCE) {
		return bad_at(ctx, KNOT_EINVAL, ctx->key_line[K_PREEMPT], K_PREEMPT,
		              "not valid with policy %s", policy_names[pool->policy]);
	}
	if (ctx->weight_line != 0 && pool->policy != GTM_APOL_WEIGHTED) {
		return bad_at(ctx, KNOT_EINVAL, ctx->weight_line, entries,
		              "weight= needs policy weighted");
	}
	if (ctx->probe_line != 0 && pool->check_count == 0) {
		return bad_at(ctx, KNOT_EINVAL, ctx->probe_line, entries,
		              "probe= needs a check");
	}

	if (!(ctx->seen & KEY_BIT(K_MAX_ANSWERS))) {
		pool->max_answers = (pool->policy == GTM_APOL_SEQUENCE ||
		                     pool->policy == GTM_APOL_WEIGHTED) ? 1 : 0;
	}
	if (pool->check_need == 0) {
		pool->check_need = pool->check_count;
	}
	return KNOT_EOK;
}
