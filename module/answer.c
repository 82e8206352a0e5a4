/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "answer.h"
#include "policy.h"
#include "registry.h"

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

int gtm_answer(const gtm_table_t *table, knot_pkt_t *pkt, knotd_qdata_t *qdata,
               gtm_outcome_t *outcome)
{
	*outcome = GTM_OUT_PASS;

	uint16_t qtype = knot_pkt_qtype(qdata->query);
	int fam;
	if (qtype == KNOT_RRTYPE_A) {
		fam = GTM_FAM_A;
	} else if (qtype == KNOT_RRTYPE_AAAA) {
		fam = GTM_FAM_AAAA;
	} else {
		return KNOT_EOK;
	}

	const knot_dname_t *qname = knot_pkt_qname(qdata->query);
	if (qname == NULL) {
		return KNOT_EOK;
	}
	const gtm_entry_t *entry = gtm_table_find(table, qname);
	if (entry == NULL || entry->fam[fam].count == 0) {
		return KNOT_EOK;
	}
	const gtm_family_t *f = &entry->fam[fam];

	rcu_read_lock();
	const gtm_health_snap_t *snap = gtm_registry_health();
	int chosen = -1;
	gtm_select_t sel = gtm_policy_sequence(snap ? snap->state : NULL,
	                                       snap ? snap->count : 0,
	                                       f->slots, f->count, &chosen);
	rcu_read_unlock();

	const knot_rrset_t *rr;
	switch (sel) {
	case GTM_SELECT_FIRST:
		*outcome = GTM_OUT_FIRST;
		rr = &f->single[chosen];
		break;
	case GTM_SELECT_FAILOVER:
		*outcome = GTM_OUT_FAILOVER;
		rr = &f->single[chosen];
		break;
	default:
		if (entry->conf->all_down != GTM_ALLDOWN_ALL) {
			*outcome = GTM_OUT_STATIC;
			return KNOT_EOK;
		}
		*outcome = GTM_OUT_ALL_DOWN;
		rr = &f->all;
		break;
	}

	return knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, rr, 0);
}
