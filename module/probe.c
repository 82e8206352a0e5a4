/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "probe_int.h"

void gtm_probe_set_reason(gtm_probe_t *p, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	(void)vsnprintf(p->reason, sizeof(p->reason), fmt, args);
	va_end(args);
}

gtm_probe_status_t gtm_probe_fail(gtm_probe_t *p, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	(void)vsnprintf(p->reason, sizeof(p->reason), fmt, args);
	va_end(args);
	return gtm_probe_finish(p, GTM_PROBE_FAIL);
}

int gtm_probe_mem(gtm_probe_t *p, size_t size)
{
	p->mem = malloc(size);
	if (p->mem == NULL) {
		gtm_probe_set_reason(p, "out of memory");
		return -1;
	}
	p->mem_size = size;
	p->mem_len = 0;
	return 0;
}

gtm_probe_status_t gtm_probe_finish(gtm_probe_t *p, gtm_probe_status_t status)
{
	gtm_probe_tls_end(p);
	free(p->mem);
	p->mem = NULL;
	p->mem_size = 0;
	if (p->fd >= 0) {
		struct linger lin = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		(void)close(p->fd);
		p->fd = -1;
	}
	p->events = 0;
	p->phase = GTM_PHASE_IDLE;
	return status;
}

/*
 * Reason for a socket error:
 *
 *   err                 reason
 *   ------------------  ----------------------------
 *   ECONNREFUSED        "connect refused"
 *   ECONNRESET, EPIPE   "connection reset"
 *   other               "STEP failed (strerror(err))"
 */
gtm_probe_status_t gtm_probe_fail_errno(gtm_probe_t *p, const char *step, int err)
{
	char msg[GTM_PROBE_REASON];

	switch (err) {
	case ECONNREFUSED:
		gtm_probe_set_reason(p, "connect refused");
		break;
	case ECONNRESET:
	case EPIPE:
		gtm_probe_set_reason(p, "connection reset");
		break;
	default:
		gtm_probe_set_reason(p, "%s failed (%s)", step,
		                     strerror_r(err, msg, sizeof(msg)));
		break;
	}

	return gtm_probe_finish(p, GTM_PROBE_FAIL);
}

socklen_t gtm_probe_addr_len(const struct sockaddr_storage *addr)
{
	switch (addr->ss_family) {
	case AF_INET:  return sizeof(struct sockaddr_in);
	case AF_INET6: return sizeof(struct sockaddr_in6);
	default:       return 0;
	}
}

static gtm_probe_status_t connected(gtm_probe_t *p)
{
	switch (p->spec->type) {
	case GTM_CHECK_TCP:
		return gtm_probe_tcp_connected(p);
	case GTM_CHECK_HTTP:
		return gtm_probe_http_connected(p);
	case GTM_CHECK_HTTPS:
		return gtm_probe_tls_connected(p);
	case GTM_CHECK_DNS:
		return gtm_probe_dns_connected(p);
	default:
		return gtm_probe_fail(p, "unsupported check type");
	}
}

gtm_probe_status_t gtm_probe_tcp_open(gtm_probe_t *p)
{
	const struct sockaddr_storage *addr = &p->spec->addr;
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return gtm_probe_fail_errno(p, "socket", errno);
	}
	if (p->fd >= 0) {
		/* Replacing a descriptor: the new one is open, so its number differs. */
		(void)close(p->fd);
	}
	p->fd = fd;

	p->phase = GTM_PHASE_CONNECT;
	if (connect(p->fd, (const struct sockaddr *)addr, gtm_probe_addr_len(addr)) == 0) {
		return connected(p);
	}

	/* EINTR: the connection continues in the background, like EINPROGRESS. */
	int err = errno;
	if (err == EINPROGRESS || err == EINTR) {
		p->events = EPOLLOUT;
		return GTM_PROBE_PENDING;
	}
	return gtm_probe_fail_errno(p, "connect", err);
}

gtm_probe_status_t gtm_probe_start(gtm_probe_t *p, const gtm_target_spec_t *spec)
{
	memset(p, 0, sizeof(*p));
	p->spec = spec;
	p->fd = -1;

	if (gtm_probe_addr_len(&spec->addr) == 0) {
		gtm_probe_set_reason(p, "unsupported address family");
		return GTM_PROBE_FAIL;
	}

	switch (spec->type) {
	case GTM_CHECK_TCP:
		return gtm_probe_tcp_open(p);
	case GTM_CHECK_HTTP:
	case GTM_CHECK_HTTPS:
		if (gtm_probe_http_prepare(p) != 0) {
			return gtm_probe_finish(p, GTM_PROBE_FAIL);
		}
		return gtm_probe_tcp_open(p);
	case GTM_CHECK_ICMP:
		return gtm_probe_icmp_start(p);
	case GTM_CHECK_DNS:
		return gtm_probe_dns_start(p);
	default:
		gtm_probe_set_reason(p, "unsupported check type");
		return GTM_PROBE_FAIL;
	}
}

/*
 * Completion of a non-blocking connect:
 *
 *   events                  SO_ERROR        result
 *   ----------------------  --------------  ------------------------------
 *   EPOLLOUT only           (unread)        connected, the check continues
 *   EPOLLERR or EPOLLHUP    ECONNRESET,     connected: the handshake was
 *                           EPIPE           done, the peer reset since; the
 *                                           check goes on (tcp: up, http:
 *                                           "connection reset" when sending)
 *   EPOLLERR or EPOLLHUP    other != 0      FAIL, reason from the error
 *   EPOLLERR or EPOLLHUP    0               FAIL "connect failed"
 *   none of the above       any             PENDING (spurious wake-up)
 *
 * A connect that failed always raises EPOLLERR, so a clean EPOLLOUT needs
 * no getsockopt() (one system call less per probe). A failing getsockopt()
 * counts as SO_ERROR = its errno. Treating a reset as established keeps a
 * tcp check against an origin that accepts and resets at once from
 * depending on how fast the prober looks.
 */
static gtm_probe_status_t connect_done(gtm_probe_t *p, uint32_t events)
{
	if (!(events & (EPOLLERR | EPOLLHUP))) {
		return (events & EPOLLOUT) ? connected(p) : GTM_PROBE_PENDING;
	}

	int err = 0;
	socklen_t err_len = sizeof(err);
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) {
		err = errno;
	}
	if (err == ECONNRESET || err == EPIPE) {
		return connected(p);
	}
	if (err != 0) {
		return gtm_probe_fail_errno(p, "connect", err);
	}
	gtm_probe_set_reason(p, "connect failed");
	return gtm_probe_finish(p, GTM_PROBE_FAIL);
}

gtm_probe_status_t gtm_probe_io(gtm_probe_t *p, uint32_t events)
{
	if (p->fd < 0 || p->phase == GTM_PHASE_IDLE) {
		return gtm_probe_fail(p, "probe not running");
	}
	if (p->phase == GTM_PHASE_CONNECT) {
		return connect_done(p, events);
	}

	switch (p->spec->type) {
	case GTM_CHECK_HTTP:
	case GTM_CHECK_HTTPS:
		return gtm_probe_http_io(p, events);
	case GTM_CHECK_ICMP:
		return gtm_probe_icmp_io(p, events);
	case GTM_CHECK_DNS:
		return gtm_probe_dns_io(p, events);
	default:
		return gtm_probe_fail(p, "probe not running");
	}
}

/*
 * Reason of a timeout:
 *
 *   fd    type   phase    reason
 *   ----  -----  -------  --------------------------
 *   < 0   any    any      "probe not running"
 *   >= 0  icmp   any      result of the replies so far ("3/3 echo lost")
 *   >= 0  other  CONNECT  "timeout in connect"
 *   >= 0  other  TLS      "timeout in tls handshake"
 *   >= 0  other  SEND     "timeout in send"
 *   >= 0  dns    RECV     "timeout in dns response"
 *   >= 0  other  RECV     "timeout in http response"
 *   >= 0  other  BODY     "timeout in http body"
 *   >= 0  other  IDLE     "probe not running"
 */
gtm_probe_status_t gtm_probe_abort(gtm_probe_t *p)
{
	const char *reason = "probe not running";

	if (p->fd >= 0 && p->spec != NULL && p->spec->type == GTM_CHECK_ICMP) {
		return gtm_probe_icmp_result(p);
	}
	if (p->fd >= 0) {
		bool dns = (p->spec != NULL && p->spec->type == GTM_CHECK_DNS);
		switch (p->phase) {
		case GTM_PHASE_CONNECT: reason = "timeout in connect"; break;
		case GTM_PHASE_TLS:     reason = "timeout in tls handshake"; break;
		case GTM_PHASE_SEND:    reason = "timeout in send"; break;
		case GTM_PHASE_RECV:    reason = dns ? "timeout in dns response" :
		                                       "timeout in http response"; break;
		case GTM_PHASE_BODY:    reason = "timeout in http body"; break;
		default:                break;
		}
	}

	return gtm_probe_fail(p, "%s", reason);
}
