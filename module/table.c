/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "geo.h"
#include "registry.h"
#include "table.h"

static uint32_t dname_hash(const knot_dname_t *name)
{
	uint32_t h = 2166136261u;
	size_t len = knot_dname_size(name);
	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= 16777619u;
	}
	return h;
}

/*! Memo key "OWNER FAMILY WHAT". */
static gtm_memo_t *entry_memo(const gtm_entry_t *entry, int fam, const char *what)
{
	char owner_str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	char key[2 * KNOT_DNAME_TXT_MAXLEN];
	(void)knot_dname_to_str(owner_str, entry->owner, sizeof(owner_str));
	(void)snprintf(key, sizeof(key), "%s %s %s", owner_str,
	               (fam == GTM_FAM_AAAA) ? "AAAA" : "A", what);
	return gtm_memo_get(key);
}

/*! Prepares one pool list (the name's own, or a topology rule's). */
static int list_build(gtm_table_t *table, gtm_entry_t *entry, int fam,
                      const gtm_pool_ref_t *refs, size_t ref_count,
                      const char *memo_what, gtm_plist_t *list)
{
	const gtm_name_t *name = entry->conf;
	list->pools = calloc(ref_count + 1, sizeof(*list->pools));
	if (list->pools == NULL) {
		return KNOT_ENOMEM;
	}
	for (size_t p = 0; p < ref_count; p++) {
		if (!refs[p].pool->enabled) {
			continue; /* A disabled pool is not in any list. */
		}
		gtm_fpool_t *fp = &list->pools[list->count++];
		int ret = gtm_fpool_build(table, entry, fam, &refs[p], false, fp);
		if (ret != KNOT_EOK) {
			return ret;
		}
		entry->fam[fam].served |= (fp->view.n > 0);
	}
	if (!name->preempt && name->pool_policy != GTM_PPOL_WEIGHTED) {
		list->sticky = entry_memo(entry, fam, memo_what);
		if (list->sticky == NULL) {
			return KNOT_ENOMEM;
		}
	}
	return KNOT_EOK;
}

/*! Adds the enabled addresses of a list's address pools to the 'all' answer. */
static int all_add(knot_rrset_t *all, const gtm_plist_t *list)
{
	for (size_t p = 0; p < list->count; p++) {
		const gtm_fpool_t *fp = &list->pools[p];
		if (fp->conf->is_cname) {
			continue;
		}
		for (size_t i = 0; i < fp->view.n; i++) {
			/* Duplicates across pools are merged by the rdataset. */
			int ret = knot_rdataset_merge(&all->rrs, &fp->single[i].rrs, NULL);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return KNOT_EOK;
}

/*! Prepares the candidates and answers of one family of a name. */
static int family_build(gtm_table_t *table, gtm_entry_t *entry, int fam)
{
	gtm_family_t *f = &entry->fam[fam];
	const gtm_name_t *name = entry->conf;
	uint16_t type = (fam == GTM_FAM_A) ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;
	bool topo = (name->pool_policy == GTM_PPOL_TOPOLOGY);

	knot_rrset_init(&f->all, entry->owner, type, KNOT_CLASS_IN, name->ttl);
	f->list_count = 1 + (topo ? name->topo_count : 0);
	f->lists = calloc(f->list_count, sizeof(*f->lists));
	if (f->lists == NULL) {
		return KNOT_ENOMEM;
	}

	int ret = list_build(table, entry, fam, name->pools, name->pool_count,
	                     "pools", &f->lists[0]);
	for (size_t t = 1; t < f->list_count && ret == KNOT_EOK; t++) {
		const gtm_topo_t *rule = name->topos[t - 1];
		char what[300];
		(void)snprintf(what, sizeof(what), "pools topology %s", rule->id);
		ret = list_build(table, entry, fam, rule->pools, rule->pool_count,
		                 what, &f->lists[t]);
	}
	for (size_t t = 0; t < f->list_count && ret == KNOT_EOK; t++) {
		ret = all_add(&f->all, &f->lists[t]);
	}
	if (ret != KNOT_EOK) {
		return ret;
	}

	switch (name->all_down) {
	case GTM_ALLDOWN_POOL:;
		gtm_pool_ref_t ref = { .pool = name->all_down_pool, .weight = 1 };
		ret = gtm_fpool_build(table, entry, fam, &ref, true, &f->fallback);
		f->has_fallback = true;
		break;
	case GTM_ALLDOWN_LAST_GOOD:
		f->last_good = entry_memo(entry, fam, "last-good");
		ret = (f->last_good == NULL) ? KNOT_ENOMEM : KNOT_EOK;
		break;
	default:
		break;
	}
	return ret;
}

static void entry_clear(gtm_entry_t *entry)
{
	for (int fam = 0; fam < GTM_FAM_COUNT; fam++) {
		gtm_family_t *f = &entry->fam[fam];
		for (size_t t = 0; t < f->list_count; t++) {
			gtm_plist_t *list = &f->lists[t];
			for (size_t p = 0; list->pools != NULL && p < list->count; p++) {
				gtm_fpool_clear(&list->pools[p]);
			}
			free(list->pools);
			gtm_memo_put(list->sticky);
		}
		free(f->lists);
		knot_rdataset_clear(&f->all.rrs, NULL);
		if (f->has_fallback) {
			gtm_fpool_clear(&f->fallback);
		}
		gtm_memo_put(f->last_good);
	}
	knot_rdataset_clear(&entry->alldown_cname.rrs, NULL);
	gtm_topo_map_free(entry->topo);
	knot_dname_free(entry->owner, NULL);
}

/*! Prepares the name-wide parts: topology map and 'cname:TARGET' answer. */
static int entry_prepare(gtm_table_t *table, gtm_entry_t *entry)
{
	const gtm_name_t *name = entry->conf;
	if (name->pool_policy == GTM_PPOL_TOPOLOGY) {
		int ret = gtm_topo_map_build(name, &entry->topo);
		if (ret != KNOT_EOK) {
			return ret;
		}
		for (size_t t = 0; t < name->topo_count; t++) {
			entry->topo_geo |= (name->topos[t]->country_count > 0 ||
			                    name->topos[t]->continent_count > 0);
		}
	}
	if (name->all_down == GTM_ALLDOWN_CNAME) {
		knot_dname_storage_t target;
		int ret = gtm_conf_domain_resolve(name->all_down_cname,
		                                  knotd_mod_zone(table->mod), target);
		if (ret != KNOT_EOK) {
			return ret;
		}
		knot_rrset_init(&entry->alldown_cname, entry->owner, KNOT_RRTYPE_CNAME,
		                KNOT_CLASS_IN, name->ttl_degraded);
		return knot_rrset_add_rdata(&entry->alldown_cname, target,
		                            knot_dname_size(target), NULL);
	}
	return KNOT_EOK;
}

/*! Allocates an empty index for up to max_entries (load factor <= 1/2). */
static int index_init(gtm_table_t *table, size_t max_entries)
{
	uint32_t size = 8;
	while (size < 2 * max_entries) {
		size *= 2;
	}
	table->buckets = malloc(size * sizeof(*table->buckets));
	if (table->buckets == NULL) {
		return KNOT_ENOMEM;
	}
	memset(table->buckets, 0xff, size * sizeof(*table->buckets));
	table->bucket_mask = size - 1;
	return KNOT_EOK;
}

static void index_add(gtm_table_t *table, uint32_t entry)
{
	uint32_t b = dname_hash(table->entries[entry].owner) & table->bucket_mask;
	while (table->buckets[b] != UINT32_MAX) {
		b = (b + 1) & table->bucket_mask;
	}
	table->buckets[b] = entry;
}

const gtm_entry_t *gtm_table_find(const gtm_table_t *table, const knot_dname_t *name)
{
	uint32_t b = dname_hash(name) & table->bucket_mask;
	while (table->buckets[b] != UINT32_MAX) {
		const gtm_entry_t *entry = &table->entries[table->buckets[b]];
		if (knot_dname_is_equal(entry->owner, name)) {
			return entry;
		}
		b = (b + 1) & table->bucket_mask;
	}
	return NULL;
}

/*! Adds a configured name to the table unless skipped (returns KNOT_EOK). */
static int entry_add(gtm_table_t *table, const gtm_name_t *name)
{
	const knot_dname_t *zone = knotd_mod_zone(table->mod);
	knot_dname_storage_t owner;

	int ret = gtm_conf_name_resolve(name, zone, owner);
	if (ret != KNOT_EOK) {
		char zone_str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
		(void)knot_dname_to_str(zone_str, zone, sizeof(zone_str));
		knotd_mod_log(table->mod, LOG_WARNING,
		              "%s:%zu: name[%s]: %s zone %s, ignored", table->conf->file,
		              name->line, name->id,
		              (ret == KNOT_EOUTOFZONE) ? "outside" : "invalid in",
		              zone_str);
		return KNOT_EOK;
	}
	if (!name->enabled) {
		return KNOT_EOK; /* The zone's own records answer. */
	}
	const gtm_entry_t *same = gtm_table_find(table, owner);
	if (same != NULL) {
		knotd_mod_log(table->mod, LOG_WARNING,
		              "%s:%zu: name[%s]: same owner as name[%s], ignored",
		              table->conf->file, name->line, name->id, same->conf->id);
		return KNOT_EOK;
	}

	gtm_entry_t *entry = &table->entries[table->count];
	memset(entry, 0, sizeof(*entry));
	entry->conf = name;
	entry->owner = knot_dname_copy(owner, NULL);
	if (entry->owner == NULL) {
		return KNOT_ENOMEM;
	}
	index_add(table, table->count++);
	char owner_str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	(void)knot_dname_to_str(owner_str, entry->owner, sizeof(owner_str));
	entry->ctr = gtm_counter_intern(GTM_CTR_NAME, owner_str);

	ret = entry_prepare(table, entry);
	for (int fam = 0; fam < GTM_FAM_COUNT && ret == KNOT_EOK; fam++) {
		ret = family_build(table, entry, fam);
	}
	return ret;
}

int gtm_table_build(gtm_conf_t *conf, knotd_mod_t *mod, gtm_table_t **out)
{
	int ret = KNOT_ENOMEM;
	gtm_table_t *table = calloc(1, sizeof(*table));
	if (table == NULL) {
		return KNOT_ENOMEM;
	}
	table->mod = mod;
	table->conf = conf;
	table->entries = calloc(conf->name_count + 1, sizeof(*table->entries));
	if (table->entries == NULL ||
	    index_init(table, conf->name_count) != KNOT_EOK) {
		goto fail;
	}

	ret = KNOT_EOK;
	gtm_registry_lock();
	for (size_t n = 0; n < conf->name_count && ret == KNOT_EOK; n++) {
		ret = entry_add(table, &conf->names[n]);
	}
	gtm_registry_unlock();
	if (ret != KNOT_EOK) {
		goto fail;
	}
	*out = table;
	return KNOT_EOK;
fail:
	table->conf = NULL; /* Stays with the caller on failure. */
	gtm_table_free(table);
	return ret;
}

void gtm_table_free(gtm_table_t *table)
{
	if (table == NULL) {
		return;
	}
	gtm_registry_lock();
	for (size_t i = 0; i < table->held_count; i++) {
		gtm_registry_target_put(table->held[i], table->mod);
	}
	gtm_registry_unlock();
	for (size_t i = 0; i < table->count; i++) {
		entry_clear(&table->entries[i]);
	}
	free(table->entries);
	free(table->held);
	free(table->buckets);
	free(table->answers);
	gtm_geo_close(table->geo);
	gtm_conf_free(table->conf);
	free(table);
}
