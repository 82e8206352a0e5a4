/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief GTM data file parser internals.
 *
 * The parser state and error reporting shared by conf.c (sections, items,
 * references) and conf_check.c (keys of the 'check' section), and the pure
 * value helpers implemented in conf_value.c (which also holds
 * gtm_conf_name_resolve()). The value helpers report no errors themselves;
 * the callers turn their results into messages with the file position.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/yparser/yparser.h>

#include "conf.h"
#include "idx.h"

/*! Sections of the data file. */
typedef enum {
	SEC_NONE = -1,
	SEC_CHECK,
	SEC_POOL,
	SEC_NAME,
	SEC_COUNT
} section_t;

/*! Item keys of every section. */
typedef enum {
	K_TYPE, K_PORT, K_PATH, K_HOST, K_EXPECT, K_METHOD, K_HEADER,
	K_EXPECT_BODY, K_EXPECT_BODY_REGEX, K_BODY_LIMIT,
	K_SNI, K_VERIFY, K_CA_FILE,
	K_PACKETS, K_MAX_LOSS, K_MAX_RTT,
	K_QUERY_NAME, K_QUERY_TYPE, K_EXPECT_RCODE, K_EXPECT_ANSWER,
	K_INTERVAL, K_TIMEOUT, K_RECHECK, K_RISE, K_FALL,
	K_ADDRESS, K_CHECK,
	K_POOL, K_TTL, K_ALLDOWN, K_ENABLED,
	K_COUNT
} key_id_t;

/*! Bit of a key in conf_ctx_t.seen. */
#define KEY_BIT(key)	(UINT64_C(1) << (key))

/*! A key: its section, name, whether repeated values accumulate, and the
 *  check types it applies to (bit mask of 1 << gtm_check_type_t). */
typedef struct {
	section_t sec;
	const char *name;
	bool multi;
	unsigned types;
} conf_key_t;

/*! Keys by key_id_t. */
extern const conf_key_t gtm_conf_keys[K_COUNT];

/*! Reference to another item, resolved once the whole file is read. */
typedef struct {
	bool to_pool;   /*!< Name -> pool (true), pool -> check (false). */
	size_t owner;   /*!< Index of the referring pool or name. */
	size_t slot;    /*!< Index in gtm_name_t.pools. */
	char *id;       /*!< Referenced identifier. */
	size_t line;    /*!< Line of the reference. */
} conf_ref_t;

/*! Parser state. */
typedef struct {
	const char *file;
	char *err;
	size_t err_len;
	yp_parser_t *yp;
	gtm_conf_t *conf;
	conf_ref_t *refs;
	size_t ref_count;
	gtm_idx_t ids[SEC_COUNT]; /*!< Item ids of each section (names normalised). */
	size_t line;            /*!< Line of the current event. */
	section_t sec;          /*!< Section of the item being processed. */
	const char *item_id;    /*!< Id of the item, NULL if none (yet). */
	size_t item_line;       /*!< Line of the item id. */
	uint64_t seen;          /*!< Keys given in the current item (KEY_BIT). */
	size_t key_line[K_COUNT];
} conf_ctx_t;

/*!
 * Formats "FILE:LINE: SECTION[ID].KEY: reason" for the current item.
 *
 * 
eturn ret (for tail calls).
 */
int gtm_conf_report(conf_ctx_t *ctx, int ret, size_t line, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*! Reports "out of memory" at the current line; returns KNOT_ENOMEM. */
int gtm_conf_no_memory(conf_ctx_t *ctx);

/*! Sets the defaults of a new check. */
void gtm_conf_check_init(gtm_check_t *check, size_t line);

/*! Handles one key of the current check (conf_check.c). */
int gtm_conf_check_key(conf_ctx_t *ctx, key_id_t key, const char *val);

/*! Validates the current check once all its keys were read (conf_check.c). */
int gtm_conf_check_finish(conf_ctx_t *ctx);

/*! Frees the members of a check (not the check itself). */
void gtm_conf_check_clear(gtm_check_t *check);

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

/*! Parses "N" or "N%" with N in 0-99 (a loss percentage). */
bool gtm_conf_percent(const char *str, uint64_t *out);

/*! Parses "NNN" or "NNN-NNN" (syntax only, no range check). */
bool gtm_conf_status_range(const char *str, uint64_t *lo, uint64_t *hi);

/*! Checks "hostname[:port]", hostname of [A-Za-z0-9.-], port 1-65535. */
bool gtm_conf_host_valid(const char *str);

/*!
 * Checks an extra HTTP header line "Name: value".
 *
 * The name is an RFC 9110 token, the value printable ASCII, spaces and tabs.
 *
 * \retval 0    Valid.
 * \retval > 0  1-based position of the first invalid character.
 * \retval -1   No "Name:" prefix.
 */
int gtm_conf_header_invalid(const char *str);

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

