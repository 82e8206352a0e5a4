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

#include "health.h"
#include "probe.h"
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

/*! A reference of a module instance on a target. */
typedef struct {
	knotd_mod_t *mod;            /*!< Referencing instance. */
	char *label;                 /*!< "owner. pool/address" (owned). */
	uint32_t hold_ms;            /*!< Failback hold-down of this use, 0: none. */
	bool hold_wait;              /*!< Hold-down running: log its end. */
} gtm_ref_t;

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
} gtm_target_t;

/*! Timer heap entry; the time is kept here so comparisons stay local. */
typedef struct {
	uint64_t wake_ms;            /*!< Copy of the target's wake_ms. */
	uint32_t slot;               /*!< Target slot. */
} gtm_timer_t;

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

	pthread_t thread;
	bool running;
	bool stop;
	int epfd;
	int wakefd;

	pthread_t res_thread;        /*!< Resolver thread. */
	pthread_cond_t res_cond;     /*!< Wakes the resolver (with lock). */
	bool res_running;
	bool res_stop;
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

/*! Formats the log label of a reference ("NAME POOL/ADDRESS[ at PROBE][ (CHECK)]"). */
void gtm_ref_label(const gtm_ref_info_t *info, char *out, size_t len);
