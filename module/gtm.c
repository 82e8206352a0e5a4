/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief mod-gtm: module glue (schema, check, load/unload, query hook).
 *
 * An instance is created per zone on every load and reload; health and
 * probing live in the process-wide registry, so they survive reloads.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <knot/module.h>

#include "answer.h"
#include "conf.h"
#include "counters.h"
#include "geo.h"
#include "ops.h"
#include "probe.h"
#include "registry.h"
#include "table.h"
#include "tables.h"

#define MOD_CONFIG_FILE	"\x0B""config-file"
#define MOD_ENABLED	"\x07""enabled"
#define MOD_GEODB_FILE	"\x0A""geodb-file"
#define MOD_STATE_FILE	"\x0A""state-file"
#define MOD_STATE_IVAL	"\x0E""state-interval"
#define MOD_STATE_AGE	"\x0D""state-max-age"
#define MOD_ADMIN_FILE	"\x0A""admin-file"
#define MOD_PROM_FILE	"\x0F""prometheus-file"
#define MOD_HOOK_URL	"\x0B""webhook-url"
#define MOD_HOOK_TIME	"\x0F""webhook-timeout"
#define MOD_STALE_AFTER	"\x0B""stale-after"
#define MOD_STALE_POL	"\x0C""stale-policy"

static const knot_lookup_t stale_policies[] = {
	{ GTM_STALE_KEEP,   "keep" },
	{ GTM_STALE_STATIC, "static" },
	{ 0, NULL }
};

static const yp_item_t gtm_mod_conf[] = {
	{ MOD_CONFIG_FILE, YP_TSTR,  YP_VNONE },
	{ MOD_ENABLED,     YP_TBOOL, YP_VBOOL = { true } },
	{ MOD_GEODB_FILE,  YP_TSTR,  YP_VNONE },
	{ MOD_STATE_FILE,  YP_TSTR,  YP_VNONE },
	{ MOD_STATE_IVAL,  YP_TINT,  YP_VINT = { 1, 3600, 5, YP_STIME } },
	{ MOD_STATE_AGE,   YP_TINT,  YP_VINT = { 0, 7 * 86400, 300, YP_STIME } },
	{ MOD_ADMIN_FILE,  YP_TSTR,  YP_VNONE },
	{ MOD_PROM_FILE,   YP_TSTR,  YP_VNONE },
	{ MOD_HOOK_URL,    YP_TSTR,  YP_VNONE },
	{ MOD_HOOK_TIME,   YP_TINT,  YP_VINT = { 1, 300, 5, YP_STIME } },
	{ MOD_STALE_AFTER, YP_TINT,  YP_VINT = { 0, 86400, 0, YP_STIME } },
	{ MOD_STALE_POL,   YP_TOPT,  YP_VOPT = { stale_policies, GTM_STALE_KEEP } },
	{ NULL }
};

/*! Statistics counters (registration order). */
enum {
	CTR_ANSWERS = 0,
	CTR_NAME,
	CTR_POOL,
	CTR_ADDR,
	CTR_WATCHDOG,
	CTR_PROBES,
};

static char *outcome_idx_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return strdup(gtm_outcome_str((gtm_outcome_t)idx));
}

static char *watchdog_idx_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return strdup((idx == 0) ? "stale" : "stale-static");
}

static char *probes_idx_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return strdup((idx == 0) ? "success" : "failure");
}

/*! A string option, NULL when not set or empty. */
static const char *conf_str(knotd_mod_t *mod, const yp_name_t *item)
{
	knotd_conf_t val = knotd_conf_mod(mod, item);
	return (val.count > 0 && val.single.string[0] != '\0') ?
	       val.single.string : NULL;
}

/*! Passes the process-wide operations settings to the registry. */
static void ops_configure(knotd_mod_t *mod)
{
	gtm_ops_conf_t ops = {
		.state_file = conf_str(mod, MOD_STATE_FILE),
		.state_interval_ms = 1000 * knotd_conf_mod(mod, MOD_STATE_IVAL).single.integer,
		.state_max_age_ms = 1000 * knotd_conf_mod(mod, MOD_STATE_AGE).single.integer,
		.admin_file = conf_str(mod, MOD_ADMIN_FILE),
		.prometheus_file = conf_str(mod, MOD_PROM_FILE),
		.webhook_url = conf_str(mod, MOD_HOOK_URL),
		.webhook_timeout_ms = 1000 * knotd_conf_mod(mod, MOD_HOOK_TIME).single.integer,
		.stale_after_ms = 1000 * knotd_conf_mod(mod, MOD_STALE_AFTER).single.integer,
		.stale_policy = knotd_conf_mod(mod, MOD_STALE_POL).single.option,
	};
	gtm_registry_configure(&ops, mod);
}

/*! Registers the statistics counters; the per-name ones are sized by the
 *  interned names of every instance so far (indices are process-wide). */
static int stats_add(knotd_mod_t *mod)
{
	int ret = knotd_mod_stats_add(mod, "answers", GTM_OUT_PASS, outcome_idx_str);
	if (ret == KNOT_EOK) {
		ret = knotd_mod_stats_add(mod, "name", gtm_counter_count(GTM_CTR_NAME),
		                          gtm_counter_name_str);
	}
	if (ret == KNOT_EOK) {
		ret = knotd_mod_stats_add(mod, "pool", gtm_counter_count(GTM_CTR_POOL),
		                          gtm_counter_pool_str);
	}
	if (ret == KNOT_EOK) {
		ret = knotd_mod_stats_add(mod, "address", gtm_counter_count(GTM_CTR_ADDR),
		                          gtm_counter_addr_str);
	}
	if (ret == KNOT_EOK) {
		/* Two indices, so that Knot prints "watchdog[stale]". */
		ret = knotd_mod_stats_add(mod, "watchdog", 2, watchdog_idx_str);
	}
	if (ret == KNOT_EOK) {
		ret = knotd_mod_stats_add(mod, "probes", 2, probes_idx_str);
	}
	return ret;
}

/*! The topology rule holding the line of the first GeoIP key in use. */
static const gtm_topo_t *geo_rule(const gtm_conf_t *conf)
{
	const gtm_topo_t *rule = NULL;
	for (size_t i = 0; i < conf->topo_count; i++) {
		const gtm_topo_t *t = &conf->topos[i];
		if (t->line <= conf->geo_line && (rule == NULL || t->line > rule->line)) {
			rule = t;
		}
	}
	return rule;
}

/*!
 * Checks that GeoIP rules can be served: built with libmaxminddb and a
 * readable 'geodb-file'. Opens the database into *geo when asked.
 */
static int geo_open(const gtm_conf_t *conf, const char *path, gtm_geo_t **geo,
                    char *err, size_t err_len)
{
	if (conf->geo_line == 0) {
		return KNOT_EOK; /* No country/continent rule in use. */
	}
	const gtm_topo_t *rule = geo_rule(conf);
	const char *id = (rule != NULL) ? rule->id : "";
	const char *key = (rule != NULL && rule->country_count == 0) ?
	                  "continent" : "country";
	if (!gtm_geo_available()) {
		(void)snprintf(err, err_len, "%s:%zu: topology[%s].%s: needs a module "
		               "built with libmaxminddb", conf->file, conf->geo_line,
		               id, key);
		return KNOT_ENOTSUP;
	}
	if (path == NULL) {
		(void)snprintf(err, err_len, "%s:%zu: topology[%s].%s: needs "
		               "'geodb-file' in the mod-gtm configuration", conf->file,
		               conf->geo_line, id, key);
		return KNOT_EINVAL;
	}
	gtm_geo_t *db = NULL;
	char why[256] = "";
	int ret = gtm_geo_open(path, &db, why, sizeof(why));
	if (ret != KNOT_EOK) {
		(void)snprintf(err, err_len, "geodb-file: %s", why);
		return ret;
	}
	if (geo != NULL) {
		*geo = db;
	} else {
		gtm_geo_close(db);
	}
	return KNOT_EOK;
}

static int geo_check(const gtm_conf_t *conf, const char *path, char *err,
                     size_t err_len)
{
	return geo_open(conf, path, NULL, err, err_len);
}

static int gtm_conf_check(knotd_conf_check_args_t *args)
{
	static char err[GTM_CONF_ERR_LEN];

	knotd_conf_t file = knotd_conf_check_item(args, MOD_CONFIG_FILE);
	if (file.count == 0) {
		args->err_str = "no config-file specified";
		return KNOT_EINVAL;
	}

	gtm_conf_t *conf = NULL;
	int ret = gtm_conf_parse(file.single.string, &conf, err, sizeof(err));
	if (ret == KNOT_EOK) {
		knotd_conf_t geodb = knotd_conf_check_item(args, MOD_GEODB_FILE);
		ret = geo_check(conf, geodb.count ? geodb.single.string : NULL,
		                err, sizeof(err));
	}
	gtm_conf_free(conf);
	if (ret != KNOT_EOK) {
		args->err_str = err;
	}
	return ret;
}

/*! Counts what answered a query (no shared writes but Knot's atomics). */
static void count(knotd_mod_t *mod, knotd_qdata_t *qdata, const gtm_answered_t *done)
{
	if (done->outcome == GTM_OUT_PASS) {
		return;
	}
	unsigned thr = qdata->params->thread_id;
	const gtm_table_t *table = knotd_mod_ctx(mod);
	knotd_mod_stats_incr(mod, thr, CTR_ANSWERS, done->outcome, 1);
	if (done->stale) {
		knotd_mod_stats_incr(mod, thr, CTR_WATCHDOG, 0, 1);
		if (gtm_watchdog_policy() == GTM_STALE_STATIC) {
			knotd_mod_stats_incr(mod, thr, CTR_WATCHDOG, 1, 1);
		}
	}
	if (done->entry == NULL) {
		return;
	}
	if (done->entry->ctr < table->ctr_names) {
		knotd_mod_stats_incr(mod, thr, CTR_NAME, done->entry->ctr, 1);
	}
	if (table->answers != NULL && thr < table->threads) {
		size_t e = done->entry - table->entries;
		table->answers[((size_t)thr * table->count + e) * GTM_EVAL_OUT_COUNT +
		               done->outcome]++;
	}
	if (done->pool != NULL && done->pool->ctr < table->ctr_pools) {
		knotd_mod_stats_incr(mod, thr, CTR_POOL, done->pool->ctr, 1);
	}
	if (done->pool != NULL && done->cand >= 0 &&
	    done->pool->ctr_cands[done->cand] < table->ctr_addrs) {
		knotd_mod_stats_incr(mod, thr, CTR_ADDR,
		                     done->pool->ctr_cands[done->cand], 1);
	}
}

static knotd_in_state_t gtm_process(knotd_in_state_t state, knot_pkt_t *pkt,
                                    knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	/* Already answered by another module. */
	if (state == KNOTD_IN_STATE_HIT || state == KNOTD_IN_STATE_FOLLOW) {
		return state;
	}

	gtm_answered_t done;
	state = gtm_answer_query(knotd_mod_ctx(mod), state, pkt, qdata, &done);
	count(mod, qdata, &done);
	return state;
}

static knotd_in_state_t gtm_process_chain(knotd_in_state_t state, knot_pkt_t *pkt,
                                          knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	gtm_answered_t done;
	state = gtm_answer_chain(knotd_mod_ctx(mod), state, pkt, qdata, &done);
	count(mod, qdata, &done);
	return state;
}

static int gtm_load(knotd_mod_t *mod)
{
	knotd_conf_t enabled = knotd_conf_mod(mod, MOD_ENABLED);
	if (!enabled.single.boolean) {
		knotd_mod_log(mod, LOG_INFO, "disabled, the zone's records answer");
		return KNOT_EOK;
	}

	char err[GTM_CONF_ERR_LEN];
	knotd_conf_t file = knotd_conf_mod(mod, MOD_CONFIG_FILE);
	gtm_conf_t *conf = NULL;
	int ret = gtm_conf_parse(file.single.string, &conf, err, sizeof(err));
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "%s", err);
		return ret;
	}

	char icmp_hint[256];
	if (gtm_probe_icmp_denied(conf, icmp_hint, sizeof(icmp_hint))) {
		knotd_mod_log(mod, LOG_WARNING, "%s", icmp_hint);
	}

	ret = gtm_registry_acquire();
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "failed to start prober (%s)",
		              knot_strerror(ret));
		gtm_conf_free(conf);
		return ret;
	}
	ops_configure(mod);

	gtm_geo_t *geo = NULL;
	knotd_conf_t geodb = knotd_conf_mod(mod, MOD_GEODB_FILE);
	ret = geo_open(conf, geodb.count ? geodb.single.string : NULL, &geo,
	               err, sizeof(err));
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "%s", err);
		gtm_conf_free(conf);
		gtm_registry_release();
		return ret;
	}

	gtm_table_t *table = NULL;
	ret = gtm_table_build(conf, mod, &table);
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "failed to prepare names (%s)",
		              knot_strerror(ret));
		gtm_geo_close(geo);
		gtm_conf_free(conf);
		gtm_registry_release();
		return ret;
	}
	table->geo = geo;
	table->threads = knotd_mod_threads(mod);
	table->answers = calloc((size_t)table->threads * table->count + 1,
	                        GTM_EVAL_OUT_COUNT * sizeof(*table->answers));
	table->ctr_names = gtm_counter_count(GTM_CTR_NAME);
	table->ctr_pools = gtm_counter_count(GTM_CTR_POOL);
	table->ctr_addrs = gtm_counter_count(GTM_CTR_ADDR);
	knotd_mod_ctx_set(mod, table);

	ret = (table->answers == NULL) ? KNOT_ENOMEM : stats_add(mod);
	if (ret == KNOT_EOK) {
		gtm_registry_count_probes(mod, CTR_PROBES);
		ret = gtm_tables_add(table);
	}
	if (ret == KNOT_EOK) {
		ret = knotd_mod_in_hook(mod, KNOTD_STAGE_PREANSWER, gtm_process);
	}
	if (ret == KNOT_EOK) {
		ret = knotd_mod_in_hook(mod, KNOTD_STAGE_ANSWER, gtm_process_chain);
	}
	if (ret != KNOT_EOK) {
		gtm_tables_remove(table);
		gtm_table_free(table);
		knotd_mod_ctx_set(mod, NULL);
		gtm_registry_release();
		return ret;
	}

	knotd_mod_log(mod, LOG_INFO, "loaded %zu names from %s", table->count,
	              file.single.string);
	return KNOT_EOK;
}

static void gtm_unload(knotd_mod_t *mod)
{
	gtm_table_t *table = knotd_mod_ctx(mod);
	if (table == NULL) {
		return; /* Disabled instance. */
	}
	gtm_tables_remove(table);
	gtm_table_free(table);
	knotd_mod_ctx_set(mod, NULL);
	gtm_registry_release();
}

KNOTD_MOD_API(gtm, KNOTD_MOD_FLAG_SCOPE_ZONE, gtm_load, gtm_unload,
              gtm_mod_conf, gtm_conf_check);
