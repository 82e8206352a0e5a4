/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Watchdog of the prober, checked from the query path: process-wide
 *        settings and the stale flag in C11 atomics (no locks).
 *
 * A stale period starts with the first query that sees the published state
 * older than the threshold and ends with the first query that sees it
 * fresh; a compare-and-swap on the flag lets exactly one thread log (and
 * count) each transition.
 */

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>

#include "ops.h"

static struct {
	atomic_uint_fast32_t stale_after_ms; /*!< 0: disabled. */
	atomic_int policy;                   /*!< gtm_stale_policy_t. */
	atomic_bool stale;                   /*!< In a stale period. */
	atomic_uint_fast64_t periods;        /*!< Stale periods seen. */
} wd;

static const char *policy_str(gtm_stale_policy_t policy)
{
	return (policy == GTM_STALE_STATIC) ? "static" : "keep";
}

void gtm_watchdog_set(uint32_t stale_after_ms, gtm_stale_policy_t policy)
{
	atomic_store(&wd.stale_after_ms, stale_after_ms);
	atomic_store(&wd.policy, (int)policy);
}

gtm_stale_policy_t gtm_watchdog_policy(void)
{
	return (gtm_stale_policy_t)atomic_load(&wd.policy);
}

uint64_t gtm_watchdog_stale_count(void)
{
	return atomic_load(&wd.periods);
}

/*
 * Staleness (age = now - published; a snapshot from the future is fresh):
 *   stale_after == 0            -> fresh (watchdog disabled)
 *   age <= stale_after          -> fresh
 *   age >  stale_after          -> stale
 * Transitions of the flag (one thread wins the compare-and-swap):
 *   fresh -> stale              -> ERROR line, period counted
 *   stale -> fresh              -> NOTICE line
 *   otherwise                   -> nothing
 */
bool gtm_watchdog_stale(knotd_mod_t *mod, uint64_t now_ms, uint64_t published_ms)
{
	uint64_t after = atomic_load_explicit(&wd.stale_after_ms, memory_order_relaxed);
	uint64_t age = (now_ms > published_ms) ? now_ms - published_ms : 0;
	bool stale = after > 0 && age > after;

	if (stale == atomic_load_explicit(&wd.stale, memory_order_relaxed)) {
		return stale;
	}
	bool expected = !stale;
	if (!atomic_compare_exchange_strong(&wd.stale, &expected, stale)) {
		return stale;
	}
	if (stale) {
		atomic_fetch_add(&wd.periods, 1);
		char age_str[32]; /* Whole seconds, as in the README. */
		snprintf(age_str, sizeof(age_str), "%" PRIu64 "s", age / 1000);
		knotd_mod_log(mod, LOG_ERR, "prober stale for %s, stale policy %s",
		              age_str, policy_str(gtm_watchdog_policy()));
	} else {
		knotd_mod_log(mod, LOG_NOTICE, "prober running again");
	}
	return stale;
}
