/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"
#include "tables.h"

/*! Membership of a table in the list. */
struct gtm_table_list {
	gtm_table_t *table;
	struct gtm_table_list *next;
};

/*! Lock order: the registry lock may be held when this one is taken
 *  (prober), never the other way round. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct gtm_table_list *head;

const char *gtm_eval_kind_str(gtm_eval_kind_t kind)
{
	switch (kind) {
	case GTM_EVAL_ADDRESS:  return "address";
	case GTM_EVAL_CNAME:    return "cname";
	case GTM_EVAL_ALL_DOWN: return "all-down";
	case GTM_EVAL_NODATA:   return "nodata";
	case GTM_EVAL_SERVFAIL: return "servfail";
	default:                return "static";
	}
}

int gtm_tables_add(gtm_table_t *table)
{
	struct gtm_table_list *item = calloc(1, sizeof(*item));
	if (item == NULL) {
		return KNOT_ENOMEM;
	}
	item->table = table;
	pthread_mutex_lock(&lock);
	item->next = head;
	head = item;
	table->list = item;
	pthread_mutex_unlock(&lock);
	return KNOT_EOK;
}

void gtm_tables_remove(gtm_table_t *table)
{
	if (table == NULL || table->list == NULL) {
		return;
	}
	pthread_mutex_lock(&lock);
	for (struct gtm_table_list **it = &head; *it != NULL; it = &(*it)->next) {
		if (*it == table->list) {
			*it = table->list->next;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	free(table->list);
	table->list = NULL;
}

static gtm_eval_kind_t eval_kind(const gtm_decision_t *d)
{
	switch (d->kind) {
	case GTM_ANS_RRSET:
		return d->all_down ? GTM_EVAL_ALL_DOWN : GTM_EVAL_ADDRESS;
	case GTM_ANS_CNAME:
		return d->all_down ? GTM_EVAL_ALL_DOWN : GTM_EVAL_CNAME;
	case GTM_ANS_NODATA:
		return GTM_EVAL_NODATA;
	case GTM_ANS_SERVFAIL:
		return GTM_EVAL_SERVFAIL;
	default:
		return GTM_EVAL_STATIC;
	}
}

/*! Sums an entry's answers over the threads. */
static void entry_answers(const gtm_table_t *table, size_t e, uint64_t *out)
{
	memset(out, 0, GTM_EVAL_OUT_COUNT * sizeof(*out));
	if (table->answers == NULL) {
		return;
	}
	for (unsigned t = 0; t < table->threads; t++) {
		const uint64_t *c = table->answers +
		                    ((size_t)t * table->count + e) * GTM_EVAL_OUT_COUNT;
		for (int o = 0; o < GTM_EVAL_OUT_COUNT; o++) {
			out[o] += __atomic_load_n(&c[o], __ATOMIC_RELAXED);
		}
	}
}

static void eval_table(const gtm_table_t *table, const gtm_view_t *view,
                       gtm_name_eval_cb cb, void *ctx)
{
	char zone[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	(void)knot_dname_to_str(zone, knotd_mod_zone(table->mod), sizeof(zone));

	for (size_t e = 0; e < table->count; e++) {
		const gtm_entry_t *entry = &table->entries[e];
		char name[KNOT_DNAME_TXT_MAXLEN + 1] = "";
		(void)knot_dname_to_str(name, entry->owner, sizeof(name));
		for (int fam = 0; fam < GTM_FAM_COUNT; fam++) {
			if (!entry->fam[fam].served) {
				continue;
			}
			gtm_decision_t d;
			char why[1024] = "";
			char answer[2048];
			gtm_trace_t trace = { why, sizeof(why), 0 };
			gtm_select(entry, fam, view, NULL, false, &d, &trace);
			gtm_decision_answer(&d, answer, sizeof(answer));

			gtm_name_eval_t eval = {
				.name = name,
				.zone = zone,
				.family = (fam == GTM_FAM_AAAA) ? "AAAA" : "A",
				.kind = eval_kind(&d),
				.answer = answer,
				.pool = (d.pool != NULL) ? d.pool->conf->id : "",
				.degraded = d.degraded,
				.all_down = d.all_down,
				.why = why,
			};
			entry_answers(table, e, eval.answers);
			cb(&eval, ctx);
		}
	}
}

void gtm_tables_eval(const gtm_view_t *view, gtm_name_eval_cb cb, void *ctx)
{
	pthread_mutex_lock(&lock);
	for (struct gtm_table_list *it = head; it != NULL; it = it->next) {
		eval_table(it->table, view, cb, ctx);
	}
	pthread_mutex_unlock(&lock);
}
