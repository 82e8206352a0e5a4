/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief One health probe: a non-blocking state machine driven by the prober.
 *
 * The prober calls gtm_probe_start(), then gtm_probe_io() whenever the
 * descriptor p->fd is ready for p->events (EPOLLIN/EPOLLOUT), and
 * gtm_probe_abort() when the time limit expires. Once a call returns
 * GTM_PROBE_OK or GTM_PROBE_FAIL the probe has closed its descriptor and
 * p->reason holds a short lower-case reason ("connect refused",
 * "http status 503", "timeout in tls handshake", "3/3 echo lost", ...).
 *
 * A probe never blocks and reads a bounded number of bytes. Its memory is
 * bounded: the structure itself, plus, while it is in flight, a TLS
 * session (https) and one buffer of at most 64 KiB (an HTTP body examined
 * by expect-body, or a DNS response), all released when it finishes.
 *
 * A probe may replace its descriptor inside gtm_probe_io() (a DNS check
 * falling back from UDP to TCP): the new descriptor is opened before the
 * old one is closed, so p->fd changes and the caller registers it anew.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target.h"

/*! Bytes kept of an HTTP response line (status line or one header line). */
#define GTM_PROBE_BUF		1024
/*! Maximum length of an HTTP request or a DNS query (limited by conf). */
#define GTM_PROBE_REQ		2560
/*! Maximum length of a failure reason. */
#define GTM_PROBE_REASON	64
/*! Most ICMP echo requests of one probe. */
#define GTM_PROBE_ECHO_MAX	20

/*! Reason of an ICMP check when ping sockets are not permitted. */
#define GTM_PROBE_ICMP_DENIED	"icmp not permitted (net.ipv4.ping_group_range)"

/*! Result of a probe step. */
typedef enum {
	GTM_PROBE_PENDING = 0, /*!< Waiting for p->events on p->fd. */
	GTM_PROBE_OK,          /*!< Finished, healthy. */
	GTM_PROBE_FAIL,        /*!< Finished, unhealthy (see reason). */
} gtm_probe_status_t;

/*! Probe phases (for reasons like "timeout in connect"). */
typedef enum {
	GTM_PHASE_IDLE = 0,
	GTM_PHASE_CONNECT,  /*!< TCP connect. */
	GTM_PHASE_SEND,     /*!< Sending the request (or echo requests). */
	GTM_PHASE_RECV,     /*!< Waiting for the response (HTTP: status and headers). */
	GTM_PHASE_TLS,      /*!< TLS handshake. */
	GTM_PHASE_BODY,     /*!< Reading the HTTP body. */
} gtm_probe_phase_t;

/*! HTTP response parser state (after the status line). */
typedef struct {
	uint8_t stage;          /*!< Status line, headers, body. */
	uint8_t framing;        /*!< Body end: EOF, content-length, chunked, none. */
	uint8_t chunk_state;    /*!< Position in the chunked encoding. */
	uint8_t skip_line;      /*!< Skipping the rest of an overlong header line. */
	uint8_t found;          /*!< expect-body was found. */
	uint64_t remaining;     /*!< Body bytes left (content-length or chunk). */
	size_t header_bytes;    /*!< Header bytes read so far. */
	size_t raw_body;        /*!< Body bytes read including chunk framing. */
	size_t chunk_line;      /*!< Length of the current chunk-size line. */
} gtm_http_rx_t;

/*! ICMP echo state. */
typedef struct {
	uint64_t cookie;                        /*!< Payload identifying this probe. */
	uint64_t sent_us[GTM_PROBE_ECHO_MAX];   /*!< Send times (monotonic, us). */
	uint32_t replied;                       /*!< Bit per sequence: reply seen. */
	uint16_t ident;                         /*!< Echo id (set by the kernel). */
	uint16_t seq_base;                      /*!< Sequence of the first request. */
	uint8_t sent;                           /*!< Requests sent. */
	uint8_t ok;                             /*!< Replies within max-rtt. */
	uint8_t late;                           /*!< Replies slower than max-rtt. */
	uint32_t rtt_max_us;                    /*!< Slowest accepted reply. */
} gtm_icmp_rx_t;

/*! DNS state. */
typedef struct {
	uint16_t id;            /*!< Query id. */
	uint8_t tcp;            /*!< Over TCP (after a truncated UDP answer). */
	size_t query_len;       /*!< Query length (without the TCP prefix). */
	size_t need;            /*!< TCP: message length once the prefix is read. */
} gtm_dns_rx_t;

/*! Probe in progress. */
typedef struct {
	const gtm_target_spec_t *spec;  /*!< What to probe (outlives the probe). */
	int fd;                         /*!< Socket, -1 if none. */
	uint32_t events;                /*!< Wanted epoll events when pending. */
	gtm_probe_phase_t phase;        /*!< Current phase. */
	char req[GTM_PROBE_REQ];        /*!< Request to send. */
	size_t req_len;
	size_t req_sent;
	char buf[GTM_PROBE_BUF];        /*!< Response prefix or current line. */
	size_t buf_len;
	int http_status;                /*!< Parsed HTTP status, 0 if none. */
	char reason[GTM_PROBE_REASON];  /*!< Failure reason (or "ok ..." detail). */
	void *tls;                      /*!< TLS session (gnutls_session_t) or NULL. */
	size_t tls_read;                /*!< Raw bytes read under TLS. */
	int sys_err;                    /*!< Last socket errno seen by the TLS layer. */
	char *mem;                      /*!< Per-probe buffer (body, DNS), or NULL. */
	size_t mem_size;                /*!< Its size. */
	size_t mem_len;                 /*!< Bytes in it. */
	union {
		gtm_http_rx_t http;
		gtm_icmp_rx_t icmp;
		gtm_dns_rx_t dns;
	} rx;                           /*!< Check-specific state. */
} gtm_probe_t;

/*!
 * Starts a probe: opens a non-blocking socket and connects.
 *
 * \return GTM_PROBE_PENDING with p->fd and p->events set, or a final status.
 */
gtm_probe_status_t gtm_probe_start(gtm_probe_t *p, const gtm_target_spec_t *spec);

/*!
 * Advances a pending probe after readiness of p->fd.
 *
 * \param[in] events  Ready epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
 */
gtm_probe_status_t gtm_probe_io(gtm_probe_t *p, uint32_t events);

/*!
 * Ends a pending probe on timeout: closes it, reason "timeout in PHASE".
 *
 * An ICMP probe is judged on the replies received so far instead (the
 * probe waits for all of them until the deadline).
 *
 * \return GTM_PROBE_FAIL, or the ICMP result.
 */
gtm_probe_status_t gtm_probe_abort(gtm_probe_t *p);

/*!
 * Parses the status line of an HTTP/1.x response prefix.
 *
 * \param[in]  buf     Received bytes (not NUL terminated).
 * \param[in]  len     Number of bytes.
 * \param[out] status  Status code 100-999 when complete.
 *
 * \retval  1  Complete status line, status set.
 * \retval  0  Incomplete, more bytes needed.
 * \retval -1  Not an HTTP/1.x status line.
 */
int gtm_http_parse_status(const char *buf, size_t len, int *status);

/*!
 * Tells whether a configuration with ICMP checks can open ping sockets.
 *
 * \param[in]  conf     Parsed configuration.
 * \param[out] msg      When not: one line naming the sysctl and the fix.
 * \param[in]  msg_len  Size of msg.
 *
 * \retval true   The configuration has ICMP checks and ping sockets are not
 *                permitted for this process (msg set).
 * \retval false  No ICMP check, or ping sockets work.
 */
bool gtm_probe_icmp_denied(const gtm_conf_t *conf, char *msg, size_t msg_len);
