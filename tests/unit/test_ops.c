/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Operations in the prober with real threads against loopback TCP
 * listeners (bounded waits, no timing assertions): heartbeat and watchdog
 * threshold, admin overrides and pause, state and Prometheus files with
 * alerts, warm restart, probe counters. knotd_mod_log() is a recorder;
 * webhook, watchdog, name evaluation and statistics are recording
 * stand-ins (test_ops_doubles.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memo.h"
#include "ops_fmt.h"
#include "registry.h"
#include "registry_int.h"
#include "test_ops_doubles.h"
#include "test_probe_util.h"

#define WAIT_MS		15000
#define LOG_SIZE	65536

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[LOG_SIZE];
static size_t log_len;
static char dir[64];

static int inst_a, inst_b;
#define MOD_A	((knotd_mod_t *)&inst_a)
#define MOD_B	((knotd_mod_t *)&inst_b)

/* Lines recorded as "P message" with P the first letter of the priority. */
void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	(void)mod;
	char line[1024];
	va_list args;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	char p = (priority == LOG_ERR) ? 'E' : (priority == LOG_WARNING) ? 'W' :
	         (priority == LOG_NOTICE) ? 'N' : 'I';

	pthread_mutex_lock(&log_lock);
	int n = snprintf(log_buf + log_len, sizeof(log_buf) - log_len, "%c %s\n", p, line);
	if (n > 0 && (size_t)n < sizeof(log_buf) - log_len) {
		log_len += n;
	}
	pthread_mutex_unlock(&log_lock);
}

static unsigned log_count(const char *text)
{
	unsigned count = 0;
	pthread_mutex_lock(&log_lock);
	for (const char *p = strstr(log_buf, text); p != NULL; p = strstr(p + 1, text)) {
		count++;
	}
	pthread_mutex_unlock(&log_lock);
	return count;
}

static bool wait_log(const char *text)
{
	for (int waited = 0; log_count(text) == 0 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	return log_count(text) > 0;
}

static const gtm_ref_info_t *ref_info(const char *label)
{
	static gtm_ref_info_t info;
	info = (gtm_ref_info_t){ .name = "x.", .pool = "p", .address = label,
	                         .check = "c" };
	return &info;
}

/* Effective state, version and publication time of the current snapshot. */
static gtm_health_t health(uint32_t slot, uint64_t *version, uint64_t *published)
{
	gtm_health_t state = GTM_HEALTH_UNKNOWN;
	rcu_read_lock();
	const gtm_health_snap_t *snap = gtm_registry_health();
	if (snap != NULL && slot < snap->count) {
		state = snap->state[slot];
	}
	if (version != NULL) {
		*version = (snap != NULL) ? snap->version : 0;
	}
	if (published != NULL) {
		*published = (snap != NULL) ? snap->published_ms : 0;
	}
	rcu_read_unlock();
	return state;
}

static bool wait_state(uint32_t slot, gtm_health_t want)
{
	for (int waited = 0; health(slot, NULL, NULL) != want && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	return health(slot, NULL, NULL) == want;
}

/* A copy of a target's fields under the lock. */
static gtm_target_t target(uint32_t slot)
{
	gtm_registry_lock();
	gtm_target_t t = *gtm_reg.targets[slot];
	gtm_registry_unlock();
	return t;
}

static bool wait_real(uint32_t slot, gtm_health_t want)
{
	for (int waited = 0; target(slot).sm.state != want && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	return target(slot).sm.state == want;
}

static void tcp_spec(gtm_target_spec_t *spec, const struct sockaddr_storage *addr,
                     uint32_t interval_ms)
{
	gtm_check_t check = {
		.type = GTM_CHECK_TCP, .port = test_port(addr), .interval_ms = interval_ms,
		.timeout_ms = TEST_TIMEOUT_MS, .rise = 1, .fall = 1,
	};
	gtm_target_spec_init(spec, &check, addr);
}

static uint32_t get(const gtm_target_spec_t *spec, knotd_mod_t *mod, const char *label)
{
	uint32_t slot;
	gtm_registry_lock();
	assert_int_equal(gtm_registry_target_get(spec, mod, ref_info(label), 0, &slot),
	                 KNOT_EOK);
	gtm_registry_unlock();
	return slot;
}

static void put(uint32_t slot, knotd_mod_t *mod)
{
	gtm_registry_lock();
	gtm_registry_target_put(slot, mod);
	gtm_registry_unlock();
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	char path[128], tmp[140];
	path_of(path, sizeof(path), name);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

/* The text of a file (static buffer; "" if missing). */
static const char *read_text(const char *name)
{
	static char buf[65536];
	char path[128];
	path_of(path, sizeof(path), name);
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static bool wait_text(const char *name, const char *text)
{
	for (int waited = 0; strstr(read_text(name), text) == NULL && waited < WAIT_MS;
	     waited += 20) {
		test_sleep_ms(20);
	}
	return strstr(read_text(name), text) != NULL;
}

static void configure(const char *state, const char *admin, const char *prom)
{
	char state_path[128], admin_path[128], prom_path[128];
	path_of(state_path, sizeof(state_path), state ? state : "");
	path_of(admin_path, sizeof(admin_path), admin ? admin : "");
	path_of(prom_path, sizeof(prom_path), prom ? prom : "");
	gtm_ops_conf_t conf = {
		.state_file = state ? state_path : NULL,
		.state_interval_ms = 1000,
		.state_max_age_ms = 300000,
		.admin_file = admin ? admin_path : NULL,
		.prometheus_file = prom ? prom_path : NULL,
	};
	gtm_registry_configure(&conf, MOD_A);
}

static int setup(void **state)
{
	(void)state;
	pthread_mutex_lock(&log_lock);
	log_buf[0] = '\0';
	log_len = 0;
	pthread_mutex_unlock(&log_lock);
	test_hook_clear();
	return gtm_registry_acquire() == KNOT_EOK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	configure(NULL, NULL, NULL);
	test_eval_slot(UINT32_MAX);
	gtm_registry_release();
	return 0;
}

/* Published every second without changes; the watchdog threshold follows
 * the longest check interval (3x, at least 5 s). */
static void test_heartbeat(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo);
	gtm_target_spec_t spec;
	tcp_spec(&spec, &lo, 100);
	uint32_t slot = get(&spec, MOD_A, "hb");
	assert_true(wait_state(slot, GTM_HEALTH_UP));

	uint64_t v1, p1, v2 = 0, p2 = 0;
	(void)health(slot, &v1, &p1);
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		if (health(slot, &v2, &p2) == GTM_HEALTH_UP && p2 > p1 && v2 > v1) {
			break;
		}
		test_sleep_ms(10);
	}
	assert_true(v2 > v1);
	assert_true(p2 > p1);
	assert_true(p2 <= gtm_now_ms());
	for (int waited = 0; test_watchdog_after() != 5000 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	assert_int_equal(test_watchdog_after(), 5000);

	gtm_target_spec_t slow;
	tcp_spec(&slow, &lo, 3000);
	uint32_t slot2 = get(&slow, MOD_A, "slow");
	for (int waited = 0; test_watchdog_after() != 9000 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	assert_int_equal(test_watchdog_after(), 9000);
	put(slot2, MOD_A);
	for (int waited = 0; test_watchdog_after() != 5000 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	assert_int_equal(test_watchdog_after(), 5000);

	put(slot, MOD_A);
	close(lfd);
}

/* down (not probed, restarts from UNKNOWN), drain (probed), up (answered
 * while down), an invalid file (logged once, rules kept), release. */
static void test_overrides(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo);
	gtm_target_spec_t spec;
	tcp_spec(&spec, &lo, 100);
	configure(NULL, "admin", NULL);
	uint32_t slot = get(&spec, MOD_A, "ov");
	uint32_t other = get(&spec, MOD_B, "other");
	assert_int_equal(other, slot);
	assert_true(wait_state(slot, GTM_HEALTH_UP));

	/* Down: not probed, real state unknown. */
	write_file("admin", "# maintenance\nx./p/o[uv] down\n");
	assert_true(wait_state(slot, GTM_HEALTH_DOWN));
	assert_true(wait_log("N x. p/ov (+1 more) forced down by admin file\n"));
	gtm_target_t t = target(slot);
	assert_int_equal(t.force, GTM_FORCE_DOWN);
	assert_int_equal(t.sm.state, GTM_HEALTH_UNKNOWN);
	test_sleep_ms(500);
	assert_true(target(slot).stats.checks == t.stats.checks);
	assert_int_equal(health(slot, NULL, NULL), GTM_HEALTH_DOWN);

	/* Drain: probed again from UNKNOWN, still not answered. */
	write_file("admin", "x. drain\n");
	assert_true(wait_real(slot, GTM_HEALTH_UP));
	assert_true(wait_log("N x. p/ov (+1 more) forced drain by admin file\n"));
	assert_true(target(slot).stats.checks > t.stats.checks);
	assert_int_equal(health(slot, NULL, NULL), GTM_HEALTH_DOWN);

	/* Up while the target fails. */
	write_file("admin", "*/*/ov up\n");
	close(lfd);
	assert_true(wait_real(slot, GTM_HEALTH_DOWN));
	assert_true(wait_log("forced up by admin file"));
	assert_int_equal(health(slot, NULL, NULL), GTM_HEALTH_UP);

	/* An invalid file: logged once at error, the rule stays. */
	write_file("admin", "*/*/ov up\nx. sideways\n");
	char err[160];
	snprintf(err, sizeof(err), "E %s/admin:2: ", dir);
	assert_true(wait_log(err));
	test_sleep_ms(1500);
	assert_int_equal(log_count(err), 1);
	assert_int_equal(health(slot, NULL, NULL), GTM_HEALTH_UP);

	/* Released: the real state answers. */
	write_file("admin", "");
	assert_true(wait_state(slot, GTM_HEALTH_DOWN));
	assert_true(wait_log("N x. p/ov (+1 more) released by admin file (was forced up)\n"));
	assert_int_equal(log_count("forced down by admin file"), 1);

	put(slot, MOD_A);
	put(slot, MOD_B);
}

/* 'prober pause' stops probing and publishing; 'prober run' resumes. */
static void test_pause(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo);
	gtm_target_spec_t spec;
	tcp_spec(&spec, &lo, 100);
	configure(NULL, "admin", NULL);
	uint32_t slot = get(&spec, MOD_A, "pz");
	assert_true(wait_state(slot, GTM_HEALTH_UP));

	write_file("admin", "prober pause\n");
	assert_true(wait_log("N prober paused by admin file\n"));
	test_sleep_ms(TEST_TIMEOUT_MS + 100); /* A probe in flight ends. */
	uint64_t v1, v2;
	(void)health(slot, &v1, NULL);
	uint64_t checks = target(slot).stats.checks;
	close(lfd);
	test_sleep_ms(1500);
	assert_int_equal(health(slot, &v2, NULL), GTM_HEALTH_UP);
	assert_true(v2 == v1);
	assert_true(target(slot).stats.checks == checks);

	write_file("admin", "prober run\n");
	assert_true(wait_log("N prober resumed by admin file\n"));
	assert_true(wait_state(slot, GTM_HEALTH_DOWN));
	(void)health(slot, &v2, NULL);
	assert_true(v2 > v1);

	put(slot, MOD_A);
}

/* The state file, the Prometheus file and the alerts follow the state. */
static void test_reports(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo);
	gtm_target_spec_t spec;
	tcp_spec(&spec, &lo, 100);
	configure("state.json", NULL, "gtm.prom");
	uint32_t slot = get(&spec, MOD_A, "st");
	test_eval_slot(slot);
	assert_true(wait_state(slot, GTM_HEALTH_UP));

	char key[256];
	snprintf(key, sizeof(key), "  {\"key\": \"%016llx\", \"refs\": [{\"name\": \"x.\", "
	         "\"pool\": \"p\", \"address\": \"st\", \"check\": \"c\"}], \"type\": \"tcp\"",
	         (unsigned long long)gtm_target_spec_hash(&spec));
	assert_true(wait_text("state.json", "\"real\": \"up\""));
	const char *text = read_text("state.json");
	assert_true(strncmp(text, "{\"version\": 1, \"written\": ", 26) == 0);
	assert_non_null(strstr(text, "\"prober\": {\"published\": "));
	assert_non_null(strstr(text, "\"paused\": false, \"stale\": false}"));
	const char *line = strstr(text, key);
	assert_non_null(line);
	gtm_warm_line_t wl;
	assert_int_equal(gtm_warm_line_parse(line, &wl), GTM_WARM_TARGET);
	assert_int_equal(wl.state, GTM_HEALTH_UP);
	assert_true(wl.key == gtm_target_spec_hash(&spec));
	const char *eol = strchr(line, '\n');
	assert_non_null(eol);
	assert_non_null(strstr(line, "\"forced\": null"));
	assert_true(strstr(line, "\"warm\": false}") < eol);
	assert_non_null(strstr(text, "  {\"name\": \"x.\", \"zone\": \".\", \"family\": \"A\", "
	                       "\"kind\": \"address\", \"answer\": [\"192.0.2.1\", "
	                       "\"192.0.2.2\"], \"pool\": \"p\", \"degraded\": false, "
	                       "\"all_down\": false, \"why\": \"pool p \\\"eligible\\\"\"}\n"));

	assert_true(wait_text("gtm.prom", "gtm_target_up{name=\"x.\",pool=\"p\","
	                      "address=\"st\",check=\"c\"} 1\n"));
	text = read_text("gtm.prom");
	assert_non_null(strstr(text, "# TYPE gtm_target_checks_total counter\n"));
	assert_non_null(strstr(text, "gtm_target_real_up{name=\"x.\",pool=\"p\","
	                       "address=\"st\",check=\"c\"} 1\n"));
	assert_non_null(strstr(text, "gtm_answers_total{zone=\".\",name=\"x.\","
	                       "outcome=\"first\"} 3\n"));
	assert_non_null(strstr(text, "gtm_answers_total{zone=\".\",name=\"x.\","
	                       "outcome=\"static\"} 2\n"));
	assert_non_null(strstr(text, "gtm_webhook_deliveries_total{result=\"ok\"} 7\n"));
	assert_non_null(strstr(text, "gtm_name_all_down{name=\"x.\",family=\"A\"} 0\n"));
	assert_non_null(strstr(text, "gtm_prober_stale 0\n"));

	/* Down: the name goes all down, logged and sent once. */
	close(lfd);
	assert_true(wait_state(slot, GTM_HEALTH_DOWN));
	assert_true(wait_log("W x. A all down, answering static\n"));
	assert_true(wait_text("state.json", "\"all_down\": true"));
	assert_true(wait_text("gtm.prom", "gtm_name_all_down{name=\"x.\",family=\"A\"} 1\n"));
	assert_true(test_hook_has("target-down x. p/st down\n"));
	assert_true(test_hook_has("name-all-down x. static\n"));

	lfd = test_listen_at(&lo);
	assert_true(wait_state(slot, GTM_HEALTH_UP));
	assert_true(wait_log("N x. A recovered, answering 192.0.2.1 192.0.2.2\n"));
	assert_true(test_hook_has("target-up x. p/st up\n"));
	assert_true(test_hook_has("name-recovered x. 192.0.2.1 192.0.2.2\n"));
	test_sleep_ms(300);
	assert_int_equal(log_count("all down"), 1);
	assert_int_equal(log_count("recovered"), 1);
	assert_int_equal(test_hook_count("name-all-down"), 1);
	assert_int_equal(test_hook_count("target-down"), 1);

	/* Removed: still among the targets of the next writes for a while. */
	char written[64];
	snprintf(written, sizeof(written), "%.40s", read_text("state.json"));
	put(slot, MOD_A);
	test_eval_slot(UINT32_MAX);
	for (int waited = 0; waited < WAIT_MS &&
	     strncmp(read_text("state.json"), written, strlen(written)) == 0; waited += 20) {
		test_sleep_ms(20);
	}
	text = read_text("state.json");
	assert_true(strncmp(text, written, strlen(written)) != 0);
	assert_non_null(strstr(text, key));
	assert_null(strstr(text, "\"name\": \"x.\", \"zone\""));
	close(lfd);
}

/* Writes a state file of one target written age_s ago; returns its "since"
 * (Unix ms). */
static uint64_t state_file(const char *name, uint64_t key, const char *st, uint64_t age_s)
{
	char text[512];
	uint64_t now = gtm_wall_ms() / 1000;
	snprintf(text, sizeof(text),
	         "{\"version\": 1, \"written\": %llu.000, \"pid\": 1,\n"
	         " \"prober\": {\"published\": 1.0, \"paused\": false, \"stale\": false},\n"
	         " \"targets\": [\n"
	         "  {\"key\": \"%016llx\", \"refs\": [], \"state\": \"%s\", \"since\": %llu.5}\n"
	         " ],\n \"names\": [\n ],\n \"memos\": [\n"
	         "  {\"memo\": \"gtm.example.com. A pool \\\"p\\\"\", \"value\": \"00000000000000aa\"}\n"
	         " ]}\n",
	         (unsigned long long)(now - age_s), (unsigned long long)key, st,
	         (unsigned long long)(now - age_s - 60));
	write_file(name, text);
	return (now - age_s - 60) * 1000 + 500;
}

static void reconfigure_first(const char *state)
{
	gtm_registry_lock();
	gtm_reg.ops.configured = false;
	gtm_registry_unlock();
	configure(state, NULL, NULL);
}

/* A target of the state file starts in its saved state, published before
 * its first result; the first result decides. Old, missing and invalid
 * files are ignored with the reason. */
static void test_warm(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo); /* Never answers: HTTP checks time out. */
	gtm_check_t check = {
		.type = GTM_CHECK_HTTP, .port = test_port(&lo), .path = "/",
		.expect_min = 200, .expect_max = 399, .interval_ms = 5000,
		.timeout_ms = 1000, .rise = 1, .fall = 1,
	};
	gtm_target_spec_t spec, cold;
	gtm_target_spec_init(&spec, &check, &lo);
	check.path = "/cold";
	gtm_target_spec_init(&cold, &check, &lo);

	char expect[200];
	uint64_t since = state_file("warm.json", gtm_target_spec_hash(&spec), "down", 0);
	reconfigure_first("warm.json");
	snprintf(expect, sizeof(expect), "I warm start from %s/warm.json (1 targets, "
	         "1 remembered choices, written ", dir);
	assert_true(log_count(expect) == 1);
	/* The remembered choice is back, for the instance that takes it. */
	gtm_memo_t *memo = gtm_memo_get("gtm.example.com. A pool \"p\"");
	assert_non_null(memo);
	assert_true(gtm_memo_load(memo) == 0xaa);
	gtm_memo_put(memo);

	uint32_t slot = get(&spec, MOD_A, "warm");
	uint32_t slot2 = get(&cold, MOD_A, "cold");
	assert_int_equal(health(slot, NULL, NULL), GTM_HEALTH_DOWN);
	assert_int_equal(health(slot2, NULL, NULL), GTM_HEALTH_UNKNOWN);
	gtm_target_t t = target(slot);
	assert_true(t.stats.warm);
	assert_true(t.stats.checks == 0);
	assert_true(t.stats.since_wall_ms == since);

	/* The first result (a timeout) decides: down, no longer warm. */
	for (int waited = 0; target(slot).stats.checks == 0 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	t = target(slot);
	assert_false(t.stats.warm);
	assert_int_equal(t.sm.state, GTM_HEALTH_DOWN);
	assert_true(t.stats.changes == 0); /* The same state as saved. */
	assert_int_equal(health(slot, NULL, NULL), GTM_HEALTH_DOWN);
	put(slot, MOD_A);
	put(slot2, MOD_A);

	state_file("old.json", 1, "up", 3600);
	reconfigure_first("old.json");
	snprintf(expect, sizeof(expect), "I state file %s/old.json ignored (older than 5m)\n", dir);
	assert_int_equal(log_count(expect), 1);

	reconfigure_first("none.json");
	snprintf(expect, sizeof(expect), "I state file %s/none.json ignored (missing)\n", dir);
	assert_int_equal(log_count(expect), 1);

	write_file("bad.json", "{\"version\": 1, \"written\": 5.0,\n \"targets\": [\n"
	           "  {\"key\": \"12\", \"state\": \"up\"}\n ]}\n");
	reconfigure_first("bad.json");
	snprintf(expect, sizeof(expect), "I state file %s/bad.json ignored (invalid at line 3)\n", dir);
	assert_int_equal(log_count(expect), 1);
	close(lfd);
}

/* Probe results counted once per instance that asked, until it lets go. */
static void test_count_probes(void **state)
{
	(void)state;
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	int lfd = test_listen_at(&lo);
	gtm_target_spec_t spec;
	tcp_spec(&spec, &lo, 100);
	uint32_t slot = get(&spec, MOD_A, "c1");
	assert_int_equal(get(&spec, MOD_A, "c2"), slot);
	assert_int_equal(get(&spec, MOD_B, "c3"), slot);
	gtm_registry_count_probes(MOD_A, 5);

	for (int waited = 0; test_stats(MOD_A, 5, 0) < 3 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	gtm_registry_lock();
	uint64_t checks = gtm_reg.targets[slot]->stats.successes;
	uint64_t counted = test_stats(MOD_A, 5, 0);
	gtm_registry_unlock();
	assert_true(counted >= 3);
	assert_true(counted <= checks);      /* Not twice for two references. */
	assert_true(test_stats(MOD_A, 5, 1) == 0);
	assert_true(test_stats(MOD_B, 5, 0) == 0);

	close(lfd);
	for (int waited = 0; test_stats(MOD_A, 5, 1) == 0 && waited < WAIT_MS; waited += 10) {
		test_sleep_ms(10);
	}
	assert_true(test_stats(MOD_A, 5, 1) > 0);

	put(slot, MOD_A);
	put(slot, MOD_A);
	counted = test_stats(MOD_A, 5, 1);
	checks = target(slot).stats.checks;
	for (int waited = 0; target(slot).stats.checks < checks + 3 && waited < WAIT_MS;
	     waited += 10) {
		test_sleep_ms(10);
	}
	assert_true(target(slot).stats.checks >= checks + 3);
	assert_true(test_stats(MOD_A, 5, 1) == counted);
	put(slot, MOD_B);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ops_XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	const char *files[] = {
		"admin", "state.json", "gtm.prom", "warm.json", "old.json", "bad.json",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];
		path_of(path, sizeof(path), files[i]);
		(void)unlink(path);
	}
	rmdir(dir);
	return 0;
}

int main(void)
{
	rcu_register_thread();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_probes, setup, teardown),
	};
	int ret = cmocka_run_group_tests(tests, group_setup, group_teardown);
	rcu_unregister_thread();
	return ret;
}
