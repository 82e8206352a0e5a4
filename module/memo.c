/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Remembered choices: a .so-global hash table of reference-counted
 *        memos under their own mutex (never the registry lock).
 *
 * Each memo is allocated on its own (one cache line) so the pointers the
 * answer tables keep stay valid while the table grows.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "memo.h"

/*! Chains per memo before the table doubles. */
#define LOAD_FACTOR	1
/*! Initial number of buckets (power of two). */
#define MIN_BUCKETS	64

int gtm_memo_changed;

static struct {
	pthread_mutex_t lock;
	gtm_memo_t **buckets;  /*!< Chain heads. */
	size_t bucket_count;   /*!< Power of two, 0 before first use. */
	size_t count;          /*!< Memos in the table. */
} memo_tab = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* FNV-1a, 64 bits. */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static gtm_memo_t **bucket_of(const char *key)
{
	return &memo_tab.buckets[key_hash(key) & (memo_tab.bucket_count - 1)];
}

/*! Doubles the table (or creates it); on failure the old one stays. */
static void table_grow(void)
{
	size_t count = (memo_tab.bucket_count == 0) ? MIN_BUCKETS :
	               2 * memo_tab.bucket_count;
	gtm_memo_t **buckets = calloc(count, sizeof(*buckets));
	if (buckets == NULL) {
		return;
	}
	for (size_t b = 0; b < memo_tab.bucket_count; b++) {
		gtm_memo_t *m = memo_tab.buckets[b];
		while (m != NULL) {
			gtm_memo_t *next = m->next;
			gtm_memo_t **head = &buckets[key_hash(m->key) & (count - 1)];
			m->next = *head;
			*head = m;
			m = next;
		}
	}
	free(memo_tab.buckets);
	memo_tab.buckets = buckets;
	memo_tab.bucket_count = count;
}

static gtm_memo_t *memo_new(const char *key)
{
	gtm_memo_t *memo = aligned_alloc(64, sizeof(*memo));
	if (memo == NULL) {
		return NULL;
	}
	memset(memo, 0, sizeof(*memo));
	memo->key = strdup(key);
	if (memo->key == NULL) {
		free(memo);
		return NULL;
	}
	return memo;
}

gtm_memo_t *gtm_memo_get(const char *key)
{
	gtm_memo_t *memo = NULL;

	pthread_mutex_lock(&memo_tab.lock);
	if (memo_tab.count >= LOAD_FACTOR * memo_tab.bucket_count) {
		table_grow();
		if (memo_tab.bucket_count == 0) {
			goto done;
		}
	}

	gtm_memo_t **head = bucket_of(key);
	for (memo = *head; memo != NULL; memo = memo->next) {
		if (strcmp(memo->key, key) == 0) {
			memo->refs++;
			goto done;
		}
	}

	memo = memo_new(key);
	if (memo == NULL) {
		goto done;
	}
	memo->refs = 1;
	memo->next = *head;
	*head = memo;
	memo_tab.count++;
done:
	pthread_mutex_unlock(&memo_tab.lock);
	return memo;
}

void gtm_memo_put(gtm_memo_t *memo)
{
	if (memo == NULL) {
		return;
	}

	pthread_mutex_lock(&memo_tab.lock);
	if (--memo->refs > 0) {
		pthread_mutex_unlock(&memo_tab.lock);
		return;
	}
	gtm_memo_t **link = bucket_of(memo->key);
	while (*link != memo) {
		link = &(*link)->next;
	}
	*link = memo->next;
	memo_tab.count--;
	if (memo_tab.count == 0) {
		/* Nothing left: give the table back (the .so stays loaded). */
		free(memo_tab.buckets);
		memo_tab.buckets = NULL;
		memo_tab.bucket_count = 0;
	}
	pthread_mutex_unlock(&memo_tab.lock);

	free(memo->key);
	free(memo);
}

void gtm_memo_foreach(void (*cb)(const char *key, uint64_t value, void *ctx),
                      void *ctx)
{
	pthread_mutex_lock(&memo_tab.lock);
	for (size_t b = 0; b < memo_tab.bucket_count; b++) {
		for (const gtm_memo_t *m = memo_tab.buckets[b]; m != NULL; m = m->next) {
			uint64_t value = gtm_memo_load(m);
			if (value != 0) {
				cb(m->key, value, ctx);
			}
		}
	}
	pthread_mutex_unlock(&memo_tab.lock);
}
