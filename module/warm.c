/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Warm restart: the state file of the last run (targets' states and
 *        the remembered choices) until fresh results arrive.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memo.h"
#include "ops_int.h"

static int warm_cmp(const void *a, const void *b)
{
	uint64_t ka = ((const gtm_warm_t *)a)->key, kb = ((const gtm_warm_t *)b)->key;
	return (ka < kb) ? -1 : (ka > kb);
}

/*! Remembered choices read from a state file. */
typedef struct {
	char **keys;
	uint64_t *values;
	size_t count;
	size_t alloc;
} memo_list_t;

/*! Keeps a memo line of the state file (others are ignored). */
static void memo_keep(memo_list_t *l, const char *line)
{
	char key[1024];
	uint64_t value;
	if (!gtm_warm_memo_parse(line, key, sizeof(key), &value) || value == 0) {
		return;
	}
	if (l->count == l->alloc) {
		size_t alloc = (l->alloc == 0) ? 16 : 2 * l->alloc;
		char **keys = realloc(l->keys, alloc * sizeof(*keys));
		if (keys == NULL) {
			return;
		}
		l->keys = keys;
		uint64_t *values = realloc(l->values, alloc * sizeof(*values));
		if (values == NULL) {
			return;
		}
		l->values = values;
		l->alloc = alloc;
	}
	if ((l->keys[l->count] = strdup(key)) != NULL) {
		l->values[l->count++] = value;
	}
}

static void memo_list_clear(memo_list_t *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->keys[i]);
	}
	free(l->keys);
	free(l->values);
}

/*!
 * Restores remembered choices (preempt off, last-good) of the last run;
 * referenced until the next configure, by when an instance has taken them.
 */
static void memo_restore(gtm_ops_t *ops, const memo_list_t *l)
{
	if (l->count == 0) {
		return;
	}
	gtm_memo_t **refs = calloc(l->count, sizeof(*refs));
	if (refs == NULL) {
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < l->count; i++) {
		gtm_memo_t *m = gtm_memo_get(l->keys[i]);
		if (m != NULL) {
			gtm_memo_store(m, l->values[i]);
			refs[n++] = m;
		}
	}
	ops->warm_memos = refs;
	ops->warm_memo_count = n;
}

void gtm_warm_memos_release(gtm_ops_t *ops)
{
	for (size_t i = 0; i < ops->warm_memo_count; i++) {
		gtm_memo_put(ops->warm_memos[i]);
	}
	free(ops->warm_memos);
	ops->warm_memos = NULL;
	ops->warm_memo_count = 0;
}

/*!
 * Reads the targets of a state file into the warm table.
 *
 * \param[out] why  Reason when ignored ("missing", "invalid at line N",
 *                  "older than 5m").
 */
static int warm_read(gtm_ops_t *ops, const char *path, uint64_t wall,
                     char *why, size_t why_len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(why, why_len, "missing");
		return KNOT_ENOENT;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0, count = 0, alloc = 0;
	uint64_t written = 0;
	bool have_written = false;
	gtm_warm_t *warm = NULL;
	memo_list_t memos = { 0 };
	int ret = KNOT_EOK;

	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		gtm_warm_line_t wl;
		gtm_warm_kind_t kind = gtm_warm_line_parse(line, &wl);
		if (kind == GTM_WARM_OTHER) {
			if (!have_written) {
				have_written = gtm_warm_written(line, &written);
			}
			memo_keep(&memos, line);
			continue;
		}
		if (kind == GTM_WARM_INVALID || !have_written) {
			snprintf(why, why_len, "invalid at line %zu", lineno);
			ret = KNOT_EMALF;
			goto done;
		}
		if (wl.state == GTM_HEALTH_UNKNOWN) {
			continue;
		}
		if (count == alloc) {
			alloc = (alloc == 0) ? 256 : 2 * alloc;
			gtm_warm_t *more = realloc(warm, alloc * sizeof(*warm));
			if (more == NULL) {
				snprintf(why, why_len, "out of memory");
				ret = KNOT_ENOMEM;
				goto done;
			}
			warm = more;
		}
		warm[count++] = (gtm_warm_t){ .key = wl.key, .state = wl.state,
		                              .since_wall_ms = wl.since_ms };
	}
	if (!have_written) {
		snprintf(why, why_len, "invalid at line 1");
		ret = KNOT_EMALF;
		goto done;
	}
	if (wall > written && wall - written > ops->conf.state_max_age_ms) {
		char dur[32];
		snprintf(why, why_len, "older than %s",
		         gtm_fmt_duration(ops->conf.state_max_age_ms, dur, sizeof(dur)));
		ret = KNOT_ETIMEOUT;
		goto done;
	}

	/* Sorted by key; of a key written twice (target and retired) the
	 * first line stays. */
	if (count > 1) {
		qsort(warm, count, sizeof(*warm), warm_cmp);
	}
	size_t kept = 0;
	for (size_t i = 0; i < count; i++) {
		if (kept == 0 || warm[kept - 1].key != warm[i].key) {
			warm[kept++] = warm[i];
		}
	}
	free(ops->warm);
	ops->warm = warm;
	ops->warm_count = kept;
	ops->warm_written_ms = written;
	warm = NULL;
	memo_restore(ops, &memos);
done:
	memo_list_clear(&memos);
	free(warm);
	free(line);
	fclose(f);
	return ret;
}

void gtm_warm_apply(gtm_ops_t *ops, gtm_target_t *t, uint64_t wall)
{
	if (ops->warm_count == 0 || t->probed || t->sm.state != GTM_HEALTH_UNKNOWN ||
	    t->force == GTM_FORCE_DOWN) {
		return;
	}
	if (wall > ops->warm_written_ms &&
	    wall - ops->warm_written_ms > ops->conf.state_max_age_ms) {
		free(ops->warm); /* Too old by now. */
		ops->warm = NULL;
		ops->warm_count = 0;
		return;
	}
	gtm_warm_t key = { .key = t->hash };
	const gtm_warm_t *w = bsearch(&key, ops->warm, ops->warm_count,
	                              sizeof(*ops->warm), warm_cmp);
	if (w == NULL) {
		return;
	}
	uint64_t since = (w->since_wall_ms > 0 && w->since_wall_ms <= wall) ?
	                 w->since_wall_ms : wall;
	uint64_t now = gtm_now_ms();
	t->sm.state = w->state;
	t->sm.since_ms = (now > wall - since) ? now - (wall - since) : 1;
	t->stats.since_wall_ms = since;
	t->stats.warm = true;
	gtm_reg.dirty = true;
	ops->warm_wait = true;
}

void gtm_warm_load(gtm_ops_t *ops, knotd_mod_t *mod)
{
	const char *path = ops->conf.state_file;
	if (path == NULL) {
		return;
	}
	char why[64] = "";
	uint64_t wall = gtm_wall_ms();
	if (warm_read(ops, path, wall, why, sizeof(why)) != KNOT_EOK) {
		knotd_mod_log(mod, LOG_INFO, "state file %s ignored (%s)", path, why);
		return;
	}
	uint64_t age = (wall > ops->warm_written_ms) ? wall - ops->warm_written_ms : 0;
	knotd_mod_log(mod, LOG_INFO, "warm start from %s (%zu targets, %zu remembered "
	              "choices, written %llus ago)", path, ops->warm_count,
	              ops->warm_memo_count, (unsigned long long)(age / 1000));
	/* Targets of an instance configured after taking them. */
	for (uint32_t s = 0; s < gtm_reg.slot_count; s++) {
		if (gtm_reg.targets[s] != NULL) {
			gtm_warm_apply(ops, gtm_reg.targets[s], wall);
		}
	}
}
