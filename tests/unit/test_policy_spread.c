/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Truth tables of policy.h, row by row, with an injected view: the
 * round-robin, all and weighted address policies, and the pool policies.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_policy_fx.h"

static void test_round_robin(void **state)
{
	(void)state;
	const arow_t rows[] = {
		{ "UUUU", RR, true, 0, 1, 0, 0, "0123", false, false },
		{ "UUUU", RR, true, 0, 1, 0, 1, "1230", false, false },
		{ "UUUU", RR, true, 0, 1, 0, 2, "2301", false, false },
		{ "UUUU", RR, true, 0, 1, 0, 3, "3012", false, false },
		{ "UUUU", RR, true, 0, 1, 0, 4, "0123", false, false },
		{ "UUUU", RR, true, 0, 1, 0, 7, "3012", false, false },
		{ "UUUU", RR, true, 0, 1, 0, UINT32_MAX, "3012", false, false },
		{ "UDUU", RR, true, 0, 1, 0, 0, "023", true, false },
		{ "UDUU", RR, true, 0, 1, 0, 1, "230", true, false },
		{ "UDUU", RR, true, 0, 1, 0, 2, "302", true, false },
		{ "UDUU", RR, true, 0, 1, 0, 3, "023", true, false },
		{ "UUUU", RR, true, 2, 1, 0, 1, "12", false, false },
		{ "UUUU", RR, true, 2, 1, 0, 3, "30", false, false },
		{ "UDUU", RR, true, 2, 1, 0, 2, "30", false, false },
		{ "DDDU", RR, true, 2, 1, 0, 5, "3", true, false },
		{ "DDDD", RR, true, 0, 1, 0, 0, "", true, false },
		{ "KXNU", RR, true, 0, 1, 0, 2, "2301", false, false },
		{ "UUDD", RR, true, 0, 3, 0, 0, "", true, false },
		{ "UUUD", RR, true, 0, 3, 0, 1, "120", true, false },
		/* held ones are left out while a settled one is up */
		{ "HUUU", RR, true, 0, 1, 0, 0, "123", true, true },
		{ "HUUU", RR, true, 0, 1, 0, 1, "231", true, true },
		{ "HHUU", RR, true, 0, 1, 0, 1, "32", true, true },
		{ "HHHH", RR, true, 0, 1, 0, 1, "1230", false, false },
		{ "HHDD", RR, true, 0, 1, 0, 1, "10", true, false },
		/* a remembered key means nothing to round-robin */
		{ "UUUU", RR, false, 0, 1, KEY(2), 0, "0123", false, false },
	};
	ROWS(rows);

	/* Every offset, for every pool size: a rotation of the order. */
	char health[MAXC + 1];
	for (size_t n = 1; n <= 9; n++) {
		memset(health, 'U', n);
		health[n] = '\0';
		for (uint32_t rnd = 0; rnd < 3 * n; rnd++) {
			fx_t f;
			char got[MAXC + 1];
			gtm_addr_pick_t pick;
			fx_init(&f, health, 1, RR);
			assert_int_equal(fx_run(&f, 0, rnd, got, &pick), n);
			for (size_t j = 0; j < n; j++) {
				assert_int_equal(got[j], cand_char((rnd + j) % n));
			}
		}
	}
}

static void test_all(void **state)
{
	(void)state;
	const arow_t rows[] = {
		{ "UUUU", ALL, true, 0, 1, 0, 0, "0123", false, false },
		{ "UUUU", ALL, true, 0, 1, 0, 3, "0123", false, false },
		{ "UDUU", ALL, true, 0, 1, 0, 0, "023", true, false },
		{ "UUUU", ALL, true, 2, 1, 0, 0, "01", false, false },
		{ "UDUU", ALL, true, 2, 1, 0, 0, "02", false, false },
		{ "DDDU", ALL, true, 2, 1, 0, 0, "3", true, false },
		{ "DDDD", ALL, true, 0, 1, 0, 0, "", true, false },
		{ "KXND", ALL, true, 0, 1, 0, 0, "012", true, false },
		{ "UUDD", ALL, true, 0, 3, 0, 0, "", true, false },
		{ "HUUU", ALL, true, 0, 1, 0, 0, "123", true, true },
		{ "HUUU", ALL, true, 3, 1, 0, 0, "123", false, true },
		{ "HHHH", ALL, true, 0, 1, 0, 0, "0123", false, false },
		{ "HHDD", ALL, true, 0, 1, 0, 0, "01", true, false },
	};
	ROWS(rows);
}

/* Weighted rows whose single draw is rnd % total weight (weights all 1). */
static void test_weighted_rows(void **state)
{
	(void)state;
	const arow_t rows[] = {
		{ "UUU", WGT, true, 1, 1, 0, 0, "0", false, false },
		{ "UUU", WGT, true, 1, 1, 0, 1, "1", false, false },
		{ "UUU", WGT, true, 1, 1, 0, 2, "2", false, false },
		{ "UUU", WGT, true, 1, 1, 0, 5, "2", false, false },
		{ "UUU", WGT, true, 0, 1, 0, 2, "2", false, false },  /* 0: 1 */
		{ "UDU", WGT, true, 1, 1, 0, 1, "2", false, false },
		{ "DDU", WGT, true, 1, 1, 0, 0, "2", false, false },
		{ "UDD", WGT, true, 2, 1, 0, 0, "0", true, false },
		{ "DDD", WGT, true, 1, 1, 0, 0, "", true, false },
		{ "UUD", WGT, true, 1, 3, 0, 0, "", true, false },
		{ "HUU", WGT, true, 1, 1, 0, 0, "1", false, true },
		{ "HUU", WGT, true, 1, 1, 0, 1, "2", false, true },
		{ "HHU", WGT, true, 1, 1, 0, 0, "2", false, true },
		{ "HHH", WGT, true, 1, 1, 0, 2, "2", false, false },
		{ "HDD", WGT, true, 1, 1, 0, 0, "0", false, false },
	};
	ROWS(rows);
}

/* Draws 'rounds' answers with sequential or scrambled rnd and counts how
 * often each candidate is answered (and first); checks each answer. */
static void sweep(fx_t *f, uint32_t rounds, bool scrambled, size_t want_count,
                  uint32_t *seen, uint32_t *first)
{
	uint32_t x = 2463534242u;
	memset(seen, 0, MAXC * sizeof(*seen));
	memset(first, 0, MAXC * sizeof(*first));
	for (uint32_t i = 0; i < rounds; i++) {
		uint32_t rnd = scrambled ? xorshift(&x) : i;
		char got[MAXC + 1];
		gtm_addr_pick_t pick;
		assert_int_equal(fx_run(f, 0, rnd, got, &pick), want_count);
		for (size_t j = 0; j < want_count; j++) {
			uint16_t c = (uint16_t)(strchr("0123456789", got[j]) - "0123456789");
			assert_true(c < f->pool.n);
			assert_int_equal(f->st[c], GTM_HEALTH_UP);         /* eligible */
			assert_null(strchr(got + j + 1, got[j]));          /* no duplicate */
			seen[c]++;
			first[c] += (j == 0);
		}
	}
}
static void test_weighted_distribution(void **state)
{
	(void)state;
	fx_t f;
	uint32_t seen[MAXC], first[MAXC];

	/* Weights 1:3, one answer: 1/4 and 3/4 of the draws. */
	for (int scrambled = 0; scrambled <= 1; scrambled++) {
		fx_init(&f, "UU", 1, WGT);
		f.weights[0] = 1;
		f.weights[1] = 3;
		f.pool.weights = f.weights;
		sweep(&f, 4000, scrambled, 1, seen, first);
		near(seen[0], 1000, 4000);
		near(seen[1], 3000, 4000);
	}

	/* Weights 1:2:3, two answers without replacement: first draw by
	 * weight, second by weight among the rest. */
	for (int scrambled = 0; scrambled <= 1; scrambled++) {
		fx_init(&f, "UUU", 1, WGT);
		f.weights[0] = 1;
		f.weights[1] = 2;
		f.weights[2] = 3;
		f.pool.weights = f.weights;
		f.pool.max_answers = 2;
		sweep(&f, 6000, scrambled, 2, seen, first);
		near(first[0], 1000, 6000);
		near(first[1], 2000, 6000);
		near(first[2], 3000, 6000);
		/* P(in) = w/6 + sum over the others b: wb/6 * w/(6 - wb). */
		near(seen[0], 6000 * (1.0 / 6 + 2.0 / 6 * 1 / 4 + 3.0 / 6 * 1 / 3), 6000);
		near(seen[1], 6000 * (2.0 / 6 + 1.0 / 6 * 2 / 5 + 3.0 / 6 * 2 / 3), 6000);
		near(seen[2], 6000 * (3.0 / 6 + 1.0 / 6 * 3 / 5 + 2.0 / 6 * 3 / 4), 6000);
	}

	/* Only eligible candidates are drawn, whatever their weight. */
	fx_init(&f, "UDUD", 1, WGT);
	const uint16_t w4[] = { 1, 1000, 1, 5 };
	memcpy(f.weights, w4, sizeof(w4));
	f.pool.weights = f.weights;
	sweep(&f, 2000, true, 1, seen, first);
	near(seen[0], 1000, 2000);
	near(seen[2], 1000, 2000);
	f.pool.max_answers = 2;
	sweep(&f, 200, true, 2, seen, first);
	assert_int_equal(seen[0], 200);
	assert_int_equal(seen[2], 200);

	/* Held candidates are not drawn while a settled one is up. */
	fx_init(&f, "HUU", 1, WGT);
	f.weights[0] = 100;
	f.weights[1] = 1;
	f.weights[2] = 1;
	f.pool.weights = f.weights;
	sweep(&f, 1000, true, 1, seen, first);
	assert_int_equal(seen[0], 0);
	near(seen[1], 500, 1000);

	/* No weights: equal; a weight of 0 counts as 1. */
	fx_init(&f, "UUU", 1, WGT);
	sweep(&f, 3000, true, 1, seen, first);
	near(seen[0], 1000, 3000);
	near(seen[1], 1000, 3000);
	near(seen[2], 1000, 3000);
	f.pool.weights = f.weights;          /* all 0 */
	sweep(&f, 3000, false, 1, seen, first);
	assert_int_equal(seen[0], 1000);
	assert_int_equal(seen[2], 1000);
}

static void test_weighted_without_replacement(void **state)
{
	(void)state;
	fx_t f;
	uint32_t seen[MAXC], first[MAXC];
	char got[MAXC + 1];
	gtm_addr_pick_t pick;

	/* max-answers above the eligible count: each eligible once. */
	fx_init(&f, "UUDU", 1, WGT);
	f.pool.max_answers = 5;
	sweep(&f, 500, true, 3, seen, first);
	assert_int_equal(seen[0], 500);
	assert_int_equal(seen[1], 500);
	assert_int_equal(seen[3], 500);
	fx_run(&f, 0, 9, got, &pick);
	assert_true(pick.degraded);             /* 3 answers, 4 when all up */

	/* Two answers out of two eligible: never degraded. */
	fx_init(&f, "UUD", 1, WGT);
	f.pool.max_answers = 2;
	sweep(&f, 500, true, 2, seen, first);
	fx_run(&f, 0, 1, got, &pick);
	assert_false(pick.degraded);

	/* 64 candidates, 64 answers: a permutation of them. */
	char health[MAXC + 1];
	memset(health, 'U', MAXC);
	health[MAXC] = '\0';
	uint16_t out[MAXC];
	uint32_t x = 7;
	for (int round = 0; round < 100; round++) {
		fx_init(&f, health, 1, WGT);
		for (size_t i = 0; i < MAXC; i++) {
			f.weights[i] = (uint16_t)(1 + i * 15);
		}
		f.pool.weights = f.weights;
		f.pool.max_answers = MAXC;
		assert_int_equal(gtm_policy_addrs(&f.view, &f.pool, 0, xorshift(&x),
		                                  out, &pick), MAXC);
		uint64_t mask = 0;
		for (size_t i = 0; i < MAXC; i++) {
			assert_true(out[i] < MAXC);
			mask |= (uint64_t)1 << out[i];
		}
		assert_true(mask == UINT64_MAX);
		assert_false(pick.degraded);
	}
}

static void test_pools(void **state)
{
	(void)state;
	const gtm_pool_policy_t S = GTM_PPOL_SEQUENCE, W = GTM_PPOL_WEIGHTED,
	                        T = GTM_PPOL_TOPOLOGY;
	const struct {
		const char *spec;
		gtm_pool_policy_t policy;
		bool preempt;
		uint32_t fb;
		uint64_t sticky;
		uint32_t rnd;
		int want;
		bool degraded;
		bool held;
	} rows[] = {
		/* sequence, preempt on */
		{ "UUU", S, true, FB, 0, 0, 0, false, false },
		{ "DUU", S, true, FB, 0, 0, 1, true, false },
		{ "DDU", S, true, FB, 0, 0, 2, true, false },
		{ "DDD", S, true, FB, 0, 0, -1, true, false },
		{ "",    S, true, FB, 0, 0, -1, true, false },
		{ "UDD", S, true, FB, 0, 0, 0, false, false },
		{ "DUU", T, true, FB, 0, 0, 1, true, false },     /* as sequence */
		{ "UUU", S, true, FB, PKEY(1), 0, 0, false, false },
		/* pool hold-down */
		{ "HU",  S, true, FB, 0, 0, 1, true, true },
		{ "eU",  S, true, FB, 0, 0, 1, true, true },
		{ "EU",  S, true, FB, 0, 0, 0, false, false },
		{ "HU",  S, true, 0,  0, 0, 0, false, false },    /* no hold-down */
		{ "HD",  S, true, FB, 0, 0, 0, false, false },
		{ "HH",  S, true, FB, 0, 0, 0, false, false },
		{ "DHU", S, true, FB, 0, 0, 2, true, true },
		{ "UH",  S, true, FB, 0, 0, 0, false, false },
		/* sequence, preempt off (sticky pool) */
		{ "UUU", S, false, FB, PKEY(1), 0, 1, true, false },
		{ "UDU", S, false, FB, PKEY(1), 0, 0, false, false },
		{ "DDU", S, false, FB, PKEY(1), 0, 2, true, false },
		{ "UUU", S, false, FB, NOKEY, 0, 0, false, false },
		{ "UUU", S, false, FB, 0, 0, 0, false, false },
		{ "HU",  S, false, FB, PKEY(0), 0, 0, false, false },
		{ "UH",  S, false, FB, PKEY(1), 0, 1, true, false },
		{ "HU",  S, false, FB, NOKEY, 0, 1, true, true },
		{ "UUU", T, false, FB, PKEY(2), 0, 2, true, false },
		/* weighted (all weights 1: rnd % eligible count) */
		{ "UUU", W, true, FB, 0, 0, 0, false, false },
		{ "UUU", W, true, FB, 0, 1, 1, false, false },
		{ "UUU", W, true, FB, 0, 2, 2, false, false },
		{ "UUU", W, true, FB, 0, 3, 0, false, false },
		{ "DUU", W, true, FB, 0, 0, 1, true, false },
		{ "DUU", W, true, FB, 0, 1, 2, true, false },
		{ "DDD", W, true, FB, 0, 0, -1, true, false },
		{ "HUU", W, true, FB, 0, 0, 1, false, true },
		{ "HHU", W, true, FB, 0, 1, 2, false, true },
		{ "HHH", W, true, FB, 0, 2, 2, false, false },
		{ "HD",  W, true, FB, 0, 1, 0, true, false },
		{ "UUU", W, false, FB, PKEY(2), 0, 0, false, false },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		gtm_pool_state_t ps[8];
		size_t n = pools_of(rows[r].spec, ps);
		gtm_view_t view = { .now_ms = NOW };
		gtm_pool_pick_t pick;
		memset(&pick, 0xa5, sizeof(pick));
		int got = gtm_policy_pools(&view, ps, n, rows[r].policy, rows[r].preempt,
		                           rows[r].fb, rows[r].sticky, rows[r].rnd, &pick);
		if (got != rows[r].want || pick.degraded != rows[r].degraded ||
		    pick.held != rows[r].held) {
			print_error("row %zu (%s): got %d degraded %d held %d\n",
			            r, rows[r].spec, got, pick.degraded, pick.held);
		}
		assert_int_equal(got, rows[r].want);
		assert_int_equal(pick.degraded, rows[r].degraded);
		assert_int_equal(pick.held, rows[r].held);
		assert_int_equal(pick.sticky, got >= 0 ? PKEY(got) : 0);
		assert_int_equal(gtm_policy_pools(&view, ps, n, rows[r].policy,
		                                  rows[r].preempt, rows[r].fb,
		                                  rows[r].sticky, rows[r].rnd, NULL),
		                 rows[r].want);
	}
}

static void test_pools_weighted_distribution(void **state)
{
	(void)state;
	gtm_view_t view = { .now_ms = NOW };
	gtm_pool_state_t ps[4];
	uint32_t seen[4];

	/* Weights 1:3 over 4000 sequential and scrambled rnd values. */
	for (int scrambled = 0; scrambled <= 1; scrambled++) {
		pools_of("UU", ps);
		ps[1].weight = 3;
		memset(seen, 0, sizeof(seen));
		uint32_t x = 99;
		for (uint32_t i = 0; i < 4000; i++) {
			uint32_t rnd = scrambled ? xorshift(&x) : i;
			int p = gtm_policy_pools(&view, ps, 2, GTM_PPOL_WEIGHTED, true,
			                         FB, 0, rnd, NULL);
			assert_true(p >= 0 && p < 2);
			seen[p]++;
		}
		near(seen[0], 1000, 4000);
		near(seen[1], 3000, 4000);
	}

	/* A pool not eligible or held is never drawn; weight 0 counts as 1. */
	pools_of("UDUH", ps);
	ps[0].weight = 0;
	ps[1].weight = 50;
	ps[2].weight = 1;
	ps[3].weight = 50;
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < 2000; i++) {
		seen[gtm_policy_pools(&view, ps, 4, GTM_PPOL_WEIGHTED, true, FB, 0,
		                      i, NULL)]++;
	}
	assert_int_equal(seen[0], 1000);
	assert_int_equal(seen[2], 1000);
}

/* Pool hold-down fed by gtm_policy_pool_up(): pool A recovers, is held
 * while pool B is up, and answers again exactly FB after it came up. */
static void test_pool_hold_down_via_since(void **state)
{
	(void)state;
	fx_t a, b;
	gtm_pool_state_t ps[2];
	gtm_pool_pick_t pick;

	fx_init(&a, "DD", 1, SEQ);
	fx_init(&b, "UU", 1, SEQ);
	pools_of("UU", ps);
	ps[0].eligible = gtm_policy_pool_up(&a.view, &a.pool, &ps[0].since);
	ps[1].eligible = gtm_policy_pool_up(&b.view, &b.pool, &ps[1].since);
	assert_int_equal(gtm_policy_pools(&a.view, ps, 2, GTM_PPOL_SEQUENCE, true,
	                                  FB, 0, 0, &pick), 1);
	assert_true(pick.degraded);
	assert_false(pick.held);

	fx_slot(&a, 1, 'U');
	a.since[1] = NOW;
	for (uint64_t t = NOW; t <= NOW + FB; t += FB / 8) {
		a.view.now_ms = t;
		b.view.now_ms = t;
		ps[0].eligible = gtm_policy_pool_up(&a.view, &a.pool, &ps[0].since);
		ps[1].eligible = gtm_policy_pool_up(&b.view, &b.pool, &ps[1].since);
		assert_true(ps[0].eligible);
		assert_int_equal(ps[0].since, NOW);
		int chosen = gtm_policy_pools(&a.view, ps, 2, GTM_PPOL_SEQUENCE,
		                              true, FB, 0, 0, &pick);
		assert_int_equal(chosen, (t - NOW >= FB) ? 0 : 1);
		assert_int_equal(pick.held, t - NOW < FB);
		assert_int_equal(pick.degraded, t - NOW < FB);
	}

	/* Held A answers when B is down. */
	a.view.now_ms = NOW + 1;
	ps[0].eligible = gtm_policy_pool_up(&a.view, &a.pool, &ps[0].since);
	ps[1].eligible = false;
	assert_int_equal(gtm_policy_pools(&a.view, ps, 2, GTM_PPOL_SEQUENCE, true,
	                                  FB, 0, 0, &pick), 0);
	assert_false(pick.held);
	assert_false(pick.degraded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_weighted_rows),
		cmocka_unit_test(test_weighted_distribution),
		cmocka_unit_test(test_weighted_without_replacement),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_pools_weighted_distribution),
		cmocka_unit_test(test_pool_hold_down_via_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
