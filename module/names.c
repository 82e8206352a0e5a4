/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief GTM names in the reports: their evaluation by the instances
 *        (gtm_tables_eval), their lines in the state file, and the alerts
 *        when a name goes all down or recovers.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops_int.h"
#include "webhook.h"

static char *dup(const char *s)
{
	return strdup((s != NULL) ? s : "");
}

static void rec_free(gtm_name_rec_t *r)
{
	free(r->name);
	free(r->zone);
	free(r->family);
	free(r->answer);
	free(r->pool);
	free(r->why);
}

/*! Callback of gtm_tables_eval(): copies one evaluation. */
static void collect(const gtm_name_eval_t *eval, void *ctx)
{
	gtm_names_t *names = ctx;
	if (names->count == names->cap) {
		size_t cap = (names->cap == 0) ? 64 : 2 * names->cap;
		gtm_name_rec_t *v = realloc(names->v, cap * sizeof(*v));
		if (v == NULL) {
			names->failed = true;
			return;
		}
		names->v = v;
		names->cap = cap;
	}
	gtm_name_rec_t *r = &names->v[names->count];
	*r = (gtm_name_rec_t){
		.name = dup(eval->name), .zone = dup(eval->zone),
		.family = dup(eval->family), .answer = dup(eval->answer),
		.pool = dup(eval->pool), .why = dup(eval->why),
		.kind = eval->kind, .degraded = eval->degraded,
		.all_down = eval->all_down, .order = names->count,
	};
	memcpy(r->answers, eval->answers, sizeof(r->answers));
	if (r->name == NULL || r->zone == NULL || r->family == NULL ||
	    r->answer == NULL || r->pool == NULL || r->why == NULL) {
		rec_free(r);
		names->failed = true;
		return;
	}
	names->count++;
}

static int rec_key_cmp(const gtm_name_rec_t *a, const gtm_name_rec_t *b)
{
	int c = strcasecmp(a->zone, b->zone);
	if (c == 0) {
		c = strcasecmp(a->name, b->name);
	}
	if (c == 0) {
		c = strcmp(a->family, b->family);
	}
	return c;
}

static int rec_cmp(const void *a, const void *b)
{
	const gtm_name_rec_t *ra = a, *rb = b;
	int c = rec_key_cmp(ra, rb);
	if (c == 0) {
		c = (ra->order < rb->order) ? -1 : (ra->order > rb->order);
	}
	return c;
}

void gtm_names_eval(const gtm_health_snap_t *snap, gtm_names_t *out)
{
	*out = (gtm_names_t){ 0 };
	gtm_view_t view = { .now_ms = gtm_now_ms() };
	if (snap != NULL) {
		view.state = snap->state;
		view.up_since = snap->up_since;
		view.count = snap->count;
	}
	gtm_tables_eval(&view, collect, out);

	/* Sorted by key; of equal keys (two instances during a reload) the
	 * first evaluated stays (instances are listed newest first). */
	if (out->count > 1) {
		qsort(out->v, out->count, sizeof(*out->v), rec_cmp);
	}
	size_t kept = 0;
	for (size_t i = 0; i < out->count; i++) {
		if (kept > 0 && rec_key_cmp(&out->v[kept - 1], &out->v[i]) == 0) {
			rec_free(&out->v[i]);
			continue;
		}
		out->v[kept++] = out->v[i];
	}
	out->count = kept;
}

void gtm_names_free(gtm_names_t *names)
{
	for (size_t i = 0; i < names->count; i++) {
		rec_free(&names->v[i]);
	}
	free(names->v);
	*names = (gtm_names_t){ 0 };
}

void gtm_names_json(gtm_sbuf_t *b, const gtm_names_t *names)
{
	for (size_t i = 0; i < names->count; i++) {
		const gtm_name_rec_t *r = &names->v[i];
		gtm_sbuf_put(b, "  {\"name\": ", 11);
		gtm_sbuf_json(b, r->name);
		gtm_sbuf_put(b, ", \"zone\": ", 10);
		gtm_sbuf_json(b, r->zone);
		gtm_sbuf_put(b, ", \"family\": ", 12);
		gtm_sbuf_json(b, r->family);
		gtm_sbuf_put(b, ", \"kind\": ", 10);
		gtm_sbuf_json(b, gtm_eval_kind_str(r->kind));
		gtm_sbuf_put(b, ", \"answer\": [", 13);
		/* Space-separated addresses (or one CNAME target). */
		const char *p = r->answer;
		bool first = true;
		while (*p != '\0') {
			size_t len = strcspn(p, " ");
			if (len > 0) {
				char item[1024];
				snprintf(item, sizeof(item), "%.*s", (int)len, p);
				gtm_sbuf_put(b, first ? "" : ", ", first ? 0 : 2);
				gtm_sbuf_json(b, item);
				first = false;
			}
			p += len + (p[len] == ' ');
		}
		gtm_sbuf_put(b, "], \"pool\": ", 11);
		gtm_sbuf_json(b, (r->pool[0] != '\0') ? r->pool : NULL);
		gtm_sbuf_printf(b, ", \"degraded\": %s, \"all_down\": %s, \"why\": ",
		                r->degraded ? "true" : "false",
		                r->all_down ? "true" : "false");
		gtm_sbuf_json(b, r->why);
		gtm_sbuf_put(b, (i + 1 < names->count) ? "},\n" : "}\n",
		             (i + 1 < names->count) ? 3 : 2);
	}
}

/*! An instance serving a name (one referencing a target of it), or NULL. */
static knotd_mod_t *name_mod(const char *owner)
{
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		for (uint32_t i = 0; t != NULL && i < t->ref_count; i++) {
			if (strcasecmp(t->refs[i].name, owner) == 0) {
				return t->refs[i].mod;
			}
		}
	}
	return NULL;
}

static int flag_cmp(const void *a, const void *b)
{
	return strcmp(((const gtm_name_flag_t *)a)->key, ((const gtm_name_flag_t *)b)->key);
}

static char *flag_key(const gtm_name_rec_t *r)
{
	size_t len = strlen(r->zone) + strlen(r->name) + strlen(r->family) + 3;
	char *key = malloc(len);
	if (key != NULL) {
		snprintf(key, len, "%s %s %s", r->zone, r->name, r->family);
		for (char *p = key; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z') {
				*p += 'a' - 'A';
			}
		}
	}
	return key;
}

/*!
 * Sends the alert of one name whose all-down flag changed:
 *   WARNING "OWNER FAMILY all down, answering KIND"
 *   NOTICE  "OWNER FAMILY recovered, answering ANSWER"
 */
static void alert(const gtm_name_rec_t *r)
{
	const char *kind = gtm_eval_kind_str(r->kind);
	const char *answer = (r->answer[0] != '\0') ? r->answer : kind;
	knotd_mod_t *mod = name_mod(r->name);
	if (mod != NULL && r->all_down) {
		knotd_mod_log(mod, LOG_WARNING, "%s %s all down, answering %s",
		              r->name, r->family, kind);
	} else if (mod != NULL) {
		knotd_mod_log(mod, LOG_NOTICE, "%s %s recovered, answering %s",
		              r->name, r->family, answer);
	}
	char reason[1024];
	snprintf(reason, sizeof(reason), "%s: %s", r->family, r->why);
	gtm_webhook_event(r->all_down ? "name-all-down" : "name-recovered", "name",
	                  r->name, r->all_down ? kind : answer, reason);
}

/*
 * Truth table (previous flag, new flag -> alert):
 *   none (new name), false  -> none
 *   none (new name), true   -> all down
 *   false, true             -> all down
 *   true,  false            -> recovered
 *   equal                   -> none
 * A name gone from the evaluation is forgotten without an alert.
 */
void gtm_names_alerts(const gtm_names_t *names)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	if (names->failed) {
		return; /* Incomplete: compared next time. */
	}
	gtm_name_flag_t *flags = calloc(names->count + 1, sizeof(*flags));
	if (flags == NULL) {
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < names->count; i++) {
		flags[n].key = flag_key(&names->v[i]);
		if (flags[n].key == NULL) {
			goto fail;
		}
		flags[n].all_down = names->v[i].all_down;

		const gtm_name_flag_t *prev = NULL;
		if (ops->name_count > 0) {
			prev = bsearch(&flags[n], ops->names, ops->name_count,
			               sizeof(*ops->names), flag_cmp);
		}
		bool before = (prev != NULL) ? prev->all_down : false;
		if (before != flags[n].all_down) {
			alert(&names->v[i]);
		}
		n++;
	}
	qsort(flags, n, sizeof(*flags), flag_cmp);

	for (size_t i = 0; i < ops->name_count; i++) {
		free(ops->names[i].key);
	}
	free(ops->names);
	ops->names = flags;
	ops->name_count = n;
	return;
fail:
	for (size_t i = 0; i < n; i++) {
		free(flags[i].key);
	}
	free(flags);
}
