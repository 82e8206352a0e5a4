/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Prometheus textfile (node_exporter textfile collector): target,
 *        name, prober and webhook metrics in the text exposition format,
 *        written with the state file.
 *
 * Each metric family is written in one block (HELP, TYPE, samples). A
 * target reference is one series; references with equal labels (two
 * instances during a reload, or two targets of one entry across a change
 * of its check) give one series, the first by slot.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "webhook.h"

/*! One series of the target metrics. */
typedef struct {
	const gtm_target_t *t;
	const gtm_ref_t *ref;
	size_t labels;               /*!< Offset of its label text. */
} series_t;

static int series_cmp(const void *a, const void *b)
{
	const series_t *sa = a, *sb = b;
	int c = strcmp(sa->ref->name, sb->ref->name);
	if (c == 0) {
		c = strcmp(sa->ref->pool, sb->ref->pool);
	}
	if (c == 0) {
		c = strcmp(sa->ref->address, sb->ref->address);
	}
	if (c == 0) {
		c = strcmp(sa->ref->check, sb->ref->check);
	}
	if (c == 0) {
		c = (sa->t->slot < sb->t->slot) ? -1 : (sa->t->slot > sb->t->slot);
	}
	return c;
}

static bool same_labels(const series_t *a, const series_t *b)
{
	return strcmp(a->ref->name, b->ref->name) == 0 &&
	       strcmp(a->ref->pool, b->ref->pool) == 0 &&
	       strcmp(a->ref->address, b->ref->address) == 0 &&
	       strcmp(a->ref->check, b->ref->check) == 0;
}

static void label(gtm_sbuf_t *b, const char *key, const char *value, bool comma)
{
	gtm_sbuf_printf(b, "%s%s=\"", comma ? "," : "", key);
	gtm_sbuf_prom(b, value);
	gtm_sbuf_put(b, "\"", 1);
}

static void family(gtm_sbuf_t *b, const char *name, const char *type, const char *help)
{
	gtm_sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*! Metric values of one series. */
enum {
	M_UP = 0,
	M_REAL,
	M_FORCED,
	M_DURATION,
	M_CHECKS,
	M_CHANGES,
	M_COUNT
};

static void sample(gtm_sbuf_t *b, const char *name, const char *labels,
                   const char *extra, const char *value)
{
	gtm_sbuf_printf(b, "%s{%s%s} %s\n", name, labels, extra, value);
}

static void series_metric(gtm_sbuf_t *b, const series_t *s, const char *labels, int m)
{
	const gtm_target_t *t = s->t;
	char value[64], extra[64];
	switch (m) {
	case M_UP:
		sample(b, "gtm_target_up", labels, "",
		       (gtm_target_effective(t) == GTM_HEALTH_DOWN) ? "0" : "1");
		break;
	case M_REAL:
		sample(b, "gtm_target_real_up", labels, "",
		       (t->sm.state == GTM_HEALTH_UP) ? "1" :
		       (t->sm.state == GTM_HEALTH_DOWN) ? "0" : "-1");
		break;
	case M_FORCED:
		if (t->force != GTM_FORCE_NONE) {
			snprintf(extra, sizeof(extra), ",mode=\"%s\"", gtm_force_str(t->force));
			sample(b, "gtm_target_forced", labels, extra, "1");
		}
		break;
	case M_DURATION:
		if (t->stats.checks > 0) {
			snprintf(value, sizeof(value), "%u.%06u", t->stats.latency_us / 1000000,
			         t->stats.latency_us % 1000000);
			sample(b, "gtm_target_check_duration_seconds", labels, "", value);
		}
		break;
	case M_CHECKS:
		snprintf(value, sizeof(value), "%llu", (unsigned long long)t->stats.successes);
		sample(b, "gtm_target_checks_total", labels, ",result=\"success\"", value);
		snprintf(value, sizeof(value), "%llu", (unsigned long long)t->stats.failures);
		sample(b, "gtm_target_checks_total", labels, ",result=\"failure\"", value);
		break;
	default:
		snprintf(value, sizeof(value), "%llu", (unsigned long long)t->stats.changes);
		sample(b, "gtm_target_state_changes_total", labels, "", value);
		break;
	}
}

void gtm_prom_targets(gtm_sbuf_t *b)
{
	static const struct {
		const char *name, *type, *help;
	} metrics[M_COUNT] = {
		{ "gtm_target_up", "gauge",
		  "Effective health of a target reference (1 up, 0 down)." },
		{ "gtm_target_real_up", "gauge",
		  "Health of a target from its probes (1 up, 0 down, -1 unknown)." },
		{ "gtm_target_forced", "gauge",
		  "Admin override of a target in force (mode up, down or drain)." },
		{ "gtm_target_check_duration_seconds", "gauge",
		  "Duration of the last check of a target." },
		{ "gtm_target_checks_total", "counter",
		  "Check results of a target by result." },
		{ "gtm_target_state_changes_total", "counter",
		  "Health state changes of a target from its probes." },
	};

	size_t count = 0;
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		count += (t != NULL) ? t->ref_count : 0;
	}
	series_t *series = calloc(count + 1, sizeof(*series));
	if (series == NULL) {
		b->failed = true;
		return;
	}
	size_t n = 0;
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		for (uint32_t i = 0; t != NULL && i < t->ref_count; i++) {
			series[n++] = (series_t){ .t = t, .ref = &t->refs[i] };
		}
	}
	qsort(series, n, sizeof(*series), series_cmp);

	/* Label texts of the unique series, one after another. */
	gtm_sbuf_t labels = { 0 };
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (kept > 0 && same_labels(&series[kept - 1], &series[i])) {
			continue;
		}
		series[kept] = series[i];
		series[kept].labels = labels.len;
		label(&labels, "name", series[i].ref->name, false);
		label(&labels, "pool", series[i].ref->pool, true);
		label(&labels, "address", series[i].ref->address, true);
		label(&labels, "check", series[i].ref->check, true);
		gtm_sbuf_put(&labels, "", 1); /* Keeps the NUL in the text. */
		kept++;
	}

	for (int m = 0; m < M_COUNT && !labels.failed; m++) {
		family(b, metrics[m].name, metrics[m].type, metrics[m].help);
		for (size_t i = 0; i < kept; i++) {
			series_metric(b, &series[i], labels.data + series[i].labels, m);
		}
	}
	b->failed |= labels.failed;
	gtm_sbuf_free(&labels);
	free(series);
}

static const char *outcome_names[GTM_EVAL_OUT_COUNT] = {
	[GTM_EVAL_OUT_FIRST] = "first",
	[GTM_EVAL_OUT_FAILOVER] = "failover",
	[GTM_EVAL_OUT_ALL_DOWN] = "all-down",
	[GTM_EVAL_OUT_STATIC] = "static",
};

/*!
 * Answers of a name (names sorted by zone, name): the evaluations of its
 * families carry the same per-name counts, the largest is taken.
 */
static void answers(gtm_sbuf_t *b, const gtm_names_t *names)
{
	for (size_t i = 0; i < names->count; ) {
		const gtm_name_rec_t *r = &names->v[i];
		uint64_t count[GTM_EVAL_OUT_COUNT] = { 0 };
		size_t j = i;
		for (; j < names->count && strcmp(names->v[j].zone, r->zone) == 0 &&
		       strcmp(names->v[j].name, r->name) == 0; j++) {
			for (int o = 0; o < GTM_EVAL_OUT_COUNT; o++) {
				if (names->v[j].answers[o] > count[o]) {
					count[o] = names->v[j].answers[o];
				}
			}
		}
		for (int o = 0; o < GTM_EVAL_OUT_COUNT; o++) {
			gtm_sbuf_put(b, "gtm_answers_total{", 18);
			label(b, "zone", r->zone, false);
			label(b, "name", r->name, true);
			gtm_sbuf_printf(b, ",outcome=\"%s\"} %llu\n", outcome_names[o],
			                (unsigned long long)count[o]);
		}
		i = j;
	}
}

static void timestamp(gtm_sbuf_t *b, const char *name, uint64_t unix_ms)
{
	gtm_sbuf_printf(b, "%s %llu.%03u\n", name, (unsigned long long)(unix_ms / 1000),
	                (unsigned)(unix_ms % 1000));
}

void gtm_prom_rest(gtm_sbuf_t *b, const gtm_names_t *names,
                   const gtm_prom_info_t *info)
{
	family(b, "gtm_name_all_down", "gauge",
	       "Whether no pool of a name is eligible for a family (1 all down).");
	for (size_t i = 0; i < names->count; i++) {
		const gtm_name_rec_t *r = &names->v[i];
		/* One series per name and family (the first zone if several). */
		if (i > 0 && strcmp(names->v[i - 1].name, r->name) == 0 &&
		    strcmp(names->v[i - 1].family, r->family) == 0) {
			continue;
		}
		gtm_sbuf_put(b, "gtm_name_all_down{", 18);
		label(b, "name", r->name, false);
		label(b, "family", r->family, true);
		gtm_sbuf_printf(b, "} %d\n", r->all_down ? 1 : 0);
	}

	family(b, "gtm_answers_total", "counter",
	       "Answers of a name by outcome since its instance was loaded.");
	answers(b, names);

	family(b, "gtm_prober_last_publish_timestamp_seconds", "gauge",
	       "Time of the last health publication of the prober.");
	timestamp(b, "gtm_prober_last_publish_timestamp_seconds", info->published_wall_ms);
	family(b, "gtm_prober_stale", "gauge",
	       "Whether the prober has not published for stale-after (1 stale).");
	gtm_sbuf_printf(b, "gtm_prober_stale %d\n", info->stale ? 1 : 0);

	gtm_webhook_stats_t hook = { 0 };
	gtm_webhook_stats(&hook);
	family(b, "gtm_webhook_deliveries_total", "counter",
	       "Alert webhook deliveries by result.");
	gtm_sbuf_printf(b, "gtm_webhook_deliveries_total{result=\"ok\"} %llu\n"
	                "gtm_webhook_deliveries_total{result=\"failed\"} %llu\n"
	                "gtm_webhook_deliveries_total{result=\"dropped\"} %llu\n",
	                (unsigned long long)hook.ok, (unsigned long long)hook.failed,
	                (unsigned long long)hook.dropped);

	family(b, "gtm_state_file_timestamp_seconds", "gauge",
	       "Time this file and the state file were written.");
	timestamp(b, "gtm_state_file_timestamp_seconds", info->written_wall_ms);
}
