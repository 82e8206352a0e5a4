/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Indices of the per-name, per-pool and per-address statistics
 *        counters ('knotc zone-stats').
 *
 * Knot asks a counter's index-to-name callback without any context, so
 * the names are interned in .so-global tables: the same string always has
 * the same index, in every instance, for the life of the process. An
 * instance registers each counter with the table size at its load.
 */

#pragma once

#include <stdint.h>

/*! Kinds of interned counter names. */
typedef enum {
	GTM_CTR_NAME = 0, /*!< GTM names (owner text). */
	GTM_CTR_POOL,     /*!< Pool ids. */
	GTM_CTR_ADDR,     /*!< Addresses and CNAME targets. */
	GTM_CTR_KINDS
} gtm_ctr_kind_t;

/*!
 * Index of a string of a kind, adding it if new (load/unload only).
 *
 * \return Index, or UINT32_MAX when out of memory.
 */
uint32_t gtm_counter_intern(gtm_ctr_kind_t kind, const char *str);

/*! Number of strings of a kind (the counter size to register). */
uint32_t gtm_counter_count(gtm_ctr_kind_t kind);

/*! Index-to-name callbacks for knotd_mod_stats_add() (strdup'd result). */
char *gtm_counter_name_str(uint32_t idx, uint32_t count);
char *gtm_counter_pool_str(uint32_t idx, uint32_t count);
char *gtm_counter_addr_str(uint32_t idx, uint32_t count);
