/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe_tls.h"
#include "target.h"

#define SPEC_NUMBERS	17

void gtm_target_spec_init(gtm_target_spec_t *spec, const gtm_check_t *check,
                          const struct sockaddr_storage *addr)
{
	memset(spec, 0, sizeof(*spec));
	spec->type = check->type;
	spec->path = check->path;
	spec->host = check->host;
	spec->expect_min = check->expect_min;
	spec->expect_max = check->expect_max;
	spec->method = check->method;
	spec->headers = check->headers;
	spec->expect_body = check->expect_body;
	spec->expect_body_regex = check->expect_body_regex;
	spec->body_limit = check->body_limit;
	spec->sni = check->sni;
	spec->verify = check->verify;
	spec->ca_file = check->ca_file;
	spec->ca_stamp = check->ca_stamp;
	spec->packets = check->packets;
	spec->max_loss = check->max_loss;
	spec->max_rtt_ms = check->max_rtt_ms;
	spec->query_name = check->query_name;
	spec->query_type = check->query_type;
	spec->expect_rcode = check->expect_rcode;
	spec->expect_answer = check->expect_answer;
	spec->interval_ms = check->interval_ms;
	spec->timeout_ms = check->timeout_ms;
	spec->recheck_ms = check->recheck_ms;
	spec->rise = check->rise;
	spec->fall = check->fall;

	/* sin_port and sin6_port share their offset: AF_UNSPEC keeps it there. */
	spec->addr.ss_family = addr->ss_family;
	if (addr->ss_family == AF_UNSPEC) {
		((struct sockaddr_in *)&spec->addr)->sin_port = htons(check->port);
	} else if (addr->ss_family == AF_INET6) {
		struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&spec->addr;
		const struct sockaddr_in6 *src = (const struct sockaddr_in6 *)addr;
		dst->sin6_addr = src->sin6_addr;
		dst->sin6_port = htons(check->port);
	} else {
		struct sockaddr_in *dst = (struct sockaddr_in *)&spec->addr;
		const struct sockaddr_in *src = (const struct sockaddr_in *)addr;
		dst->sin_addr = src->sin_addr;
		dst->sin_port = htons(check->port);
	}
}

#define SPEC_STRINGS	9

/*!
 * The string members of a specification (for copying, freeing, comparing);
 * const specifications are passed cast and only read through out.
 */
static void spec_strings(gtm_target_spec_t *spec, const char **out[SPEC_STRINGS])
{
	const char **members[SPEC_STRINGS] = {
		&spec->path, &spec->host, &spec->headers, &spec->expect_body,
		&spec->expect_body_regex, &spec->sni, &spec->ca_file,
		&spec->query_name, &spec->expect_answer,
	};
	memcpy(out, members, sizeof(members));
}

void gtm_target_spec_clear(gtm_target_spec_t *spec)
{
	const char **strings[SPEC_STRINGS];
	spec_strings(spec, strings);
	for (size_t i = 0; i < SPEC_STRINGS; i++) {
		free((char *)*strings[i]);
	}
	free((char *)spec->hostname);
	if (spec->body_re != NULL) {
		regfree(spec->body_re);
		free(spec->body_re);
	}
	gtm_tls_cred_put(spec->tls_cred);
	memset(spec, 0, sizeof(*spec));
}

int gtm_target_spec_copy(gtm_target_spec_t *dst, const gtm_target_spec_t *src)
{
	int ret = KNOT_ENOMEM;
	const char **from[SPEC_STRINGS], **to[SPEC_STRINGS];

	*dst = *src;
	dst->body_re = NULL;
	dst->tls_cred = NULL;
	spec_strings((gtm_target_spec_t *)src, from);
	spec_strings(dst, to);
	for (size_t i = 0; i < SPEC_STRINGS; i++) {
		*to[i] = NULL;
	}
	dst->hostname = NULL;
	for (size_t i = 0; i < SPEC_STRINGS; i++) {
		if (*from[i] != NULL && (*to[i] = strdup(*from[i])) == NULL) {
			goto fail;
		}
	}
	if (src->hostname != NULL && (dst->hostname = strdup(src->hostname)) == NULL) {
		goto fail;
	}

	if (src->expect_body_regex != NULL) {
		dst->body_re = malloc(sizeof(regex_t));
		if (dst->body_re == NULL) {
			goto fail;
		}
		if (regcomp(dst->body_re, src->expect_body_regex,
		            REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0) {
			free(dst->body_re);
			dst->body_re = NULL;
			ret = KNOT_EINVAL;
			goto fail;
		}
	}
	if (src->type == GTM_CHECK_HTTPS) {
		ret = gtm_tls_cred_get(src->verify, src->ca_file, src->ca_stamp,
		                       (gtm_tls_cred_t **)&dst->tls_cred);
		if (ret != KNOT_EOK) {
			goto fail;
		}
	}
	return KNOT_EOK;
fail:
	gtm_target_spec_clear(dst);
	return ret;
}

static bool str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return strcmp(a, b) == 0;
}

/*! Length of a host name without one trailing dot. */
static size_t host_len(const char *name)
{
	size_t len = strlen(name);
	return (len > 0 && name[len - 1] == '.') ? len - 1 : len;
}

/*! Host names compare case-insensitively, a trailing dot ignored. */
static bool host_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	size_t len = host_len(a);
	return len == host_len(b) && strncasecmp(a, b, len) == 0;
}

/*! Addresses with their ports; AF_UNSPEC (hostname targets): the port only. */
static bool addr_equal(const struct sockaddr_storage *a,
                       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
	}
	if (a->ss_family == AF_UNSPEC) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	const struct sockaddr_in *x = (const struct sockaddr_in *)a;
	const struct sockaddr_in *y = (const struct sockaddr_in *)b;
	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/*! The numeric members of a specification (every one is part of the identity). */
static void spec_numbers(const gtm_target_spec_t *spec, uint64_t out[SPEC_NUMBERS])
{
	uint64_t nums[SPEC_NUMBERS] = {
		spec->type, spec->expect_min, spec->expect_max, spec->method,
		spec->body_limit, spec->verify, spec->ca_stamp, spec->packets,
		spec->max_loss, spec->max_rtt_ms, spec->query_type, spec->expect_rcode,
		spec->interval_ms, spec->timeout_ms, spec->recheck_ms, spec->rise,
		spec->fall,
	};
	memcpy(out, nums, sizeof(nums));
}

bool gtm_target_spec_equal(const gtm_target_spec_t *a, const gtm_target_spec_t *b)
{
	uint64_t na[SPEC_NUMBERS], nb[SPEC_NUMBERS];
	const char **sa[SPEC_STRINGS], **sb[SPEC_STRINGS];

	spec_numbers(a, na);
	spec_numbers(b, nb);
	if (memcmp(na, nb, sizeof(na)) != 0 || !addr_equal(&a->addr, &b->addr) ||
	    !host_equal(a->hostname, b->hostname)) {
		return false;
	}
	spec_strings((gtm_target_spec_t *)a, sa);
	spec_strings((gtm_target_spec_t *)b, sb);
	for (size_t i = 0; i < SPEC_STRINGS; i++) {
		if (!str_equal(*sa[i], *sb[i])) {
			return false;
		}
	}
	return true;
}

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return (s == NULL) ? hash_bytes(h, "", 1) : hash_bytes(h, s, strlen(s) + 1);
}

uint64_t gtm_target_spec_hash(const gtm_target_spec_t *spec)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t nums[SPEC_NUMBERS];
	const char **strings[SPEC_STRINGS];

	spec_numbers(spec, nums);
	h = hash_bytes(h, nums, sizeof(nums));
	h = hash_bytes(h, &spec->addr.ss_family, sizeof(spec->addr.ss_family));
	if (spec->addr.ss_family == AF_UNSPEC) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&spec->addr;
		h = hash_bytes(h, &a->sin_port, sizeof(a->sin_port));
	} else if (spec->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&spec->addr;
		h = hash_bytes(h, &a->sin6_addr, sizeof(a->sin6_addr));
		h = hash_bytes(h, &a->sin6_port, sizeof(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&spec->addr;
		h = hash_bytes(h, &a->sin_addr, sizeof(a->sin_addr));
		h = hash_bytes(h, &a->sin_port, sizeof(a->sin_port));
	}
	spec_strings((gtm_target_spec_t *)spec, strings);
	for (size_t i = 0; i < SPEC_STRINGS; i++) {
		h = hash_str(h, *strings[i]);
	}
	if (spec->hostname != NULL) {
		size_t len = host_len(spec->hostname);
		for (size_t i = 0; i < len; i++) {
			uint8_t c = tolower((unsigned char)spec->hostname[i]);
			h = hash_bytes(h, &c, 1);
		}
		h = hash_bytes(h, ".", 1);
	}
	return h;
}

size_t gtm_addr_str(const struct sockaddr_storage *addr, char *out, size_t out_len)
{
	const void *raw = (addr->ss_family == AF_INET6) ?
		(const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)addr)->sin_addr;

	if (out_len == 0 || inet_ntop(addr->ss_family, raw, out, out_len) == NULL) {
		return 0;
	}
	return strlen(out);
}
