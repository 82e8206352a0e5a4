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
 * references) and the files of the sections' keys: conf_check.c ('check'),
 * conf_pool.c ('pool' and the entry attributes), conf_topo.c ('topology')
 * and conf_name.c ('name'); and the pure value helpers implemented in
 * conf_value.c (which also holds gtm_conf_name_resolve()). The value
 * helpers report no errors themselves; the callers turn their results into
 * messages with the file position.
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
	SEC_TOPO,
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
	/* pool */
	K_ADDRESS, K_CNAME, K_CHECK, K_CHECK_RULE, K_POLICY, K_PREEMPT,
	K_MAX_ANSWERS, K_MIN_AVAILABLE, K_FAILBACK, K_POOL_ENABLED,
	/* topology */
	K_SUBNET, K_COUNTRY, K_CONTINENT, K_TOPO_POOL,
	/* name */
	K_POOL, K_POOL_POLICY, K_NAME_PREEMPT, K_NAME_FAILBACK, K_TOPOLOGY,
	K_TTL, K_TTL_DEGRADED, K_ALLDOWN, K_ENABLED,
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

/*! Kinds of references between items. */
typedef enum {
	REF_POOL_CHECK = 0, /*!< pool.check -> check (slot in checks[]). */
	REF_NAME_POOL,      /*!< name.pool -> pool (slot in pools[]). */
	REF_NAME_TOPO,      /*!< name.topology -> topology rule (slot in topos[]). */
	REF_NAME_ALLDOWN,   /*!< name.all-down pool:ID -> pool. */
	REF_TOPO_POOL,      /*!< topology.pool -> pool (slot in pools[]). */
} conf_ref_kind_t;

/*! Reference to another item, resolved once the whole file is read. */
typedef struct {
	conf_ref_kind_t kind;
	size_t owner;   /*!< Index of the referring item in its section. */
	size_t slot;    /*!< Index in the owner's list. */
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
	size_t item_refs;       /*!< Index of the first reference of the item. */
	size_t *geo_lines;      /*!< By topology rule: line of its first
	                             country/continent key, 0 if none. */
	gtm_idx_t ids[SEC_COUNT]; /*!< Item ids of each section (names normalised). */
	size_t line;            /*!< Line of the current event. */
	section_t sec;          /*!< Section of the item being processed. */
	const char *item_id;    /*!< Id of the item, NULL if none (yet). */
	size_t item_line;       /*!< Line of the item id. */
	uint64_t seen;          /*!< Keys given in the current item (KEY_BIT). */
	size_t key_line[K_COUNT];
	size_t weight_line;     /*!< First entry of the item with 'weight=', 0: none. */
	size_t probe_line;      /*!< First entry of the item with 'probe=', 0: none. */
} conf_ctx_t;

/*! Attributes of a list entry "VALUE [NAME=VALUE]...". */
typedef struct {
	char *buf;              /*!< Owned copy of the entry, split in place. */
	const char *value;      /*!< The entry's value (first word). */
	uint16_t weight;        /*!< 'weight=' (1-1000), default 1. */
	bool enabled;           /*!< 'enabled=', default on. */
	struct sockaddr_storage probe; /*!< 'probe=', AF_UNSPEC if not given. */
	bool has_weight;
	bool has_enabled;
	bool has_probe;
} conf_entry_t;

/*!
 * Formats "FILE:LINE: SECTION[ID].KEY: reason" for the current item.
 *
 * \return ret (for tail calls).
 */
int gtm_conf_report(conf_ctx_t *ctx, int ret, size_t line, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*! Reports "out of memory" at the current line; returns KNOT_ENOMEM. */
int gtm_conf_no_memory(conf_ctx_t *ctx);

/*!
 * Extends an array by one zeroed element; returns the new array or NULL.
 *
 * The capacity doubles whenever count reaches a power of two, so the
 * array always has room for count + 1 elements.
 */
void *gtm_conf_grow(void *array, size_t count, size_t size);

/*!
 * Appends a zeroed element to an array (an lvalue, with its count) and
 * evaluates to a pointer to it, or NULL if out of memory (the array is
 * then unchanged). Needs a 'void *grown' in scope.
 */
#define CONF_APPEND(array, count) \
	(((grown = gtm_conf_grow((array), (count), sizeof(*(array))))) == NULL ? NULL : \
	 ((array) = grown, &(array)[(count)++]))

/*! Records a reference of the current item to resolve at the end. */
int gtm_conf_add_ref(conf_ctx_t *ctx, conf_ref_kind_t kind, size_t owner,
                     size_t slot, const char *id);

/*! Whether the current item already refers to id with a reference of kind. */
bool gtm_conf_has_ref(const conf_ctx_t *ctx, conf_ref_kind_t kind, const char *id);

/*! Number, with "invalid number" / "value X out of range MIN-MAX" errors. */
int gtm_conf_get_number(conf_ctx_t *ctx, key_id_t key, const char *str,
                        uint64_t min, uint64_t max, uint64_t *out);

/*! Duration, with "invalid duration" / "value X out of range" errors. */
int gtm_conf_get_duration(conf_ctx_t *ctx, key_id_t key, const char *str,
                          uint64_t min, uint64_t max, uint32_t *out);

/*! on/off (true/false), with "invalid value (expected on or off)". */
int gtm_conf_get_bool(conf_ctx_t *ctx, key_id_t key, const char *val, bool *out);

/*!
 * Splits a list entry "VALUE [weight=N] [enabled=on|off] [probe=ADDR]".
 *
 * Reports unknown, repeated and invalid attributes (whatever the context;
 * the caller refuses the attributes that do not apply). Free entry->buf
 * with gtm_conf_entry_clear().
 */
int gtm_conf_entry(conf_ctx_t *ctx, key_id_t key, const char *val,
                   conf_entry_t *entry);

/*! Frees the copy held by an entry. */
void gtm_conf_entry_clear(conf_entry_t *entry);

/*! Sets the defaults of a new pool / topology rule / name. */
void gtm_conf_pool_init(gtm_pool_t *pool, size_t line);
void gtm_conf_topo_init(gtm_topo_t *topo, size_t line);
void gtm_conf_name_init(gtm_name_t *name, size_t line);

/*! Handles one key of the current pool / rule / name. */
int gtm_conf_pool_key(conf_ctx_t *ctx, key_id_t key, const char *val);
int gtm_conf_topo_key(conf_ctx_t *ctx, key_id_t key, const char *val);
int gtm_conf_name_key(conf_ctx_t *ctx, key_id_t key, const char *val);

/*! Validates the current pool / rule / name once all its keys were read. */
int gtm_conf_pool_finish(conf_ctx_t *ctx);
int gtm_conf_topo_finish(conf_ctx_t *ctx);
int gtm_conf_name_finish(conf_ctx_t *ctx);

/*! Frees the members of a pool / rule / name (not the item itself). */
void gtm_conf_pool_clear(gtm_pool_t *pool);
void gtm_conf_topo_clear(gtm_topo_t *topo);
void gtm_conf_name_clear(gtm_name_t *name);

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

/*!
 * Key under which two domains as written are the same: '@', or the form
 * (relative or absolute) followed by the lower-cased wire name.
 *
 * \return Key length, 0 if str is not a domain name.
 */
size_t gtm_conf_domain_key(const char *str, uint8_t *key, size_t key_len);

/*!
 * Parses a subnet "ADDRESS/PREFIX" (or an address alone: a host).
 *
 * \retval KNOT_EOK     Stored in out (zeroed storage, port 0).
 * \retval KNOT_EINVAL  Not an address with an optional /PREFIX.
 * \retval KNOT_ERANGE  Prefix longer than the address.
 * \retval KNOT_EMALF   Host bits set past the prefix (out is filled).
 */
int gtm_conf_subnet(const char *str, gtm_subnet_t *out);

/*! Parses an ISO 3166-1 alpha-2 country code (any case) into upper case. */
bool gtm_conf_country(const char *str, char out[3]);

/*! Parses a continent code AF AN AS EU NA OC SA (any case) into upper case. */
bool gtm_conf_continent(const char *str, char out[3]);

/*!
 * Parses 'min-available': "N" (1-64) or "N%" (1-100).
 *
 * \retval KNOT_EOK     count = N and percent = 0, or count = 1 and percent = N.
 * \retval KNOT_EINVAL  Syntax error.
 * \retval KNOT_ERANGE  Outside the limits.
 */
int gtm_conf_min_available(const char *str, uint16_t *count, uint8_t *percent);

