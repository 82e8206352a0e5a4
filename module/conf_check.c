/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Keys of the 'check' section: value syntax, limits, defaults and the
 * item-level rules (keys that do not apply to the type, cross-key limits).
 */

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

#include "conf.h"
#include "conf_int.h"
#include "probe_tls.h"

#define HOUR_MS			3600000
#define MAX_PATH_LEN		1000
#define MAX_HOST_LEN		255
#define MAX_HEADERS		16
#define MAX_HEADERS_LEN		1024
#define MAX_MATCH_LEN		256
#define MAX_BODY_LIMIT		65536
#define MAX_PACKETS		20
#define MAX_ANSWER_LEN		255
#define MIN_RECHECK_MS		10
#define RECHECK_DEFAULT_MIN	50
#define RECHECK_DEFAULT_MAX	1000

static const char *type_names[] = {
	[GTM_CHECK_TCP]   = "tcp",
	[GTM_CHECK_HTTP]  = "http",
	[GTM_CHECK_HTTPS] = "https",
	[GTM_CHECK_ICMP]  = "icmp",
	[GTM_CHECK_DNS]   = "dns",
};

#define TYPE_COUNT	(sizeof(type_names) / sizeof(type_names[0]))

/*! Header names the module writes itself. */
static const char *reserved_headers[] = {
	"host", "connection", "content-length", "transfer-encoding",
};

void gtm_conf_check_init(gtm_check_t *check, size_t line)
{
	*check = (gtm_check_t) {
		.type = GTM_CHECK_TCP, .expect_min = 200, .expect_max = 399,
		.method = GTM_HTTP_GET, .body_limit = 4096, .verify = true,
		.packets = 3, .max_loss = 50,
		.query_type = KNOT_RRTYPE_SOA, .expect_rcode = KNOT_RCODE_NOERROR,
		.interval_ms = 5000, .timeout_ms = 2000, .rise = 2, .fall = 3,
		.line = line,
	};
}

void gtm_conf_check_clear(gtm_check_t *check)
{
	free(check->id);
	free(check->path);
	free(check->host);
	free(check->headers);
	free(check->expect_body);
	free(check->expect_body_regex);
	free(check->sni);
	free(check->ca_file);
	free(check->query_name);
	free(check->expect_answer);
}

static gtm_check_t *current(conf_ctx_t *ctx)
{
	return &ctx->conf->checks[ctx->conf->check_count - 1];
}

/*! Reports an error of the current key at the current line. */
#define bad(ctx, ret, key, ...) \
	gtm_conf_report((ctx), (ret), (ctx)->line, gtm_conf_keys[key].name, __VA_ARGS__)

static int get_string(conf_ctx_t *ctx, const char *str, char **out)
{
	*out = strdup(str);
	return (*out == NULL) ? gtm_conf_no_memory(ctx) : KNOT_EOK;
}

/*
 * Keys that do not apply to the check type, whatever their order:
 *
 *   type known  some given key without the type in its mask  result
 *   ----------  -------------------------------------------  ----------------------
 *   no          any                                          EOK (checked later)
 *   yes         no                                           EOK
 *   yes         yes                                          EINVAL at the earliest
 *                                                            such key: "not valid
 *                                                            for TYPE check"
 */
static int type_keys(conf_ctx_t *ctx)
{
	const gtm_check_t *check = current(ctx);
	if (!(ctx->seen & KEY_BIT(K_TYPE))) {
		return KNOT_EOK;
	}

	key_id_t worst = K_COUNT;
	for (key_id_t key = 0; key < K_COUNT; key++) {
		if ((ctx->seen & KEY_BIT(key)) && gtm_conf_keys[key].sec == SEC_CHECK &&
		    !(gtm_conf_keys[key].types & (1U << check->type)) &&
		    (worst == K_COUNT || ctx->key_line[key] < ctx->key_line[worst])) {
			worst = key;
		}
	}
	if (worst == K_COUNT) {
		return KNOT_EOK;
	}
	return gtm_conf_report(ctx, KNOT_EINVAL, ctx->key_line[worst],
	                       gtm_conf_keys[worst].name, "not valid for %s check",
	                       type_names[check->type]);
}

static int get_type(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	for (size_t i = 0; i < TYPE_COUNT; i++) {
		if (strcasecmp(val, type_names[i]) == 0) {
			check->type = i;
			return KNOT_EOK;
		}
	}
	return bad(ctx, KNOT_EINVAL, K_TYPE,
	           "invalid type '%s' (expected tcp, http, https, icmp or dns)", val);
}

static int get_path(conf_ctx_t *ctx, const char *str, char **out)
{
	size_t pos = gtm_conf_path_invalid(str);
	if (str[0] != '/') {
		return bad(ctx, KNOT_EINVAL, K_PATH, "path '%s' does not start with '/'", str);
	} else if (strlen(str) > MAX_PATH_LEN) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "path",
		                       "path too long (max %d characters)", MAX_PATH_LEN);
	} else if (pos != 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "path",
		                       "invalid character in path at position %zu", pos);
	}
	return get_string(ctx, str, out);
}

static int get_expect(conf_ctx_t *ctx, const char *str, gtm_check_t *check)
{
	uint64_t lo, hi;
	if (!gtm_conf_status_range(str, &lo, &hi)) {
		return bad(ctx, KNOT_EINVAL, K_EXPECT, "invalid status range '%s'", str);
	}
	uint64_t worst = (lo < 100 || lo > 599) ? lo : hi;
	if (worst < 100 || worst > 599) {
		return gtm_conf_report(ctx, KNOT_ERANGE, ctx->line, "expect",
		                       "value %llu out of range 100-599",
		                       (unsigned long long)worst);
	}
	if (lo > hi) {
		return bad(ctx, KNOT_EINVAL, K_EXPECT,
		           "invalid status range '%s' (minimum above maximum)", str);
	}
	check->expect_min = lo;
	check->expect_max = hi;
	return KNOT_EOK;
}

/*! Appends "Name: value\r\n" to the check's header block. */
static int get_header(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	int pos = gtm_conf_header_invalid(val);
	if (pos < 0) {
		return bad(ctx, KNOT_EINVAL, K_HEADER,
		           "invalid header '%s' (expected 'Name: value')", val);
	} else if (pos > 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "header",
		                       "invalid character in header at position %d", pos);
	}
	size_t name_len = strcspn(val, ":");
	for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++) {
		if (strlen(reserved_headers[i]) == name_len &&
		    strncasecmp(val, reserved_headers[i], name_len) == 0) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "header",
			                       "header '%.*s' is set by the module%s",
			                       (int)name_len, val, (i == 0) ? " (use host)" : "");
		}
	}
	if (check->header_count >= MAX_HEADERS) {
		return gtm_conf_report(ctx, KNOT_ERANGE, ctx->line, "header",
		                       "too many headers (max %d)", MAX_HEADERS);
	}

	size_t old_len = (check->headers != NULL) ? strlen(check->headers) : 0;
	size_t add = strlen(val) + 2;
	if (old_len + add > MAX_HEADERS_LEN) {
		return gtm_conf_report(ctx, KNOT_ERANGE, ctx->line, "header",
		                       "headers too long (max %d bytes)", MAX_HEADERS_LEN);
	}
	char *headers = realloc(check->headers, old_len + add + 1);
	if (headers == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	(void)snprintf(headers + old_len, add + 1, "%s\r\n", val);
	check->headers = headers;
	check->header_count++;
	return KNOT_EOK;
}

static int get_match(conf_ctx_t *ctx, key_id_t key, const char *val, char **out)
{
	if (strlen(val) > MAX_MATCH_LEN) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, gtm_conf_keys[key].name,
		                       "value too long (max %d characters)", MAX_MATCH_LEN);
	}
	if (key == K_EXPECT_BODY_REGEX) {
		regex_t re;
		int ret = regcomp(&re, val, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (ret != 0) {
			char why[128];
			(void)regerror(ret, &re, why, sizeof(why));
			why[0] = tolower((unsigned char)why[0]);
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line,
			                       gtm_conf_keys[key].name,
			                       "invalid regex '%s' (%s)", val, why);
		}
		regfree(&re);
	}
	return get_string(ctx, val, out);
}

/*! Server name for SNI: a host name, not an address, no port. */
static int get_sni(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	struct sockaddr_storage ss;
	if (strlen(val) > 253 || strchr(val, ':') != NULL ||
	    !gtm_conf_host_valid(val) || gtm_conf_addr(val, &ss)) {
		return bad(ctx, KNOT_EINVAL, K_SNI, "invalid server name '%s'", val);
	}
	return get_string(ctx, val, &check->sni);
}

/*! CA file: an absolute path to a readable PEM file with certificates. */
static int get_ca_file(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	char why[128];
	struct stat st;
	if ((ctx->seen & KEY_BIT(K_VERIFY)) && !check->verify) {
		return bad(ctx, KNOT_EINVAL, K_CA_FILE, "not used with verify off");
	}
	if (val[0] != '/') {
		return bad(ctx, KNOT_EINVAL, K_CA_FILE, "ca-file '%s' is not an absolute path", val);
	}
	if (stat(val, &st) != 0 || !S_ISREG(st.st_mode)) {
		return bad(ctx, KNOT_EINVAL, K_CA_FILE, "ca-file '%s' is not a regular file", val);
	}
	int ret = gtm_tls_ca_check(val, why, sizeof(why));
	if (ret != KNOT_EOK) {
		return gtm_conf_report(ctx, ret, ctx->line, "ca-file",
		                       "cannot load '%s' (%s)", val, why);
	}
	check->ca_stamp = ((uint64_t)st.st_ino << 32) ^ (uint64_t)st.st_size ^
	                  ((uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
	                   (uint64_t)st.st_mtim.tv_nsec) ^ ((uint64_t)st.st_dev << 48);
	return get_string(ctx, val, &check->ca_file);
}

/*! Query name, stored in absolute form (a trailing dot is added). */
static int get_query_name(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	knot_dname_storage_t wire;
	char text[KNOT_DNAME_TXT_MAXLEN + 2];
	bool absolute = gtm_conf_name_absolute(val);
	int len = snprintf(text, sizeof(text), "%s%s", val, absolute ? "" : ".");
	if (len < 0 || (size_t)len >= sizeof(text) || strcmp(val, "@") == 0 ||
	    knot_dname_from_str(wire, text, sizeof(wire)) == NULL) {
		return bad(ctx, KNOT_EINVAL, K_QUERY_NAME, "invalid name '%s'", val);
	}
	return get_string(ctx, text, &check->query_name);
}

/*! Query type: a type name or TYPEnnn; zone transfers and meta types refused. */
static int get_query_type(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	char upper[32];
	uint16_t type;
	size_t len = strlen(val);
	if (len >= sizeof(upper)) {
		return bad(ctx, KNOT_EINVAL, K_QUERY_TYPE, "invalid type '%s'", val);
	}
	for (size_t i = 0; i <= len; i++) {
		upper[i] = (val[i] >= 'a' && val[i] <= 'z') ? val[i] - 'a' + 'A' : val[i];
	}
	if (knot_rrtype_from_string(upper, &type) != 0 || type == 0) {
		return bad(ctx, KNOT_EINVAL, K_QUERY_TYPE, "invalid type '%s'", val);
	}
	if (type == KNOT_RRTYPE_AXFR || type == KNOT_RRTYPE_IXFR ||
	    type == KNOT_RRTYPE_OPT || type == KNOT_RRTYPE_TSIG ||
	    type == KNOT_RRTYPE_TKEY) {
		return bad(ctx, KNOT_EINVAL, K_QUERY_TYPE, "type '%s' cannot be queried", val);
	}
	check->query_type = type;
	return KNOT_EOK;
}

/*! Rcode: a name (NOERROR, SERVFAIL, ...) or a number, 0-15 (no EDNS). */
static int get_rcode(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	uint64_t num;
	const knot_lookup_t *item = knot_lookup_by_name(knot_rcode_names, val);
	if (item != NULL) {
		num = item->id;
	} else if (gtm_conf_number(val, 0, UINT16_MAX, &num) != KNOT_EOK) {
		return bad(ctx, KNOT_EINVAL, K_EXPECT_RCODE, "invalid rcode '%s'", val);
	}
	if (num > 15) {
		return bad(ctx, KNOT_ERANGE, K_EXPECT_RCODE,
		           "rcode '%s' out of range 0-15 (queries carry no EDNS)", val);
	}
	check->expect_rcode = num;
	return KNOT_EOK;
}

static int get_answer(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	if (strlen(val) > MAX_ANSWER_LEN) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "expect-answer",
		                       "value too long (max %d characters)", MAX_ANSWER_LEN);
	}
	for (size_t i = 0; val[i] != '\0'; i++) {
		if ((unsigned char)val[i] < ' ' || (unsigned char)val[i] >= 0x7f) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "expect-answer",
			                       "invalid character at position %zu", i + 1);
		}
	}
	return get_string(ctx, val, &check->expect_answer);
}

static int web_key(conf_ctx_t *ctx, key_id_t key, const char *val, gtm_check_t *check)
{
	uint64_t num = 0;
	int ret;

	switch (key) {
	case K_PATH:
		return get_path(ctx, val, &check->path);
	case K_HOST:
		if (strlen(val) > MAX_HOST_LEN || !gtm_conf_host_valid(val)) {
			return bad(ctx, KNOT_EINVAL, key, "invalid host '%s'", val);
		}
		return get_string(ctx, val, &check->host);
	case K_EXPECT:
		return get_expect(ctx, val, check);
	case K_METHOD:
		if (strcasecmp(val, "get") != 0 && strcasecmp(val, "head") != 0) {
			return bad(ctx, KNOT_EINVAL, key,
			           "invalid method '%s' (expected get or head)", val);
		}
		check->method = (strcasecmp(val, "head") == 0) ? GTM_HTTP_HEAD : GTM_HTTP_GET;
		return KNOT_EOK;
	case K_HEADER:
		return get_header(ctx, val, check);
	case K_EXPECT_BODY:
		return get_match(ctx, key, val, &check->expect_body);
	case K_EXPECT_BODY_REGEX:
		return get_match(ctx, key, val, &check->expect_body_regex);
	case K_BODY_LIMIT:
		ret = gtm_conf_get_number(ctx, key, val, 1, MAX_BODY_LIMIT, &num);
		check->body_limit = num;
		return ret;
	case K_SNI:
		return get_sni(ctx, val, check);
	case K_VERIFY:
		return gtm_conf_get_bool(ctx, key, val, &check->verify);
	default:
		return get_ca_file(ctx, val, check);
	}
}

static int get_percent(conf_ctx_t *ctx, const char *val, gtm_check_t *check)
{
	uint64_t num;
	if (!gtm_conf_percent(val, &num)) {
		return bad(ctx, KNOT_EINVAL, K_MAX_LOSS,
		           "invalid loss '%s' (expected 0-99 percent)", val);
	}
	check->max_loss = num;
	return KNOT_EOK;
}

int gtm_conf_check_key(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	gtm_check_t *check = current(ctx);
	uint64_t num = 0;
	int ret = (key == K_TYPE) ? KNOT_EOK : type_keys(ctx);
	if (ret != KNOT_EOK) {
		return ret;
	}

	switch (key) {
	case K_TYPE:
		ret = get_type(ctx, val, check);
		return (ret != KNOT_EOK) ? ret : type_keys(ctx);
	case K_PORT:
		ret = gtm_conf_get_number(ctx, key, val, 1, 65535, &num);
		check->port = num;
		return ret;
	case K_PATH: case K_HOST: case K_EXPECT: case K_METHOD: case K_HEADER:
	case K_EXPECT_BODY: case K_EXPECT_BODY_REGEX: case K_BODY_LIMIT:
	case K_SNI: case K_VERIFY: case K_CA_FILE:
		return web_key(ctx, key, val, check);
	case K_PACKETS:
		ret = gtm_conf_get_number(ctx, key, val, 1, MAX_PACKETS, &num);
		check->packets = num;
		return ret;
	case K_MAX_LOSS:
		return get_percent(ctx, val, check);
	case K_MAX_RTT:
		return gtm_conf_get_duration(ctx, key, val, 1, HOUR_MS, &check->max_rtt_ms);
	case K_QUERY_NAME:
		return get_query_name(ctx, val, check);
	case K_QUERY_TYPE:
		return get_query_type(ctx, val, check);
	case K_EXPECT_RCODE:
		return get_rcode(ctx, val, check);
	case K_EXPECT_ANSWER:
		return get_answer(ctx, val, check);
	case K_INTERVAL:
		return gtm_conf_get_duration(ctx, key, val, 100, HOUR_MS, &check->interval_ms);
	case K_TIMEOUT:
		return gtm_conf_get_duration(ctx, key, val, 10, HOUR_MS, &check->timeout_ms);
	case K_RECHECK:
		return gtm_conf_get_duration(ctx, key, val, MIN_RECHECK_MS, HOUR_MS,
		                             &check->recheck_ms);
	case K_RISE:
	case K_FALL:
		ret = gtm_conf_get_number(ctx, key, val, 1, 100, &num);
		*(key == K_RISE ? &check->rise : &check->fall) = num;
		return ret;
	default:
		return KNOT_EINVAL;
	}
}

/*! Reports "KEY A exceeds OTHER B" for a duration above another. */
static int exceeds(conf_ctx_t *ctx, key_id_t key, uint32_t value, const char *other,
                   uint32_t limit)
{
	char v[32], l[32];
	return gtm_conf_report(ctx, KNOT_ERANGE, ctx->key_line[key], gtm_conf_keys[key].name,
	                       "%s %s exceeds %s %s", gtm_conf_keys[key].name,
	                       gtm_conf_duration_str(value, v, sizeof(v)), other,
	                       gtm_conf_duration_str(limit, l, sizeof(l)));
}

/*
 * Durations of a check (after the keys were read):
 *
 *   condition                              result
 *   -------------------------------------  ---------------------------------------
 *   timeout > interval, timeout not given  timeout lowered to interval
 *   timeout > interval, timeout given      ERANGE "timeout T exceeds interval I"
 *   recheck not given                      recheck = interval / 10 within 50ms-1s
 *   recheck > interval                     ERANGE "recheck R exceeds interval I"
 *   max-rtt > timeout                      ERANGE "max-rtt M exceeds timeout T"
 */
static int finish_durations(conf_ctx_t *ctx, gtm_check_t *check)
{
	if (check->timeout_ms > check->interval_ms) {
		if (!(ctx->seen & KEY_BIT(K_TIMEOUT))) {
			check->timeout_ms = check->interval_ms;
		} else {
			return exceeds(ctx, K_TIMEOUT, check->timeout_ms, "interval",
			               check->interval_ms);
		}
	}
	if (!(ctx->seen & KEY_BIT(K_RECHECK))) {
		uint32_t tenth = check->interval_ms / 10;
		check->recheck_ms = (tenth < RECHECK_DEFAULT_MIN) ? RECHECK_DEFAULT_MIN :
		                    (tenth > RECHECK_DEFAULT_MAX) ? RECHECK_DEFAULT_MAX : tenth;
	} else if (check->recheck_ms > check->interval_ms) {
		return exceeds(ctx, K_RECHECK, check->recheck_ms, "interval",
		               check->interval_ms);
	}
	if (check->max_rtt_ms > check->timeout_ms) {
		return exceeds(ctx, K_MAX_RTT, check->max_rtt_ms, "timeout", check->timeout_ms);
	}
	return KNOT_EOK;
}

/*
 * Rules between keys of HTTP(S) checks:
 *
 *   condition                               result (at the line of the key)
 *   --------------------------------------  ------------------------------------
 *   expect-body(-regex) with method head    EINVAL "not valid with method head"
 *   expect-body longer than body-limit      EINVAL "longer than body-limit N"
 *   ca-file with verify off                 EINVAL "not used with verify off"
 */
static int finish_web(conf_ctx_t *ctx, gtm_check_t *check)
{
	static const key_id_t body_keys[] = { K_EXPECT_BODY, K_EXPECT_BODY_REGEX };
	for (size_t i = 0; i < 2; i++) {
		key_id_t key = body_keys[i];
		if ((ctx->seen & KEY_BIT(key)) && check->method == GTM_HTTP_HEAD) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->key_line[key],
			                       gtm_conf_keys[key].name,
			                       "not valid with method head");
		}
	}
	if (check->expect_body != NULL && strlen(check->expect_body) > check->body_limit) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->key_line[K_EXPECT_BODY],
		                       "expect-body", "longer than body-limit %u",
		                       check->body_limit);
	}
	if (check->ca_file != NULL && !check->verify) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->key_line[K_CA_FILE],
		                       "ca-file", "not used with verify off");
	}
	if (check->path == NULL && (check->path = strdup("/")) == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	return KNOT_EOK;
}

int gtm_conf_check_finish(conf_ctx_t *ctx)
{
	static const uint16_t default_port[] = {
		[GTM_CHECK_TCP] = 0, [GTM_CHECK_HTTP] = 80, [GTM_CHECK_HTTPS] = 443,
		[GTM_CHECK_ICMP] = 0, [GTM_CHECK_DNS] = 53,
	};
	gtm_check_t *check = current(ctx);

	if (!(ctx->seen & KEY_BIT(K_TYPE))) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no type");
	}
	if (!(ctx->seen & KEY_BIT(K_PORT))) {
		if (check->type == GTM_CHECK_TCP) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no port");
		}
		check->port = default_port[check->type];
	}

	int ret = finish_durations(ctx, check);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (check->type == GTM_CHECK_HTTP || check->type == GTM_CHECK_HTTPS) {
		return finish_web(ctx, check);
	}
	if (check->type == GTM_CHECK_DNS && check->query_name == NULL) {
		return get_string(ctx, ".", &check->query_name);
	}
	return KNOT_EOK;
}
