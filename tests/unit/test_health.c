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

#include "health.h"

/* Feeds a string of results ('+' ok, '-' fail) one per second of an
 * injected clock, returning the state after each step in out[]. */
static void feed(gtm_health_sm_t *sm, const char *results, uint16_t rise,
                 uint16_t fall, gtm_health_t *out, bool *changed)
{
	uint64_t now = 1000;
	for (size_t i = 0; results[i] != '\0'; i++, now += 1000) {
		changed[i] = gtm_health_sm_update(sm, results[i] == '+', rise, fall, now);
		out[i] = sm->state;
	}
}

static void test_first_result_decides(void **state)
{
	(void)state;
	gtm_health_sm_t up = { 0 }, down = { 0 };

	assert_int_equal(up.state, GTM_HEALTH_UNKNOWN);
	assert_true(gtm_health_sm_update(&up, true, 5, 5, 42));
	assert_int_equal(up.state, GTM_HEALTH_UP);
	assert_int_equal(up.since_ms, 42);

	assert_true(gtm_health_sm_update(&down, false, 5, 5, 43));
	assert_int_equal(down.state, GTM_HEALTH_DOWN);
	assert_int_equal(down.since_ms, 43);
}

static void test_fall_needs_consecutive_failures(void **state)
{
	(void)state;
	gtm_health_sm_t sm = { 0 };
	gtm_health_t out[16];
	bool changed[16];

	/* up, fail, fail, ok (resets), fail, fail, fail -> down at the 3rd. */
	feed(&sm, "+--+---", 2, 3, out, changed);
	gtm_health_t expect[] = {
		GTM_HEALTH_UP, GTM_HEALTH_UP, GTM_HEALTH_UP, GTM_HEALTH_UP,
		GTM_HEALTH_UP, GTM_HEALTH_UP, GTM_HEALTH_DOWN
	};
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(out[i], expect[i]);
		assert_int_equal(changed[i], i == 0 || i == 6);
	}
	assert_int_equal(sm.since_ms, 7000);
	assert_int_equal(sm.fail_run, 3);
}

static void test_rise_needs_consecutive_successes(void **state)
{
	(void)state;
	gtm_health_sm_t sm = { 0 };
	gtm_health_t out[16];
	bool changed[16];

	/* down, ok, fail (resets), ok, ok -> up at the last (rise 2). */
	feed(&sm, "-+-++", 2, 3, out, changed);
	gtm_health_t expect[] = {
		GTM_HEALTH_DOWN, GTM_HEALTH_DOWN, GTM_HEALTH_DOWN, GTM_HEALTH_DOWN,
		GTM_HEALTH_UP
	};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(out[i], expect[i]);
		assert_int_equal(changed[i], i == 0 || i == 4);
	}
	assert_int_equal(sm.since_ms, 5000);
}

static void test_rise_fall_one(void **state)
{
	(void)state;
	gtm_health_sm_t sm = { 0 };
	gtm_health_t out[16];
	bool changed[16];

	feed(&sm, "+-+-", 1, 1, out, changed);
	gtm_health_t expect[] = {
		GTM_HEALTH_UP, GTM_HEALTH_DOWN, GTM_HEALTH_UP, GTM_HEALTH_DOWN
	};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(out[i], expect[i]);
		assert_true(changed[i]);
	}
}

static void test_steady_states_do_not_change(void **state)
{
	(void)state;
	gtm_health_sm_t sm = { 0 };
	gtm_health_t out[16];
	bool changed[16];

	feed(&sm, "++++++", 2, 3, out, changed);
	for (size_t i = 1; i < 6; i++) {
		assert_false(changed[i]);
		assert_int_equal(out[i], GTM_HEALTH_UP);
	}
	assert_int_equal(sm.since_ms, 1000);
}

static void test_counters_saturate(void **state)
{
	(void)state;
	gtm_health_sm_t sm = { .state = GTM_HEALTH_UP, .ok_run = UINT16_MAX };
	assert_false(gtm_health_sm_update(&sm, true, 2, 3, 1));
	assert_int_equal(sm.ok_run, UINT16_MAX);

	sm = (gtm_health_sm_t){ .state = GTM_HEALTH_DOWN, .fail_run = UINT16_MAX };
	assert_false(gtm_health_sm_update(&sm, false, 2, 3, 1));
	assert_int_equal(sm.fail_run, UINT16_MAX);
	assert_int_equal(sm.ok_run, 0);
}

static void test_strings(void **state)
{
	(void)state;
	assert_string_equal(gtm_health_str(GTM_HEALTH_UP), "up");
	assert_string_equal(gtm_health_str(GTM_HEALTH_DOWN), "down");
	assert_string_equal(gtm_health_str(GTM_HEALTH_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_result_decides),
		cmocka_unit_test(test_fall_needs_consecutive_failures),
		cmocka_unit_test(test_rise_needs_consecutive_successes),
		cmocka_unit_test(test_rise_fall_one),
		cmocka_unit_test(test_steady_states_do_not_change),
		cmocka_unit_test(test_counters_saturate),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
