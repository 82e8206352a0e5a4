/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Operations internals shared by ops_state.c, override.c, names.c
 *        and prom.c (the prober thread's reports).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"
#include "ops_fmt.h"
#include "registry_int.h"

/*! Default state-interval. */
#define GTM_STATE_INTERVAL_MS	5000
/*! Smallest automatic watchdog threshold. */
#define GTM_STALE_MIN_MS	5000
/*! Webhook errors are logged at most this often (after the first). */
#define GTM_HOOK_LOG_MS		60000
/*! A removed target stays among the targets of the state file this long. */
#define GTM_LINGER_MS		10000
/*! Removed targets remembered for a restart, at most. */
#define GTM_RETIRED_MAX		65536

/*! One name and family of one evaluation (strings owned). */
typedef struct {
	char *name;
	char *zone;
	char *family;
	char *answer;
	char *pool;
	char *why;
	gtm_eval_kind_t kind;
	bool degraded;
	bool all_down;
	uint64_t answers[GTM_EVAL_OUT_COUNT];
	size_t order;               /*!< Position in the evaluation. */
} gtm_name_rec_t;

/*! The names of one evaluation, sorted by zone, name, family; unique. */
typedef struct {
	gtm_name_rec_t *v;
	size_t count;
	size_t cap;
	bool failed;                /*!< Out of memory: incomplete. */
} gtm_names_t;

/*!
 * Evaluates every name under a snapshot (without the registry lock) and
 * keeps, of several instances serving the same name (a reload), the first
 * evaluated (gtm_tables_eval() lists the newest first).
 */
void gtm_names_eval(const gtm_health_snap_t *snap, gtm_names_t *out);

/*! Frees an evaluation. */
void gtm_names_free(gtm_names_t *names);

/*!
 * Logs and sends the all-down changes of the names against the previous
 * evaluation, and remembers the flags (lock held).
 */
void gtm_names_alerts(const gtm_names_t *names);

/*! Appends the lines of the "names" array of the state file. */
void gtm_names_json(gtm_sbuf_t *b, const gtm_names_t *names);

/*! Appends the target metrics of the Prometheus file (lock held). */
void gtm_prom_targets(gtm_sbuf_t *b);

/*! What the rest of the Prometheus file says. */
typedef struct {
	uint64_t published_wall_ms;  /*!< Last publication, 0: none. */
	uint64_t written_wall_ms;    /*!< This write. */
	bool stale;                  /*!< Not published for stale-after. */
} gtm_prom_info_t;

/*!
 * Appends the name, prober, webhook and file metrics (without the lock).
 */
void gtm_prom_rest(gtm_sbuf_t *b, const gtm_names_t *names,
                   const gtm_prom_info_t *info);

/*! Watchdog threshold from the settings and the targets (lock held). */
uint32_t gtm_ops_stale_after(void);

/*! Logs a webhook delivery error if there is one and it is time (lock held). */
void gtm_ops_hook_errors(void);

/*! Loads the state file of the previous run (first configure only; warm.c). */
void gtm_warm_load(gtm_ops_t *ops, knotd_mod_t *mod);

/*! Starts a target without a result in its saved state, if any (warm.c). */
void gtm_warm_apply(gtm_ops_t *ops, gtm_target_t *t, uint64_t wall);

/*! Drops the references of restored memos; an instance holds its own (warm.c). */
void gtm_warm_memos_release(gtm_ops_t *ops);
