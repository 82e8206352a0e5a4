/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * HTTPS check: a GnuTLS client session on the probe's non-blocking socket.
 * The handshake and the records report GNUTLS_E_AGAIN when the socket
 * would block; gnutls_record_get_direction() tells whether to wait for
 * EPOLLIN or EPOLLOUT. The transport functions count the raw bytes read
 * (at most GTM_TLS_READ_MAX) and never raise SIGPIPE.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "probe.h"
#include "probe_int.h"
#include "probe_tls.h"

/*! Non-fatal GnuTLS results handled in a row before waiting for the socket. */
#define NONFATAL_MAX	8

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	gtm_probe_t *p = ptr;
	size_t left = GTM_TLS_READ_MAX - p->tls_read;
	if (left == 0) {
		p->sys_err = EMSGSIZE;
		gnutls_transport_set_errno(p->tls, EMSGSIZE);
		return -1;
	}

	ssize_t got = recv(p->fd, buf, (len < left) ? len : left, 0);
	if (got < 0) {
		p->sys_err = errno;
		gnutls_transport_set_errno(p->tls, errno);
		return -1;
	}
	p->tls_read += got;
	return got;
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	gtm_probe_t *p = ptr;
	ssize_t sent = send(p->fd, buf, len, MSG_NOSIGNAL);
	if (sent < 0) {
		p->sys_err = errno;
		gnutls_transport_set_errno(p->tls, errno);
	}
	return sent;
}

/*! Waits for the direction GnuTLS needs. */
static void want_direction(gtm_probe_t *p)
{
	p->events = (gnutls_record_get_direction(p->tls) == 1) ? EPOLLOUT : EPOLLIN;
}

/*
 * Reason of a fatal GnuTLS error (handshake or records):
 *
 *   error                                       reason
 *   ------------------------------------------  --------------------------------
 *   PULL/PUSH_ERROR, errno EMSGSIZE (our cap)   "tls too much data"
 *   PULL/PUSH_ERROR, other errno                gtm_probe_fail_errno("tls", errno)
 *   PREMATURE_TERMINATION                       "tls connection closed"
 *   FATAL_ALERT_RECEIVED                        "tls alert NAME"
 *   UNEXPECTED_PACKET(_LENGTH),                 "tls bad response"
 *   UNSUPPORTED_VERSION_PACKET,
 *   UNEXPECTED_HANDSHAKE_PACKET,
 *   RECORD_OVERFLOW, DECRYPTION_FAILED
 *   other, in the handshake                     "tls handshake failed (ERROR)"
 *   other, later                                "tls error (ERROR)"
 */
static gtm_probe_status_t tls_fail(gtm_probe_t *p, int ret)
{
	char msg[GTM_PROBE_REASON];

	switch (ret) {
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		if (p->sys_err == EMSGSIZE) {
			return gtm_probe_fail(p, "tls too much data");
		}
		return gtm_probe_fail_errno(p, "tls", p->sys_err);
	case GNUTLS_E_PREMATURE_TERMINATION:
		return gtm_probe_fail(p, "tls connection closed");
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		const char *name = gnutls_alert_get_name(gnutls_alert_get(p->tls));
		(void)snprintf(msg, sizeof(msg), "%s", (name != NULL) ? name : "unknown");
		for (char *c = msg; *c != '\0'; c++) {
			*c = tolower((unsigned char)*c);
		}
		return gtm_probe_fail(p, "tls alert %s", msg);
	}
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
	case GNUTLS_E_RECORD_OVERFLOW:
	case GNUTLS_E_DECRYPTION_FAILED:
		return gtm_probe_fail(p, "tls bad response");
	default:
		gtm_tls_strerror(ret, msg, sizeof(msg));
		return gtm_probe_fail(p, (p->phase == GTM_PHASE_TLS) ?
		                      "tls handshake failed (%s)" : "tls error (%s)", msg);
	}
}

/*! Host part of the configured host (without ":port") into out; false if none. */
static bool host_name(const gtm_target_spec_t *spec, char *out, size_t out_len)
{
	if (spec->host == NULL || spec->host[0] == '\0') {
		return false;
	}
	size_t len = strcspn(spec->host, ":");
	if (len >= out_len) {
		return false;
	}
	memcpy(out, spec->host, len);
	out[len] = '\0';
	return true;
}

static bool is_address(const char *name)
{
	unsigned char raw[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, name, raw) == 1 || inet_pton(AF_INET6, name, raw) == 1;
}

/*
 * Names used for TLS:
 *
 *   sni    host          SNI sent          name verified
 *   -----  ------------  ----------------  ----------------------------
 *   set    any           sni               sni
 *   unset  a name        host (no port)    host (no port)
 *   unset  an address    none              that address
 *   unset  unset         none              the probed address
 */
static void tls_names(const gtm_target_spec_t *spec, char *sni, char *verify, size_t len)
{
	char host[256];
	sni[0] = '\0';
	if (spec->sni != NULL) {
		(void)snprintf(sni, len, "%s", spec->sni);
		(void)snprintf(verify, len, "%s", spec->sni);
	} else if (host_name(spec, host, sizeof(host))) {
		if (!is_address(host)) {
			(void)snprintf(sni, len, "%s", host);
		}
		(void)snprintf(verify, len, "%s", host);
	} else if (gtm_addr_str(&spec->addr, verify, len) == 0) {
		verify[0] = '\0';
	}
}

/*
 * Certificate verification status to reason (first match wins):
 *
 *   status bits                          reason
 *   -----------------------------------  ------------------------------
 *   SIGNER_NOT_FOUND or SIGNER_NOT_CA    "certificate not trusted"
 *   EXPIRED                              "certificate expired"
 *   NOT_ACTIVATED                        "certificate not yet valid"
 *   UNEXPECTED_OWNER                     "certificate name mismatch"
 *   REVOKED                              "certificate revoked"
 *   INSECURE_ALGORITHM                   "certificate insecure algorithm"
 *   anything else                        "certificate invalid"
 */
static const char *verify_reason(unsigned status)
{
	static const struct {
		unsigned bits;
		const char *reason;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA,
		                                   "certificate not trusted" },
		{ GNUTLS_CERT_EXPIRED,             "certificate expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED,       "certificate not yet valid" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER,    "certificate name mismatch" },
		{ GNUTLS_CERT_REVOKED,             "certificate revoked" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM,  "certificate insecure algorithm" },
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (status & reasons[i].bits) {
			return reasons[i].reason;
		}
	}
	return "certificate invalid";
}

/*! Verifies the peer certificate against the trust and the expected name. */
static gtm_probe_status_t verify_peer(gtm_probe_t *p)
{
	char sni[256], name[256];
	unsigned status = 0;

	tls_names(p->spec, sni, name, sizeof(name));
	int ret = gnutls_certificate_verify_peers3(p->tls, name, &status);
	if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		return gtm_probe_fail(p, "certificate missing");
	} else if (ret < 0) {
		return tls_fail(p, ret);
	} else if (status != 0) {
		return gtm_probe_fail(p, "%s", verify_reason(status));
	}
	return gtm_probe_http_connected(p);
}

gtm_probe_status_t gtm_probe_tls_connected(gtm_probe_t *p)
{
	const gtm_target_spec_t *spec = p->spec;
	gnutls_session_t session;
	char sni[256], name[256];

	p->phase = GTM_PHASE_TLS;
	int ret = gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (ret != GNUTLS_E_SUCCESS) {
		return tls_fail(p, ret);
	}
	p->tls = session;

	ret = gnutls_set_default_priority(session);
	if (ret == GNUTLS_E_SUCCESS) {
		ret = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
		                             gtm_tls_cred_x509(spec->tls_cred));
	}
	tls_names(spec, sni, name, sizeof(name));
	if (ret == GNUTLS_E_SUCCESS && sni[0] != '\0') {
		ret = gnutls_server_name_set(session, GNUTLS_NAME_DNS, sni, strlen(sni));
	}
	if (ret != GNUTLS_E_SUCCESS) {
		return tls_fail(p, ret);
	}
	gnutls_transport_set_ptr(session, p);
	gnutls_transport_set_pull_function(session, tls_pull);
	gnutls_transport_set_push_function(session, tls_push);
	/* The prober's deadline limits the handshake. */
	gnutls_handshake_set_timeout(session, 0);

	return gtm_probe_tls_handshake(p);
}

/*
 * One handshake step:
 *
 *   gnutls_handshake()          result
 *   --------------------------  ----------------------------------------
 *   success, verify off         the request is sent
 *   success, verify on          verify_peer()
 *   AGAIN, INTERRUPTED          PENDING, direction from GnuTLS
 *   other non-fatal (alerts)    retried, at most NONFATAL_MAX times, then
 *                               PENDING
 *   fatal                       tls_fail()
 */
gtm_probe_status_t gtm_probe_tls_handshake(gtm_probe_t *p)
{
	for (int i = 0; i < NONFATAL_MAX; i++) {
		int ret = gnutls_handshake(p->tls);
		if (ret == GNUTLS_E_SUCCESS) {
			if (!p->spec->verify) {
				return gtm_probe_http_connected(p);
			}
			return verify_peer(p);
		}
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
			break;
		}
		if (gnutls_error_is_fatal(ret)) {
			return tls_fail(p, ret);
		}
	}
	want_direction(p);
	return GTM_PROBE_PENDING;
}

/*
 * Record read:
 *
 *   gnutls_record_recv()            result
 *   ------------------------------  -------------------------------------
 *   > 0                             bytes
 *   0, PREMATURE_TERMINATION        0 (end of stream; many servers close
 *                                   without close_notify)
 *   AGAIN, INTERRUPTED              GTM_IO_AGAIN, direction from GnuTLS
 *   other non-fatal                 retried (NONFATAL_MAX), then AGAIN
 *   fatal                           GTM_IO_FAILED, tls_fail()
 */
ssize_t gtm_probe_tls_recv(gtm_probe_t *p, void *buf, size_t len)
{
	for (int i = 0; i < NONFATAL_MAX; i++) {
		ssize_t ret = gnutls_record_recv(p->tls, buf, len);
		if (ret >= 0) {
			return ret;
		}
		if (ret == GNUTLS_E_PREMATURE_TERMINATION) {
			return 0;
		}
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
			break;
		}
		if (gnutls_error_is_fatal(ret)) {
			(void)tls_fail(p, ret);
			return GTM_IO_FAILED;
		}
	}
	want_direction(p);
	return GTM_IO_AGAIN;
}

ssize_t gtm_probe_tls_send(gtm_probe_t *p, const void *buf, size_t len)
{
	ssize_t ret = gnutls_record_send(p->tls, buf, len);
	if (ret > 0) {
		return ret;
	}
	if (ret == 0 || ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
		want_direction(p);
		return GTM_IO_AGAIN;
	}
	(void)tls_fail(p, (int)ret);
	return GTM_IO_FAILED;
}

void gtm_probe_tls_end(gtm_probe_t *p)
{
	if (p->tls != NULL) {
		gnutls_deinit(p->tls);
		p->tls = NULL;
	}
}
