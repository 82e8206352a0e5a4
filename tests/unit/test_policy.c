/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy.h"

#define U GTM_HEALTH_UP
#define D GTM_HEALTH_DOWN
#define K GTM_HEALTH_UNKNOWN

static void test_health_of_slot(void **state)
{
	(void)state;
	const uint8_t st[] = { U, D, K };

	assert_int_equal(gtm_policy_health(st, 3, 0), U);
	assert_int_equal(gtm_policy_health(st, 3, 1), D);
	assert_int_equal(gtm_policy_health(st, 3, 2), K);
	assert_int_equal(gtm_policy_health(st, 3, 3), K);   /* past the snapshot */
	assert_int_equal(gtm_policy_health(NULL, 0, 0), K); /* no snapshot yet */
	assert_int_equal(gtm_policy_health(st, 3, GTM_SLOT_NONE), U);
	assert_int_equal(gtm_policy_health(NULL, 0, GTM_SLOT_NONE), U);
}

/* The reference case: three origins in order, every combination of up and
 * down, plus unknown, against the expected choice. */
static void test_sequence_truth_table(void **state)
{
	(void)state;
	const uint32_t slots[] = { 0, 1, 2 };
	struct {
		uint8_t st[3];
		gtm_select_t sel;
		int chosen;
	} rows[] = {
		{ { U, U, U }, GTM_SELECT_FIRST,    0 },
		{ { D, U, U }, GTM_SELECT_FAILOVER, 1 },
		{ { D, D, U }, GTM_SELECT_FAILOVER, 2 },
		{ { D, D, D }, GTM_SELECT_ALL_DOWN, -1 },
		{ { U, D, D }, GTM_SELECT_FIRST,    0 },
		{ { U, D, U }, GTM_SELECT_FIRST,    0 },
		{ { D, U, D }, GTM_SELECT_FAILOVER, 1 },
		{ { U, U, D }, GTM_SELECT_FIRST,    0 },
		{ { K, K, K }, GTM_SELECT_FIRST,    0 },
		{ { K, D, U }, GTM_SELECT_FIRST,    0 },
		{ { D, K, U }, GTM_SELECT_FAILOVER, 1 },
		{ { D, D, K }, GTM_SELECT_FAILOVER, 2 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int chosen = 99;
		gtm_select_t sel = gtm_policy_sequence(rows[i].st, 3, slots, 3, &chosen);
		assert_int_equal(sel, rows[i].sel);
		assert_int_equal(chosen, rows[i].chosen);
	}
}

static void test_sequence_recovery_is_preemptive(void **state)
{
	(void)state;
	const uint32_t slots[] = { 0, 1, 2 };
	uint8_t st[] = { U, U, U };
	int chosen;

	/* 1 down -> 2, 1 and 2 down -> 3, 1 back -> 1. */
	st[0] = D;
	assert_int_equal(gtm_policy_sequence(st, 3, slots, 3, &chosen), GTM_SELECT_FAILOVER);
	assert_int_equal(chosen, 1);
	st[1] = D;
	assert_int_equal(gtm_policy_sequence(st, 3, slots, 3, &chosen), GTM_SELECT_FAILOVER);
	assert_int_equal(chosen, 2);
	st[0] = U;
	assert_int_equal(gtm_policy_sequence(st, 3, slots, 3, &chosen), GTM_SELECT_FIRST);
	assert_int_equal(chosen, 0);
}

static void test_sequence_edges(void **state)
{
	(void)state;
	const uint8_t st[] = { D, D, U, D };
	int chosen = 99;

	/* No candidates. */
	assert_int_equal(gtm_policy_sequence(st, 4, NULL, 0, &chosen), GTM_SELECT_ALL_DOWN);
	assert_int_equal(chosen, -1);

	/* Slots in any order map into the snapshot. */
	const uint32_t order[] = { 3, 1, 2, 0 };
	assert_int_equal(gtm_policy_sequence(st, 4, order, 4, &chosen), GTM_SELECT_FAILOVER);
	assert_int_equal(chosen, 2);

	/* An address without a check is always eligible. */
	const uint32_t none[] = { 0, GTM_SLOT_NONE };
	assert_int_equal(gtm_policy_sequence(st, 4, none, 2, &chosen), GTM_SELECT_FAILOVER);
	assert_int_equal(chosen, 1);

	/* A slot beyond the snapshot (new target) counts as unknown. */
	const uint32_t fresh[] = { 0, 7 };
	assert_int_equal(gtm_policy_sequence(st, 4, fresh, 2, &chosen), GTM_SELECT_FAILOVER);
	assert_int_equal(chosen, 1);

	/* No snapshot published yet: everything unknown, first answers. */
	assert_int_equal(gtm_policy_sequence(NULL, 0, order, 4, &chosen), GTM_SELECT_FIRST);
	assert_int_equal(chosen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_of_slot),
		cmocka_unit_test(test_sequence_truth_table),
		cmocka_unit_test(test_sequence_recovery_is_preemptive),
		cmocka_unit_test(test_sequence_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
