/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <ctype.h>
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

size_t gtm_conf_domain_key(const char *str, uint8_t *key, size_t key_len)
{
	if (key_len < 2) {
		return 0;
	}
	if (strcmp(str, "@") == 0) {
		key[0] = '@';
		return 1;
	}
	key[0] = gtm_conf_name_absolute(str) ? 'A' : 'R';
	if (knot_dname_from_str(key + 1, str, key_len - 1) == NULL) {
		return 0;
	}
	knot_dname_to_lower(key + 1);
	return 1 + knot_dname_size(key + 1);
}

/*
 * Domain as written in the data file, against a zone apex:
 *
 *   written as         result
 *   -----------------  ----------------------------------------------
 *   "@"                the apex
 *   absolute ("x.y.")  the name itself, wherever it is
 *   relative ("x")     x.<apex>; EINVAL if longer than 255 octets
 *   not a domain       EINVAL
 *
 * The result is lower-cased.
 */
int gtm_conf_domain_resolve(const char *str, const knot_dname_t *zone,
                            knot_dname_storage_t out)
{
	if (str == NULL || zone == NULL || out == NULL) {
		return KNOT_EINVAL;
	}
	size_t zone_size = knot_dname_size(zone);
	if (zone_size == 0 || zone_size > KNOT_DNAME_MAXLEN) {
		return KNOT_EINVAL;
	}
	if (strcmp(str, "@") == 0) {
		memcpy(out, zone, zone_size);
		knot_dname_to_lower(out);
		return KNOT_EOK;
	}

	knot_dname_storage_t given;
	if (*str == '\0' || knot_dname_from_str(given, str, sizeof(given)) == NULL) {
		return KNOT_EINVAL;
	}
	knot_dname_to_lower(given);
	if (gtm_conf_name_absolute(str)) {
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

int gtm_conf_name_resolve(const gtm_name_t *name, const knot_dname_t *zone,
                          knot_dname_storage_t out)
{
	if (name == NULL || name->id == NULL || zone == NULL || out == NULL) {
		return KNOT_EINVAL;
	}
	int ret = gtm_conf_domain_resolve(name->id, zone, out);
	if (ret != KNOT_EOK || !gtm_conf_name_absolute(name->id)) {
		return ret;
	}
	knot_dname_storage_t apex;
	knot_dname_copy_lower(apex, zone);
	ret = knot_dname_in_bailiwick(out, apex);
	return (ret < 0) ? ret : KNOT_EOK;
}

int gtm_conf_subnet(const char *str, gtm_subnet_t *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(str, '/');
	size_t len = (slash != NULL) ? (size_t)(slash - str) : strlen(str);
	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(addr)) {
		return KNOT_EINVAL;
	}
	memcpy(addr, str, len);
	addr[len] = '\0';

	if (!gtm_conf_addr(addr, &out->addr)) {
		return KNOT_EINVAL;
	}
	uint8_t *bytes;
	size_t bits;
	if (out->addr.ss_family == AF_INET) {
		bytes = (uint8_t *)&((struct sockaddr_in *)&out->addr)->sin_addr;
		bits = 32;
	} else {
		bytes = (uint8_t *)&((struct sockaddr_in6 *)&out->addr)->sin6_addr;
		bits = 128;
	}
	uint64_t prefix = bits;
	if (slash != NULL) {
		int ret = gtm_conf_number(slash + 1, 0, bits, &prefix);
		if (ret == KNOT_EINVAL || slash[1] == '-') {
			return KNOT_EINVAL;
		} else if (ret != KNOT_EOK) {
			return KNOT_ERANGE;
		}
	}
	out->prefix = prefix;
	for (size_t bit = prefix; bit < bits; bit++) {
		if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
			return KNOT_EMALF;
		}
	}
	return KNOT_EOK;
}

/*! Officially assigned ISO 3166-1 alpha-2 codes, and XK (Kosovo, used
 *  by GeoIP databases). */
static const char countries[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI "
	"BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN "
	"CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
	"FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
	"HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
	"KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
	"ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
	"NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
	"TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
	"VN VU WF WS XK YE YT ZA ZM ZW";

/*! Continent codes of GeoIP databases. */
static const char continents[] = "AF AN AS EU NA OC SA";

/*! Upper-cases a two-letter code and looks it up in a list "AA BB ...". */
static bool code_in(const char *str, const char *list, char out[3])
{
	if (strlen(str) != 2) {
		return false;
	}
	char code[3] = { toupper((unsigned char)str[0]), toupper((unsigned char)str[1]) };
	if (code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z') {
		return false;
	}
	for (const char *pos = list; *pos != '\0'; pos += (pos[2] == ' ') ? 3 : 2) {
		if (pos[0] == code[0] && pos[1] == code[1]) {
			memcpy(out, code, 3);
			return true;
		}
	}
	return false;
}

bool gtm_conf_country(const char *str, char out[3])
{
	return code_in(str, countries, out);
}

bool gtm_conf_continent(const char *str, char out[3])
{
	return code_in(str, continents, out);
}

int gtm_conf_min_available(const char *str, uint16_t *count, uint8_t *percent)
{
	size_t len = strspn(str, "0123456789");
	bool is_percent = (str[len] == '%' && str[len + 1] == '\0');
	if (len == 0 || len > 5 || (str[len] != '\0' && !is_percent)) {
		return KNOT_EINVAL;
	}
	char digits[6];
	memcpy(digits, str, len);
	digits[len] = '\0';
	uint64_t val;
	if (gtm_conf_number(digits, 1, is_percent ? 100 : GTM_MAX_ADDRS, &val) != KNOT_EOK) {
		return KNOT_ERANGE;
	}
	*count = is_percent ? 1 : val;
	*percent = is_percent ? val : 0;
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
