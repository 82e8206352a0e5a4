/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Per-instance name table: the data file resolved for one zone, with
 *        every possible answer prepared at load time.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <knot/module.h>

#include "conf.h"

/*! Address families answered (index into gtm_entry_t.fam). */
enum {
	GTM_FAM_A = 0,
	GTM_FAM_AAAA = 1,
	GTM_FAM_COUNT
};

/*! Candidates of one address family of a name, in preference order. */
typedef struct {
	size_t count;          /*!< Number of candidates (0: family not served). */
	uint32_t *slots;       /*!< Health slot of each candidate. */
	knot_rrset_t *single;  /*!< Prepared one-address answer of each candidate. */
	knot_rrset_t all;      /*!< Prepared answer with every address. */
} gtm_family_t;

/*! One GTM name of the zone. */
typedef struct {
	knot_dname_t *owner;          /*!< Lower-case owner name. */
	const gtm_name_t *conf;       /*!< Configuration of the name. */
	gtm_family_t fam[GTM_FAM_COUNT];
} gtm_entry_t;

/*! Name table of one module instance. */
typedef struct {
	gtm_conf_t *conf;             /*!< Parsed data file (owned). */
	gtm_entry_t *entries;         /*!< Enabled names of the zone, file order. */
	size_t count;
	uint32_t *buckets;            /*!< Hash index into entries. */
	uint32_t bucket_mask;
	knotd_mod_t *mod;             /*!< Owning instance (target references). */
	uint32_t *held;               /*!< Target slots referenced. */
	size_t held_count;
} gtm_table_t;

/*!
 * Builds the table of a zone, taking references on the targets it needs.
 *
 * Names outside the zone are logged and skipped; disabled names are not in
 * the table (the zone answers them).
 *
 * \param[in]  conf   Parsed data file (ownership moves to the table on success).
 * \param[in]  mod    Module instance (zone, logging, registry references).
 * \param[out] table  Resulting table.
 *
 * \return KNOT_EOK or an error.
 */
int gtm_table_build(gtm_conf_t *conf, knotd_mod_t *mod, gtm_table_t **table);

/*!
 * Releases target references and frees the table (NULL allowed).
 */
void gtm_table_free(gtm_table_t *table);

/*!
 * Finds the entry of a lower-case name; no allocation, no locking.
 *
 * \return Entry or NULL.
 */
const gtm_entry_t *gtm_table_find(const gtm_table_t *table, const knot_dname_t *name);
