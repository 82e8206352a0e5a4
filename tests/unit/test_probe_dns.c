/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* DNS checks against a scripted UDP/TCP server thread (libknot packets). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "probe.h"
#include "probe_int.h"
#include "test_probe_util.h"

typedef enum {
	DNS_ANSWER = 0, /* Answer over UDP. */
	DNS_TRUNCATE,   /* TC over UDP, the answer over TCP. */
	DNS_BAD_ID,     /* Answer with another id. */
	DNS_GARBAGE,    /* Bytes that are no DNS message. */
	DNS_QUESTION,   /* Answer for another name. */
	DNS_SILENT,     /* Never answer. */
	DNS_TCP_LONG,   /* TC, then a TCP length above the probe's limit. */
	DNS_TCP_CLOSE,  /* TC, then TCP closed without an answer. */
} dns_mode_t;

typedef struct {
	dns_mode_t mode;
	uint8_t rcode;
	int family;
	int udp, tcp;
	struct sockaddr_storage addr;
	pthread_t thread;
	uint8_t query[512];
	size_t query_len;
	bool tcp_query;
} dns_srv_t;

/* Answer to a query: the question copied, rcode, an A record 192.0.2.1. */
static size_t answer(dns_srv_t *s, const uint8_t *q, size_t q_len, uint8_t *out,
                     size_t out_size, bool tc)
{
	knot_pkt_t *query = knot_pkt_new((uint8_t *)q, q_len, NULL);
	assert_non_null(query);
	assert_int_equal(knot_pkt_parse(query, 0), KNOT_EOK);
	knot_pkt_t *resp = knot_pkt_new(out, out_size, NULL);
	assert_non_null(resp);
	assert_int_equal(knot_pkt_init_response(resp, query), KNOT_EOK);
	knot_wire_set_rcode(resp->wire, s->rcode);

	knot_rrset_t rr;
	uint8_t a[4] = { 192, 0, 2, 1 };
	knot_rrset_init(&rr, (knot_dname_t *)knot_pkt_qname(query), KNOT_RRTYPE_A,
	                KNOT_CLASS_IN, 300);
	assert_int_equal(knot_rrset_add_rdata(&rr, a, sizeof(a), NULL), KNOT_EOK);
	if (tc) {
		knot_wire_set_tc(resp->wire);
	} else if (knot_pkt_qtype(query) == KNOT_RRTYPE_A) {
		assert_int_equal(knot_pkt_begin(resp, KNOT_ANSWER), KNOT_EOK);
		assert_int_equal(knot_pkt_put(resp, 0, &rr, 0), KNOT_EOK);
	}
	size_t len = resp->size;
	knot_rdataset_clear(&rr.rrs, NULL);
	knot_pkt_free(resp);
	knot_pkt_free(query);

	if (s->mode == DNS_BAD_ID) {
		knot_wire_set_id(out, knot_wire_get_id(out) + 1);
	} else if (s->mode == DNS_QUESTION) {
		out[KNOT_WIRE_HEADER_SIZE + 1] = 'z'; /* First letter of the name. */
	}
	return len;
}

static void serve_tcp(dns_srv_t *s)
{
	uint8_t buf[600];
	int fd = test_accept(s->tcp);
	if (fd < 0) {
		return;
	}
	ssize_t got = recv(fd, buf, sizeof(buf), 0);
	if (got > 2 && s->mode == DNS_TRUNCATE) {
		s->tcp_query = true;
		size_t len = answer(s, buf + 2, got - 2, buf + 2, sizeof(buf) - 2, false);
		buf[0] = len >> 8;
		buf[1] = len & 0xff;
		(void)test_send_all(fd, buf, len + 2);
	} else if (got > 2 && s->mode == DNS_TCP_LONG) {
		(void)test_send_all(fd, "\xff\xff\x00\x00", 4);
	}
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (s->mode != DNS_TCP_CLOSE) {
		(void)poll(&pfd, 1, TEST_SERVER_WAIT_MS);
	}
	close(fd);
}

static void *dns_main(void *arg)
{
	dns_srv_t *s = arg;
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof(peer);
	uint8_t out[600];

	struct pollfd pfd = { .fd = s->udp, .events = POLLIN };
	if (poll(&pfd, 1, TEST_SERVER_WAIT_MS) != 1) {
		return NULL;
	}
	ssize_t got = recvfrom(s->udp, s->query, sizeof(s->query), 0,
	                       (struct sockaddr *)&peer, &peer_len);
	if (got <= 0) {
		return NULL;
	}
	s->query_len = got;

	size_t len = 0;
	bool tc = (s->mode == DNS_TRUNCATE || s->mode == DNS_TCP_LONG ||
	           s->mode == DNS_TCP_CLOSE);
	if (s->mode == DNS_GARBAGE) {
		memcpy(out, "garbage!", 8);
		len = 8;
	} else if (s->mode != DNS_SILENT) {
		len = answer(s, s->query, s->query_len, out, sizeof(out), tc);
	}
	if (len > 0) {
		(void)sendto(s->udp, out, len, 0, (struct sockaddr *)&peer, peer_len);
	}
	if (tc) {
		serve_tcp(s);
	}
	return NULL;
}

static void dns_start(dns_srv_t *s)
{
	int family = (s->family != 0) ? s->family : AF_INET;
	s->udp = test_udp(family, &s->addr);
	s->tcp = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->tcp >= 0);
	int one = 1;
	(void)setsockopt(s->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->tcp, (struct sockaddr *)&s->addr,
	                      gtm_probe_addr_len(&s->addr)), 0);
	assert_int_equal(listen(s->tcp, 4), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, dns_main, s), 0);
}

static void dns_stop(dns_srv_t *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->udp);
	close(s->tcp);
}

static void dns_run(dns_srv_t *s, gtm_target_spec_t *spec, bool edge,
                    gtm_probe_status_t expected, const char *reason)
{
	gtm_probe_t p;
	dns_start(s);
	spec->addr = s->addr;
	gtm_probe_status_t st = test_drive(&p, spec, TEST_TIMEOUT_MS, edge);
	dns_stop(s);
	if (st != expected || strcmp(p.reason, reason) != 0) {
		fail_msg("mode %d: status %d '%s', expected %d '%s'", s->mode, st,
		         p.reason, expected, reason);
	}
}

static void a_spec(gtm_target_spec_t *spec, const char *answer_text)
{
	struct sockaddr_storage ss;
	test_loopback(AF_INET, 53, &ss);
	test_spec(spec, GTM_CHECK_DNS, &ss);
	spec->query_name = "www.example.com.";
	spec->query_type = KNOT_RRTYPE_A;
	spec->expect_answer = answer_text;
}

static void test_answer(void **state)
{
	(void)state;
	gtm_target_spec_t spec;

	for (int edge = 0; edge <= 1; edge++) {
		dns_srv_t s = { .mode = DNS_ANSWER };
		a_spec(&spec, "192.0.2.1");
		dns_run(&s, &spec, edge, GTM_PROBE_OK, "rcode NOERROR");

		/* What the server got: our question, RD, no EDNS. */
		knot_pkt_t *q = knot_pkt_new(s.query, s.query_len, NULL);
		assert_int_equal(knot_pkt_parse(q, 0), KNOT_EOK);
		knot_dname_storage_t name;
		assert_non_null(knot_dname_from_str(name, "www.example.com.", sizeof(name)));
		assert_true(knot_dname_is_equal(knot_pkt_qname(q), name));
		assert_int_equal(knot_pkt_qtype(q), KNOT_RRTYPE_A);
		assert_true(knot_wire_get_rd(q->wire));
		assert_false(knot_wire_get_qr(q->wire));
		assert_null(q->opt_rr);
		knot_pkt_free(q);
	}

	dns_srv_t m = { .mode = DNS_ANSWER };
	a_spec(&spec, "192.0.2.9");
	dns_run(&m, &spec, false, GTM_PROBE_FAIL, "answer mismatch");

	/* Default query: SOA of the root, rcode only. */
	dns_srv_t r = { .mode = DNS_ANSWER, .family = AF_INET6 };
	a_spec(&spec, NULL);
	spec.query_name = ".";
	spec.query_type = KNOT_RRTYPE_SOA;
	dns_run(&r, &spec, false, GTM_PROBE_OK, "rcode NOERROR");
}

static void test_rcode(void **state)
{
	(void)state;
	gtm_target_spec_t spec;

	dns_srv_t s = { .mode = DNS_ANSWER, .rcode = KNOT_RCODE_SERVFAIL };
	a_spec(&spec, NULL);
	dns_run(&s, &spec, false, GTM_PROBE_FAIL, "rcode SERVFAIL");

	dns_srv_t n = { .mode = DNS_ANSWER, .rcode = KNOT_RCODE_NXDOMAIN };
	spec.expect_rcode = KNOT_RCODE_NXDOMAIN;
	dns_run(&n, &spec, false, GTM_PROBE_OK, "rcode NXDOMAIN");

	dns_srv_t o = { .mode = DNS_ANSWER };
	dns_run(&o, &spec, false, GTM_PROBE_FAIL, "rcode NOERROR");
}

static void test_truncated(void **state)
{
	(void)state;
	gtm_target_spec_t spec;

	for (int edge = 0; edge <= 1; edge++) {
		dns_srv_t s = { .mode = DNS_TRUNCATE };
		a_spec(&spec, "192.0.2.1");
		dns_run(&s, &spec, edge, GTM_PROBE_OK, "rcode NOERROR");
		assert_true(s.tcp_query);
	}

	dns_srv_t l = { .mode = DNS_TCP_LONG };
	dns_run(&l, &spec, false, GTM_PROBE_FAIL, "dns response too long");
	dns_srv_t c = { .mode = DNS_TCP_CLOSE };
	dns_run(&c, &spec, false, GTM_PROBE_FAIL, "dns connection closed");
}

static void test_hostile(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	a_spec(&spec, NULL);

	dns_mode_t bad[] = { DNS_BAD_ID, DNS_GARBAGE, DNS_QUESTION };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dns_srv_t s = { .mode = bad[i] };
		dns_run(&s, &spec, false, GTM_PROBE_FAIL, "dns bad response");
	}

	dns_srv_t q = { .mode = DNS_SILENT };
	int64_t begin = test_now_ms();
	dns_run(&q, &spec, false, GTM_PROBE_FAIL, "timeout in dns response");
	assert_true(test_now_ms() - begin >= TEST_TIMEOUT_MS - 5);

	/* Nobody on the port: the ICMP port unreachable ends it at once. */
	struct sockaddr_storage ss;
	close(test_udp(AF_INET, &ss));
	spec.addr = ss;
	gtm_probe_t p;
	assert_int_equal(test_drive(&p, &spec, TEST_TIMEOUT_MS, false), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "connect refused");

	/* A name that does not convert (spec not from the parser). */
	spec.query_name = "a..b";
	assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "invalid query name");
	assert_null(p.mem);
	assert_int_equal(p.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_FDS_CHECKED(test_answer),
		TEST_FDS_CHECKED(test_rcode),
		TEST_FDS_CHECKED(test_truncated),
		TEST_FDS_CHECKED(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
