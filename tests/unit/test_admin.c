/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* Admin file: syntax errors with their line, globs, strength, expiry. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "admin.h"

static char dir[64];
static char file[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_admin.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		return -1;
	}
	snprintf(file, sizeof(file), "%s/admin", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(file);
	rmdir(dir);
	return 0;
}

static void write_file(const char *text)
{
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

/*! Parses text; asserts success. */
static gtm_admin_t *parse_ok(const char *text)
{
	write_file(text);
	gtm_admin_t *admin = NULL;
	char err[512] = "untouched";
	int ret = gtm_admin_parse(file, &admin, err, sizeof(err));
	if (ret != KNOT_EOK) {
		print_error("unexpected error: %s\n", err);
	}
	assert_int_equal(ret, KNOT_EOK);
	assert_string_equal(err, "");
	assert_non_null(admin);
	return admin;
}

/*! Parses text; asserts KNOT_EINVAL with "FILE:LINE: reason". */
static void parse_bad(const char *text, unsigned line, const char *reason)
{
	write_file(text);
	gtm_admin_t *admin = (gtm_admin_t *)&admin; /* Must be reset to NULL. */
	char err[512];
	int ret = gtm_admin_parse(file, &admin, err, sizeof(err));
	char expect[512];
	snprintf(expect, sizeof(expect), "%s:%u: %s", file, line, reason);
	assert_int_equal(ret, KNOT_EINVAL);
	assert_null(admin);
	assert_string_equal(err, expect);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	/* Each error after valid lines, so the line number is checked. */
	const char *head = "# overrides\n\ngtm.example.com. down\n";
	const struct {
		const char *line;
		const char *reason;
	} cases[] = {
		{ "www.example.com. dwn", "unknown action 'dwn' (up, down or drain)" },
		{ "www.example.com. DOWN", "unknown action 'DOWN' (up, down or drain)" },
		{ "www.example.com.", "missing action after 'www.example.com.'" },
		{ "  www/eu\t", "missing action after 'www/eu'" },
		{ "a/b/c/d up", "pattern 'a/b/c/d' has more than 3 components" },
		{ "/eu up", "empty name in pattern '/eu'" },
		{ "www//1.2.3.4 up", "empty pool in pattern 'www//1.2.3.4'" },
		{ "www/eu/ up", "empty address in pattern 'www/eu/'" },
		{ "/ up", "empty name in pattern '/'" },
		{ "www up until x", "invalid until time 'x'" },
		{ "www up until 12x", "invalid until time '12x'" },
		{ "www up until -5", "invalid until time '-5'" },
		{ "www up until 0", "invalid until time '0'" },
		{ "www up until 1.", "invalid until time '1.'" },
		{ "www up until 99999999999999999999999", "invalid until time '99999999999999999999999'" },
		{ "www up until", "missing time after 'until'" },
		{ "www up for 100", "unexpected 'for' (expected 'until')" },
		{ "www up until 100 now", "unexpected 'now' after until time" },
		{ "www up until 100 a b c d", "unexpected 'a' after until time" },
		{ "prober stop", "unknown prober command 'stop' (pause or run)" },
		{ "prober", "missing action after 'prober'" },
		{ "prober pause now", "unexpected 'now' after prober command" },
		{ "www\rdown", "control character 0x0d" },
		{ "www down\x1b", "control character 0x1b" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "%s%s\nlast.example.com. up\n", head,
		         cases[i].line);
		parse_bad(text, 4, cases[i].reason);
	}
	/* Unknown action on the first line, no trailing newline. */
	parse_bad("x dwn", 1, "unknown action 'dwn' (up, down or drain)");
	/* A NUL byte is a control character. */
	write_file("ok up\nab");
	FILE *fp = fopen(file, "a");
	assert_non_null(fp);
	assert_int_equal(fwrite("\0c up\n", 1, 6, fp), 6);
	fclose(fp);
	gtm_admin_t *admin = NULL;
	char err[512];
	assert_int_equal(gtm_admin_parse(file, &admin, err, sizeof(err)), KNOT_EINVAL);
	assert_null(admin);
	char expect[512];
	snprintf(expect, sizeof(expect), "%s:2: control character 0x00", file);
	assert_string_equal(err, expect);
}

static void test_missing_empty(void **state)
{
	(void)state;
	char err[512] = "untouched";
	gtm_admin_t *admin = NULL;
	unlink(file);
	assert_int_equal(gtm_admin_parse(file, &admin, err, sizeof(err)), KNOT_EOK);
	assert_non_null(admin);
	assert_string_equal(err, "");
	assert_int_equal(gtm_admin_match(admin, "a.", "p", "1.2.3.4", 1, NULL),
	                 GTM_FORCE_NONE);
	assert_false(gtm_admin_paused(admin));
	assert_int_equal(gtm_admin_next_expiry(admin, 1), 0);
	gtm_admin_free(admin);

	admin = parse_ok("");
	assert_int_equal(gtm_admin_match(admin, "a.", "p", "1.2.3.4", 1, NULL),
	                 GTM_FORCE_NONE);
	gtm_admin_free(admin);

	admin = parse_ok("# only comments\n   \n\t# indented\n\n");
	assert_int_equal(gtm_admin_match(admin, "a.", "p", "1.2.3.4", 1, NULL),
	                 GTM_FORCE_NONE);
	assert_false(gtm_admin_paused(admin));
	gtm_admin_free(admin);

	/* NULL rules, NULL free. */
	assert_int_equal(gtm_admin_match(NULL, "a.", "p", "x", 1, NULL), GTM_FORCE_NONE);
	assert_false(gtm_admin_paused(NULL));
	assert_int_equal(gtm_admin_next_expiry(NULL, 1), 0);
	gtm_admin_free(NULL);
}

static void test_not_a_file(void **state)
{
	(void)state;
	char err[512];
	gtm_admin_t *admin = NULL;
	int ret = gtm_admin_parse(dir, &admin, err, sizeof(err));
	assert_int_not_equal(ret, KNOT_EOK);
	assert_null(admin);
	char expect[512];
	snprintf(expect, sizeof(expect), "%s: cannot open (Is a directory)", dir);
	assert_string_equal(err, expect);

	assert_int_equal(gtm_admin_parse(NULL, &admin, err, sizeof(err)), KNOT_EINVAL);
	assert_int_equal(gtm_admin_parse(file, NULL, err, sizeof(err)), KNOT_EINVAL);
}

static void test_globs(void **state)
{
	(void)state;
	gtm_admin_t *admin = parse_ok(
		"*.example.com/eu-*/10.0.0.[12] down   # trailing comment\n"
		"www.example.org/*/cdn?.example.net. drain\n"
		"api.example.net/Blue up\n");
	uint64_t until = 1;

	/* Every component must match. */
	assert_int_equal(gtm_admin_match(admin, "gtm.example.com.", "eu-west",
	                                 "10.0.0.1", 100, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 0);
	assert_int_equal(gtm_admin_match(admin, "gtm.example.com.", "eu-west",
	                                 "10.0.0.2", 100, NULL), GTM_FORCE_DOWN);
	assert_int_equal(gtm_admin_match(admin, "gtm.example.com.", "eu-west",
	                                 "10.0.0.3", 100, NULL), GTM_FORCE_NONE);
	assert_int_equal(gtm_admin_match(admin, "gtm.example.com.", "us-east",
	                                 "10.0.0.1", 100, NULL), GTM_FORCE_NONE);
	assert_int_equal(gtm_admin_match(admin, "gtm.example.org.", "eu-west",
	                                 "10.0.0.1", 100, NULL), GTM_FORCE_NONE);
	/* fnmatch without FNM_PATHNAME/PERIOD: '*' spans labels. */
	assert_int_equal(gtm_admin_match(admin, "a.b.example.com.", "eu-",
	                                 "10.0.0.1", 100, NULL), GTM_FORCE_DOWN);

	/* Name: case-insensitive, trailing dot optional on both sides. */
	assert_int_equal(gtm_admin_match(admin, "GTM.Example.COM", "eu-west",
	                                 "10.0.0.1", 100, NULL), GTM_FORCE_DOWN);
	assert_int_equal(gtm_admin_match(admin, "WWW.EXAMPLE.ORG.", "x",
	                                 "cdn1.example.net.", 100, NULL), GTM_FORCE_DRAIN);
	/* Address (CNAME target): exact case and exact dot. */
	assert_int_equal(gtm_admin_match(admin, "www.example.org.", "x",
	                                 "CDN1.example.net.", 100, NULL), GTM_FORCE_NONE);
	assert_int_equal(gtm_admin_match(admin, "www.example.org.", "x",
	                                 "cdn1.example.net", 100, NULL), GTM_FORCE_NONE);
	/* Pool: exact case. */
	assert_int_equal(gtm_admin_match(admin, "api.example.net.", "Blue",
	                                 "1.1.1.1", 100, NULL), GTM_FORCE_UP);
	assert_int_equal(gtm_admin_match(admin, "api.example.net.", "blue",
	                                 "1.1.1.1", 100, NULL), GTM_FORCE_NONE);
	/* A missing value does not match a given component. */
	assert_int_equal(gtm_admin_match(admin, "api.example.net.", NULL,
	                                 "1.1.1.1", 100, NULL), GTM_FORCE_NONE);
	gtm_admin_free(admin);
}

static void test_partial_patterns(void **state)
{
	(void)state;
	gtm_admin_t *admin = parse_ok(
		"name.example. drain\n"
		"pool.example./blue up\n"
		"*/*/192.0.2.7 down\n");
	/* Name only: every pool and address of it. */
	assert_int_equal(gtm_admin_match(admin, "name.example.", "a", "1.1.1.1", 1, NULL),
	                 GTM_FORCE_DRAIN);
	assert_int_equal(gtm_admin_match(admin, "name.example.", "b", "cname.x.", 1, NULL),
	                 GTM_FORCE_DRAIN);
	assert_int_equal(gtm_admin_match(admin, "other.example.", "a", "1.1.1.1", 1, NULL),
	                 GTM_FORCE_NONE);
	/* Name and pool: every address of that pool. */
	assert_int_equal(gtm_admin_match(admin, "pool.example.", "blue", "1.1.1.1", 1, NULL),
	                 GTM_FORCE_UP);
	assert_int_equal(gtm_admin_match(admin, "pool.example.", "blue", "::1", 1, NULL),
	                 GTM_FORCE_UP);
	assert_int_equal(gtm_admin_match(admin, "pool.example.", "green", "::1", 1, NULL),
	                 GTM_FORCE_NONE);
	/* An address everywhere. */
	assert_int_equal(gtm_admin_match(admin, "pool.example.", "green", "192.0.2.7", 1, NULL),
	                 GTM_FORCE_DOWN);
	assert_int_equal(gtm_admin_match(admin, "z.", "q", "192.0.2.7", 1, NULL),
	                 GTM_FORCE_DOWN);
	gtm_admin_free(admin);
}

static void test_strength(void **state)
{
	(void)state;
	/* Order in the file does not matter: down > drain > up. */
	gtm_admin_t *admin = parse_ok(
		"www.example.com/*/10.0.0.1 up\n"
		"www.example.com/eu drain\n"
		"*.example.com/*/10.0.0.2 up\n"
		"www.example.com/eu/10.0.0.2 down\n"
		"www.example.com/us up\n"
		"www.example.com/us/10.0.0.3 drain\n");
	assert_int_equal(gtm_admin_match(admin, "www.example.com.", "eu", "10.0.0.1", 1, NULL),
	                 GTM_FORCE_DRAIN);
	assert_int_equal(gtm_admin_match(admin, "www.example.com.", "eu", "10.0.0.2", 1, NULL),
	                 GTM_FORCE_DOWN);
	assert_int_equal(gtm_admin_match(admin, "www.example.com.", "us", "10.0.0.1", 1, NULL),
	                 GTM_FORCE_UP);
	assert_int_equal(gtm_admin_match(admin, "www.example.com.", "us", "10.0.0.3", 1, NULL),
	                 GTM_FORCE_DRAIN);
	assert_int_equal(gtm_admin_match(admin, "www.example.com.", "ap", "10.0.0.9", 1, NULL),
	                 GTM_FORCE_NONE);
	gtm_admin_free(admin);
}

static void test_expiry(void **state)
{
	(void)state;
	gtm_admin_t *admin = parse_ok(
		"www.example.com down until 1000\r\n"
		"www.example.com drain until 2000\r\n"
		"www.example.com up\r\n"
		"api.example.com down until 500\r\n"
		"api.example.com down until 300\r\n"
		"api.example.com down until 400.001\r\n"
		"api.example.com/x down\r\n"
		"db.example.com drain until 700.000");
	uint64_t until = 0;
	const char *w = "www.example.com.";

	/* Strongest unexpired wins; until <= now is expired. */
	assert_int_equal(gtm_admin_match(admin, w, "p", "a", 999, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 1000);
	assert_int_equal(gtm_admin_match(admin, w, "p", "a", 1000, &until), GTM_FORCE_DRAIN);
	assert_int_equal(until, 2000);
	assert_int_equal(gtm_admin_match(admin, w, "p", "a", 2000, &until), GTM_FORCE_UP);
	assert_int_equal(until, 0);

	/* Earliest expiry among the rules of the winning strength; fractions
	 * round up. */
	const char *a = "api.example.com.";
	assert_int_equal(gtm_admin_match(admin, a, "p", "a", 100, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 300);
	assert_int_equal(gtm_admin_match(admin, a, "p", "a", 300, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 401);
	assert_int_equal(gtm_admin_match(admin, a, "p", "a", 401, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 500);
	assert_int_equal(gtm_admin_match(admin, a, "p", "a", 500, &until), GTM_FORCE_NONE);
	assert_int_equal(until, 0);
	/* A permanent rule of the same strength: the expiring one still
	 * reports its time (re-evaluate then). */
	assert_int_equal(gtm_admin_match(admin, a, "x", "a", 100, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 300);
	assert_int_equal(gtm_admin_match(admin, a, "x", "a", 600, &until), GTM_FORCE_DOWN);
	assert_int_equal(until, 0);
	/* ".000" is not rounded up. */
	assert_int_equal(gtm_admin_match(admin, "db.example.com", "p", "a", 699, &until),
	                 GTM_FORCE_DRAIN);
	assert_int_equal(until, 700);
	assert_int_equal(gtm_admin_match(admin, "db.example.com", "p", "a", 700, &until),
	                 GTM_FORCE_NONE);

	/* Next expiry over all rules. */
	assert_int_equal(gtm_admin_next_expiry(admin, 0), 300);
	assert_int_equal(gtm_admin_next_expiry(admin, 300), 401);
	assert_int_equal(gtm_admin_next_expiry(admin, 450), 500);
	assert_int_equal(gtm_admin_next_expiry(admin, 500), 700);
	assert_int_equal(gtm_admin_next_expiry(admin, 999), 1000);
	assert_int_equal(gtm_admin_next_expiry(admin, 1999), 2000);
	assert_int_equal(gtm_admin_next_expiry(admin, 2000), 0);
	gtm_admin_free(admin);
}

static void test_pause(void **state)
{
	(void)state;
	gtm_admin_t *admin = parse_ok("prober pause\n");
	assert_true(gtm_admin_paused(admin));
	gtm_admin_free(admin);

	admin = parse_ok("prober pause\nprober run\n");
	assert_false(gtm_admin_paused(admin));
	gtm_admin_free(admin);

	admin = parse_ok("prober run\nx down\nprober pause # maintenance\n");
	assert_true(gtm_admin_paused(admin));
	assert_int_equal(gtm_admin_match(admin, "x.", "p", "a", 1, NULL), GTM_FORCE_DOWN);
	gtm_admin_free(admin);

	/* "prober" with an action is a name pattern ("prober."). */
	admin = parse_ok("prober down\n");
	assert_false(gtm_admin_paused(admin));
	assert_int_equal(gtm_admin_match(admin, "prober.", "p", "a", 1, NULL), GTM_FORCE_DOWN);
	gtm_admin_free(admin);
}

static void test_force_str(void **state)
{
	(void)state;
	assert_string_equal(gtm_force_str(GTM_FORCE_NONE), "none");
	assert_string_equal(gtm_force_str(GTM_FORCE_UP), "up");
	assert_string_equal(gtm_force_str(GTM_FORCE_DRAIN), "drain");
	assert_string_equal(gtm_force_str(GTM_FORCE_DOWN), "down");
	assert_true(GTM_FORCE_NONE < GTM_FORCE_UP && GTM_FORCE_UP < GTM_FORCE_DRAIN &&
	            GTM_FORCE_DRAIN < GTM_FORCE_DOWN);
}

/* Many rules (growth of the rule array) and a long line. */
static void test_many(void **state)
{
	(void)state;
	size_t size = 2000 * 40 + 5000;
	char *text = malloc(size);
	assert_non_null(text);
	size_t len = 0;
	for (unsigned i = 0; i < 2000; i++) {
		len += snprintf(text + len, size - len, "n%u.example/p/10.0.%u.%u %s\n",
		                i, i / 256, i % 256, (i % 2) ? "down" : "drain");
	}
	len += snprintf(text + len, size - len, "%s", "long.example/");
	memset(text + len, 'a', 4000);
	len += 4000;
	snprintf(text + len, size - len, " up\n");
	gtm_admin_t *admin = parse_ok(text);
	free(text);
	assert_int_equal(gtm_admin_match(admin, "n1999.example.", "p", "10.0.7.207", 1, NULL),
	                 GTM_FORCE_DOWN);
	assert_int_equal(gtm_admin_match(admin, "n0.example.", "p", "10.0.0.0", 1, NULL),
	                 GTM_FORCE_DRAIN);
	assert_int_equal(gtm_admin_match(admin, "n0.example.", "p", "10.0.0.1", 1, NULL),
	                 GTM_FORCE_NONE);
	gtm_admin_free(admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_missing_empty),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_partial_patterns),
		cmocka_unit_test(test_strength),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_force_str),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
