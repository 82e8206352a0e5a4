/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry.h"
#include "registry_int.h"
#include "webhook.h"

#define NO_SLOT		UINT32_MAX
#define HEAP_NONE	UINT32_MAX
#define WARM_WAIT_MS	200

gtm_registry_t gtm_reg = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.pub_cond = PTHREAD_COND_INITIALIZER,
	.epfd = -1,
	.wakefd = -1,
};

gtm_health_snap_t *gtm_health_current = NULL;

uint64_t gtm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t gtm_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Timer heap (min-heap of targets by wake_ms). */

static bool heap_less(uint32_t a, uint32_t b)
{
	return gtm_reg.heap[a].wake_ms < gtm_reg.heap[b].wake_ms;
}

static void heap_swap(uint32_t a, uint32_t b)
{
	gtm_timer_t tmp = gtm_reg.heap[a];
	gtm_reg.heap[a] = gtm_reg.heap[b];
	gtm_reg.heap[b] = tmp;
	gtm_reg.targets[gtm_reg.heap[a].slot]->heap_idx = a;
	gtm_reg.targets[gtm_reg.heap[b].slot]->heap_idx = b;
}

static void heap_sift(uint32_t i)
{
	while (i > 0 && heap_less(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, min = i;
		if (l < gtm_reg.heap_len && heap_less(l, min)) {
			min = l;
		}
		if (r < gtm_reg.heap_len && heap_less(r, min)) {
			min = r;
		}
		if (min == i) {
			return;
		}
		heap_swap(i, min);
		i = min;
	}
}

void gtm_heap_update(gtm_target_t *t)
{
	if (t->heap_idx == HEAP_NONE) {
		t->heap_idx = gtm_reg.heap_len++;
		gtm_reg.heap[t->heap_idx].slot = t->slot;
	}
	gtm_reg.heap[t->heap_idx].wake_ms = t->wake_ms;
	heap_sift(t->heap_idx);
}

void gtm_heap_remove(gtm_target_t *t)
{
	uint32_t i = t->heap_idx;
	if (i == HEAP_NONE) {
		return;
	}
	uint32_t last = --gtm_reg.heap_len;
	if (i != last) {
		heap_swap(i, last);
		heap_sift(i);
	}
	t->heap_idx = HEAP_NONE;
}

/* Hash of targets by specification. */

static int buckets_resize(uint32_t count)
{
	uint32_t *buckets = malloc(count * sizeof(*buckets));
	if (buckets == NULL) {
		return KNOT_ENOMEM;
	}
	memset(buckets, 0xff, count * sizeof(*buckets));
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		if (t != NULL) {
			uint32_t b = t->hash & (count - 1);
			t->hnext = buckets[b];
			buckets[b] = s;
		}
	}
	free(gtm_reg.buckets);
	gtm_reg.buckets = buckets;
	gtm_reg.bucket_count = count;
	return KNOT_EOK;
}

static gtm_target_t *hash_find(const gtm_target_spec_t *spec, uint64_t hash)
{
	if (gtm_reg.bucket_count == 0) {
		return NULL;
	}
	uint32_t s = gtm_reg.buckets[hash & (gtm_reg.bucket_count - 1)];
	while (s != NO_SLOT) {
		gtm_target_t *t = gtm_reg.targets[s];
		if (t->hash == hash && gtm_target_spec_equal(&t->spec, spec)) {
			return t;
		}
		s = t->hnext;
	}
	return NULL;
}

static void hash_unlink(gtm_target_t *t)
{
	uint32_t *link = &gtm_reg.buckets[t->hash & (gtm_reg.bucket_count - 1)];
	while (*link != t->slot) {
		link = &gtm_reg.targets[*link]->hnext;
	}
	*link = t->hnext;
}

/* Slots. */

static int slots_reserve(void)
{
	if (gtm_reg.slot_count < gtm_reg.slot_cap) {
		return KNOT_EOK;
	}
	uint32_t cap = (gtm_reg.slot_cap == 0) ? 64 : 2 * gtm_reg.slot_cap;
	gtm_target_t **targets = realloc(gtm_reg.targets, cap * sizeof(*targets));
	if (targets != NULL) {
		gtm_reg.targets = targets;
	}
	gtm_timer_t *heap = realloc(gtm_reg.heap, cap * sizeof(*heap));
	if (heap != NULL) {
		gtm_reg.heap = heap;
	}
	uint32_t *free_slots = realloc(gtm_reg.free_slots, cap * sizeof(*free_slots));
	if (free_slots != NULL) {
		gtm_reg.free_slots = free_slots;
	}
	uint64_t *free_version = realloc(gtm_reg.free_version, cap * sizeof(*free_version));
	if (free_version != NULL) {
		gtm_reg.free_version = free_version;
	}
	if (targets == NULL || heap == NULL || free_slots == NULL || free_version == NULL) {
		return KNOT_ENOMEM;
	}
	gtm_reg.slot_cap = cap;
	return KNOT_EOK;
}

/*!
 * A freed slot is reused only after a snapshot without its old state was
 * published, so a new target never inherits another target's health.
 */
static uint32_t slot_alloc(void)
{
	for (uint32_t i = 0; i < gtm_reg.free_count; i++) {
		if (gtm_reg.free_version[i] <= gtm_reg.version) {
			uint32_t slot = gtm_reg.free_slots[i];
			gtm_reg.free_count--;
			gtm_reg.free_slots[i] = gtm_reg.free_slots[gtm_reg.free_count];
			gtm_reg.free_version[i] = gtm_reg.free_version[gtm_reg.free_count];
			return slot;
		}
	}
	if (slots_reserve() != KNOT_EOK) {
		return NO_SLOT;
	}
	gtm_reg.targets[gtm_reg.slot_count] = NULL;
	return gtm_reg.slot_count++;
}

static void slot_free(uint32_t slot)
{
	gtm_reg.targets[slot] = NULL;
	gtm_reg.free_slots[gtm_reg.free_count] = slot;
	gtm_reg.free_version[gtm_reg.free_count] = gtm_reg.version + 1;
	gtm_reg.free_count++;
	gtm_reg.dirty = true;
}

static void target_free(gtm_target_t *t)
{
	if (t == NULL) {
		return;
	}
	gtm_target_spec_clear(&t->spec);
	if (t->res != NULL) {
		free(t->res->host);
		free(t->res);
	}
	for (uint32_t i = 0; i < t->ref_count; i++) {
		free(t->refs[i].label);
	}
	free(t->refs);
	free(t);
}

static gtm_target_t *target_new(const gtm_target_spec_t *spec, uint64_t hash)
{
	gtm_target_t *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	if (gtm_target_spec_copy(&t->spec, spec) != KNOT_EOK) {
		target_free(t);
		return NULL;
	}
	if (spec->hostname != NULL) {
		t->res = calloc(1, sizeof(*t->res));
		if (t->res == NULL || (t->res->host = strdup(spec->hostname)) == NULL) {
			target_free(t);
			return NULL;
		}
		size_t len = strlen(t->res->host);
		if (len > 0 && t->res->host[len - 1] == '.') {
			t->res->host[len - 1] = '\0';
		}
	}
	t->hash = hash;
	t->heap_idx = HEAP_NONE;
	t->gen = ++gtm_reg.gen_counter;
	t->sm.state = GTM_HEALTH_UNKNOWN;
	return t;
}

/*!
 * A reference taken while the target is in a hold-down of its length (a
 * reload during it) logs the end of the hold-down like the older ones.
 * The label and the strings of info share one allocation.
 */
static int ref_add(gtm_target_t *t, knotd_mod_t *mod, const gtm_ref_info_t *info,
                   uint32_t hold_ms)
{
	char label[1024];
	gtm_ref_label(info, label, sizeof(label));

	/* The same use again (a pool in several lists of a name): one reference. */
	for (uint32_t i = 0; i < t->ref_count; i++) {
		if (t->refs[i].mod == mod && strcmp(t->refs[i].label, label) == 0) {
			t->refs[i].uses++;
			return KNOT_EOK;
		}
	}

	gtm_ref_t *refs = realloc(t->refs, (t->ref_count + 1) * sizeof(*refs));
	if (refs == NULL) {
		return KNOT_ENOMEM;
	}
	t->refs = refs;
	const char *parts[] = {
		label, info->name, info->pool, info->address,
		(info->check != NULL) ? info->check : ""
	};
	size_t lens[5], total = 0;
	for (int i = 0; i < 5; i++) {
		lens[i] = strlen(parts[i]) + 1;
		total += lens[i];
	}
	char *block = malloc(total);
	if (block == NULL) {
		return KNOT_ENOMEM;
	}
	const char *str[5];
	char *at = block;
	for (int i = 0; i < 5; i++) {
		memcpy(at, parts[i], lens[i]);
		str[i] = at;
		at += lens[i];
	}

	gtm_ref_t *ref = &refs[t->ref_count];
	ref->label = block;
	ref->name = str[1];
	ref->pool = str[2];
	ref->address = str[3];
	ref->check = str[4];
	ref->mod = mod;
	ref->hold_ms = hold_ms;
	ref->ctr_id = GTM_NO_CTR;
	ref->uses = 1;
	ref->hold_wait = (hold_ms > 0 && t->up_since > 0 &&
	                  t->sm.state == GTM_HEALTH_UP &&
	                  gtm_now_ms() < t->up_since + hold_ms);
	t->hold_wait |= ref->hold_wait;
	t->ref_count++;
	gtm_reg.ops.force_dirty = true;
	return KNOT_EOK;
}

void gtm_ref_label(const gtm_ref_info_t *info, char *out, size_t len)
{
	int n = snprintf(out, len, "%s %s/%s", info->name, info->pool, info->address);
	if (n >= 0 && (size_t)n < len && info->probe != NULL) {
		n += snprintf(out + n, len - n, " at %s", info->probe);
	}
	if (n >= 0 && (size_t)n < len && info->show_check && info->check != NULL) {
		(void)snprintf(out + n, len - n, " (%s)", info->check);
	}
}

int gtm_registry_target_get(const gtm_target_spec_t *spec, knotd_mod_t *mod,
                            const gtm_ref_info_t *info, uint32_t hold_ms,
                            uint32_t *slot)
{
	int ret = KNOT_ENOMEM;
	uint64_t hash = gtm_target_spec_hash(spec);

	gtm_target_t *t = hash_find(spec, hash);
	if (t != NULL) {
		ret = ref_add(t, mod, info, hold_ms);
		*slot = t->slot;
		goto done;
	}

	if (gtm_reg.target_count + 1 > gtm_reg.bucket_count &&
	    buckets_resize(gtm_reg.bucket_count ? 2 * gtm_reg.bucket_count : 64) != KNOT_EOK) {
		goto done;
	}
	t = target_new(spec, hash);
	if (t == NULL) {
		goto done;
	}
	if (ref_add(t, mod, info, hold_ms) != KNOT_EOK) {
		target_free(t);
		goto done;
	}
	t->slot = slot_alloc();
	if (t->slot == NO_SLOT) {
		target_free(t);
		goto done;
	}
	gtm_reg.targets[t->slot] = t;
	uint32_t b = hash & (gtm_reg.bucket_count - 1);
	t->hnext = gtm_reg.buckets[b];
	gtm_reg.buckets[b] = t->slot;
	gtm_reg.target_count++;
	gtm_ops_target_new(t);

	if (t->res != NULL) {
		/* Resolve at once; the resolver schedules the first probe. */
		gtm_reg.host_count++;
		gtm_reg.resolve_pending = true;
	} else {
		/* Probe at once. */
		t->wake_ms = gtm_now_ms();
		gtm_heap_update(t);
		gtm_reg.wake_pending = true;
	}

	*slot = t->slot;
	ret = KNOT_EOK;
done:
	return ret;
}

void gtm_registry_target_put(uint32_t slot, knotd_mod_t *mod)
{
	gtm_target_t *t = (slot < gtm_reg.slot_count) ? gtm_reg.targets[slot] : NULL;
	if (t == NULL) {
		return;
	}
	for (uint32_t i = 0; i < t->ref_count; i++) {
		if (t->refs[i].mod == mod) {
			if (--t->refs[i].uses > 0) {
				break; /* Still used by the same instance. */
			}
			if (t->ref_count == 1) {
				gtm_ops_target_gone(t); /* Remembered with its reference. */
			}
			free(t->refs[i].label);
			memmove(&t->refs[i], &t->refs[i + 1],
			        (t->ref_count - i - 1) * sizeof(*t->refs));
			t->ref_count--;
			break;
		}
	}
	gtm_reg.ops.force_dirty = true;
	if (t->ref_count > 0) {
		return;
	}

	gtm_prober_cancel(t);
	gtm_heap_remove(t);
	hash_unlink(t);
	slot_free(slot);
	gtm_reg.target_count--;
	if (t->res != NULL) {
		gtm_reg.host_count--;
	}
	target_free(t);
	gtm_reg.wake_pending = true;
}

void gtm_registry_lock(void)
{
	pthread_mutex_lock(&gtm_reg.lock);
}

/*!
 * Waits (bounded) for the publication of targets started in a warm state,
 * so that an instance answers from them as soon as it is loaded.
 */
static void warm_wait(void)
{
	gtm_reg.ops.warm_wait = false;
	if (!gtm_reg.running || gtm_reg.ops.paused) {
		return;
	}
	uint64_t want = gtm_reg.version + 1;
	gtm_prober_wake();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += WARM_WAIT_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	while (gtm_reg.version < want &&
	       pthread_cond_timedwait(&gtm_reg.pub_cond, &gtm_reg.lock, &ts) == 0) {
	}
}

void gtm_registry_unlock(void)
{
	if (gtm_reg.wake_pending) {
		gtm_reg.wake_pending = false;
		gtm_prober_wake();
	}
	if (gtm_reg.resolve_pending) {
		gtm_reg.resolve_pending = false;
		gtm_resolver_wake();
	}
	if (gtm_reg.ops.warm_wait) {
		warm_wait();
	}
	pthread_mutex_unlock(&gtm_reg.lock);
}

int gtm_registry_acquire(void)
{
	int ret = KNOT_EOK;

	pthread_mutex_lock(&gtm_reg.lock);
	if (gtm_reg.users == 0) {
		ret = gtm_prober_start();
	}
	if (ret == KNOT_EOK) {
		gtm_reg.users++;
	}
	pthread_mutex_unlock(&gtm_reg.lock);

	return ret;
}

void gtm_registry_release(void)
{
	bool last;

	pthread_mutex_lock(&gtm_reg.lock);
	last = (--gtm_reg.users == 0);
	pthread_mutex_unlock(&gtm_reg.lock);

	if (last) {
		gtm_prober_stop();
		gtm_webhook_stop();
	}
}

void gtm_registry_count_probes(knotd_mod_t *mod, uint32_t ctr_id)
{
	pthread_mutex_lock(&gtm_reg.lock);
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		gtm_target_t *t = gtm_reg.targets[s];
		for (uint32_t i = 0; t != NULL && i < t->ref_count; i++) {
			if (t->refs[i].mod == mod) {
				t->refs[i].ctr_id = ctr_id;
			}
		}
	}
	pthread_mutex_unlock(&gtm_reg.lock);
}
