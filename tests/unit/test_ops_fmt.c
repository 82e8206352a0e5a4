/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Text of the operations reports: JSON and Prometheus escaping, the
 * warm-restart line reader, durations, the override of a target from its
 * references (with the real admin file parser) and the atomic write.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "health.h"
#include "ops_fmt.h"

static char *json(const char *s)
{
	static gtm_sbuf_t b;
	gtm_sbuf_free(&b);
	gtm_sbuf_json(&b, s);
	assert_false(b.failed);
	return b.data;
}

static char *prom(const char *s)
{
	static gtm_sbuf_t b;
	gtm_sbuf_free(&b);
	gtm_sbuf_prom(&b, s);
	gtm_sbuf_put(&b, "", 0);
	return (b.data != NULL) ? b.data : "";
}

static void test_json_escape(void **state)
{
	(void)state;
	assert_string_equal(json("plain"), "\"plain\"");
	assert_string_equal(json(""), "\"\"");
	assert_string_equal(json(NULL), "null");
	assert_string_equal(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(json("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
	assert_string_equal(json("\x01\x1f"), "\"\\u0001\\u001f\"");
	/* UTF-8 and DEL pass unchanged. */
	assert_string_equal(json("caf\xc3\xa9\x7f"), "\"caf\xc3\xa9\x7f\"");
	/* A quote can never end a string early: the reader's patterns
	 * ("key": ") do not occur inside an escaped value. */
	assert_null(strstr(json("x\"key\": \"y"), "\"key\": \""));
}

static void test_prom_escape(void **state)
{
	(void)state;
	assert_string_equal(prom("gtm.example.com."), "gtm.example.com.");
	assert_string_equal(prom("a\\b"), "a\\\\b");
	assert_string_equal(prom("say \"hi\""), "say \\\"hi\\\"");
	assert_string_equal(prom("two\nlines"), "two\\nlines");
	assert_string_equal(prom(""), "");
	/* Tabs and other bytes are allowed in label values. */
	assert_string_equal(prom("t\tx"), "t\tx");
}

static void test_sbuf(void **state)
{
	(void)state;
	gtm_sbuf_t b = { 0 };
	gtm_sbuf_time(&b, 0);
	gtm_sbuf_put(&b, " ", 1);
	gtm_sbuf_time(&b, 1795500000123ULL);
	gtm_sbuf_put(&b, " ", 1);
	gtm_sbuf_time(&b, 5);
	assert_string_equal(b.data, "null 1795500000.123 0.005");
	/* Long formatted text grows the buffer. */
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gtm_sbuf_printf(&b, "[%s]", big);
	assert_int_equal(b.len, strlen("null 1795500000.123 0.005") + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], '\0');
	gtm_sbuf_free(&b);
	assert_null(b.data);
}

static void test_warm_line(void **state)
{
	(void)state;
	gtm_warm_line_t l;
	const char *good = "  {\"key\": \"9f3a0c0000000001\", \"refs\": [{\"name\": "
	                   "\"a \\\"state\\\": \\\"up\\\"\", \"pool\": \"p\"}], \"type\": "
	                   "\"http\", \"state\": \"down\", \"real\": \"down\", "
	                   "\"since\": 1795499000.25, \"warm\": false},\n";
	assert_int_equal(gtm_warm_line_parse(good, &l), GTM_WARM_TARGET);
	assert_true(l.key == 0x9f3a0c0000000001ULL);
	assert_int_equal(l.state, GTM_HEALTH_DOWN);
	assert_true(l.since_ms == 1795499000250ULL);

	/* A retired line. */
	assert_int_equal(gtm_warm_line_parse("  {\"key\": \"ff\", \"state\": \"up\", "
	                                     "\"since\": null, \"retired\": 5.0}",
	                                     &l), GTM_WARM_TARGET);
	assert_true(l.key == 0xff);
	assert_int_equal(l.state, GTM_HEALTH_UP);
	assert_true(l.since_ms == 0);
	assert_int_equal(gtm_warm_line_parse("{\"key\": \"1\", \"state\": \"unknown\", "
	                                     "\"since\": 12}", &l), GTM_WARM_TARGET);
	assert_int_equal(l.state, GTM_HEALTH_UNKNOWN);
	assert_true(l.since_ms == 12000);

	/* Other lines. */
	assert_int_equal(gtm_warm_line_parse("{\"version\": 1, \"written\": 3.5,", &l),
	                 GTM_WARM_OTHER);
	assert_int_equal(gtm_warm_line_parse(" \"targets\": [", &l), GTM_WARM_OTHER);
	assert_int_equal(gtm_warm_line_parse("  {\"memo\": \"a.example. A pools\", "
	                                     "\"value\": \"00000000000000ff\"}", &l),
	                 GTM_WARM_OTHER);
	assert_int_equal(gtm_warm_line_parse("  {\"name\": \"x.\", \"state\": \"up\"}", &l),
	                 GTM_WARM_OTHER);
	assert_int_equal(gtm_warm_line_parse("", &l), GTM_WARM_OTHER);

	/* Target lines with a bad member. */
	const char *bad[] = {
		"{\"key\": \"\", \"state\": \"up\", \"since\": 1}",
		"{\"key\": \"12345678901234567\", \"state\": \"up\", \"since\": 1}",
		"{\"key\": \"xyz\", \"state\": \"up\", \"since\": 1}",
		"{\"key\": \"12\", \"since\": 1}",
		"{\"key\": \"12\", \"state\": \"sideways\", \"since\": 1}",
		"{\"key\": \"12\", \"state\": \"up\"}",
		"{\"key\": \"12\", \"state\": \"up\", \"since\": -1}",
		"{\"key\": \"12\", \"state\": \"up\", \"since\": 1.}",
		"{\"key\": \"12\", \"state\": \"up\", \"since\": 1e9}",
		"{\"key\": \"12\", \"state\": \"up\", \"since\": \"1\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gtm_warm_line_parse(bad[i], &l), GTM_WARM_INVALID);
	}
}

static void test_warm_written(void **state)
{
	(void)state;
	uint64_t ms = 0;
	assert_true(gtm_warm_written("{\"version\": 1, \"written\": 1795500000.1, "
	                             "\"pid\": 4242,\n", &ms));
	assert_true(ms == 1795500000100ULL);
	assert_true(gtm_warm_written("\"written\": 7}", &ms));
	assert_true(ms == 7000);
	assert_false(gtm_warm_written("{\"version\": 1,", &ms));
	assert_false(gtm_warm_written("\"written\": null,", &ms));
	assert_false(gtm_warm_written("\"written\": x", &ms));
}

static void test_duration(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(gtm_fmt_duration(300000, buf, sizeof(buf)), "5m");
	assert_string_equal(gtm_fmt_duration(90000, buf, sizeof(buf)), "90s");
	assert_string_equal(gtm_fmt_duration(1000, buf, sizeof(buf)), "1s");
	assert_string_equal(gtm_fmt_duration(1500, buf, sizeof(buf)), "1.5s");
	assert_string_equal(gtm_fmt_duration(250, buf, sizeof(buf)), "250ms");
	assert_string_equal(gtm_fmt_duration(0, buf, sizeof(buf)), "0s");
}

/* References of a target for gtm_force_of(). */
static const gtm_force_ref_t refs[] = {
	{ "gtm.example.com.", "origins", "127.0.0.11" },
	{ "multi.example.com.", "main", "127.0.0.11" },
	{ "www.example.com.", "web", "127.0.0.11" },
};

static void ref_get(const void *ctx, uint32_t i, gtm_force_ref_t *ref)
{
	*ref = ((const gtm_force_ref_t *)ctx)[i];
}

static gtm_admin_t *admin_of(const char *text)
{
	char path[] = "/tmp/test_ops_fmt_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	gtm_admin_t *admin = NULL;
	char err[256];
	assert_int_equal(gtm_admin_parse(path, &admin, err, sizeof(err)), KNOT_EOK);
	unlink(path);
	return admin;
}

/*
 * Truth table of gtm_force_of(): no rules or no match -> NONE; otherwise
 * the strongest over the references (down > drain > up), until = the
 * earliest expiry among the references giving it.
 */
static void test_force_of(void **state)
{
	(void)state;
	uint64_t until = 99;
	assert_int_equal(gtm_force_of(NULL, 3, ref_get, refs, 1000, &until), GTM_FORCE_NONE);
	assert_true(until == 0);

	gtm_admin_t *a = admin_of("other.example.com. down\n");
	assert_int_equal(gtm_force_of(a, 3, ref_get, refs, 1000, &until), GTM_FORCE_NONE);
	gtm_admin_free(a);

	/* One reference matching is enough; the strongest wins. */
	a = admin_of("www.example.com. up\n"
	             "multi.example.com./main drain until 2000\n"
	             "gtm.example.com./*/127.0.0.1[0-9] drain until 1500\n");
	assert_int_equal(gtm_force_of(a, 1, ref_get, refs, 1000, &until), GTM_FORCE_DRAIN);
	assert_true(until == 1500);
	assert_int_equal(gtm_force_of(a, 3, ref_get, refs, 1000, &until), GTM_FORCE_DRAIN);
	assert_true(until == 1500);
	/* Past an expiry the other reference still drains, then only up. */
	assert_int_equal(gtm_force_of(a, 3, ref_get, refs, 1500, &until), GTM_FORCE_DRAIN);
	assert_true(until == 2000);
	assert_int_equal(gtm_force_of(a, 3, ref_get, refs, 2000, &until), GTM_FORCE_UP);
	assert_true(until == 0);
	/* The first reference alone: its rule expired. */
	assert_int_equal(gtm_force_of(a, 1, ref_get, refs, 2500, NULL), GTM_FORCE_NONE);
	gtm_admin_free(a);

	a = admin_of("*/*/127.0.0.11 up\n*/main down\n");
	assert_int_equal(gtm_force_of(a, 3, ref_get, refs, 1000, &until), GTM_FORCE_DOWN);
	assert_int_equal(gtm_force_of(a, 1, ref_get, refs, 1000, &until), GTM_FORCE_UP);
	gtm_admin_free(a);
}

static void test_write_atomic(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_ops_fmt_dir_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], tmp[300], err[512];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	assert_int_equal(gtm_write_atomic(path, "first\n", 6, err, sizeof(err)), KNOT_EOK);
	assert_int_equal(gtm_write_atomic(path, "second", 6, err, sizeof(err)), KNOT_EOK);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[32] = "";
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 6);
	fclose(f);
	assert_string_equal(buf, "second");
	struct stat st;
	assert_int_equal(stat(tmp, &st), -1); /* No temporary file left. */

	/* A missing directory: the error names the file. */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/no/state.json", dir);
	assert_int_not_equal(gtm_write_atomic(bad, "x", 1, err, sizeof(err)), KNOT_EOK);
	assert_non_null(strstr(err, "/no/state.json.tmp: "));

	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_prom_escape),
		cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_warm_line),
		cmocka_unit_test(test_warm_written),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_force_of),
		cmocka_unit_test(test_write_atomic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
