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

/*! Address selection policy of a pool ('pool.policy'). */
typedef enum {
	GTM_APOL_SEQUENCE = 0, /*!< First eligible in order (preemptive or sticky). */
	GTM_APOL_ROUND_ROBIN,  /*!< Every eligible address, order rotated per query. */
	GTM_APOL_WEIGHTED,     /*!< Random by weight among eligible addresses. */
	GTM_APOL_ALL,          /*!< Every eligible address. */
} gtm_addr_policy_t;

/*! Pool selection policy of a name ('name.pool-policy'). */
typedef enum {
	GTM_PPOL_SEQUENCE = 0, /*!< First eligible pool in order (preemptive or sticky). */
	GTM_PPOL_WEIGHTED,     /*!< Random by pool weight among eligible pools. */
	GTM_PPOL_TOPOLOGY,     /*!< Pool list chosen by the client's subnet or location. */
} gtm_pool_policy_t;

/*! Maximum number of checks of one pool. */
#define GTM_MAX_CHECKS	8
/*! Maximum number of addresses (or CNAME targets) of one pool. */
#define GTM_MAX_ADDRS	64
/*! Maximum number of pools of one name or topology rule. */
#define GTM_MAX_POOLS	16

/*! One entry of a pool: an address, or a CNAME target. */
typedef struct {
	struct sockaddr_storage addr; /*!< Address pools: the address (port 0).
	                                   CNAME pools: the 'probe=' address, or
	                                   AF_UNSPEC (probe the resolved target). */
	char *cname;                  /*!< CNAME pools: target as written (relative
	                                   or absolute); NULL in address pools. */
	uint16_t weight;              /*!< 'weight=' 1-1000 (default 1). */
	bool enabled;                 /*!< 'enabled=off': never answered, not probed. */
	size_t line;                  /*!< Line where the entry was given. */
} gtm_addr_t;

/*! Address pool or CNAME pool (the 'pool' section). */
typedef struct {
	char *id;                 /*!< Pool identifier. */
	gtm_addr_t *addrs;        /*!< Entries in failover order. */
	size_t addr_count;        /*!< Number of entries (at least one). */
	bool is_cname;            /*!< Entries are CNAME targets ('cname' key). */
	const gtm_check_t *checks[GTM_MAX_CHECKS]; /*!< Health checks ('check'). */
	size_t check_count;       /*!< 0: every entry is always up. */
	uint16_t check_need;      /*!< Checks that must be up ('check-rule':
	                               all = check_count (default), any = 1, N). */
	gtm_addr_policy_t policy; /*!< 'policy' (default sequence). */
	bool preempt;             /*!< 'preempt' (sequence only, default on). */
	uint16_t max_answers;     /*!< 'max-answers', 0 = no limit (default: 1 for
	                               sequence and weighted, no limit otherwise). */
	uint16_t min_count;       /*!< 'min-available: N' (default 1). */
	uint8_t min_percent;      /*!< 'min-available: N%', 0 = min_count applies. */
	uint32_t failback_ms;     /*!< 'failback-delay' (default 0). */
	bool enabled;             /*!< 'enabled' (default on). */
	size_t line;              /*!< Line of the 'id'. */
} gtm_pool_t;

/*! Reference to a pool from a name or a topology rule, with its weight. */
typedef struct {
	const gtm_pool_t *pool;   /*!< Referenced pool. */
	uint16_t weight;          /*!< 'weight=' 1-1000 (default 1). */
	size_t line;              /*!< Line of the reference. */
} gtm_pool_ref_t;

/*! A client subnet (CIDR). */
typedef struct {
	struct sockaddr_storage addr; /*!< Network address (host bits zero). */
	uint8_t prefix;               /*!< Prefix length. */
} gtm_subnet_t;

/*! Topology rule (the 'topology' section): clients -> pool list. */
typedef struct {
	char *id;                 /*!< Rule identifier. */
	gtm_subnet_t *subnets;    /*!< 'subnet' list. */
	size_t subnet_count;
	char (*countries)[3];     /*!< 'country': ISO 3166-1 alpha-2, upper case. */
	size_t country_count;
	char (*continents)[3];    /*!< 'continent': AF AN AS EU NA OC SA. */
	size_t continent_count;
	gtm_pool_ref_t *pools;    /*!< 'pool': pool list for matching clients. */
	size_t pool_count;
	size_t line;              /*!< Line of the 'id'. */
} gtm_topo_t;

/*! What to answer when no pool of a name is eligible ('all-down'). */
typedef enum {
	GTM_ALLDOWN_STATIC = 0, /*!< Let the zone answer (its static records). */
	GTM_ALLDOWN_ALL,        /*!< Every enabled address of the family. */
	GTM_ALLDOWN_LAST_GOOD,  /*!< The last answer given while something was up. */
	GTM_ALLDOWN_POOL,       /*!< 'pool:ID', answered regardless of health. */
	GTM_ALLDOWN_CNAME,      /*!< 'cname:TARGET'. */
	GTM_ALLDOWN_NODATA,     /*!< NOERROR without an answer (zone SOA). */
	GTM_ALLDOWN_SERVFAIL,   /*!< SERVFAIL. */
} gtm_alldown_t;

/*! GTM name (the 'name' section). */
typedef struct {
	char *id;                 /*!< Name as written: relative, '@' or absolute (trailing dot). */
	gtm_pool_ref_t *pools;    /*!< Pools in order of preference. */
	size_t pool_count;        /*!< Number of pools (at least one). */
	gtm_pool_policy_t pool_policy; /*!< 'pool-policy' (default sequence). */
	bool preempt;             /*!< 'preempt' (pool sequence, default on). */
	uint32_t failback_ms;     /*!< 'failback-delay' between pools (default 0). */
	const gtm_topo_t **topos; /*!< 'topology' rules (pool-policy topology). */
	size_t topo_count;
	uint32_t ttl;             /*!< Answer TTL in seconds (default 30). */
	uint32_t ttl_degraded;    /*!< TTL when not the first choice (default ttl). */
	gtm_alldown_t all_down;   /*!< All-down policy (default static). */
	const gtm_pool_t *all_down_pool; /*!< GTM_ALLDOWN_POOL: the pool. */
	char *all_down_cname;     /*!< GTM_ALLDOWN_CNAME: target as written. */
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
	gtm_topo_t *topos;        /*!< Topology rules, file order. */
	size_t topo_count;
	gtm_name_t *names;        /*!< Names, file order. */
	size_t name_count;
	size_t geo_line;          /*!< Line of the first country/continent rule
	                               used by a name, 0: GeoIP not needed. */
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

/*!
 * Resolves a domain written in the data file (name id, CNAME target,
 * 'cname:' target) against a zone, like gtm_conf_name_resolve() but
 * without requiring the result to be inside the zone.
 *
 * \param[in]  str      Domain as written: relative, '@' or absolute.
 * \param[in]  zone     Zone apex.
 * \param[out] out      Lower-cased wire name.
 *
 * \retval KNOT_EOK     Resolved.
 * \retval KNOT_EINVAL  Not a valid domain name (or too long).
 */
int gtm_conf_domain_resolve(const char *str, const knot_dname_t *zone,
                            knot_dname_storage_t out);
