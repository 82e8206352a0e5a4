/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Truth tables of policy.h, row by row, with an injected view (health
 * states, up-since times, clock): slot health, check rules, min-available
 * and the sequence address policy with preempt and hold-down.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_policy_fx.h"

static void test_health(void **state)
{
	(void)state;
	const uint8_t st[] = { GTM_HEALTH_UP, GTM_HEALTH_DOWN, GTM_HEALTH_UNKNOWN };
	const gtm_view_t snap = { .state = st, .count = 3, .now_ms = NOW };
	const gtm_view_t none = { .state = NULL, .count = 0, .now_ms = NOW };
	struct {
		const gtm_view_t *view;
		uint32_t slot;
		gtm_health_t want;
	} rows[] = {
		{ &snap, GTM_SLOT_NONE, GTM_HEALTH_UP },      /* no check */
		{ &none, GTM_SLOT_NONE, GTM_HEALTH_UP },
		{ &none, 0,             GTM_HEALTH_UNKNOWN }, /* no snapshot */
		{ &snap, 3,             GTM_HEALTH_UNKNOWN }, /* past the snapshot */
		{ &snap, 1000,          GTM_HEALTH_UNKNOWN },
		{ &snap, 0,             GTM_HEALTH_UP },      /* state[slot] */
		{ &snap, 1,             GTM_HEALTH_DOWN },
		{ &snap, 2,             GTM_HEALTH_UNKNOWN },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		assert_int_equal(gtm_policy_health(rows[r].view, rows[r].slot),
		                 rows[r].want);
	}
}

/* check-rule any (1), 2-of-3 and all (3), over every combination of
 * up/down/unknown of three checks, on the second candidate of a pool. */
static void test_cand_up_rules(void **state)
{
	(void)state;
	const char letters[] = "UDK";

	for (int combo = 0; combo < 27; combo++) {
		char health[7] = "DDD???";
		int up = 0;
		for (int c = 0, v = combo; c < 3; c++, v /= 3) {
			health[3 + c] = letters[v % 3];
			up += (letters[v % 3] != 'D');
		}
		for (uint8_t need = 1; need <= 3; need++) {
			fx_t f;
			fx_init(&f, health, 3, SEQ);
			f.pool.check_need = need;
			uint64_t since = 7;
			assert_int_equal(gtm_policy_cand_up(&f.view, &f.pool, 1, &since),
			                 up >= need);
			assert_int_equal(since, 0);
			assert_false(gtm_policy_cand_up(&f.view, &f.pool, 0, &since));
		}
	}
}

static void test_cand_up_since(void **state)
{
	(void)state;
	struct {
		const char *health;
		uint64_t since[3];
		uint8_t need;
		bool up;
		uint64_t want;
	} rows[] = {
		{ "UUU", { 30, 10, 20 }, 1, true,  10 },  /* any: earliest */
		{ "UUU", { 30, 10, 20 }, 2, true,  20 },  /* 2nd smallest */
		{ "UUU", { 30, 10, 20 }, 3, true,  30 },  /* all: latest */
		{ "UDU", { 30, 10, 20 }, 1, true,  20 },  /* down check ignored */
		{ "UDU", { 30, 10, 20 }, 2, true,  30 },
		{ "UDU", { 30, 10, 20 }, 3, false, 0 },
		{ "UUU", { 0, 0, 50 },   2, true,  0 },   /* ties count twice */
		{ "UUU", { 50, 50, 10 }, 2, true,  50 },
		{ "UUU", { 50, 50, 10 }, 3, true,  50 },
		{ "KUU", { 0, 10, 20 },  1, true,  0 },   /* unknown is up */
		{ "KUU", { 0, 10, 20 },  2, true,  10 },
		{ "XUU", { 0, 10, 20 },  2, true,  10 },  /* past the snapshot */
		{ "NUD", { 0, 10, 20 },  2, true,  10 },  /* no check */
		{ "DDD", { 5, 5, 5 },    1, false, 0 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		fx_t f;
		fx_init(&f, rows[r].health, 3, SEQ);
		f.pool.check_need = rows[r].need;
		for (size_t c = 0; c < 3; c++) {
			if (rows[r].health[c] != 'X' && rows[r].health[c] != 'N') {
				f.since[c] = rows[r].since[c];
			}
		}
		uint64_t since = 7;
		assert_int_equal(gtm_policy_cand_up(&f.view, &f.pool, 0, &since), rows[r].up);
		assert_int_equal(since, rows[r].want);
	}

	/* No up_since array: every up check counts as settled. */
	fx_t f;
	fx_init(&f, "HHH", 3, SEQ);
	f.view.up_since = NULL;
	uint64_t since = 7;
	assert_true(gtm_policy_cand_up(&f.view, &f.pool, 0, &since));
	assert_int_equal(since, 0);

	/* No checks: always up, whatever the snapshot says. */
	fx_init(&f, "DDD", 0, SEQ);
	f.pool.slots = NULL;
	since = 7;
	assert_true(gtm_policy_cand_up(&f.view, &f.pool, 2, &since));
	assert_int_equal(since, 0);
}

static void test_min_available(void **state)
{
	(void)state;
	struct {
		uint16_t count;
		uint8_t percent;
		uint16_t n;
		uint16_t want;
	} rows[] = {
		{ 1, 0, 0, 1 },     /* no candidates */
		{ 0, 50, 0, 1 },
		{ 1, 0, 3, 1 },     /* count */
		{ 2, 0, 3, 2 },
		{ 3, 0, 3, 3 },
		{ 5, 0, 3, 3 },     /* capped at n */
		{ 0, 0, 3, 1 },     /* at least 1 */
		{ 1, 50, 3, 2 },    /* percent, rounded up: 1.5 -> 2 */
		{ 1, 33, 3, 1 },    /* 0.99 -> 1 */
		{ 1, 34, 3, 2 },    /* 1.02 -> 2 */
		{ 1, 67, 3, 3 },    /* 2.01 -> 3 */
		{ 1, 66, 3, 2 },    /* 1.98 -> 2 */
		{ 1, 100, 7, 7 },
		{ 1, 1, 3, 1 },     /* 0.03 -> 1 */
		{ 1, 1, 100, 1 },
		{ 1, 1, 101, 2 },   /* 1.01 -> 2 */
		{ 1, 10, 10, 1 },
		{ 1, 10, 11, 2 },
		{ 9, 25, 4, 1 },    /* percent takes precedence over count */
		{ 1, 100, 64, 64 },
		{ 1, 200, 4, 4 },   /* above 100 counts as 100 */
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		assert_int_equal(gtm_policy_min_available(rows[r].count, rows[r].percent,
		                                          rows[r].n), rows[r].want);
	}
}


/* Sequence, preempt on: the reference case first (1, 2, 3 in order). */
static void test_sequence(void **state)
{
	(void)state;
	const arow_t rows[] = {
		/* health policy preempt max min sticky rnd want degraded held */
		{ "UUU", SEQ, true, 1, 1, 0, 0, "0", false, false }, /* all up -> 1 */
		{ "DUU", SEQ, true, 1, 1, 0, 0, "1", true, false },  /* 1 down -> 2 */
		{ "DDU", SEQ, true, 1, 1, 0, 0, "2", true, false },  /* 1, 2 down -> 3 */
		{ "DDD", SEQ, true, 1, 1, 0, 0, "", true, false },   /* all down */
		{ "UDD", SEQ, true, 1, 1, 0, 0, "0", false, false }, /* 1 back -> 1 */
		{ "UDU", SEQ, true, 1, 1, 0, 0, "0", false, false },
		{ "UUD", SEQ, true, 1, 1, 0, 0, "0", false, false },
		{ "DUD", SEQ, true, 1, 1, 0, 0, "1", true, false },
		{ "KKK", SEQ, true, 1, 1, 0, 0, "0", false, false }, /* unknown is up */
		{ "KDU", SEQ, true, 1, 1, 0, 0, "0", false, false },
		{ "DKU", SEQ, true, 1, 1, 0, 0, "1", true, false },
		{ "DDK", SEQ, true, 1, 1, 0, 0, "2", true, false },
		{ "XDD", SEQ, true, 1, 1, 0, 0, "0", false, false }, /* past snapshot */
		{ "DDX", SEQ, true, 1, 1, 0, 0, "2", true, false },
		{ "NDD", SEQ, true, 1, 1, 0, 0, "0", false, false }, /* no check */
		{ "DDN", SEQ, true, 1, 1, 0, 0, "2", true, false },
		{ "", SEQ, true, 1, 1, 0, 0, "", true, false },      /* no candidate */
		/* max-answers */
		{ "UUU", SEQ, true, 2, 1, 0, 0, "01", false, false },
		{ "DUU", SEQ, true, 2, 1, 0, 0, "12", true, false },
		{ "UDU", SEQ, true, 2, 1, 0, 0, "02", false, false },
		{ "DDU", SEQ, true, 2, 1, 0, 0, "2", true, false },
		{ "UUU", SEQ, true, 0, 1, 0, 0, "012", false, false },
		{ "UDU", SEQ, true, 0, 1, 0, 0, "02", false, false },
		/* min-available */
		{ "UUD", SEQ, true, 1, 2, 0, 0, "0", false, false },
		{ "UDD", SEQ, true, 1, 2, 0, 0, "", true, false },
		{ "DUU", SEQ, true, 1, 2, 0, 0, "1", true, false },
		{ "UUU", SEQ, true, 1, 3, 0, 0, "0", false, false },
		{ "UUD", SEQ, true, 1, 3, 0, 0, "", true, false },
		{ "UUU", SEQ, true, 1, 4, 0, 0, "", true, false },
		{ "UUU", SEQ, true, 1, 0, 0, 0, "0", false, false },  /* 0 as 1 */
		/* preempt on ignores the remembered key */
		{ "UUU", SEQ, true, 1, 1, KEY(1), 0, "0", false, false },
	};
	ROWS(rows);
}

/* Sequence, preempt off: the remembered candidate stays while it is up. */
static void test_sequence_sticky(void **state)
{
	(void)state;
	const arow_t rows[] = {
		/* sticky on 2 while 1 is up (recovered) */
		{ "UUU", SEQ, false, 1, 1, KEY(1), 0, "1", true, false },
		/* sticky target down -> best eligible */
		{ "UDU", SEQ, false, 1, 1, KEY(1), 0, "0", false, false },
		{ "DDU", SEQ, false, 1, 1, KEY(1), 0, "2", true, false },
		{ "DDD", SEQ, false, 1, 1, KEY(1), 0, "", true, false },
		/* unknown or no key -> as preempt on */
		{ "UUU", SEQ, false, 1, 1, NOKEY, 0, "0", false, false },
		{ "DUU", SEQ, false, 1, 1, NOKEY, 0, "1", true, false },
		{ "UUU", SEQ, false, 1, 1, 0, 0, "0", false, false },
		/* sticky first, then the rest in order */
		{ "UUU", SEQ, false, 2, 1, KEY(1), 0, "10", true, false },
		{ "UUU", SEQ, false, 2, 1, KEY(2), 0, "20", true, false },
		{ "UUU", SEQ, false, 0, 1, KEY(1), 0, "102", true, false },
		{ "UUU", SEQ, false, 1, 1, KEY(0), 0, "0", false, false },
		/* sticky on an unknown health */
		{ "UKU", SEQ, false, 1, 1, KEY(1), 0, "1", true, false },
		/* sticky not eligible: pool below min-available */
		{ "UDD", SEQ, false, 1, 2, KEY(0), 0, "", true, false },
		/* a held sticky candidate stays, even with a settled one up */
		{ "HU", SEQ, false, 1, 1, KEY(0), 0, "0", false, false },
		{ "UH", SEQ, false, 1, 1, KEY(1), 0, "1", true, false },
		/* other held candidates are still passed over */
		{ "HUU", SEQ, false, 1, 1, KEY(2), 0, "2", true, false },
		{ "UHU", SEQ, false, 2, 1, KEY(2), 0, "20", true, false },
		{ "UHU", SEQ, false, 3, 1, KEY(2), 0, "20", true, true },
		{ "HUU", SEQ, false, 1, 1, NOKEY, 0, "1", true, true },
	};
	ROWS(rows);
}

/* Failback hold-down of addresses (failback-delay FB). */
static void test_sequence_hold_down(void **state)
{
	(void)state;
	const arow_t rows[] = {
		/* recovered 1 held while 2 is up */
		{ "HU", SEQ, true, 1, 1, 0, 0, "1", true, true },
		{ "eU", SEQ, true, 1, 1, 0, 0, "1", true, true },   /* FB - 1 ms */
		{ "EU", SEQ, true, 1, 1, 0, 0, "0", false, false }, /* exactly FB */
		{ "FU", SEQ, true, 1, 1, 0, 0, "1", true, true },   /* future */
		/* held 1 answered when it is the only one up */
		{ "HD", SEQ, true, 1, 1, 0, 0, "0", false, false },
		{ "HH", SEQ, true, 1, 1, 0, 0, "0", false, false },
		{ "DH", SEQ, true, 1, 1, 0, 0, "1", true, false },
		{ "HHU", SEQ, true, 1, 1, 0, 0, "2", true, true },
		{ "HHU", SEQ, true, 0, 1, 0, 0, "2", true, true },
		/* held ones are not added after the settled first either */
		{ "UHU", SEQ, true, 2, 1, 0, 0, "02", false, true },
		{ "UUH", SEQ, true, 2, 1, 0, 0, "01", false, false },
		{ "UUH", SEQ, true, 0, 1, 0, 0, "01", false, true },
		{ "HHD", SEQ, true, 0, 1, 0, 0, "01", false, false },
		/* held ones count for min-available */
		{ "HUD", SEQ, true, 1, 2, 0, 0, "1", true, true },
		{ "HDD", SEQ, true, 1, 2, 0, 0, "", true, false },
	};
	ROWS(rows);

	/* failback-delay 0: a recovered candidate answers at once, even when
	 * the clock says it came up in the future. */
	const char *health[] = { "HU", "FU" };
	for (size_t i = 0; i < 2; i++) {
		fx_t f;
		char got[MAXC + 1];
		gtm_addr_pick_t pick;
		fx_init(&f, health[i], 1, SEQ);
		f.pool.failback_ms = 0;
		assert_int_equal(fx_run(&f, 0, 0, got, &pick), 1);
		assert_string_equal(got, "0");
		assert_false(pick.held);
		assert_false(pick.degraded);
	}
}

/* The reference case over time: 1 fails, then 2, then 3, then 1 comes back
 * and is held while 2 is up, until exactly FB after it came up. */
static void test_sequence_over_time(void **state)
{
	(void)state;
	fx_t f;
	char got[MAXC + 1];
	gtm_addr_pick_t pick;

	fx_init(&f, "UUU", 1, SEQ);
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "0");
	fx_slot(&f, 0, 'D');
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "1");
	fx_slot(&f, 1, 'D');
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "2");
	fx_slot(&f, 2, 'D');
	assert_int_equal(fx_run(&f, 0, 0, got, &pick), 0);

	/* 1 comes back alone: answered at once although held. */
	fx_slot(&f, 0, 'U');
	f.since[0] = NOW;
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "0");
	assert_false(pick.held);
	assert_int_equal(pick.since, NOW);

	/* 2 was never in hold-down: 1 is held while 2 is up. */
	fx_slot(&f, 1, 'U');
	for (uint64_t t = NOW; t < NOW + FB; t += FB / 4) {
		f.view.now_ms = t;
		fx_run(&f, 0, 0, got, &pick);
		assert_string_equal(got, "1");
		assert_true(pick.held);
		assert_int_equal(pick.since, 0);
	}
	f.view.now_ms = NOW + FB - 1;
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "1");
	f.view.now_ms = NOW + FB;
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "0");
	assert_false(pick.held);
	assert_false(pick.degraded);
}

/* pick.since: the min-available-th smallest up-since of the up ones. */
static void test_pool_since(void **state)
{
	(void)state;
	struct {
		const char *health;
		uint16_t min;
		bool up;
		uint64_t since;
	} rows[] = {
		{ "UUU", 1, true,  0 },
		{ "HU",  1, true,  0 },
		{ "HD",  1, true,  NOW - FB / 2 },
		{ "UH",  2, true,  NOW - FB / 2 },
		{ "HE",  1, true,  NOW - FB },
		{ "HE",  2, true,  NOW - FB / 2 },
		{ "HEU", 2, true,  NOW - FB },
		{ "DHe", 2, true,  NOW - FB / 2 },
		{ "KHD", 1, true,  0 },
		{ "HDD", 2, false, 0 },              /* not eligible */
		{ "DDD", 1, false, 0 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		fx_t f;
		fx_init(&f, rows[r].health, 1, SEQ);
		f.pool.min_available = rows[r].min;
		uint64_t since = 7;
		assert_int_equal(gtm_policy_pool_up(&f.view, &f.pool, &since), rows[r].up);
		assert_int_equal(since, rows[r].since);
		assert_int_equal(gtm_policy_pool_up(&f.view, &f.pool, NULL), rows[r].up);
	}
}

/* Several checks per candidate: check-rule any (1) and all (2). */
static void test_addrs_check_rule(void **state)
{
	(void)state;
	fx_t f;
	char got[MAXC + 1];
	gtm_addr_pick_t pick;

	fx_init(&f, "DDUDUU", 2, SEQ);      /* candidates: DD, UD, UU */
	f.pool.check_need = 1;
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "1");
	assert_int_equal(pick.eligible, 2);
	f.pool.check_need = 2;
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "2");
	assert_int_equal(pick.eligible, 1);

	/* No snapshot at all: every candidate unknown, the first answers. */
	f.view.state = NULL;
	f.view.count = 0;
	fx_run(&f, 0, 0, got, &pick);
	assert_string_equal(got, "0");
	assert_int_equal(pick.eligible, 3);
	assert_false(pick.degraded);

	/* pick may be NULL. */
	uint16_t out[3];
	assert_int_equal(gtm_policy_addrs(&f.view, &f.pool, 0, 0, out, NULL), 1);
	assert_int_equal(out[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_cand_up_rules),
		cmocka_unit_test(test_cand_up_since),
		cmocka_unit_test(test_min_available),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_sequence_sticky),
		cmocka_unit_test(test_sequence_hold_down),
		cmocka_unit_test(test_sequence_over_time),
		cmocka_unit_test(test_pool_since),
		cmocka_unit_test(test_addrs_check_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
