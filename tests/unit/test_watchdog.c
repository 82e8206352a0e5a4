/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Watchdog: threshold edge, disabled at 0, policy read back, each
 * transition logged once (also with several threads racing), stale periods
 * counted. knotd_mod_log() is replaced by a recorder.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ops.h"

#define LOG_LINES	16
#define THREADS		4
#define CALLS		20000

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	knotd_mod_t *mod;
	int priority;
	char text[256];
} log_lines[LOG_LINES];
static size_t log_count;

static int inst;
#define MOD	((knotd_mod_t *)&inst)

void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	pthread_mutex_lock(&log_lock);
	if (log_count < LOG_LINES) {
		va_list args;
		va_start(args, fmt);
		vsnprintf(log_lines[log_count].text, sizeof(log_lines[0].text), fmt, args);
		va_end(args);
		log_lines[log_count].mod = mod;
		log_lines[log_count].priority = priority;
	}
	log_count++;
	pthread_mutex_unlock(&log_lock);
}

static void log_reset(void)
{
	log_count = 0;
	memset(log_lines, 0, sizeof(log_lines));
}

static void test_policy(void **state)
{
	(void)state;
	assert_int_equal(gtm_watchdog_policy(), GTM_STALE_KEEP);
	gtm_watchdog_set(1000, GTM_STALE_STATIC);
	assert_int_equal(gtm_watchdog_policy(), GTM_STALE_STATIC);
	gtm_watchdog_set(1000, GTM_STALE_KEEP);
	assert_int_equal(gtm_watchdog_policy(), GTM_STALE_KEEP);
}

static void test_disabled(void **state)
{
	(void)state;
	log_reset();
	gtm_watchdog_set(0, GTM_STALE_STATIC);
	uint64_t periods = gtm_watchdog_stale_count();
	assert_false(gtm_watchdog_stale(MOD, 1000000000, 0));
	assert_false(gtm_watchdog_stale(MOD, UINT64_MAX, 1));
	assert_int_equal(log_count, 0);
	assert_int_equal(gtm_watchdog_stale_count(), periods);
}

static void test_transitions(void **state)
{
	(void)state;
	log_reset();
	gtm_watchdog_set(5000, GTM_STALE_KEEP);
	uint64_t periods = gtm_watchdog_stale_count();
	uint64_t pub = 1000000;

	/* Exactly stale_after old is not stale; one more millisecond is. */
	assert_false(gtm_watchdog_stale(MOD, pub + 5000, pub));
	assert_int_equal(log_count, 0);
	/* A snapshot newer than now (another thread's clock read) is fresh. */
	assert_false(gtm_watchdog_stale(MOD, pub - 10, pub));
	assert_int_equal(log_count, 0);

	assert_true(gtm_watchdog_stale(MOD, pub + 5001, pub));
	assert_int_equal(log_count, 1);
	assert_ptr_equal(log_lines[0].mod, MOD);
	assert_int_equal(log_lines[0].priority, LOG_ERR);
	assert_string_equal(log_lines[0].text, "prober stale for 5s, stale policy keep");
	assert_int_equal(gtm_watchdog_stale_count(), periods + 1);

	/* Still stale: nothing more. */
	for (unsigned i = 0; i < 100; i++) {
		assert_true(gtm_watchdog_stale(MOD, pub + 6000 + i * 1000, pub));
	}
	assert_int_equal(log_count, 1);
	assert_int_equal(gtm_watchdog_stale_count(), periods + 1);

	/* Fresh again: one NOTICE. */
	pub += 200000;
	assert_false(gtm_watchdog_stale(MOD, pub + 1000, pub));
	assert_false(gtm_watchdog_stale(MOD, pub + 2000, pub));
	assert_int_equal(log_count, 2);
	assert_int_equal(log_lines[1].priority, LOG_NOTICE);
	assert_string_equal(log_lines[1].text, "prober running again");

	/* A second period, policy static, age in whole seconds. */
	gtm_watchdog_set(3000, GTM_STALE_STATIC);
	assert_true(gtm_watchdog_stale(MOD, pub + 12345, pub));
	assert_int_equal(log_count, 3);
	assert_int_equal(log_lines[2].priority, LOG_ERR);
	assert_string_equal(log_lines[2].text, "prober stale for 12s, stale policy static");
	assert_int_equal(gtm_watchdog_stale_count(), periods + 2);

	/* Disabling the watchdog ends the period. */
	gtm_watchdog_set(0, GTM_STALE_STATIC);
	assert_false(gtm_watchdog_stale(MOD, pub + 99999, pub));
	assert_int_equal(log_count, 4);
	assert_string_equal(log_lines[3].text, "prober running again");
	assert_int_equal(gtm_watchdog_stale_count(), periods + 2);
}

typedef struct {
	pthread_barrier_t *start;
	uint64_t now;
	uint64_t published;
	unsigned stale;
} racer_t;

static void *racer(void *arg)
{
	racer_t *r = arg;
	pthread_barrier_wait(r->start);
	for (unsigned i = 0; i < CALLS; i++) {
		r->stale += gtm_watchdog_stale(MOD, r->now, r->published);
	}
	return NULL;
}

/* Threads racing over each transition: one line each. */
static void test_race(void **state)
{
	(void)state;
	gtm_watchdog_set(1000, GTM_STALE_KEEP);
	assert_false(gtm_watchdog_stale(MOD, 5000, 5000));
	log_reset();
	uint64_t periods = gtm_watchdog_stale_count();

	for (int round = 0; round < 2; round++) {
		bool stale = (round == 0);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, THREADS);
		pthread_t threads[THREADS];
		racer_t racers[THREADS];
		for (int i = 0; i < THREADS; i++) {
			racers[i] = (racer_t){ .start = &start, .now = 10000,
			                       .published = stale ? 8000 : 9500 };
			assert_int_equal(pthread_create(&threads[i], NULL, racer, &racers[i]), 0);
		}
		for (int i = 0; i < THREADS; i++) {
			pthread_join(threads[i], NULL);
			assert_int_equal(racers[i].stale, stale ? CALLS : 0);
		}
		pthread_barrier_destroy(&start);
	}
	assert_int_equal(log_count, 2);
	assert_int_equal(log_lines[0].priority, LOG_ERR);
	assert_string_equal(log_lines[0].text, "prober stale for 2s, stale policy keep");
	assert_int_equal(log_lines[1].priority, LOG_NOTICE);
	assert_int_equal(gtm_watchdog_stale_count(), periods + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
