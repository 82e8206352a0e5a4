/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Operations: process-wide settings (state file, overrides,
 *        Prometheus, webhook, watchdog) and what the prober learns about
 *        GTM names from the instances.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <knot/module.h>

#include "policy.h"

/*! What the watchdog does when the health state is stale. */
typedef enum {
	GTM_STALE_KEEP = 0,   /*!< Answer from the last state. */
	GTM_STALE_STATIC,     /*!< Let the zone answer. */
} gtm_stale_policy_t;

/*! Process-wide operations settings (knot.conf mod-gtm options). */
typedef struct {
	const char *state_file;      /*!< JSON state, NULL: none. */
	uint32_t state_interval_ms;  /*!< Rewrite at least this often (default 5 s). */
	uint32_t state_max_age_ms;   /*!< Warm restart age limit (default 5 min). */
	const char *admin_file;      /*!< Overrides file, NULL: none. */
	const char *prometheus_file; /*!< Prometheus textfile, NULL: none. */
	const char *webhook_url;     /*!< Alert webhook, NULL: none. */
	uint32_t webhook_timeout_ms; /*!< Per attempt (default 5 s). */
	uint32_t stale_after_ms;     /*!< Watchdog threshold, 0: automatic. */
	gtm_stale_policy_t stale_policy; /*!< Default keep. */
} gtm_ops_conf_t;

/*!
 * Applies the operations settings of a loading instance (strings copied).
 *
 * Called by every load after gtm_registry_acquire(); the latest call wins;
 * a different non-empty path than the previous instance's is logged once.
 * The first call in the process also loads the warm-restart state.
 */
void gtm_registry_configure(const gtm_ops_conf_t *conf, knotd_mod_t *mod);

/*! Kind of a name's current answer. */
typedef enum {
	GTM_EVAL_ADDRESS = 0, /*!< Addresses of a pool. */
	GTM_EVAL_CNAME,       /*!< A CNAME of a pool. */
	GTM_EVAL_ALL_DOWN,    /*!< An all-down answer by the module. */
	GTM_EVAL_STATIC,      /*!< The zone's records. */
	GTM_EVAL_NODATA,      /*!< All down, nodata. */
	GTM_EVAL_SERVFAIL,    /*!< All down, servfail. */
} gtm_eval_kind_t;

/*! Lower-case name of an evaluation kind ("address", "all-down", ...). */
const char *gtm_eval_kind_str(gtm_eval_kind_t kind);

/*! Answer outcomes counted per name (index of gtm_name_eval_t.answers). */
enum {
	GTM_EVAL_OUT_FIRST = 0,
	GTM_EVAL_OUT_FAILOVER,
	GTM_EVAL_OUT_ALL_DOWN,
	GTM_EVAL_OUT_STATIC,
	GTM_EVAL_OUT_COUNT
};

/*! A GTM name's current answer for its default client, and why. */
typedef struct {
	const char *name;        /*!< Owner, absolute text. */
	const char *zone;        /*!< Zone, absolute text. */
	const char *family;      /*!< "A" or "AAAA". */
	gtm_eval_kind_t kind;
	const char *answer;      /*!< Space-separated addresses or the CNAME
	                              target ("" for static/nodata/servfail). */
	const char *pool;        /*!< Pool id answering, or "". */
	bool degraded;           /*!< Not the first choice. */
	bool all_down;           /*!< No pool eligible. */
	const char *why;         /*!< One line: the decisions taken. */
	uint64_t answers[GTM_EVAL_OUT_COUNT]; /*!< Query answers by outcome since
	                                          the instance was loaded. */
} gtm_name_eval_t;

/*! Callback of gtm_tables_eval() (called with a lock held: no registry calls). */
typedef void (*gtm_name_eval_cb)(const gtm_name_eval_t *eval, void *ctx);

/*!
 * Evaluates every name (and served family) of every loaded instance under
 * a health view, with the instance's own selection code and no client
 * (topology: the name's own pool list). Called by the prober thread.
 */
void gtm_tables_eval(const gtm_view_t *view, gtm_name_eval_cb cb, void *ctx);

/*!
 * Watchdog check from the query path (lock-free).
 *
 * \param[in] mod     Instance (for the one-time log lines).
 * \param[in] now_ms  gtm_now_ms().
 * \param[in] published_ms  Publication time of the snapshot in use.
 *
 * \return True if the state is stale (logged once per stale period).
 */
bool gtm_watchdog_stale(knotd_mod_t *mod, uint64_t now_ms, uint64_t published_ms);

/*! Current stale policy (lock-free read). */
gtm_stale_policy_t gtm_watchdog_policy(void);

/*! Sets the watchdog threshold and policy (from gtm_registry_configure()). */
void gtm_watchdog_set(uint32_t stale_after_ms, gtm_stale_policy_t policy);

/*! Number of stale periods seen since process start (lock-free read). */
uint64_t gtm_watchdog_stale_count(void);

/*!
 * Starts counting the probe results of an instance's targets in its
 * statistics counter ctr_id (index 0 success, 1 failure), from the prober
 * thread with knotd_mod_stats_incr(mod, 0, ...). Called by load() once the
 * counter is registered; references dropped at unload stop it.
 */
void gtm_registry_count_probes(knotd_mod_t *mod, uint32_t ctr_id);
