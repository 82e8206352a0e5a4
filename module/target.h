/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Probe target: what is checked, where and how often.
 *
 * Two names, pools or zones with equal specifications share one target
 * (one probe stream, one health state).
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

/*! Target specification (the identity of a target). */
typedef struct {
	gtm_check_type_t type;        /*!< Check type. */
	struct sockaddr_storage addr; /*!< Destination address with port. With
	                                   hostname: family AF_UNSPEC, only the
	                                   port is set (network order, at the
	                                   offset of sin_port and sin6_port); the
	                                   address probed is the resolved one. */
	const char *hostname;         /*!< Absolute domain whose resolved address
	                                   is probed (CNAME targets without a
	                                   'probe=' address), NULL: addr. Part of
	                                   the identity (case-insensitive, a
	                                   trailing dot ignored) with the port,
	                                   not the resolved address. */
	const char *path;             /*!< HTTP path (owned by the holder). */
	const char *host;             /*!< HTTP Host header, NULL: address. */
	uint16_t expect_min;          /*!< HTTP status range. */
	uint16_t expect_max;
	gtm_http_method_t method;     /*!< HTTP method. */
	const char *headers;          /*!< Extra "Name: value\r\n" lines or NULL. */
	const char *expect_body;      /*!< Body substring or NULL. */
	const char *expect_body_regex; /*!< Body regex (source) or NULL. */
	uint32_t body_limit;          /*!< Body bytes examined. */
	const char *sni;              /*!< TLS server name or NULL. */
	bool verify;                  /*!< Verify the certificate. */
	const char *ca_file;          /*!< CA file, NULL: system store. */
	uint64_t ca_stamp;            /*!< CA file version (a change is a new target). */
	uint16_t packets;             /*!< ICMP echo requests per probe. */
	uint8_t max_loss;             /*!< ICMP loss tolerated, percent. */
	uint32_t max_rtt_ms;          /*!< ICMP reply time limit, 0: none. */
	const char *query_name;       /*!< DNS query name (absolute text). */
	uint16_t query_type;          /*!< DNS query type. */
	uint16_t expect_rcode;        /*!< Expected DNS rcode. */
	const char *expect_answer;    /*!< Rdata text required in the answer or NULL. */
	uint32_t interval_ms;         /*!< Probe interval. */
	uint32_t timeout_ms;          /*!< Probe time limit. */
	uint32_t recheck_ms;          /*!< Re-probe delay after a result against the state. */
	uint16_t rise;                /*!< Successes to come up. */
	uint16_t fall;                /*!< Failures to go down. */

	/* Prepared by gtm_target_spec_copy(), not part of the identity. */
	void *body_re;                /*!< Compiled expect_body_regex (regex_t). */
	void *tls_cred;               /*!< Shared TLS credentials (gtm_tls_cred_t). */
} gtm_target_spec_t;

/*!
 * Fills a target specification from a check and an address (no copies:
 * strings point into the check, nothing is prepared; good for lookups).
 *
 * An AF_UNSPEC address gives an AF_UNSPEC spec.addr carrying only the
 * check's port: set spec.hostname then (hostname target).
 */
void gtm_target_spec_init(gtm_target_spec_t *spec, const gtm_check_t *check,
                          const struct sockaddr_storage *addr);

/*!
 * Makes an owned copy of a specification for probing: copies the strings,
 * compiles the body regex and takes the TLS credentials (loaded once per
 * CA source and shared by every target using it).
 *
 * \param[out] dst  Copy (release with gtm_target_spec_clear()).
 * \param[in]  src  Specification, e.g. from gtm_target_spec_init().
 *
 * \retval KNOT_EOK     Copied, dst ready for gtm_probe_start().
 * \retval KNOT_ENOMEM  Out of memory (dst zeroed).
 * \retval KNOT_EINVAL  Regex does not compile (dst zeroed).
 * \retval other        TLS credentials failed to load (dst zeroed).
 */
int gtm_target_spec_copy(gtm_target_spec_t *dst, const gtm_target_spec_t *src);

/*! Releases what gtm_target_spec_copy() allocated and zeroes the spec. */
void gtm_target_spec_clear(gtm_target_spec_t *spec);

/*! Compares two specifications for identity. */
bool gtm_target_spec_equal(const gtm_target_spec_t *a, const gtm_target_spec_t *b);

/*! Hash of a specification (consistent with gtm_target_spec_equal). */
uint64_t gtm_target_spec_hash(const gtm_target_spec_t *spec);

/*!
 * Formats "ADDR" (IPv4) or "ADDR" (IPv6, no brackets) without port.
 *
 * \return Length written (0 on error).
 */
size_t gtm_addr_str(const struct sockaddr_storage *addr, char *out, size_t out_len);
