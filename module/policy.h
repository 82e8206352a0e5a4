/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Pure answer selection: which candidate answers, given health.
 *
 * Candidates refer to health slots of the registry. The health of slot s
 * is state[s]; a slot at or past state_count has no result yet (UNKNOWN),
 * and GTM_SLOT_NONE (an address without a check) is always UP.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "health.h"

/*! Slot of an address without a health check (always up). */
#define GTM_SLOT_NONE	UINT32_MAX

/*! Outcome of a selection. */
typedef enum {
	GTM_SELECT_FIRST = 0, /*!< The first candidate in order answers. */
	GTM_SELECT_FAILOVER,  /*!< A later candidate answers (failed over). */
	GTM_SELECT_ALL_DOWN,  /*!< No candidate is eligible. */
} gtm_select_t;

/*!
 * Health of one slot.
 *
 * Truth table:
 *   slot == GTM_SLOT_NONE     -> UP
 *   slot >= state_count       -> UNKNOWN
 *   otherwise                 -> state[slot]
 */
gtm_health_t gtm_policy_health(const uint8_t *state, size_t state_count,
                               uint32_t slot);

/*!
 * Preemptive ordered failover over candidates in preference order.
 *
 * A candidate is eligible when its health is UP or UNKNOWN (a target
 * without a result yet is answered as if it were up).
 *
 * Truth table:
 *   n == 0                          -> ALL_DOWN, *chosen = -1
 *   candidate 0 is UP or UNKNOWN    -> FIRST,    *chosen = 0
 *   first eligible is i > 0         -> FAILOVER, *chosen = i
 *   every candidate is DOWN         -> ALL_DOWN, *chosen = -1
 *
 * \param[in]  state        Health by slot (gtm_health_t values).
 * \param[in]  state_count  Number of slots in state.
 * \param[in]  slots        Slot of each candidate, preference order.
 * \param[in]  n            Number of candidates.
 * \param[out] chosen       Index of the answering candidate, or -1.
 */
gtm_select_t gtm_policy_sequence(const uint8_t *state, size_t state_count,
                                 const uint32_t *slots, size_t n, int *chosen);
