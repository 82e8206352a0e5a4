/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Probe internals shared by probe.c, probe_tcp.c and probe_http.c.
 *
 * probe.c owns the socket (connect, SO_ERROR, abortive close) and the
 * dispatch on the check type; the check files continue once the connection
 * is established. Every function ending a probe closes its descriptor.
 */

#pragma once

#include <stdint.h>

#include "probe.h"

/*! Writes a printf-like reason into p->reason (truncated if too long). */
void gtm_probe_set_reason(gtm_probe_t *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*!
 * Ends the probe: closes the descriptor with SO_LINGER {1, 0} (RST, no
 * TIME_WAIT), sets p->fd to -1 and the phase to idle.
 *
 * \return status (for tail calls).
 */
gtm_probe_status_t gtm_probe_finish(gtm_probe_t *p, gtm_probe_status_t status);

/*!
 * Ends the probe with GTM_PROBE_FAIL and a reason for a socket error.
 *
 * \param[in] step  Failed operation ("socket", "connect", "send", "recv").
 * \param[in] err   errno value.
 */
gtm_probe_status_t gtm_probe_fail_errno(gtm_probe_t *p, const char *step, int err);

/*! TCP check: the connection is established. */
gtm_probe_status_t gtm_probe_tcp_connected(gtm_probe_t *p);

/*!
 * Builds the HTTP request into p->req (sets req_len, req_sent).
 *
 * \retval  0  Request built.
 * \retval -1  Cannot build, reason set ("request too long", ...).
 */
int gtm_probe_http_request(gtm_probe_t *p);

/*! HTTP check: the connection is established, starts sending. */
gtm_probe_status_t gtm_probe_http_connected(gtm_probe_t *p);

/*! HTTP check: readiness in the send or receive phase. */
gtm_probe_status_t gtm_probe_http_io(gtm_probe_t *p, uint32_t events);
