/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "conf_int.h"

#define CONF_DIR	GTM_TEST_DATA "/conf"
#define MIN_BAD_FILES	180
#define LABEL63		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"

static gtm_conf_t *parse_good(const char *file)
{
	char path[PATH_MAX];
	char err[GTM_CONF_ERR_LEN] = "";
	gtm_conf_t *conf = NULL;

	snprintf(path, sizeof(path), "%s/%s", CONF_DIR, file);
	int ret = gtm_conf_parse(path, &conf, err, sizeof(err));
	if (ret != KNOT_EOK) {
		print_error("%s: %s\n", file, err);
	}
	assert_int_equal(ret, KNOT_EOK);
	assert_non_null(conf);
	assert_string_equal(conf->file, path);
	return conf;
}

static const gtm_check_t *find_check(const gtm_conf_t *conf, const char *id)
{
	for (size_t i = 0; i < conf->check_count; i++) {
		if (strcmp(conf->checks[i].id, id) == 0) {
			return &conf->checks[i];
		}
	}
	fail_msg("check '%s' not found", id);
	return NULL;
}

static void assert_addr(const gtm_addr_t *addr, const char *expected)
{
	char buf[INET6_ADDRSTRLEN] = "";
	const void *raw = (addr->addr.ss_family == AF_INET)
	                  ? (const void *)&((const struct sockaddr_in *)&addr->addr)->sin_addr
	                  : (const void *)&((const struct sockaddr_in6 *)&addr->addr)->sin6_addr;
	assert_non_null(inet_ntop(addr->addr.ss_family, raw, buf, sizeof(buf)));
	assert_string_equal(buf, expected);
	if (addr->addr.ss_family == AF_INET) {
		assert_int_equal(((const struct sockaddr_in *)&addr->addr)->sin_port, 0);
	} else {
		assert_int_equal(addr->addr.ss_family, AF_INET6);
		assert_int_equal(((const struct sockaddr_in6 *)&addr->addr)->sin6_port, 0);
	}
}

static void test_good_full(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-full.conf");

	assert_int_equal(conf->check_count, 4);
	const gtm_check_t *web = find_check(conf, "web");
	assert_ptr_equal(web, &conf->checks[0]);
	assert_int_equal(web->type, GTM_CHECK_HTTP);
	assert_int_equal(web->port, 8080);
	assert_string_equal(web->path, "/health?full=1");
	assert_string_equal(web->host, "origin.example.com:8443");
	assert_int_equal(web->expect_min, 200);
	assert_int_equal(web->expect_max, 299);
	assert_int_equal(web->interval_ms, 1500);
	assert_int_equal(web->timeout_ms, 1000);
	assert_int_equal(web->rise, 4);
	assert_int_equal(web->fall, 5);
	assert_int_equal(web->line, 3);

	const gtm_check_t *dflt = find_check(conf, "defaults-http");
	assert_int_equal(dflt->type, GTM_CHECK_HTTP);
	assert_int_equal(dflt->port, 80);
	assert_string_equal(dflt->path, "/");
	assert_null(dflt->host);
	assert_int_equal(dflt->expect_min, 200);
	assert_int_equal(dflt->expect_max, 399);
	assert_int_equal(dflt->interval_ms, 5000);
	assert_int_equal(dflt->timeout_ms, 2000);
	assert_int_equal(dflt->rise, 2);
	assert_int_equal(dflt->fall, 3);
	assert_int_equal(dflt->line, 14);

	const gtm_check_t *tcp = find_check(conf, "tcp-short");
	assert_int_equal(tcp->type, GTM_CHECK_TCP);
	assert_int_equal(tcp->port, 65535);
	assert_null(tcp->path);
	assert_null(tcp->host);
	assert_int_equal(tcp->interval_ms, 1000);
	assert_int_equal(tcp->timeout_ms, 1000); /* Default capped by interval. */
	assert_int_equal(tcp->rise, 1);
	assert_int_equal(tcp->fall, 100);

	const gtm_check_t *single = find_check(conf, "single-status");
	assert_int_equal(single->type, GTM_CHECK_HTTP);
	assert_int_equal(single->port, 1);
	assert_int_equal(single->expect_min, 204);
	assert_int_equal(single->expect_max, 204);
	assert_int_equal(single->interval_ms, 3600000);
	assert_int_equal(single->timeout_ms, 59 * 60000);

	assert_int_equal(conf->pool_count, 3);
	const gtm_pool_t *origins = &conf->pools[0];
	assert_string_equal(origins->id, "origins");
	assert_int_equal(origins->addr_count, 3);
	assert_addr(&origins->addrs[0], "192.0.2.1");
	assert_addr(&origins->addrs[1], "192.0.2.2");
	assert_addr(&origins->addrs[2], "2001:db8::1");
	assert_int_equal(origins->addrs[2].line, 34);
	assert_int_equal(origins->check_count, 1);
	assert_ptr_equal(origins->checks[0], web);
	assert_int_equal(origins->line, 33);

	const gtm_pool_t *backup = &conf->pools[1];
	assert_string_equal(backup->id, "backup");
	assert_int_equal(backup->addr_count, 2);
	assert_addr(&backup->addrs[0], "198.51.100.7");
	assert_addr(&backup->addrs[1], "198.51.100.8");
	assert_int_equal(backup->addrs[0].line, 38);
	assert_int_equal(backup->addrs[1].line, 39);
	assert_int_equal(backup->check_count, 1);
	assert_ptr_equal(backup->checks[0], tcp);

	const gtm_pool_t *stat = &conf->pools[2];
	assert_string_equal(stat->id, "static");
	assert_int_equal(stat->addr_count, 1);
	assert_addr(&stat->addrs[0], "203.0.113.9");
	assert_int_equal(stat->check_count, 0);

	assert_int_equal(conf->name_count, 4);
	const gtm_name_t *gtm = &conf->names[0];
	assert_string_equal(gtm->id, "gtm");
	assert_int_equal(gtm->pool_count, 2);
	assert_ptr_equal(gtm->pools[0].pool, origins);
	assert_ptr_equal(gtm->pools[1].pool, backup);
	assert_int_equal(gtm->ttl, 300);
	assert_int_equal(gtm->all_down, GTM_ALLDOWN_ALL);
	assert_false(gtm->enabled);
	assert_int_equal(gtm->line, 46);

	const gtm_name_t *apex = &conf->names[1];
	assert_string_equal(apex->id, "@");
	assert_int_equal(apex->pool_count, 1);
	assert_ptr_equal(apex->pools[0].pool, stat);
	assert_int_equal(apex->ttl, 30);
	assert_int_equal(apex->all_down, GTM_ALLDOWN_STATIC);
	assert_true(apex->enabled);

	const gtm_name_t *www = &conf->names[2];
	assert_string_equal(www->id, "www.example.com.");
	assert_int_equal(www->pool_count, 2);
	assert_ptr_equal(www->pools[0].pool, backup);
	assert_ptr_equal(www->pools[1].pool, stat);
	assert_int_equal(www->ttl, 0);
	assert_int_equal(www->all_down, GTM_ALLDOWN_STATIC);
	assert_true(www->enabled);

	const gtm_name_t *mixed = &conf->names[3];
	assert_string_equal(mixed->id, "Mixed.Case");
	assert_int_equal(mixed->ttl, 604800);
	assert_false(mixed->enabled);

	gtm_conf_free(conf);
}

static void test_good_forward(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-forward.conf");

	assert_int_equal(conf->check_count, 1);
	assert_int_equal(conf->pool_count, 2);
	assert_int_equal(conf->name_count, 2);
	const gtm_check_t *ping = &conf->checks[0];
	assert_int_equal(ping->type, GTM_CHECK_TCP);
	assert_int_equal(ping->port, 443);
	assert_int_equal(conf->pools[0].check_count, 1);
	assert_ptr_equal(conf->pools[0].checks[0], ping);
	assert_int_equal(conf->pools[1].check_count, 1);
	assert_ptr_equal(conf->pools[1].checks[0], ping);

	const gtm_name_t *app = &conf->names[0];
	assert_string_equal(app->id, "app");
	assert_int_equal(app->pool_count, 2);
	assert_ptr_equal(app->pools[0].pool, &conf->pools[0]);
	assert_ptr_equal(app->pools[1].pool, &conf->pools[1]);
	assert_string_equal(conf->names[1].id, "app2");
	assert_ptr_equal(conf->names[1].pools[0].pool, &conf->pools[1]);

	gtm_conf_free(conf);
}

static void test_good_ipv6(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-ipv6.conf");

	assert_int_equal(conf->pool_count, 3);
	const gtm_pool_t *v6 = &conf->pools[0];
	assert_int_equal(v6->addr_count, 4);
	assert_addr(&v6->addrs[0], "2001:db8::1");
	assert_addr(&v6->addrs[1], "2001:db8::2");
	assert_addr(&v6->addrs[2], "::ffff:192.0.2.1");
	assert_addr(&v6->addrs[3], "fe80::1");
	assert_int_equal(v6->check_count, 1);
	assert_ptr_equal(v6->checks[0], &conf->checks[0]);
	assert_string_equal(conf->checks[0].host, "www.example.com");

	const gtm_pool_t *mixed = &conf->pools[1];
	assert_int_equal(mixed->addr_count, 4);
	assert_addr(&mixed->addrs[0], "2001:db8:1::1");
	assert_addr(&mixed->addrs[1], "192.0.2.1");
	assert_addr(&mixed->addrs[2], "2001:db8:1::2");
	assert_addr(&mixed->addrs[3], "192.0.2.2");
	assert_int_equal(mixed->check_count, 0);

	const gtm_name_t *dual = &conf->names[0];
	assert_int_equal(dual->pool_count, 3);
	assert_ptr_equal(dual->pools[0].pool, v6);
	assert_ptr_equal(dual->pools[1].pool, mixed);
	assert_ptr_equal(dual->pools[2].pool, &conf->pools[2]);
	assert_int_equal(dual->all_down, GTM_ALLDOWN_ALL);

	gtm_conf_free(conf);
}

/* Names that differ in form or depth are distinct items. */
static void test_good_names(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-names.conf");

	const char *ids[] = { "gtm", "gtm.", "a.gtm", "@", "." };
	assert_int_equal(conf->name_count, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(conf->names[i].id, ids[i]);
		assert_ptr_equal(conf->names[i].pools[0].pool, &conf->pools[0]);
	}

	gtm_conf_free(conf);
}

/* Many items: ids, references and duplicates stay correct past the
 * growth steps of the arrays and the id index. */
static void test_many_items(void **state)
{
	(void)state;
	const size_t n = 3000;
	char path[] = "/tmp/gtm-test-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "check:\n  - id: c\n    type: tcp\n    port: 80\npool:\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "  - id: p%zu\n    address: 10.%zu.%zu.1\n    check: c\n",
		        i, i / 256, i % 256);
	}
	fprintf(f, "name:\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "  - id: n%zu\n    pool: [ p%zu, p%zu ]\n", i, n - 1 - i, i);
	}
	fclose(f);

	gtm_conf_t *conf = NULL;
	char err[GTM_CONF_ERR_LEN] = "";
	assert_int_equal(gtm_conf_parse(path, &conf, err, sizeof(err)), KNOT_EOK);
	assert_int_equal(conf->name_count, n);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(conf->names[i].pools[0].pool, &conf->pools[n - 1 - i]);
		assert_ptr_equal(conf->names[i].pools[1].pool, &conf->pools[i]);
		assert_int_equal(conf->pools[i].check_count, 1);
	assert_ptr_equal(conf->pools[i].checks[0], &conf->checks[0]);
	}
	gtm_conf_free(conf);

	/* The same name again at the end is found as a duplicate. */
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, "  - id: N1234\n    pool: p0\n");
	fclose(f);
	assert_int_equal(gtm_conf_parse(path, &conf, err, sizeof(err)), KNOT_EEXIST);
	assert_non_null(strstr(err, "name[N1234]: duplicate id"));
	unlink(path);
}

static void test_good_probes(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-probes.conf");
	assert_int_equal(conf->check_count, 7);

	const gtm_check_t *site = find_check(conf, "site");
	assert_int_equal(site->type, GTM_CHECK_HTTPS);
	assert_int_equal(site->port, 443);
	assert_string_equal(site->path, "/");
	assert_string_equal(site->host, "www.example.com");
	assert_string_equal(site->sni, "edge.example.com");
	assert_true(site->verify);
	assert_null(site->ca_file);
	assert_int_equal(site->method, GTM_HTTP_GET);
	assert_string_equal(site->headers, "X-Probe: gtm\r\nAccept: text/plain\r\n");
	assert_int_equal(site->header_count, 2);
	assert_string_equal(site->expect_body, "ok");
	assert_string_equal(site->expect_body_regex, "^status: (ok|degraded)$");
	assert_int_equal(site->body_limit, 8192);
	assert_int_equal(site->recheck_ms, 300);
	assert_int_equal(site->interval_ms, 5000);

	const gtm_check_t *insecure = find_check(conf, "insecure");
	assert_int_equal(insecure->port, 8443);
	assert_false(insecure->verify);
	assert_null(insecure->headers);
	assert_null(insecure->expect_body);
	assert_int_equal(insecure->body_limit, 4096);
	assert_int_equal(insecure->recheck_ms, 500); /* interval / 10 */

	const gtm_check_t *head = find_check(conf, "head");
	assert_int_equal(head->type, GTM_CHECK_HTTP);
	assert_int_equal(head->port, 80);
	assert_int_equal(head->method, GTM_HTTP_HEAD);
	assert_int_equal(head->timeout_ms, 100);
	assert_int_equal(head->recheck_ms, 50); /* interval / 10, at least 50ms */

	const gtm_check_t *ping = find_check(conf, "ping");
	assert_int_equal(ping->type, GTM_CHECK_ICMP);
	assert_int_equal(ping->port, 0);
	assert_int_equal(ping->packets, 5);
	assert_int_equal(ping->max_loss, 20);
	assert_int_equal(ping->max_rtt_ms, 150);
	assert_int_equal(ping->recheck_ms, 1000); /* interval / 10, at most 1s */
	assert_null(ping->path);

	const gtm_check_t *ping_dflt = find_check(conf, "ping-defaults");
	assert_int_equal(ping_dflt->packets, 3);
	assert_int_equal(ping_dflt->max_loss, 50);
	assert_int_equal(ping_dflt->max_rtt_ms, 0);

	const gtm_check_t *resolver = find_check(conf, "resolver");
	assert_int_equal(resolver->type, GTM_CHECK_DNS);
	assert_int_equal(resolver->port, 53);
	assert_string_equal(resolver->query_name, "www.example.com.");
	assert_int_equal(resolver->query_type, KNOT_RRTYPE_AAAA);
	assert_int_equal(resolver->expect_rcode, KNOT_RCODE_NXDOMAIN);
	assert_string_equal(resolver->expect_answer, "2001:db8::1");
	assert_int_equal(resolver->recheck_ms, 30000);

	const gtm_check_t *dns = find_check(conf, "dns-defaults");
	assert_int_equal(dns->port, 5353);
	assert_string_equal(dns->query_name, ".");
	assert_int_equal(dns->query_type, KNOT_RRTYPE_SOA);
	assert_int_equal(dns->expect_rcode, KNOT_RCODE_NOERROR);
	assert_null(dns->expect_answer);

	assert_int_equal(conf->pools[0].check_count, 1);
	assert_ptr_equal(conf->pools[0].checks[0], site);
	assert_int_equal(conf->pools[1].check_count, 1);
	assert_ptr_equal(conf->pools[1].checks[0], ping);
	gtm_conf_free(conf);
}

/*! A CA file is loaded at parse time; its version is part of the check. */
static void test_ca_file(void **state)
{
	(void)state;
	char path[] = "/tmp/gtm-test-conf-XXXXXX";
	char err[GTM_CONF_ERR_LEN] = "";
	gtm_conf_t *conf = NULL;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	fprintf(fp, "check:\n  - id: tls\n    type: https\n    ca-file: %s\n",
	        CONF_DIR "/test-ca.pem");
	assert_int_equal(fclose(fp), 0);

	int ret = gtm_conf_parse(path, &conf, err, sizeof(err));
	if (ret != KNOT_EOK) {
		print_error("%s\n", err);
	}
	assert_int_equal(ret, KNOT_EOK);
	assert_string_equal(conf->checks[0].ca_file, CONF_DIR "/test-ca.pem");
	assert_int_not_equal(conf->checks[0].ca_stamp, 0);
	assert_true(conf->checks[0].verify);
	gtm_conf_free(conf);

	/* verify off after a (loadable) ca-file: refused once the item ends. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "check:\n  - id: tls\n    type: https\n    ca-file: %s\n"
	        "    verify: off\n", CONF_DIR "/test-ca.pem");
	assert_int_equal(fclose(fp), 0);
	conf = NULL;
	assert_int_equal(gtm_conf_parse(path, &conf, err, sizeof(err)), KNOT_EINVAL);
	assert_null(conf);
	assert_non_null(strstr(err, ":4: check[tls].ca-file: not used with verify off"));
	unlink(path);
}

/*! Value helpers of the new keys. */
static void test_probe_values(void **state)
{
	(void)state;
	uint64_t v = 7;
	assert_true(gtm_conf_percent("0", &v));
	assert_int_equal(v, 0);
	assert_true(gtm_conf_percent("99%", &v));
	assert_int_equal(v, 99);
	assert_true(gtm_conf_percent("05", &v));
	assert_int_equal(v, 5);
	assert_false(gtm_conf_percent("100", &v));
	assert_false(gtm_conf_percent("", &v));
	assert_false(gtm_conf_percent("%", &v));
	assert_false(gtm_conf_percent("5 %", &v));
	assert_false(gtm_conf_percent("5%%", &v));
	assert_false(gtm_conf_percent("-1", &v));

	assert_int_equal(gtm_conf_header_invalid("X-Token: abc"), 0);
	assert_int_equal(gtm_conf_header_invalid("X-Empty:"), 0);
	assert_int_equal(gtm_conf_header_invalid("A!#$%&'*+-.^_`|~0z: v\tw"), 0);
	assert_int_equal(gtm_conf_header_invalid("X-Token"), -1);
	assert_int_equal(gtm_conf_header_invalid(": abc"), -1);
	assert_int_equal(gtm_conf_header_invalid("X Token: abc"), 2);
	assert_int_equal(gtm_conf_header_invalid("X(: abc"), 2);
	assert_int_equal(gtm_conf_header_invalid("X: a\rb"), 5);
	assert_int_equal(gtm_conf_header_invalid("X: a\nb"), 5);
	assert_int_equal(gtm_conf_header_invalid("X: \x7f"), 4);
}

static const gtm_pool_t *find_pool(const gtm_conf_t *conf, const char *id)
{
	for (size_t i = 0; i < conf->pool_count; i++) {
		if (strcmp(conf->pools[i].id, id) == 0) {
			return &conf->pools[i];
		}
	}
	fail_msg("pool '%s' not found", id);
	return NULL;
}

static const gtm_topo_t *find_topo(const gtm_conf_t *conf, const char *id)
{
	for (size_t i = 0; i < conf->topo_count; i++) {
		if (strcmp(conf->topos[i].id, id) == 0) {
			return &conf->topos[i];
		}
	}
	fail_msg("topology '%s' not found", id);
	return NULL;
}

static void assert_subnet(const gtm_subnet_t *net, const char *expected, uint8_t prefix)
{
	gtm_addr_t addr = { .addr = net->addr };
	assert_addr(&addr, expected);
	assert_int_equal(net->prefix, prefix);
}

/*! Pools: address policies, thresholds, checks lists and entry attributes. */
static void test_good_policies_pools(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-policies.conf");
	const gtm_check_t *web = find_check(conf, "web");
	const gtm_check_t *ping = find_check(conf, "ping");
	const gtm_check_t *tls = find_check(conf, "tls");
	assert_int_equal(conf->pool_count, 7);

	const gtm_pool_t *eu = find_pool(conf, "eu");
	assert_ptr_equal(eu, &conf->pools[0]);
	assert_false(eu->is_cname);
	assert_int_equal(eu->addr_count, 4);
	assert_addr(&eu->addrs[0], "192.0.2.1");
	assert_int_equal(eu->addrs[0].weight, 1);
	assert_true(eu->addrs[0].enabled);
	assert_null(eu->addrs[0].cname);
	assert_addr(&eu->addrs[1], "192.0.2.2");
	assert_int_equal(eu->addrs[1].weight, 3);
	assert_true(eu->addrs[1].enabled);
	assert_addr(&eu->addrs[2], "2001:db8::1");
	assert_int_equal(eu->addrs[2].weight, 1);
	assert_false(eu->addrs[2].enabled);
	assert_int_equal(eu->addrs[2].line, 14);
	assert_addr(&eu->addrs[3], "192.0.2.3");
	assert_int_equal(eu->addrs[3].weight, 1000);
	assert_true(eu->addrs[3].enabled);
	assert_int_equal(eu->addrs[3].line, 15);
	assert_int_equal(eu->check_count, 2);
	assert_ptr_equal(eu->checks[0], web);
	assert_ptr_equal(eu->checks[1], ping);
	assert_int_equal(eu->check_need, 1);          /* any */
	assert_int_equal(eu->policy, GTM_APOL_WEIGHTED);
	assert_int_equal(eu->max_answers, 2);
	assert_int_equal(eu->min_count, 1);
	assert_int_equal(eu->min_percent, 50);
	assert_int_equal(eu->failback_ms, 30000);
	assert_true(eu->enabled);
	assert_int_equal(eu->line, 13);

	const gtm_pool_t *us = find_pool(conf, "us");
	assert_int_equal(us->check_count, 2);
	assert_ptr_equal(us->checks[0], web);
	assert_ptr_equal(us->checks[1], tls);
	assert_int_equal(us->check_need, 2);
	assert_int_equal(us->policy, GTM_APOL_SEQUENCE);
	assert_false(us->preempt);
	assert_int_equal(us->max_answers, 1);         /* sequence default */
	assert_int_equal(us->min_count, 1);
	assert_int_equal(us->min_percent, 0);
	assert_int_equal(us->failback_ms, 24 * 3600 * 1000);

	const gtm_pool_t *rr = find_pool(conf, "rr");
	assert_int_equal(rr->check_count, 3);
	assert_ptr_equal(rr->checks[2], tls);
	assert_int_equal(rr->check_need, 3);          /* all by default */
	assert_int_equal(rr->policy, GTM_APOL_ROUND_ROBIN);
	assert_true(rr->preempt);
	assert_int_equal(rr->max_answers, 0);         /* no limit */
	assert_int_equal(rr->failback_ms, 0);

	const gtm_pool_t *every = find_pool(conf, "every");
	assert_int_equal(every->check_count, 1);
	assert_int_equal(every->check_need, 1);       /* all of one */
	assert_int_equal(every->policy, GTM_APOL_ALL);
	assert_int_equal(every->max_answers, 64);
	assert_int_equal(every->min_count, 64);
	assert_int_equal(every->min_percent, 0);
	assert_false(every->enabled);

	const gtm_pool_t *cdns = find_pool(conf, "cdns");
	assert_true(cdns->is_cname);
	assert_int_equal(cdns->addr_count, 4);
	assert_string_equal(cdns->addrs[0].cname, "cdn1.example.net.");
	assert_addr(&cdns->addrs[0], "192.0.2.50");
	assert_string_equal(cdns->addrs[1].cname, "cdn2.example.net.");
	assert_int_equal(cdns->addrs[1].addr.ss_family, AF_UNSPEC);
	assert_true(cdns->addrs[1].enabled);
	assert_string_equal(cdns->addrs[2].cname, "www2");
	assert_addr(&cdns->addrs[2], "2001:db8::50");
	assert_false(cdns->addrs[2].enabled);
	assert_int_equal(cdns->addrs[2].line, 50);
	assert_string_equal(cdns->addrs[3].cname, "@");
	assert_int_equal(cdns->addrs[3].addr.ss_family, AF_UNSPEC);
	assert_int_equal(cdns->check_count, 1);
	assert_ptr_equal(cdns->checks[0], web);
	assert_int_equal(cdns->check_need, 1);
	assert_int_equal(cdns->max_answers, 1);

	const gtm_pool_t *wcdn = find_pool(conf, "weighted-cdn");
	assert_true(wcdn->is_cname);
	assert_string_equal(wcdn->addrs[0].cname, "a");
	assert_int_equal(wcdn->addrs[0].weight, 2);
	assert_string_equal(wcdn->addrs[1].cname, "B.Example.");
	assert_int_equal(wcdn->addrs[1].weight, 5);
	assert_int_equal(wcdn->check_count, 0);
	assert_int_equal(wcdn->check_need, 0);
	assert_int_equal(wcdn->max_answers, 1);       /* weighted default */
	assert_int_equal(wcdn->min_percent, 100);

	/* Every default. */
	const gtm_pool_t *dflt = find_pool(conf, "defaults");
	assert_false(dflt->is_cname);
	assert_int_equal(dflt->addr_count, 1);
	assert_int_equal(dflt->addrs[0].weight, 1);
	assert_true(dflt->addrs[0].enabled);
	assert_int_equal(dflt->check_count, 0);
	assert_int_equal(dflt->check_need, 0);
	assert_int_equal(dflt->policy, GTM_APOL_SEQUENCE);
	assert_true(dflt->preempt);
	assert_int_equal(dflt->max_answers, 1);
	assert_int_equal(dflt->min_count, 1);
	assert_int_equal(dflt->min_percent, 0);
	assert_int_equal(dflt->failback_ms, 0);
	assert_true(dflt->enabled);

	gtm_conf_free(conf);
}

/*! Topology rules: subnets normalised, codes upper-cased, pool lists. */
static void test_good_policies_topology(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-policies.conf");
	assert_int_equal(conf->topo_count, 3);

	const gtm_topo_t *europe = find_topo(conf, "europe");
	assert_ptr_equal(europe, &conf->topos[0]);
	assert_int_equal(europe->line, 63);
	assert_int_equal(europe->subnet_count, 3);
	assert_subnet(&europe->subnets[0], "10.1.0.0", 16);
	assert_subnet(&europe->subnets[1], "2001:db8:1::", 48);
	assert_subnet(&europe->subnets[2], "192.0.2.7", 32);
	assert_int_equal(europe->country_count, 2);
	assert_string_equal(europe->countries[0], "DE");
	assert_string_equal(europe->countries[1], "FR");
	assert_int_equal(europe->continent_count, 1);
	assert_string_equal(europe->continents[0], "EU");
	assert_int_equal(europe->pool_count, 2);
	assert_ptr_equal(europe->pools[0].pool, find_pool(conf, "eu"));
	assert_ptr_equal(europe->pools[1].pool, find_pool(conf, "us"));
	assert_int_equal(europe->pools[0].weight, 1);
	assert_int_equal(europe->pools[1].line, 68);

	const gtm_topo_t *asia = find_topo(conf, "asia");
	assert_int_equal(asia->subnet_count, 0);
	assert_int_equal(asia->country_count, 0);
	assert_int_equal(asia->continent_count, 1);
	assert_string_equal(asia->continents[0], "AS");
	assert_int_equal(asia->pool_count, 1);

	const gtm_topo_t *lab = find_topo(conf, "lab");
	assert_int_equal(lab->subnet_count, 3);
	assert_subnet(&lab->subnets[0], "0.0.0.0", 0);
	assert_subnet(&lab->subnets[1], "::", 0);
	assert_subnet(&lab->subnets[2], "2001:db8::1", 128);
	assert_int_equal(lab->country_count + lab->continent_count, 0);

	/* The first country/continent key of a rule used by 'geo'. */
	assert_int_equal(conf->geo_line, 66);
	gtm_conf_free(conf);
}

/*! Names: pool policies, weights, topology, TTLs and all-down values. */
static void test_good_policies_names(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-policies.conf");
	const gtm_pool_t *eu = find_pool(conf, "eu"), *us = find_pool(conf, "us");
	assert_int_equal(conf->name_count, 6);

	const gtm_name_t *gtm = &conf->names[0];
	assert_string_equal(gtm->id, "gtm");
	assert_int_equal(gtm->pool_count, 2);
	assert_ptr_equal(gtm->pools[0].pool, eu);
	assert_int_equal(gtm->pools[0].weight, 1);
	assert_int_equal(gtm->pools[0].line, 80);
	assert_ptr_equal(gtm->pools[1].pool, us);
	assert_int_equal(gtm->pools[1].weight, 2);
	assert_int_equal(gtm->pool_policy, GTM_PPOL_WEIGHTED);
	assert_true(gtm->preempt);
	assert_int_equal(gtm->failback_ms, 30000);
	assert_int_equal(gtm->topo_count, 0);
	assert_int_equal(gtm->ttl, 60);
	assert_int_equal(gtm->ttl_degraded, 5);
	assert_int_equal(gtm->all_down, GTM_ALLDOWN_POOL);
	assert_ptr_equal(gtm->all_down_pool, find_pool(conf, "rr"));
	assert_null(gtm->all_down_cname);
	assert_true(gtm->enabled);

	const gtm_name_t *geo = &conf->names[1];
	assert_ptr_equal(geo->pools[0].pool, us);
	assert_ptr_equal(geo->pools[1].pool, eu);
	assert_int_equal(geo->pool_policy, GTM_PPOL_TOPOLOGY);
	assert_false(geo->preempt);
	assert_int_equal(geo->failback_ms, 0);
	assert_int_equal(geo->topo_count, 3);
	assert_ptr_equal(geo->topos[0], find_topo(conf, "europe"));
	assert_ptr_equal(geo->topos[1], find_topo(conf, "asia"));
	assert_ptr_equal(geo->topos[2], find_topo(conf, "lab"));
	assert_int_equal(geo->ttl, 30);
	assert_int_equal(geo->ttl_degraded, 30);      /* = ttl */
	assert_int_equal(geo->all_down, GTM_ALLDOWN_CNAME);
	assert_string_equal(geo->all_down_cname, "sorry.example.net.");
	assert_null(geo->all_down_pool);

	const gtm_name_t *cdn = &conf->names[2];
	assert_ptr_equal(cdn->pools[0].pool, find_pool(conf, "cdns"));
	assert_int_equal(cdn->pool_policy, GTM_PPOL_SEQUENCE);
	assert_true(cdn->preempt);
	assert_int_equal(cdn->ttl, 60);
	assert_int_equal(cdn->ttl_degraded, 60);
	assert_int_equal(cdn->all_down, GTM_ALLDOWN_LAST_GOOD);

	assert_int_equal(conf->names[3].all_down, GTM_ALLDOWN_NODATA);
	assert_int_equal(conf->names[4].all_down, GTM_ALLDOWN_SERVFAIL);
	assert_int_equal(conf->names[4].ttl, 0);
	assert_int_equal(conf->names[4].ttl_degraded, 0);

	const gtm_name_t *tocname = &conf->names[5];
	assert_int_equal(tocname->all_down, GTM_ALLDOWN_CNAME);
	assert_string_equal(tocname->all_down_cname, "www");
	assert_int_equal(tocname->pool_count, 2);
	assert_int_equal(tocname->pools[1].weight, 1);

	gtm_conf_free(conf);
}

/*! Parses a data file given as text; returns the result code. */
static int parse_text(const char *text, gtm_conf_t **conf, char *err, size_t err_len)
{
	char path[] = "/tmp/gtm-test-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	*conf = NULL;
	int ret = gtm_conf_parse(path, conf, err, err_len);
	unlink(path);
	return ret;
}

/*! geo_line: only rules used by names with pool-policy topology count. */
static void test_geo_line(void **state)
{
	(void)state;
	static const char *head =
		"pool:\n"                       /* 1 */
		"  - id: p\n"                   /* 2 */
		"    address: 192.0.2.1\n"      /* 3 */
		"topology:\n"                   /* 4 */
		"  - id: unused-geo\n"          /* 5 */
		"    country: US\n"             /* 6 */
		"    pool: p\n"                 /* 7 */
		"  - id: nets\n"                /* 8 */
		"    subnet: 10.0.0.0/8\n"      /* 9 */
		"    pool: p\n"                 /* 10 */
		"  - id: late-geo\n"            /* 11 */
		"    subnet: 10.9.0.0/16\n"     /* 12 */
		"    continent: NA\n"           /* 13 */
		"    country: CA\n"             /* 14 */
		"    pool: p\n"                 /* 15 */
		"name:\n"
		"  - id: by-subnet\n"
		"    pool: p\n"
		"    pool-policy: topology\n"
		"    topology: nets\n";
	static const struct {
		const char *names;
		size_t line;
	} cases[] = {
		{ "", 0 },
		{ "  - id: geo\n    pool: p\n    pool-policy: topology\n"
		  "    topology: [ nets, late-geo ]\n", 13 },
		{ "  - id: geo\n    pool: p\n    pool-policy: topology\n"
		  "    topology: [ late-geo, unused-geo ]\n", 6 },
		/* A rule with a country used only by a name without topology. */
		{ "  - id: seq\n    pool: p\n", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[2048], err[GTM_CONF_ERR_LEN] = "";
		gtm_conf_t *conf;
		snprintf(text, sizeof(text), "%s%s", head, cases[i].names);
		int ret = parse_text(text, &conf, err, sizeof(err));
		if (ret != KNOT_EOK) {
			print_error("case %zu: %s\n", i, err);
		}
		assert_int_equal(ret, KNOT_EOK);
		assert_int_equal(conf->geo_line, cases[i].line);
		gtm_conf_free(conf);
	}
}

/*! The example data file of the repository is valid. */
static void test_example_file(void **state)
{
	(void)state;
	char err[GTM_CONF_ERR_LEN] = "";
	gtm_conf_t *conf = NULL;
	int ret = gtm_conf_parse(GTM_TEST_DATA "/../../gtm.conf.example", &conf,
	                         err, sizeof(err));
	if (ret != KNOT_EOK) {
		print_error("%s\n", err);
	}
	assert_int_equal(ret, KNOT_EOK);
	assert_true(conf->pool_count > 0);
	assert_true(conf->name_count > 0);
	for (size_t n = 0; n < conf->name_count; n++) {
		for (size_t p = 0; p < conf->names[n].pool_count; p++) {
			assert_non_null(conf->names[n].pools[p].pool);
		}
	}
	gtm_conf_free(conf);
}

/*! Value helpers of the policy keys (conf_int.h). */
static void test_policy_values(void **state)
{
	(void)state;
	gtm_subnet_t net;
	assert_int_equal(gtm_conf_subnet("10.1.0.0/16", &net), KNOT_EOK);
	assert_int_equal(net.prefix, 16);
	assert_int_equal(gtm_conf_subnet("10.1.0.0", &net), KNOT_EOK);
	assert_int_equal(net.prefix, 32);
	assert_int_equal(gtm_conf_subnet("::/0", &net), KNOT_EOK);
	assert_int_equal(net.prefix, 0);
	assert_int_equal(net.addr.ss_family, AF_INET6);
	assert_int_equal(gtm_conf_subnet("2001:db8::/128", &net), KNOT_EOK);
	assert_int_equal(gtm_conf_subnet("10.1.0.1/31", &net), KNOT_EMALF);
	assert_int_equal(gtm_conf_subnet("10.1.0.1/32", &net), KNOT_EOK);
	assert_int_equal(gtm_conf_subnet("128.0.0.0/0", &net), KNOT_EMALF);
	assert_int_equal(gtm_conf_subnet("10.0.0.0/33", &net), KNOT_ERANGE);
	assert_int_equal(gtm_conf_subnet("10.0.0.0/999", &net), KNOT_ERANGE);
	assert_int_equal(gtm_conf_subnet("::/129", &net), KNOT_ERANGE);
	assert_int_equal(gtm_conf_subnet("10.0.0.0/-0", &net), KNOT_EINVAL);
	assert_int_equal(gtm_conf_subnet("10.0.0.0/", &net), KNOT_EINVAL);
	assert_int_equal(gtm_conf_subnet("/8", &net), KNOT_EINVAL);
	assert_int_equal(gtm_conf_subnet("10.0.0/8", &net), KNOT_EINVAL);
	assert_int_equal(gtm_conf_subnet("", &net), KNOT_EINVAL);

	char code[3];
	assert_true(gtm_conf_country("de", code));
	assert_string_equal(code, "DE");
	assert_true(gtm_conf_country("zW", code));
	assert_string_equal(code, "ZW");
	assert_true(gtm_conf_country("AD", code));
	assert_true(gtm_conf_country("XK", code));
	assert_false(gtm_conf_country("UK", code));
	assert_false(gtm_conf_country("D", code));
	assert_false(gtm_conf_country("DEU", code));
	assert_false(gtm_conf_country("D1", code));
	assert_false(gtm_conf_country("", code));
	assert_true(gtm_conf_continent("eu", code));
	assert_string_equal(code, "EU");
	assert_true(gtm_conf_continent("SA", code));
	assert_true(gtm_conf_continent("af", code));
	assert_false(gtm_conf_continent("DE", code));
	assert_false(gtm_conf_continent("E", code));

	uint16_t count = 0;
	uint8_t percent = 0;
	assert_int_equal(gtm_conf_min_available("3", &count, &percent), KNOT_EOK);
	assert_int_equal(count, 3);
	assert_int_equal(percent, 0);
	assert_int_equal(gtm_conf_min_available("64", &count, &percent), KNOT_EOK);
	assert_int_equal(gtm_conf_min_available("25%", &count, &percent), KNOT_EOK);
	assert_int_equal(count, 1);
	assert_int_equal(percent, 25);
	assert_int_equal(gtm_conf_min_available("100%", &count, &percent), KNOT_EOK);
	assert_int_equal(percent, 100);
	assert_int_equal(gtm_conf_min_available("65", &count, &percent), KNOT_ERANGE);
	assert_int_equal(gtm_conf_min_available("0", &count, &percent), KNOT_ERANGE);
	assert_int_equal(gtm_conf_min_available("101%", &count, &percent), KNOT_ERANGE);
	assert_int_equal(gtm_conf_min_available("%", &count, &percent), KNOT_EINVAL);
	assert_int_equal(gtm_conf_min_available("5%%", &count, &percent), KNOT_EINVAL);
	assert_int_equal(gtm_conf_min_available("-1", &count, &percent), KNOT_EINVAL);
	assert_int_equal(gtm_conf_min_available("1.5", &count, &percent), KNOT_EINVAL);

	uint8_t a[KNOT_DNAME_MAXLEN + 1], b[KNOT_DNAME_MAXLEN + 1];
	size_t la = gtm_conf_domain_key("WWW.example.", a, sizeof(a));
	size_t lb = gtm_conf_domain_key("www.EXAMPLE.", b, sizeof(b));
	assert_true(la > 0 && la == lb && memcmp(a, b, la) == 0);
	lb = gtm_conf_domain_key("www.example", b, sizeof(b));
	assert_false(la == lb && memcmp(a, b, la) == 0); /* relative differs */
	assert_int_equal(gtm_conf_domain_key("@", a, sizeof(a)), 1);
	assert_int_equal(gtm_conf_domain_key("a..b", a, sizeof(a)), 0);
}

static void assert_domain(const char *str, const char *zone, int exp_ret,
                          const char *exp_name)
{
	knot_dname_storage_t apex, out;
	assert_non_null(knot_dname_from_str(apex, zone, sizeof(apex)));
	assert_int_equal(gtm_conf_domain_resolve(str, apex, out), exp_ret);
	if (exp_ret == KNOT_EOK) {
		knot_dname_storage_t expected;
		assert_non_null(knot_dname_from_str(expected, exp_name, sizeof(expected)));
		assert_true(knot_dname_is_equal(out, expected));
	}
}

/*! Domains of the data file (CNAME targets): no in-zone requirement. */
static void test_domain_resolve(void **state)
{
	(void)state;
	assert_domain("www2", "example.com.", KNOT_EOK, "www2.example.com.");
	assert_domain("@", "Example.COM.", KNOT_EOK, "example.com.");
	assert_domain("CDN.Example.NET.", "example.com.", KNOT_EOK, "cdn.example.net.");
	assert_domain("www.example.com.", "example.com.", KNOT_EOK, "www.example.com.");
	assert_domain(".", "example.com.", KNOT_EOK, ".");
	assert_domain("a..b", "example.com.", KNOT_EINVAL, NULL);
	assert_domain("", "example.com.", KNOT_EINVAL, NULL);

	char long_name[256];
	snprintf(long_name, sizeof(long_name), "%.63s.%.63s.%.63s.%.50s",
	         LABEL63, LABEL63, LABEL63, LABEL63);
	assert_domain(long_name, "example.com.", KNOT_EINVAL, NULL);

	knot_dname_storage_t out;
	assert_int_equal(gtm_conf_domain_resolve(NULL, (const uint8_t *)"", out),
	                 KNOT_EINVAL);
}

/*! Reads the expected error from the first line "# error: TEXT". */
static void read_expected(const char *path, char *out, size_t out_len)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char line[1024] = "";
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);

	const char *prefix = "# error: ";
	if (strncmp(line, prefix, strlen(prefix)) != 0) {
		fail_msg("%s: first line is not '%s...'", path, prefix);
	}
	line[strcspn(line, "\r\n")] = '\0';
	snprintf(out, out_len, "%s", line + strlen(prefix));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad_files(void **state)
{
	(void)state;
	DIR *dir = opendir(CONF_DIR);
	assert_non_null(dir);

	char *names[1024];
	size_t count = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (strncmp(ent->d_name, "bad-", 4) == 0 && len > 5 &&
		    strcmp(ent->d_name + len - 5, ".conf") == 0) {
			assert_true(count < sizeof(names) / sizeof(names[0]));
			names[count] = strdup(ent->d_name);
			assert_non_null(names[count]);
			count++;
		}
	}
	closedir(dir);
	qsort(names, count, sizeof(names[0]), cmp_str);

	size_t failures = 0;
	for (size_t i = 0; i < count; i++) {
		char path[PATH_MAX], expected[1024];
		char err[GTM_CONF_ERR_LEN] = "";
		snprintf(path, sizeof(path), "%s/%s", CONF_DIR, names[i]);
		read_expected(path, expected, sizeof(expected));

		gtm_conf_t *conf = (gtm_conf_t *)0x1;
		int ret = gtm_conf_parse(path, &conf, err, sizeof(err));
		bool ok = (ret != KNOT_EOK && conf == (gtm_conf_t *)0x1 &&
		           strncmp(err, path, strlen(path)) == 0 &&
		           err[strlen(path)] == ':' &&
		           strstr(err + strlen(path), expected) != NULL);
		if (!ok) {
			print_error("%s:\n  expected '%s'\n  got      '%s' (%s)\n",
			            names[i], expected, err, knot_strerror(ret));
			failures++;
		}
		free(names[i]);
	}

	print_message("%zu bad files checked\n", count);
	assert_int_equal(failures, 0);
	assert_true(count >= MIN_BAD_FILES);
}

/*! Return codes of a few representative failures. */
static void test_error_codes(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int ret;
	} cases[] = {
		{ "bad-addr-v4.conf",         KNOT_EINVAL },
		{ "bad-port-zero.conf",       KNOT_ERANGE },
		{ "bad-interval-low.conf",    KNOT_ERANGE },
		{ "bad-undefined-pool.conf",  KNOT_ENOENT },
		{ "bad-undefined-check.conf", KNOT_ENOENT },
		{ "bad-dup-check.conf",       KNOT_EEXIST },
		{ "bad-addr-dup-v4.conf",     KNOT_EEXIST },
		{ "bad-unknown-key.conf",     KNOT_EINVAL },
		{ "bad-topo-pool-undefined.conf", KNOT_ENOENT },
		{ "bad-all-down-pool-undefined.conf", KNOT_ENOENT },
		{ "bad-topology-undefined.conf", KNOT_ENOENT },
		{ "bad-cname-dup.conf",       KNOT_EEXIST },
		{ "bad-subnet-dup.conf",      KNOT_EEXIST },
		{ "bad-check-dup-ref.conf",   KNOT_EEXIST },
		{ "bad-check-rule-exceeds.conf", KNOT_ERANGE },
		{ "bad-check-too-many.conf",  KNOT_ERANGE },
		{ "bad-subnet-host-bits.conf", KNOT_EINVAL },
		{ "bad-weight-not-weighted.conf", KNOT_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[PATH_MAX], err[GTM_CONF_ERR_LEN];
		gtm_conf_t *conf = NULL;
		snprintf(path, sizeof(path), "%s/%s", CONF_DIR, cases[i].file);
		assert_int_equal(gtm_conf_parse(path, &conf, err, sizeof(err)), cases[i].ret);
		assert_null(conf);
	}
}

static void test_open_errors(void **state)
{
	(void)state;
	char err[GTM_CONF_ERR_LEN];
	gtm_conf_t *conf = NULL;

	const char *missing = CONF_DIR "/does-not-exist.conf";
	assert_int_equal(gtm_conf_parse(missing, &conf, err, sizeof(err)), KNOT_ENOENT);
	assert_null(conf);
	assert_string_equal(err, CONF_DIR "/does-not-exist.conf: cannot open "
	                         "(No such file or directory)");

	assert_int_not_equal(gtm_conf_parse(CONF_DIR, &conf, err, sizeof(err)), KNOT_EOK);
	assert_null(conf);
	assert_string_equal(err, CONF_DIR ": cannot open (Is a directory)");

	/* Unreadable file (not testable as root). */
	if (geteuid() != 0) {
		char path[] = "/tmp/gtm-test-conf-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(gtm_conf_parse(path, &conf, err, sizeof(err)), KNOT_EACCES);
		assert_non_null(strstr(err, ": cannot open (Permission denied)"));
		unlink(path);
	}

	/* An empty file is a valid, empty configuration. */
	char path[] = "/tmp/gtm-test-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(gtm_conf_parse(path, &conf, err, sizeof(err)), KNOT_EOK);
	assert_int_equal(conf->check_count + conf->pool_count + conf->name_count, 0);
	gtm_conf_free(conf);
	unlink(path);

	/* Robustness: no error buffer, NULL arguments. */
	conf = NULL;
	assert_int_equal(gtm_conf_parse(missing, &conf, NULL, 0), KNOT_ENOENT);
	assert_int_equal(gtm_conf_parse(NULL, &conf, err, sizeof(err)), KNOT_EINVAL);
	assert_int_equal(gtm_conf_parse(missing, NULL, err, sizeof(err)), KNOT_EINVAL);
	gtm_conf_free(NULL);
}

/*! Short error buffers are truncated, never overrun. */
static void test_err_truncation(void **state)
{
	(void)state;
	char err[16];
	memset(err, 'x', sizeof(err));
	gtm_conf_t *conf = NULL;
	const char *path = CONF_DIR "/bad-unknown-key.conf";
	assert_int_not_equal(gtm_conf_parse(path, &conf, err, 8), KNOT_EOK);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'x');
}

static void assert_resolve(const char *id, const char *zone, int exp_ret,
                           const char *exp_name)
{
	gtm_name_t name = { .id = (char *)id };
	knot_dname_storage_t apex, out;
	assert_non_null(knot_dname_from_str(apex, zone, sizeof(apex)));

	int ret = gtm_conf_name_resolve(&name, apex, out);
	assert_int_equal(ret, exp_ret);
	if (exp_ret == KNOT_EOK) {
		knot_dname_storage_t expected;
		assert_non_null(knot_dname_from_str(expected, exp_name, sizeof(expected)));
		/* Case-sensitive comparison: the result must be lower-cased. */
		assert_true(knot_dname_is_equal(out, expected));
	}
}

static void test_name_resolve(void **state)
{
	(void)state;
	assert_resolve("gtm", "example.com.", KNOT_EOK, "gtm.example.com.");
	assert_resolve("a.b.gtm", "example.com.", KNOT_EOK, "a.b.gtm.example.com.");
	assert_resolve("GTM", "Example.COM.", KNOT_EOK, "gtm.example.com.");
	assert_resolve("@", "Example.COM.", KNOT_EOK, "example.com.");
	assert_resolve("www.example.com.", "example.com.", KNOT_EOK, "www.example.com.");
	assert_resolve("WWW.Example.Com.", "example.COM.", KNOT_EOK, "www.example.com.");
	assert_resolve("example.com.", "example.com.", KNOT_EOK, "example.com.");
	assert_resolve("gtm", ".", KNOT_EOK, "gtm.");
	assert_resolve("www.example.org.", "example.com.", KNOT_EOUTOFZONE, NULL);
	assert_resolve("com.", "example.com.", KNOT_EOUTOFZONE, NULL);
	assert_resolve("wwwexample.com.", "example.com.", KNOT_EOUTOFZONE, NULL);
	/* An escaped trailing dot belongs to the label: the name is relative. */
	assert_resolve("a\\.", "example.com.", KNOT_EOK, "a\\..example.com.");
	assert_resolve("a..b", "example.com.", KNOT_EINVAL, NULL);

	/* Too long once the zone is appended. */
	char long_name[256];
	snprintf(long_name, sizeof(long_name), "%.63s.%.63s.%.63s.%.50s",
	         LABEL63, LABEL63, LABEL63, LABEL63);
	assert_resolve(long_name, "example.com.", KNOT_EINVAL, NULL);

	knot_dname_storage_t out;
	assert_int_equal(gtm_conf_name_resolve(NULL, (const uint8_t *)"", out), KNOT_EINVAL);
}

/*! Parsed names resolve; all file forms are accepted by the resolver. */
static void test_parsed_names_resolve(void **state)
{
	(void)state;
	gtm_conf_t *conf = parse_good("good-full.conf");
	knot_dname_storage_t zone, out;
	assert_non_null(knot_dname_from_str(zone, "example.com.", sizeof(zone)));
	const char *expected[] = {
		"gtm.example.com.", "example.com.", "www.example.com.",
		"mixed.case.example.com.",
	};
	for (size_t i = 0; i < conf->name_count; i++) {
		knot_dname_storage_t exp;
		assert_int_equal(gtm_conf_name_resolve(&conf->names[i], zone, out), KNOT_EOK);
		assert_non_null(knot_dname_from_str(exp, expected[i], sizeof(exp)));
		assert_true(knot_dname_is_equal(out, exp));
	}
	gtm_conf_free(conf);
}

/*! Value helpers shared by the parser (conf_int.h). */
static void test_values(void **state)
{
	(void)state;
	uint64_t v = 0, lo, hi;
	char buf[32];

	assert_int_equal(gtm_conf_duration("0", 0, UINT64_MAX, &v), KNOT_EOK);
	assert_int_equal(v, 0);
	assert_int_equal(gtm_conf_duration("7", 0, UINT64_MAX, &v), KNOT_EOK);
	assert_int_equal(v, 7000);
	assert_int_equal(gtm_conf_duration("250ms", 0, UINT64_MAX, &v), KNOT_EOK);
	assert_int_equal(v, 250);
	assert_int_equal(gtm_conf_duration("2m", 0, UINT64_MAX, &v), KNOT_EOK);
	assert_int_equal(v, 120000);
	assert_int_equal(gtm_conf_duration("1h", 0, UINT64_MAX, &v), KNOT_EOK);
	assert_int_equal(v, 3600000);
	assert_int_equal(gtm_conf_duration("18446744073709551615ms", 0, UINT64_MAX, &v), KNOT_EOK);
	assert_int_equal(gtm_conf_duration("18446744073709551616ms", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration("18446744073709552s", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration("", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration("1S", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration("1sec", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration("+1s", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration(" 1s", 0, UINT64_MAX, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_duration("100ms", 100, 200, &v), KNOT_EOK);
	assert_int_equal(gtm_conf_duration("99ms", 100, 200, &v), KNOT_ERANGE);
	assert_int_equal(gtm_conf_duration("1s", 100, 200, &v), KNOT_ERANGE);

	assert_string_equal(gtm_conf_duration_str(0, buf, sizeof(buf)), "0s");
	assert_string_equal(gtm_conf_duration_str(1500, buf, sizeof(buf)), "1500ms");
	assert_string_equal(gtm_conf_duration_str(2000, buf, sizeof(buf)), "2s");
	assert_string_equal(gtm_conf_duration_str(90000, buf, sizeof(buf)), "90s");
	assert_string_equal(gtm_conf_duration_str(120000, buf, sizeof(buf)), "2m");
	assert_string_equal(gtm_conf_duration_str(7200000, buf, sizeof(buf)), "2h");

	assert_int_equal(gtm_conf_number("65535", 1, 65535, &v), KNOT_EOK);
	assert_int_equal(v, 65535);
	assert_int_equal(gtm_conf_number("00080", 1, 65535, &v), KNOT_EOK);
	assert_int_equal(v, 80);
	assert_int_equal(gtm_conf_number("-0", 0, 10, &v), KNOT_EOK);
	assert_int_equal(gtm_conf_number("-1", 0, 10, &v), KNOT_ERANGE);
	assert_int_equal(gtm_conf_number("99999999999999999999", 0, 10, &v), KNOT_ERANGE);
	assert_int_equal(gtm_conf_number("-", 0, 10, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_number("1e3", 0, 10000, &v), KNOT_EINVAL);
	assert_int_equal(gtm_conf_number("0x10", 0, 10000, &v), KNOT_EINVAL);

	assert_true(gtm_conf_status_range("200", &lo, &hi));
	assert_int_equal(lo, 200);
	assert_int_equal(hi, 200);
	assert_true(gtm_conf_status_range("200-299", &lo, &hi));
	assert_int_equal(hi, 299);
	assert_false(gtm_conf_status_range("-299", &lo, &hi));
	assert_false(gtm_conf_status_range("200-299-300", &lo, &hi));
	assert_false(gtm_conf_status_range("200 - 299", &lo, &hi));

	assert_true(gtm_conf_host_valid("example.com"));
	assert_true(gtm_conf_host_valid("example.com:8080"));
	assert_false(gtm_conf_host_valid("example.com:"));
	assert_false(gtm_conf_host_valid("example.com:65536"));
	assert_false(gtm_conf_host_valid(":80"));
	assert_false(gtm_conf_host_valid("exa mple.com"));

	assert_int_equal(gtm_conf_path_invalid("/a/b?c=d&e"), 0);
	assert_int_equal(gtm_conf_path_invalid("/a\tb"), 3);
	assert_int_equal(gtm_conf_path_invalid("/a b"), 3);
	assert_int_equal(gtm_conf_path_invalid("/a\x7f"), 3);

	assert_true(gtm_conf_id_valid("web-1_a.b", 255));
	assert_false(gtm_conf_id_valid("", 255));
	assert_false(gtm_conf_id_valid("abc", 2));
	assert_false(gtm_conf_id_valid("a[1]", 255));

	assert_int_equal(gtm_conf_name_check("@"), KNOT_EOK);
	assert_int_equal(gtm_conf_name_check("gtm"), KNOT_EOK);
	assert_int_equal(gtm_conf_name_check("."), KNOT_EOK);
	assert_int_equal(gtm_conf_name_check(""), KNOT_EINVAL);
	assert_int_equal(gtm_conf_name_check(".gtm"), KNOT_EINVAL);
	assert_int_equal(gtm_conf_name_check("*"), KNOT_ENOTSUP);

	assert_true(gtm_conf_name_absolute("a."));
	assert_true(gtm_conf_name_absolute("."));
	assert_true(gtm_conf_name_absolute("a\\\\."));
	assert_false(gtm_conf_name_absolute("a"));
	assert_false(gtm_conf_name_absolute("a\\."));
	assert_false(gtm_conf_name_absolute("@"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_good_forward),
		cmocka_unit_test(test_good_ipv6),
		cmocka_unit_test(test_good_names),
		cmocka_unit_test(test_many_items),
		cmocka_unit_test(test_good_probes),
		cmocka_unit_test(test_ca_file),
		cmocka_unit_test(test_probe_values),
		cmocka_unit_test(test_good_policies_pools),
		cmocka_unit_test(test_good_policies_topology),
		cmocka_unit_test(test_good_policies_names),
		cmocka_unit_test(test_geo_line),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_policy_values),
		cmocka_unit_test(test_domain_resolve),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_name_resolve),
		cmocka_unit_test(test_parsed_names_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
