/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Fixture of the policy unit tests: a pool and a health view built from a
 * string of health letters, with the injected clock NOW.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define NOW	1000000ULL          /* Injected clock (ms). */
#define FB	10000U              /* failback-delay of the tests (ms). */
#define KEY(i)	(0x1000ULL + (i))   /* Key of candidate i. */
#define PKEY(i)	(0x2000ULL + (i))   /* Key of pool i. */
#define NOKEY	0x9999ULL           /* A key of no candidate or pool. */
#define MAXC	64
#define MAXS	(MAXC * 3)

#define SEQ	GTM_APOL_SEQUENCE
#define RR	GTM_APOL_ROUND_ROBIN
#define WGT	GTM_APOL_WEIGHTED
#define ALL	GTM_APOL_ALL

/*
 * Health letters, one per slot (also used for pools, see pools_of()):
 *   U up (never down)      D down      K unknown (no result yet)
 *   H up, came back FB/2 ago (held)
 *   E up, came back exactly FB ago (released)
 *   e up, came back FB - 1 ago (still held)
 *   F up, came back in the future (clock went back: held)
 *   X slot past the snapshot (unknown)   N no check (GTM_SLOT_NONE)
 */

/*! Up-since of a health letter. */
uint64_t since_of(char c);

/*! A pool and the view of its health. */
typedef struct {
	uint8_t st[MAXS];
	uint64_t since[MAXS];
	uint32_t slots[MAXS];
	uint64_t keys[MAXC];
	uint16_t weights[MAXC];
	gtm_view_t view;
	gtm_pool_view_t pool;
} fx_t;

/*! Sets the health of slot s from letter c. */
void fx_slot(fx_t *f, size_t s, char c);

/*!
 * A pool of strlen(health) / checks candidates (checks 0: one per letter);
 * candidate i, check c uses slot i * checks + c; key of candidate i KEY(i),
 * no weights. Preempt on, max-answers 1 (sequence, weighted) or none,
 * min-available 1, failback-delay FB.
 */
void fx_init(fx_t *f, const char *health, uint8_t checks,
             gtm_addr_policy_t policy);

/*! Letter of candidate i in an answer string ('0'-'9', then 'a'...). */
char cand_char(uint16_t i);

/*!
 * Runs gtm_policy_addrs() with out[] of exactly n entries (ASan sees an
 * overrun), the answer as a string of candidate letters in got; checks
 * that gtm_policy_pool_up() agrees with it.
 */
size_t fx_run(fx_t *f, uint64_t sticky, uint32_t rnd, char *got,
              gtm_addr_pick_t *pick);

/*! One row of gtm_policy_addrs(): single-check candidates, failback FB. */
typedef struct {
	const char *health;
	gtm_addr_policy_t policy;
	bool preempt;
	uint16_t max;
	uint16_t min;
	uint64_t sticky;
	uint32_t rnd;
	const char *want;
	bool degraded;
	bool held;
} arow_t;

/*! Checks every row: answer, degraded, held, eligible, sticky. */
void check_rows(const arow_t *rows, size_t count);

#define ROWS(r) check_rows(r, sizeof(r) / sizeof(r[0]))

/*! A deterministic sequence of well-spread 32-bit numbers (xorshift32). */
uint32_t xorshift(uint32_t *x);

/*! Fails unless |got - want| <= 2 % of the rounds. */
void near(uint32_t got, double want, uint32_t rounds);

/*!
 * Pools: one letter per pool: U eligible (since 0), D not eligible,
 * H eligible since FB/2 ago, E since exactly FB ago, e since FB - 1 ago;
 * weight 1, key PKEY(i). Returns the number of pools.
 */
size_t pools_of(const char *spec, gtm_pool_state_t *ps);
