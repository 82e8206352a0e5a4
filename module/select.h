/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The decision for one name and family: which list, pool and
 *        candidates answer, or what all-down answers; optionally with a
 *        readable trace of every decision.
 *
 * Shared by the query path, the prober's name evaluation (state file,
 * alerts) and the gtm-explain tool, so that all three give the same answer.
 * No knotd calls: the caller supplies health (a view) and the client.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "table.h"
#include "topology.h"

/*! What the module did with a query (statistics index). */
typedef enum {
	GTM_OUT_FIRST = 0,      /*!< Answered with the first choice. */
	GTM_OUT_FAILOVER,       /*!< Answered with a later choice. */
	GTM_OUT_ALL_DOWN,       /*!< All down, answered by the all-down policy. */
	GTM_OUT_STATIC,         /*!< All down, the zone's own records answer. */
	GTM_OUT_PASS,           /*!< Not managed (name, type or family). */
	GTM_OUT_COUNT
} gtm_outcome_t;

/*! Lower-case statistics name of an outcome. */
const char *gtm_outcome_str(gtm_outcome_t outcome);

/*! Kinds of decisions. */
typedef enum {
	GTM_ANS_PASS = 0,   /*!< The zone answers. */
	GTM_ANS_RRSET,      /*!< Addresses. */
	GTM_ANS_CNAME,      /*!< One CNAME. */
	GTM_ANS_NODATA,     /*!< No answer, zone SOA in authority. */
	GTM_ANS_SERVFAIL,   /*!< SERVFAIL. */
} gtm_ans_kind_t;

/*! What answers one name and family. */
typedef struct {
	gtm_ans_kind_t kind;
	gtm_outcome_t outcome;
	bool degraded;               /*!< Use ttl-degraded. */
	bool all_down;               /*!< No pool was eligible. */
	const gtm_fpool_t *pool;     /*!< Candidates from this pool ... */
	uint16_t idx[GTM_MAX_ADDRS]; /*!< ... these, in answer order, */
	size_t count;
	const knot_rrset_t *fixed;   /*!< ... or this prepared answer. */
	int rule;                    /*!< Topology rule used, -1: the name's list. */
	uint8_t scope;               /*!< ECS scope of the topology match. */
	bool stale;                  /*!< Decided on stale health (watchdog). */
} gtm_decision_t;

/*! Readable trace of a decision ("; "-separated steps), NULL: none. */
typedef struct {
	char *buf;
	size_t len;
	size_t pos;
} gtm_trace_t;

/*!
 * Decides the answer of a name and family.
 *
 * \param[in]  entry   Name.
 * \param[in]  fam     GTM_FAM_A or GTM_FAM_AAAA.
 * \param[in]  view    Health and time.
 * \param[in]  client  Client for topology (NULL: the name's own list).
 * \param[in]  commit  Store remembered choices (query path only).
 * \param[out] d       Decision.
 * \param[out] trace   Trace (may be NULL).
 */
void gtm_select(const gtm_entry_t *entry, int fam, const gtm_view_t *view,
                const gtm_client_t *client, bool commit, gtm_decision_t *d,
                gtm_trace_t *trace);

/*!
 * Formats the answer of a decision: addresses separated by spaces, or the
 * CNAME target ("" for PASS, NODATA, SERVFAIL).
 */
void gtm_decision_answer(const gtm_decision_t *d, char *out, size_t len);
