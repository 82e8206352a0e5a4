/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Topology pool policy: which pool list serves a client (pure).
 *
 * The client is the EDNS Client Subnet of the query when present (and
 * enabled in knotd), else the resolver's address. Rules of a name are
 * matched in this order:
 *   1. the longest 'subnet' prefix containing the client, over all rules;
 *   2. the first rule (in the name's order) whose 'country' matches;
 *   3. the first rule whose 'continent' matches;
 *   4. no rule: the name's own 'pool' list.
 * The ECS scope returned is the shortest prefix for which the same rule
 * would match every address of it.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

/*! The client as the topology policy sees it. */
typedef struct {
	int family;            /*!< AF_INET or AF_INET6. */
	uint8_t addr[16];      /*!< Address (4 or 16 bytes used), bits past
	                            'prefix' zero. */
	uint8_t prefix;        /*!< Known bits: ECS source prefix, or 32/128. */
	bool has_geo;          /*!< country/continent are set. */
	char country[3];       /*!< ISO 3166-1 alpha-2, upper case, or "". */
	char continent[3];     /*!< Continent code, or "". */
	uint8_t geo_prefix;    /*!< Prefix of the GeoIP network matched. */
} gtm_client_t;

/*! Compiled topology of one name (immutable, built at load). */
typedef struct gtm_topo_map gtm_topo_map_t;

/*!
 * Compiles the topology rules of a name.
 *
 * \return KNOT_EOK, KNOT_ENOMEM.
 */
int gtm_topo_map_build(const gtm_name_t *name, gtm_topo_map_t **map);

/*! Frees a compiled map (NULL allowed). */
void gtm_topo_map_free(gtm_topo_map_t *map);

/*!
 * Matches a client (no allocation, no lock).
 *
 * Truth table:
 *   a subnet of some rule contains the client -> that rule (longest prefix;
 *       equal prefixes: the first rule in the name's order)
 *   client.has_geo and a rule lists its country   -> first such rule
 *   client.has_geo and a rule lists its continent -> first such rule
 *   otherwise                                 -> -1 (the name's pool list)
 * *scope: for a subnet match of prefix P, the largest of P and, for every
 * longer subnet of any rule that overlaps the client's P-bit network, one
 * more than the bits it shares with the client (so no more specific rule is
 * covered); without a subnet match the same computation with P = 0, and at
 * least geo_prefix when a geo rule was consulted. Never above 128.
 *
 * \param[in]  map     Compiled rules (NULL: no rules, -1, scope 0).
 * \param[in]  client  Client.
 * \param[out] scope   ECS scope prefix length.
 *
 * \return Index of the rule in the name's 'topology' list, or -1.
 */
int gtm_topo_match(const gtm_topo_map_t *map, const gtm_client_t *client,
                   uint8_t *scope);
