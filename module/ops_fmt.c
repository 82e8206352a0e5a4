/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "health.h"
#include "ops_fmt.h"

static bool sbuf_reserve(gtm_sbuf_t *b, size_t more)
{
	if (b->failed) {
		return false;
	}
	if (b->len + more + 1 <= b->cap) {
		return true;
	}
	size_t cap = (b->cap == 0) ? 4096 : b->cap;
	while (cap < b->len + more + 1) {
		cap *= 2;
	}
	char *data = realloc(b->data, cap);
	if (data == NULL) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void gtm_sbuf_put(gtm_sbuf_t *b, const char *s, size_t len)
{
	if (!sbuf_reserve(b, len)) {
		return;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void gtm_sbuf_printf(gtm_sbuf_t *b, const char *fmt, ...)
{
	char small[256];
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, args);
	va_end(args);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		gtm_sbuf_put(b, small, n);
		return;
	}
	if (!sbuf_reserve(b, n)) {
		return;
	}
	va_start(args, fmt);
	(void)vsnprintf(b->data + b->len, n + 1, fmt, args);
	va_end(args);
	b->len += n;
}

void gtm_sbuf_json(gtm_sbuf_t *b, const char *s)
{
	if (s == NULL) {
		gtm_sbuf_put(b, "null", 4);
		return;
	}
	gtm_sbuf_put(b, "\"", 1);
	const char *run = s;
	for (const char *p = s; ; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '\0' && c >= 0x20 && c != '"' && c != '\\') {
			continue;
		}
		gtm_sbuf_put(b, run, p - run);
		run = p + 1;
		switch (c) {
		case '\0': gtm_sbuf_put(b, "\"", 1); return;
		case '"':  gtm_sbuf_put(b, "\\\"", 2); break;
		case '\\': gtm_sbuf_put(b, "\\\\", 2); break;
		case '\n': gtm_sbuf_put(b, "\\n", 2); break;
		case '\r': gtm_sbuf_put(b, "\\r", 2); break;
		case '\t': gtm_sbuf_put(b, "\\t", 2); break;
		default:   gtm_sbuf_printf(b, "\\u%04x", c); break;
		}
	}
}

void gtm_sbuf_prom(gtm_sbuf_t *b, const char *s)
{
	const char *run = s;
	for (const char *p = s; ; p++) {
		char c = *p;
		if (c != '\0' && c != '"' && c != '\\' && c != '\n') {
			continue;
		}
		gtm_sbuf_put(b, run, p - run);
		run = p + 1;
		switch (c) {
		case '\0': return;
		case '"':  gtm_sbuf_put(b, "\\\"", 2); break;
		case '\\': gtm_sbuf_put(b, "\\\\", 2); break;
		default:   gtm_sbuf_put(b, "\\n", 2); break;
		}
	}
}

void gtm_sbuf_time(gtm_sbuf_t *b, uint64_t unix_ms)
{
	if (unix_ms == 0) {
		gtm_sbuf_put(b, "null", 4);
	} else {
		gtm_sbuf_printf(b, "%llu.%03u", (unsigned long long)(unix_ms / 1000),
		                (unsigned)(unix_ms % 1000));
	}
}

void gtm_sbuf_free(gtm_sbuf_t *b)
{
	free(b->data);
	*b = (gtm_sbuf_t){ 0 };
}

/*! Value after "NAME": in a line, NULL if the member is not there. */
static const char *member(const char *line, const char *name)
{
	char pat[32];
	int n = snprintf(pat, sizeof(pat), "\"%s\": ", name);
	if (n < 0 || (size_t)n >= sizeof(pat)) {
		return NULL;
	}
	const char *p = strstr(line, pat);
	return (p == NULL) ? NULL : p + n;
}

/*!
 * Non-negative decimal number (seconds, up to 3 decimals used) as ms;
 * the number must end at a JSON delimiter.
 */
static bool parse_seconds(const char *p, uint64_t *ms)
{
	uint64_t sec = 0, frac = 0;
	unsigned digits = 0, frac_digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (sec > UINT64_MAX / 10000) {
			return false;
		}
		sec = sec * 10 + (*p - '0');
	}
	if (digits == 0) {
		return false;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, frac_digits++) {
			if (frac_digits < 3) {
				frac = frac * 10 + (*p - '0');
			}
		}
		if (frac_digits == 0) {
			return false;
		}
		for (unsigned i = frac_digits; i < 3; i++) {
			frac *= 10;
		}
	}
	if (*p != ',' && *p != '}' && *p != ' ' && *p != '\0' && *p != '\n') {
		return false;
	}
	*ms = sec * 1000 + frac;
	return true;
}

gtm_warm_kind_t gtm_warm_line_parse(const char *line, gtm_warm_line_t *out)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	static const char start[] = "{\"key\": \"";
	if (strncmp(p, start, sizeof(start) - 1) != 0) {
		return GTM_WARM_OTHER;
	}
	*out = (gtm_warm_line_t){ 0 };

	/* key: 1..16 hex digits, then the closing quote. */
	p += sizeof(start) - 1;
	unsigned digits = 0;
	for (; digits < 17; p++, digits++) {
		unsigned v;
		if (*p >= '0' && *p <= '9') {
			v = *p - '0';
		} else if (*p >= 'a' && *p <= 'f') {
			v = *p - 'a' + 10;
		} else if (*p >= 'A' && *p <= 'F') {
			v = *p - 'A' + 10;
		} else {
			break;
		}
		out->key = (out->key << 4) | v;
	}
	if (digits == 0 || digits > 16 || *p != '"') {
		return GTM_WARM_INVALID;
	}

	const char *state = member(p, "state");
	if (state == NULL) {
		return GTM_WARM_INVALID;
	} else if (strncmp(state, "\"up\"", 4) == 0) {
		out->state = GTM_HEALTH_UP;
	} else if (strncmp(state, "\"down\"", 6) == 0) {
		out->state = GTM_HEALTH_DOWN;
	} else if (strncmp(state, "\"unknown\"", 9) == 0) {
		out->state = GTM_HEALTH_UNKNOWN;
	} else {
		return GTM_WARM_INVALID;
	}

	const char *since = member(p, "since");
	if (since == NULL) {
		return GTM_WARM_INVALID;
	}
	if (strncmp(since, "null", 4) == 0) {
		out->since_ms = 0;
	} else if (!parse_seconds(since, &out->since_ms)) {
		return GTM_WARM_INVALID;
	}
	return GTM_WARM_TARGET;
}

bool gtm_warm_written(const char *line, uint64_t *unix_ms)
{
	const char *p = member(line, "written");
	return p != NULL && parse_seconds(p, unix_ms);
}

bool gtm_warm_memo_parse(const char *line, char *key, size_t key_len,
                         uint64_t *value)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t' || *p == ',') {
		p++;
	}
	static const char start[] = "{\"memo\": \"";
	if (strncmp(p, start, sizeof(start) - 1) != 0 || key_len == 0) {
		return false;
	}
	p += sizeof(start) - 1;
	size_t len = 0;
	for (; *p != '"'; p++) {
		if (*p == '\0' || len + 1 >= key_len) {
			return false;
		}
		if (*p == '\\') {
			p++;
			if (*p != '"' && *p != '\\') {
				return false;
			}
		}
		key[len++] = *p;
	}
	key[len] = '\0';
	static const char val[] = "\", \"value\": \"";
	if (strncmp(p, val, sizeof(val) - 1) != 0) {
		return false;
	}
	p += sizeof(val) - 1;
	uint64_t v = 0;
	unsigned digits = 0;
	for (; *p != '"'; p++, digits++) {
		unsigned d;
		if (*p >= '0' && *p <= '9') {
			d = *p - '0';
		} else if (*p >= 'a' && *p <= 'f') {
			d = *p - 'a' + 10;
		} else {
			return false;
		}
		if (digits == 16) {
			return false;
		}
		v = (v << 4) | d;
	}
	if (digits == 0) {
		return false;
	}
	*value = v;
	return true;
}

const char *gtm_fmt_duration(uint64_t ms, char *out, size_t out_len)
{
	if (ms >= 60000 && ms % 60000 == 0) {
		snprintf(out, out_len, "%llum", (unsigned long long)(ms / 60000));
	} else if (ms % 1000 == 0) {
		snprintf(out, out_len, "%llus", (unsigned long long)(ms / 1000));
	} else if (ms % 100 == 0) {
		snprintf(out, out_len, "%llu.%llus", (unsigned long long)(ms / 1000),
		         (unsigned long long)(ms % 1000 / 100));
	} else {
		snprintf(out, out_len, "%llums", (unsigned long long)ms);
	}
	return out;
}

/*
 * Truth table (see ops_fmt.h):
 *   no reference matched (or no rules)   -> NONE, *until = 0
 *   matches                              -> the strongest, *until = the
 *       earliest expiry among the references giving it (0: none)
 */
gtm_force_t gtm_force_of(const gtm_admin_t *admin, uint32_t count,
                         void (*get)(const void *ctx, uint32_t i, gtm_force_ref_t *ref),
                         const void *ctx, uint64_t now, uint64_t *until)
{
	gtm_force_t best = GTM_FORCE_NONE;
	uint64_t best_until = 0;
	for (uint32_t i = 0; admin != NULL && i < count; i++) {
		gtm_force_ref_t ref;
		get(ctx, i, &ref);
		uint64_t ref_until = 0;
		gtm_force_t f = gtm_admin_match(admin, ref.name, ref.pool, ref.address,
		                                now, &ref_until);
		if (f == GTM_FORCE_NONE || f < best) {
			continue;
		}
		if (f > best) {
			best = f;
			best_until = ref_until;
		} else if (ref_until != 0 && (best_until == 0 || ref_until < best_until)) {
			best_until = ref_until;
		}
	}
	if (until != NULL) {
		*until = best_until;
	}
	return best;
}

int gtm_write_atomic(const char *path, const char *data, size_t len,
                     char *err, size_t err_len)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		(void)snprintf(err, err_len, "%s: path too long", path);
		return KNOT_ERANGE;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int ret = knot_map_errno();
		(void)snprintf(err, err_len, "%s: %s", tmp, strerror(errno));
		return ret;
	}
	/* knotd's umask (007) would hide it from node_exporter and gtmctl. */
	(void)fchmod(fd, 0644);
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			int ret = (w < 0) ? knot_map_errno() : KNOT_ESPACE;
			(void)snprintf(err, err_len, "%s: %s", tmp,
			               (w < 0) ? strerror(errno) : "short write");
			close(fd);
			(void)unlink(tmp);
			return ret;
		}
		done += w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int ret = knot_map_errno();
		(void)snprintf(err, err_len, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return ret;
	}
	return KNOT_EOK;
}
