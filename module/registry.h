/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Process-wide health registry shared by every module instance.
 *
 * Lives in .so-global storage: module instances come and go on every
 * reload (the new one is loaded before the old one is unloaded), while
 * targets, their health and the prober thread stay. Instances take
 * references on targets; a target without references stops being probed.
 *
 * The query path reads health with gtm_registry_health() inside an RCU
 * read-side critical section; the snapshot is immutable and replaced by
 * the prober with an RCU pointer swap.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <knot/module.h>
#include <urcu.h>

#include "health.h"
#include "target.h"

/*! Immutable health snapshot published to the query path. */
typedef struct {
	uint64_t version;   /*!< Increases with every publication. */
	uint64_t published_ms; /*!< gtm_now_ms() of the publication (heartbeat:
	                            at least every second while the prober runs). */
	uint32_t count;     /*!< Number of slots. */
	const uint64_t *up_since; /*!< By slot: gtm_now_ms() when the target last
	                               came back up (DOWN -> UP), 0 if it has not
	                               been down since its first result (same
	                               allocation as the snapshot). */
	uint8_t state[];    /*!< gtm_health_t by slot. */
} gtm_health_snap_t;

/*! What refers to a target: one entry of a pool of a name, one check. */
typedef struct {
	const char *name;    /*!< Owner, absolute text. */
	const char *pool;    /*!< Pool id. */
	const char *address; /*!< Address text, or the CNAME target text. */
	const char *probe;   /*!< CNAME entries: the probe= address text, or NULL. */
	const char *check;   /*!< Check id. */
	bool show_check;     /*!< The label names the check (pool has several). */
} gtm_ref_info_t;

/*! Monotonic clock in milliseconds (CLOCK_MONOTONIC; no syscall via vDSO). */
uint64_t gtm_now_ms(void);

/*!
 * The same clock at tick resolution (CLOCK_MONOTONIC_COARSE, a few ms
 * behind at most), cheaper: for the query path, whose decisions (hold-down,
 * watchdog) are in the hundreds of milliseconds.
 */
static inline uint64_t gtm_now_ms_coarse(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*! Pointer to the current snapshot (read with rcu_dereference). */
extern gtm_health_snap_t *gtm_health_current;

/*!
 * Current health snapshot; call inside rcu_read_lock()/rcu_read_unlock().
 */
static inline const gtm_health_snap_t *gtm_registry_health(void)
{
	return rcu_dereference(gtm_health_current);
}

/*!
 * Takes a reference on the registry for a module instance, starting the
 * prober thread on first use.
 *
 * \return KNOT_EOK or an error (thread could not start).
 */
int gtm_registry_acquire(void);

/*!
 * Drops a module instance's reference; the last one stops the prober.
 */
void gtm_registry_release(void);

/*!
 * Takes the registry lock for a batch of target_get/target_put calls.
 *
 * One lock per batch, not per target: the prober holds the lock while it
 * works, and on a busy single core a lock per target made a reload with
 * 10,000 names wait for 10,000 prober cycles.
 */
void gtm_registry_lock(void);

/*!
 * Releases the registry lock, waking the prober if targets were added.
 */
void gtm_registry_unlock(void);

/*!
 * Finds or creates the target for a specification and references it.
 *
 * Called with gtm_registry_lock() held. A new target is probed as soon as
 * the lock is released. The specification is copied.
 *
 * \param[in]  spec   Target specification.
 * \param[in]  mod    Referencing instance (used for state-change logs).
 * \param[in]  info   What refers to the target (copied); the log label is
 *                    "NAME POOL/ADDRESS[ at PROBE][ (CHECK)]".
 * \param[in]  hold_ms Failback hold-down of this use of the target (0: none);
 *                    when the target comes back up the log says that its
 *                    traffic is held, and when the hold-down is over (at the
 *                    next result after it) that it is over.
 * \param[out] slot   Health slot of the target.
 *
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
int gtm_registry_target_get(const gtm_target_spec_t *spec, knotd_mod_t *mod,
                            const gtm_ref_info_t *info, uint32_t hold_ms,
                            uint32_t *slot);

/*!
 * Drops one reference of an instance on a target (with the lock held).
 */
void gtm_registry_target_put(uint32_t slot, knotd_mod_t *mod);
