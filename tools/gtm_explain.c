/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief gtm-explain: the answer mod-gtm gives a client, and why.
 *
 * Runs the module's own table building and selection code (table.c,
 * table_pool.c, select.c, policy.c, topology.c) outside knotd. The few
 * host functions that code calls (zone name, logging, target registry) are
 * provided here: targets get their health from a table read on stdin, one
 * line per target "KEY STATE UP_SINCE_AGE_MS" (KEY: hex identity hash as
 * in the state file; STATE up|down|unknown; age -1: not recovering), and
 * knotd's remembered choices as "memo VALUE KEY" lines (the state file's
 * "memos": current address or pool of preempt off, last-good answers).
 * Used by 'gtmctl explain', which builds that table from the state file.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "geo.h"
#include "memo.h"
#include "registry.h"
#include "select.h"
#include "table.h"

#define MAX_TARGETS	65536

/*! Health table from stdin, and the slots handed out while building. */
static struct {
	uint64_t keys[MAX_TARGETS];
	uint8_t states[MAX_TARGETS];
	int64_t ages[MAX_TARGETS];
	size_t count;
	uint8_t slot_state[MAX_TARGETS];
	uint64_t slot_since[MAX_TARGETS];
	size_t slots;
	uint64_t now_ms;
} health;

static knot_dname_storage_t zone_name;

/* Host functions of the module code (knotd and registry) ---------------- */

const knot_dname_t *knotd_mod_zone(knotd_mod_t *mod)
{
	(void)mod;
	return zone_name;
}

void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	(void)mod;
	(void)priority;
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, "gtm-explain: ");
	vfprintf(stderr, fmt, args);
	fprintf(stderr, "\n");
	va_end(args);
}

uint64_t gtm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gtm_registry_lock(void)
{
}

void gtm_registry_unlock(void)
{
}

int gtm_registry_target_get(const gtm_target_spec_t *spec, knotd_mod_t *mod,
                            const gtm_ref_info_t *info, uint32_t hold_ms,
                            uint32_t *slot)
{
	(void)mod;
	(void)info;
	(void)hold_ms;
	if (health.slots >= MAX_TARGETS) {
		return KNOT_ESPACE;
	}
	uint64_t key = gtm_target_spec_hash(spec);
	uint8_t state = GTM_HEALTH_UNKNOWN;
	uint64_t since = 0;
	for (size_t i = 0; i < health.count; i++) {
		if (health.keys[i] == key) {
			state = health.states[i];
			if (health.ages[i] >= 0 && (uint64_t)health.ages[i] < health.now_ms) {
				since = health.now_ms - (uint64_t)health.ages[i];
			}
			break;
		}
	}
	*slot = health.slots++;
	health.slot_state[*slot] = state;
	health.slot_since[*slot] = since;
	return KNOT_EOK;
}

void gtm_registry_target_put(uint32_t slot, knotd_mod_t *mod)
{
	(void)slot;
	(void)mod;
}

/* The tool ----------------------------------------------------------------- */

/*!
 * A remembered choice of knotd ("memo VALUE KEY", from the state file):
 * created before the table is built, so the table finds it like the
 * module's instance after a reload does.
 */
static int read_memo(char *rest, size_t lineno)
{
	char *end;
	errno = 0;
	uint64_t value = strtoull(rest, &end, 16);
	if (errno != 0 || end == rest || *end != ' ' || end[1] == '\0') {
		fprintf(stderr, "gtm-explain: stdin:%zu: expected 'memo VALUE KEY'\n",
		        lineno);
		return 1;
	}
	char *key = end + 1;
	key[strcspn(key, "\n")] = '\0';
	gtm_memo_t *memo = gtm_memo_get(key); /* Kept until the tool exits. */
	if (memo == NULL) {
		fprintf(stderr, "gtm-explain: out of memory\n");
		return 1;
	}
	gtm_memo_store(memo, value);
	return 0;
}

static int read_health(FILE *in)
{
	char line[512];
	size_t lineno = 0;
	while (fgets(line, sizeof(line), in) != NULL) {
		lineno++;
		char key[64], state[16];
		long long age;
		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		if (strncmp(line, "memo ", 5) == 0) {
			if (read_memo(line + 5, lineno) != 0) {
				return 1;
			}
			continue;
		}
		if (sscanf(line, "%63s %15s %lld", key, state, &age) != 3 ||
		    health.count >= MAX_TARGETS) {
			fprintf(stderr, "gtm-explain: stdin:%zu: expected 'KEY STATE AGE_MS'\n",
			        lineno);
			return 1;
		}
		char *end;
		errno = 0;
		uint64_t k = strtoull(key, &end, 16);
		if (errno != 0 || *end != '\0') {
			fprintf(stderr, "gtm-explain: stdin:%zu: invalid key '%s'\n",
			        lineno, key);
			return 1;
		}
		uint8_t st;
		if (strcmp(state, "up") == 0) {
			st = GTM_HEALTH_UP;
		} else if (strcmp(state, "down") == 0) {
			st = GTM_HEALTH_DOWN;
		} else if (strcmp(state, "unknown") == 0) {
			st = GTM_HEALTH_UNKNOWN;
		} else {
			fprintf(stderr, "gtm-explain: stdin:%zu: invalid state '%s'\n",
			        lineno, state);
			return 1;
		}
		health.keys[health.count] = k;
		health.states[health.count] = st;
		health.ages[health.count] = age;
		health.count++;
	}
	return 0;
}

/*! Parses "IP[/PREFIX]". */
static int parse_client(const char *str, gtm_client_t *client)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(str) >= sizeof(buf)) {
		return -1;
	}
	strcpy(buf, str);
	char *slash = strchr(buf, '/');
	int prefix = -1;
	if (slash != NULL) {
		*slash = '\0';
		char *end;
		prefix = (int)strtol(slash + 1, &end, 10);
		if (*end != '\0' || slash[1] == '\0') {
			return -1;
		}
	}
	memset(client, 0, sizeof(*client));
	if (inet_pton(AF_INET, buf, client->addr) == 1) {
		client->family = AF_INET;
		client->prefix = (prefix < 0) ? 32 : prefix;
		return (prefix > 32) ? -1 : 0;
	}
	if (inet_pton(AF_INET6, buf, client->addr) == 1) {
		client->family = AF_INET6;
		client->prefix = (prefix < 0) ? 128 : prefix;
		return (prefix > 128) ? -1 : 0;
	}
	return -1;
}

/*! Prints a JSON string. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\') {
			printf("\\%c", c);
		} else if (c < 0x20) {
			printf("\\u%04x", c);
		} else {
			putchar(c);
		}
	}
	putchar('"');
}

static const char *kind_str(const gtm_decision_t *d)
{
	switch (d->kind) {
	case GTM_ANS_RRSET:    return d->all_down ? "all-down" : "address";
	case GTM_ANS_CNAME:    return d->all_down ? "all-down" : "cname";
	case GTM_ANS_NODATA:   return "nodata";
	case GTM_ANS_SERVFAIL: return "servfail";
	default:               return "static";
	}
}

/*! Explains one name (and follows a CNAME to another GTM name). */
static void explain(const gtm_table_t *table, const gtm_entry_t *entry, int fam,
                    const gtm_view_t *view, const gtm_client_t *client,
                    bool json, unsigned depth)
{
	gtm_decision_t d;
	char why[4096] = "";
	char answer[4096];
	gtm_trace_t trace = { why, sizeof(why), 0 };
	gtm_select(entry, fam, view, client, false, &d, &trace);
	gtm_decision_answer(&d, answer, sizeof(answer));

	char name[KNOT_DNAME_TXT_MAXLEN + 1] = "";
	(void)knot_dname_to_str(name, entry->owner, sizeof(name));
	const char *family = (fam == GTM_FAM_AAAA) ? "AAAA" : "A";
	uint32_t ttl = d.degraded ? entry->conf->ttl_degraded : entry->conf->ttl;

	const gtm_entry_t *next = NULL;
	if (d.kind == GTM_ANS_CNAME && depth < 8) {
		knot_dname_storage_t target;
		if (knot_dname_from_str(target, answer, sizeof(target)) != NULL) {
			knot_dname_to_lower(target);
			next = gtm_table_find(table, target);
		}
	}

	if (json) {
		printf("%s{\"name\": ", depth ? ", \"then\": " : "");
		json_str(name);
		printf(", \"family\": \"%s\", \"kind\": \"%s\", \"answer\": ", family,
		       kind_str(&d));
		json_str(answer);
		printf(", \"pool\": ");
		json_str((d.pool != NULL) ? d.pool->conf->id : "");
		printf(", \"ttl\": %u, \"degraded\": %s, \"all_down\": %s, \"scope\": %u, "
		       "\"why\": ", ttl, d.degraded ? "true" : "false",
		       d.all_down ? "true" : "false", d.scope);
		json_str(why);
		if (next != NULL) {
			explain(table, next, fam, view, client, json, depth + 1);
		}
		printf("}");
		return;
	}

	printf("%s%s %s\n", depth ? "then " : "", name, family);
	char *step = why;
	while (step != NULL && *step != '\0') {
		char *sep = strstr(step, "; ");
		if (sep != NULL) {
			*sep = '\0';
		}
		printf("  - %s\n", step);
		step = (sep != NULL) ? sep + 2 : NULL;
	}
	if (d.kind == GTM_ANS_PASS) {
		printf("answer: the zone's own records (static)\n");
	} else if (d.kind == GTM_ANS_NODATA || d.kind == GTM_ANS_SERVFAIL) {
		printf("answer: %s\n", kind_str(&d));
	} else {
		printf("answer: %s %s (ttl %u%s)\n",
		       (d.kind == GTM_ANS_CNAME) ? "CNAME" : family, answer, ttl,
		       d.degraded ? ", degraded" : "");
	}
	if (next != NULL) {
		explain(table, next, fam, view, client, json, depth + 1);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: gtm-explain --data FILE --zone ZONE --name NAME "
	        "[--type A|AAAA] [--client IP[/PREFIX]] [--geodb FILE] [--json]\n"
	        "health table on stdin: KEY up|down|unknown UP_SINCE_AGE_MS\n"
	        "and remembered choices: memo VALUE KEY\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "zone", required_argument, NULL, 'z' },
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "client", required_argument, NULL, 'c' },
		{ "geodb", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *data = NULL, *zone = NULL, *qname = NULL, *type = "A";
	const char *client_str = NULL, *geodb = NULL;
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': data = optarg; break;
		case 'z': zone = optarg; break;
		case 'n': qname = optarg; break;
		case 't': type = optarg; break;
		case 'c': client_str = optarg; break;
		case 'g': geodb = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int fam = (strcasecmp(type, "AAAA") == 0) ? GTM_FAM_AAAA :
	          (strcasecmp(type, "A") == 0) ? GTM_FAM_A : -1;
	if (data == NULL || zone == NULL || qname == NULL || fam < 0) {
		usage(stderr);
		return 2;
	}
	gtm_client_t client;
	if (client_str != NULL && parse_client(client_str, &client) != 0) {
		fprintf(stderr, "gtm-explain: invalid client '%s'\n", client_str);
		return 2;
	}
	knot_dname_storage_t name;
	if (knot_dname_from_str(zone_name, zone, sizeof(zone_name)) == NULL ||
	    knot_dname_from_str(name, qname, sizeof(name)) == NULL) {
		fprintf(stderr, "gtm-explain: invalid zone or name\n");
		return 2;
	}
	knot_dname_to_lower(zone_name);
	knot_dname_to_lower(name);

	health.now_ms = gtm_now_ms();
	if (read_health(stdin) != 0) {
		return 1;
	}

	char err[GTM_CONF_ERR_LEN];
	gtm_conf_t *conf = NULL;
	if (gtm_conf_parse(data, &conf, err, sizeof(err)) != KNOT_EOK) {
		fprintf(stderr, "gtm-explain: %s\n", err);
		return 1;
	}
	gtm_table_t *table = NULL;
	int ret = gtm_table_build(conf, (knotd_mod_t *)&health, &table);
	if (ret != KNOT_EOK) {
		fprintf(stderr, "gtm-explain: cannot prepare names (%s)\n",
		        knot_strerror(ret));
		gtm_conf_free(conf);
		return 1;
	}
	if (geodb != NULL) {
		gtm_geo_t *geo = NULL;
		if (gtm_geo_open(geodb, &geo, err, sizeof(err)) != KNOT_EOK) {
			fprintf(stderr, "gtm-explain: %s\n", err);
			gtm_table_free(table);
			return 1;
		}
		table->geo = geo;
	}

	const gtm_entry_t *entry = gtm_table_find(table, name);
	if (entry == NULL || !entry->fam[fam].served) {
		fprintf(stderr, "gtm-explain: %s %s is not a GTM name of zone %s "
		        "(the zone's records answer)\n", qname, type, zone);
		gtm_table_free(table);
		return 1;
	}
	if (client_str != NULL && entry->topo_geo && table->geo != NULL) {
		gtm_geo_lookup(table->geo, &client);
	}

	gtm_view_t view = {
		.state = health.slot_state,
		.up_since = health.slot_since,
		.count = health.slots,
		.now_ms = health.now_ms,
	};
	explain(table, entry, fam, &view, (client_str != NULL) ? &client : NULL,
	        json, 0);
	if (json) {
		printf("\n");
	} else if (entry->topo != NULL && client_str == NULL) {
		printf("note: topology name explained without a client (--client)\n");
	}
	gtm_table_free(table);
	return 0;
}
