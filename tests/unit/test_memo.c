/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* Memos: shared by key, surviving while referenced, freed by the last put. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "memo.h"

#define MANY	5000

static void test_same_key(void **state)
{
	(void)state;
	gtm_memo_t *a = gtm_memo_get("gtm.example.com. 1 pool eu");
	assert_non_null(a);
	assert_int_equal(gtm_memo_load(a), 0);
	assert_int_equal((uintptr_t)a % 64, 0);

	gtm_memo_t *b = gtm_memo_get("gtm.example.com. 1 pool eu");
	assert_ptr_equal(a, b);
	gtm_memo_store(a, 42);
	assert_int_equal(gtm_memo_load(b), 42);

	/* Another key is another memo. */
	gtm_memo_t *c = gtm_memo_get("gtm.example.com. 2 pool eu");
	assert_non_null(c);
	assert_ptr_not_equal(a, c);
	assert_int_equal(gtm_memo_load(c), 0);

	gtm_memo_put(a);
	gtm_memo_put(b);
	gtm_memo_put(c);
}

/* A reload: the new instance gets its memos before the old one puts them. */
static void test_reload_order(void **state)
{
	(void)state;
	const char *key = "www.example.com. 28 addr web";

	gtm_memo_t *old = gtm_memo_get(key);
	assert_non_null(old);
	gtm_memo_store(old, 7);

	gtm_memo_t *new = gtm_memo_get(key);
	assert_ptr_equal(new, old);
	gtm_memo_put(old);
	assert_int_equal(gtm_memo_load(new), 7);

	/* And again: the value survives any number of reloads. */
	gtm_memo_t *newer = gtm_memo_get(key);
	gtm_memo_put(new);
	assert_int_equal(gtm_memo_load(newer), 7);
	gtm_memo_store(newer, 8);
	assert_int_equal(gtm_memo_load(newer), 8);

	/* The last put frees: a new get starts from nothing. */
	gtm_memo_put(newer);
	gtm_memo_t *fresh = gtm_memo_get(key);
	assert_non_null(fresh);
	assert_int_equal(gtm_memo_load(fresh), 0);
	gtm_memo_put(fresh);
}

/* Many keys (the table grows): pointers stay, values stay apart. */
static void test_many_keys(void **state)
{
	(void)state;
	gtm_memo_t **memos = calloc(MANY, sizeof(*memos));
	assert_non_null(memos);
	char key[64];

	for (size_t i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "name%zu.example.com. 1 pool p", i);
		memos[i] = gtm_memo_get(key);
		assert_non_null(memos[i]);
		assert_int_equal((uintptr_t)memos[i] % 64, 0);
		assert_int_equal(gtm_memo_load(memos[i]), 0);
		gtm_memo_store(memos[i], i + 1);
	}
	for (size_t i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "name%zu.example.com. 1 pool p", i);
		gtm_memo_t *again = gtm_memo_get(key);
		assert_ptr_equal(again, memos[i]);
		assert_int_equal(gtm_memo_load(again), i + 1);
	}
	/* Each key has two references now: one put keeps every value. */
	for (size_t i = 0; i < MANY; i++) {
		gtm_memo_put(memos[i]);
	}
	for (size_t i = 0; i < MANY; i++) {
		assert_int_equal(gtm_memo_load(memos[i]), i + 1);
	}
	/* The last puts free them all; the odd ones first, then the others. */
	for (size_t i = 1; i < MANY; i += 2) {
		gtm_memo_put(memos[i]);
	}
	for (size_t i = 0; i < MANY; i += 2) {
		snprintf(key, sizeof(key), "name%zu.example.com. 1 pool p", i);
		gtm_memo_t *again = gtm_memo_get(key);
		assert_ptr_equal(again, memos[i]);
		assert_int_equal(gtm_memo_load(again), i + 1);
		gtm_memo_put(again);
		gtm_memo_put(memos[i]);
	}
	for (size_t i = 0; i < MANY; i += 7) {
		snprintf(key, sizeof(key), "name%zu.example.com. 1 pool p", i);
		gtm_memo_t *fresh = gtm_memo_get(key);
		assert_int_equal(gtm_memo_load(fresh), 0);
		gtm_memo_put(fresh);
	}
	free(memos);
}

static void test_put_null(void **state)
{
	(void)state;
	gtm_memo_put(NULL);

	/* The table still works afterwards (and after being emptied). */
	gtm_memo_t *m = gtm_memo_get("");
	assert_non_null(m);
	gtm_memo_store(m, UINT64_MAX);
	assert_true(gtm_memo_load(m) == UINT64_MAX);
	gtm_memo_put(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_key),
		cmocka_unit_test(test_reload_order),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_put_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
