/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief One pool of a name for one address family: its candidates, their
 *        health slots and their prepared answers.
 */

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "counters.h"
#include "registry.h"
#include "table.h"

uint64_t gtm_table_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return (h == 0) ? 1 : h;
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

/*! Whether a pool entry is a candidate of the family. */
static bool is_candidate(const gtm_pool_t *pool, const gtm_addr_t *addr, int fam)
{
	if (!addr->enabled) {
		return false;
	}
	if (pool->is_cname) {
		return true; /* A CNAME answers queries of every family. */
	}
	int want = (fam == GTM_FAM_AAAA) ? AF_INET6 : AF_INET;
	return addr->addr.ss_family == want;
}

static int held_add(gtm_table_t *table, uint32_t slot)
{
	if (table->held_count == table->held_cap) {
		size_t cap = (table->held_cap == 0) ? 64 : 2 * table->held_cap;
		uint32_t *held = realloc(table->held, cap * sizeof(*held));
		if (held == NULL) {
			return KNOT_ENOMEM;
		}
		table->held = held;
		table->held_cap = cap;
	}
	table->held[table->held_count++] = slot;
	return KNOT_EOK;
}

/*! Takes a reference on the target of one check of one entry. */
static int hold_target(gtm_table_t *table, const gtm_entry_t *entry,
                       const gtm_pool_t *pool, const gtm_addr_t *addr,
                       const knot_dname_t *target, const gtm_check_t *check,
                       uint32_t *slot)
{
	char owner_str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	char target_str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	char addr_str[64] = "";

	(void)knot_dname_to_str(owner_str, entry->owner, sizeof(owner_str));
	if (addr->addr.ss_family != AF_UNSPEC) {
		(void)gtm_addr_str(&addr->addr, addr_str, sizeof(addr_str));
	}
	if (target != NULL) {
		(void)knot_dname_to_str(target_str, target, sizeof(target_str));
	}
	gtm_ref_info_t info = {
		.name = owner_str,
		.pool = pool->id,
		.address = (target != NULL) ? target_str : addr_str,
		.probe = (target != NULL && addr_str[0] != '\0') ? addr_str : NULL,
		.check = check->id,
		.show_check = (pool->check_count > 1),
	};

	gtm_target_spec_t spec;
	gtm_target_spec_init(&spec, check, &addr->addr);
	if (addr->addr.ss_family == AF_UNSPEC) {
		spec.hostname = target_str; /* Probe the resolved target. */
	}
	/* Logged hold-down: the longer of the address and the pool hold-down. */
	uint32_t hold_ms = pool->failback_ms;
	if (entry->conf->failback_ms > hold_ms) {
		hold_ms = entry->conf->failback_ms;
	}
	int ret = gtm_registry_target_get(&spec, table->mod, &info, hold_ms, slot);
	if (ret == KNOT_EOK) {
		ret = held_add(table, *slot);
		if (ret != KNOT_EOK) {
			gtm_registry_target_put(*slot, table->mod);
		}
	}
	return ret;
}

/*! Statistics index of a candidate: its address or CNAME target text. */
static uint32_t cand_counter(const knot_rrset_t *rr)
{
	char str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	const knot_rdata_t *rd = rr->rrs.rdata;
	if (rr->type == KNOT_RRTYPE_CNAME) {
		(void)knot_dname_to_str(str, knot_cname_name(rd), sizeof(str));
	} else {
		(void)inet_ntop((rd->len == 16) ? AF_INET6 : AF_INET, rd->data,
		                str, sizeof(str));
	}
	return gtm_counter_intern(GTM_CTR_ADDR, str);
}

/*! Memo key "OWNER FAMILY pool ID". */
static gtm_memo_t *pool_memo(const gtm_entry_t *entry, int fam, const char *id)
{
	char owner_str[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	char key[2 * KNOT_DNAME_TXT_MAXLEN];
	(void)knot_dname_to_str(owner_str, entry->owner, sizeof(owner_str));
	(void)snprintf(key, sizeof(key), "%s %s pool %s", owner_str,
	               (fam == GTM_FAM_AAAA) ? "AAAA" : "A", id);
	return gtm_memo_get(key);
}

/*! Prepares candidate i: its answer, identity and target. */
static int cand_prepare(gtm_table_t *table, const gtm_entry_t *entry, int fam,
                        const gtm_addr_t *addr, gtm_fpool_t *fp, size_t i)
{
	knot_rrset_t *rr = &fp->single[i];
	if (addr->cname == NULL) {
		const uint8_t *data;
		uint16_t len;
		addr_rdata(&addr->addr, &data, &len);
		uint16_t type = (fam == GTM_FAM_AAAA) ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A;
		knot_rrset_init(rr, entry->owner, type, KNOT_CLASS_IN, entry->conf->ttl);
		fp->keys[i] = gtm_table_hash(data, len);
		return knot_rrset_add_rdata(rr, data, len, NULL);
	}

	knot_dname_storage_t target;
	int ret = gtm_conf_domain_resolve(addr->cname, knotd_mod_zone(table->mod),
	                                  target);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_rrset_init(rr, entry->owner, KNOT_RRTYPE_CNAME, KNOT_CLASS_IN,
	                entry->conf->ttl);
	ret = knot_rrset_add_rdata(rr, target, knot_dname_size(target), NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	fp->targets[i] = knot_cname_name(rr->rrs.rdata);
	fp->keys[i] = gtm_table_hash(target, knot_dname_size(target));
	return KNOT_EOK;
}

int gtm_fpool_build(gtm_table_t *table, gtm_entry_t *entry, int fam,
                    const gtm_pool_ref_t *ref, bool fallback, gtm_fpool_t *fp)
{
	const gtm_pool_t *pool = ref->pool;
	memset(fp, 0, sizeof(*fp));
	fp->conf = pool;
	fp->weight = ref->weight;
	fp->key = gtm_table_hash(pool->id, strlen(pool->id));
	fp->ctr = gtm_counter_intern(GTM_CTR_POOL, pool->id);

	size_t n = 0;
	for (size_t a = 0; a < pool->addr_count; a++) {
		n += is_candidate(pool, &pool->addrs[a], fam);
	}
	size_t checks = fallback ? 0 : pool->check_count;

	gtm_pool_view_t *v = &fp->view;
	v->policy = pool->policy;
	v->preempt = pool->preempt;
	v->max_answers = pool->max_answers;
	v->failback_ms = fallback ? 0 : pool->failback_ms;
	v->check_count = checks;
	v->check_need = (checks == 0) ? 0 : pool->check_need;
	v->min_available = fallback ? 1 :
	                   gtm_policy_min_available(pool->min_count,
	                                            pool->min_percent, n);
	if (n == 0) {
		return KNOT_EOK; /* Never eligible for this family. */
	}

	fp->single = calloc(n, sizeof(*fp->single));
	fp->targets = calloc(n, sizeof(*fp->targets));
	fp->weights = calloc(n, sizeof(*fp->weights));
	fp->keys = calloc(n, sizeof(*fp->keys));
	fp->slots = calloc(n * (checks + 1), sizeof(*fp->slots));
	fp->ctr_cands = calloc(n, sizeof(*fp->ctr_cands));
	if (fp->single == NULL || fp->targets == NULL || fp->weights == NULL ||
	    fp->keys == NULL || fp->slots == NULL || fp->ctr_cands == NULL) {
		return KNOT_ENOMEM;
	}
	v->slots = fp->slots;
	v->weights = fp->weights;
	v->keys = fp->keys;

	for (size_t a = 0; a < pool->addr_count; a++) {
		const gtm_addr_t *addr = &pool->addrs[a];
		if (!is_candidate(pool, addr, fam)) {
			continue;
		}
		size_t i = v->n;
		int ret = cand_prepare(table, entry, fam, addr, fp, i);
		if (ret != KNOT_EOK) {
			return ret;
		}
		fp->weights[i] = addr->weight;
		fp->ctr_cands[i] = cand_counter(&fp->single[i]);
		v->n++;
		for (size_t c = 0; c < checks; c++) {
			ret = hold_target(table, entry, pool, addr, fp->targets[i],
			                  pool->checks[c], &fp->slots[i * checks + c]);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}

	if (!fallback && pool->policy == GTM_APOL_SEQUENCE && !pool->preempt) {
		fp->sticky = pool_memo(entry, fam, pool->id);
		if (fp->sticky == NULL) {
			return KNOT_ENOMEM;
		}
	}
	return KNOT_EOK;
}

void gtm_fpool_clear(gtm_fpool_t *fp)
{
	if (fp->single != NULL) {
		for (size_t i = 0; i < fp->view.n; i++) {
			knot_rdataset_clear(&fp->single[i].rrs, NULL);
		}
	}
	free(fp->single);
	free(fp->targets);
	free(fp->weights);
	free(fp->keys);
	free(fp->slots);
	free(fp->ctr_cands);
	gtm_memo_put(fp->sticky);
	memset(fp, 0, sizeof(*fp));
}
