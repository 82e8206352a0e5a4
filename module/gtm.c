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
#include "geo.h"
#include "probe.h"
#include "registry.h"
#include "table.h"

#define MOD_CONFIG_FILE	"\x0B""config-file"
#define MOD_ENABLED	"\x07""enabled"
#define MOD_GEODB_FILE	"\x0A""geodb-file"

static const yp_item_t gtm_mod_conf[] = {
	{ MOD_CONFIG_FILE, YP_TSTR,  YP_VNONE },
	{ MOD_ENABLED,     YP_TBOOL, YP_VBOOL = { true } },
	{ MOD_GEODB_FILE,  YP_TSTR,  YP_VNONE },
	{ NULL }
};

/*! Statistics counters (registration order). */
enum {
	CTR_ANSWERS = 0,
};

static char *outcome_idx_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return strdup(gtm_outcome_str((gtm_outcome_t)idx));
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

static void count(knotd_mod_t *mod, knotd_qdata_t *qdata, gtm_outcome_t outcome)
{
	if (outcome != GTM_OUT_PASS) {
		knotd_mod_stats_incr(mod, qdata->params->thread_id, CTR_ANSWERS,
		                     outcome, 1);
	}
}

static knotd_in_state_t gtm_process(knotd_in_state_t state, knot_pkt_t *pkt,
                                    knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	/* Already answered by another module. */
	if (state == KNOTD_IN_STATE_HIT || state == KNOTD_IN_STATE_FOLLOW) {
		return state;
	}

	gtm_outcome_t outcome;
	state = gtm_answer_query(knotd_mod_ctx(mod), state, pkt, qdata, &outcome);
	count(mod, qdata, outcome);
	return state;
}

static knotd_in_state_t gtm_process_chain(knotd_in_state_t state, knot_pkt_t *pkt,
                                          knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	gtm_outcome_t outcome;
	state = gtm_answer_chain(knotd_mod_ctx(mod), state, pkt, qdata, &outcome);
	count(mod, qdata, outcome);
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
	knotd_mod_ctx_set(mod, table);

	ret = knotd_mod_stats_add(mod, "answers", GTM_OUT_PASS, outcome_idx_str);
	if (ret == KNOT_EOK) {
		ret = knotd_mod_in_hook(mod, KNOTD_STAGE_PREANSWER, gtm_process);
	}
	if (ret == KNOT_EOK) {
		ret = knotd_mod_in_hook(mod, KNOTD_STAGE_ANSWER, gtm_process_chain);
	}
	if (ret != KNOT_EOK) {
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
	gtm_table_free(table);
	knotd_mod_ctx_set(mod, NULL);
	gtm_registry_release();
}

KNOTD_MOD_API(gtm, KNOTD_MOD_FLAG_SCOPE_ZONE, gtm_load, gtm_unload,
              gtm_mod_conf, gtm_conf_check);
