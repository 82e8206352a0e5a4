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
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_policy_fx.h"

uint64_t since_of(char c)
{
	switch (c) {
	case 'H': return NOW - FB / 2;
	case 'E': return NOW - FB;
	case 'e': return NOW - FB + 1;
	case 'F': return NOW + 5;
	default:  return 0;
	}
}

void fx_slot(fx_t *f, size_t s, char c)
{
	f->slots[s] = (c == 'X') ? 1000 : (c == 'N') ? GTM_SLOT_NONE : (uint32_t)s;
	f->st[s] = (c == 'D') ? GTM_HEALTH_DOWN :
	           (c == 'K' || c == 'X') ? GTM_HEALTH_UNKNOWN : GTM_HEALTH_UP;
	f->since[s] = since_of(c);
}

void fx_init(fx_t *f, const char *health, uint8_t checks,
             gtm_addr_policy_t policy)
{
	size_t len = strlen(health);

	memset(f, 0, sizeof(*f));
	for (size_t s = 0; s < len; s++) {
		fx_slot(f, s, health[s]);
	}
	for (size_t i = 0; i < MAXC; i++) {
		f->keys[i] = KEY(i);
	}
	f->view.state = f->st;
	f->view.up_since = f->since;
	f->view.count = len;
	f->view.now_ms = NOW;
	f->pool.slots = f->slots;
	f->pool.keys = f->keys;
	f->pool.n = (uint16_t)(len / (checks > 0 ? checks : 1));
	f->pool.check_count = checks;
	f->pool.check_need = checks;
	f->pool.policy = policy;
	f->pool.preempt = true;
	f->pool.max_answers = (policy == SEQ || policy == WGT) ? 1 : 0;
	f->pool.min_available = 1;
	f->pool.failback_ms = FB;
}

char cand_char(uint16_t i)
{
	return (i < 10) ? (char)('0' + i) : (char)('a' + i - 10);
}

size_t fx_run(fx_t *f, uint64_t sticky, uint32_t rnd, char *got,
              gtm_addr_pick_t *pick)
{
	size_t n = f->pool.n;
	uint16_t *out = malloc((n > 0 ? n : 1) * sizeof(*out));
	assert_non_null(out);

	size_t count = gtm_policy_addrs(&f->view, &f->pool, sticky, rnd, out, pick);
	assert_true(count <= n);
	for (size_t i = 0; i < count; i++) {
		assert_true(out[i] < n);
		got[i] = cand_char(out[i]);
	}
	got[count] = '\0';
	free(out);

	uint64_t since = 12345;
	assert_int_equal(gtm_policy_pool_up(&f->view, &f->pool, &since), count > 0);
	assert_int_equal(since, pick->since);
	return count;
}

void check_rows(const arow_t *rows, size_t count)
{
	for (size_t r = 0; r < count; r++) {
		const arow_t *row = &rows[r];
		fx_t f;
		fx_init(&f, row->health, 1, row->policy);
		f.pool.preempt = row->preempt;
		f.pool.max_answers = row->max;
		f.pool.min_available = row->min;

		char got[MAXC + 1];
		gtm_addr_pick_t pick;
		memset(&pick, 0xa5, sizeof(pick));
		fx_run(&f, row->sticky, row->rnd, got, &pick);
		if (strcmp(got, row->want) != 0 || pick.degraded != row->degraded ||
		    pick.held != row->held) {
			print_error("row %zu (%s): got \"%s\" degraded %d held %d\n",
			            r, row->health, got, pick.degraded, pick.held);
		}
		assert_string_equal(got, row->want);
		assert_int_equal(pick.degraded, row->degraded);
		assert_int_equal(pick.held, row->held);

		uint16_t up = 0;
		for (const char *c = row->health; *c != '\0'; c++) {
			up += (*c != 'D');
		}
		assert_int_equal(pick.eligible, up);
		uint64_t sticky = (row->policy == SEQ && row->want[0] != '\0') ?
		                  KEY(row->want[0] - '0') : 0;
		assert_int_equal(pick.sticky, sticky);
	}
}

uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

void near(uint32_t got, double want, uint32_t rounds)
{
	double diff = (double)got - want;
	if (diff < -0.02 * rounds || diff > 0.02 * rounds) {
		print_error("got %u, want %.0f of %u\n", got, want, rounds);
		fail();
	}
}

size_t pools_of(const char *spec, gtm_pool_state_t *ps)
{
	size_t n = strlen(spec);
	for (size_t p = 0; p < n; p++) {
		ps[p].eligible = (spec[p] != 'D');
		ps[p].since = since_of(spec[p]);
		ps[p].weight = 1;
		ps[p].key = PKEY(p);
	}
	return n;
}
