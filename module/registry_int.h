/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Registry internals shared by registry.c, prober.c and resolver.c.
 *
 * Everything here is protected by gtm_reg.lock. The prober thread holds the
 * lock while it processes timers and events and releases it only while it
 * waits in epoll_wait() and while it waits for an RCU grace period. The
 * resolver thread takes it only to pick a host name and to store its
 * addresses, never while it resolves.
 */

#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#include "admin.h"
#include "health.h"
#include "ops.h"
#include "probe.h"
#include "registry.h"
#include "target.h"

/*! Maximum number of probes in flight at once. */
#define GTM_MAX_INFLIGHT	1024
/*! Idle probe objects kept for reuse; the others are freed. */
#define GTM_PROBE_POOL		32
/*! Freed probe objects after which memory is given back to the system. */
#define GTM_TRIM_AFTER		256
/*! Host names of targets are resolved again after this time. */
#define GTM_RESOLVE_MS		60000
/*! A failed resolution is retried after this time. */
#define GTM_RESOLVE_RETRY_MS	10000

/*! No probe result counter (gtm_ref_t.ctr_id). */
#define GTM_NO_CTR		UINT32_MAX

/*! A reference of a module instance on a target. */
typedef struct {
	knotd_mod_t *mod;            /*!< Referencing instance. */
	char *label;                 /*!< "owner. pool/address" (owned; the
	                                  strings below follow it in the same
	                                  allocation). */
	const char *name;            /*!< Owner, absolute text. */
	const char *pool;            /*!< Pool id. */
	const char *address;         /*!< Address or CNAME target text. */
	const char *check;           /*!< Check id ("" if none given). */
	uint32_t hold_ms;            /*!< Failback hold-down of this use, 0: none. */
	uint32_t ctr_id;             /*!< Probe result counter of mod, GTM_NO_CTR. */
	uint32_t uses;               /*!< target_get calls of mod with this label. */
	bool hold_wait;              /*!< Hold-down running: log its end. */
} gtm_ref_t;

/*! What the prober knows about a target besides its health (for reports). */
typedef struct {
	uint64_t since_wall_ms;      /*!< Unix ms of the last real state change
	                                  (creation, forcing down and release
	                                  count too). */
	uint64_t last_wall_ms;       /*!< Unix ms of the last result, 0: none. */
	uint64_t start_us;           /*!< Monotonic us of the probe start. */
	uint32_t latency_us;         /*!< Duration of the last probe. */
	bool last_ok;                /*!< Last result. */
	bool warm;                   /*!< State taken from the state file, no
	                                  fresh result yet. */
	uint64_t checks;             /*!< Results. */
	uint64_t successes;
	uint64_t failures;
	uint64_t changes;            /*!< Real state changes. */
} gtm_target_stats_t;

/*! Resolution state of a hostname target. */
typedef enum {
	GTM_RESOLVE_PENDING = 0,     /*!< Not resolved yet: not probed. */
	GTM_RESOLVE_OK,              /*!< addr is probed. */
	GTM_RESOLVE_FAILED,          /*!< Every probe fails with reason. */
} gtm_resolve_state_t;

/*! Resolved address of a hostname target (not part of its identity). */
typedef struct {
	gtm_resolve_state_t state;
	struct sockaddr_storage addr; /*!< Last resolved address with the check's
	                                  port (kept when a resolution fails). */
	uint64_t next_ms;            /*!< Next resolution (0: at once). */
	char reason[GTM_PROBE_REASON]; /*!< "cannot resolve (...)" when failed. */
	char *host;                  /*!< Host name without a trailing dot: the
	                                  HTTP Host and TLS name unless the check
	                                  sets 'host' (owned). */
	gtm_target_spec_t probe_spec; /*!< spec with addr (and host), set when a
	                                  probe starts (shares the target's strings). */
} gtm_resolve_t;

/*! One probed target. */
typedef struct {
	gtm_target_spec_t spec;      /*!< Specification (strings owned). */
	uint64_t hash;               /*!< Hash of spec. */
	uint32_t slot;               /*!< Health slot (index in gtm_reg.targets). */
	uint32_t gen;                /*!< Generation, tags epoll events. */
	uint32_t hnext;              /*!< Next slot in the hash chain. */
	uint32_t heap_idx;           /*!< Position in the timer heap. */
	uint64_t wake_ms;            /*!< Next timer: probe start or deadline. */
	gtm_ref_t *refs;             /*!< Referencing instances. */
	uint32_t ref_count;
	gtm_health_sm_t sm;          /*!< Rise/fall state machine. */
	gtm_probe_t *probe;          /*!< Probe in flight, NULL when idle. */
	bool probed;                 /*!< At least one result received. */
	bool hold_wait;              /*!< Some reference has hold_wait set. */
	uint64_t up_since;           /*!< Time of the last DOWN -> UP, 0: none
	                                  (first result up, or down). */
	gtm_resolve_t *res;          /*!< Hostname targets only, else NULL. */
	char reason[GTM_PROBE_REASON]; /*!< Last result reason. */
	gtm_target_stats_t stats;    /*!< Counters and times for reports. */
	gtm_force_t force;           /*!< Admin override in force. */
} gtm_target_t;

/*! Timer heap entry; the time is kept here so comparisons stay local. */
typedef struct {
	uint64_t wake_ms;            /*!< Copy of the target's wake_ms. */
	uint32_t slot;               /*!< Target slot. */
} gtm_timer_t;

/*! A target state remembered for a warm restart (state file, retired). */
typedef struct {
	uint64_t key;                /*!< gtm_target_spec_hash(). */
	uint64_t since_wall_ms;      /*!< Unix ms of its last state change. */
	uint64_t retired_wall_ms;    /*!< Unix ms of its removal (retired only). */
	char *line;                  /*!< Retired only: its last state file line,
	                                  written among the targets for a while
	                                  (owned, NULL: no more). */
	uint8_t state;               /*!< gtm_health_t. */
} gtm_warm_t;

/*! All-down flag of a name and family from the last evaluation. */
typedef struct {
	char *key;                   /*!< "ZONE OWNER FAMILY" (owned). */
	bool all_down;
} gtm_name_flag_t;

/*! Operations state of the prober (settings, overrides, reports). */
typedef struct {
	gtm_ops_conf_t conf;         /*!< Latest settings (strings owned). */
	bool configured;             /*!< gtm_registry_configure() ran once. */
	bool warned[4];              /*!< Differing path logged (per option). */
	uint32_t stale_after_ms;     /*!< Watchdog threshold in force. */
	bool targets_changed;        /*!< Recompute the automatic threshold. */

	gtm_admin_t *admin;          /*!< Rules in force (NULL: none). */
	bool admin_known;            /*!< admin_stamp describes the file read. */
	uint64_t admin_stamp[4];     /*!< dev, inode, size, mtime (ns) read. */
	uint64_t admin_next_ms;      /*!< Next look at the file. */
	char *admin_err;             /*!< Parse error to log (owned). */
	bool paused;                 /*!< 'prober pause' in force. */
	bool pause_logged;           /*!< Logged state of paused. */
	bool force_dirty;            /*!< Recompute the overrides. */
	uint64_t force_next;         /*!< Unix s of the next expiry, 0: none. */


	bool changed;                /*!< Reported state changed (not removals). */
	uint64_t written_ms;         /*!< Last state/Prometheus write (monotonic). */
	bool write_failing[2];       /*!< State, Prometheus write failing (logged). */
	uint64_t hook_err_ms;        /*!< Last webhook error logged, 0: none. */

	gtm_warm_t *warm;            /*!< State file targets, sorted by key. */
	size_t warm_count;
	uint64_t warm_written_ms;    /*!< Unix ms the state file was written. */
	struct gtm_memo **warm_memos; /*!< Remembered choices restored from the
	                                   state file, referenced until the next
	                                   configure (an instance took them). */
	size_t warm_memo_count;
	bool warm_wait;              /*!< Warm targets: the loader waits for
	                                  their publication (gtm_registry_unlock). */
	gtm_warm_t *retired;         /*!< Removed targets kept for a restart. */
	size_t retired_count;
	size_t retired_cap;

	gtm_name_flag_t *names;      /*!< Sorted by key. */
	size_t name_count;
} gtm_ops_t;

/*! The process-wide registry. */
typedef struct {
	pthread_mutex_t lock;
	unsigned users;              /*!< Module instances holding the registry. */

	gtm_target_t **targets;      /*!< By slot, NULL when free. */
	uint32_t slot_count;         /*!< Slots in use or freed (array length used). */
	uint32_t slot_cap;
	uint32_t *free_slots;        /*!< Freed slots ... */
	uint64_t *free_version;      /*!< ... reusable once this version is published. */
	uint32_t free_count;
	uint32_t target_count;

	uint32_t *buckets;           /*!< Hash buckets (slot heads). */
	uint32_t bucket_count;       /*!< Power of two. */

	gtm_timer_t *heap;           /*!< Timer min-heap by wake_ms. */
	uint32_t heap_len;

	gtm_probe_t *probe_pool[GTM_PROBE_POOL]; /*!< Idle probe objects. */
	unsigned probe_pool_len;
	unsigned probe_freed;        /*!< Probe objects freed since the last trim. */
	unsigned inflight;

	uint64_t version;            /*!< Last published snapshot version. */
	bool dirty;                  /*!< Health changed since last publication. */
	bool wake_pending;           /*!< Timers changed in a batch: wake the prober. */
	bool resolve_pending;        /*!< Hostname targets added: wake the resolver. */
	uint32_t gen_counter;
	uint32_t host_count;         /*!< Hostname targets. */

	pthread_cond_t pub_cond;     /*!< Signalled at every publication. */
	pthread_t thread;
	bool running;
	bool stop;
	int epfd;
	int wakefd;

	pthread_t res_thread;        /*!< Resolver thread. */
	pthread_cond_t res_cond;     /*!< Wakes the resolver (with lock). */
	bool res_running;
	bool res_stop;

	gtm_ops_t ops;               /*!< Operations (ops_state.c, override.c). */
} gtm_registry_t;

extern gtm_registry_t gtm_reg;

/*! Timer heap: insert or move a target to its new wake_ms. */
void gtm_heap_update(gtm_target_t *t);
/*! Timer heap: remove a target. */
void gtm_heap_remove(gtm_target_t *t);

/*! Wakes the prober thread (after timers changed). */
void gtm_prober_wake(void);
/*! Starts the prober thread. */
int gtm_prober_start(void);
/*! Stops and joins the prober thread (called without the lock). */
void gtm_prober_stop(void);
/*! Ends a probe in flight without a result (target removed). */
void gtm_prober_cancel(gtm_target_t *t);

/*! Starts the resolver thread (with the lock held). */
int gtm_resolver_start(void);
/*! Stops and joins the resolver thread (called without the lock). */
void gtm_resolver_stop(void);
/*! Wakes the resolver (with the lock held) after hostname targets were added. */
void gtm_resolver_wake(void);

/*! Unix time in milliseconds (CLOCK_REALTIME). */
uint64_t gtm_wall_ms(void);

/*! Formats the log label of a reference ("NAME POOL/ADDRESS[ at PROBE][ (CHECK)]"). */
void gtm_ref_label(const gtm_ref_info_t *info, char *out, size_t len);

/* Operations (ops_state.c, override.c, names.c, prom.c), lock held. */

/*!
 * Health the query path sees for a target.
 *
 * Truth table (override, real state -> published):
 *   DOWN or DRAIN, any  -> DOWN
 *   UP,            any  -> UP
 *   NONE,          s    -> s
 */
static inline gtm_health_t gtm_target_effective(const gtm_target_t *t)
{
	switch (t->force) {
	case GTM_FORCE_DOWN:
	case GTM_FORCE_DRAIN: return GTM_HEALTH_DOWN;
	case GTM_FORCE_UP:    return GTM_HEALTH_UP;
	default:              return t->sm.state;
	}
}

/*! A new target: takes its warm state from the state file if any. */
void gtm_ops_target_new(gtm_target_t *t);
/*! A target is removed: remembers its state for a restart. */
void gtm_ops_target_gone(const gtm_target_t *t);
/*!
 * Records the statistics of a result, sends the events of a state change
 * and counts the result for the instances that asked.
 *
 * \param before  Real state before the result (the warm state if warm).
 * \param changed The real state changed.
 */
void gtm_ops_result(gtm_target_t *t, bool ok, gtm_health_t before, bool changed);

/*!
 * Once per prober round: watches the admin file (each second), applies
 * overrides and their expiry, updates the watchdog threshold.
 */
void gtm_ops_tick(uint64_t now);

/*!
 * Every prober round: writes the state and Prometheus files when due (a
 * change, or state-interval), evaluates the names after a change and
 * sends their alerts, logs webhook errors. May release and take the lock
 * again.
 *
 * \param snap  Current snapshot (freed only by the prober thread; NULL:
 *              none yet).
 */
void gtm_ops_report(const gtm_health_snap_t *snap);

/*! Time of the next periodic report write (monotonic ms, 0: none). */
uint64_t gtm_ops_write_due(void);

/*! Some instance to log with (a referencing one), NULL: none. */
knotd_mod_t *gtm_ops_log_mod(void);
