/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Remembered choices that outlive module instances.
 *
 * A memo is one 64-bit value under a string key, in .so-global storage and
 * reference-counted by module instances, so a 'knotc reload' (new instance
 * loaded before the old one is unloaded) finds the value the old instance
 * left: the current address of a non-preemptive pool, the current pool of
 * a non-preemptive name, the last good answer of a name.
 *
 * The query path reads and writes the value with atomic loads and stores
 * (no lock); a store that does not change the value does not write.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <urcu/uatomic.h>

/*! One remembered value (one cache line, no false sharing between memos). */
typedef struct gtm_memo {
	uint64_t value;              /*!< Remembered value, 0: none. */
	struct gtm_memo *next;       /*!< Hash chain (memo.c). */
	char *key;                   /*!< Key (owned, memo.c). */
	uint32_t refs;               /*!< References (memo.c). */
} __attribute__((aligned(64))) gtm_memo_t;

/*!
 * Finds or creates the memo of a key and references it.
 *
 * Called from load()/unload() (takes an internal mutex); never from the
 * query path.
 *
 * \return Memo, or NULL when out of memory.
 */
gtm_memo_t *gtm_memo_get(const char *key);

/*!
 * Drops a reference; the last one frees the memo (NULL allowed).
 */
void gtm_memo_put(gtm_memo_t *memo);

/*!
 * Calls cb for every memo with a value (not 0), under the memo lock: for
 * the state file, so that gtm-explain sees the same remembered choices.
 */
void gtm_memo_foreach(void (*cb)(const char *key, uint64_t value, void *ctx),
                      void *ctx);

/*! Reads a memo (query path, lock-free). */
static inline uint64_t gtm_memo_load(const gtm_memo_t *memo)
{
	return uatomic_read(&memo->value);
}

/*! Set when a memo changed, so that the state file saves it soon. */
extern int gtm_memo_changed;

/*! Writes a memo if the value differs (query path, lock-free). */
static inline void gtm_memo_store(gtm_memo_t *memo, uint64_t value)
{
	if (uatomic_read(&memo->value) != value) {
		uatomic_set(&memo->value, value);
		uatomic_set(&gtm_memo_changed, 1);
	}
}

/*! Whether a memo changed since the last call (prober). */
static inline bool gtm_memo_take_changed(void)
{
	return uatomic_xchg(&gtm_memo_changed, 0) != 0;
}
