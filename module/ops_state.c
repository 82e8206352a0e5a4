/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Operations settings and the state file (warm restart: warm.c).
 *
 * The prober writes the state file (JSON, one target per line) and the
 * Prometheus file after a publication that changed something and at least
 * every state-interval, each by write + rename. Target lines are built
 * under the registry lock; the names are evaluated and the files written
 * without it.
 *
 * knotd unloads every zone at shutdown, and the last state file must
 * still carry their targets for the next start: a removed target stays
 * among the targets (its last line) for GTM_LINGER_MS, and then in the
 * "retired" array (key, state, since) for state-max-age, where the warm
 * restart finds it too.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memo.h"
#include "ops_int.h"
#include "webhook.h"

static void target_line(gtm_sbuf_t *b, const gtm_target_t *t);

static void retired_drop(gtm_ops_t *ops, size_t i)
{
	free(ops->retired[i].line);
	memmove(&ops->retired[i], &ops->retired[i + 1],
	        (ops->retired_count - i - 1) * sizeof(*ops->retired));
	ops->retired_count--;
}

void gtm_ops_target_new(gtm_target_t *t)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	uint64_t wall = gtm_wall_ms();
	t->stats.since_wall_ms = wall;
	ops->changed = true;
	ops->targets_changed = true;
	gtm_reg.dirty = true;
	for (size_t i = 0; i < ops->retired_count; i++) {
		if (ops->retired[i].key == t->hash) {
			retired_drop(ops, i);
			break;
		}
	}
	gtm_warm_apply(ops, t, wall);
}

void gtm_ops_target_gone(const gtm_target_t *t)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	ops->targets_changed = true;
	if (ops->conf.state_file == NULL) {
		return;
	}
	if (ops->retired_count == ops->retired_cap) {
		if (ops->retired_cap >= GTM_RETIRED_MAX) {
			retired_drop(ops, 0); /* Full: the oldest goes. */
		} else {
			size_t cap = (ops->retired_cap == 0) ? 64 : 2 * ops->retired_cap;
			gtm_warm_t *more = realloc(ops->retired, cap * sizeof(*more));
			if (more == NULL) {
				return;
			}
			ops->retired = more;
			ops->retired_cap = cap;
		}
	}
	gtm_sbuf_t line = { 0 };
	target_line(&line, t);
	if (line.failed) {
		gtm_sbuf_free(&line);
	}
	ops->retired[ops->retired_count++] = (gtm_warm_t){
		.key = t->hash, .state = gtm_target_effective(t),
		.since_wall_ms = t->stats.since_wall_ms,
		.retired_wall_ms = gtm_wall_ms(), .line = line.data,
	};
}

/* Results. */

void gtm_ops_result(gtm_target_t *t, bool ok, gtm_health_t before, bool changed)
{
	gtm_target_stats_t *st = &t->stats;
	st->checks++;
	st->successes += ok;
	st->failures += !ok;
	st->last_ok = ok;
	st->last_wall_ms = gtm_wall_ms();
	if (st->warm) {
		st->warm = false;
		gtm_reg.ops.changed = true;
	}
	if (changed) {
		st->changes++;
		st->since_wall_ms = st->last_wall_ms;
		gtm_reg.ops.changed = true;
		const char *label = (t->ref_count > 0) ? t->refs[0].label : "";
		if (t->sm.state == GTM_HEALTH_DOWN) {
			gtm_webhook_event("target-down", "target", label, "down", t->reason);
		} else if (t->sm.state == GTM_HEALTH_UP && before == GTM_HEALTH_DOWN) {
			gtm_webhook_event("target-up", "target", label, "up", t->reason);
		}
	}

	/* Once per instance that asked for it. */
	for (uint32_t i = 0; i < t->ref_count; i++) {
		const gtm_ref_t *ref = &t->refs[i];
		if (ref->ctr_id == GTM_NO_CTR) {
			continue;
		}
		bool seen = false;
		for (uint32_t j = 0; j < i && !seen; j++) {
			seen = (t->refs[j].mod == ref->mod && t->refs[j].ctr_id != GTM_NO_CTR);
		}
		if (!seen) {
			knotd_mod_stats_incr(ref->mod, 0, ref->ctr_id, ok ? 0 : 1, 1);
		}
	}
}

/* Settings. */

static char *dup_opt(const char *s)
{
	return (s != NULL && s[0] != '\0') ? strdup(s) : NULL;
}

/*! Takes a path option; a different one than before is logged once. */
static void set_opt(gtm_ops_t *ops, int idx, const char *what, char **slot,
                    const char *value, knotd_mod_t *mod)
{
	char *copy = dup_opt(value);
	if (copy == NULL && value != NULL && value[0] != '\0') {
		knotd_mod_log(mod, LOG_ERR, "%s: out of memory, kept the previous one", what);
		return;
	}
	if (*slot != NULL && copy != NULL && strcmp(*slot, copy) != 0 && !ops->warned[idx]) {
		knotd_mod_log(mod, LOG_WARNING, "%s '%s' differs from '%s' of another "
		              "instance, the latest loaded is used (one prober per "
		              "process)", what, copy, *slot);
		ops->warned[idx] = true;
	}
	free(*slot);
	*slot = copy;
}

void gtm_registry_configure(const gtm_ops_conf_t *conf, knotd_mod_t *mod)
{
	gtm_registry_lock();
	gtm_ops_t *ops = &gtm_reg.ops;
	gtm_ops_conf_t *c = &ops->conf;
	char *old_admin = (c->admin_file != NULL) ? strdup(c->admin_file) : NULL;

	set_opt(ops, 0, "state-file", (char **)&c->state_file, conf->state_file, mod);
	set_opt(ops, 1, "admin-file", (char **)&c->admin_file, conf->admin_file, mod);
	set_opt(ops, 2, "prometheus-file", (char **)&c->prometheus_file,
	        conf->prometheus_file, mod);
	set_opt(ops, 3, "webhook-url", (char **)&c->webhook_url, conf->webhook_url, mod);
	c->state_interval_ms = (conf->state_interval_ms > 0) ?
	                       conf->state_interval_ms : GTM_STATE_INTERVAL_MS;
	c->state_max_age_ms = conf->state_max_age_ms;
	c->webhook_timeout_ms = conf->webhook_timeout_ms;
	c->stale_after_ms = conf->stale_after_ms;
	c->stale_policy = conf->stale_policy;

	/* Another admin file is read at once. */
	if ((old_admin == NULL) != (c->admin_file == NULL) ||
	    (old_admin != NULL && strcmp(old_admin, c->admin_file) != 0)) {
		ops->admin_known = false;
	}
	free(old_admin);
	if (c->admin_file != NULL && !ops->admin_known) {
		ops->admin_next_ms = gtm_now_ms();
	}

	if (!ops->configured) {
		ops->configured = true;
		gtm_warm_load(ops, mod);
	} else {
		gtm_warm_memos_release(ops);
	}
	ops->changed = true;
	ops->stale_after_ms = gtm_ops_stale_after();
	gtm_watchdog_set(ops->stale_after_ms, c->stale_policy);

	char *url = (c->webhook_url != NULL) ? strdup(c->webhook_url) : NULL;
	uint32_t timeout = c->webhook_timeout_ms;
	gtm_reg.wake_pending = true;
	gtm_registry_unlock();

	int ret = gtm_webhook_start(url, timeout);
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_WARNING, "webhook not started (%s)", knot_strerror(ret));
	}
	free(url);
}

/* State file. */

static const char *type_name(gtm_check_type_t type)
{
	static const char *names[] = {
		[GTM_CHECK_TCP] = "tcp", [GTM_CHECK_HTTP] = "http",
		[GTM_CHECK_HTTPS] = "https", [GTM_CHECK_ICMP] = "icmp",
		[GTM_CHECK_DNS] = "dns",
	};
	return ((size_t)type < sizeof(names) / sizeof(names[0])) ? names[type] : "unknown";
}

/*! "refs" of a target, references with equal fields once. */
static void target_refs(gtm_sbuf_t *b, const gtm_target_t *t)
{
	gtm_sbuf_put(b, "[", 1);
	bool first = true;
	for (uint32_t i = 0; i < t->ref_count; i++) {
		const gtm_ref_t *r = &t->refs[i];
		bool dup = false;
		for (uint32_t j = 0; j < i && !dup; j++) {
			const gtm_ref_t *o = &t->refs[j];
			dup = strcmp(o->name, r->name) == 0 && strcmp(o->pool, r->pool) == 0 &&
			      strcmp(o->address, r->address) == 0 &&
			      strcmp(o->check, r->check) == 0;
		}
		if (dup) {
			continue;
		}
		gtm_sbuf_put(b, first ? "{\"name\": " : ", {\"name\": ", first ? 9 : 11);
		gtm_sbuf_json(b, r->name);
		gtm_sbuf_put(b, ", \"pool\": ", 10);
		gtm_sbuf_json(b, r->pool);
		gtm_sbuf_put(b, ", \"address\": ", 13);
		gtm_sbuf_json(b, r->address);
		gtm_sbuf_put(b, ", \"check\": ", 11);
		gtm_sbuf_json(b, r->check);
		gtm_sbuf_put(b, "}", 1);
		first = false;
	}
	gtm_sbuf_put(b, "]", 1);
}

/*! One target line (without the separator). */
static void target_line(gtm_sbuf_t *b, const gtm_target_t *t)
{
	const gtm_target_stats_t *st = &t->stats;
	const struct sockaddr_storage *addr = &t->spec.addr;
	if (t->res != NULL) {
		addr = (t->res->state == GTM_RESOLVE_PENDING) ? NULL : &t->res->addr;
	}
	char addr_str[64];
	bool have_addr = addr != NULL && gtm_addr_str(addr, addr_str, sizeof(addr_str)) > 0;
	uint16_t port = ntohs(((const struct sockaddr_in *)&t->spec.addr)->sin_port);

	gtm_sbuf_printf(b, "  {\"key\": \"%016llx\", \"refs\": ", (unsigned long long)t->hash);
	target_refs(b, t);
	gtm_sbuf_printf(b, ", \"type\": \"%s\", \"address\": ", type_name(t->spec.type));
	gtm_sbuf_json(b, have_addr ? addr_str : NULL);
	gtm_sbuf_printf(b, ", \"port\": %u, \"hostname\": ", port);
	gtm_sbuf_json(b, t->spec.hostname);
	gtm_sbuf_printf(b, ", \"state\": \"%s\", \"real\": \"%s\", \"forced\": ",
	                gtm_health_str(gtm_target_effective(t)), gtm_health_str(t->sm.state));
	gtm_sbuf_json(b, (t->force != GTM_FORCE_NONE) ? gtm_force_str(t->force) : NULL);
	gtm_sbuf_put(b, ", \"since\": ", 11);
	gtm_sbuf_time(b, st->since_wall_ms);
	/* Last comeback (DOWN -> UP, hold-downs count from it), null: none. */
	gtm_sbuf_put(b, ", \"up_since\": ", 14);
	if (t->up_since > 0 && gtm_target_effective(t) == GTM_HEALTH_UP) {
		uint64_t now = gtm_now_ms(), wall = gtm_wall_ms();
		uint64_t age = (now > t->up_since) ? now - t->up_since : 0;
		gtm_sbuf_time(b, (wall > age) ? wall - age : 0);
	} else {
		gtm_sbuf_put(b, "null", 4);
	}
	gtm_sbuf_put(b, ", \"last_check\": ", 16);
	gtm_sbuf_time(b, st->last_wall_ms);
	bool have = st->checks > 0;
	gtm_sbuf_put(b, ", \"result\": ", 12);
	gtm_sbuf_json(b, have ? (st->last_ok ? "ok" : "fail") : NULL);
	gtm_sbuf_put(b, ", \"reason\": ", 12);
	gtm_sbuf_json(b, have ? t->reason : NULL);
	if (have) {
		gtm_sbuf_printf(b, ", \"latency_ms\": %u.%03u", st->latency_us / 1000,
		                st->latency_us % 1000);
	} else {
		gtm_sbuf_put(b, ", \"latency_ms\": null", 20);
	}
	gtm_sbuf_printf(b, ", \"checks\": %llu, \"successes\": %llu, \"failures\": %llu, "
	                "\"changes\": %llu, \"warm\": %s}",
	                (unsigned long long)st->checks, (unsigned long long)st->successes,
	                (unsigned long long)st->failures, (unsigned long long)st->changes,
	                st->warm ? "true" : "false");
}

/*!
 * Target lines and retired lines of the state file (lock held).
 *
 * Truth table of a removed target (age since its removal):
 *   age <= GTM_LINGER_MS                    -> its last line among the targets
 *   older, state up/down, age <= max-age    -> a line of "retired"
 *   otherwise                               -> forgotten
 */
static void state_targets(gtm_sbuf_t *targets, gtm_sbuf_t *retired, uint64_t wall)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	bool first = true;
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		const gtm_target_t *t = gtm_reg.targets[s];
		if (t == NULL) {
			continue;
		}
		gtm_sbuf_put(targets, first ? "" : ",\n", first ? 0 : 2);
		target_line(targets, t);
		first = false;
	}

	bool first_retired = true;
	for (size_t i = 0; i < ops->retired_count; ) {
		gtm_warm_t *w = &ops->retired[i];
		uint64_t age = (wall > w->retired_wall_ms) ? wall - w->retired_wall_ms : 0;
		if (w->line != NULL && age <= GTM_LINGER_MS) {
			gtm_sbuf_put(targets, first ? "" : ",\n", first ? 0 : 2);
			gtm_sbuf_put(targets, w->line, strlen(w->line));
			first = false;
			i++;
			continue;
		}
		free(w->line);
		w->line = NULL;
		if (w->state == GTM_HEALTH_UNKNOWN || age > ops->conf.state_max_age_ms) {
			retired_drop(ops, i);
			continue;
		}
		gtm_sbuf_put(retired, first_retired ? "" : ",\n", first_retired ? 0 : 2);
		gtm_sbuf_printf(retired, "  {\"key\": \"%016llx\", \"state\": \"%s\", \"since\": ",
		                (unsigned long long)w->key, gtm_health_str(w->state));
		gtm_sbuf_time(retired, w->since_wall_ms);
		gtm_sbuf_put(retired, ", \"retired\": ", 13);
		gtm_sbuf_time(retired, w->retired_wall_ms);
		gtm_sbuf_put(retired, "}", 1);
		first_retired = false;
		i++;
	}
	gtm_sbuf_put(targets, first ? "" : "\n", first ? 0 : 1);
	gtm_sbuf_put(retired, first_retired ? "" : "\n", first_retired ? 0 : 1);
}

/*! What a report writes, copied under the lock. */
typedef struct {
	char *state_path;
	char *prom_path;
	gtm_sbuf_t targets;
	gtm_sbuf_t retired;
	gtm_sbuf_t prom;
	bool paused;
	uint32_t stale_after_ms;
} report_t;

static void report_free(report_t *r)
{
	free(r->state_path);
	free(r->prom_path);
	gtm_sbuf_free(&r->targets);
	gtm_sbuf_free(&r->retired);
	gtm_sbuf_free(&r->prom);
}

/*! State of the memos array being written. */
typedef struct {
	gtm_sbuf_t *b;
	bool first;
} memo_ctx_t;

/*! One remembered choice (preempt off, last-good), for gtm-explain. */
static void memo_line(const char *key, uint64_t value, void *ctx)
{
	memo_ctx_t *mc = ctx;
	/* "memo", not "key": the warm-restart reader takes "key" lines as targets. */
	gtm_sbuf_put(mc->b, mc->first ? "  {\"memo\": " : ",\n  {\"memo\": ",
	             mc->first ? 11 : 13);
	gtm_sbuf_json(mc->b, key);
	gtm_sbuf_printf(mc->b, ", \"value\": \"%016llx\"}", (unsigned long long)value);
	mc->first = false;
}

/*! Writes the files (without the lock); errors into err[0] and err[1]. */
static void report_write(report_t *r, const gtm_health_snap_t *snap,
                         const gtm_names_t *names, int ret[2], char err[2][512])
{
	uint64_t now = gtm_now_ms(), wall = gtm_wall_ms();
	uint64_t published = 0;
	bool stale = true;
	if (snap != NULL && snap->published_ms <= now) {
		published = wall - (now - snap->published_ms);
		stale = (now - snap->published_ms > r->stale_after_ms);
	}

	if (r->state_path != NULL) {
		gtm_sbuf_t b = { 0 };
		gtm_sbuf_put(&b, "{\"version\": 1, \"written\": ", 26);
		gtm_sbuf_time(&b, wall);
		gtm_sbuf_printf(&b, ", \"pid\": %d,\n \"prober\": {\"published\": ", (int)getpid());
		gtm_sbuf_time(&b, published);
		gtm_sbuf_printf(&b, ", \"paused\": %s, \"stale\": %s},\n \"targets\": [\n",
		                r->paused ? "true" : "false", stale ? "true" : "false");
		gtm_sbuf_put(&b, r->targets.data, r->targets.len);
		gtm_sbuf_put(&b, " ],\n \"names\": [\n", 16);
		gtm_names_json(&b, names);
		gtm_sbuf_put(&b, " ],\n \"retired\": [\n", 18);
		gtm_sbuf_put(&b, r->retired.data, r->retired.len);
		gtm_sbuf_put(&b, " ],\n \"memos\": [\n", 16);
		memo_ctx_t mc = { .b = &b, .first = true };
		gtm_memo_foreach(memo_line, &mc);
		gtm_sbuf_put(&b, " ]}\n", 4);
		if (b.failed || r->targets.failed || r->retired.failed || names->failed) {
			ret[0] = KNOT_ENOMEM;
			snprintf(err[0], sizeof(err[0]), "%s: out of memory", r->state_path);
		} else {
			ret[0] = gtm_write_atomic(r->state_path, b.data, b.len, err[0],
			                          sizeof(err[0]));
		}
		gtm_sbuf_free(&b);
	}

	if (r->prom_path != NULL) {
		gtm_prom_info_t info = {
			.published_wall_ms = published, .written_wall_ms = wall, .stale = stale,
		};
		gtm_prom_rest(&r->prom, names, &info);
		if (r->prom.failed || names->failed) {
			ret[1] = KNOT_ENOMEM;
			snprintf(err[1], sizeof(err[1]), "%s: out of memory", r->prom_path);
		} else {
			ret[1] = gtm_write_atomic(r->prom_path, r->prom.data, r->prom.len,
			                          err[1], sizeof(err[1]));
		}
	}
}

/*! Logs a failing write once, and its recovery. */
static void write_log(int i, const char *what, int ret, const char *err)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	knotd_mod_t *mod = gtm_ops_log_mod();
	if (mod == NULL || (ret != KNOT_EOK) == ops->write_failing[i]) {
		return;
	}
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_WARNING, "failed to write %s (%s)", what, err);
	} else {
		knotd_mod_log(mod, LOG_NOTICE, "%s written again", what);
	}
	ops->write_failing[i] = (ret != KNOT_EOK);
}

void gtm_ops_hook_errors(void)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	uint64_t now = gtm_now_ms();
	if (ops->hook_err_ms != 0 && now < ops->hook_err_ms + GTM_HOOK_LOG_MS) {
		return; /* The error waits; the latest is logged then. */
	}
	char err[512];
	if (!gtm_webhook_take_error(err, sizeof(err))) {
		return;
	}
	knotd_mod_t *mod = gtm_ops_log_mod(); /* None: no instance to tell. */
	if (mod != NULL) {
		knotd_mod_log(mod, LOG_WARNING, "alert not delivered (%s)", err);
		ops->hook_err_ms = (now > 0) ? now : 1;
	}
}

uint64_t gtm_ops_write_due(void)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	if (ops->conf.state_file == NULL && ops->conf.prometheus_file == NULL) {
		return 0;
	}
	return ops->written_ms + ops->conf.state_interval_ms;
}

void gtm_ops_report(const gtm_health_snap_t *snap)
{
	gtm_ops_t *ops = &gtm_reg.ops;
	uint64_t now = gtm_now_ms();
	gtm_ops_hook_errors();

	if (gtm_memo_take_changed()) {
		ops->changed = true; /* A remembered choice to save. */
	}
	uint64_t due = gtm_ops_write_due();
	bool write = due != 0 && (ops->changed || ops->written_ms == 0 || now >= due);
	if (!ops->changed && !write) {
		return;
	}
	ops->changed = false;

	report_t r = { .paused = ops->paused, .stale_after_ms = ops->stale_after_ms };
	if (write) {
		ops->written_ms = (now > 0) ? now : 1;
		r.state_path = dup_opt(ops->conf.state_file);
		r.prom_path = dup_opt(ops->conf.prometheus_file);
		if (r.state_path != NULL) {
			state_targets(&r.targets, &r.retired, gtm_wall_ms());
		}
		if (r.prom_path != NULL) {
			gtm_prom_targets(&r.prom);
		}
	}
	pthread_mutex_unlock(&gtm_reg.lock);

	gtm_names_t names;
	gtm_names_eval(snap, &names);
	int ret[2] = { KNOT_EOK, KNOT_EOK };
	char err[2][512] = { "", "" };
	if (write) {
		report_write(&r, snap, &names, ret, err);
	}

	pthread_mutex_lock(&gtm_reg.lock);
	gtm_names_alerts(&names);
	if (r.state_path != NULL) {
		write_log(0, "state file", ret[0], err[0]);
	}
	if (r.prom_path != NULL) {
		write_log(1, "prometheus file", ret[1], err[1]);
	}
	gtm_names_free(&names);
	report_free(&r);
}
