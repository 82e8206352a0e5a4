/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "probe.h"
#include "probe_int.h"

/*! True if s can go into the request line or a header (no spaces, no CTLs). */
static bool request_safe(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = *s;
		if (c <= ' ' || c == 0x7f) {
			return false;
		}
	}
	return true;
}

/*! True if extra headers are "Name: value\r\n" lines without other CTLs. */
static bool headers_safe(const char *s)
{
	bool line_start = true;
	for (; *s != '\0'; s++) {
		unsigned char c = *s;
		if (c == '\r') {
			if (s[1] != '\n' || line_start) {
				return false;
			}
			s++;
			line_start = true;
			continue;
		}
		if ((c < ' ' && c != '\t') || c == 0x7f) {
			return false;
		}
		line_start = false;
	}
	return line_start;
}

/*! True if the extra headers set a header of the name (case-insensitive). */
static bool has_header(const char *headers, const char *name)
{
	size_t len = strlen(name);
	for (const char *line = headers; line != NULL && *line != '\0'; ) {
		if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
			return true;
		}
		line = strchr(line, '\n');
		line = (line != NULL) ? line + 1 : NULL;
	}
	return false;
}

int gtm_probe_http_request(gtm_probe_t *p)
{
	const gtm_target_spec_t *spec = p->spec;
	const char *path = (spec->path != NULL && spec->path[0] != '\0') ? spec->path : "/";
	const char *host = (spec->host != NULL && spec->host[0] != '\0') ? spec->host : NULL;
	const char *headers = (spec->headers != NULL) ? spec->headers : "";
	const char *open = "", *close = "";
	char literal[INET6_ADDRSTRLEN];
	uint16_t port, default_port = (spec->type == GTM_CHECK_HTTPS) ? 443 : 80;

	if (spec->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&spec->addr;
		port = ntohs(sin->sin_port);
		if (host == NULL) {
			host = inet_ntop(AF_INET, &sin->sin_addr, literal, sizeof(literal));
		}
	} else if (spec->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&spec->addr;
		port = ntohs(sin6->sin6_port);
		if (host == NULL) {
			host = inet_ntop(AF_INET6, &sin6->sin6_addr, literal, sizeof(literal));
			open = "[";
			close = "]";
		}
	} else {
		gtm_probe_set_reason(p, "unsupported address family");
		return -1;
	}

	if (host == NULL || !request_safe(host) || !request_safe(path) ||
	    !headers_safe(headers)) {
		gtm_probe_set_reason(p, "invalid request");
		return -1;
	}

	char port_str[sizeof(":65535")] = "";
	bool host_port = (spec->host != NULL && strchr(spec->host, ':') != NULL);
	if (port != default_port && !host_port) {
		(void)snprintf(port_str, sizeof(port_str), ":%u", (unsigned)port);
	}

	int len = snprintf(p->req, sizeof(p->req),
	                   "%s %s HTTP/1.1\r\n"
	                   "Host: %s%s%s%s\r\n"
	                   "%s%s"
	                   "Connection: close\r\n"
	                   "%s"
	                   "\r\n",
	                   (spec->method == GTM_HTTP_HEAD) ? "HEAD" : "GET",
	                   path, open, host, close, port_str,
	                   has_header(headers, "user-agent") ? "" : "User-Agent: knot-gtm\r\n",
	                   has_header(headers, "accept") ? "" : "Accept: */*\r\n",
	                   headers);
	if (len < 0 || (size_t)len >= sizeof(p->req)) {
		p->req[0] = '\0';
		p->req_len = 0;
		gtm_probe_set_reason(p, "request too long");
		return -1;
	}

	p->req_len = len;
	p->req_sent = 0;
	return 0;
}

int gtm_probe_http_prepare(gtm_probe_t *p)
{
	const gtm_target_spec_t *spec = p->spec;
	if (gtm_probe_http_request(p) != 0) {
		return -1;
	}
	if (spec->expect_body_regex != NULL && spec->body_re == NULL) {
		gtm_probe_set_reason(p, "regex not compiled");
		return -1;
	}
	if (spec->type == GTM_CHECK_HTTPS && spec->tls_cred == NULL) {
		gtm_probe_set_reason(p, "tls credentials not loaded");
		return -1;
	}
	if (spec->expect_body != NULL || spec->expect_body_regex != NULL) {
		/* One more byte for the terminating NUL regexec() needs. */
		return gtm_probe_mem(p, (size_t)spec->body_limit + 1);
	}
	return 0;
}

/*
 * Status line of an HTTP/1.x response, checked byte by byte:
 *
 *   offset  allowed bytes                             e.g. rejected
 *   ------  ----------------------------------------  ------------------
 *   0-6     "HTTP/1." exactly (case-sensitive)        "SSH-2.0", "HTTP/2"
 *   7       '0' or '1'                                "HTTP/1.2"
 *   8       ' '                                       "HTTP/1.1200"
 *   9       '1'-'9'                                   "HTTP/1.1 099"
 *   10-11   '0'-'9'                                   "HTTP/1.1 20x"
 *   12      ' ', CR or LF                             "HTTP/1.1 2000"
 *   13-     reason phrase: any byte but CR and LF
 *   any>12  LF ends the line; CR must be followed     "HTTP/1.1 200 \rX"
 *           by LF
 *
 *   bytes so far                                  result
 *   --------------------------------------------  ---------------------
 *   a byte not allowed at its offset              -1
 *   all allowed, no LF at offset >= 12 yet        0 (also for len 0)
 *   all allowed up to an LF at offset >= 12       1, status = 3 digits
 *
 * Only the bytes up to the first LF are looked at.
 */
int gtm_http_parse_status(const char *buf, size_t len, int *status)
{
	static const char name[] = "HTTP/1.";
	int code = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];
		if (i < sizeof(name) - 1) {
			if (c != (unsigned char)name[i]) {
				return -1;
			}
		} else if (i == 7) {
			if (c != '0' && c != '1') {
				return -1;
			}
		} else if (i == 8) {
			if (c != ' ') {
				return -1;
			}
		} else if (i <= 11) {
			if (c < (i == 9 ? '1' : '0') || c > '9') {
				return -1;
			}
			code = code * 10 + (c - '0');
		} else if (c == '\n') {
			*status = code;
			return 1;
		} else if (c == '\r') {
			if (i + 1 < len && buf[i + 1] != '\n') {
				return -1;
			}
		} else if (i == 12 && c != ' ') {
			return -1;
		}
	}

	return 0;
}

/*
 * Result of a complete status line:
 *
 *   status S                        body rules  result
 *   ------------------------------  ----------  -------------------------------
 *   outside expect_min-expect_max   any         FAIL "http status S"
 *   inside                          none        OK "http status S"
 *   inside                          some        headers and body are read next
 */
static gtm_probe_status_t http_result(gtm_probe_t *p, int status)
{
	const gtm_target_spec_t *spec = p->spec;
	bool ok = status >= spec->expect_min && status <= spec->expect_max;

	p->http_status = status;
	gtm_probe_set_reason(p, "http status %d", status);
	if (ok && p->mem != NULL) {
		return gtm_probe_body_begin(p);
	}
	return gtm_probe_finish(p, ok ? GTM_PROBE_OK : GTM_PROBE_FAIL);
}

ssize_t gtm_probe_stream_recv(gtm_probe_t *p, void *buf, size_t len)
{
	if (p->tls != NULL) {
		return gtm_probe_tls_recv(p, buf, len);
	}

	ssize_t got = recv(p->fd, buf, len, 0);
	if (got >= 0) {
		return got;
	}
	int err = errno;
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
		p->events = EPOLLIN;
		return GTM_IO_AGAIN;
	}
	(void)gtm_probe_fail_errno(p, "recv", err);
	return GTM_IO_FAILED;
}

ssize_t gtm_probe_stream_send(gtm_probe_t *p, const void *buf, size_t len)
{
	if (p->tls != NULL) {
		return gtm_probe_tls_send(p, buf, len);
	}

	ssize_t sent = send(p->fd, buf, len, MSG_NOSIGNAL);
	if (sent > 0) {
		return sent;
	}
	int err = (sent < 0) ? errno : EAGAIN;
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
		p->events = EPOLLOUT;
		return GTM_IO_AGAIN;
	}
	(void)gtm_probe_fail_errno(p, "send", err);
	return GTM_IO_FAILED;
}

/*
 * Reads until the status line is complete or the socket has no more data.
 * The whole buffer is drained (edge-triggered epoll works too); the loop
 * ends because every pass adds at least one byte to the bounded buffer.
 *
 *   read / parse                         result
 *   -----------------------------------  ---------------------------------
 *   would block                          PENDING (events set by the read)
 *   error                                FAIL (reason set by the read)
 *   EOF                                  FAIL "http connection closed"
 *   data, status line complete           http_result()
 *   data, not HTTP/1.x                   FAIL "http bad response"
 *   data, incomplete, buffer full        FAIL "http bad response"
 *   data, incomplete, room left          read again
 *
 * Once the status line was accepted, headers and body continue in
 * probe_body.c.
 */
static gtm_probe_status_t recv_step(gtm_probe_t *p)
{
	if (p->http_status != 0) {
		return gtm_probe_body_recv(p);
	}

	while (p->buf_len < sizeof(p->buf)) {
		ssize_t got = gtm_probe_stream_recv(p, p->buf + p->buf_len,
		                                    sizeof(p->buf) - p->buf_len);
		if (got == GTM_IO_AGAIN) {
			return GTM_PROBE_PENDING;
		} else if (got == GTM_IO_FAILED) {
			return GTM_PROBE_FAIL;
		} else if (got == 0) {
			return gtm_probe_fail(p, "http connection closed");
		}
		p->buf_len += got;

		int status = 0;
		int ret = gtm_http_parse_status(p->buf, p->buf_len, &status);
		if (ret > 0) {
			return http_result(p, status);
		}
		if (ret < 0) {
			break;
		}
	}

	return gtm_probe_fail(p, "http bad response");
}

/*
 * Sends the rest of the request; each pass sends at least one byte.
 *
 *   write                                result
 *   -----------------------------------  ---------------------------------
 *   all sent                             phase RECV, PENDING, EPOLLIN
 *   would block                          phase SEND, PENDING (events set)
 *   error                                FAIL (reason set by the write)
 */
static gtm_probe_status_t send_step(gtm_probe_t *p)
{
	p->phase = GTM_PHASE_SEND;

	while (p->req_sent < p->req_len) {
		ssize_t sent = gtm_probe_stream_send(p, p->req + p->req_sent,
		                                     p->req_len - p->req_sent);
		if (sent == GTM_IO_AGAIN) {
			return GTM_PROBE_PENDING;
		} else if (sent == GTM_IO_FAILED) {
			return GTM_PROBE_FAIL;
		}
		p->req_sent += sent;
	}

	p->phase = GTM_PHASE_RECV;
	p->events = EPOLLIN;
	return GTM_PROBE_PENDING;
}

gtm_probe_status_t gtm_probe_http_connected(gtm_probe_t *p)
{
	return send_step(p);
}

gtm_probe_status_t gtm_probe_http_io(gtm_probe_t *p, uint32_t events)
{
	/* Errors and hang-ups surface in reads and writes, which report them. */
	(void)events;

	switch (p->phase) {
	case GTM_PHASE_TLS:
		return gtm_probe_tls_handshake(p);
	case GTM_PHASE_SEND:
		return send_step(p);
	case GTM_PHASE_BODY:
		return gtm_probe_body_recv(p);
	default:
		return recv_step(p);
	}
}
