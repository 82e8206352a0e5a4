/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Runs in the query path of every worker thread: no allocation, no lock,
 * no clock, no global state. Candidates of one pool are handled as bits of
 * a 64-bit mask (a pool has at most GTM_MAX_ADDRS candidates).
 */

#include "policy.h"

/*! Candidate bit. */
#define BIT(i)	((uint64_t)1 << (i))

/*! Candidates of one pool as seen at one moment. */
typedef struct {
	uint64_t up;                     /*!< Eligible (up) candidates. */
	uint64_t settled;                /*!< Up and not in hold-down. */
	uint64_t since[GTM_MAX_ADDRS];   /*!< Up-since of each up candidate. */
	uint16_t n;                      /*!< Candidates looked at. */
	uint16_t eligible;               /*!< Number of up candidates. */
	uint16_t need;                   /*!< min_available (at least 1). */
} scan_t;

static uint64_t view_now(const gtm_view_t *view)
{
	return (view != NULL) ? view->now_ms : 0;
}

/*! Up-since of one slot (0 when unknown or without a check). */
static uint64_t slot_since(const gtm_view_t *view, uint32_t slot)
{
	if (view == NULL || view->up_since == NULL || slot >= view->count) {
		return 0;
	}
	return view->up_since[slot];
}

/*!
 * Whether something that came up at 'since' is out of hold-down.
 *
 * Truth table:
 *   since == 0 or failback_ms == 0          -> true
 *   since > now (clock not monotonic)       -> false
 *   now - since >= failback_ms              -> true
 *   otherwise                               -> false
 */
static bool is_settled(uint64_t since, uint64_t now, uint32_t failback_ms)
{
	if (since == 0 || failback_ms == 0) {
		return true;
	}
	return since <= now && now - since >= failback_ms;
}

/*!
 * The k-th smallest value (k >= 1) of v[i] over the bits i < n of mask,
 * counting equal values separately. Needs at least k bits in mask.
 */
static uint64_t kth_smallest(const uint64_t *v, uint64_t mask, size_t n,
                             size_t k)
{
	uint64_t prev = 0;
	bool have_prev = false;

	for (;;) {
		uint64_t best = UINT64_MAX;
		size_t ties = 0;
		for (size_t i = 0; i < n; i++) {
			if (!(mask & BIT(i)) || (have_prev && v[i] <= prev)) {
				continue;
			}
			if (ties == 0 || v[i] < best) {
				best = v[i];
				ties = 1;
			} else if (v[i] == best) {
				ties++;
			}
		}
		if (ties == 0 || ties >= k) {
			return (ties == 0) ? prev : best;
		}
		k -= ties;
		prev = best;
		have_prev = true;
	}
}

/*! Weight of a candidate (NULL weights: 1; a weight of 0 counts as 1). */
static uint32_t weight_of(const uint16_t *weights, size_t i)
{
	if (weights == NULL || weights[i] == 0) {
		return 1;
	}
	return weights[i];
}

/*! The j-th random number of a query: rnd itself, then a splitmix64 mix. */
static uint32_t draw(uint32_t rnd, uint32_t j)
{
	if (j == 0) {
		return rnd;
	}
	uint64_t z = (((uint64_t)rnd << 32) | j) + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

gtm_health_t gtm_policy_health(const gtm_view_t *view, uint32_t slot)
{
	if (slot == GTM_SLOT_NONE) {
		return GTM_HEALTH_UP;
	}
	if (view == NULL || view->state == NULL || slot >= view->count) {
		return GTM_HEALTH_UNKNOWN;
	}
	return (gtm_health_t)view->state[slot];
}

/*
 * Truth table (see policy.h; check_need is taken as 1..check_count, at
 * most GTM_MAX_CHECKS checks are looked at):
 *   check_count == 0                         -> true,  *since = 0
 *   checks up >= check_need                  -> true,  *since = the
 *       check_need-th smallest up-since among the checks that are up
 *   checks up <  check_need                  -> false, *since = 0
 */
bool gtm_policy_cand_up(const gtm_view_t *view, const gtm_pool_view_t *pool,
                        uint16_t cand, uint64_t *since)
{
	uint64_t dummy;
	if (since == NULL) {
		since = &dummy;
	}
	*since = 0;

	size_t checks = pool->check_count;
	if (checks == 0) {
		return true;
	}
	if (checks > GTM_MAX_CHECKS) {
		checks = GTM_MAX_CHECKS;
	}
	size_t need = pool->check_need;
	if (need == 0) {
		need = 1;
	} else if (need > checks) {
		need = checks;
	}

	const uint32_t *slots = pool->slots + (size_t)cand * pool->check_count;
	uint64_t at[GTM_MAX_CHECKS];
	uint64_t up = 0;
	size_t up_count = 0;
	for (size_t c = 0; c < checks; c++) {
		if (gtm_policy_health(view, slots[c]) != GTM_HEALTH_DOWN) {
			at[c] = slot_since(view, slots[c]);
			up |= BIT(c);
			up_count++;
		}
	}
	if (up_count < need) {
		return false;
	}
	*since = kth_smallest(at, up, checks, need);
	return true;
}

/*! Health of every candidate of a pool (at most GTM_MAX_ADDRS). */
static void scan(const gtm_view_t *view, const gtm_pool_view_t *pool,
                 scan_t *s)
{
	uint64_t now = view_now(view);

	s->up = 0;
	s->settled = 0;
	s->eligible = 0;
	s->n = (pool->n > GTM_MAX_ADDRS) ? GTM_MAX_ADDRS : pool->n;
	s->need = (pool->min_available == 0) ? 1 : pool->min_available;

	for (uint16_t i = 0; i < s->n; i++) {
		if (!gtm_policy_cand_up(view, pool, i, &s->since[i])) {
			continue;
		}
		s->up |= BIT(i);
		s->eligible++;
		if (is_settled(s->since[i], now, pool->failback_ms)) {
			s->settled |= BIT(i);
		}
	}
}

static bool scan_eligible(const scan_t *s)
{
	return s->n > 0 && s->eligible >= s->need;
}

/*! Pool up-since: the need-th smallest up-since of the up candidates. */
static uint64_t scan_since(const scan_t *s)
{
	return scan_eligible(s) ? kth_smallest(s->since, s->up, s->n, s->need) : 0;
}

bool gtm_policy_pool_up(const gtm_view_t *view, const gtm_pool_view_t *pool,
                        uint64_t *since)
{
	scan_t s;
	scan(view, pool, &s);
	if (since != NULL) {
		*since = scan_since(&s);
	}
	return scan_eligible(&s);
}

/*!
 * Sequence order: 'first' (-1: none) first, then the other candidates of
 * 'set' in pool order, up to limit (at least 1).
 */
static size_t seq_order(uint64_t set, size_t n, int first, size_t limit,
                        uint16_t *out)
{
	size_t count = 0;
	if (first >= 0) {
		out[count++] = (uint16_t)first;
	}
	for (size_t i = 0; i < n && count < limit; i++) {
		if ((set & BIT(i)) && (int)i != first) {
			out[count++] = (uint16_t)i;
		}
	}
	return count;
}

/*!
 * Whether the sequence answer without hold-down ('first', then the up
 * candidates in order, up to limit) has a held candidate other than first.
 */
static bool seq_passes_held(const scan_t *s, int first, size_t limit)
{
	size_t count = (first >= 0) ? 1 : 0;
	for (size_t i = 0; i < s->n && count < limit; i++) {
		if (!(s->up & BIT(i)) || (int)i == first) {
			continue;
		}
		if (!(s->settled & BIT(i))) {
			return true;
		}
		count++;
	}
	return false;
}

/*! Index of the up candidate with the given key, or -1. */
static int find_key(const gtm_pool_view_t *pool, const scan_t *s, uint64_t key)
{
	if (key == 0 || pool->keys == NULL) {
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		if ((s->up & BIT(i)) && pool->keys[i] == key) {
			return (int)i;
		}
	}
	return -1;
}

/*! Every candidate of set in pool order, rotated left by rnd % |set|. */
static size_t rotated(uint64_t set, size_t n, uint32_t rnd, size_t limit,
                      uint16_t *out)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += (set & BIT(i)) ? 1 : 0;
	}
	if (total == 0) {
		return 0;
	}
	size_t shift = rnd % total;
	size_t count = 0;
	size_t rank = 0;
	for (size_t i = 0; i < n && count < limit; i++) {
		if (set & BIT(i)) {
			if (rank >= shift) {
				out[count++] = (uint16_t)i;
			}
			rank++;
		}
	}
	rank = 0;
	for (size_t i = 0; i < n && count < limit && rank < shift; i++) {
		if (set & BIT(i)) {
			out[count++] = (uint16_t)i;
			rank++;
		}
	}
	return count;
}

/*! Up to limit distinct candidates of set drawn by weight. */
static size_t weighted(const uint16_t *weights, uint64_t set, size_t n,
                       uint32_t rnd, size_t limit, uint16_t *out)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (set & BIT(i)) {
			total += weight_of(weights, i);
		}
	}

	size_t count = 0;
	while (count < limit && set != 0) {
		uint64_t r = draw(rnd, (uint32_t)count) % total;
		size_t i = 0;
		for (; i < n; i++) {
			if (!(set & BIT(i))) {
				continue;
			}
			uint32_t w = weight_of(weights, i);
			if (r < w) {
				break;
			}
			r -= w;
		}
		out[count++] = (uint16_t)i;
		set &= ~BIT(i);
		total -= weight_of(weights, i);
	}
	return count;
}

/*
 * Truth table: see policy.h. The preferred set is the settled up
 * candidates, or every up candidate when none is settled; only candidates
 * of the preferred set are answered, apart from a sticky one.
 *   not eligible (n == 0 or eligible < min_available)
 *                                -> 0, degraded, not held, sticky 0, since 0
 *   sequence  -> sticky (preempt off, up) first, then the preferred set in
 *                order, up to max_answers (0: no limit)
 *   round-robin -> preferred set rotated by rnd, up to max_answers
 *   all       -> preferred set in order, up to max_answers
 *   weighted  -> max_answers (0: 1) drawn from the preferred set by weight
 *   held      -> sequence: the answer without hold-down would contain a
 *                held candidate (other than the sticky one);
 *                others: some up candidate is held while some is settled
 *   sticky    -> sequence: key of the first answer; others: 0
 */
size_t gtm_policy_addrs(const gtm_view_t *view, const gtm_pool_view_t *pool,
                        uint64_t sticky, uint32_t rnd, uint16_t *out,
                        gtm_addr_pick_t *pick)
{
	gtm_addr_pick_t dummy;
	if (pick == NULL) {
		pick = &dummy;
	}

	scan_t s;
	scan(view, pool, &s);
	pick->eligible = s.eligible;
	pick->since = scan_since(&s);
	pick->sticky = 0;
	pick->held = false;
	pick->degraded = true;
	if (!scan_eligible(&s)) {
		return 0;
	}

	uint64_t pref = (s.settled != 0) ? s.settled : s.up;
	bool hold_active = (pref != s.up);
	size_t limit = (pool->max_answers == 0) ? s.n : pool->max_answers;
	size_t count = 0;

	switch (pool->policy) {
	case GTM_APOL_ROUND_ROBIN:
		count = rotated(pref, s.n, rnd, limit, out);
		break;
	case GTM_APOL_ALL:
		count = seq_order(pref, s.n, -1, limit, out);
		break;
	case GTM_APOL_WEIGHTED:
		limit = (pool->max_answers == 0) ? 1 : pool->max_answers;
		count = weighted(pool->weights, pref, s.n, rnd, limit, out);
		break;
	case GTM_APOL_SEQUENCE:
	default: {
		int first = pool->preempt ? -1 : find_key(pool, &s, sticky);
		count = seq_order(pref, s.n, first, limit, out);
		pick->held = hold_active && seq_passes_held(&s, first, limit);
		pick->degraded = (out[0] != 0);
		pick->sticky = (pool->keys != NULL) ? pool->keys[out[0]] : 0;
		return count;
	}
	}

	size_t full = (limit < s.n) ? limit : s.n;
	pick->held = hold_active;
	pick->degraded = (count < full);
	return count;
}

/*
 * Truth table: see policy.h. The preferred pools are the settled eligible
 * ones, or every eligible one when none is settled.
 *   n == 0 or no pool eligible   -> -1, degraded, not held, sticky 0
 *   sequence (or topology), preempt off, sticky = key of an eligible pool
 *                                -> that pool, not held
 *   sequence (or topology)       -> first preferred pool; held when it is
 *                                   not the first eligible pool
 *   weighted                     -> preferred pool drawn by weight (0 as 1)
 *                                   with rnd; held when some eligible pool
 *                                   is held while some is settled
 *   degraded: sequence -> chosen != 0; weighted -> some pool not eligible
 *   sticky: key of the chosen pool
 */
int gtm_policy_pools(const gtm_view_t *view, const gtm_pool_state_t *pools,
                     size_t n, gtm_pool_policy_t policy, bool preempt,
                     uint32_t failback_ms, uint64_t sticky, uint32_t rnd,
                     gtm_pool_pick_t *pick)
{
	gtm_pool_pick_t dummy;
	if (pick == NULL) {
		pick = &dummy;
	}
	pick->degraded = true;
	pick->held = false;
	pick->sticky = 0;

	uint64_t now = view_now(view);
	int first_eligible = -1;
	int first_settled = -1;
	bool some_down = false;
	bool some_held = false;
	uint64_t w_settled = 0;
	uint64_t w_eligible = 0;

	for (size_t p = 0; p < n; p++) {
		if (!pools[p].eligible) {
			some_down = true;
			continue;
		}
		uint32_t w = weight_of(&pools[p].weight, 0);
		w_eligible += w;
		if (first_eligible < 0) {
			first_eligible = (int)p;
		}
		if (is_settled(pools[p].since, now, failback_ms)) {
			w_settled += w;
			if (first_settled < 0) {
				first_settled = (int)p;
			}
		} else {
			some_held = true;
		}
	}
	if (first_eligible < 0) {
		return -1;
	}

	int chosen = -1;
	if (policy == GTM_PPOL_WEIGHTED) {
		bool only_settled = (first_settled >= 0);
		uint64_t r = rnd % (only_settled ? w_settled : w_eligible);
		for (size_t p = 0; p < n; p++) {
			if (!pools[p].eligible || (only_settled &&
			    !is_settled(pools[p].since, now, failback_ms))) {
				continue;
			}
			uint32_t w = weight_of(&pools[p].weight, 0);
			if (r < w) {
				chosen = (int)p;
				break;
			}
			r -= w;
		}
		pick->held = only_settled && some_held;
		pick->degraded = some_down;
	} else {
		for (size_t p = 0; !preempt && sticky != 0 && p < n; p++) {
			if (pools[p].eligible && pools[p].key == sticky) {
				chosen = (int)p;
				break;
			}
		}
		if (chosen < 0) {
			chosen = (first_settled >= 0) ? first_settled : first_eligible;
			pick->held = (chosen != first_eligible);
		}
		pick->degraded = (chosen != 0);
	}
	pick->sticky = pools[chosen].key;
	return chosen;
}

/*
 * Truth table: see policy.h (a percent above 100 counts as 100).
 *   n == 0                       -> 1
 *   percent > 0                  -> ceil(n * percent / 100), at least 1
 *   otherwise                    -> min(count, n), at least 1
 */
uint16_t gtm_policy_min_available(uint16_t count, uint8_t percent, uint16_t n)
{
	if (n == 0) {
		return 1;
	}
	uint32_t need;
	if (percent > 0) {
		uint32_t pct = (percent > 100) ? 100 : percent;
		need = ((uint32_t)n * pct + 99) / 100;
	} else {
		need = (count < n) ? count : n;
	}
	return (need == 0) ? 1 : (uint16_t)need;
}
