/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Hash index from byte strings to item numbers (load-time only).
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

/*! One index entry. */
typedef struct {
	uint64_t hash;
	uint8_t *key;   /*!< Owned copy, NULL: empty entry. */
	uint32_t len;
	uint32_t value;
} gtm_idx_entry_t;

/*! Open-addressing hash index; zero-initialized is empty. */
typedef struct {
	gtm_idx_entry_t *entries;
	uint32_t cap;     /*!< Power of two, or 0. */
	uint32_t count;
} gtm_idx_t;

/*!
 * Adds a key unless present.
 *
 * \retval KNOT_EOK     Added.
 * \retval KNOT_EEXIST  Already present (*value set to the existing one if value != NULL).
 * \retval KNOT_ENOMEM
 */
int gtm_idx_add(gtm_idx_t *idx, const void *key, size_t len, uint32_t value,
                uint32_t *existing);

/*!
 * Looks a key up.
 *
 * \retval KNOT_EOK     Found, *value set.
 * \retval KNOT_ENOENT  Not present.
 */
int gtm_idx_find(const gtm_idx_t *idx, const void *key, size_t len, uint32_t *value);

/*! Frees the index (it can be reused afterwards). */
void gtm_idx_clear(gtm_idx_t *idx);
