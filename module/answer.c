/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <netinet/in.h>
#include <string.h>

#include "answer.h"
#include "geo.h"
#include "policy.h"
#include "registry.h"

/*! Longest chain of GTM names answered by the module in one response. */
#define GTM_CHAIN_MAX	8

/*! Kinds of decisions. */
typedef enum {
	ANS_PASS = 0,   /*!< The zone answers. */
	ANS_RRSET,      /*!< Addresses. */
	ANS_CNAME,      /*!< One CNAME. */
	ANS_NODATA,     /*!< No answer, zone SOA in authority. */
	ANS_SERVFAIL,   /*!< SERVFAIL. */
} ans_kind_t;

/*! What answers one name and family. */
typedef struct {
	ans_kind_t kind;
	gtm_outcome_t outcome;
	bool degraded;               /*!< Use ttl-degraded. */
	const gtm_fpool_t *pool;     /*!< Candidates from this pool ... */
	uint16_t idx[GTM_MAX_ADDRS]; /*!< ... these, in answer order, */
	size_t count;
	const knot_rrset_t *fixed;   /*!< ... or this prepared answer. */
} decision_t;

/*! Per-thread random state and round-robin counter (no shared writes). */
static __thread uint64_t rng_state;
static __thread uint32_t rr_counter;

/*! A packet whose all-down 'nodata' is finished at the answer stage. */
static __thread const knot_pkt_t *nodata_pkt;

static uint32_t rng_next(void)
{
	if (rng_state == 0) {
		rng_state = (gtm_now_ms() << 20) ^ (uint64_t)(uintptr_t)&rng_state;
		rng_state |= 1;
	}
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

const char *gtm_outcome_str(gtm_outcome_t outcome)
{
	switch (outcome) {
	case GTM_OUT_FIRST:    return "first";
	case GTM_OUT_FAILOVER: return "failover";
	case GTM_OUT_ALL_DOWN: return "all-down";
	case GTM_OUT_STATIC:   return "static";
	default:               return "pass";
	}
}

/*! The client of a query: ECS subnet if present, else the resolver. */
static void client_of(const gtm_table_t *table, const gtm_entry_t *entry,
                      knotd_qdata_t *qdata, gtm_client_t *client)
{
	memset(client, 0, sizeof(*client));
	struct sockaddr_storage ecs_addr;
	const struct sockaddr_storage *ss = NULL;
	uint8_t prefix = 0;

	/* Source prefix 0: the resolver asks not to use client information. */
	if (qdata->ecs != NULL && qdata->ecs->source_len > 0 &&
	    knot_edns_client_subnet_get_addr(&ecs_addr, qdata->ecs) == KNOT_EOK) {
		ss = &ecs_addr;
		prefix = qdata->ecs->source_len;
	} else {
		ss = knotd_qdata_remote_addr(qdata);
		if (ss == NULL) {
			return;
		}
		prefix = (ss->ss_family == AF_INET6) ? 128 : 32;
	}

	client->family = ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		memcpy(client->addr, ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr, 16);
		client->prefix = (prefix > 128) ? 128 : prefix;
	} else {
		memcpy(client->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		client->prefix = (prefix > 32) ? 32 : prefix;
	}
	if (entry->topo_geo && table->geo != NULL) {
		gtm_geo_lookup(table->geo, client);
	}
}

/*! The pool list serving the query (topology), setting the ECS scope. */
static const gtm_plist_t *list_of(const gtm_table_t *table, const gtm_entry_t *entry,
                                  int fam, knotd_qdata_t *qdata)
{
	const gtm_family_t *f = &entry->fam[fam];
	if (entry->topo == NULL) {
		return &f->lists[0];
	}
	gtm_client_t client;
	client_of(table, entry, qdata, &client);
	uint8_t scope = 0;
	int rule = gtm_topo_match(entry->topo, &client, &scope);
	if (qdata->ecs != NULL) {
		/* RFC 7871: scope 0 answers a source prefix of 0. */
		qdata->ecs->scope_len = (qdata->ecs->source_len > 0) ? scope : 0;
	}
	size_t t = (size_t)(rule + 1);
	return (t < f->list_count) ? &f->lists[t] : &f->lists[0];
}

/*! Answered candidates as a last-good value (pool key high, mask low). */
static uint64_t last_good_value(const gtm_fpool_t *fp, const uint16_t *idx,
                                size_t count)
{
	uint32_t mask = 0;
	for (size_t i = 0; i < count; i++) {
		if (idx[i] < 32) {
			mask |= UINT32_C(1) << idx[i];
		}
	}
	return (mask == 0) ? 0 : ((fp->key & 0xffffffff00000000ull) | mask);
}

/*!
 * All-down 'last-good': the remembered candidates, if their pool is still
 * in a list of the name and the remembered ones still exist.
 */
static bool last_good(const gtm_family_t *f, decision_t *d)
{
	uint64_t v = (f->last_good != NULL) ? gtm_memo_load(f->last_good) : 0;
	if (v == 0) {
		return false;
	}
	for (size_t t = 0; t < f->list_count; t++) {
		for (size_t p = 0; p < f->lists[t].count; p++) {
			const gtm_fpool_t *fp = &f->lists[t].pools[p];
			if ((fp->key >> 32) != (v >> 32)) {
				continue;
			}
			d->count = 0;
			for (uint16_t i = 0; i < fp->view.n && i < 32; i++) {
				if (v & (UINT64_C(1) << i)) {
					d->idx[d->count++] = i;
				}
			}
			if (d->count == 0) {
				return false;
			}
			if (fp->conf->is_cname) {
				d->count = 1; /* One CNAME only. */
			}
			d->pool = fp;
			d->kind = fp->conf->is_cname ? ANS_CNAME : ANS_RRSET;
			return true;
		}
	}
	return false;
}

/*!
 * All-down decision of a name.
 *
 * Truth table (all-down -> decision):
 *   static                   -> PASS (outcome static)
 *   all, some address        -> every enabled address of the family
 *   all, no address          -> PASS (outcome static)
 *   last-good, remembered    -> the remembered candidates
 *   last-good, none          -> as all
 *   pool:ID, has candidates  -> that pool's policy, every candidate up
 *   pool:ID, none            -> PASS (outcome static)
 *   cname:TARGET             -> CNAME to TARGET
 *   nodata                   -> NODATA
 *   servfail                 -> SERVFAIL
 * Every answer but PASS has outcome all-down and the degraded TTL.
 */
static void all_down(const gtm_entry_t *entry, int fam, const gtm_view_t *view,
                     decision_t *d)
{
	const gtm_family_t *f = &entry->fam[fam];
	d->degraded = true;
	d->outcome = GTM_OUT_ALL_DOWN;

	switch (entry->conf->all_down) {
	case GTM_ALLDOWN_LAST_GOOD:
		if (last_good(f, d)) {
			return;
		}
		/* Nothing remembered: answer every address. */
		__attribute__((fallthrough));
	case GTM_ALLDOWN_ALL:
		if (f->all.rrs.count > 0) {
			d->kind = ANS_RRSET;
			d->fixed = &f->all;
			return;
		}
		break;
	case GTM_ALLDOWN_POOL:
		if (f->has_fallback && f->fallback.view.n > 0) {
			uint32_t rnd = (f->fallback.view.policy == GTM_APOL_ROUND_ROBIN) ?
			               rr_counter++ : rng_next();
			d->count = gtm_policy_addrs(view, &f->fallback.view, 0, rnd,
			                            d->idx, NULL);
			if (d->count > 0) {
				d->pool = &f->fallback;
				d->kind = f->fallback.conf->is_cname ? ANS_CNAME : ANS_RRSET;
				return;
			}
		}
		break;
	case GTM_ALLDOWN_CNAME:
		d->kind = ANS_CNAME;
		d->fixed = &entry->alldown_cname;
		return;
	case GTM_ALLDOWN_NODATA:
		d->kind = ANS_NODATA;
		return;
	case GTM_ALLDOWN_SERVFAIL:
		d->kind = ANS_SERVFAIL;
		return;
	default:
		break;
	}
	d->kind = ANS_PASS;
	d->outcome = GTM_OUT_STATIC;
}

/*! Decides the answer of one name and family from the current health. */
static void decide(const gtm_table_t *table, const gtm_entry_t *entry, int fam,
                   knotd_qdata_t *qdata, decision_t *d)
{
	const gtm_name_t *name = entry->conf;
	const gtm_plist_t *list = list_of(table, entry, fam, qdata);
	size_t n = (list->count > GTM_MAX_POOLS) ? GTM_MAX_POOLS : list->count;
	gtm_pool_state_t ps[GTM_MAX_POOLS];

	memset(d, 0, sizeof(*d));

	rcu_read_lock();
	const gtm_health_snap_t *snap = gtm_registry_health();
	gtm_view_t view = {
		.state = (snap != NULL) ? snap->state : NULL,
		.up_since = (snap != NULL) ? snap->up_since : NULL,
		.count = (snap != NULL) ? snap->count : 0,
		.now_ms = gtm_now_ms(),
	};

	for (size_t p = 0; p < n; p++) {
		const gtm_fpool_t *fp = &list->pools[p];
		ps[p].eligible = gtm_policy_pool_up(&view, &fp->view, &ps[p].since);
		ps[p].weight = fp->weight;
		ps[p].key = fp->key;
	}
	gtm_pool_pick_t pp;
	gtm_pool_policy_t pol = (name->pool_policy == GTM_PPOL_WEIGHTED) ?
	                        GTM_PPOL_WEIGHTED : GTM_PPOL_SEQUENCE;
	uint64_t sticky = (list->sticky != NULL) ? gtm_memo_load(list->sticky) : 0;
	int chosen = gtm_policy_pools(&view, ps, n, pol, name->preempt,
	                              name->failback_ms, sticky, rng_next(), &pp);

	gtm_addr_pick_t ap = { 0 };
	if (chosen >= 0) {
		const gtm_fpool_t *fp = &list->pools[chosen];
		uint32_t rnd = (fp->view.policy == GTM_APOL_ROUND_ROBIN) ?
		               rr_counter++ : rng_next();
		uint64_t asticky = (fp->sticky != NULL) ? gtm_memo_load(fp->sticky) : 0;
		d->count = gtm_policy_addrs(&view, &fp->view, asticky, rnd, d->idx, &ap);
		d->pool = fp;
	}
	if (d->count == 0) {
		all_down(entry, fam, &view, d);
		rcu_read_unlock();
		return;
	}
	rcu_read_unlock();

	const gtm_fpool_t *fp = d->pool;
	if (fp->conf->is_cname) {
		d->count = 1; /* One CNAME only. */
	}
	if (list->sticky != NULL && pp.sticky != 0) {
		gtm_memo_store(list->sticky, pp.sticky);
	}
	if (fp->sticky != NULL && ap.sticky != 0) {
		gtm_memo_store(fp->sticky, ap.sticky);
	}
	if (entry->fam[fam].last_good != NULL) {
		uint64_t v = last_good_value(fp, d->idx, d->count);
		if (v != 0) {
			gtm_memo_store(entry->fam[fam].last_good, v);
		}
	}
	d->degraded = pp.degraded || pp.held || ap.degraded || ap.held;
	d->outcome = d->degraded ? GTM_OUT_FAILOVER : GTM_OUT_FIRST;
	d->kind = fp->conf->is_cname ? ANS_CNAME : ANS_RRSET;
}

/*! Joins several prepared one-address answers in the query's memory pool. */
static int join(const decision_t *d, knot_mm_t *mm, knot_rrset_t *out)
{
	const gtm_fpool_t *fp = d->pool;
	size_t size = 0;
	for (size_t i = 0; i < d->count; i++) {
		size += knot_rdata_size(fp->single[d->idx[i]].rrs.rdata->len);
	}
	uint8_t *buf = (mm != NULL) ? mm->alloc(mm->ctx, size) : NULL;
	if (buf == NULL) {
		return KNOT_ENOMEM;
	}
	uint8_t *pos = buf;
	for (size_t i = 0; i < d->count; i++) {
		const knot_rdata_t *rd = fp->single[d->idx[i]].rrs.rdata;
		size_t len = knot_rdata_size(rd->len);
		memcpy(pos, rd, len);
		pos += len;
	}
	*out = fp->single[d->idx[0]];
	out->rrs.count = d->count;
	out->rrs.size = size;
	out->rrs.rdata = (knot_rdata_t *)buf;
	return KNOT_EOK;
}

static knotd_in_state_t put_state(int ret)
{
	switch (ret) {
	case KNOT_EOK:    return KNOTD_IN_STATE_HIT;
	case KNOT_ESPACE: return KNOTD_IN_STATE_TRUNC;
	default:          return KNOTD_IN_STATE_ERROR;
	}
}

static int family_of_qtype(uint16_t qtype)
{
	switch (qtype) {
	case KNOT_RRTYPE_A:     return GTM_FAM_A;
	case KNOT_RRTYPE_AAAA:  return GTM_FAM_AAAA;
	case KNOT_RRTYPE_CNAME: return GTM_FAM_A; /* A CNAME serves both. */
	default:                return -1;
	}
}

/*!
 * Puts a decision into the packet; follows CNAMEs to GTM names of the
 * table. 'follow' allows returning FOLLOW (pre-answer stage only).
 */
static knotd_in_state_t emit(const gtm_table_t *table, const gtm_entry_t *entry,
                             const decision_t *d, knot_pkt_t *pkt,
                             knotd_qdata_t *qdata, uint16_t hint, bool follow,
                             unsigned depth)
{
	const gtm_name_t *name = entry->conf;
	uint32_t ttl = d->degraded ? name->ttl_degraded : name->ttl;
	knot_rrset_t rr;

	switch (d->kind) {
	case ANS_SERVFAIL:
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_IN_STATE_ERROR;
	case ANS_NODATA:
		if (follow) {
			nodata_pkt = pkt; /* Finished at the answer stage. */
			return KNOTD_IN_STATE_HIT;
		}
		return KNOTD_IN_STATE_NODATA;
	case ANS_RRSET:
		if (d->fixed != NULL) {
			rr = *d->fixed;
		} else if (d->count == 1) {
			rr = d->pool->single[d->idx[0]];
		} else if (join(d, qdata->mm, &rr) != KNOT_EOK) {
			return KNOTD_IN_STATE_ERROR;
		}
		rr.ttl = ttl;
		return put_state(knot_pkt_put(pkt, hint, &rr, 0));
	case ANS_CNAME:
		rr = (d->fixed != NULL) ? *d->fixed : d->pool->single[d->idx[0]];
		rr.ttl = ttl;
		break;
	default:
		return KNOTD_IN_STATE_ERROR; /* Not reached: PASS is not emitted. */
	}

	int ret = knot_pkt_put(pkt, hint, &rr, 0);
	if (ret != KNOT_EOK) {
		return put_state(ret);
	}
	uint16_t qtype = knot_pkt_qtype(qdata->query);
	if (qtype == KNOT_RRTYPE_CNAME) {
		return KNOTD_IN_STATE_HIT;
	}

	const knot_dname_t *target = knot_cname_name(rr.rrs.rdata);
	int fam = family_of_qtype(qtype);
	const gtm_entry_t *next = gtm_table_find(table, target);
	if (next != NULL && fam >= 0 && next->fam[fam].served &&
	    depth < GTM_CHAIN_MAX) {
		decision_t nd;
		decide(table, next, fam, qdata, &nd);
		if (nd.kind != ANS_PASS) {
			return emit(table, next, &nd, pkt, qdata, KNOT_COMPR_HINT_NONE,
			            follow, depth + 1);
		}
	}
	if (!follow) {
		return KNOTD_IN_STATE_HIT; /* The resolver continues the chain. */
	}
	qdata->name = target; /* Knot continues the chain in the zone. */
	return KNOTD_IN_STATE_FOLLOW;
}

knotd_in_state_t gtm_answer_query(const gtm_table_t *table, knotd_in_state_t state,
                                  knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  gtm_outcome_t *outcome)
{
	*outcome = GTM_OUT_PASS;
	nodata_pkt = NULL; /* Packets are reused: forget an unfinished one. */

	uint16_t qtype = knot_pkt_qtype(qdata->query);
	int fam = family_of_qtype(qtype);
	const knot_dname_t *qname = knot_pkt_qname(qdata->query);
	if (fam < 0 || qname == NULL) {
		return state;
	}
	const gtm_entry_t *entry = gtm_table_find(table, qname);
	if (entry == NULL || !entry->fam[fam].served) {
		return state;
	}

	decision_t d;
	decide(table, entry, fam, qdata, &d);
	if (qtype == KNOT_RRTYPE_CNAME && d.kind != ANS_CNAME) {
		return state; /* Addresses: the zone answers the CNAME query. */
	}
	*outcome = d.outcome;
	if (d.kind == ANS_PASS) {
		return state;
	}
	knotd_in_state_t next = emit(table, entry, &d, pkt, qdata,
	                             KNOT_COMPR_HINT_QNAME, true, 0);
	if (next == KNOTD_IN_STATE_HIT || next == KNOTD_IN_STATE_FOLLOW) {
		knot_wire_set_aa(pkt->wire);
	}
	return next;
}

/*!
 * Removes the records of an owner from the end of the answer section.
 *
 * \return False if the owner also has records before the trailing run (the
 *         packet is then left untouched).
 */
static bool trim_owner(knot_pkt_t *pkt, const knot_dname_t *owner)
{
	if (pkt->current != KNOT_ANSWER) {
		return false;
	}
	knot_pktsection_t *sec = &pkt->sections[KNOT_ANSWER];
	uint16_t end = sec->pos + sec->count;
	uint16_t first = end;
	while (first > sec->pos && knot_dname_is_case_equal(pkt->rr[first - 1].owner, owner)) {
		first--;
	}
	for (uint16_t i = sec->pos; i < first; i++) {
		if (knot_dname_is_case_equal(pkt->rr[i].owner, owner)) {
			return false;
		}
	}
	if (first == end) {
		return true;
	}

	uint16_t removed = 0;
	for (uint16_t i = first; i < end; i++) {
		removed += pkt->rr[i].rrs.count;
		if (pkt->rr_info[i].flags & KNOT_PF_FREE) {
			knot_rrset_clear(&pkt->rr[i], &pkt->mm);
		}
	}
	pkt->size = pkt->rr_info[first].pos;
	pkt->rrset_count = first;
	sec->count = first - sec->pos;
	knot_wire_set_ancount(pkt->wire, knot_wire_get_ancount(pkt->wire) - removed);
	return true;
}

knotd_in_state_t gtm_answer_chain(const gtm_table_t *table, knotd_in_state_t state,
                                  knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  gtm_outcome_t *outcome)
{
	*outcome = GTM_OUT_PASS;

	if (nodata_pkt == pkt) {
		nodata_pkt = NULL;
		return KNOTD_IN_STATE_NODATA;
	}
	if (state != KNOTD_IN_STATE_HIT && state != KNOTD_IN_STATE_NODATA &&
	    state != KNOTD_IN_STATE_MISS) {
		return state;
	}
	uint16_t qtype = knot_pkt_qtype(qdata->query);
	const knot_dname_t *qname = knot_pkt_qname(qdata->query);
	if ((qtype != KNOT_RRTYPE_A && qtype != KNOT_RRTYPE_AAAA) ||
	    qdata->name == NULL || qname == NULL ||
	    knot_dname_is_case_equal(qdata->name, qname)) {
		return state;
	}

	knot_dname_storage_t last;
	knot_dname_copy_lower(last, qdata->name);
	const gtm_entry_t *entry = gtm_table_find(table, last);
	int fam = (qtype == KNOT_RRTYPE_A) ? GTM_FAM_A : GTM_FAM_AAAA;
	if (entry == NULL || !entry->fam[fam].served) {
		return state;
	}

	decision_t d;
	decide(table, entry, fam, qdata, &d);
	*outcome = d.outcome;
	if (d.kind == ANS_PASS || !trim_owner(pkt, entry->owner)) {
		return state;
	}
	return emit(table, entry, &d, pkt, qdata, KNOT_COMPR_HINT_NONE, false, 0);
}
