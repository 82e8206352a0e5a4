/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "target.h"

void gtm_target_spec_init(gtm_target_spec_t *spec, const gtm_check_t *check,
                          const struct sockaddr_storage *addr)
{
	memset(spec, 0, sizeof(*spec));
	spec->type = check->type;
	spec->path = check->path;
	spec->host = check->host;
	spec->expect_min = check->expect_min;
	spec->expect_max = check->expect_max;
	spec->interval_ms = check->interval_ms;
	spec->timeout_ms = check->timeout_ms;
	spec->rise = check->rise;
	spec->fall = check->fall;

	spec->addr.ss_family = addr->ss_family;
	if (addr->ss_family == AF_INET6) {
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

static bool str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return strcmp(a, b) == 0;
}

static bool addr_equal(const struct sockaddr_storage *a,
                       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
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

bool gtm_target_spec_equal(const gtm_target_spec_t *a, const gtm_target_spec_t *b)
{
	return a->type == b->type &&
	       addr_equal(&a->addr, &b->addr) &&
	       str_equal(a->path, b->path) &&
	       str_equal(a->host, b->host) &&
	       a->expect_min == b->expect_min &&
	       a->expect_max == b->expect_max &&
	       a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms &&
	       a->rise == b->rise &&
	       a->fall == b->fall;
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
	uint32_t nums[] = {
		spec->type, spec->expect_min, spec->expect_max, spec->interval_ms,
		spec->timeout_ms, spec->rise, spec->fall
	};

	h = hash_bytes(h, nums, sizeof(nums));
	if (spec->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&spec->addr;
		h = hash_bytes(h, &a->sin6_addr, sizeof(a->sin6_addr));
		h = hash_bytes(h, &a->sin6_port, sizeof(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&spec->addr;
		h = hash_bytes(h, &a->sin_addr, sizeof(a->sin_addr));
		h = hash_bytes(h, &a->sin_port, sizeof(a->sin_port));
	}
	h = hash_str(h, spec->path);
	return hash_str(h, spec->host);
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
