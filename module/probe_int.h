/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Probe internals shared by the probe_*.c files.
 *
 * probe.c owns the socket (connect, SO_ERROR, abortive close) and the
 * dispatch on the check type; the check files continue once the connection
 * is established:
 *
 *   probe_tcp.c    tcp: done when connected
 *   probe_http.c   http, https: request, status line, send/receive steps
 *   probe_body.c   http, https: headers, body framing, expect-body(-regex)
 *   probe_https.c  https: TLS session, handshake, certificate verification
 *   probe_icmp.c   icmp: echo requests and replies on a ping socket
 *   probe_dns.c    dns: query over UDP, TCP after truncation
 *
 * Every function ending a probe closes its descriptor and frees what the
 * probe allocated (gtm_probe_finish()).
 */

#pragma once

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "probe.h"

/*! Stream read/write: would block, p->events set. */
#define GTM_IO_AGAIN	(-1)
/*! Stream read/write: the probe failed and is finished. */
#define GTM_IO_FAILED	(-2)

/*! Most raw bytes a probe reads under TLS (handshake and records). */
#define GTM_TLS_READ_MAX	(512 * 1024)

/*! Writes a printf-like reason into p->reason (truncated if too long). */
void gtm_probe_set_reason(gtm_probe_t *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*!
 * Ends the probe: ends the TLS session, frees the probe buffer, closes the
 * descriptor with SO_LINGER {1, 0} (RST, no TIME_WAIT), sets p->fd to -1
 * and the phase to idle.
 *
 * \return status (for tail calls).
 */
gtm_probe_status_t gtm_probe_finish(gtm_probe_t *p, gtm_probe_status_t status);

/*! Ends the probe with GTM_PROBE_FAIL and a printf-like reason. */
gtm_probe_status_t gtm_probe_fail(gtm_probe_t *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*!
 * Ends the probe with GTM_PROBE_FAIL and a reason for a socket error.
 *
 * \param[in] step  Failed operation ("socket", "connect", "send", "recv").
 * \param[in] err   errno value.
 */
gtm_probe_status_t gtm_probe_fail_errno(gtm_probe_t *p, const char *step, int err);

/*! Length of a socket address of the family, 0 if unsupported. */
socklen_t gtm_probe_addr_len(const struct sockaddr_storage *addr);

/*!
 * Opens a non-blocking TCP socket to the target and connects; when
 * connected the check continues in its *_connected() function.
 */
gtm_probe_status_t gtm_probe_tcp_open(gtm_probe_t *p);

/*! Allocates the per-probe buffer p->mem of size bytes. */
int gtm_probe_mem(gtm_probe_t *p, size_t size);

/*! TCP check: the connection is established. */
gtm_probe_status_t gtm_probe_tcp_connected(gtm_probe_t *p);

/*!
 * Builds the HTTP request into p->req (sets req_len, req_sent).
 *
 * \retval  0  Request built.
 * \retval -1  Cannot build, reason set ("request too long", ...).
 */
int gtm_probe_http_request(gtm_probe_t *p);

/*! HTTP(S) check: prepares the request and the body buffer at start. */
int gtm_probe_http_prepare(gtm_probe_t *p);

/*! HTTP check: the connection (or the TLS session) is established. */
gtm_probe_status_t gtm_probe_http_connected(gtm_probe_t *p);

/*! HTTP(S) check: readiness in the TLS, send, receive or body phase. */
gtm_probe_status_t gtm_probe_http_io(gtm_probe_t *p, uint32_t events);

/*!
 * Reads from the connection (plain or TLS).
 *
 * \return Bytes read (> 0), 0 on end of stream, GTM_IO_AGAIN or GTM_IO_FAILED.
 */
ssize_t gtm_probe_stream_recv(gtm_probe_t *p, void *buf, size_t len);

/*!
 * Writes to the connection (plain or TLS).
 *
 * \return Bytes written (> 0), GTM_IO_AGAIN or GTM_IO_FAILED.
 */
ssize_t gtm_probe_stream_send(gtm_probe_t *p, const void *buf, size_t len);

/*!
 * HTTP(S) check: handles the response bytes following the status line
 * (p->buf holds them, p->http_status is accepted).
 */
gtm_probe_status_t gtm_probe_body_begin(gtm_probe_t *p);

/*! HTTP(S) check: reads and handles headers and body until done or EAGAIN. */
gtm_probe_status_t gtm_probe_body_recv(gtm_probe_t *p);

/*! HTTPS check: TCP connected, starts the TLS handshake. */
gtm_probe_status_t gtm_probe_tls_connected(gtm_probe_t *p);

/*! HTTPS check: continues the TLS handshake. */
gtm_probe_status_t gtm_probe_tls_handshake(gtm_probe_t *p);

/*! TLS record read, see gtm_probe_stream_recv(). */
ssize_t gtm_probe_tls_recv(gtm_probe_t *p, void *buf, size_t len);

/*! TLS record write, see gtm_probe_stream_send(). */
ssize_t gtm_probe_tls_send(gtm_probe_t *p, const void *buf, size_t len);

/*! Ends the TLS session of a probe (if any). */
void gtm_probe_tls_end(gtm_probe_t *p);

/*! ICMP check: opens the ping socket, sends the echo requests. */
gtm_probe_status_t gtm_probe_icmp_start(gtm_probe_t *p);

/*! ICMP check: sends the remaining requests, reads replies. */
gtm_probe_status_t gtm_probe_icmp_io(gtm_probe_t *p, uint32_t events);

/*!
 * ICMP check: takes a received datagram if it is one of the probe's echo
 * replies (type, code, id, sequence, cookie), on time or late.
 *
 * \param[in] now  Receive time, gtm_probe_now_us().
 */
void gtm_probe_icmp_take(gtm_probe_t *p, const uint8_t *data, size_t len, uint64_t now);

/*! Monotonic clock in microseconds. */
uint64_t gtm_probe_now_us(void);

/*! ICMP check: result from the replies received (at the deadline). */
gtm_probe_status_t gtm_probe_icmp_result(gtm_probe_t *p);

/*! DNS check: builds the query, sends it over UDP. */
gtm_probe_status_t gtm_probe_dns_start(gtm_probe_t *p);

/*! DNS check: the TCP connection (after truncation) is established. */
gtm_probe_status_t gtm_probe_dns_connected(gtm_probe_t *p);

/*! DNS check: readiness while sending or waiting for the response. */
gtm_probe_status_t gtm_probe_dns_io(gtm_probe_t *p, uint32_t events);
