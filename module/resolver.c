/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The resolver thread: addresses of hostname targets.
 *
 * getaddrinfo() blocks, so it never runs in the prober thread. This thread
 * picks a due hostname target under the registry lock, resolves it without
 * the lock, and stores the first address (with the check's port) in the
 * target under the lock again; the prober probes that address. A new
 * target is resolved at once, then every GTM_RESOLVE_MS (a failure is
 * retried after GTM_RESOLVE_RETRY_MS). Until its first resolution a target
 * is not probed; after a failed one its probes fail with the reason.
 */

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry.h"
#include "registry_int.h"

#define NO_SLOT		UINT32_MAX

/*! One resolution, copied out of the target so it runs without the lock. */
typedef struct {
	uint32_t slot;
	uint32_t gen;
	uint16_t port;                   /*!< Network order. */
	char host[KNOT_DNAME_TXT_MAXLEN + 1]; /*!< Without a trailing dot. */
} job_t;

void gtm_resolver_wake(void)
{
	if (gtm_reg.res_running) {
		pthread_cond_signal(&gtm_reg.res_cond);
	}
}

/*!
 * Picks the first due hostname target into job (slot NO_SLOT: none) and
 * returns the time of the next resolution due after it (0: none known).
 */
static uint64_t job_pick(job_t *job, uint64_t now)
{
	uint64_t next = 0;
	job->slot = NO_SLOT;
	if (gtm_reg.host_count == 0) {
		return 0;
	}
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		if (t == NULL || t->res == NULL) {
			continue;
		}
		if (t->res->next_ms > now || job->slot != NO_SLOT) {
			if (next == 0 || t->res->next_ms < next) {
				next = t->res->next_ms;
			}
			continue;
		}
		job->slot = s;
		job->gen = t->gen;
		job->port = ((const struct sockaddr_in *)&t->spec.addr)->sin_port;
		snprintf(job->host, sizeof(job->host), "%s", t->res->host);
	}
	return next;
}

/*! First address of a host name (AF_UNSPEC, SOCK_STREAM) with a port. */
static int job_resolve(const job_t *job, struct sockaddr_storage *out)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res = NULL;

	memset(out, 0, sizeof(*out));
	int err = getaddrinfo(job->host, NULL, &hints, &res);
	if (err != 0) {
		return err;
	}
	err = EAI_NONAME;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
			memcpy(out, ai->ai_addr, sizeof(struct sockaddr_in));
			((struct sockaddr_in *)out)->sin_port = job->port;
		} else if (ai->ai_family == AF_INET6 &&
		           ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			memcpy(out, ai->ai_addr, sizeof(struct sockaddr_in6));
			((struct sockaddr_in6 *)out)->sin6_port = job->port;
		} else {
			continue;
		}
		err = 0;
		break;
	}
	freeaddrinfo(res);
	return err;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
	}
	if (a->ss_family == AF_INET6) {
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr,
		              sizeof(struct in6_addr)) == 0;
	}
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/*! Logs a new resolved address: "LABEL (+N more) resolved to ADDR (was OLD)". */
static void log_address(const gtm_target_t *t, const struct sockaddr_storage *old,
                        const struct sockaddr_storage *addr)
{
	if (t->ref_count == 0) {
		return;
	}
	char more[32] = "", now_str[64] = "", was[80] = "", old_str[64] = "";
	if (t->ref_count > 1) {
		snprintf(more, sizeof(more), " (+%u more)", t->ref_count - 1);
	}
	(void)gtm_addr_str(addr, now_str, sizeof(now_str));
	if (gtm_addr_str(old, old_str, sizeof(old_str)) > 0) {
		snprintf(was, sizeof(was), " (was %s)", old_str);
	}
	knotd_mod_log(t->refs[0].mod, LOG_INFO, "%s%s resolved to %s%s",
	              t->refs[0].label, more, now_str, was);
}

/*!
 * Stores a resolution in its target if the target still exists; the first
 * one puts the target on the prober's timers (probed at once).
 */
static void job_store(const job_t *job, int err, const struct sockaddr_storage *addr,
                      uint64_t now)
{
	gtm_target_t *t = (job->slot < gtm_reg.slot_count) ? gtm_reg.targets[job->slot] : NULL;
	if (t == NULL || t->gen != job->gen || t->res == NULL) {
		return; /* Removed meanwhile. */
	}
	gtm_resolve_t *res = t->res;
	bool first = (res->state == GTM_RESOLVE_PENDING);

	if (err != 0) {
		res->state = GTM_RESOLVE_FAILED;
		snprintf(res->reason, sizeof(res->reason), "cannot resolve (%s)",
		         gai_strerror(err));
		res->next_ms = now + GTM_RESOLVE_RETRY_MS;
	} else {
		if (!same_addr(&res->addr, addr)) {
			log_address(t, &res->addr, addr);
		}
		res->state = GTM_RESOLVE_OK;
		res->addr = *addr;
		res->next_ms = now + GTM_RESOLVE_MS;
	}

	if (first && t->probe == NULL && t->force != GTM_FORCE_DOWN) {
		t->wake_ms = now;
		gtm_heap_update(t);
		gtm_prober_wake();
	}
}

/*! Waits (with the lock) until woken, stopped, or the next due time. */
static void wait_until(uint64_t next, uint64_t now)
{
	uint64_t wait_ms = (next == 0 || next - now > GTM_RESOLVE_MS) ?
	                   GTM_RESOLVE_MS : next - now;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&gtm_reg.res_cond, &gtm_reg.lock, &ts);
}

static void *resolver_main(void *arg)
{
	(void)arg;
	job_t job;

	/* Before any knotd_mod_log(). */
	rcu_register_thread();
	pthread_mutex_lock(&gtm_reg.lock);

	while (!gtm_reg.res_stop) {
		uint64_t now = gtm_now_ms();
		uint64_t next = job_pick(&job, now);
		if (job.slot == NO_SLOT) {
			wait_until(next, now);
			continue;
		}

		pthread_mutex_unlock(&gtm_reg.lock);
		struct sockaddr_storage addr;
		int err = job_resolve(&job, &addr);
		pthread_mutex_lock(&gtm_reg.lock);

		job_store(&job, err, &addr, gtm_now_ms());
	}

	pthread_mutex_unlock(&gtm_reg.lock);
	rcu_unregister_thread();
	return NULL;
}

int gtm_resolver_start(void)
{
	pthread_condattr_t attr;
	sigset_t all, old;

	if (pthread_condattr_init(&attr) != 0) {
		return KNOT_ENOMEM;
	}
	(void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	int err = pthread_cond_init(&gtm_reg.res_cond, &attr);
	pthread_condattr_destroy(&attr);
	if (err != 0) {
		return knot_map_errno_code(err);
	}

	/* The thread must not take the server's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	gtm_reg.res_stop = false;
	err = pthread_create(&gtm_reg.res_thread, NULL, resolver_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		pthread_cond_destroy(&gtm_reg.res_cond);
		return knot_map_errno_code(err);
	}
	gtm_reg.res_running = true;
	return KNOT_EOK;
}

void gtm_resolver_stop(void)
{
	pthread_mutex_lock(&gtm_reg.lock);
	if (!gtm_reg.res_running) {
		pthread_mutex_unlock(&gtm_reg.lock);
		return;
	}
	gtm_reg.res_stop = true;
	pthread_cond_signal(&gtm_reg.res_cond);
	pthread_mutex_unlock(&gtm_reg.lock);

	/* A resolution in progress is waited for (the system resolver's
	 * time limit). */
	pthread_join(gtm_reg.res_thread, NULL);

	pthread_mutex_lock(&gtm_reg.lock);
	gtm_reg.res_running = false;
	pthread_cond_destroy(&gtm_reg.res_cond);
	pthread_mutex_unlock(&gtm_reg.lock);
}
