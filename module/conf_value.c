/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "conf.h"
#include "conf_int.h"

/*! Duration units, largest first. */
static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
	{ "h",  3600000 },
	{ "m",  60000 },
	{ "s",  1000 },
	{ "ms", 1 },
};

#define UNIT_COUNT	(sizeof(units) / sizeof(units[0]))

/*! Reads decimal digits; false if there are none or on overflow. */
static bool read_digits(const char *str, uint64_t *value, const char **end)
{
	uint64_t val = 0;
	const char *pos = str;
	for (; *pos >= '0' && *pos <= '9'; pos++) {
		unsigned digit = *pos - '0';
		if (val > (UINT64_MAX - digit) / 10) {
			return false;
		}
		val = val * 10 + digit;
	}
	*value = val;
	*end = pos;
	return pos != str;
}

int gtm_conf_number(const char *str, uint64_t min, uint64_t max, uint64_t *out)
{
	bool negative = (str[0] == '-');
	const char *digits = negative ? str + 1 : str;
	if (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits)) {
		return KNOT_EINVAL;
	}

	uint64_t val = 0;
	const char *end;
	if (!read_digits(digits, &val, &end) || (negative && val != 0) ||
	    val < min || val > max) {
		return KNOT_ERANGE;
	}
	*out = val;
	return KNOT_EOK;
}

int gtm_conf_duration(const char *str, uint64_t min_ms, uint64_t max_ms,
                      uint64_t *out_ms)
{
	uint64_t val, mult = units[2].ms; /* Seconds without a unit. */
	const char *unit;
	if (!read_digits(str, &val, &unit)) {
		return KNOT_EINVAL;
	}
	if (*unit != '\0') {
		size_t i = 0;
		while (i < UNIT_COUNT && strcmp(unit, units[i].name) != 0) {
			i++;
		}
		if (i == UNIT_COUNT) {
			return KNOT_EINVAL;
		}
		mult = units[i].ms;
	}
	if (val > UINT64_MAX / mult) {
		return KNOT_EINVAL;
	}
	if (val * mult < min_ms || val * mult > max_ms) {
		return KNOT_ERANGE;
	}
	*out_ms = val * mult;
	return KNOT_EOK;
}

const char *gtm_conf_duration_str(uint64_t ms, char *buf, size_t len)
{
	size_t i = (ms == 0) ? 2 : 0; /* Zero is "0s". */
	while (ms % units[i].ms != 0) {
		i++;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)(ms / units[i].ms),
	         units[i].name);
	return buf;
}

bool gtm_conf_addr(const char *str, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, str, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, str, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

bool gtm_conf_status_range(const char *str, uint64_t *lo, uint64_t *hi)
{
	const char *end;
	if (!read_digits(str, lo, &end)) {
		return false;
	}
	*hi = *lo;
	if (*end == '-' && !read_digits(end + 1, hi, &end)) {
		return false;
	}
	return *end == '\0';
}

bool gtm_conf_host_valid(const char *str)
{
	size_t len = strspn(str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                         "abcdefghijklmnopqrstuvwxyz0123456789.-");
	if (len == 0) {
		return false;
	}
	uint64_t port;
	return str[len] == '\0' ||
	       (str[len] == ':' && gtm_conf_number(str + len + 1, 1, 65535, &port) == KNOT_EOK);
}

size_t gtm_conf_path_invalid(const char *str)
{
	for (size_t i = 0; str[i] != '\0'; i++) {
		if (str[i] <= ' ' || str[i] >= 0x7f) {
			return i + 1;
		}
	}
	return 0;
}

bool gtm_conf_id_valid(const char *str, size_t max_len)
{
	size_t len = strlen(str);
	return len > 0 && len <= max_len && gtm_conf_path_invalid(str) == 0 &&
	       strpbrk(str, "[]") == NULL;
}

int gtm_conf_name_check(const char *str)
{
	knot_dname_storage_t wire;
	if (strcmp(str, "@") == 0) {
		return KNOT_EOK;
	}
	if (*str == '\0' || knot_dname_from_str(wire, str, sizeof(wire)) == NULL) {
		return KNOT_EINVAL;
	}
	return knot_dname_is_wildcard(wire) ? KNOT_ENOTSUP : KNOT_EOK;
}

bool gtm_conf_name_absolute(const char *str)
{
	size_t len = strlen(str);
	if (len == 0 || str[len - 1] != '.') {
		return false;
	}
	size_t escapes = 0;
	while (escapes + 1 < len && str[len - 2 - escapes] == '\\') {
		escapes++;
	}
	return escapes % 2 == 0;
}

int gtm_conf_name_resolve(const gtm_name_t *name, const knot_dname_t *zone,
                          knot_dname_storage_t out)
{
	if (name == NULL || name->id == NULL || zone == NULL || out == NULL) {
		return KNOT_EINVAL;
	}
	size_t zone_size = knot_dname_size(zone);
	if (zone_size == 0 || zone_size > KNOT_DNAME_MAXLEN) {
		return KNOT_EINVAL;
	}
	if (strcmp(name->id, "@") == 0) {
		memcpy(out, zone, zone_size);
		knot_dname_to_lower(out);
		return KNOT_EOK;
	}

	knot_dname_storage_t given;
	if (knot_dname_from_str(given, name->id, sizeof(given)) == NULL) {
		return KNOT_EINVAL;
	}
	knot_dname_to_lower(given);

	if (gtm_conf_name_absolute(name->id)) {
		knot_dname_storage_t apex;
		knot_dname_copy_lower(apex, zone);
		int ret = knot_dname_in_bailiwick(given, apex);
		if (ret < 0) {
			return ret;
		}
		memcpy(out, given, knot_dname_size(given));
		return KNOT_EOK;
	}

	size_t prefix = knot_dname_size(given) - 1; /* Without the root label. */
	if (prefix + zone_size > KNOT_DNAME_MAXLEN) {
		return KNOT_EINVAL;
	}
	memcpy(out, given, prefix);
	memcpy(out + prefix, zone, zone_size);
	knot_dname_to_lower(out);
	return KNOT_EOK;
}

bool gtm_conf_percent(const char *str, uint64_t *out)
{
	char digits[4];
	size_t len = strspn(str, "0123456789");
	if (len == 0 || len > 2 || (str[len] != '\0' && strcmp(str + len, "%") != 0)) {
		return false;
	}
	memcpy(digits, str, len);
	digits[len] = '\0';
	return gtm_conf_number(digits, 0, 99, out) == KNOT_EOK;
}

/*! RFC 9110 token characters (header names). */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Extra header line:
 *
 *   input                                   result
 *   --------------------------------------  ------------------------------
 *   no ':' at all, or ':' first             -1
 *   a non-token character before the ':'    its 1-based position
 *   a CTL other than TAB, or DEL/8-bit,     its 1-based position
 *   after the ':'
 *   otherwise                               0
 */
int gtm_conf_header_invalid(const char *str)
{
	const char *colon = strchr(str, ':');
	if (colon == NULL || colon == str) {
		return -1;
	}
	for (const char *c = str; c < colon; c++) {
		if (!is_tchar(*c)) {
			return (int)(c - str) + 1;
		}
	}
	for (const char *c = colon + 1; *c != '\0'; c++) {
		unsigned char ch = *c;
		if ((ch < ' ' && ch != '\t') || ch >= 0x7f) {
			return (int)(c - str) + 1;
		}
	}
	return 0;
}
