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
	struct sockaddr_storage addr; /*!< Destination address with port. */
	const char *path;             /*!< HTTP path (owned by the holder). */
	const char *host;             /*!< HTTP Host header, NULL: address. */
	uint16_t expect_min;          /*!< HTTP status range. */
	uint16_t expect_max;
	uint32_t interval_ms;         /*!< Probe interval. */
	uint32_t timeout_ms;          /*!< Probe time limit. */
	uint16_t rise;                /*!< Successes to come up. */
	uint16_t fall;                /*!< Failures to go down. */
} gtm_target_spec_t;

/*!
 * Fills a target specification from a check and an address (no copies:
 * strings point into the check).
 */
void gtm_target_spec_init(gtm_target_spec_t *spec, const gtm_check_t *check,
                          const struct sockaddr_storage *addr);

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
