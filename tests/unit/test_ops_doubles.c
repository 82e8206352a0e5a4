/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "test_ops_doubles.h"
#include "webhook.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char hook_buf[16384];
static size_t hook_len;
static uint32_t watchdog_after;
static uint32_t eval_slot = UINT32_MAX;

#define STATS_MAX	16
static struct {
	knotd_mod_t *mod;
	uint32_t ctr, idx;
	uint64_t count;
} stats[STATS_MAX];

int gtm_webhook_start(const char *url, uint32_t timeout_ms)
{
	(void)url;
	(void)timeout_ms;
	return KNOT_EOK;
}

void gtm_webhook_stop(void)
{
}

void gtm_webhook_event(const char *event, const char *subject_key,
                       const char *subject, const char *state,
                       const char *reason)
{
	(void)subject_key;
	(void)reason;
	pthread_mutex_lock(&lock);
	int n = snprintf(hook_buf + hook_len, sizeof(hook_buf) - hook_len,
	                 "%s %s %s\n", event, subject, state ? state : "-");
	if (n > 0 && (size_t)n < sizeof(hook_buf) - hook_len) {
		hook_len += n;
	}
	pthread_mutex_unlock(&lock);
}

void gtm_webhook_stats(gtm_webhook_stats_t *out)
{
	*out = (gtm_webhook_stats_t){ .ok = 7, .failed = 1, .dropped = 0 };
}

bool gtm_webhook_take_error(char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return false;
}

bool test_hook_has(const char *text)
{
	return test_hook_count(text) > 0;
}

unsigned test_hook_count(const char *text)
{
	unsigned count = 0;
	pthread_mutex_lock(&lock);
	for (const char *p = strstr(hook_buf, text); p != NULL; p = strstr(p + 1, text)) {
		count++;
	}
	pthread_mutex_unlock(&lock);
	return count;
}

void test_hook_clear(void)
{
	pthread_mutex_lock(&lock);
	hook_buf[0] = '\0';
	hook_len = 0;
	pthread_mutex_unlock(&lock);
}

void gtm_watchdog_set(uint32_t stale_after_ms, gtm_stale_policy_t policy)
{
	(void)policy;
	__atomic_store_n(&watchdog_after, stale_after_ms, __ATOMIC_RELAXED);
}

uint32_t test_watchdog_after(void)
{
	return __atomic_load_n(&watchdog_after, __ATOMIC_RELAXED);
}

const char *gtm_eval_kind_str(gtm_eval_kind_t kind)
{
	return (kind == GTM_EVAL_ADDRESS) ? "address" : "static";
}

void test_eval_slot(uint32_t slot)
{
	__atomic_store_n(&eval_slot, slot, __ATOMIC_RELAXED);
}

void gtm_tables_eval(const gtm_view_t *view, gtm_name_eval_cb cb, void *ctx)
{
	uint32_t slot = __atomic_load_n(&eval_slot, __ATOMIC_RELAXED);
	if (slot == UINT32_MAX) {
		return;
	}
	bool down = gtm_policy_health(view, slot) == GTM_HEALTH_DOWN;
	gtm_name_eval_t eval = {
		.name = "x.", .zone = ".", .family = "A",
		.kind = down ? GTM_EVAL_STATIC : GTM_EVAL_ADDRESS,
		.answer = down ? "" : "192.0.2.1 192.0.2.2", .pool = down ? "" : "p",
		.degraded = down, .all_down = down,
		.why = down ? "pool p: 0/1 up" : "pool p \"eligible\"",
		.answers = { 3, 1, 0, 2 },
	};
	cb(&eval, ctx);
}

void knotd_mod_stats_incr(knotd_mod_t *mod, unsigned thr_id, uint32_t ctr_id,
                          uint32_t idx, uint64_t val)
{
	(void)thr_id;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < STATS_MAX; i++) {
		if (stats[i].mod == NULL || (stats[i].mod == mod &&
		    stats[i].ctr == ctr_id && stats[i].idx == idx)) {
			stats[i].mod = mod;
			stats[i].ctr = ctr_id;
			stats[i].idx = idx;
			stats[i].count += val;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

uint64_t test_stats(knotd_mod_t *mod, uint32_t ctr, uint32_t idx)
{
	uint64_t count = 0;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < STATS_MAX; i++) {
		if (stats[i].mod == mod && stats[i].ctr == ctr && stats[i].idx == idx) {
			count = stats[i].count;
		}
	}
	pthread_mutex_unlock(&lock);
	return count;
}
