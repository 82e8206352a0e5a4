/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Text of the operations reports (pure): a growing buffer, JSON and
 *        Prometheus escaping, the warm-restart line reader, the override
 *        of a target and the atomic file write.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"

/*! Growing text buffer; a failed allocation sets failed and stops writing. */
typedef struct {
	char *data;     /*!< NUL-terminated text (NULL while empty). */
	size_t len;
	size_t cap;
	bool failed;    /*!< Out of memory: the text is incomplete. */
} gtm_sbuf_t;

/*! Appends len bytes. */
void gtm_sbuf_put(gtm_sbuf_t *b, const char *s, size_t len);

/*! Appends formatted text. */
void gtm_sbuf_printf(gtm_sbuf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*!
 * Appends a JSON string: quotes, \\ \" escaped, \\n \\r \\t and other
 * control characters as \\u00XX; other bytes (UTF-8) as they are. NULL
 * appends null.
 */
void gtm_sbuf_json(gtm_sbuf_t *b, const char *s);

/*!
 * Appends a Prometheus label value without quotes: \\ \" and newline
 * escaped as \\\\ \\\" \\n (the text exposition format).
 */
void gtm_sbuf_prom(gtm_sbuf_t *b, const char *s);

/*! Appends Unix milliseconds as seconds with 3 decimals; 0 appends null. */
void gtm_sbuf_time(gtm_sbuf_t *b, uint64_t unix_ms);

/*! Frees the text and empties the buffer. */
void gtm_sbuf_free(gtm_sbuf_t *b);

/*! A target line of a state file (the fields a warm restart needs). */
typedef struct {
	uint64_t key;            /*!< Target identity hash. */
	uint8_t state;           /*!< gtm_health_t. */
	uint64_t since_ms;       /*!< Unix ms, 0: null. */
} gtm_warm_line_t;

/*! Result of gtm_warm_line_parse(). */
typedef enum {
	GTM_WARM_OTHER = 0,      /*!< Not a target line. */
	GTM_WARM_TARGET,         /*!< A target line, parsed. */
	GTM_WARM_INVALID,        /*!< A target line with a bad key/state/since. */
} gtm_warm_kind_t;

/*!
 * Reads one line of a state file.
 *
 * Truth table:
 *   line starts (after blanks) with {"key": "              -> a target line:
 *       "key" 1..16 hex digits, "state" up|down|unknown, "since" a
 *       non-negative number or null                        -> TARGET
 *       any of them missing or malformed                   -> INVALID
 *   otherwise                                              -> OTHER
 */
gtm_warm_kind_t gtm_warm_line_parse(const char *line, gtm_warm_line_t *out);

/*!
 * Finds "written": NUMBER (Unix seconds) in a header line.
 *
 * \return True and *unix_ms if found and valid.
 */
bool gtm_warm_written(const char *line, uint64_t *unix_ms);

/*!
 * Parses a memo line of the state file: {"memo": "KEY", "value": "HEX"}.
 *
 * Truth table:
 *   not a memo line                      -> false
 *   key with escapes other than \" \\   -> false (skipped)
 *   key longer than key_len - 1          -> false
 *   value not 1-16 hex digits            -> false
 *   otherwise                            -> true, key and value set
 */
bool gtm_warm_memo_parse(const char *line, char *key, size_t key_len,
                         uint64_t *value);

/*! Formats a duration as "5m", "30s", "1.5s" or "250ms". */
const char *gtm_fmt_duration(uint64_t ms, char *out, size_t out_len);

/*! One reference as seen by the override computation. */
typedef struct {
	const char *name;
	const char *pool;
	const char *address;
} gtm_force_ref_t;

/*!
 * Override of a target from its references.
 *
 * Truth table:
 *   no reference matched (or no rules)   -> NONE, *until = 0
 *   matches                              -> the strongest over the
 *       references (DOWN > DRAIN > UP), *until = the earliest expiry
 *       among the references giving it (0: none)
 *
 * \param[in]  get    Returns reference i.
 */
gtm_force_t gtm_force_of(const gtm_admin_t *admin, uint32_t count,
                         void (*get)(const void *ctx, uint32_t i, gtm_force_ref_t *ref),
                         const void *ctx, uint64_t now, uint64_t *until);

/*!
 * Writes a file atomically: PATH.tmp written, then renamed over PATH.
 *
 * \param[out] err  "PATH: reason" on failure.
 *
 * \return KNOT_EOK or an error.
 */
int gtm_write_atomic(const char *path, const char *data, size_t len,
                     char *err, size_t err_len);
