/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Pure answer selection: which candidates answer, given health.
 *
 * No I/O, no clock, no global state: health, time, the remembered choice
 * and the random number are all inputs, so every branch is testable.
 *
 * Candidates refer to health slots of the registry. The health of slot s
 * is state[s]; a slot at or past the snapshot count has no result yet
 * (UNKNOWN), and GTM_SLOT_NONE (no check) is always UP. UNKNOWN counts as
 * up everywhere (a target without a result yet is answered).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "health.h"

/*! Slot of an address without a health check (always up). */
#define GTM_SLOT_NONE	UINT32_MAX

/*! Health of every slot at one moment: a snapshot and the clock. */
typedef struct {
	const uint8_t *state;      /*!< gtm_health_t by slot (NULL: no snapshot). */
	const uint64_t *up_since;  /*!< By slot: when the target last came back
	                                up (DOWN -> UP), 0 if it has not been down
	                                since it was first probed; NULL: all 0. */
	size_t count;              /*!< Number of slots in state/up_since. */
	uint64_t now_ms;           /*!< Current time, the clock of up_since. */
} gtm_view_t;

/*!
 * One pool as seen for one address family (or the CNAME targets of a CNAME
 * pool). Disabled entries are not in it; candidate indices are 0..n-1 in
 * the pool's order.
 */
typedef struct {
	const uint32_t *slots;     /*!< n * check_count slots, candidate-major:
	                                candidate i, check c = slots[i * check_count + c]. */
	const uint16_t *weights;   /*!< Weight of each candidate (NULL: all 1;
	                                a weight of 0 counts as 1). */
	const uint64_t *keys;      /*!< Stable identity of each candidate (hash of
	                                the address or target), never 0. */
	uint16_t n;                /*!< Number of candidates (0: never eligible;
	                                at most GTM_MAX_ADDRS are looked at). */
	uint8_t check_count;       /*!< Checks per candidate; 0: always UP (at
	                                most GTM_MAX_CHECKS are looked at). */
	uint8_t check_need;        /*!< Checks that must be up (1..check_count). */
	gtm_addr_policy_t policy;  /*!< Address policy. */
	bool preempt;              /*!< Sequence: return to a better candidate. */
	uint16_t max_answers;      /*!< 0: no limit. */
	uint16_t min_available;    /*!< Eligible candidates needed, 1..n. */
	uint32_t failback_ms;      /*!< Hold-down of a recovered candidate. */
} gtm_pool_view_t;

/*! Result details of gtm_policy_addrs(). */
typedef struct {
	uint16_t eligible;         /*!< Candidates up (whether held or not). */
	bool degraded;             /*!< Not what an all-healthy pool answers. */
	bool held;                 /*!< A recovered candidate is in hold-down and
	                                would otherwise be answered. */
	uint64_t sticky;           /*!< Key to remember (sequence: first answered
	                                candidate; other policies, or nothing
	                                answered: 0). */
	uint64_t since;            /*!< Pool eligible since (for pool hold-down):
	                                the min_available-th smallest up-since of
	                                the eligible candidates (0: settled). */
} gtm_addr_pick_t;

/*!
 * Health of one slot.
 *
 * Truth table:
 *   slot == GTM_SLOT_NONE            -> UP
 *   no snapshot, or slot >= count    -> UNKNOWN
 *   otherwise                        -> state[slot]
 */
gtm_health_t gtm_policy_health(const gtm_view_t *view, uint32_t slot);

/*!
 * Whether a candidate is up under the pool's check rule, and since when.
 *
 * A check counts as up when its slot is UP or UNKNOWN.
 *
 * Truth table:
 *   check_count == 0                         -> true,  *since = 0
 *   checks up >= check_need                  -> true,  *since = the
 *       check_need-th smallest up-since among the checks that are up
 *   checks up <  check_need                  -> false, *since = 0
 */
bool gtm_policy_cand_up(const gtm_view_t *view, const gtm_pool_view_t *pool,
                        uint16_t cand, uint64_t *since);

/*!
 * Chooses the answering candidates of one pool.
 *
 * A candidate is eligible when it is up (gtm_policy_cand_up); it is settled
 * when its up-since is 0 or at least failback_ms ago. The pool answers
 * only when eligible >= min_available; settled candidates are preferred to
 * held ones (when no eligible candidate is settled, held ones answer).
 *
 * Truth table (after the min_available test; "first" = first candidate of
 * the preferred set in pool order):
 *   eligible < min_available                 -> 0 answers (degraded)
 *   sequence, preempt on                     -> first settled eligible, then
 *       the following ones of the preferred set in order, up to max_answers
 *   sequence, preempt off, sticky = key of an eligible candidate
 *                                            -> that candidate first (even
 *       if a better one is up or settled), then the rest as above
 *   sequence, preempt off, sticky unknown or not eligible
 *                                            -> as preempt on
 *   round-robin                              -> every settled eligible
 *       candidate, rotated left by rnd % count, cut to max_answers
 *   all                                      -> every settled eligible
 *       candidate in order, cut to max_answers
 *   weighted                                 -> max_answers (0: 1) distinct
 *       settled eligible candidates drawn by weight (without replacement)
 *       using rnd
 * degraded: sequence -> the first answer is not candidate 0;
 *           others   -> fewer answers than with every candidate up.
 * held: a held (unsettled) eligible candidate was passed over: sequence ->
 *       the answer without hold-down would contain it (the sticky candidate
 *       aside); others -> some eligible candidate is held, some settled.
 *
 * \param[in]  view    Health and time.
 * \param[in]  pool    Pool.
 * \param[in]  sticky  Remembered key (preempt off), 0 if none.
 * \param[in]  rnd     Random number (round-robin rotation, weighted draws).
 * \param[out] out     Chosen candidate indices in answer order (room for n).
 * \param[out] pick    Details (may be NULL).
 *
 * \return Number of indices written to out (0: pool not eligible).
 */
size_t gtm_policy_addrs(const gtm_view_t *view, const gtm_pool_view_t *pool,
                        uint64_t sticky, uint32_t rnd, uint16_t *out,
                        gtm_addr_pick_t *pick);

/*!
 * Whether a pool is eligible (eligible >= min_available), and since when;
 * the same answer as gtm_policy_addrs() != 0 without choosing.
 */
bool gtm_policy_pool_up(const gtm_view_t *view, const gtm_pool_view_t *pool,
                        uint64_t *since);

/*! One pool of a name's list as seen by the pool policy. */
typedef struct {
	bool eligible;             /*!< gtm_policy_pool_up(). */
	uint64_t since;            /*!< Eligible since (0: settled). */
	uint16_t weight;           /*!< Pool weight (weighted pool policy; 0
	                                counts as 1). */
	uint64_t key;              /*!< Stable identity (hash of the pool id), never 0. */
} gtm_pool_state_t;

/*! Result details of gtm_policy_pools(). */
typedef struct {
	bool degraded;             /*!< Not the first choice (see below). */
	bool held;                 /*!< A recovered pool is in hold-down. */
	uint64_t sticky;           /*!< Key to remember (chosen pool), 0 if none. */
} gtm_pool_pick_t;

/*!
 * Chooses the answering pool of a name's list.
 *
 * A pool is settled when its since is 0 or at least failback_ms ago.
 *
 * Truth table:
 *   no pool eligible                          -> -1
 *   sequence, preempt on                      -> first settled eligible pool;
 *       none settled: first eligible pool
 *   sequence, preempt off, sticky = key of an eligible pool
 *                                             -> that pool
 *   sequence, preempt off, otherwise          -> as preempt on
 *   weighted                                  -> a settled eligible pool
 *       drawn by weight with rnd (none settled: among all eligible)
 *   (topology is resolved by the caller into a list, then sequence)
 * degraded: sequence -> chosen != 0; weighted -> some pool not eligible.
 *
 * \return Index of the chosen pool, or -1.
 */
int gtm_policy_pools(const gtm_view_t *view, const gtm_pool_state_t *pools,
                     size_t n, gtm_pool_policy_t policy, bool preempt,
                     uint32_t failback_ms, uint64_t sticky, uint32_t rnd,
                     gtm_pool_pick_t *pick);

/*!
 * Resolves 'min-available' of a pool for a number of candidates.
 *
 * Truth table:
 *   n == 0                       -> 1 (the pool is never eligible anyway)
 *   percent > 0                  -> ceil(n * percent / 100), at least 1
 *   otherwise                    -> min(count, n), at least 1
 */
uint16_t gtm_policy_min_available(uint16_t count, uint8_t percent, uint16_t n);
