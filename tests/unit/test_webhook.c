/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * The webhook thread against a loopback HTTP receiver of the test (real
 * threads and clock, bounded waits; the only time bounds are generous
 * ones): JSON bodies in order, retries, the oldest dropped from a full
 * queue, a dead URL, a silent receiver, stop during a request.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "webhook.h"

#define WAIT_MS		30000
#define MAX_BODIES	600
#define MAX_HELD	16
#define MAX_STATUSES	8
#define REQ_MAX		65536

/*! The loopback receiver. */
static struct {
	int lfd;
	uint16_t port;
	pthread_t thread;
	bool running;                  /*!< Thread started. */
	atomic_bool stop;
	atomic_bool silent;            /*!< Accept and never answer. */
	pthread_mutex_t lock;
	int statuses[MAX_STATUSES];    /*!< Answers in turn, then 200. */
	size_t status_count;
	size_t requests;               /*!< Requests read. */
	size_t accepted;               /*!< Connections accepted. */
	char *bodies[MAX_BODIES];
	size_t body_count;
	char head[2048];               /*!< Head of the first request. */
	int held[MAX_HELD];            /*!< Silent connections. */
	size_t held_count;
} rx = {
	.lfd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/*! Waits (bounded) until expr holds. */
#define WAIT_UNTIL(expr) do { \
	uint64_t until_ = mono_ms() + WAIT_MS; \
	while (!(expr) && mono_ms() < until_) { \
		sleep_ms(10); \
	} \
	assert_true(expr); \
} while (0)

static gtm_webhook_stats_t stats(void)
{
	gtm_webhook_stats_t s;
	gtm_webhook_stats(&s);
	return s;
}

static size_t rx_get(size_t *counter)
{
	pthread_mutex_lock(&rx.lock);
	size_t value = *counter;
	pthread_mutex_unlock(&rx.lock);
	return value;
}

/*! Reads one request (bounded); returns its body or NULL. */
static char *read_request(int fd, char *head, size_t head_len)
{
	char *buf = malloc(REQ_MAX + 1);
	size_t len = 0;
	for (unsigned i = 0; buf != NULL && i < 100 && !atomic_load(&rx.stop); i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 50) <= 0) {
			continue;
		}
		ssize_t n = recv(fd, buf + len, REQ_MAX - len, 0);
		if (n <= 0) {
			break;
		}
		len += n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end == NULL) {
			continue;
		}
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		size_t body_len = (cl != NULL && cl < end) ? strtoul(cl + 17, NULL, 10) : 0;
		size_t head_size = end + 4 - buf;
		if (len < head_size + body_len) {
			continue;
		}
		snprintf(head, head_len, "%.*s", (int)head_size, buf);
		char *body = strndup(end + 4, body_len);
		free(buf);
		return body;
	}
	free(buf);
	return NULL;
}

static void serve(int fd)
{
	char head[2048];
	char *body = read_request(fd, head, sizeof(head));
	if (body == NULL) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&rx.lock);
	int status = (rx.requests < rx.status_count) ? rx.statuses[rx.requests] : 200;
	if (rx.requests++ == 0) {
		memcpy(rx.head, head, sizeof(rx.head));
	}
	if (rx.body_count < MAX_BODIES) {
		rx.bodies[rx.body_count++] = body;
	} else {
		free(body);
	}
	pthread_mutex_unlock(&rx.lock);

	char resp[128];
	int n = snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 2\r\n"
	                 "Connection: close\r\n\r\nok", status);
	(void)!send(fd, resp, n, MSG_NOSIGNAL);
	close(fd);
}

static void *rx_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&rx.stop)) {
		struct pollfd pfd = { .fd = rx.lfd, .events = POLLIN };
		if (poll(&pfd, 1, 50) <= 0) {
			continue;
		}
		int fd = accept(rx.lfd, NULL, NULL);
		if (fd < 0) {
			continue;
		}
		pthread_mutex_lock(&rx.lock);
		rx.accepted++;
		bool hold = atomic_load(&rx.silent) && rx.held_count < MAX_HELD;
		if (hold) {
			rx.held[rx.held_count++] = fd;
		}
		pthread_mutex_unlock(&rx.lock);
		if (!hold) {
			serve(fd);
		}
	}
	return NULL;
}

/*! A listening loopback socket on an ephemeral port. */
static int listen_any(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void rx_start(bool silent, const int *statuses, size_t status_count)
{
	rx.lfd = listen_any(&rx.port);
	atomic_store(&rx.stop, false);
	atomic_store(&rx.silent, silent);
	rx.requests = rx.accepted = rx.body_count = rx.held_count = 0;
	rx.head[0] = '\0';
	rx.status_count = status_count;
	for (size_t i = 0; i < status_count; i++) {
		rx.statuses[i] = statuses[i];
	}
	assert_int_equal(pthread_create(&rx.thread, NULL, rx_main, NULL), 0);
	rx.running = true;
}

static void rx_stop(void)
{
	if (!rx.running) {
		return;
	}
	rx.running = false;
	atomic_store(&rx.stop, true);
	pthread_join(rx.thread, NULL);
	close(rx.lfd);
	for (size_t i = 0; i < rx.held_count; i++) {
		close(rx.held[i]);
	}
	for (size_t i = 0; i < rx.body_count; i++) {
		free(rx.bodies[i]);
	}
	rx.body_count = rx.held_count = 0;
}

static void rx_url(char *url, size_t len)
{
	snprintf(url, len, "http://127.0.0.1:%u/hook", rx.port);
}

/*! After each test, also a failed one: nothing left running. */
static int cleanup(void **state)
{
	(void)state;
	gtm_webhook_stop();
	rx_stop();
	return 0;
}

static double real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*!
 * Checks "time": UNIX.MMM within [lo, hi] and replaces the number by "T".
 */
static void strip_time(char *body, double lo, double hi)
{
	char *t = strstr(body, "\"time\": ");
	assert_non_null(t);
	t += 8;
	char *end = t;
	while (*end >= '0' && *end <= '9') {
		end++;
	}
	assert_true(end - t >= 10);
	assert_int_equal(*end, '.');
	for (int i = 1; i <= 3; i++) {
		assert_true(end[i] >= '0' && end[i] <= '9');
	}
	assert_false(end[4] >= '0' && end[4] <= '9');
	double value = strtod(t, NULL);
	assert_true(value >= lo - 0.001 && value <= hi + 0.001);
	*t = 'T';
	memmove(t + 1, end + 4, strlen(end + 4) + 1);
}

static void test_not_running(void **state)
{
	(void)state;
	gtm_webhook_stats_t before = stats();
	gtm_webhook_event("target-down", "target", "x", "down", "r");
	gtm_webhook_stats_t after = stats();
	assert_memory_equal(&before, &after, sizeof(before));
	char err[256];
	assert_false(gtm_webhook_take_error(err, sizeof(err)));

	assert_int_equal(gtm_webhook_start("ftp://127.0.0.1/x", 1000), KNOT_EINVAL);
	assert_int_equal(gtm_webhook_start("127.0.0.1:80", 1000), KNOT_EINVAL);
	assert_int_equal(gtm_webhook_start("http://", 1000), KNOT_EINVAL);
	assert_int_equal(gtm_webhook_start(NULL, 1000), KNOT_EOK);
	gtm_webhook_stop();
	gtm_webhook_stop();
}

/* Bodies in order, every member escaped, NULL members left out. */
static void test_delivery(void **state)
{
	(void)state;
	rx_start(false, NULL, 0);
	char url[128];
	rx_url(url, sizeof(url));
	assert_int_equal(gtm_webhook_start(url, 2000), KNOT_EOK);
	assert_int_equal(gtm_webhook_start(url, 2000), KNOT_EOK); /* Same: no-op. */
	gtm_webhook_stats_t base = stats();

	double lo = real_now();
	gtm_webhook_event("target-down", "target", "gtm.example.com./origins/127.0.0.11",
	                  "down", "http status 503");
	gtm_webhook_event("name-all-down", "name", "gtm.example.com. A", "all-down",
	                  "quote \" backslash \\ nl \n tab \t cr \r ctl \x01\x1f del \x7f");
	gtm_webhook_event("target-up", "target", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	                  "up", "bad \xff \xc3 \xc0\xaf \xed\xa0\x80 end");
	gtm_webhook_event("name-recovered", NULL, "ignored", NULL, NULL);
	gtm_webhook_event(NULL, "k\"ey", "v", "s", "");
	double hi = real_now();

	WAIT_UNTIL(stats().ok == base.ok + 5);
	assert_int_equal(stats().failed, base.failed);
	assert_int_equal(rx_get(&rx.body_count), 5);

	const char *expect[] = {
		"{\"event\": \"target-down\", \"time\": T, \"target\": "
		"\"gtm.example.com./origins/127.0.0.11\", \"state\": \"down\", "
		"\"reason\": \"http status 503\"}",
		"{\"event\": \"name-all-down\", \"time\": T, \"name\": "
		"\"gtm.example.com. A\", \"state\": \"all-down\", \"reason\": "
		"\"quote \\\" backslash \\\\ nl \\n tab \\t cr \\r ctl \\u0001\\u001f "
		"del \x7f\"}",
		"{\"event\": \"target-up\", \"time\": T, \"target\": "
		"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", \"state\": \"up\", "
		"\"reason\": \"bad \\ufffd \\ufffd \\ufffd\\ufffd "
		"\\ufffd\\ufffd\\ufffd end\"}",
		"{\"event\": \"name-recovered\", \"time\": T}",
		"{\"time\": T, \"k\\\"ey\": \"v\", \"state\": \"s\", \"reason\": \"\"}",
	};
	for (size_t i = 0; i < 5; i++) {
		strip_time(rx.bodies[i], lo, hi);
		assert_string_equal(rx.bodies[i], expect[i]);
	}
	assert_non_null(strstr(rx.head, "POST /hook HTTP/1.1\r\n"));
	assert_non_null(strcasestr(rx.head, "\r\nContent-Type: application/json\r\n"));

	char err[256];
	assert_false(gtm_webhook_take_error(err, sizeof(err)));
	gtm_webhook_stop();
	rx_stop();
}

/* 500 then 200: retried after the back-off and delivered once. */
static void test_retry(void **state)
{
	(void)state;
	const int statuses[] = { 500, 200 };
	rx_start(false, statuses, 2);
	char url[128];
	rx_url(url, sizeof(url));
	assert_int_equal(gtm_webhook_start(url, 2000), KNOT_EOK);
	gtm_webhook_stats_t base = stats();

	gtm_webhook_event("target-down", "target", "t1", "down", "timeout");
	WAIT_UNTIL(stats().ok == base.ok + 1);
	assert_int_equal(stats().failed, base.failed);
	assert_int_equal(rx_get(&rx.requests), 2);
	assert_string_equal(rx.bodies[0], rx.bodies[1]);
	char err[256];
	assert_false(gtm_webhook_take_error(err, sizeof(err)));

	gtm_webhook_stop();
	rx_stop();
}

/* HTTP 500 four times: given up after 3 retries, the error without the
 * user information of the URL. */
static void test_http_error(void **state)
{
	(void)state;
	const int statuses[] = { 500, 500, 500, 500, 200 };
	rx_start(false, statuses, 5);
	char url[128];
	snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%u/hook", rx.port);
	assert_int_equal(gtm_webhook_start(url, 2000), KNOT_EOK);
	gtm_webhook_stats_t base = stats();

	gtm_webhook_event("target-down", "target", "t1", "down", NULL);
	WAIT_UNTIL(stats().failed == base.failed + 1);
	assert_int_equal(rx_get(&rx.requests), 4);
	assert_int_equal(stats().ok, base.ok);

	char err[256], expect[256];
	snprintf(expect, sizeof(expect), "webhook http://127.0.0.1:%u/hook: HTTP 500",
	         rx.port);
	assert_true(gtm_webhook_take_error(err, sizeof(err)));
	assert_string_equal(err, expect);
	assert_false(gtm_webhook_take_error(err, sizeof(err)));

	/* The next event gets the 200. */
	gtm_webhook_event("target-up", "target", "t1", "up", NULL);
	WAIT_UNTIL(stats().ok == base.ok + 1);
	gtm_webhook_stop();
	rx_stop();
}

/* A closed port: queuing never blocks, overflow drops, failure counted. */
static void test_dead_url(void **state)
{
	(void)state;
	uint16_t port;
	close(listen_any(&port));
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", port);
	assert_int_equal(gtm_webhook_start(url, 1000), KNOT_EOK);
	gtm_webhook_stats_t base = stats();

	uint64_t start = mono_ms();
	for (unsigned i = 0; i < 300; i++) {
		char subject[32];
		snprintf(subject, sizeof(subject), "t%u", i);
		gtm_webhook_event("target-down", "target", subject, "down", "refused");
	}
	assert_true(mono_ms() - start < 5000);
	/* At most one event was taken by the thread before the queue filled. */
	assert_true(stats().dropped >= base.dropped + 300 - GTM_WEBHOOK_QUEUE - 1);
	assert_true(stats().dropped <= base.dropped + 300 - GTM_WEBHOOK_QUEUE);

	WAIT_UNTIL(stats().failed >= base.failed + 1);
	assert_int_equal(stats().ok, base.ok);
	char err[256], prefix[256];
	assert_true(gtm_webhook_take_error(err, sizeof(err)));
	snprintf(prefix, sizeof(prefix), "webhook %s: ", url);
	assert_memory_equal(err, prefix, strlen(prefix));
	assert_non_null(strstr(err, "connect"));

	start = mono_ms();
	gtm_webhook_stop(); /* Interrupts the back-off of the next event. */
	assert_true(mono_ms() - start < 5000);
}

/* The oldest events are dropped from a full queue; the rest in order. */
static void test_drop_oldest(void **state)
{
	(void)state;
	rx_start(true, NULL, 0);
	char url[128];
	rx_url(url, sizeof(url));
	assert_int_equal(gtm_webhook_start(url, 1000), KNOT_EOK);
	gtm_webhook_stats_t base = stats();

	/* Event 0 hangs in flight at the silent receiver. */
	gtm_webhook_event("e", "n", "0", NULL, NULL);
	WAIT_UNTIL(rx_get(&rx.accepted) == 1);
	for (unsigned i = 1; i <= 300; i++) {
		char subject[32];
		snprintf(subject, sizeof(subject), "%u", i);
		gtm_webhook_event("e", "n", subject, NULL, NULL);
	}
	assert_int_equal(stats().dropped, base.dropped + 300 - GTM_WEBHOOK_QUEUE);
	/* The retry of event 0 is answered. */
	atomic_store(&rx.silent, false);

	WAIT_UNTIL(stats().ok == base.ok + 1 + GTM_WEBHOOK_QUEUE);
	assert_int_equal(stats().failed, base.failed);
	assert_int_equal(rx_get(&rx.body_count), 1 + GTM_WEBHOOK_QUEUE);
	for (size_t i = 0; i <= GTM_WEBHOOK_QUEUE; i++) {
		unsigned n = (i == 0) ? 0 : 300 - GTM_WEBHOOK_QUEUE + i;
		char expect[64];
		snprintf(expect, sizeof(expect), "\"n\": \"%u\"}", n);
		const char *tail = rx.bodies[i] + strlen(rx.bodies[i]) - strlen(expect);
		assert_string_equal(tail, expect);
	}
	gtm_webhook_stop();
	rx_stop();
}

/* A receiver that never answers: each attempt times out, 4 attempts. */
static void test_silent_timeout(void **state)
{
	(void)state;
	rx_start(true, NULL, 0);
	char url[128];
	rx_url(url, sizeof(url));
	assert_int_equal(gtm_webhook_start(url, 300), KNOT_EOK);
	gtm_webhook_stats_t base = stats();

	gtm_webhook_event("target-down", "target", "t1", "down", NULL);
	WAIT_UNTIL(stats().failed == base.failed + 1);
	assert_int_equal(rx_get(&rx.accepted), 4);
	char err[256];
	assert_true(gtm_webhook_take_error(err, sizeof(err)));
	assert_non_null(strstr(err, "Timeout was reached"));
	gtm_webhook_stop();
	rx_stop();
}

/* Stop while a request hangs (long timeout) returns, not counted failed. */
static void test_stop_in_flight(void **state)
{
	(void)state;
	rx_start(true, NULL, 0);
	char url[128];
	rx_url(url, sizeof(url));
	assert_int_equal(gtm_webhook_start(url, 60000), KNOT_EOK);
	gtm_webhook_stats_t base = stats();

	gtm_webhook_event("target-down", "target", "t1", "down", NULL);
	gtm_webhook_event("target-down", "target", "t2", "down", NULL);
	WAIT_UNTIL(rx_get(&rx.accepted) == 1);
	uint64_t start = mono_ms();
	gtm_webhook_stop();
	assert_true(mono_ms() - start < 5000);
	assert_int_equal(stats().failed, base.failed);
	assert_int_equal(stats().ok, base.ok);

	/* Events after the stop are ignored; a new start works. */
	gtm_webhook_event("target-down", "target", "t3", "down", NULL);
	atomic_store(&rx.silent, false);
	assert_int_equal(gtm_webhook_start(url, 2000), KNOT_EOK);
	gtm_webhook_event("target-up", "target", "t4", "up", NULL);
	WAIT_UNTIL(stats().ok == base.ok + 1);
	assert_int_equal(rx_get(&rx.body_count), 1);
	assert_non_null(strstr(rx.bodies[0], "\"target\": \"t4\""));
	/* A new URL restarts the thread. */
	assert_int_equal(gtm_webhook_start(url, 3000), KNOT_EOK);
	gtm_webhook_event("target-up", "target", "t5", "up", NULL);
	WAIT_UNTIL(stats().ok == base.ok + 2);
	gtm_webhook_stop();
	rx_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_not_running, cleanup),
		cmocka_unit_test_teardown(test_delivery, cleanup),
		cmocka_unit_test_teardown(test_retry, cleanup),
		cmocka_unit_test_teardown(test_http_error, cleanup),
		cmocka_unit_test_teardown(test_dead_url, cleanup),
		cmocka_unit_test_teardown(test_drop_oldest, cleanup),
		cmocka_unit_test_teardown(test_silent_timeout, cleanup),
		cmocka_unit_test_teardown(test_stop_in_flight, cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
