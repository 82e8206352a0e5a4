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
 * "http status 503", "timeout in connect", ...). A probe never blocks,
 * never allocates and reads a bounded number of bytes.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "target.h"

/*! Bytes kept of an HTTP response (only the status line is needed). */
#define GTM_PROBE_BUF		1024
/*! Maximum length of an HTTP request (path and host are limited by conf). */
#define GTM_PROBE_REQ		1536
/*! Maximum length of a failure reason. */
#define GTM_PROBE_REASON	64

/*! Result of a probe step. */
typedef enum {
	GTM_PROBE_PENDING = 0, /*!< Waiting for p->events on p->fd. */
	GTM_PROBE_OK,          /*!< Finished, healthy. */
	GTM_PROBE_FAIL,        /*!< Finished, unhealthy (see reason). */
} gtm_probe_status_t;

/*! Probe phases (for reasons like "timeout in connect"). */
typedef enum {
	GTM_PHASE_IDLE = 0,
	GTM_PHASE_CONNECT,
	GTM_PHASE_SEND,
	GTM_PHASE_RECV,
} gtm_probe_phase_t;

/*! Probe in progress. */
typedef struct {
	const gtm_target_spec_t *spec;  /*!< What to probe (outlives the probe). */
	int fd;                         /*!< Socket, -1 if none. */
	uint32_t events;                /*!< Wanted epoll events when pending. */
	gtm_probe_phase_t phase;        /*!< Current phase. */
	char req[GTM_PROBE_REQ];        /*!< Request to send. */
	size_t req_len;
	size_t req_sent;
	char buf[GTM_PROBE_BUF];        /*!< Response prefix. */
	size_t buf_len;
	int http_status;                /*!< Parsed HTTP status, 0 if none. */
	char reason[GTM_PROBE_REASON];  /*!< Failure reason (or "ok ..." detail). */
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
 * \return GTM_PROBE_FAIL.
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
