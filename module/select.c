/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "select.h"

/*! Per-thread random state and round-robin counter (no shared writes). */
static __thread uint64_t rng_state;
static __thread uint32_t rr_counter;

static uint32_t rng_next(void)
{
	if (rng_state == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rng_state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		            (uint64_t)(uintptr_t)&rng_state;
		rng_state |= 1;
	}
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/*! Random number for a pool's policy: a counter rotates round-robin. */
static uint32_t pool_rnd(const gtm_fpool_t *fp)
{
	return (fp->view.policy == GTM_APOL_ROUND_ROBIN) ? rr_counter++ : rng_next();
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

__attribute__((format(printf, 2, 3)))
static void trace_add(gtm_trace_t *trace, const char *fmt, ...)
{
	if (trace == NULL || trace->buf == NULL || trace->pos + 1 >= trace->len) {
		return;
	}
	if (trace->pos > 0) {
		int n = snprintf(trace->buf + trace->pos, trace->len - trace->pos, "; ");
		trace->pos += (n > 0) ? (size_t)n : 0;
		if (trace->pos >= trace->len) {
			trace->pos = trace->len - 1;
			return;
		}
	}
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(trace->buf + trace->pos, trace->len - trace->pos, fmt, args);
	va_end(args);
	trace->pos += (n > 0) ? (size_t)n : 0;
	if (trace->pos >= trace->len) {
		trace->pos = trace->len - 1;
	}
}

/*! Text of candidate i of a pool (address, or CNAME target). */
static void cand_str(const gtm_fpool_t *fp, uint16_t i, char *out, size_t len)
{
	const knot_rrset_t *rr = &fp->single[i];
	const knot_rdata_t *rd = rr->rrs.rdata;
	out[0] = '\0';
	if (rr->type == KNOT_RRTYPE_CNAME) {
		(void)knot_dname_to_str(out, knot_cname_name(rd), len);
	} else {
		(void)inet_ntop((rd->len == 16) ? AF_INET6 : AF_INET, rd->data, out, len);
	}
}

static const char *policy_str(gtm_addr_policy_t policy)
{
	switch (policy) {
	case GTM_APOL_ROUND_ROBIN: return "round-robin";
	case GTM_APOL_WEIGHTED:    return "weighted";
	case GTM_APOL_ALL:         return "all";
	default:                   return "sequence";
	}
}

/*! Trace line of one pool: candidates up, eligibility, hold-down. */
static void trace_pool(gtm_trace_t *trace, const gtm_view_t *view,
                       const gtm_fpool_t *fp, const gtm_pool_state_t *ps,
                       uint32_t failback_ms)
{
	if (trace == NULL) {
		return;
	}
	char down[256] = "";
	size_t pos = 0;
	uint16_t up = 0;
	for (uint16_t i = 0; i < fp->view.n; i++) {
		uint64_t since;
		if (gtm_policy_cand_up(view, &fp->view, i, &since)) {
			up++;
		} else if (pos + 1 < sizeof(down)) {
			char a[KNOT_DNAME_TXT_MAXLEN + 1];
			cand_str(fp, i, a, sizeof(a));
			int n = snprintf(down + pos, sizeof(down) - pos, "%s%s",
			                 (pos > 0) ? " " : "", a);
			pos += (n > 0) ? (size_t)n : 0;
		}
	}
	if (fp->view.n == 0) {
		trace_add(trace, "pool %s: no entry of this family", fp->conf->id);
		return;
	}
	const char *state = ps->eligible ? "eligible" : "not eligible";
	char held[64] = "";
	if (ps->eligible && ps->since != 0 && failback_ms > 0 &&
	    view->now_ms - ps->since < failback_ms) {
		(void)snprintf(held, sizeof(held), ", held (up %llums of %ums)",
		               (unsigned long long)(view->now_ms - ps->since),
		               failback_ms);
	}
	trace_add(trace, "pool %s: %u/%u up, min-available %u, %s%s%s%s",
	          fp->conf->id, up, fp->view.n, fp->view.min_available, state,
	          held, (down[0] != '\0') ? ", down: " : "", down);
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
static bool last_good(const gtm_family_t *f, gtm_decision_t *d)
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
			d->kind = fp->conf->is_cname ? GTM_ANS_CNAME : GTM_ANS_RRSET;
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
                     gtm_decision_t *d, gtm_trace_t *trace)
{
	const gtm_family_t *f = &entry->fam[fam];
	d->degraded = true;
	d->all_down = true;
	d->outcome = GTM_OUT_ALL_DOWN;

	switch (entry->conf->all_down) {
	case GTM_ALLDOWN_LAST_GOOD:
		if (last_good(f, d)) {
			trace_add(trace, "all down: last-good answer of pool %s",
			          d->pool->conf->id);
			return;
		}
		trace_add(trace, "all down: no last-good answer remembered");
		/* Nothing remembered: answer every address. */
		__attribute__((fallthrough));
	case GTM_ALLDOWN_ALL:
		if (f->all.rrs.count > 0) {
			trace_add(trace, "all down: every address");
			d->kind = GTM_ANS_RRSET;
			d->fixed = &f->all;
			return;
		}
		break;
	case GTM_ALLDOWN_POOL:
		if (f->has_fallback && f->fallback.view.n > 0) {
			d->count = gtm_policy_addrs(view, &f->fallback.view, 0,
			                            pool_rnd(&f->fallback), d->idx, NULL);
			if (d->count > 0) {
				trace_add(trace, "all down: fallback pool %s",
				          f->fallback.conf->id);
				d->pool = &f->fallback;
				d->kind = f->fallback.conf->is_cname ? GTM_ANS_CNAME :
				                                       GTM_ANS_RRSET;
				return;
			}
		}
		break;
	case GTM_ALLDOWN_CNAME:
		trace_add(trace, "all down: cname");
		d->kind = GTM_ANS_CNAME;
		d->fixed = &entry->alldown_cname;
		return;
	case GTM_ALLDOWN_NODATA:
		trace_add(trace, "all down: nodata");
		d->kind = GTM_ANS_NODATA;
		return;
	case GTM_ALLDOWN_SERVFAIL:
		trace_add(trace, "all down: servfail");
		d->kind = GTM_ANS_SERVFAIL;
		return;
	default:
		break;
	}
	trace_add(trace, "all down: the zone's records answer");
	d->kind = GTM_ANS_PASS;
	d->outcome = GTM_OUT_STATIC;
}

/*! The pool list serving a client (topology), noting rule and scope. */
static const gtm_plist_t *list_of(const gtm_entry_t *entry, int fam,
                                  const gtm_client_t *client, gtm_decision_t *d,
                                  gtm_trace_t *trace)
{
	const gtm_family_t *f = &entry->fam[fam];
	d->rule = -1;
	if (entry->topo == NULL) {
		return &f->lists[0];
	}
	if (client == NULL) {
		trace_add(trace, "topology: no client, the name's pools");
		return &f->lists[0];
	}
	d->rule = gtm_topo_match(entry->topo, client, &d->scope);
	size_t t = (size_t)(d->rule + 1);
	if (d->rule < 0 || t >= f->list_count) {
		d->rule = -1;
		trace_add(trace, "topology: no rule matches, the name's pools "
		          "(scope %u)", d->scope);
		return &f->lists[0];
	}
	trace_add(trace, "topology: rule %s matches (scope %u)",
	          entry->conf->topos[d->rule]->id, d->scope);
	return &f->lists[t];
}

void gtm_select(const gtm_entry_t *entry, int fam, const gtm_view_t *view,
                const gtm_client_t *client, bool commit, gtm_decision_t *d,
                gtm_trace_t *trace)
{
	const gtm_name_t *name = entry->conf;
	memset(d, 0, sizeof(*d));
	const gtm_plist_t *list = list_of(entry, fam, client, d, trace);
	size_t n = (list->count > GTM_MAX_POOLS) ? GTM_MAX_POOLS : list->count;
	gtm_pool_state_t ps[GTM_MAX_POOLS];

	for (size_t p = 0; p < n; p++) {
		const gtm_fpool_t *fp = &list->pools[p];
		/* The pool's up-since only matters for a pool hold-down. */
		ps[p].since = 0;
		ps[p].eligible = gtm_policy_pool_up(view, &fp->view,
		                                    (name->failback_ms > 0) ?
		                                    &ps[p].since : NULL);
		ps[p].weight = fp->weight;
		ps[p].key = fp->key;
		trace_pool(trace, view, fp, &ps[p], name->failback_ms);
	}
	gtm_pool_pick_t pp = { 0 };
	gtm_pool_policy_t pol = (name->pool_policy == GTM_PPOL_WEIGHTED) ?
	                        GTM_PPOL_WEIGHTED : GTM_PPOL_SEQUENCE;
	uint64_t sticky = (list->sticky != NULL) ? gtm_memo_load(list->sticky) : 0;
	int chosen = gtm_policy_pools(view, ps, n, pol, name->preempt,
	                              name->failback_ms, sticky, rng_next(), &pp);

	gtm_addr_pick_t ap = { 0 };
	if (chosen >= 0) {
		const gtm_fpool_t *fp = &list->pools[chosen];
		uint64_t asticky = (fp->sticky != NULL) ? gtm_memo_load(fp->sticky) : 0;
		d->count = gtm_policy_addrs(view, &fp->view, asticky, pool_rnd(fp),
		                            d->idx, &ap);
		d->pool = fp;
		trace_add(trace, "pool %s chosen (%s%s%s)", fp->conf->id,
		          (pol == GTM_PPOL_WEIGHTED) ? "weighted" : "sequence",
		          (sticky != 0 && sticky == pp.sticky) ? ", remembered" : "",
		          pp.held ? ", a better pool is held" : "");
	}
	if (d->count == 0) {
		all_down(entry, fam, view, d, trace);
		return;
	}

	const gtm_fpool_t *fp = d->pool;
	if (fp->conf->is_cname) {
		d->count = 1; /* One CNAME only. */
	}
	if (trace != NULL) {
		char first[KNOT_DNAME_TXT_MAXLEN + 1];
		cand_str(fp, d->idx[0], first, sizeof(first));
		trace_add(trace, "policy %s: %s%s%s%s", policy_str(fp->view.policy),
		          first, (d->count > 1) ? " and more" : "",
		          (ap.sticky != 0 && fp->sticky != NULL &&
		           gtm_memo_load(fp->sticky) == ap.sticky &&
		           !fp->view.preempt) ? " (remembered)" : "",
		          ap.held ? " (a better address is held)" : "");
	}
	if (commit) {
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
	}
	d->degraded = pp.degraded || pp.held || ap.degraded || ap.held;
	d->outcome = d->degraded ? GTM_OUT_FAILOVER : GTM_OUT_FIRST;
	d->kind = fp->conf->is_cname ? GTM_ANS_CNAME : GTM_ANS_RRSET;
}

void gtm_decision_answer(const gtm_decision_t *d, char *out, size_t len)
{
	size_t pos = 0;
	out[0] = '\0';
	if (d->kind != GTM_ANS_RRSET && d->kind != GTM_ANS_CNAME) {
		return;
	}
	if (d->fixed != NULL) {
		const knot_rdata_t *rd = d->fixed->rrs.rdata;
		for (uint16_t i = 0; i < d->fixed->rrs.count && pos + 1 < len; i++) {
			char a[KNOT_DNAME_TXT_MAXLEN + 1] = "";
			if (d->fixed->type == KNOT_RRTYPE_CNAME) {
				(void)knot_dname_to_str(a, knot_cname_name(rd), sizeof(a));
			} else {
				(void)inet_ntop((rd->len == 16) ? AF_INET6 : AF_INET,
				                rd->data, a, sizeof(a));
			}
			int n = snprintf(out + pos, len - pos, "%s%s", pos ? " " : "", a);
			pos += (n > 0) ? (size_t)n : 0;
			rd = knot_rdataset_next((knot_rdata_t *)rd);
		}
		return;
	}
	for (size_t i = 0; i < d->count && pos + 1 < len; i++) {
		char a[KNOT_DNAME_TXT_MAXLEN + 1];
		cand_str(d->pool, d->idx[i], a, sizeof(a));
		int n = snprintf(out + pos, len - pos, "%s%s", pos ? " " : "", a);
		pos += (n > 0) ? (size_t)n : 0;
	}
}
