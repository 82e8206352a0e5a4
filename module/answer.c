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
#include "ops.h"
#include "registry.h"

/*! Longest chain of GTM names answered by the module in one response. */
#define GTM_CHAIN_MAX	8

/*! A packet whose all-down 'nodata' is finished at the answer stage. */
static __thread const knot_pkt_t *nodata_pkt;

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

/*!
 * Decides the answer of one name and family for a query.
 *
 * Truth table:
 *   snapshot stale (watchdog) and stale-policy static -> PASS (static)
 *   otherwise -> gtm_select() with the query's client (topology names
 *       only), remembered choices stored; ECS scope set for topology names
 *       (0 when the query's source prefix is 0)
 */
static void decide(const gtm_table_t *table, const gtm_entry_t *entry, int fam,
                   knotd_qdata_t *qdata, gtm_decision_t *d)
{
	gtm_client_t client;
	const gtm_client_t *cp = NULL;
	if (entry->topo != NULL) {
		client_of(table, entry, qdata, &client);
		cp = &client;
	}

	rcu_read_lock();
	const gtm_health_snap_t *snap = gtm_registry_health();
	gtm_view_t view = {
		.state = (snap != NULL) ? snap->state : NULL,
		.up_since = (snap != NULL) ? snap->up_since : NULL,
		.count = (snap != NULL) ? snap->count : 0,
		.now_ms = gtm_now_ms_coarse(),
	};
	bool stale = (snap != NULL) &&
	             gtm_watchdog_stale(table->mod, view.now_ms, snap->published_ms);
	if (stale && gtm_watchdog_policy() == GTM_STALE_STATIC) {
		rcu_read_unlock();
		memset(d, 0, sizeof(*d));
		d->kind = GTM_ANS_PASS;
		d->outcome = GTM_OUT_STATIC;
		d->stale = true;
		return;
	}
	gtm_select(entry, fam, &view, cp, true, d, NULL);
	rcu_read_unlock();
	d->stale = stale;

	if (cp != NULL && qdata->ecs != NULL) {
		/* RFC 7871: scope 0 answers a source prefix of 0. */
		qdata->ecs->scope_len = (qdata->ecs->source_len > 0) ? d->scope : 0;
	}
}

/*! Joins several prepared one-address answers in the query's memory pool. */
static int join(const gtm_decision_t *d, knot_mm_t *mm, knot_rrset_t *out)
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
                             const gtm_decision_t *d, knot_pkt_t *pkt,
                             knotd_qdata_t *qdata, uint16_t hint, bool follow,
                             unsigned depth)
{
	const gtm_name_t *name = entry->conf;
	uint32_t ttl = d->degraded ? name->ttl_degraded : name->ttl;
	knot_rrset_t rr;

	switch (d->kind) {
	case GTM_ANS_SERVFAIL:
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_IN_STATE_ERROR;
	case GTM_ANS_NODATA:
		if (follow) {
			nodata_pkt = pkt; /* Finished at the answer stage. */
			return KNOTD_IN_STATE_HIT;
		}
		return KNOTD_IN_STATE_NODATA;
	case GTM_ANS_RRSET:
		if (d->fixed != NULL) {
			rr = *d->fixed;
		} else if (d->count == 1) {
			rr = d->pool->single[d->idx[0]];
		} else if (join(d, qdata->mm, &rr) != KNOT_EOK) {
			return KNOTD_IN_STATE_ERROR;
		}
		rr.ttl = ttl;
		return put_state(knot_pkt_put(pkt, hint, &rr, 0));
	case GTM_ANS_CNAME:
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
		gtm_decision_t nd;
		decide(table, next, fam, qdata, &nd);
		if (nd.kind != GTM_ANS_PASS) {
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

/*! Notes what answered, for the statistics. */
static void answered(gtm_answered_t *done, const gtm_entry_t *entry,
                     const gtm_decision_t *d)
{
	done->outcome = d->outcome;
	done->entry = entry;
	done->stale = d->stale;
	if (d->pool != NULL && d->count > 0) {
		done->pool = d->pool;
		done->cand = d->idx[0];
	}
}

knotd_in_state_t gtm_answer_query(const gtm_table_t *table, knotd_in_state_t state,
                                  knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  gtm_answered_t *done)
{
	*done = (gtm_answered_t){ .outcome = GTM_OUT_PASS, .cand = -1 };
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

	gtm_decision_t d;
	decide(table, entry, fam, qdata, &d);
	if (qtype == KNOT_RRTYPE_CNAME && d.kind != GTM_ANS_CNAME) {
		return state; /* Addresses: the zone answers the CNAME query. */
	}
	answered(done, entry, &d);
	if (d.kind == GTM_ANS_PASS) {
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
                                  gtm_answered_t *done)
{
	*done = (gtm_answered_t){ .outcome = GTM_OUT_PASS, .cand = -1 };

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
	    qdata->name == NULL || qname == NULL || qdata->name == qname ||
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

	gtm_decision_t d;
	decide(table, entry, fam, qdata, &d);
	answered(done, entry, &d);
	if (d.kind == GTM_ANS_PASS || !trim_owner(pkt, entry->owner)) {
		return state;
	}
	return emit(table, entry, &d, pkt, qdata, KNOT_COMPR_HINT_NONE, false, 0);
}
