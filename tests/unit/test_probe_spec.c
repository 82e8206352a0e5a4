/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* Target specifications: identity (equality, hash) and owned copies. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <regex.h>
#include <string.h>

#include "target.h"
#include "test_probe_util.h"

static void base(gtm_target_spec_t *spec)
{
	struct sockaddr_storage ss;
	test_loopback(AF_INET, 443, &ss);
	test_spec(spec, GTM_CHECK_HTTPS, &ss);
	spec->host = "www.example.com";
	spec->headers = "X-A: 1\r\n";
	spec->expect_body = "ok";
	spec->expect_body_regex = "^ok";
	spec->sni = "edge.example.com";
	spec->query_name = ".";
	spec->expect_answer = "192.0.2.1";
}

/* Every member changes the identity (and, here, the hash). */
static void test_identity(void **state)
{
	(void)state;
	gtm_target_spec_t a, b;
	base(&a);
	uint64_t hash = gtm_target_spec_hash(&a);

	/* Equal content in other buffers: equal. */
	char host[] = "www.example.com";
	base(&b);
	b.host = host;
	assert_true(gtm_target_spec_equal(&a, &b));
	assert_int_equal(gtm_target_spec_hash(&b), hash);

#define DIFFERS(member, value) do { \
		base(&b); \
		b.member = value; \
		assert_false(gtm_target_spec_equal(&a, &b)); \
		assert_false(gtm_target_spec_equal(&b, &a)); \
		assert_int_not_equal(gtm_target_spec_hash(&b), hash); \
	} while (0)

	DIFFERS(type, GTM_CHECK_HTTP);
	DIFFERS(path, "/other");
	DIFFERS(host, NULL);
	DIFFERS(expect_min, 201);
	DIFFERS(expect_max, 299);
	DIFFERS(method, GTM_HTTP_HEAD);
	DIFFERS(headers, "X-A: 2\r\n");
	DIFFERS(expect_body, "ko");
	DIFFERS(expect_body_regex, NULL);
	DIFFERS(body_limit, 100);
	DIFFERS(sni, "x.example.com");
	DIFFERS(verify, false);
	DIFFERS(ca_file, "/etc/ca.pem");
	DIFFERS(ca_stamp, 42);
	DIFFERS(packets, 4);
	DIFFERS(max_loss, 0);
	DIFFERS(max_rtt_ms, 10);
	DIFFERS(query_name, "example.com.");
	DIFFERS(query_type, 1);
	DIFFERS(expect_rcode, 3);
	DIFFERS(expect_answer, "192.0.2.2");
	DIFFERS(interval_ms, 2000);
	DIFFERS(timeout_ms, 100);
	DIFFERS(recheck_ms, 200);
	DIFFERS(rise, 2);
	DIFFERS(fall, 2);
#undef DIFFERS

	base(&b);
	test_loopback(AF_INET, 444, &b.addr);
	assert_false(gtm_target_spec_equal(&a, &b));

	/* Prepared resources are not part of the identity. */
	base(&b);
	b.body_re = &b;
	assert_true(gtm_target_spec_equal(&a, &b));
	assert_int_equal(gtm_target_spec_hash(&b), hash);
}

static void test_copy(void **state)
{
	(void)state;
	gtm_target_spec_t a, copy;
	base(&a);
	a.verify = false; /* No trust store needed. */

	assert_int_equal(gtm_target_spec_copy(&copy, &a), KNOT_EOK);
	assert_true(gtm_target_spec_equal(&a, &copy));
	assert_ptr_not_equal(copy.host, a.host);
	assert_ptr_not_equal(copy.headers, a.headers);
	assert_ptr_not_equal(copy.expect_answer, a.expect_answer);
	assert_null(a.body_re);
	assert_non_null(copy.body_re);
	assert_int_equal(regexec(copy.body_re, "ok then", 0, NULL, 0), 0);
	assert_int_equal(regexec(copy.body_re, "not ok", 0, NULL, 0), REG_NOMATCH);
	assert_non_null(copy.tls_cred);
	gtm_target_spec_clear(&copy);
	assert_null(copy.host);
	assert_null(copy.body_re);
	assert_null(copy.tls_cred);

	/* Only https takes credentials; a bad regex fails the copy. */
	a.type = GTM_CHECK_HTTP;
	assert_int_equal(gtm_target_spec_copy(&copy, &a), KNOT_EOK);
	assert_null(copy.tls_cred);
	gtm_target_spec_clear(&copy);
	a.expect_body_regex = "(";
	assert_int_equal(gtm_target_spec_copy(&copy, &a), KNOT_EINVAL);
	assert_null(copy.host);
	assert_null(copy.body_re);
}

/* A spec built from a check points into it and reflects every key. */
static void test_from_check(void **state)
{
	(void)state;
	gtm_check_t check = {
		.type = GTM_CHECK_DNS, .port = 5353, .query_name = "example.com.",
		.query_type = 28, .expect_rcode = 3, .expect_answer = "2001:db8::1",
		.interval_ms = 1000, .timeout_ms = 500, .recheck_ms = 100, .rise = 2,
		.fall = 3, .packets = 3, .max_loss = 50,
	};
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	test_loopback(AF_INET6, 0, &ss);
	gtm_target_spec_init(&spec, &check, &ss);
	assert_int_equal(spec.type, GTM_CHECK_DNS);
	assert_int_equal(test_port(&spec.addr), 5353);
	assert_ptr_equal(spec.query_name, check.query_name);
	assert_ptr_equal(spec.expect_answer, check.expect_answer);
	assert_int_equal(spec.query_type, 28);
	assert_int_equal(spec.expect_rcode, 3);
	assert_int_equal(spec.recheck_ms, 100);
	assert_null(spec.body_re);
	assert_null(spec.tls_cred);
}

/* Hostname targets: the name (any case, trailing dot or not) and the port
 * are the identity; init with AF_UNSPEC carries the check's port. */
static void test_hostname(void **state)
{
	(void)state;
	gtm_check_t check = {
		.type = GTM_CHECK_HTTP, .port = 8080, .path = "/", .expect_min = 200,
		.expect_max = 399, .interval_ms = 1000, .timeout_ms = 500, .rise = 1,
		.fall = 1,
	};
	struct sockaddr_storage unspec = { .ss_family = AF_UNSPEC };
	gtm_target_spec_t a, b, copy;

	gtm_target_spec_init(&a, &check, &unspec);
	assert_int_equal(a.addr.ss_family, AF_UNSPEC);
	assert_int_equal(test_port(&a.addr), 8080);
	assert_null(a.hostname);
	a.hostname = "cdn1.example.net.";
	uint64_t hash = gtm_target_spec_hash(&a);

	b = a;
	b.hostname = "CDN1.Example.NET";
	assert_true(gtm_target_spec_equal(&a, &b));
	assert_int_equal(gtm_target_spec_hash(&b), hash);

	b.hostname = "cdn2.example.net.";
	assert_false(gtm_target_spec_equal(&a, &b));
	assert_int_not_equal(gtm_target_spec_hash(&b), hash);
	b.hostname = "cdn1.example.net.x";
	assert_false(gtm_target_spec_equal(&a, &b));
	b.hostname = "cdn1.example.ne";
	assert_false(gtm_target_spec_equal(&a, &b));

	/* Another port, or no hostname at all: another target. */
	check.port = 8081;
	gtm_target_spec_init(&b, &check, &unspec);
	b.hostname = a.hostname;
	assert_false(gtm_target_spec_equal(&a, &b));
	assert_int_not_equal(gtm_target_spec_hash(&b), hash);
	check.port = 8080;
	gtm_target_spec_init(&b, &check, &unspec);
	assert_false(gtm_target_spec_equal(&a, &b));
	assert_false(gtm_target_spec_equal(&b, &a));

	/* An address target with the same check is not the hostname target. */
	struct sockaddr_storage lo;
	test_loopback(AF_INET, 0, &lo);
	gtm_target_spec_init(&b, &check, &lo);
	b.hostname = NULL;
	assert_false(gtm_target_spec_equal(&a, &b));

	/* Copies own the hostname. */
	assert_int_equal(gtm_target_spec_copy(&copy, &a), KNOT_EOK);
	assert_non_null(copy.hostname);
	assert_ptr_not_equal(copy.hostname, a.hostname);
	assert_string_equal(copy.hostname, a.hostname);
	assert_true(gtm_target_spec_equal(&a, &copy));
	assert_int_equal(gtm_target_spec_hash(&copy), hash);
	gtm_target_spec_clear(&copy);
	assert_null(copy.hostname);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_from_check),
		cmocka_unit_test(test_hostname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
