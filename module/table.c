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

#include "policy.h"
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

static int family_of(const struct sockaddr_storage *addr)
{
	return (addr->ss_family == AF_INET6) ? GTM_FAM_AAAA : GTM_FAM_A;
}

static void addr_rdata(const struct sockaddr_storage *addr, const uint8_t **data,
                       uint16_t *len)
{
	if (addr->ss_family == AF_INET6) {
		*data = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
		*len = 16;
	} else {
		*data = (const uint8_t *)&((const struct sockaddr_in *)addr)->sin_addr;
		*len = 4;
	}
}

static int hold_target(gtm_table_t *table, const gtm_pool_t *pool,
                       const gtm_addr_t *addr, const knot_dname_t *owner,
                       uint32_t *slot)
{
	if (pool->check == NULL) {
		*slot = GTM_SLOT_NONE;
		return KNOT_EOK;
	}

	char owner_str[KNOT_DNAME_TXT_MAXLEN + 1], addr_str[64], label[256];
	if (knot_dname_to_str(owner_str, owner, sizeof(owner_str)) == NULL) {
		owner_str[0] = '\0';
	}
	(void)gtm_addr_str(&addr->addr, addr_str, sizeof(addr_str));
	int len = snprintf(label, sizeof(label), "%s %s/%s", owner_str, pool->id,
	                   addr_str);
	if (len < 0 || (size_t)len >= sizeof(label)) {
		label[sizeof(label) - 1] = '\0'; /* A shortened label is fine. */
	}

	gtm_target_spec_t spec;
	gtm_target_spec_init(&spec, pool->check, &addr->addr);
	int ret = gtm_registry_target_get(&spec, table->mod, label, slot);
	if (ret == KNOT_EOK) {
		table->held[table->held_count++] = *slot;
	}
	return ret;
}

/*! Prepares the candidates and answers of one family of a name. */
static int family_build(gtm_table_t *table, gtm_entry_t *entry, int fam)
{
	gtm_family_t *f = &entry->fam[fam];
	const gtm_name_t *name = entry->conf;
	uint16_t type = (fam == GTM_FAM_A) ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;

	size_t count = 0;
	for (size_t p = 0; p < name->pool_count; p++) {
		for (size_t a = 0; a < name->pools[p]->addr_count; a++) {
			count += (family_of(&name->pools[p]->addrs[a].addr) == fam);
		}
	}
	knot_rrset_init(&f->all, entry->owner, type, KNOT_CLASS_IN, name->ttl);
	if (count == 0) {
		return KNOT_EOK;
	}

	f->slots = calloc(count, sizeof(*f->slots));
	f->single = calloc(count, sizeof(*f->single));
	if (f->slots == NULL || f->single == NULL) {
		return KNOT_ENOMEM;
	}

	for (size_t p = 0; p < name->pool_count; p++) {
		const gtm_pool_t *pool = name->pools[p];
		for (size_t a = 0; a < pool->addr_count; a++) {
			const gtm_addr_t *addr = &pool->addrs[a];
			if (family_of(&addr->addr) != fam) {
				continue;
			}
			const uint8_t *data;
			uint16_t len;
			addr_rdata(&addr->addr, &data, &len);

			knot_rrset_t *rr = &f->single[f->count];
			knot_rrset_init(rr, entry->owner, type, KNOT_CLASS_IN, name->ttl);
			int ret = knot_rrset_add_rdata(rr, data, len, NULL);
			if (ret == KNOT_EOK) {
				/* Duplicates across pools are merged by the rdataset. */
				ret = knot_rrset_add_rdata(&f->all, data, len, NULL);
			}
			if (ret == KNOT_EOK) {
				ret = hold_target(table, pool, addr, entry->owner,
				                  &f->slots[f->count]);
			}
			f->count++;
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return KNOT_EOK;
}

static void entry_clear(gtm_entry_t *entry)
{
	for (int fam = 0; fam < GTM_FAM_COUNT; fam++) {
		gtm_family_t *f = &entry->fam[fam];
		for (size_t i = 0; i < f->count; i++) {
			knot_rdataset_clear(&f->single[i].rrs, NULL);
		}
		knot_rdataset_clear(&f->all.rrs, NULL);
		free(f->single);
		free(f->slots);
	}
	knot_dname_free(entry->owner, NULL);
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

	for (int fam = 0; fam < GTM_FAM_COUNT; fam++) {
		ret = family_build(table, entry, fam);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

int gtm_table_build(gtm_conf_t *conf, knotd_mod_t *mod, gtm_table_t **out)
{
	int ret = KNOT_ENOMEM;
	size_t addr_total = 0;
	for (size_t n = 0; n < conf->name_count; n++) {
		for (size_t p = 0; p < conf->names[n].pool_count; p++) {
			addr_total += conf->names[n].pools[p]->addr_count;
		}
	}

	gtm_table_t *table = calloc(1, sizeof(*table));
	if (table == NULL) {
		return KNOT_ENOMEM;
	}
	table->mod = mod;
	table->conf = conf;
	table->entries = calloc(conf->name_count + 1, sizeof(*table->entries));
	table->held = calloc(addr_total + 1, sizeof(*table->held));
	if (table->entries == NULL || table->held == NULL ||
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
	gtm_conf_free(table->conf);
	free(table);
}
