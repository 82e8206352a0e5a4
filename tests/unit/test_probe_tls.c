/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * HTTPS checks against a GnuTLS server thread. Keys and certificates are
 * generated at test time (ECDSA P-256) and never written anywhere except
 * the CA certificate, into a temporary directory removed at the end.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "probe.h"
#include "probe_int.h"
#include "probe_tls.h"
#include "test_probe_util.h"

#define NAME	"www.test.example"
#define DAY	(24 * 3600)

typedef struct {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
} ident_t;

/* Test PKI: a trusted CA, an unknown CA, server identities signed by them. */
static struct {
	ident_t ca, other_ca;
	ident_t good, expired, wrong_name, unknown_issuer;
	char dir[64];
	char ca_file[128];
	char junk_file[128];
} pki;

typedef enum {
	TLS_SERVE = 0, /* Handshake, read the request, send the response. */
	TLS_GARBAGE,   /* Plain text instead of TLS. */
	TLS_SILENT,    /* Accept, never answer. */
	TLS_CLOSE,     /* Read the ClientHello, then FIN. */
} tls_mode_t;

typedef struct {
	tls_mode_t mode;
	const ident_t *id;
	const char *resp;
	bool flood;                  /* Endless body after resp. */
	int lfd;
	struct sockaddr_storage addr;
	pthread_t thread;
	char sni[256];
	char req[2048];
	size_t sent;
} tls_srv_t;

static void make_ident(ident_t *id, const char *cn, const char *dns, bool ip, bool ca,
                       time_t from, time_t to, const ident_t *issuer)
{
	static unsigned serial = 1;
	unsigned char ser[4] = { 0, 0, 0, (unsigned char)serial++ };

	assert_int_equal(gnutls_x509_privkey_init(&id->key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(id->key, GNUTLS_PK_ECDSA,
	                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&id->crt), 0);
	gnutls_x509_crt_t crt = id->crt;
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, ser, sizeof(ser)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, from), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, to), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	                                               0, cn, strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, id->key), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, ca, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN :
	                                               GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	if (dns != NULL) {
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
		                 dns, strlen(dns), GNUTLS_FSAN_APPEND), 0);
	}
	if (ip) {
		unsigned char v4[4] = { 127, 0, 0, 1 };
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
		                 v4, sizeof(v4), GNUTLS_FSAN_APPEND), 0);
	}
	const ident_t *signer = (issuer != NULL) ? issuer : id;
	assert_int_equal(gnutls_x509_crt_sign2(crt, signer->crt, signer->key,
	                                       GNUTLS_DIG_SHA256, 0), 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int pki_setup(void **state)
{
	(void)state;
	time_t now = time(NULL);
	make_ident(&pki.ca, "test ca", NULL, false, true, now - DAY, now + 30 * DAY, NULL);
	make_ident(&pki.other_ca, "other ca", NULL, false, true, now - DAY, now + 30 * DAY,
	           NULL);
	make_ident(&pki.good, NAME, NAME, true, false, now - DAY, now + DAY, &pki.ca);
	make_ident(&pki.expired, NAME, NAME, true, false, now - 3 * DAY, now - DAY, &pki.ca);
	make_ident(&pki.wrong_name, "other.example", "other.example", false, false,
	           now - DAY, now + DAY, &pki.ca);
	make_ident(&pki.unknown_issuer, NAME, NAME, true, false, now - DAY, now + DAY,
	           &pki.other_ca);
	/* A second name for the sni test, then signed again. */
	assert_int_equal(gnutls_x509_crt_set_subject_alt_name(pki.good.crt, GNUTLS_SAN_DNSNAME,
	                 "sni.test.example", 16, GNUTLS_FSAN_APPEND), 0);
	assert_int_equal(gnutls_x509_crt_sign2(pki.good.crt, pki.ca.crt, pki.ca.key,
	                                       GNUTLS_DIG_SHA256, 0), 0);

	snprintf(pki.dir, sizeof(pki.dir), "/tmp/gtm-test-tls-XXXXXX");
	assert_non_null(mkdtemp(pki.dir));
	snprintf(pki.ca_file, sizeof(pki.ca_file), "%s/ca.pem", pki.dir);
	snprintf(pki.junk_file, sizeof(pki.junk_file), "%s/junk.pem", pki.dir);
	unsigned char pem[8192];
	size_t pem_len = sizeof(pem);
	assert_int_equal(gnutls_x509_crt_export(pki.ca.crt, GNUTLS_X509_FMT_PEM, pem,
	                                        &pem_len), 0);
	write_file(pki.ca_file, pem, pem_len);
	write_file(pki.junk_file, "not a certificate\n", 18);
	return 0;
}

static void ident_free(ident_t *id)
{
	gnutls_x509_crt_deinit(id->crt);
	gnutls_x509_privkey_deinit(id->key);
}

static int pki_teardown(void **state)
{
	(void)state;
	unlink(pki.ca_file);
	unlink(pki.junk_file);
	rmdir(pki.dir);
	ident_t *all[] = { &pki.ca, &pki.other_ca, &pki.good, &pki.expired,
	                   &pki.wrong_name, &pki.unknown_issuer };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ident_free(all[i]);
	}
	return 0;
}

static void serve_tls(tls_srv_t *s, int fd)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t session;
	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key(cred, (gnutls_x509_crt_t *)&s->id->crt,
	                                                 1, s->id->key), 0);
	assert_int_equal(gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NO_SIGNAL), 0);
	assert_int_equal(gnutls_set_default_priority(session), 0);
	assert_int_equal(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred), 0);
	gnutls_transport_set_int(session, fd);
	gnutls_handshake_set_timeout(session, TEST_SERVER_WAIT_MS);

	if (gnutls_handshake(session) == 0) {
		size_t len = sizeof(s->sni) - 1;
		unsigned type;
		if (gnutls_server_name_get(session, s->sni, &len, &type, 0) != 0) {
			s->sni[0] = '\0';
		}
		size_t got = 0;
		while (got < sizeof(s->req) - 1 && strstr(s->req, "\r\n\r\n") == NULL) {
			ssize_t ret = gnutls_record_recv(session, s->req + got,
			                                 sizeof(s->req) - 1 - got);
			if (ret <= 0) {
				goto done;
			}
			got += ret;
			s->req[got] = '\0';
		}
		if (gnutls_record_send(session, s->resp, strlen(s->resp)) < 0) {
			goto done;
		}
		char chunk[4096];
		memset(chunk, 'A', sizeof(chunk));
		for (size_t total = 0; s->flood && total < 8 * 1024 * 1024; total += sizeof(chunk)) {
			if (gnutls_record_send(session, chunk, sizeof(chunk)) < 0) {
				break;
			}
			s->sent += sizeof(chunk);
		}
		(void)gnutls_bye(session, GNUTLS_SHUT_WR);
	}
done:
	gnutls_deinit(session);
	gnutls_certificate_free_credentials(cred);
}

static void *tls_srv_main(void *arg)
{
	tls_srv_t *s = arg;
	int fd = test_accept(s->lfd);
	if (fd < 0) {
		return NULL;
	}
	char buf[512];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	switch (s->mode) {
	case TLS_SERVE:
		serve_tls(s, fd);
		break;
	case TLS_GARBAGE:
		(void)recv(fd, buf, sizeof(buf), 0);
		(void)test_send_all(fd, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
		break;
	case TLS_SILENT:
		(void)poll(&pfd, 1, TEST_SERVER_WAIT_MS);
		(void)recv(fd, buf, sizeof(buf), 0);
		(void)poll(&pfd, 1, TEST_SERVER_WAIT_MS);
		break;
	case TLS_CLOSE:
		(void)recv(fd, buf, sizeof(buf), 0);
		break;
	}
	close(fd);
	return NULL;
}

static void tls_run(tls_srv_t *s, gtm_target_spec_t *spec, gtm_probe_t *p,
                    gtm_probe_status_t expected, const char *reason)
{
	gtm_target_spec_t copy;
	if (s->resp == NULL) {
		s->resp = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhealth";
	}
	s->lfd = test_listen(AF_INET, &s->addr, 8);
	spec->addr = s->addr;
	assert_int_equal(pthread_create(&s->thread, NULL, tls_srv_main, s), 0);
	assert_int_equal(gtm_target_spec_copy(&copy, spec), KNOT_EOK);
	gtm_probe_status_t st = test_drive(p, &copy, TEST_TIMEOUT_MS, false);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->lfd);
	gtm_target_spec_clear(&copy);
	if (st != expected || strcmp(p->reason, reason) != 0) {
		fail_msg("status %d '%s', expected %d '%s'", st, p->reason, expected, reason);
	}
}

static void https_spec(gtm_target_spec_t *spec, const char *host, const char *ca_file)
{
	struct sockaddr_storage ss;
	test_loopback(AF_INET, 1, &ss);
	test_spec(spec, GTM_CHECK_HTTPS, &ss);
	spec->host = host;
	spec->ca_file = ca_file;
}

static void test_ok(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	gtm_probe_t p;

	/* Name from host (port dropped), sent as SNI and verified. */
	tls_srv_t s = { .id = &pki.good };
	https_spec(&spec, NAME ":8443", pki.ca_file);
	tls_run(&s, &spec, &p, GTM_PROBE_OK, "http status 200");
	assert_string_equal(s.sni, NAME);
	assert_memory_equal(s.req, "GET / HTTP/1.1\r\nHost: " NAME ":8443\r\n", 39);

	/* No host: no SNI, the address is verified (IP SAN). */
	tls_srv_t a = { .id = &pki.good };
	https_spec(&spec, NULL, pki.ca_file);
	tls_run(&a, &spec, &p, GTM_PROBE_OK, "http status 200");
	assert_string_equal(a.sni, "");

	/* sni overrides host for TLS only. */
	tls_srv_t n = { .id = &pki.good };
	https_spec(&spec, "other.example", pki.ca_file);
	spec.sni = "sni.test.example";
	tls_run(&n, &spec, &p, GTM_PROBE_OK, "http status 200");
	assert_string_equal(n.sni, "sni.test.example");
	assert_non_null(strstr(n.req, "\r\nHost: other.example:"));

	/* Status and body rules apply as for http. */
	tls_srv_t b = { .id = &pki.good, .resp = "HTTP/1.1 503 Busy\r\n\r\n" };
	https_spec(&spec, NAME, pki.ca_file);
	tls_run(&b, &spec, &p, GTM_PROBE_FAIL, "http status 503");
	tls_srv_t m = { .id = &pki.good };
	spec.expect_body = "health";
	tls_run(&m, &spec, &p, GTM_PROBE_OK, "http status 200");
	tls_srv_t x = { .id = &pki.good };
	spec.expect_body = "sick";
	tls_run(&x, &spec, &p, GTM_PROBE_FAIL, "body mismatch");
}

static void test_verify_failures(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	gtm_probe_t p;

	tls_srv_t e = { .id = &pki.expired };
	https_spec(&spec, NAME, pki.ca_file);
	tls_run(&e, &spec, &p, GTM_PROBE_FAIL, "certificate expired");

	tls_srv_t w = { .id = &pki.wrong_name };
	tls_run(&w, &spec, &p, GTM_PROBE_FAIL, "certificate name mismatch");

	tls_srv_t u = { .id = &pki.unknown_issuer };
	tls_run(&u, &spec, &p, GTM_PROBE_FAIL, "certificate not trusted");

	/* The test CA is not in the system store. */
	tls_srv_t sys = { .id = &pki.good };
	https_spec(&spec, NAME, NULL);
	tls_run(&sys, &spec, &p, GTM_PROBE_FAIL, "certificate not trusted");

	/* The address is not in a name-only certificate. */
	tls_srv_t ip = { .id = &pki.wrong_name };
	https_spec(&spec, NULL, pki.ca_file);
	tls_run(&ip, &spec, &p, GTM_PROBE_FAIL, "certificate name mismatch");

	/* verify off accepts all of them. */
	const ident_t *ids[] = { &pki.expired, &pki.wrong_name, &pki.unknown_issuer };
	for (size_t i = 0; i < 3; i++) {
		tls_srv_t off = { .id = ids[i] };
		https_spec(&spec, NAME, NULL);
		spec.verify = false;
		tls_run(&off, &spec, &p, GTM_PROBE_OK, "http status 200");
	}
}

static void test_hostile(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	https_spec(&spec, NAME, pki.ca_file);

	tls_srv_t g = { .mode = TLS_GARBAGE };
	tls_run(&g, &spec, &p, GTM_PROBE_FAIL, "tls bad response");
	tls_srv_t s = { .mode = TLS_SILENT };
	int64_t begin = test_now_ms();
	tls_run(&s, &spec, &p, GTM_PROBE_FAIL, "timeout in tls handshake");
	assert_true(test_now_ms() - begin >= TEST_TIMEOUT_MS - 5);
	tls_srv_t c = { .mode = TLS_CLOSE };
	tls_run(&c, &spec, &p, GTM_PROBE_FAIL, "tls connection closed");

	/* Endless body over TLS: judged on the first body-limit bytes. */
	tls_srv_t f = { .id = &pki.good, .resp = "HTTP/1.1 200 OK\r\n\r\n", .flood = true };
	spec.expect_body = "needle";
	tls_run(&f, &spec, &p, GTM_PROBE_FAIL, "body mismatch");
	assert_true(f.sent < 8 * 1024 * 1024);
	assert_true(p.tls_read <= GTM_TLS_READ_MAX);
}

/* Credentials are loaded once per CA source and shared. */
static void test_cred_cache(void **state)
{
	(void)state;
	gtm_target_spec_t spec, a, b, c, d;
	size_t before = gtm_tls_cred_count();

	https_spec(&spec, NAME, pki.ca_file);
	spec.ca_stamp = 1;
	assert_int_equal(gtm_target_spec_copy(&a, &spec), KNOT_EOK);
	assert_int_equal(gtm_target_spec_copy(&b, &spec), KNOT_EOK);
	assert_ptr_equal(a.tls_cred, b.tls_cred);
	assert_int_equal(gtm_tls_cred_count(), before + 1);

	spec.ca_stamp = 2; /* The file changed: loaded again. */
	assert_int_equal(gtm_target_spec_copy(&c, &spec), KNOT_EOK);
	assert_ptr_not_equal(a.tls_cred, c.tls_cred);
	spec.verify = false;
	spec.ca_file = NULL;
	assert_int_equal(gtm_target_spec_copy(&d, &spec), KNOT_EOK);
	assert_int_equal(gtm_tls_cred_count(), before + 3);

	gtm_target_spec_clear(&a);
	assert_int_equal(gtm_tls_cred_count(), before + 3);
	gtm_target_spec_clear(&b);
	gtm_target_spec_clear(&c);
	gtm_target_spec_clear(&d);
	assert_int_equal(gtm_tls_cred_count(), before);

	/* A file without certificates. */
	char why[128] = "";
	assert_int_equal(gtm_tls_ca_check(pki.ca_file, why, sizeof(why)), KNOT_EOK);
	assert_int_equal(gtm_tls_ca_check(pki.junk_file, why, sizeof(why)), KNOT_EINVAL);
	assert_string_equal(why, "no certificate found");
	assert_int_not_equal(gtm_tls_ca_check("/nonexistent/ca.pem", why, sizeof(why)),
	                     KNOT_EOK);
	https_spec(&spec, NAME, pki.junk_file);
	assert_int_equal(gtm_target_spec_copy(&a, &spec), KNOT_EINVAL);
	assert_null(a.tls_cred);
	assert_null(a.host);

	/* A spec that was not copied has no credentials. */
	https_spec(&spec, NAME, pki.ca_file);
	gtm_probe_t p;
	assert_int_equal(gtm_probe_start(&p, &spec), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "tls credentials not loaded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_verify_failures),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_cred_cache),
	};
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
