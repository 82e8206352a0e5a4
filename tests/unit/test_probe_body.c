/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* HTTP checks with body rules, request options and hostile origins. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "probe_int.h"
#include "test_probe_util.h"

/* Most bytes a flooding origin tries to send. */
#define FLOOD_MAX	(8 * 1024 * 1024)

typedef enum {
	END_CLOSE = 0, /* FIN after the parts. */
	END_HOLD,      /* Keep the connection until the client goes away. */
	END_FLOOD,     /* Then endless 'A' bytes (up to FLOOD_MAX). */
	END_HEADERS,   /* Then endless header lines (up to FLOOD_MAX). */
	END_RESET,     /* Then RST. */
} srv_end_t;

typedef struct {
	const char *parts[8];  /* Response pieces, NULL terminated. */
	int delay_ms;          /* Pause before every piece but the first. */
	srv_end_t end;
	int lfd;
	struct sockaddr_storage addr;
	pthread_t thread;
	char req[4096];
	size_t sent;
} srv_t;

static void flood(srv_t *s, int fd, const char *unit)
{
	char chunk[16 * 1024];
	size_t unit_len = strlen(unit);
	for (size_t i = 0; i + unit_len <= sizeof(chunk); i += unit_len) {
		memcpy(chunk + i, unit, unit_len);
	}
	size_t len = sizeof(chunk) - sizeof(chunk) % unit_len;
	for (size_t total = 0; total < FLOOD_MAX; total += len) {
		if (!test_send_all(fd, chunk, len)) {
			return;
		}
		s->sent += len;
	}
}

static void *srv_main(void *arg)
{
	srv_t *s = arg;
	int fd = test_accept(s->lfd);
	if (fd < 0) {
		return NULL;
	}
	(void)test_read_request(fd, s->req, sizeof(s->req));

	for (size_t i = 0; s->parts[i] != NULL; i++) {
		if (i > 0 && s->delay_ms > 0) {
			test_sleep_ms(s->delay_ms);
		}
		if (!test_send_all(fd, s->parts[i], strlen(s->parts[i]))) {
			goto done;
		}
		s->sent += strlen(s->parts[i]);
	}

	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;
	switch (s->end) {
	case END_HOLD:
		if (poll(&pfd, 1, TEST_SERVER_WAIT_MS) == 1) {
			(void)recv(fd, &c, 1, 0);
		}
		break;
	case END_FLOOD:
		flood(s, fd, "A");
		break;
	case END_HEADERS:
		flood(s, fd, "X-Junk: 0123456789\r\n");
		break;
	case END_RESET: {
		struct linger lin = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		break;
	}
	default:
		break;
	}
done:
	close(fd);
	return NULL;
}

static void srv_start(srv_t *s)
{
	s->lfd = test_listen(AF_INET, &s->addr, 8);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_stop(srv_t *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->lfd);
}

/* Body rules of a run (NULL: unset). */
typedef struct {
	const char *body;
	const char *regex;
	uint32_t limit;
} rules_t;

/* Runs one probe with body rules against s; returns the status. */
static gtm_probe_status_t run(srv_t *s, rules_t rules, gtm_probe_t *p,
                              int timeout_ms, bool edge)
{
	gtm_target_spec_t spec, copy;
	srv_start(s);
	test_spec(&spec, GTM_CHECK_HTTP, &s->addr);
	spec.expect_body = rules.body;
	spec.expect_body_regex = rules.regex;
	if (rules.limit != 0) {
		spec.body_limit = rules.limit;
	}
	assert_int_equal(gtm_target_spec_copy(&copy, &spec), KNOT_EOK);
	gtm_probe_status_t st = test_drive(p, &copy, timeout_ms, edge);
	srv_stop(s);
	gtm_target_spec_clear(&copy);
	return st;
}

static void expect(srv_t s, rules_t rules, gtm_probe_status_t status, const char *reason)
{
	for (int edge = 0; edge <= 1; edge++) {
		srv_t run_srv = s;
		gtm_probe_t p;
		gtm_probe_status_t st = run(&run_srv, rules, &p, TEST_TIMEOUT_MS, edge);
		if (st != status || strcmp(p.reason, reason) != 0) {
			fail_msg("%s: status %d '%s', expected %d '%s'",
			         edge ? "edge" : "level", st, p.reason, status, reason);
		}
	}
}

static const char OK_HEAD[] = "HTTP/1.1 200 OK\r\n";

static void test_length(void **state)
{
	(void)state;
	srv_t s = { .parts = { "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world" },
	            .end = END_HOLD };
	expect(s, (rules_t){ .body = "world" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .body = "hello world" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .body = "absent" }, GTM_PROBE_FAIL, "body mismatch");
	expect(s, (rules_t){ .regex = "^hello world$" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .regex = "^hello$" }, GTM_PROBE_FAIL, "body mismatch");
	expect(s, (rules_t){ .body = "world", .regex = "^h.*d$" }, GTM_PROBE_OK,
	       "http status 200");
	expect(s, (rules_t){ .body = "world", .regex = "^x" }, GTM_PROBE_FAIL,
	       "body mismatch");
	/* Only the first body-limit bytes count. */
	expect(s, (rules_t){ .body = "world", .limit = 8 }, GTM_PROBE_FAIL, "body mismatch");
	expect(s, (rules_t){ .regex = "^hello w$", .limit = 7 }, GTM_PROBE_OK,
	       "http status 200");
}

/* The match spans reads: headers and body arrive in pieces. */
static void test_pieces(void **state)
{
	(void)state;
	srv_t s = { .parts = { "HTTP/1.1 200 OK\r\nCont", "ent-Length: 10\r", "\n\r\nstat",
	                       "us: ok" },
	            .delay_ms = 20, .end = END_HOLD };
	expect(s, (rules_t){ .body = "status: ok" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .regex = "^status: ok$" }, GTM_PROBE_OK, "http status 200");
}

static void test_chunked(void **state)
{
	(void)state;
	srv_t s = { .parts = { OK_HEAD, "Transfer-Encoding: chunked\r\n\r\n",
	                       "4\r\nstat\r\n", "6;ext=1\r\nus: ok\r\n", "0\r\n\r\n" },
	            .delay_ms = 10, .end = END_HOLD };
	expect(s, (rules_t){ .body = "status: ok" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .regex = "^status: ok$" }, GTM_PROBE_OK, "http status 200");
	/* Chunk framing is not part of the body. */
	expect(s, (rules_t){ .body = "stat\r\n6" }, GTM_PROBE_FAIL, "body mismatch");

	/* Upper-case hex, chunked wins over Content-Length. */
	srv_t big = { .parts = { OK_HEAD, "Content-Length: 3\r\n",
	                         "Transfer-Encoding: gzip, chunked\r\n\r\n",
	                         "A\r\n0123456789\r\n0\r\n\r\n" },
	              .end = END_HOLD };
	expect(big, (rules_t){ .regex = "^0123456789$" }, GTM_PROBE_OK, "http status 200");

	static const char *bad[] = {
		"zz\r\nabc\r\n0\r\n\r\n",   /* not hex */
		"\r\n",                     /* no size */
		"3\r\nabcX\r\n0\r\n\r\n",   /* no CRLF after the data */
		"1000000000\r\n",           /* size above 2^32 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		srv_t b = { .parts = { OK_HEAD, "Transfer-Encoding: chunked\r\n\r\n", bad[i] },
		            .end = END_HOLD };
		expect(b, (rules_t){ .body = "zzz" }, GTM_PROBE_FAIL, "http bad response");
	}
}

/* Without framing the body ends at EOF; the regex sees the whole body. */
static void test_eof_framing(void **state)
{
	(void)state;
	srv_t s = { .parts = { OK_HEAD, "\r\n", "line 1\n", "line 2\n" },
	            .delay_ms = 10, .end = END_CLOSE };
	expect(s, (rules_t){ .regex = "line 2\n$" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .regex = "line 1\n$" }, GTM_PROBE_FAIL, "body mismatch");
	/* ^ and $ anchor at every line (REG_NEWLINE); . never crosses one. */
	expect(s, (rules_t){ .regex = "^line 1$" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .regex = "^line 2$" }, GTM_PROBE_OK, "http status 200");
	expect(s, (rules_t){ .regex = "line 1.line 2" }, GTM_PROBE_FAIL, "body mismatch");
	/* A truncated Content-Length body is not judged. */
	srv_t t = { .parts = { OK_HEAD, "Content-Length: 100\r\n\r\nshort" },
	            .end = END_CLOSE };
	expect(t, (rules_t){ .body = "short" }, GTM_PROBE_OK, "http status 200");
	expect(t, (rules_t){ .regex = "short" }, GTM_PROBE_FAIL, "http body truncated");
}

/* No body: HEAD-like statuses; the regex sees an empty body. */
static void test_no_body(void **state)
{
	(void)state;
	srv_t s = { .parts = { "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n" },
	            .end = END_HOLD };
	expect(s, (rules_t){ .regex = "^$" }, GTM_PROBE_OK, "http status 204");
	srv_t z = { .parts = { OK_HEAD, "Content-Length: 0\r\n\r\n" }, .end = END_HOLD };
	expect(z, (rules_t){ .body = "x" }, GTM_PROBE_FAIL, "body mismatch");
}

/* A status outside the range fails before the body is read. */
static void test_status_first(void **state)
{
	(void)state;
	srv_t s = { .parts = { "HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n\r\nok" },
	            .end = END_HOLD };
	expect(s, (rules_t){ .body = "ok" }, GTM_PROBE_FAIL, "http status 503");
}

static void test_bad_headers(void **state)
{
	(void)state;
	static const char *bad[] = {
		"Content-Length: -1\r\n\r\n",
		"Content-Length: 12x\r\n\r\n",
		"Content-Length: \r\n\r\n",
		"Content-Length: 99999999999999999999\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		srv_t s = { .parts = { OK_HEAD, bad[i] }, .end = END_HOLD };
		expect(s, (rules_t){ .body = "x" }, GTM_PROBE_FAIL, "http bad response");
	}

	/* An overlong header line is skipped, the rest still counts. */
	static char long_line[4000];
	memset(long_line, 'v', sizeof(long_line) - 3);
	memcpy(long_line, "X-Long: ", 8);
	memcpy(long_line + sizeof(long_line) - 3, "\r\n", 3);
	srv_t s = { .parts = { OK_HEAD, long_line, "Content-Length: 2\r\n\r\nok" },
	            .end = END_HOLD };
	expect(s, (rules_t){ .regex = "^ok$" }, GTM_PROBE_OK, "http status 200");

	/* Headers never end: bounded. */
	srv_t h = { .parts = { OK_HEAD }, .end = END_HEADERS };
	gtm_probe_t p;
	assert_int_equal(run(&h, (rules_t){ .body = "x" }, &p, TEST_TIMEOUT_MS, false),
	                 GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http headers too long");
	assert_true(h.sent < FLOOD_MAX);
}

/* Endless body: judged on the first body-limit bytes, the rest is not read. */
static void test_endless_body(void **state)
{
	(void)state;
	for (int edge = 0; edge <= 1; edge++) {
		srv_t s = { .parts = { OK_HEAD, "\r\nneedle" }, .end = END_FLOOD };
		gtm_probe_t p;
		assert_int_equal(run(&s, (rules_t){ .body = "haystack" }, &p,
		                     TEST_TIMEOUT_MS, edge), GTM_PROBE_FAIL);
		assert_string_equal(p.reason, "body mismatch");
		assert_true(s.sent < FLOOD_MAX);

		srv_t f = { .parts = { OK_HEAD, "\r\nneedle" }, .end = END_FLOOD };
		assert_int_equal(run(&f, (rules_t){ .body = "needle" }, &p,
		                     TEST_TIMEOUT_MS, edge), GTM_PROBE_OK);
		srv_t r = { .parts = { OK_HEAD, "\r\nneedle" }, .end = END_FLOOD };
		assert_int_equal(run(&r, (rules_t){ .regex = "^needleA+$", .limit = 65536 },
		                     &p, TEST_TIMEOUT_MS, edge), GTM_PROBE_OK);
	}
	/* Endless chunked body of tiny chunks. */
	srv_t c = { .parts = { OK_HEAD, "Transfer-Encoding: chunked\r\n\r\n" },
	            .end = END_HEADERS };
	gtm_probe_t p;
	assert_int_equal(run(&c, (rules_t){ .body = "x" }, &p, TEST_TIMEOUT_MS, false),
	                 GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http bad response");
}

/* One byte at a time: the time limit ends it, in the right phase. */
static void test_drip(void **state)
{
	(void)state;
	srv_t s = { .parts = { OK_HEAD, "Content-Length: 100\r\n\r\n", "a", "b", "c", "d",
	                       "e" },
	            .delay_ms = 150, .end = END_HOLD };
	gtm_probe_t p;
	assert_int_equal(run(&s, (rules_t){ .body = "z" }, &p, TEST_TIMEOUT_MS, false),
	                 GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "timeout in http body");

	srv_t h = { .parts = { "HTTP/1.1 200 OK\r\n", "X", "-", "A" },
	            .delay_ms = 150, .end = END_HOLD };
	assert_int_equal(run(&h, (rules_t){ .body = "z" }, &p, TEST_TIMEOUT_MS, false),
	                 GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "timeout in http response");
}

static void test_reset(void **state)
{
	(void)state;
	srv_t s = { .parts = { OK_HEAD, "Content-Length: 100\r\n\r\npartial" },
	            .delay_ms = 20, .end = END_RESET };
	expect(s, (rules_t){ .body = "z" }, GTM_PROBE_FAIL, "connection reset");
}

static void test_request_options(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;

	test_loopback(AF_INET, 443, &ss);
	test_spec(&spec, GTM_CHECK_HTTPS, &ss);
	spec.method = GTM_HTTP_HEAD;
	spec.host = "www.example.com";
	spec.headers = "X-Token: abc\r\nUser-Agent: probe/1\r\n";
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), 0);
	assert_string_equal(p.req, "HEAD / HTTP/1.1\r\n"
	                           "Host: www.example.com\r\n"
	                           "Accept: */*\r\n"
	                           "Connection: close\r\n"
	                           "X-Token: abc\r\n"
	                           "User-Agent: probe/1\r\n"
	                           "\r\n");

	/* A port in the host key is kept as is. */
	test_spec(&spec, GTM_CHECK_HTTP, &ss);
	spec.host = "www.example.com:8443";
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), 0);
	assert_non_null(strstr(p.req, "\r\nHost: www.example.com:8443\r\n"));

	/* Header blocks that are not clean lines are refused. */
	static const char *bad[] = {
		"X: a\r\nY: b", "X: a\nY: b\r\n", "X: a\r\n\r\nGET / HTTP/1.1\r\n",
		"X: \x01\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spec.headers = bad[i];
		memset(&p, 0, sizeof(p));
		p.spec = &spec;
		assert_int_equal(gtm_probe_http_request(&p), -1);
		assert_string_equal(p.reason, "invalid request");
	}

	/* A regex that was never compiled (spec not copied) is reported. */
	test_spec(&spec, GTM_CHECK_HTTP, &ss);
	spec.expect_body_regex = "x";
	assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "regex not compiled");
	assert_null(p.mem);
}

/* The origin sees the configured method and headers. */
static void test_request_sent(void **state)
{
	(void)state;
	srv_t s = { .parts = { "HTTP/1.1 200 OK\r\n\r\n" }, .end = END_HOLD };
	gtm_target_spec_t spec;
	gtm_probe_t p;

	srv_start(&s);
	test_spec(&spec, GTM_CHECK_HTTP, &s.addr);
	spec.method = GTM_HTTP_HEAD;
	spec.headers = "Authorization: Bearer t0k3n\r\n";
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, false), GTM_PROBE_OK);
	srv_stop(&s);
	assert_memory_equal(s.req, "HEAD / HTTP/1.1\r\n", 17);
	assert_non_null(strstr(s.req, "\r\nAuthorization: Bearer t0k3n\r\n\r\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_FDS_CHECKED(test_length),
		TEST_FDS_CHECKED(test_pieces),
		TEST_FDS_CHECKED(test_chunked),
		TEST_FDS_CHECKED(test_eof_framing),
		TEST_FDS_CHECKED(test_no_body),
		TEST_FDS_CHECKED(test_status_first),
		TEST_FDS_CHECKED(test_bad_headers),
		TEST_FDS_CHECKED(test_endless_body),
		TEST_FDS_CHECKED(test_drip),
		TEST_FDS_CHECKED(test_reset),
		cmocka_unit_test(test_request_options),
		TEST_FDS_CHECKED(test_request_sent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
