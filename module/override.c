/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Admin overrides in the prober: the admin file is looked at every
 *        second (device, inode, size, mtime), parsed again when it changed
 *        (an invalid file is logged once and the previous rules stay), and
 *        the override of every target is recomputed when the rules, the
 *        references or an expiry change. Also the watchdog threshold.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ops_int.h"

#define ADMIN_LOOK_MS	1000

knotd_mod_t *gtm_ops_log_mod(void)
{
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		if (t != NULL && t->ref_count > 0) {
			return t->refs[0].mod;
		}
	}
	return NULL;
}

/*! Reads the admin file again if it changed since it was read. */
static void admin_watch(gtm_ops_t *ops, uint64_t now)
{
	if (ops->conf.admin_file == NULL) {
		if (ops->admin != NULL) {
			gtm_admin_free(ops->admin);
			ops->admin = NULL;
			ops->force_dirty = true;
		}
		ops->admin_known = false;
		ops->admin_next_ms = 0;
		return;
	}
	if (now < ops->admin_next_ms) {
		return;
	}
	ops->admin_next_ms = now + ADMIN_LOOK_MS;

	uint64_t stamp[4] = { 0 }; /* A missing file: all zero. */
	struct stat st;
	if (stat(ops->conf.admin_file, &st) == 0) {
		stamp[0] = st.st_dev;
		stamp[1] = st.st_ino;
		stamp[2] = st.st_size;
		stamp[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	}
	if (ops->admin_known && memcmp(stamp, ops->admin_stamp, sizeof(stamp)) == 0) {
		return;
	}
	memcpy(ops->admin_stamp, stamp, sizeof(stamp));
	ops->admin_known = true;

	gtm_admin_t *rules = NULL;
	char err[512] = "";
	if (gtm_admin_parse(ops->conf.admin_file, &rules, err, sizeof(err)) != KNOT_EOK) {
		free(ops->admin_err);
		ops->admin_err = strdup(err); /* Logged once, rules kept. */
		return;
	}
	gtm_admin_free(ops->admin);
	ops->admin = rules;
	ops->force_dirty = true;
}

static void ref_get(const void *ctx, uint32_t i, gtm_force_ref_t *ref)
{
	const gtm_ref_t *r = &((const gtm_target_t *)ctx)->refs[i];
	*ref = (gtm_force_ref_t){ .name = r->name, .pool = r->pool, .address = r->address };
}

/*!
 * Logs an override change: "LABEL (+N more) forced down by admin file",
 * "LABEL (+N more) released by admin file (was forced down)".
 */
static void force_log(const gtm_target_t *t, gtm_force_t old)
{
	if (t->ref_count == 0) {
		return;
	}
	char more[32] = "";
	if (t->ref_count > 1) {
		snprintf(more, sizeof(more), " (+%u more)", t->ref_count - 1);
	}
	if (t->force != GTM_FORCE_NONE) {
		knotd_mod_log(t->refs[0].mod, LOG_NOTICE, "%s%s forced %s by admin file",
		              t->refs[0].label, more, gtm_force_str(t->force));
	} else {
		knotd_mod_log(t->refs[0].mod, LOG_NOTICE,
		              "%s%s released by admin file (was forced %s)",
		              t->refs[0].label, more, gtm_force_str(old));
	}
}

/*!
 * Applies a new override to a target.
 *
 * Truth table (old, new -> probing):
 *   not DOWN, DOWN      -> probe cancelled, off the timers, real state
 *                          UNKNOWN (not probed, warm state dropped)
 *   DOWN,     not DOWN  -> probed at once from UNKNOWN (the first result
 *                          decides); a hostname target not resolved yet
 *                          waits for the resolver as a new one
 *   otherwise           -> unchanged (up and drain are still probed)
 */
static void force_set(gtm_target_t *t, gtm_force_t force, uint64_t now)
{
	gtm_force_t old = t->force;
	t->force = force;
	gtm_reg.dirty = true;
	gtm_reg.ops.changed = true;

	if (force == GTM_FORCE_DOWN && old != GTM_FORCE_DOWN) {
		gtm_prober_cancel(t);
		gtm_heap_remove(t);
		t->sm = (gtm_health_sm_t){ .state = GTM_HEALTH_UNKNOWN, .since_ms = now };
		t->probed = false;
		t->up_since = 0;
		t->hold_wait = false;
		for (uint32_t i = 0; i < t->ref_count; i++) {
			t->refs[i].hold_wait = false;
		}
		t->stats.warm = false;
		t->stats.since_wall_ms = gtm_wall_ms();
	} else if (old == GTM_FORCE_DOWN && force != GTM_FORCE_DOWN) {
		t->stats.since_wall_ms = gtm_wall_ms();
		if (t->res == NULL || t->res->state != GTM_RESOLVE_PENDING) {
			t->wake_ms = now;
			gtm_heap_update(t);
		}
	}
	force_log(t, old);
}

/*! Recomputes the override of every target at the current Unix time. */
static void forces_apply(gtm_ops_t *ops, uint64_t now, uint64_t unix_s)
{
	ops->force_dirty = false;
	ops->force_next = gtm_admin_next_expiry(ops->admin, unix_s);
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		if (t == NULL) {
			continue;
		}
		gtm_force_t force = gtm_force_of(ops->admin, t->ref_count, ref_get, t,
		                                 unix_s, NULL);
		if (force != t->force) {
			force_set(t, force, now);
		}
	}
}

/*! Follows 'prober pause|run' and logs its changes once. */
static void pause_apply(gtm_ops_t *ops)
{
	bool paused = gtm_admin_paused(ops->admin);
	if (paused != ops->paused) {
		ops->paused = paused;
		ops->changed = true;
	}
	if (ops->paused != ops->pause_logged) {
		knotd_mod_t *mod = gtm_ops_log_mod();
		if (mod != NULL) {
			knotd_mod_log(mod, LOG_NOTICE, "prober %s by admin file",
			              ops->paused ? "paused" : "resumed");
			ops->pause_logged = ops->paused;
		}
	}
}

uint32_t gtm_ops_stale_after(void)
{
	if (gtm_reg.ops.conf.stale_after_ms > 0) {
		return gtm_reg.ops.conf.stale_after_ms;
	}
	uint64_t longest = 0;
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		if (t != NULL && t->spec.interval_ms > longest) {
			longest = t->spec.interval_ms;
		}
	}
	uint64_t stale = 3 * longest;
	if (stale < GTM_STALE_MIN_MS) {
		stale = GTM_STALE_MIN_MS;
	}
	return (stale > UINT32_MAX) ? UINT32_MAX : (uint32_t)stale;
}

void gtm_ops_tick(uint64_t now)
{
	gtm_ops_t *ops = &gtm_reg.ops;

	admin_watch(ops, now);
	if (ops->admin_err != NULL) {
		knotd_mod_t *mod = gtm_ops_log_mod();
		if (mod != NULL) {
			knotd_mod_log(mod, LOG_ERR, "%s", ops->admin_err);
			free(ops->admin_err);
			ops->admin_err = NULL;
		}
	}
	pause_apply(ops);

	/* Rules end at their 'until' (expired when until <= now). */
	uint64_t unix_s = gtm_wall_ms() / 1000;
	bool expired = (ops->force_next != 0 && unix_s >= ops->force_next);
	if (ops->force_dirty || expired) {
		forces_apply(ops, now, unix_s);
	}

	if (ops->targets_changed) {
		ops->targets_changed = false;
		uint32_t stale = gtm_ops_stale_after();
		if (stale != ops->stale_after_ms) {
			ops->stale_after_ms = stale;
			gtm_watchdog_set(stale, ops->conf.stale_policy);
		}
	}
}
