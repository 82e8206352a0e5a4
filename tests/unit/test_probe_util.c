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

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "test_probe_util.h"

int64_t test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void test_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR);
}

int test_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	assert_non_null(dir);
	int count = 0;
	while (readdir(dir) != NULL) {
		count++;
	}
	closedir(dir);
	return count;
}

/* Descriptors open before the running test. */
static int fds_before;

int test_fds_setup(void **state)
{
	(void)state;
	fds_before = test_count_fds();
	return 0;
}

int test_fds_teardown(void **state)
{
	(void)state;
	assert_int_equal(test_count_fds(), fds_before);
	return 0;
}

void test_loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
	}
}

uint16_t test_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
	             ((const struct sockaddr_in *)ss)->sin_port :
	             ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int bound(int family, int type, struct sockaddr_storage *ss)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	test_loopback(family, 0, ss);
	socklen_t len = sizeof(*ss);
	assert_int_equal(bind(fd, (struct sockaddr *)ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)ss, &len), 0);
	return fd;
}

int test_listen(int family, struct sockaddr_storage *ss, int backlog)
{
	int fd = bound(family, SOCK_STREAM, ss);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

int test_listen_at(struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int one = 1;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	socklen_t len = sizeof(*ss);
	assert_int_equal(bind(fd, (struct sockaddr *)ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)ss, &len), 0);
	assert_int_equal(listen(fd, 128), 0);
	return fd;
}

int test_udp(int family, struct sockaddr_storage *ss)
{
	return bound(family, SOCK_DGRAM, ss);
}

int test_accept(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	if (poll(&pfd, 1, TEST_SERVER_WAIT_MS) != 1) {
		return -1;
	}
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = TEST_SERVER_WAIT_MS / 1000 };
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

size_t test_read_request(int fd, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	while (len < size - 1 && strstr(buf, "\r\n\r\n") == NULL) {
		ssize_t got = recv(fd, buf + len, size - 1 - len, 0);
		if (got <= 0) {
			break;
		}
		len += got;
		buf[len] = '\0';
	}
	return len;
}

bool test_send_all(int fd, const void *data, size_t len)
{
	const char *pos = data;
	while (len > 0) {
		ssize_t sent = send(fd, pos, len, MSG_NOSIGNAL);
		if (sent <= 0) {
			return false;
		}
		pos += sent;
		len -= sent;
	}
	return true;
}

void test_spec(gtm_target_spec_t *spec, gtm_check_type_t type,
               const struct sockaddr_storage *addr)
{
	memset(spec, 0, sizeof(*spec));
	spec->type = type;
	spec->addr = *addr;
	spec->path = "/";
	spec->expect_min = 200;
	spec->expect_max = 399;
	spec->body_limit = 4096;
	spec->verify = true;
	spec->packets = 3;
	spec->max_loss = 50;
	spec->query_name = ".";
	spec->query_type = 6; /* SOA */
	spec->interval_ms = 1000;
	spec->timeout_ms = TEST_TIMEOUT_MS;
	spec->recheck_ms = 100;
	spec->rise = 1;
	spec->fall = 1;
}

gtm_probe_status_t test_drive(gtm_probe_t *p, const gtm_target_spec_t *spec,
                              int timeout_ms, bool edge)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);

	int64_t deadline = test_now_ms() + timeout_ms;
	gtm_probe_status_t st = gtm_probe_start(p, spec);
	int fd = -1;
	uint32_t armed = 0;

	for (int i = 0; st == GTM_PROBE_PENDING && i < 100000; i++) {
		assert_true(p->fd >= 0);
		assert_true(p->events == EPOLLIN || p->events == EPOLLOUT);
		if (fd != p->fd || armed != p->events) {
			struct epoll_event ev = {
				.events = p->events | (edge ? EPOLLET : 0),
				.data.fd = p->fd,
			};
			int op = (fd == p->fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
			assert_int_equal(epoll_ctl(ep, op, p->fd, &ev), 0);
			fd = p->fd;
			armed = p->events;
		}

		int64_t left = deadline - test_now_ms();
		struct epoll_event ev;
		int n = (left > 0) ? epoll_wait(ep, &ev, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR) {
			continue;
		}
		assert_true(n >= 0);
		st = (n == 0) ? gtm_probe_abort(p) : gtm_probe_io(p, ev.events);
	}

	assert_int_not_equal(st, GTM_PROBE_PENDING);
	assert_int_equal(p->fd, -1);
	assert_int_equal(p->phase, GTM_PHASE_IDLE);
	assert_null(p->tls);
	assert_null(p->mem);
	close(ep);
	return st;
}
