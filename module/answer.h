/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Query-time answer: select a prepared answer and put it in the packet.
 */

#pragma once

#include <knot/module.h>

#include "select.h"
#include "table.h"

/*! What answered a query, for the statistics. */
typedef struct {
	gtm_outcome_t outcome;       /*!< GTM_OUT_PASS: the module did nothing. */
	const gtm_entry_t *entry;    /*!< Name answered, or NULL. */
	const gtm_fpool_t *pool;     /*!< Pool answered, or NULL. */
	int cand;                    /*!< First candidate answered, or -1. */
	bool stale;                  /*!< Decided on stale health (watchdog). */
} gtm_answered_t;

/*!
 * Answers a query for a GTM name at the pre-answer stage.
 *
 * Lock-free: one RCU read of the health snapshot, atomic loads (and rare
 * stores) of remembered choices, no allocation on the heap (several
 * addresses are joined in the query's memory pool), no syscall.
 *
 * Truth table (qtype, decision -> state):
 *   not A/AAAA/CNAME, unknown name, family not served -> state (zone answers)
 *   CNAME qtype and the decision is not a CNAME   -> state (zone answers)
 *   addresses                                     -> HIT
 *   CNAME, qtype CNAME                            -> HIT
 *   CNAME to a GTM name of the table              -> HIT (its answer appended)
 *   CNAME to another name                         -> FOLLOW (Knot continues
 *       the chain in the zone from qdata->name)
 *   all-down static                               -> state (zone answers)
 *   all-down nodata                               -> HIT, and the answer
 *       stage turns it into NODATA (gtm_answer_chain)
 *   all-down servfail                             -> ERROR (rcode SERVFAIL)
 *   packet full                                   -> TRUNC
 *
 * \param[in]  table    Name table of the instance.
 * \param[in]  state    Current state.
 * \param[in]  pkt      Response packet.
 * \param[in]  qdata    Query data.
 * \param[out] done     What was done (outcome GTM_OUT_PASS: nothing).
 *
 * \return New state.
 */
knotd_in_state_t gtm_answer_query(const gtm_table_t *table, knotd_in_state_t state,
                                  knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  gtm_answered_t *done);

/*!
 * Answer stage: completes a chain that ended at a GTM name.
 *
 * When the zone answered a CNAME chain (e.g. 'www CNAME gtm') whose last
 * name is a GTM name, the static records of that name at the end of the
 * answer section are replaced by the GTM answer. Also finishes an all-down
 * 'nodata' decided at the pre-answer stage.
 *
 * Truth table:
 *   nodata pending for this packet              -> NODATA
 *   qdata->name is the query name, or not a GTM name, or the state is not
 *       HIT/NODATA/MISS, or qtype not A/AAAA   -> state
 *   the GTM name's records are not all at the end of the answer section
 *       (e.g. RRSIGs after them)                -> state
 *   decision static                             -> state
 *   otherwise -> the name's records removed, the GTM answer put: HIT,
 *       NODATA, ERROR (servfail) or TRUNC
 */
knotd_in_state_t gtm_answer_chain(const gtm_table_t *table, knotd_in_state_t state,
                                  knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  gtm_answered_t *done);
