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
 *
 * Everything the query path needs is here and immutable, except the memos
 * (remembered choices, atomic 64-bit values shared with later instances).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <knot/module.h>

#include "conf.h"
#include "memo.h"
#include "policy.h"
#include "topology.h"

/*! Address families answered (index into gtm_entry_t.fam). */
enum {
	GTM_FAM_A = 0,
	GTM_FAM_AAAA = 1,
	GTM_FAM_COUNT
};

/*! One pool of a name's list, for one family: candidates and answers. */
typedef struct {
	const gtm_pool_t *conf;   /*!< Configured pool. */
	gtm_pool_view_t view;     /*!< Candidates as seen by the policy. */
	uint32_t *slots;          /*!< view.slots (owned). */
	uint16_t *weights;        /*!< view.weights (owned). */
	uint64_t *keys;           /*!< view.keys (owned). */
	knot_rrset_t *single;     /*!< Per candidate: one A/AAAA or one CNAME. */
	const knot_dname_t **targets; /*!< CNAME pools: target of each candidate. */
	gtm_memo_t *sticky;       /*!< Sequence with preempt off: current candidate. */
	uint64_t key;             /*!< Identity of the pool (hash of its id). */
	uint16_t weight;          /*!< Weight of the pool in the list. */
	uint32_t ctr;             /*!< Statistics index of the pool. */
	uint32_t *ctr_cands;      /*!< Statistics index of each candidate. */
} gtm_fpool_t;

/*! A pool list (the name's own or a topology rule's) for one family. */
typedef struct {
	gtm_fpool_t *pools;       /*!< Enabled pools in order. */
	size_t count;
	gtm_memo_t *sticky;       /*!< Pool sequence with preempt off: current pool. */
} gtm_plist_t;

/*! Everything of one address family of a name. */
typedef struct {
	gtm_plist_t *lists;       /*!< [0]: the name's list, [1 + i]: topology rule i. */
	size_t list_count;
	knot_rrset_t all;         /*!< all-down 'all': every enabled address. */
	gtm_fpool_t fallback;     /*!< all-down 'pool:ID' (view with no checks). */
	bool has_fallback;
	gtm_memo_t *last_good;    /*!< all-down 'last-good': pool key (high 32
	                               bits) and answered candidates (low 32 bits). */
	bool served;              /*!< Some pool has candidates of this family. */
} gtm_family_t;

/*! One GTM name of the zone. */
typedef struct {
	knot_dname_t *owner;          /*!< Lower-case owner name. */
	const gtm_name_t *conf;       /*!< Configuration of the name. */
	gtm_family_t fam[GTM_FAM_COUNT];
	gtm_topo_map_t *topo;         /*!< Compiled topology rules, or NULL. */
	bool topo_geo;                /*!< Topology rules use country/continent. */
	knot_rrset_t alldown_cname;   /*!< all-down 'cname:TARGET' answer. */
	uint32_t ctr;                 /*!< Statistics index of the name. */
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
	size_t held_cap;
	void *geo;                    /*!< Open GeoIP database (gtm_geo_t), or NULL. */
	uint64_t *answers;            /*!< Answers by thread, entry and outcome
	                                   (threads * count * GTM_EVAL_OUT_COUNT),
	                                   owned, set by the module glue. */
	unsigned threads;             /*!< Threads of 'answers'. */
	uint32_t ctr_names;           /*!< Sizes of the registered name, pool and */
	uint32_t ctr_pools;           /*!< address counters (indices at or past  */
	uint32_t ctr_addrs;           /*!< them are not counted). */
	struct gtm_table_list *list;  /*!< Membership in the loaded tables (tables.c). */
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
 * Releases target references and memos and frees the table (NULL allowed).
 */
void gtm_table_free(gtm_table_t *table);

/*!
 * Finds the entry of a lower-case name; no allocation, no locking.
 *
 * \return Entry or NULL.
 */
const gtm_entry_t *gtm_table_find(const gtm_table_t *table, const knot_dname_t *name);

/*!
 * Prepares one pool of a name for one family (table_pool.c).
 *
 * Takes target references through gtm_registry_target_get() (registry lock
 * held by the caller) and memos. fallback: the view has no checks (every
 * candidate up) and nothing is probed.
 */
int gtm_fpool_build(gtm_table_t *table, gtm_entry_t *entry, int fam,
                    const gtm_pool_ref_t *ref, bool fallback, gtm_fpool_t *out);

/*! Frees what gtm_fpool_build() prepared (not the target references). */
void gtm_fpool_clear(gtm_fpool_t *fp);

/*! Stable non-zero 64-bit hash of bytes (FNV-1a). */
uint64_t gtm_table_hash(const void *data, size_t len);
