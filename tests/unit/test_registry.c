/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * The registry with its prober and resolver threads against loopback TCP
 * listeners (integration style: real threads and clock, bounded waits, no
 * timing assertions): hostname targets, up_since, failback hold-down logs.
 * knotd_mod_log() is replaced by a recorder.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "test_probe_util.h"

#define WAIT_MS		15000
#define LOG_SIZE	16384

/*! A reference whose log label ends with "p/LABEL". */
static const gtm_ref_info_t *ref_info(const char *label)
{
	static gtm_ref_info_t info;
	info = (gtm_ref_info_t){ .name = "x.", .pool = "p", .address = label,
	                         .check = "c" };
	return &info;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[LOG_SIZE];
static size_t log_len;

/* Fake module instances (only compared and passed back to the log). */
static int inst_a, inst_b;
#define MOD_A	((knotd_mod_t *)&inst_a)
#define MOD_B	((knotd_mod_t *)&inst_b)

void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	(void)mod;
	(void)priority;
	char line[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);

	pthread_mutex_lock(&log_lock);
	int n = snprintf(log_buf + log_len, sizeof(log_buf) - log_len, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(log_buf) - log_len) {
		log_len += n;
	}
	pthread_mutex_unlock(&log_lock);
}

static bool log_has(const char *text)
{
	pthread_mutex_lock(&log_lock);
	bool found = strstr(log_buf, text) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

static unsigned log_count(const char *text)
{
	unsigned count = 0;
	pthread_mutex_lock(&log_lock);
	for (const char *p = strstr(log_buf, text); p != NULL; p = strstr(p + 1, text)) {
		count++;
	}
	pthread_mutex_unlock(&log_lock);
	return count;
}

static void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_buf[0] = '\0';
	log_len = 0;
	pthread_mutex_unlock(&log_lock);
}

/* State and up_since of a slot in the current snapshot. */
static gtm_health_t health(uint32_t slot, uint64_t *up_since)
{
	gtm_health_t state = GTM_HEALTH_UNKNOWN;
	*up_since = 0;
	rcu_read_lock();
	const gtm_health_snap_t *snap = gtm_registry_health();
	if (snap != NULL && slot < snap->count) {
		state = snap->state[slot];
		*up_since = snap->up_since[slot];
	}
	rcu_read_unlock();
	return state;
}

static gtm_health_t wait_state(uint32_t slot, gtm_health_t want, uint64_t *up_since)
{
	gtm_health_t state = health(slot, up_since);
	for (int waited = 0; state != want && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
		state = health(slot, up_since);
	}
	return state;
}

static bool wait_log(const char *text)
{
	for (int waited = 0; !log_has(text) && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	return log_has(text);
}

/* A TCP check spec with short timers. */
static void tcp_spec(gtm_target_spec_t *spec, const struct sockaddr_storage *addr,
                     uint16_t port)
{
	gtm_check_t check = {
		.type = GTM_CHECK_TCP, .port = port, .interval_ms = 100,
		.timeout_ms = TEST_TIMEOUT_MS, .rise = 1, .fall = 1,
	};
	gtm_target_spec_init(spec, &check, addr);
}

static int setup(void **state)
{
	(void)state;
	log_clear();
	return gtm_registry_acquire() == KNOT_EOK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	gtm_registry_release();
	return 0;
}

/* 'localhost.' is resolved by the resolver thread and probed there. */
static void test_hostname_localhost(void **state)
{
	(void)state;
	/* Listen where the system resolver sends 'localhost' first. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	assert_int_equal(getaddrinfo("localhost", NULL, &hints, &res), 0);
	struct sockaddr_storage lo = { 0 };
	memcpy(&lo, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	int lfd = test_listen_at(&lo);
	char expect[96], addr_str[64];
	assert_true(gtm_addr_str(&lo, addr_str, sizeof(addr_str)) > 0);
	snprintf(expect, sizeof(expect), "localhost resolved to %s", addr_str);

	gtm_target_spec_t spec;
	struct sockaddr_storage unspec = { .ss_family = AF_UNSPEC };
	tcp_spec(&spec, &unspec, test_port(&lo));
	spec.hostname = "localhost.";

	uint32_t slot;
	gtm_registry_lock();
	assert_int_equal(gtm_registry_target_get(&spec, MOD_A, ref_info("localhost"), 0, &slot),
	                 KNOT_EOK);
	gtm_registry_unlock();

	uint64_t up_since;
	assert_int_equal(wait_state(slot, GTM_HEALTH_UP, &up_since), GTM_HEALTH_UP);
	assert_int_equal(up_since, 0); /* First result up: no hold-down. */
	assert_true(wait_log(expect));
	assert_true(log_has("localhost up (connected, first check)"));

	/* The listener gone, the resolved address is probed and fails. */
	close(lfd);
	assert_int_equal(wait_state(slot, GTM_HEALTH_DOWN, &up_since), GTM_HEALTH_DOWN);
	assert_int_equal(up_since, 0);
	/* Resolved once (the next resolution is a minute away). */
	assert_int_equal(log_count("resolved to"), 1);

	gtm_registry_lock();
	gtm_registry_target_put(slot, MOD_A);
	gtm_registry_unlock();
}

/* An HTTP check of a hostname target sends the name as Host. */
static void test_hostname_http_host(void **state)
{
	(void)state;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	assert_int_equal(getaddrinfo("localhost", NULL, &hints, &res), 0);
	struct sockaddr_storage lo = { 0 };
	memcpy(&lo, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	int lfd = test_listen_at(&lo);

	gtm_check_t check = {
		.type = GTM_CHECK_HTTP, .port = test_port(&lo), .path = "/health",
		.expect_min = 200, .expect_max = 399, .interval_ms = 1000,
		.timeout_ms = 2000, .rise = 1, .fall = 1,
	};
	gtm_target_spec_t spec;
	struct sockaddr_storage unspec = { .ss_family = AF_UNSPEC };
	gtm_target_spec_init(&spec, &check, &unspec);
	spec.hostname = "LocalHost.";

	uint32_t slot;
	gtm_registry_lock();
	assert_int_equal(gtm_registry_target_get(&spec, MOD_A, ref_info("web"), 0, &slot),
	                 KNOT_EOK);
	gtm_registry_unlock();

	int fd = -1;
	for (int i = 0; fd < 0 && i < WAIT_MS / TEST_SERVER_WAIT_MS; i++) {
		fd = test_accept(lfd);
	}
	assert_true(fd >= 0);
	char req[1024], host[64];
	assert_true(test_read_request(fd, req, sizeof(req)) > 0);
	snprintf(host, sizeof(host), "\r\nHost: LocalHost:%u\r\n", test_port(&lo));
	assert_non_null(strstr(req, "GET /health HTTP/1.1\r\n"));
	assert_non_null(strstr(req, host));
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_true(test_send_all(fd, ok, strlen(ok)));
	close(fd);

	uint64_t up_since;
	assert_int_equal(wait_state(slot, GTM_HEALTH_UP, &up_since), GTM_HEALTH_UP);
	assert_true(log_has("web up (http status 200, first check)"));

	gtm_registry_lock();
	gtm_registry_target_put(slot, MOD_A);
	gtm_registry_unlock();
	close(lfd);
}

/* A failed resolution is a failed result with the reason. */
static void test_hostname_unresolvable(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	struct sockaddr_storage unspec = { .ss_family = AF_UNSPEC };
	tcp_spec(&spec, &unspec, 80);
	spec.hostname = "no-such-host.invalid.";

	uint32_t slot;
	gtm_registry_lock();
	assert_int_equal(gtm_registry_target_get(&spec, MOD_A, ref_info("bad"), 0, &slot),
	                 KNOT_EOK);
	gtm_registry_unlock();

	uint64_t up_since;
	assert_int_equal(wait_state(slot, GTM_HEALTH_DOWN, &up_since), GTM_HEALTH_DOWN);
	assert_true(wait_log("bad down (cannot resolve ("));
	assert_false(log_has("resolved to"));

	gtm_registry_lock();
	gtm_registry_target_put(slot, MOD_A);
	gtm_registry_unlock();
}

/*
 * Down -> up sets up_since and logs the hold-down per group of references
 * with one hold; its end is logged once per reference, also for one taken
 * during the hold-down (a reload).
 */
static void test_failback_hold(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo);

	gtm_target_spec_t spec;
	tcp_spec(&spec, &lo, test_port(&lo));

	uint32_t slot, slot2;
	gtm_registry_lock();
	assert_int_equal(gtm_registry_target_get(&spec, MOD_A, ref_info("held-a"), 300, &slot), KNOT_EOK);
	assert_int_equal(gtm_registry_target_get(&spec, MOD_B, ref_info("held-b"), 300, &slot2), KNOT_EOK);
	assert_int_equal(slot2, slot);
	assert_int_equal(gtm_registry_target_get(&spec, MOD_A, ref_info("free"), 0, &slot2), KNOT_EOK);
	assert_int_equal(slot2, slot);
	gtm_registry_unlock();

	uint64_t up_since;
	assert_int_equal(wait_state(slot, GTM_HEALTH_UP, &up_since), GTM_HEALTH_UP);
	assert_int_equal(up_since, 0);
	close(lfd);
	assert_int_equal(wait_state(slot, GTM_HEALTH_DOWN, &up_since), GTM_HEALTH_DOWN);
	assert_int_equal(up_since, 0);
	assert_true(log_has("held-a (+2 more) down (connect refused"));

	lfd = test_listen_at(&lo);
	assert_int_equal(wait_state(slot, GTM_HEALTH_UP, &up_since), GTM_HEALTH_UP);
	assert_true(up_since > 0);
	assert_true(up_since <= gtm_now_ms());

	/* A reference taken during the hold-down (reload): its end is logged. */
	gtm_registry_lock();
	assert_int_equal(gtm_registry_target_get(&spec, MOD_B, ref_info("late"), 5000, &slot2), KNOT_EOK);
	gtm_registry_unlock();

	assert_true(log_has("held-a (+1 more) up (connected, 1/1 successes), "
	                    "failback held for 0.3s\n"));
	assert_true(log_has("free up (connected, 1/1 successes)\n"));
	assert_true(wait_log("held-a (+1 more) failback hold-down over (up for "));
	assert_true(wait_log("late failback hold-down over (up for "));
	/* Once each. */
	test_sleep_ms(300);
	assert_int_equal(log_count("hold-down over"), 2);
	uint64_t again;
	assert_int_equal(health(slot, &again), GTM_HEALTH_UP);
	assert_true(again == up_since);

	gtm_registry_lock();
	gtm_registry_target_put(slot, MOD_A);
	gtm_registry_target_put(slot, MOD_B);
	gtm_registry_target_put(slot, MOD_A);
	gtm_registry_target_put(slot, MOD_B);
	gtm_registry_unlock();
	close(lfd);
}

int main(void)
{
	rcu_register_thread();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostname_localhost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostname_http_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostname_unresolvable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failback_hold, setup, teardown),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return ret;
}
