/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"

/*! One kind: strings by index and an open-addressing hash index. */
typedef struct {
	char **strs;
	uint32_t count;
	uint32_t cap;
	uint32_t *buckets;      /*!< Index + 1, 0: empty. */
	uint32_t bucket_count;  /*!< Power of two, at least 2 * count. */
} interned_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static interned_t kinds[GTM_CTR_KINDS];

static uint32_t str_hash(const char *str)
{
	uint32_t h = 2166136261u;
	for (; *str != '\0'; str++) {
		h ^= (uint8_t)*str;
		h *= 16777619u;
	}
	return h;
}

static void bucket_put(interned_t *k, uint32_t idx)
{
	uint32_t b = str_hash(k->strs[idx]) & (k->bucket_count - 1);
	while (k->buckets[b] != 0) {
		b = (b + 1) & (k->bucket_count - 1);
	}
	k->buckets[b] = idx + 1;
}

static int grow(interned_t *k)
{
	if (k->count == k->cap) {
		uint32_t cap = (k->cap == 0) ? 64 : 2 * k->cap;
		char **strs = realloc(k->strs, cap * sizeof(*strs));
		if (strs == NULL) {
			return -1;
		}
		k->strs = strs;
		k->cap = cap;
	}
	if (2 * (k->count + 1) > k->bucket_count) {
		uint32_t size = (k->bucket_count == 0) ? 128 : 2 * k->bucket_count;
		uint32_t *buckets = calloc(size, sizeof(*buckets));
		if (buckets == NULL) {
			return -1;
		}
		free(k->buckets);
		k->buckets = buckets;
		k->bucket_count = size;
		for (uint32_t i = 0; i < k->count; i++) {
			bucket_put(k, i);
		}
	}
	return 0;
}

uint32_t gtm_counter_intern(gtm_ctr_kind_t kind, const char *str)
{
	interned_t *k = &kinds[kind];
	uint32_t idx = UINT32_MAX;

	pthread_mutex_lock(&lock);
	if (k->bucket_count > 0) {
		uint32_t b = str_hash(str) & (k->bucket_count - 1);
		while (k->buckets[b] != 0) {
			if (strcmp(k->strs[k->buckets[b] - 1], str) == 0) {
				idx = k->buckets[b] - 1;
				goto done;
			}
			b = (b + 1) & (k->bucket_count - 1);
		}
	}
	char *copy = strdup(str);
	if (copy == NULL || grow(k) != 0) {
		free(copy);
		goto done;
	}
	idx = k->count++;
	k->strs[idx] = copy;
	bucket_put(k, idx);
done:
	pthread_mutex_unlock(&lock);
	return idx;
}

uint32_t gtm_counter_count(gtm_ctr_kind_t kind)
{
	pthread_mutex_lock(&lock);
	uint32_t count = kinds[kind].count;
	pthread_mutex_unlock(&lock);
	return count;
}

static char *kind_str(gtm_ctr_kind_t kind, uint32_t idx)
{
	char *out = NULL;
	pthread_mutex_lock(&lock);
	if (idx < kinds[kind].count) {
		out = strdup(kinds[kind].strs[idx]);
	}
	pthread_mutex_unlock(&lock);
	return out;
}

char *gtm_counter_name_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return kind_str(GTM_CTR_NAME, idx);
}

char *gtm_counter_pool_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return kind_str(GTM_CTR_POOL, idx);
}

char *gtm_counter_addr_str(uint32_t idx, uint32_t count)
{
	(void)count;
	return kind_str(GTM_CTR_ADDR, idx);
}
