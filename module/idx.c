/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "idx.h"

/* FNV-1a, 64 bits. */
static uint64_t hash_key(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static gtm_idx_entry_t *probe(const gtm_idx_t *idx, uint64_t h, const void *key,
                              size_t len)
{
	uint32_t mask = idx->cap - 1;
	for (uint32_t i = h & mask; ; i = (i + 1) & mask) {
		gtm_idx_entry_t *e = &idx->entries[i];
		if (e->key == NULL ||
		    (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)) {
			return e;
		}
	}
}

static int grow(gtm_idx_t *idx)
{
	uint32_t cap = (idx->cap == 0) ? 16 : 2 * idx->cap;
	gtm_idx_t bigger = { .cap = cap, .count = idx->count };
	bigger.entries = calloc(cap, sizeof(*bigger.entries));
	if (bigger.entries == NULL) {
		return KNOT_ENOMEM;
	}
	for (uint32_t i = 0; i < idx->cap; i++) {
		gtm_idx_entry_t *e = &idx->entries[i];
		if (e->key != NULL) {
			*probe(&bigger, e->hash, e->key, e->len) = *e;
		}
	}
	free(idx->entries);
	*idx = bigger;
	return KNOT_EOK;
}

int gtm_idx_add(gtm_idx_t *idx, const void *key, size_t len, uint32_t value,
                uint32_t *existing)
{
	if (2 * (idx->count + 1) > idx->cap && grow(idx) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	uint64_t h = hash_key(key, len);
	gtm_idx_entry_t *e = probe(idx, h, key, len);
	if (e->key != NULL) {
		if (existing != NULL) {
			*existing = e->value;
		}
		return KNOT_EEXIST;
	}
	e->key = malloc(len + 1);
	if (e->key == NULL) {
		return KNOT_ENOMEM;
	}
	memcpy(e->key, key, len);
	e->hash = h;
	e->len = len;
	e->value = value;
	idx->count++;
	return KNOT_EOK;
}

int gtm_idx_find(const gtm_idx_t *idx, const void *key, size_t len, uint32_t *value)
{
	if (idx->cap == 0) {
		return KNOT_ENOENT;
	}
	gtm_idx_entry_t *e = probe(idx, hash_key(key, len), key, len);
	if (e->key == NULL) {
		return KNOT_ENOENT;
	}
	*value = e->value;
	return KNOT_EOK;
}

void gtm_idx_clear(gtm_idx_t *idx)
{
	for (uint32_t i = 0; i < idx->cap; i++) {
		free(idx->entries[i].key);
	}
	free(idx->entries);
	memset(idx, 0, sizeof(*idx));
}
