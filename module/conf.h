/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief GTM data file: parsed, validated, immutable representation.
 *
 * The data file uses Knot's YAML-like syntax and is read with libknot's
 * yparser. Parsing is a pure operation (no side effects besides memory),
 * so it serves both as the dry run in config_check and as the loader.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

/*! Longest error message produced by the parser (file:line: item: why). */
#define GTM_CONF_ERR_LEN	512

/*! Health check types. */
typedef enum {
	GTM_CHECK_TCP = 0,  /*!< TCP connect. */
	GTM_CHECK_HTTP,     /*!< HTTP/1.1 request, status range, optional body match. */
	GTM_CHECK_HTTPS,    /*!< The same over TLS, with certificate verification. */
	GTM_CHECK_ICMP,     /*!< ICMP echo through an unprivileged ping socket. */
	GTM_CHECK_DNS,      /*!< DNS query over UDP (TCP on truncation), rcode, answer. */
} gtm_check_type_t;

/*! HTTP request methods. */
typedef enum {
	GTM_HTTP_GET = 0,
	GTM_HTTP_HEAD,
} gtm_http_method_t;

/*! Health check definition (the 'check' section). */
typedef struct {
	char *id;                /*!< Check identifier. */
	gtm_check_type_t type;   /*!< Check type. */
	uint16_t port;           /*!< Destination port (tcp: required; 0 for icmp). */
	char *path;              /*!< HTTP request path (default "/"). */
	char *host;              /*!< HTTP Host header (NULL: the address). */
	uint16_t expect_min;     /*!< Lowest accepted HTTP status (default 200). */
	uint16_t expect_max;     /*!< Highest accepted HTTP status (default 399). */
	gtm_http_method_t method; /*!< HTTP method (default GET). */
	char *headers;           /*!< Extra header lines "Name: value\r\n"..., NULL: none. */
	size_t header_count;     /*!< Number of extra header lines. */
	char *expect_body;       /*!< Substring required in the body, NULL: none. */
	char *expect_body_regex; /*!< POSIX extended regex on the body, NULL: none. */
	uint32_t body_limit;     /*!< Body bytes examined (default 4096). */
	char *sni;               /*!< TLS server name (NULL: the host name, if any). */
	bool verify;             /*!< Verify the server certificate (default on). */
	char *ca_file;           /*!< Trusted CA file (NULL: system store). */
	uint64_t ca_stamp;       /*!< Identity of the CA file contents (inode, size, mtime). */
	uint16_t packets;        /*!< ICMP echo requests per probe (default 3). */
	uint8_t max_loss;        /*!< Highest tolerated echo loss in percent (default 50). */
	uint32_t max_rtt_ms;     /*!< Slower echo replies count as lost (0: no limit). */
	char *query_name;        /*!< DNS query name, absolute (default "."). */
	uint16_t query_type;     /*!< DNS query type (default SOA). */
	uint16_t expect_rcode;   /*!< Expected DNS rcode (default NOERROR). */
	char *expect_answer;     /*!< Rdata required in the answer, NULL: none. */
	uint32_t interval_ms;    /*!< Time between probes (default 5 s). */
	uint32_t timeout_ms;     /*!< Whole-probe time limit (default 2 s). */
	uint32_t recheck_ms;     /*!< Re-probe delay after a result against the state. */
	uint16_t rise;           /*!< Consecutive successes to come up (default 2). */
	uint16_t fall;           /*!< Consecutive failures to go down (default 3). */
	size_t line;             /*!< Line of the 'id' in the data file. */
} gtm_check_t;

/*! One address of a pool. */
typedef struct {
	struct sockaddr_storage addr; /*!< Address, port 0. */
	size_t line;                  /*!< Line where the address was given. */
} gtm_addr_t;

/*! Address pool (the 'pool' section). */
typedef struct {
	char *id;                /*!< Pool identifier. */
	gtm_addr_t *addrs;       /*!< Addresses in failover order. */
	size_t addr_count;       /*!< Number of addresses (at least one). */
	const gtm_check_t *check; /*!< Health check, NULL: always up. */
	size_t line;             /*!< Line of the 'id'. */
} gtm_pool_t;

/*! What to answer when no address of a name is up. */
typedef enum {
	GTM_ALLDOWN_STATIC = 0, /*!< Let the zone answer (its static records). */
	GTM_ALLDOWN_ALL,        /*!< Every configured address of the family. */
} gtm_alldown_t;

/*! GTM name (the 'name' section). */
typedef struct {
	char *id;                 /*!< Name as written: relative, '@' or absolute (trailing dot). */
	const gtm_pool_t **pools; /*!< Pools in order of preference. */
	size_t pool_count;        /*!< Number of pools (at least one). */
	uint32_t ttl;             /*!< Answer TTL in seconds (default 30). */
	gtm_alldown_t all_down;   /*!< All-down policy (default static). */
	bool enabled;             /*!< Answered by the module (default on). */
	size_t line;              /*!< Line of the 'id'. */
} gtm_name_t;

/*! Whole data file. */
typedef struct {
	char *file;               /*!< Path of the data file. */
	gtm_check_t *checks;      /*!< Checks, file order. */
	size_t check_count;
	gtm_pool_t *pools;        /*!< Pools, file order. */
	size_t pool_count;
	gtm_name_t *names;        /*!< Names, file order. */
	size_t name_count;
} gtm_conf_t;

/*!
 * Parses and validates a data file.
 *
 * \param[in]  path     Data file path.
 * \param[out] conf     Parsed configuration (free with gtm_conf_free()).
 * \param[out] err      Error message "FILE:LINE: ITEM: reason" on failure.
 * \param[in]  err_len  Size of err.
 *
 * \return KNOT_EOK, or a KNOT_E* code with err filled in.
 */
int gtm_conf_parse(const char *path, gtm_conf_t **conf, char *err, size_t err_len);

/*!
 * Frees a parsed configuration (NULL is allowed).
 */
void gtm_conf_free(gtm_conf_t *conf);

/*!
 * Resolves a name identifier against a zone.
 *
 * 'www' -> www.<zone>, '@' -> <zone>, 'www.example.com.' -> itself if it
 * is inside <zone> (or equal to it).
 *
 * \param[in]  name     Configured name.
 * \param[in]  zone     Zone apex.
 * \param[out] out      Resulting lower-cased wire name (KNOT_DNAME_MAXLEN).
 *
 * \retval KNOT_EOK       Resolved.
 * \retval KNOT_EOUTOFZONE An absolute name outside the zone.
 * \retval KNOT_EINVAL    Not a valid domain name.
 */
int gtm_conf_name_resolve(const gtm_name_t *name, const knot_dname_t *zone,
                          knot_dname_storage_t out);
