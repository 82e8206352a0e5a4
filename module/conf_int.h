/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Value syntax of the GTM data file (internal).
 *
 * Pure helpers of conf.c, implemented in conf_value.c (which also holds
 * gtm_conf_name_resolve()). They report no errors themselves; conf.c turns
 * their results into messages with the file position.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*!
 * Parses a decimal integer with an optional minus sign.
 *
 * \retval KNOT_EOK     Value in [min, max] stored in out.
 * \retval KNOT_EINVAL  Not a number.
 * \retval KNOT_ERANGE  Negative, too large, or outside [min, max].
 */
int gtm_conf_number(const char *str, uint64_t min, uint64_t max, uint64_t *out);

/*!
 * Parses a duration "<digits>[ms|s|m|h]" (bare digits are seconds).
 *
 * \retval KNOT_EOK     Milliseconds in [min_ms, max_ms] stored in out_ms.
 * \retval KNOT_EINVAL  Syntax error or overflow.
 * \retval KNOT_ERANGE  Outside [min_ms, max_ms].
 */
int gtm_conf_duration(const char *str, uint64_t min_ms, uint64_t max_ms,
                      uint64_t *out_ms);

/*! Formats milliseconds with the largest exact unit ("1h", "90s", "1500ms"). */
const char *gtm_conf_duration_str(uint64_t ms, char *buf, size_t len);

/*! Parses an IPv4 or IPv6 literal into zeroed storage (port 0). */
bool gtm_conf_addr(const char *str, struct sockaddr_storage *ss);

/*! Parses "NNN" or "NNN-NNN" (syntax only, no range check). */
bool gtm_conf_status_range(const char *str, uint64_t *lo, uint64_t *hi);

/*! Checks "hostname[:port]", hostname of [A-Za-z0-9.-], port 1-65535. */
bool gtm_conf_host_valid(const char *str);

/*! Returns the 1-based position of the first non-printable or space, or 0. */
size_t gtm_conf_path_invalid(const char *str);

/*! Checks a check/pool identifier: printable ASCII, no space, '[' or ']'. */
bool gtm_conf_id_valid(const char *str, size_t max_len);

/*!
 * Checks a name identifier ("@", relative or absolute domain name).
 *
 * \retval KNOT_EOK     Valid.
 * \retval KNOT_EINVAL  Not a domain name.
 * \retval KNOT_ENOTSUP A wildcard name.
 */
int gtm_conf_name_check(const char *str);

/*! True if a name ends with an unescaped dot. */
bool gtm_conf_name_absolute(const char *str);

/*! Case-insensitive equality of two name identifiers of the same form. */
bool gtm_conf_name_id_equal(const char *a, const char *b);
