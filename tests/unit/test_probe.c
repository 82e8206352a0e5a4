/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "probe_int.h"
#include "test_probe_util.h"

/* Delay between bytes of a slow response. */
#define SLOW_DELAY_MS	50
/* Most bytes a flooding server tries to send. */
#define FLOOD_MAX	(8 * 1024 * 1024)

static const char OK_LINE[] = "HTTP/1.1 200 OK\r\n";

/* An address with a port nobody listens on. */
static void refused_addr(int family, struct sockaddr_storage *ss)
{
	close(test_listen(family, ss, 1));
}

/* ------------------------------------------------------------ test server */

typedef enum {
	SRV_RESPOND, /* Reads the request, sends resp, closes. */
	SRV_SILENT,  /* Reads the request, waits for the client to go away. */
	SRV_SLOW,    /* Sends resp one byte per SLOW_DELAY_MS. */
	SRV_FLOOD,   /* Sends resp, then megabytes of 'A'. */
	SRV_CLOSE,   /* Sends FIN right after accept, no response. */
	SRV_RESET,   /* Reads the request, closes with RST. */
} srv_mode_t;

typedef struct {
	srv_mode_t mode;
	const char *resp;
	int lfd;
	struct sockaddr_storage addr;
	pthread_t thread;
	bool accepted;
	char req[GTM_PROBE_REQ + 1];
	size_t req_len;
	size_t sent;
} server_t;

static bool server_send(server_t *s, int fd, const char *data, size_t len)
{
	ssize_t sent = send(fd, data, len, MSG_NOSIGNAL);
	if (sent > 0) {
		s->sent += sent;
	}
	return sent == (ssize_t)len;
}

static void server_flood(server_t *s, int fd)
{
	char chunk[64 * 1024];
	memset(chunk, 'A', sizeof(chunk));

	if (!server_send(s, fd, s->resp, strlen(s->resp))) {
		return;
	}
	for (size_t total = 0; total < FLOOD_MAX; total += sizeof(chunk)) {
		if (!server_send(s, fd, chunk, sizeof(chunk))) {
			return;
		}
	}
}

static void *server_main(void *arg)
{
	server_t *s = arg;

	int fd = test_accept(s->lfd);
	if (fd < 0) {
		return NULL;
	}
	s->accepted = true;

	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (s->mode == SRV_CLOSE) {
		(void)shutdown(fd, SHUT_WR);
	}
	s->req_len = test_read_request(fd, s->req, sizeof(s->req));

	switch (s->mode) {
	case SRV_RESPOND:
		(void)server_send(s, fd, s->resp, strlen(s->resp));
		break;
	case SRV_SILENT: {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, TEST_SERVER_WAIT_MS) == 1) {
			char c;
			(void)recv(fd, &c, 1, 0);
		}
		break;
	}
	case SRV_SLOW:
		for (size_t i = 0; s->resp[i] != '\0'; i++) {
			if (!server_send(s, fd, s->resp + i, 1)) {
				break;
			}
			test_sleep_ms(SLOW_DELAY_MS);
		}
		break;
	case SRV_FLOOD:
		server_flood(s, fd);
		break;
	case SRV_RESET: {
		struct linger lin = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		break;
	}
	case SRV_CLOSE:
		break;
	}

	close(fd);
	return NULL;
}

static void server_start(server_t *s, int family, srv_mode_t mode, const char *resp)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->resp = (resp != NULL) ? resp : "";
	s->lfd = test_listen(family, &s->addr, 8);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server_t *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->lfd);
}

/* Runs one HTTP probe against a server; returns the status. */
static gtm_probe_status_t http_run(gtm_probe_t *p, server_t *s, int family,
                                   srv_mode_t mode, const char *resp,
                                   int timeout_ms, bool edge)
{
	gtm_target_spec_t spec;
	server_start(s, family, mode, resp);
	test_spec(&spec, GTM_CHECK_HTTP, &s->addr);
	gtm_probe_status_t st = test_drive(p, &spec, timeout_ms, edge);
	server_stop(s);
	assert_true(s->accepted);
	assert_true(p->buf_len <= GTM_PROBE_BUF);
	return st;
}

/* ------------------------------------------------------------ status line */

typedef struct {
	const char *in;
	int ret;
	int status;
} parse_case_t;

static const parse_case_t parse_cases[] = {
	/* Complete. */
	{ "HTTP/1.1 200 OK\r\n",            1, 200 },
	{ "HTTP/1.0 503 Service Unavailable\r\n", 1, 503 },
	{ "HTTP/1.1 200\r\n",               1, 200 },
	{ "HTTP/1.1 204\n",                 1, 204 },
	{ "HTTP/1.1 301 \r\n",              1, 301 },
	{ "HTTP/1.1 100 Continue\n",        1, 100 },
	{ "HTTP/1.1 999 x\n",               1, 999 },
	{ "HTTP/1.1 404 Not\tFound\r\n",    1, 404 },
	{ "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", 1, 200 },
	{ "HTTP/1.1 200 OK\nSSH-2.0 junk",  1, 200 },
	/* Incomplete, valid so far. */
	{ "",                               0, 0 },
	{ "H",                              0, 0 },
	{ "HTTP/1.",                        0, 0 },
	{ "HTTP/1.1",                       0, 0 },
	{ "HTTP/1.1 ",                      0, 0 },
	{ "HTTP/1.1 20",                    0, 0 },
	{ "HTTP/1.1 200",                   0, 0 },
	{ "HTTP/1.1 200\r",                 0, 0 },
	{ "HTTP/1.1 200 OK",                0, 0 },
	{ "HTTP/1.1 200 OK\r",              0, 0 },
	/* Not HTTP/1.x or malformed. */
	{ "SSH-2.0-OpenSSH_9.2\r\n",        -1, 0 },
	{ "HTTP/2 200\r\n",                 -1, 0 },
	{ "HTTP/2",                         -1, 0 },
	{ "HTTP/1.2 200 OK\r\n",            -1, 0 },
	{ "HTTP/1.x",                       -1, 0 },
	{ "http/1.1 200 OK\r\n",            -1, 0 },
	{ " HTTP/1.1 200 OK\r\n",           -1, 0 },
	{ "HTTP/1.1 20x OK\r\n",            -1, 0 },
	{ "HTTP/1.1 20x",                   -1, 0 },
	{ "HTTP/1.1 2000 OK\r\n",           -1, 0 },
	{ "HTTP/1.1 2000",                  -1, 0 },
	{ "HTTP/1.1 20 OK\r\n",             -1, 0 },
	{ "HTTP/1.1 20\r\n",                -1, 0 },
	{ "HTTP/1.1 099 x\r\n",             -1, 0 },
	{ "HTTP/1.1200 OK\r\n",             -1, 0 },
	{ "HTTP/1.1  200 OK\r\n",           -1, 0 },
	{ "HTTP/1.1 200OK\r\n",             -1, 0 },
	{ "HTTP/1.1 200\rX",                -1, 0 },
	{ "HTTP/1.1 200 OK\rX\n",           -1, 0 },
	{ "HTTP/1.1\n",                     -1, 0 },
	{ "\r\n",                           -1, 0 },
	{ "AAAAAAAAAAAAAAAAAAAA",           -1, 0 },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const parse_case_t *c = &parse_cases[i];
		int status = -7;
		int ret = gtm_http_parse_status(c->in, strlen(c->in), &status);
		if (ret != c->ret || (ret == 1 && status != c->status)) {
			fail_msg("'%s': ret %d status %d, expected %d %d",
			         c->in, ret, status, c->ret, c->status);
		}
		if (ret != 1) {
			assert_int_equal(status, -7); /* Untouched. */
		}
	}
}

/* Every proper prefix of a valid line is incomplete, the line complete. */
static void test_parse_prefixes(void **state)
{
	(void)state;
	static const char *lines[] = {
		"HTTP/1.1 200 OK\r\n",
		"HTTP/1.0 503 Service Unavailable\r\n",
		"HTTP/1.1 204\n",
		"HTTP/1.1 302\r\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);
		int status = 0;
		for (size_t j = 0; j < len; j++) {
			assert_int_equal(gtm_http_parse_status(lines[i], j, &status), 0);
		}
		assert_int_equal(gtm_http_parse_status(lines[i], len, &status), 1);
		assert_true(status >= 100 && status <= 999);
	}
}

/* Once malformed, more bytes never make a line valid. */
static void test_parse_sticky_error(void **state)
{
	(void)state;
	static const char bad[] = "HTTP/1.1 20x OK\r\n";
	int status = 0;
	for (size_t j = 0; j <= strlen(bad); j++) {
		int expected = (j < strlen("HTTP/1.1 20x")) ? 0 : -1;
		assert_int_equal(gtm_http_parse_status(bad, j, &status), expected);
	}
}

/* ----------------------------------------------------- request and reasons */

static void test_request_build(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	struct sockaddr_storage ss;

	test_loopback(AF_INET, 8080, &ss);
	test_spec(&spec, GTM_CHECK_HTTP, &ss);
	spec.path = "/health?full=1";
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), 0);
	assert_string_equal(p.req, "GET /health?full=1 HTTP/1.1\r\n"
	                           "Host: 127.0.0.1:8080\r\n"
	                           "User-Agent: knot-gtm\r\n"
	                           "Accept: */*\r\n"
	                           "Connection: close\r\n"
	                           "\r\n");
	assert_int_equal(p.req_len, strlen(p.req));
	assert_int_equal(p.req_sent, 0);

	/* IPv6 literal in brackets, no port for 80, NULL path is "/". */
	test_loopback(AF_INET6, 80, &ss);
	test_spec(&spec, GTM_CHECK_HTTP, &ss);
	spec.path = NULL;
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), 0);
	assert_string_equal(p.req, "GET / HTTP/1.1\r\nHost: [::1]\r\n"
	                           "User-Agent: knot-gtm\r\nAccept: */*\r\n"
	                           "Connection: close\r\n\r\n");

	/* Configured host name, with port. */
	test_loopback(AF_INET6, 443, &ss);
	test_spec(&spec, GTM_CHECK_HTTP, &ss);
	spec.host = "www.example.com";
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), 0);
	assert_non_null(strstr(p.req, "\r\nHost: www.example.com:443\r\n"));

	/* Too long for GTM_PROBE_REQ: nothing else happens. */
	static char long_path[GTM_PROBE_REQ + 2];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	spec.path = long_path;
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), -1);
	assert_string_equal(p.reason, "request too long");
	assert_int_equal(p.req_len, 0);

	/* Header injection is refused. */
	spec.path = "/\r\nX-Evil: 1";
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), -1);
	assert_string_equal(p.reason, "invalid request");
	spec.path = "/";
	spec.host = "a b";
	memset(&p, 0, sizeof(p));
	p.spec = &spec;
	assert_int_equal(gtm_probe_http_request(&p), -1);
	assert_string_equal(p.reason, "invalid request");
}

static void test_request_too_long_start(void **state)
{
	(void)state;
	static char long_path[GTM_PROBE_REQ];
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';

	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	test_loopback(AF_INET, 8080, &ss);
	test_spec(&spec, GTM_CHECK_HTTP, &ss);
	spec.path = long_path;
	assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "request too long");
	assert_int_equal(p.fd, -1);
}

static void test_reasons_errno(void **state)
{
	(void)state;
	gtm_probe_t p;
	static const struct {
		const char *step;
		int err;
		const char *reason;
	} cases[] = {
		{ "connect", ECONNREFUSED, "connect refused" },
		{ "connect", EHOSTUNREACH, "connect failed (No route to host)" },
		{ "connect", ENETUNREACH,  "connect failed (Network is unreachable)" },
		{ "connect", ETIMEDOUT,    "connect failed (Connection timed out)" },
		{ "recv",    ECONNRESET,   "connection reset" },
		{ "send",    EPIPE,        "connection reset" },
		{ "socket",  EMFILE,       "socket failed (Too many open files)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.fd = -1;
		assert_int_equal(gtm_probe_fail_errno(&p, cases[i].step, cases[i].err),
		                 GTM_PROBE_FAIL);
		assert_string_equal(p.reason, cases[i].reason);
		assert_int_equal(p.fd, -1);
	}
}

static void test_unsupported(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	test_spec(&spec, GTM_CHECK_TCP, &ss);
	assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "unsupported address family");
	assert_int_equal(p.fd, -1);

	test_loopback(AF_INET, 1, &ss);
	test_spec(&spec, (gtm_check_type_t)42, &ss);
	assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "unsupported check type");
	assert_int_equal(p.fd, -1);

	/* Steps of a finished probe are refused. */
	assert_int_equal(gtm_probe_io(&p, EPOLLIN), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "probe not running");
	assert_int_equal(gtm_probe_abort(&p), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "probe not running");
}

/* ------------------------------------------------------------- TCP checks */

static void tcp_ok(int family)
{
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	int lfd = test_listen(family, &ss, 8);

	/* The kernel completes the handshake; nobody needs to accept. */
	test_spec(&spec, GTM_CHECK_TCP, &ss);
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, false), GTM_PROBE_OK);
	assert_string_equal(p.reason, "connected");

	/* The probe closed with RST (SO_LINGER 0), not FIN. */
	int fd = test_accept(lfd);
	assert_true(fd >= 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, TEST_SERVER_WAIT_MS), 1);
	char c;
	assert_int_equal(recv(fd, &c, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(fd);
	close(lfd);
}

static void test_tcp_ok_v4(void **state)
{
	(void)state;
	tcp_ok(AF_INET);
}

static void test_tcp_ok_v6(void **state)
{
	(void)state;
	tcp_ok(AF_INET6);
}

/*
 * The origin accepts and resets before the prober looks at the connect:
 * the handshake was done, so a tcp check is up and an http check fails
 * with "connection reset", however fast the prober is.
 */
static void reset_before_look(gtm_check_type_t type, gtm_probe_status_t expect,
                              const char *reason)
{
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	int lfd = test_listen(AF_INET, &ss, 8);

	test_spec(&spec, type, &ss);
	gtm_probe_status_t st = gtm_probe_start(&p, &spec);
	if (st == GTM_PROBE_PENDING) {
		int fd = test_accept(lfd);
		assert_true(fd >= 0);
		struct linger lin = { .l_onoff = 1, .l_linger = 0 };
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)), 0);
		close(fd);

		/* Wait for the reset to show, then let the probe look. */
		struct pollfd pfd = { .fd = p.fd, .events = POLLOUT };
		for (int i = 0; i < 100 && !(pfd.revents & (POLLERR | POLLHUP)); i++) {
			assert_int_equal(poll(&pfd, 1, 20), 1);
		}
		assert_true(pfd.revents & (POLLERR | POLLHUP));
		st = gtm_probe_io(&p, EPOLLOUT | EPOLLERR | EPOLLHUP);
	}
	assert_int_equal(st, expect);
	assert_string_equal(p.reason, reason);
	assert_int_equal(p.fd, -1);
	close(lfd);
}

static void test_tcp_reset_after_accept(void **state)
{
	(void)state;
	reset_before_look(GTM_CHECK_TCP, GTM_PROBE_OK, "connected");
	reset_before_look(GTM_CHECK_HTTP, GTM_PROBE_FAIL, "connection reset");
}

static void refused(int family, gtm_check_type_t type)
{
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;

	refused_addr(family, &ss);
	test_spec(&spec, type, &ss);
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "connect refused");
}

static void test_refused(void **state)
{
	(void)state;
	refused(AF_INET, GTM_CHECK_TCP);
	refused(AF_INET6, GTM_CHECK_TCP);
	refused(AF_INET, GTM_CHECK_HTTP);
	refused(AF_INET6, GTM_CHECK_HTTP);
}

/* A full accept queue drops the SYN, so the connect never completes. */
static void test_timeout_connect(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	int lfd = test_listen(AF_INET, &ss, 0);

	/* Fill the queue (backlog 0 holds one connection). */
	int fillers[2];
	for (int i = 0; i < 2; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fillers[i] >= 0);
		(void)connect(fillers[i], (struct sockaddr *)&ss, sizeof(struct sockaddr_in));
	}
	test_sleep_ms(20);

	test_spec(&spec, GTM_CHECK_TCP, &ss);
	int64_t begin = test_now_ms();
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "timeout in connect");
	assert_true(test_now_ms() - begin >= TEST_TIMEOUT_MS - 5);

	for (int i = 0; i < 2; i++) {
		close(fillers[i]);
	}
	close(lfd);
}

/* Phase to reason mapping of gtm_probe_abort() on a live descriptor. */
static void test_abort_phases(void **state)
{
	(void)state;
	static const struct {
		gtm_probe_phase_t phase;
		const char *reason;
	} cases[] = {
		{ GTM_PHASE_CONNECT, "timeout in connect" },
		{ GTM_PHASE_SEND,    "timeout in send" },
		{ GTM_PHASE_RECV,    "timeout in http response" },
	};
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	int lfd = test_listen(AF_INET, &ss, 8);
	test_spec(&spec, GTM_CHECK_HTTP, &ss);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_PENDING);
		assert_int_equal(p.phase, GTM_PHASE_CONNECT);
		assert_int_equal(p.events, EPOLLOUT);
		assert_true(p.fd >= 0);
		p.phase = cases[i].phase;
		assert_int_equal(gtm_probe_abort(&p), GTM_PROBE_FAIL);
		assert_string_equal(p.reason, cases[i].reason);
		assert_int_equal(p.fd, -1);
	}
	close(lfd);
}

/* ------------------------------------------------------------ HTTP checks */

static void http_ok(int family, const char *host_hdr)
{
	server_t s;
	gtm_probe_t p;
	assert_int_equal(http_run(&p, &s, family, SRV_RESPOND,
	                          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_OK);
	assert_string_equal(p.reason, "http status 200");
	assert_int_equal(p.http_status, 200);

	/* What the origin got. */
	char expected[256];
	snprintf(expected, sizeof(expected),
	         "GET / HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: knot-gtm\r\n"
	         "Accept: */*\r\nConnection: close\r\n\r\n",
	         host_hdr, test_port(&s.addr));
	assert_string_equal(s.req, expected);
}

static void test_http_ok_v4(void **state)
{
	(void)state;
	http_ok(AF_INET, "127.0.0.1");
}

static void test_http_ok_v6(void **state)
{
	(void)state;
	http_ok(AF_INET6, "[::1]");
}

static void test_http_request_path_host(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	gtm_target_spec_t spec;

	server_start(&s, AF_INET, SRV_RESPOND, "HTTP/1.0 204 No Content\r\n\r\n");
	test_spec(&spec, GTM_CHECK_HTTP, &s.addr);
	spec.path = "/status/live?x=1";
	spec.host = "app.example.com";
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, true), GTM_PROBE_OK);
	server_stop(&s);
	assert_string_equal(p.reason, "http status 204");

	char line[128];
	snprintf(line, sizeof(line), "\r\nHost: app.example.com:%u\r\n", test_port(&s.addr));
	static const char req_line[] = "GET /status/live?x=1 HTTP/1.1\r\n";
	assert_memory_equal(s.req, req_line, strlen(req_line));
	assert_non_null(strstr(s.req, line));
	assert_non_null(strstr(s.req, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(s.req, "\r\nUser-Agent: knot-gtm\r\n"));
}

static void test_http_503(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	assert_int_equal(http_run(&p, &s, AF_INET, SRV_RESPOND,
	                          "HTTP/1.1 503 Service Unavailable\r\n\r\n",
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http status 503");
	assert_int_equal(p.http_status, 503);
}

static void expect_range(const char *resp, uint16_t min, uint16_t max,
                         gtm_probe_status_t expected, const char *reason)
{
	server_t s;
	gtm_probe_t p;
	gtm_target_spec_t spec;

	server_start(&s, AF_INET6, SRV_RESPOND, resp);
	test_spec(&spec, GTM_CHECK_HTTP, &s.addr);
	spec.expect_min = min;
	spec.expect_max = max;
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, false), expected);
	server_stop(&s);
	assert_string_equal(p.reason, reason);
}

static void test_http_expect_range(void **state)
{
	(void)state;
	expect_range("HTTP/1.1 302 Found\r\n\r\n", 200, 299,
	             GTM_PROBE_FAIL, "http status 302");
	expect_range("HTTP/1.1 199 x\r\n\r\n", 200, 299,
	             GTM_PROBE_FAIL, "http status 199");
	expect_range("HTTP/1.1 299 x\r\n\r\n", 200, 299,
	             GTM_PROBE_OK, "http status 299");
	expect_range("HTTP/1.1 503 x\r\n\r\n", 500, 599,
	             GTM_PROBE_OK, "http status 503");
	expect_range("HTTP/1.1 200 OK\r\n\r\n", 404, 404,
	             GTM_PROBE_FAIL, "http status 200");
}

static void test_http_garbage(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	assert_int_equal(http_run(&p, &s, AF_INET, SRV_RESPOND,
	                          "SSH-2.0-OpenSSH_9.2p1\r\n",
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http bad response");

	assert_int_equal(http_run(&p, &s, AF_INET, SRV_RESPOND,
	                          "HTTP/2 200\r\n\r\n",
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http bad response");
}

static void test_http_silent(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	int64_t begin = test_now_ms();
	assert_int_equal(http_run(&p, &s, AF_INET, SRV_SILENT, NULL,
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	int64_t took = test_now_ms() - begin;
	assert_string_equal(p.reason, "timeout in http response");
	assert_int_equal(p.buf_len, 0);
	assert_true(took >= TEST_TIMEOUT_MS - 5 && took < TEST_SERVER_WAIT_MS);
}

static void test_http_slow_ok(void **state)
{
	(void)state;
	int limit = (int)(sizeof(OK_LINE) * SLOW_DELAY_MS) + 1000;
	for (int edge = 0; edge <= 1; edge++) {
		server_t s;
		gtm_probe_t p;
		assert_int_equal(http_run(&p, &s, AF_INET, SRV_SLOW, OK_LINE,
		                          limit, edge), GTM_PROBE_OK);
		assert_string_equal(p.reason, "http status 200");
		assert_int_equal(p.buf_len, strlen(OK_LINE));
	}
}

static void test_http_slow_timeout(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	assert_int_equal(http_run(&p, &s, AF_INET, SRV_SLOW, OK_LINE,
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "timeout in http response");
	assert_true(p.buf_len > 0 && p.buf_len < strlen(OK_LINE));
	/* The server stopped once the probe had reset the connection. */
	assert_true(s.sent < strlen(OK_LINE));
}

/* A status line that never ends: the probe stops at GTM_PROBE_BUF bytes. */
static void test_http_flood_status_line(void **state)
{
	(void)state;
	for (int edge = 0; edge <= 1; edge++) {
		server_t s;
		struct {
			gtm_probe_t p;
			char canary[64];
		} guard;
		memset(guard.canary, 0x5a, sizeof(guard.canary));
		assert_int_equal(http_run(&guard.p, &s, AF_INET, SRV_FLOOD,
		                          "HTTP/1.1 200 ", TEST_TIMEOUT_MS, edge),
		                 GTM_PROBE_FAIL);
		assert_string_equal(guard.p.reason, "http bad response");
		assert_int_equal(guard.p.buf_len, GTM_PROBE_BUF);
		assert_int_equal(guard.p.http_status, 0);
		for (size_t i = 0; i < sizeof(guard.canary); i++) {
			assert_int_equal(guard.canary[i], 0x5a);
		}
		/* The origin could send more than the probe took. */
		assert_true(s.sent > GTM_PROBE_BUF);
		assert_true(s.sent < FLOOD_MAX);
	}
}

/* Megabytes of junk: rejected at the first bytes. */
static void test_http_flood_garbage(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	assert_int_equal(http_run(&p, &s, AF_INET, SRV_FLOOD, "",
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http bad response");
	assert_true(p.buf_len >= 1 && p.buf_len <= GTM_PROBE_BUF);
}

/* The origin sends FIN at once (before reading), so the probe reads EOF. */
static void test_http_closed(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	assert_int_equal(http_run(&p, &s, AF_INET, SRV_CLOSE, NULL,
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http connection closed");
	assert_int_equal(p.buf_len, 0);

	/* Part of a status line, then FIN. */
	assert_int_equal(http_run(&p, &s, AF_INET6, SRV_RESPOND, "HTTP/1.1 200 O",
	                          TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "http connection closed");
	assert_int_equal(p.buf_len, strlen("HTTP/1.1 200 O"));
}

/*
 * The origin reads the whole request, then closes with RST. The probe has
 * sent everything and waits in recv(), which fails with ECONNRESET.
 */
static void test_http_reset(void **state)
{
	(void)state;
	server_t s;
	gtm_probe_t p;
	for (int family = 0; family <= 1; family++) {
		assert_int_equal(http_run(&p, &s, family ? AF_INET6 : AF_INET,
		                          SRV_RESET, NULL, TEST_TIMEOUT_MS, false),
		                 GTM_PROBE_FAIL);
		assert_string_equal(p.reason, "connection reset");
		assert_non_null(strstr(s.req, "\r\n\r\n"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_parse_sticky_error),
		cmocka_unit_test(test_request_build),
		TEST_FDS_CHECKED(test_request_too_long_start),
		cmocka_unit_test(test_reasons_errno),
		TEST_FDS_CHECKED(test_unsupported),
		TEST_FDS_CHECKED(test_tcp_ok_v4),
		TEST_FDS_CHECKED(test_tcp_ok_v6),
		TEST_FDS_CHECKED(test_tcp_reset_after_accept),
		TEST_FDS_CHECKED(test_refused),
		TEST_FDS_CHECKED(test_timeout_connect),
		TEST_FDS_CHECKED(test_abort_phases),
		TEST_FDS_CHECKED(test_http_ok_v4),
		TEST_FDS_CHECKED(test_http_ok_v6),
		TEST_FDS_CHECKED(test_http_request_path_host),
		TEST_FDS_CHECKED(test_http_503),
		TEST_FDS_CHECKED(test_http_expect_range),
		TEST_FDS_CHECKED(test_http_garbage),
		TEST_FDS_CHECKED(test_http_silent),
		TEST_FDS_CHECKED(test_http_slow_ok),
		TEST_FDS_CHECKED(test_http_slow_timeout),
		TEST_FDS_CHECKED(test_http_flood_status_line),
		TEST_FDS_CHECKED(test_http_flood_garbage),
		TEST_FDS_CHECKED(test_http_closed),
		TEST_FDS_CHECKED(test_http_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
