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

#include "table.h"

/*! What the module did with a query (statistics index). */
typedef enum {
	GTM_OUT_FIRST = 0,      /*!< Answered with the first choice. */
	GTM_OUT_FAILOVER,       /*!< Answered with a later choice. */
	GTM_OUT_ALL_DOWN,       /*!< All down, answered with every address. */
	GTM_OUT_STATIC,         /*!< All down, the zone's own records answer. */
	GTM_OUT_PASS,           /*!< Not managed (name, type or family). */
	GTM_OUT_COUNT
} gtm_outcome_t;

/*! Lower-case statistics name of an outcome. */
const char *gtm_outcome_str(gtm_outcome_t outcome);

/*!
 * Answers a query for a managed name from the current health snapshot.
 *
 * Lock-free: one RCU read of the snapshot, no allocation, no syscall.
 *
 * \param[in]  table    Name table of the instance.
 * \param[in]  pkt      Response packet.
 * \param[in]  qdata    Query data.
 * \param[out] outcome  What was done.
 *
 * \return KNOT_EOK (answer put, or nothing to do per outcome), or the
 *         error of knot_pkt_put (KNOT_ESPACE: truncated).
 */
int gtm_answer(const gtm_table_t *table, knot_pkt_t *pkt, knotd_qdata_t *qdata,
               gtm_outcome_t *outcome);
