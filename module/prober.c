/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The prober thread: timers, non-blocking probes, health publication.
 *
 * One thread per process. Each target has one timer (gtm_target_t.wake_ms):
 * the start of its next probe while idle, the probe deadline while a probe
 * is in flight. Probe sockets are watched with epoll. When a state changes,
 * and at least every second (heartbeat for the watchdog), a new immutable
 * health snapshot replaces the old one by an RCU pointer swap; the old one
 * is freed after a grace period, here, never on the query path. Admin
 * overrides, reports and alerts are applied around it (ops_state.c,
 * override.c).
 */

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "registry.h"
#include "ops_fmt.h"
#include "registry_int.h"

#define WAKE_TAG	UINT64_MAX
#define MAX_EVENTS	256
#define MAX_WAIT_MS	1000
#define BUSY_RETRY_MS	10
#define HEARTBEAT_MS	1000

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint32_t rand_below(uint32_t bound)
{
	static __thread uint64_t state;
	if (state == 0) {
		state = gtm_now_ms() ^ (uint64_t)(uintptr_t)&state;
	}
	/* xorshift64 */
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (bound == 0) ? 0 : (uint32_t)(state % bound);
}

void gtm_prober_wake(void)
{
	if (gtm_reg.wakefd >= 0) {
		uint64_t one = 1;
		if (write(gtm_reg.wakefd, &one, sizeof(one)) < 0) {
			/* Counter full: the prober is awake anyway. */
		}
	}
}

/*! References of a target logged in one line: those with one hold-down. */
typedef struct {
	uint32_t hold_ms;  /*!< Hold-down of the group (the longest if mixed). */
	uint32_t first;    /*!< First reference of the group. */
	uint32_t count;    /*!< References in the group. */
	bool mixed;        /*!< Overflow group: several hold-downs. */
} ref_group_t;

#define REF_GROUPS	4

/*! A reference whose hold-down is running and over at now. */
static bool hold_due(const gtm_target_t *t, const gtm_ref_t *ref, uint64_t now)
{
	return ref->hold_wait && now >= t->up_since + ref->hold_ms;
}

/*!
 * Groups the references (all, or only those with hold_due() if due_only)
 * by their hold-down, in order of first appearance; references beyond
 * REF_GROUPS distinct hold-downs join the last group ("up to" its longest).
 */
static unsigned ref_groups(const gtm_target_t *t, bool due_only, uint64_t now,
                           ref_group_t groups[REF_GROUPS])
{
	unsigned n = 0;
	for (uint32_t i = 0; i < t->ref_count; i++) {
		if (due_only && !hold_due(t, &t->refs[i], now)) {
			continue;
		}
		uint32_t hold = t->refs[i].hold_ms;
		unsigned g = 0;
		while (g < n && groups[g].hold_ms != hold && !groups[g].mixed) {
			g++;
		}
		if (g == n && n == REF_GROUPS) {
			g = n - 1;
			groups[g].mixed = true;
			if (hold > groups[g].hold_ms) {
				groups[g].hold_ms = hold;
			}
		} else if (g == n) {
			groups[n++] = (ref_group_t){ .hold_ms = hold, .first = i };
		}
		groups[g].count++;
	}
	return n;
}

/*! " (+N more)" after the label of a group of N+1 references. */
static const char *fmt_more(const ref_group_t *g, char *out, size_t out_len)
{
	out[0] = '\0';
	if (g->count > 1) {
		snprintf(out, out_len, " (+%u more)", g->count - 1);
	}
	return out;
}

/*!
 * Logs a state change: "LABEL (+N more) down (REASON, 3/3 failures)"; a
 * comeback one line per group of references with one hold-down:
 * "LABEL (+N more) up (REASON, 2/2 successes), failback held for 30s".
 */
static void log_change(gtm_target_t *t)
{
	const char *what;
	unsigned run, need;
	int prio;
	if (t->sm.state == GTM_HEALTH_UP) {
		what = "successes";
		run = t->sm.ok_run;
		need = t->spec.rise;
		prio = LOG_NOTICE;
	} else {
		what = "failures";
		run = t->sm.fail_run;
		need = t->spec.fall;
		prio = LOG_WARNING;
	}

	/* Only a comeback (up_since set) starts hold-downs: its line says which
	 * references hold; other changes log every reference in one line. */
	ref_group_t groups[REF_GROUPS] = {
		{ .count = t->ref_count }
	};
	unsigned n = (t->up_since > 0) ? ref_groups(t, false, 0, groups) :
	             (t->ref_count > 0);
	for (unsigned g = 0; g < n; g++) {
		const gtm_ref_t *ref = &t->refs[groups[g].first];
		char more[32], held[64] = "", dur[32];
		fmt_more(&groups[g], more, sizeof(more));
		if (t->up_since > 0 && groups[g].hold_ms > 0) {
			snprintf(held, sizeof(held), ", failback held for %s%s",
			         groups[g].mixed ? "up to " : "",
			         gtm_fmt_duration(groups[g].hold_ms, dur, sizeof(dur)));
		}
		if (!t->probed) {
			knotd_mod_log(ref->mod, (t->sm.state == GTM_HEALTH_UP) ? LOG_INFO : prio,
			              "%s%s %s (%s, first check)", ref->label, more,
			              gtm_health_str(t->sm.state), t->reason);
		} else {
			knotd_mod_log(ref->mod, prio, "%s%s %s (%s, %u/%u %s)%s",
			              ref->label, more, gtm_health_str(t->sm.state),
			              t->reason, (run < need) ? run : need, need, what,
			              held);
		}
	}
}

/*! Marks the references whose hold-down starts now (the target came up). */
static void hold_start(gtm_target_t *t)
{
	t->hold_wait = false;
	for (uint32_t i = 0; i < t->ref_count; i++) {
		t->refs[i].hold_wait = (t->up_since > 0 && t->refs[i].hold_ms > 0);
		t->hold_wait |= t->refs[i].hold_wait;
	}
}

/*!
 * Logs once, at the first result at or after up_since + hold_ms, that the
 * hold-down of a reference is over; the target stayed up meanwhile.
 */
static void hold_check(gtm_target_t *t, uint64_t now)
{
	ref_group_t groups[REF_GROUPS];
	unsigned n = ref_groups(t, true, now, groups);
	char dur[32], more[32];
	/* Elapsed time shown to a tenth of a second. */
	gtm_fmt_duration((now - t->up_since) / 100 * 100, dur, sizeof(dur));
	for (unsigned g = 0; g < n; g++) {
		const gtm_ref_t *ref = &t->refs[groups[g].first];
		knotd_mod_log(ref->mod, LOG_NOTICE,
		              "%s%s failback hold-down over (up for %s)", ref->label,
		              fmt_more(&groups[g], more, sizeof(more)), dur);
	}

	t->hold_wait = false;
	for (uint32_t i = 0; i < t->ref_count; i++) {
		if (hold_due(t, &t->refs[i], now)) {
			t->refs[i].hold_wait = false;
		}
		t->hold_wait |= t->refs[i].hold_wait;
	}
}

static void probe_release(gtm_target_t *t)
{
	if (t->probe == NULL) {
		return;
	}
	if (gtm_reg.probe_pool_len < GTM_PROBE_POOL) {
		gtm_reg.probe_pool[gtm_reg.probe_pool_len++] = t->probe;
	} else {
		free(t->probe);
		gtm_reg.probe_freed++;
	}
	t->probe = NULL;
	gtm_reg.inflight--;
}

void gtm_prober_cancel(gtm_target_t *t)
{
	if (t->probe != NULL) {
		if (t->probe->fd >= 0) {
			(void)gtm_probe_abort(t->probe);
		}
		probe_release(t);
	}
}

/*!
 * Delay until the next probe of a target.
 *
 * Truth table (state after the result, result, first result):
 *   any,  any,   first result       -> interval/2 .. interval (spread phases)
 *   UP,   fail,  not first          -> recheck (a fall is in progress)
 *   DOWN, ok,    not first          -> recheck (a rise is in progress)
 *   otherwise                       -> interval
 * A recheck of 0 means the interval.
 */
static uint32_t next_delay(const gtm_target_t *t, bool ok, bool first)
{
	uint32_t interval = t->spec.interval_ms;
	if (first) {
		return interval / 2 + rand_below(interval / 2 + 1);
	}
	bool pending = (t->sm.state == GTM_HEALTH_UP && !ok) ||
	               (t->sm.state == GTM_HEALTH_DOWN && ok);
	if (pending && t->spec.recheck_ms > 0 && t->spec.recheck_ms < interval) {
		return t->spec.recheck_ms;
	}
	return interval;
}

/*!
 * Records a result (reason in t->reason) and schedules the next probe.
 *
 * up_since: DOWN -> UP sets it to now (hold-downs start); any other change
 * (UNKNOWN -> UP, -> DOWN, a warm state replaced) clears it. A warm state
 * (from the state file) is replaced by the first fresh result at once.
 */
static void record(gtm_target_t *t, bool ok, uint64_t now)
{
	gtm_health_t before = t->sm.state;
	bool warm = t->stats.warm;
	if (warm) {
		t->sm.state = GTM_HEALTH_UNKNOWN;
		t->sm.ok_run = t->sm.fail_run = 0;
	}
	bool changed = gtm_health_sm_update(&t->sm, ok, t->spec.rise, t->spec.fall, now);
	if (changed) {
		bool back = (!warm && before == GTM_HEALTH_DOWN &&
		             t->sm.state == GTM_HEALTH_UP);
		t->up_since = back ? ((now > 0) ? now : 1) : 0;
		hold_start(t);
		log_change(t);
		gtm_reg.dirty = true;
	} else if (t->hold_wait && t->sm.state == GTM_HEALTH_UP) {
		hold_check(t, now);
	}
	gtm_ops_result(t, ok, before, changed && t->sm.state != before);

	t->wake_ms = now + next_delay(t, ok, !t->probed);
	t->probed = true;
	gtm_heap_update(t);
}

/*! Records a finished probe and schedules the next one. */
static void probe_done(gtm_target_t *t, gtm_probe_status_t status, uint64_t now)
{
	snprintf(t->reason, sizeof(t->reason), "%s", t->probe->reason);
	uint64_t took = now_us() - t->stats.start_us;
	t->stats.latency_us = (took > UINT32_MAX) ? UINT32_MAX : (uint32_t)took;
	probe_release(t);
	record(t, status == GTM_PROBE_OK, now);
}

/*!
 * What a probe of a target is sent to.
 *
 * Truth table (target, resolution -> result):
 *   address target,  -        -> the spec
 *   hostname target, OK       -> the spec with the resolved address and,
 *                                unless the check sets 'host', the host name
 *                                as HTTP Host and TLS name
 *   hostname target, FAILED   -> NULL, a failed result recorded (reason
 *                                "cannot resolve (...)")
 *   hostname target, PENDING  -> NULL, off the timers (the resolver puts it
 *                                back with its first resolution)
 */
static const gtm_target_spec_t *probe_spec(gtm_target_t *t, uint64_t now)
{
	gtm_resolve_t *res = t->res;
	if (res == NULL) {
		return &t->spec;
	}
	switch (res->state) {
	case GTM_RESOLVE_OK:
		res->probe_spec = t->spec;
		res->probe_spec.addr = res->addr;
		if (t->spec.host == NULL || t->spec.host[0] == '\0') {
			res->probe_spec.host = res->host;
		}
		return &res->probe_spec;
	case GTM_RESOLVE_FAILED:
		snprintf(t->reason, sizeof(t->reason), "%s", res->reason);
		t->stats.latency_us = 0;
		record(t, false, now);
		return NULL;
	default:
		gtm_heap_remove(t);
		return NULL;
	}
}

static void probe_begin(gtm_target_t *t, uint64_t now)
{
	if (t->force == GTM_FORCE_DOWN) {
		gtm_heap_remove(t); /* Not probed until released. */
		return;
	}
	const gtm_target_spec_t *spec = probe_spec(t, now);
	if (spec == NULL) {
		return;
	}
	if (gtm_reg.inflight >= GTM_MAX_INFLIGHT) {
		t->wake_ms = now + BUSY_RETRY_MS;
		gtm_heap_update(t);
		return;
	}
	if (gtm_reg.probe_pool_len > 0) {
		t->probe = gtm_reg.probe_pool[--gtm_reg.probe_pool_len];
	} else {
		t->probe = malloc(sizeof(*t->probe));
		if (t->probe == NULL) {
			t->wake_ms = now + BUSY_RETRY_MS;
			gtm_heap_update(t);
			return;
		}
	}
	gtm_reg.inflight++;

	t->stats.start_us = now_us();
	gtm_probe_status_t status = gtm_probe_start(t->probe, spec);
	if (status != GTM_PROBE_PENDING) {
		probe_done(t, status, now);
		return;
	}

	struct epoll_event ev = {
		.events = t->probe->events,
		.data.u64 = ((uint64_t)t->gen << 32) | t->slot,
	};
	if (epoll_ctl(gtm_reg.epfd, EPOLL_CTL_ADD, t->probe->fd, &ev) != 0) {
		(void)gtm_probe_abort(t->probe);
		snprintf(t->probe->reason, sizeof(t->probe->reason),
		         "epoll failed (%s)", strerror(errno));
		probe_done(t, GTM_PROBE_FAIL, now);
		return;
	}
	t->wake_ms = now + t->spec.timeout_ms;
	gtm_heap_update(t);
}

static void handle_event(const struct epoll_event *ev, uint64_t now)
{
	uint32_t slot = (uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	gtm_target_t *t = (slot < gtm_reg.slot_count) ? gtm_reg.targets[slot] : NULL;
	if (t == NULL || t->gen != gen || t->probe == NULL) {
		return; /* Stale event of a removed or finished probe. */
	}

	uint32_t before = t->probe->events;
	int fd_before = t->probe->fd;
	gtm_probe_status_t status = gtm_probe_io(t->probe, ev->events);
	if (status != GTM_PROBE_PENDING) {
		probe_done(t, status, now);
		return;
	}
	/* A new descriptor (DNS over TCP after UDP) is registered anew. */
	if (t->probe->events != before || t->probe->fd != fd_before) {
		int op = (t->probe->fd != fd_before) ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
		struct epoll_event mod = { .events = t->probe->events, .data = ev->data };
		if (epoll_ctl(gtm_reg.epfd, op, t->probe->fd, &mod) != 0) {
			(void)gtm_probe_abort(t->probe);
			snprintf(t->probe->reason, sizeof(t->probe->reason),
			         "epoll failed (%s)", strerror(errno));
			probe_done(t, GTM_PROBE_FAIL, now);
		}
	}
}

static void run_timers(uint64_t now)
{
	while (gtm_reg.heap_len > 0) {
		if (gtm_reg.heap[0].wake_ms > now) {
			break;
		}
		gtm_target_t *t = gtm_reg.targets[gtm_reg.heap[0].slot];
		if (t->probe != NULL) {
			probe_done(t, gtm_probe_abort(t->probe), now);
		} else {
			probe_begin(t, now);
		}
	}
}

/*!
 * Builds the next snapshot (under the lock); the caller publishes it.
 * One allocation: header, states, then (aligned) the up_since array.
 * States are the effective ones (admin overrides applied); up_since only
 * where the real state is published.
 */
static gtm_health_snap_t *snapshot_build(void)
{
	uint32_t count = gtm_reg.slot_count;
	size_t up_off = sizeof(gtm_health_snap_t) + count;
	up_off = (up_off + _Alignof(uint64_t) - 1) & ~(_Alignof(uint64_t) - 1);
	gtm_health_snap_t *snap = malloc(up_off + (size_t)count * sizeof(uint64_t));
	if (snap == NULL) {
		return NULL;
	}
	uint64_t *up_since = (uint64_t *)((uint8_t *)snap + up_off);
	snap->version = gtm_reg.version + 1;
	snap->published_ms = gtm_now_ms();
	snap->count = count;
	snap->up_since = up_since;
	for (uint32_t s = 0; s < count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		gtm_health_t state = (t != NULL) ? gtm_target_effective(t) : GTM_HEALTH_UNKNOWN;
		snap->state[s] = state;
		up_since[s] = (t != NULL && state == t->sm.state) ? t->up_since : 0;
	}
	return snap;
}

/*!
 * Time to wait for events: until the next timer, heartbeat, look at the
 * admin file or report write, at most MAX_WAIT_MS; timers and heartbeats
 * wait while paused.
 */
static int wait_timeout(uint64_t now)
{
	uint64_t wake = now + MAX_WAIT_MS;
	if (!gtm_reg.ops.paused) {
		if (gtm_reg.heap_len > 0 && gtm_reg.heap[0].wake_ms < wake) {
			wake = gtm_reg.heap[0].wake_ms;
		}
		const gtm_health_snap_t *cur = gtm_health_current;
		if (cur != NULL && cur->published_ms + HEARTBEAT_MS < wake) {
			wake = cur->published_ms + HEARTBEAT_MS;
		}
	}
	if (gtm_reg.ops.admin_next_ms != 0 && gtm_reg.ops.admin_next_ms < wake) {
		wake = gtm_reg.ops.admin_next_ms;
	}
	uint64_t write = gtm_ops_write_due();
	if (write != 0 && write < wake) {
		wake = write;
	}
	return (wake <= now) ? 0 : (int)(wake - now);
}

static void process_events(const struct epoll_event *events, int n)
{
	uint64_t now = gtm_now_ms();
	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == WAKE_TAG) {
			uint64_t val;
			if (read(gtm_reg.wakefd, &val, sizeof(val)) < 0) {
				/* Nothing to read: spurious wake-up. */
			}
			continue;
		}
		handle_event(&events[i], now);
	}
}

static void publish(void)
{
	gtm_health_snap_t *snap = snapshot_build();
	if (snap == NULL) {
		return; /* Stays dirty, tried again next round. */
	}
	gtm_reg.dirty = false;
	gtm_reg.version = snap->version;
	gtm_health_snap_t *old = rcu_xchg_pointer(&gtm_health_current, snap);
	pthread_cond_broadcast(&gtm_reg.pub_cond);

	/* The new snapshot is visible now; only freeing the old one waits. */
	pthread_mutex_unlock(&gtm_reg.lock);
	synchronize_rcu();
	free(old);
	pthread_mutex_lock(&gtm_reg.lock);
}

/*! Publication due: a change, or the heartbeat (never while paused). */
static bool publish_due(uint64_t now)
{
	const gtm_health_snap_t *cur = gtm_health_current;
	return gtm_reg.dirty || cur == NULL || now >= cur->published_ms + HEARTBEAT_MS;
}

static void *prober_main(void *arg)
{
	(void)arg;
	struct epoll_event events[MAX_EVENTS];

	rcu_register_thread();
	pthread_mutex_lock(&gtm_reg.lock);

	while (!gtm_reg.stop) {
		/* Replies that arrived while another thread held the lock are
		 * read before any deadline is judged. */
		process_events(events, epoll_wait(gtm_reg.epfd, events, MAX_EVENTS, 0));
		uint64_t now = gtm_now_ms();
		gtm_ops_tick(now);
		/* Paused: no probes start and the last snapshot stays. */
		if (!gtm_reg.ops.paused) {
			run_timers(now);
			if (publish_due(gtm_now_ms())) {
				publish();
			}
		}
		gtm_ops_report(gtm_health_current);

		/* A burst of probes (every target due at start) leaves megabytes
		 * of freed probe objects in the allocator: give them back. */
		if (gtm_reg.probe_freed >= GTM_TRIM_AFTER &&
		    gtm_reg.inflight <= GTM_PROBE_POOL) {
			gtm_reg.probe_freed = 0;
			malloc_trim(0);
		}

		int timeout = wait_timeout(gtm_now_ms());
		pthread_mutex_unlock(&gtm_reg.lock);
		int n = epoll_wait(gtm_reg.epfd, events, MAX_EVENTS, timeout);
		pthread_mutex_lock(&gtm_reg.lock);
		process_events(events, n);
	}

	pthread_mutex_unlock(&gtm_reg.lock);
	rcu_unregister_thread();
	return NULL;
}

int gtm_prober_start(void)
{
	int ret = KNOT_ERROR;
	sigset_t all, old;

	gtm_reg.epfd = epoll_create1(EPOLL_CLOEXEC);
	gtm_reg.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (gtm_reg.epfd < 0 || gtm_reg.wakefd < 0) {
		ret = knot_map_errno();
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TAG };
	if (epoll_ctl(gtm_reg.epfd, EPOLL_CTL_ADD, gtm_reg.wakefd, &ev) != 0) {
		ret = knot_map_errno();
		goto fail;
	}

	/* The thread must not take the server's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	gtm_reg.stop = false;
	int err = pthread_create(&gtm_reg.thread, NULL, prober_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		ret = knot_map_errno_code(err);
		goto fail;
	}
	gtm_reg.running = true;

	ret = gtm_resolver_start();
	if (ret != KNOT_EOK) {
		gtm_reg.stop = true;
		gtm_prober_wake();
		pthread_mutex_unlock(&gtm_reg.lock);
		pthread_join(gtm_reg.thread, NULL);
		pthread_mutex_lock(&gtm_reg.lock);
		gtm_reg.running = false;
		goto fail;
	}
	return KNOT_EOK;
fail:
	if (gtm_reg.epfd >= 0) {
		close(gtm_reg.epfd);
	}
	if (gtm_reg.wakefd >= 0) {
		close(gtm_reg.wakefd);
	}
	gtm_reg.epfd = gtm_reg.wakefd = -1;
	return ret;
}

void gtm_prober_stop(void)
{
	gtm_resolver_stop();

	pthread_mutex_lock(&gtm_reg.lock);
	if (!gtm_reg.running) {
		pthread_mutex_unlock(&gtm_reg.lock);
		return;
	}
	gtm_reg.stop = true;
	gtm_prober_wake();
	pthread_mutex_unlock(&gtm_reg.lock);

	pthread_join(gtm_reg.thread, NULL);

	pthread_mutex_lock(&gtm_reg.lock);
	gtm_reg.running = false;
	close(gtm_reg.epfd);
	close(gtm_reg.wakefd);
	gtm_reg.epfd = gtm_reg.wakefd = -1;
	while (gtm_reg.probe_pool_len > 0) {
		free(gtm_reg.probe_pool[--gtm_reg.probe_pool_len]);
	}
	pthread_mutex_unlock(&gtm_reg.lock);
}
