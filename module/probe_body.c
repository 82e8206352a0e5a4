/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * HTTP response after an accepted status line, when the check has body
 * rules (expect-body, expect-body-regex): headers are read line by line
 * through p->buf (only Content-Length and Transfer-Encoding matter), then
 * the body is decoded (identity, Content-Length or chunked) into p->mem,
 * at most body-limit bytes, and matched.
 *
 * Everything is bounded: header lines longer than p->buf are skipped, the
 * header section is limited to HEADERS_MAX bytes, the decoded body to
 * body-limit bytes and the raw body (with chunk framing) to RAW_MAX(limit).
 */

#include <regex.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "probe.h"
#include "probe_int.h"

/*! Most bytes of the header section. */
#define HEADERS_MAX		(32 * 1024)
/*! Most raw body bytes read for a body limit (chunk framing included). */
#define RAW_MAX(limit)		(4 * (size_t)(limit) + 16 * 1024)
/*! Longest chunk-size line (size and extensions). */
#define CHUNK_LINE_MAX		256

enum { STAGE_HEADERS = 0, STAGE_BODY };

enum { FRAME_EOF = 0, FRAME_LENGTH, FRAME_CHUNKED, FRAME_NONE };

enum { CHUNK_SIZE = 0, CHUNK_EXT, CHUNK_DATA, CHUNK_DATA_END };

/*! Outcome of feeding body bytes. */
typedef enum {
	FEED_MORE = 0, /*!< Body continues. */
	FEED_DONE,     /*!< Body complete, limit reached or already matched. */
	FEED_BAD,      /*!< Invalid chunked encoding. */
} feed_t;

static bool done_early(const gtm_probe_t *p)
{
	return p->rx.http.found && p->spec->expect_body_regex == NULL;
}

/*! Stores decoded body bytes up to the limit, looks for expect-body. */
static feed_t append(gtm_probe_t *p, const char *data, size_t len)
{
	const char *needle = p->spec->expect_body;
	size_t limit = p->mem_size - 1;
	size_t old = p->mem_len;
	size_t take = (len < limit - old) ? len : limit - old;

	memcpy(p->mem + old, data, take);
	p->mem_len += take;
	if (needle != NULL && !p->rx.http.found) {
		size_t n = strlen(needle);
		size_t from = (old >= n) ? old - n + 1 : 0;
		p->rx.http.found = (p->mem_len - from >= n &&
		                    memmem(p->mem + from, p->mem_len - from, needle, n) != NULL);
	}
	return (p->mem_len == limit || done_early(p)) ? FEED_DONE : FEED_MORE;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c |= 0x20;
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/*
 * Chunked encoding, byte by byte except chunk data:
 *
 *   state      byte                  next state / result
 *   ---------  --------------------  --------------------------------------
 *   SIZE       hex digit             SIZE (size = size * 16 + digit)
 *   SIZE       ';', ' ', '\t', '\r'  EXT (at least one digit seen)
 *   SIZE       '\n'                  DATA, or DONE if the size is 0
 *   SIZE       other, no digit yet   BAD
 *   EXT        '\n'                  DATA, or DONE if the size is 0
 *   EXT        other                 EXT
 *   DATA       (size bytes)          DATA_END
 *   DATA_END   '\r'                  DATA_END
 *   DATA_END   '\n'                  SIZE
 *   DATA_END   other                 BAD
 *   SIZE, EXT  line > CHUNK_LINE_MAX BAD;  size > 2^32: BAD
 *
 * The trailer after the last chunk is not needed and not read.
 */
static feed_t feed_chunked(gtm_probe_t *p, const char *data, size_t len)
{
	gtm_http_rx_t *rx = &p->rx.http;

	for (size_t i = 0; i < len; ) {
		if (rx->chunk_state == CHUNK_DATA) {
			size_t take = (len - i < rx->remaining) ? len - i : rx->remaining;
			feed_t ret = append(p, data + i, take);
			rx->remaining -= take;
			i += take;
			if (rx->remaining == 0) {
				rx->chunk_state = CHUNK_DATA_END;
			}
			if (ret != FEED_MORE) {
				return ret;
			}
			continue;
		}

		char c = data[i++];
		if (rx->chunk_state == CHUNK_DATA_END) {
			if (c == '\n') {
				rx->chunk_state = CHUNK_SIZE;
				rx->chunk_line = 0;
				rx->remaining = 0;
			} else if (c != '\r') {
				return FEED_BAD;
			}
			continue;
		}
		if (++rx->chunk_line > CHUNK_LINE_MAX) {
			return FEED_BAD;
		}
		if (c == '\n') {
			if (rx->chunk_line == 1) {
				return FEED_BAD; /* No size at all. */
			}
			if (rx->remaining == 0) {
				return FEED_DONE;
			}
			rx->chunk_state = CHUNK_DATA;
		} else if (rx->chunk_state == CHUNK_SIZE) {
			int digit = hex_value(c);
			if (digit >= 0 && rx->remaining <= UINT32_MAX) {
				rx->remaining = rx->remaining * 16 + digit;
			} else if (digit < 0 && rx->chunk_line > 1 && strchr("; \t\r", c) != NULL) {
				rx->chunk_state = CHUNK_EXT;
			} else {
				return FEED_BAD;
			}
		}
	}
	return FEED_MORE;
}

/*! Feeds raw body bytes according to the framing. */
static feed_t feed(gtm_probe_t *p, const char *data, size_t len)
{
	gtm_http_rx_t *rx = &p->rx.http;

	rx->raw_body += len;
	feed_t ret;
	switch (rx->framing) {
	case FRAME_CHUNKED:
		ret = feed_chunked(p, data, len);
		break;
	case FRAME_LENGTH:
		if (len >= rx->remaining) {
			(void)append(p, data, rx->remaining);
			rx->remaining = 0;
			return FEED_DONE;
		}
		rx->remaining -= len;
		ret = append(p, data, len);
		break;
	case FRAME_NONE:
		return FEED_DONE;
	default:
		ret = append(p, data, len);
		break;
	}
	return (ret == FEED_MORE && rx->raw_body >= RAW_MAX(p->mem_size - 1)) ? FEED_DONE : ret;
}

/*
 * Verdict on the body read (complete, or its first body-limit bytes):
 *
 *   expect-body      expect-body-regex     result
 *   ---------------  --------------------  ------------------------------
 *   unset or found   unset or matches      OK "http status S"
 *   not found        any                   FAIL "body mismatch"
 *   any              does not match        FAIL "body mismatch"
 *
 * The regex sees the body as a string of mem_len bytes (REG_STARTEND).
 */
static gtm_probe_status_t body_result(gtm_probe_t *p)
{
	const gtm_target_spec_t *spec = p->spec;
	bool ok = (spec->expect_body == NULL || p->rx.http.found);

	if (ok && spec->expect_body_regex != NULL) {
		regmatch_t range = { .rm_so = 0, .rm_eo = p->mem_len };
		p->mem[p->mem_len] = '\0';
		ok = (regexec(spec->body_re, p->mem, 1, &range, REG_STARTEND) == 0);
	}
	if (!ok) {
		return gtm_probe_fail(p, "body mismatch");
	}
	return gtm_probe_finish(p, GTM_PROBE_OK);
}

/*! Case-insensitive "Name:" prefix test; returns the value (OWS skipped). */
static const char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0) {
		return NULL;
	}
	const char *val = line + n + 1;
	while (*val == ' ' || *val == '\t') {
		val++;
	}
	return val;
}

/*
 * One header line (NUL terminated, CR removed):
 *
 *   header                              effect
 *   ----------------------------------  ---------------------------------
 *   Transfer-Encoding: ... chunked      framing chunked (wins over length)
 *   Content-Length: digits [OWS]        framing length, unless chunked
 *   Content-Length: anything else       -1 (bad response)
 *   other                               none
 */
static int header_line(gtm_probe_t *p, const char *line, size_t len)
{
	gtm_http_rx_t *rx = &p->rx.http;
	const char *val;

	if ((val = header_value(line, len, "transfer-encoding")) != NULL) {
		if (strcasestr(val, "chunked") != NULL) {
			rx->framing = FRAME_CHUNKED;
			rx->remaining = 0;
		}
	} else if ((val = header_value(line, len, "content-length")) != NULL) {
		uint64_t num = 0;
		size_t digits = 0;
		for (; val[digits] >= '0' && val[digits] <= '9'; digits++) {
			if (num > UINT32_MAX) {
				return -1;
			}
			num = num * 10 + (val[digits] - '0');
		}
		if (digits == 0 || val[digits + strspn(val + digits, " \t")] != '\0') {
			return -1;
		}
		if (rx->framing != FRAME_CHUNKED) {
			rx->framing = FRAME_LENGTH;
			rx->remaining = num;
		}
	}
	return 0;
}

/*! End of the headers: the body starts with the len bytes at data. */
static gtm_probe_status_t headers_end(gtm_probe_t *p, const char *data, size_t len)
{
	gtm_http_rx_t *rx = &p->rx.http;
	int status = p->http_status;

	if (p->spec->method == GTM_HTTP_HEAD || status < 200 || status == 204 ||
	    status == 304 || (rx->framing == FRAME_LENGTH && rx->remaining == 0)) {
		rx->framing = FRAME_NONE;
	}
	rx->stage = STAGE_BODY;
	p->phase = GTM_PHASE_BODY;
	if (rx->framing == FRAME_NONE) {
		return body_result(p);
	}

	feed_t ret = (len > 0) ? feed(p, data, len) : FEED_MORE;
	if (ret == FEED_BAD) {
		return gtm_probe_fail(p, "http bad response");
	}
	return (ret == FEED_DONE) ? body_result(p) : GTM_PROBE_PENDING;
}

/*
 * Complete header lines in p->buf, consumed one by one:
 *
 *   buffer content                     action
 *   ---------------------------------  -----------------------------------
 *   no LF, buffer full                 rest of the line skipped, buffer
 *                                      emptied
 *   no LF, room left                   PENDING (more bytes needed)
 *   line of a skipped overlong header  dropped
 *   empty line                         headers_end() with the bytes after it
 *   header line                        header_line(); bad: FAIL
 *                                      "http bad response"
 */
static gtm_probe_status_t headers_parse(gtm_probe_t *p)
{
	gtm_http_rx_t *rx = &p->rx.http;

	for (;;) {
		char *lf = memchr(p->buf, '\n', p->buf_len);
		if (lf == NULL) {
			if (p->buf_len == sizeof(p->buf)) {
				rx->skip_line = 1;
				p->buf_len = 0;
			}
			return GTM_PROBE_PENDING;
		}

		size_t used = lf - p->buf + 1;
		size_t len = used - 1;
		if (len > 0 && p->buf[len - 1] == '\r') {
			len--;
		}
		if (rx->skip_line) {
			rx->skip_line = 0;
		} else if (len == 0) {
			return headers_end(p, p->buf + used, p->buf_len - used);
		} else {
			*lf = '\0';
			p->buf[len] = '\0';
			if (header_line(p, p->buf, len) != 0) {
				return gtm_probe_fail(p, "http bad response");
			}
		}
		memmove(p->buf, p->buf + used, p->buf_len - used);
		p->buf_len -= used;
	}
}

gtm_probe_status_t gtm_probe_body_begin(gtm_probe_t *p)
{
	char *lf = memchr(p->buf, '\n', p->buf_len);
	size_t used = (lf != NULL) ? (size_t)(lf - p->buf) + 1 : p->buf_len;

	memmove(p->buf, p->buf + used, p->buf_len - used);
	p->buf_len -= used;
	p->rx.http.header_bytes = p->buf_len;
	p->rx.http.stage = STAGE_HEADERS;

	gtm_probe_status_t status = headers_parse(p);
	if (status != GTM_PROBE_PENDING) {
		return status;
	}
	return gtm_probe_body_recv(p);
}

/*
 * Reads headers and body until done or the socket has no more data; every
 * pass reads at least one byte, bounded by HEADERS_MAX and RAW_MAX.
 *
 *   stage    read                 result
 *   -------  -------------------  -----------------------------------------
 *   any      would block          PENDING (events set by the read)
 *   any      error                FAIL (reason set by the read)
 *   headers  EOF                  FAIL "http connection closed"
 *   headers  > HEADERS_MAX bytes  FAIL "http headers too long"
 *   headers  data                 headers_parse()
 *   body     EOF, framing EOF     body_result()
 *   body     EOF, other framing   FAIL "http body truncated"
 *   body     data                 feed(): done: body_result(), bad chunk:
 *                                 FAIL "http bad response"
 */
gtm_probe_status_t gtm_probe_body_recv(gtm_probe_t *p)
{
	gtm_http_rx_t *rx = &p->rx.http;

	for (;;) {
		bool headers = (rx->stage == STAGE_HEADERS);
		char *dst = headers ? p->buf + p->buf_len : p->buf;
		size_t room = headers ? sizeof(p->buf) - p->buf_len : sizeof(p->buf);

		ssize_t got = gtm_probe_stream_recv(p, dst, room);
		if (got == GTM_IO_AGAIN) {
			return GTM_PROBE_PENDING;
		} else if (got == GTM_IO_FAILED) {
			return GTM_PROBE_FAIL;
		}

		gtm_probe_status_t status;
		if (headers) {
			if (got == 0) {
				return gtm_probe_fail(p, "http connection closed");
			}
			rx->header_bytes += got;
			if (rx->header_bytes > HEADERS_MAX) {
				return gtm_probe_fail(p, "http headers too long");
			}
			p->buf_len += got;
			status = headers_parse(p);
		} else if (got == 0) {
			if (rx->framing != FRAME_EOF) {
				return gtm_probe_fail(p, "http body truncated");
			}
			status = body_result(p);
		} else {
			feed_t ret = feed(p, p->buf, got);
			if (ret == FEED_BAD) {
				return gtm_probe_fail(p, "http bad response");
			}
			status = (ret == FEED_DONE) ? body_result(p) : GTM_PROBE_PENDING;
		}
		if (status != GTM_PROBE_PENDING) {
			return status;
		}
	}
}
