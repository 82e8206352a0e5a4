/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <libknot/yparser/yparser.h>

#include "conf.h"
#include "conf_int.h"

#define MAX_ADDRS	64
#define MAX_NAME_POOLS	16
#define MAX_ID_LEN	255
#define MAX_PATH_LEN	1000
#define MAX_HOST_LEN	255
#define MAX_TTL		604800
#define HOUR_MS		3600000

typedef enum {
	SEC_NONE = -1,
	SEC_CHECK,
	SEC_POOL,
	SEC_NAME,
} section_t;

static const char *section_names[] = { "check", "pool", "name" };

typedef enum {
	K_TYPE, K_PORT, K_PATH, K_HOST, K_EXPECT,
	K_INTERVAL, K_TIMEOUT, K_RISE, K_FALL,
	K_ADDRESS, K_CHECK,
	K_POOL, K_TTL, K_ALLDOWN, K_ENABLED,
	K_COUNT
} key_id_t;

/*! Item keys: their section, and whether repeated values accumulate. */
static const struct {
	section_t sec;
	const char *name;
	bool multi;
} keys[K_COUNT] = {
	[K_TYPE]     = { SEC_CHECK, "type",     false },
	[K_PORT]     = { SEC_CHECK, "port",     false },
	[K_PATH]     = { SEC_CHECK, "path",     false },
	[K_HOST]     = { SEC_CHECK, "host",     false },
	[K_EXPECT]   = { SEC_CHECK, "expect",   false },
	[K_INTERVAL] = { SEC_CHECK, "interval", false },
	[K_TIMEOUT]  = { SEC_CHECK, "timeout",  false },
	[K_RISE]     = { SEC_CHECK, "rise",     false },
	[K_FALL]     = { SEC_CHECK, "fall",     false },
	[K_ADDRESS]  = { SEC_POOL,  "address",  true  },
	[K_CHECK]    = { SEC_POOL,  "check",    false },
	[K_POOL]     = { SEC_NAME,  "pool",     true  },
	[K_TTL]      = { SEC_NAME,  "ttl",      false },
	[K_ALLDOWN]  = { SEC_NAME,  "all-down", false },
	[K_ENABLED]  = { SEC_NAME,  "enabled",  false },
};

#define BIT(key)	(1U << (key))

/*! Reference to another item, resolved once the whole file is read. */
typedef struct {
	bool to_pool;   /*!< Name -> pool (true), pool -> check (false). */
	size_t owner;   /*!< Index of the referring pool or name. */
	size_t slot;    /*!< Index in gtm_name_t.pools. */
	char *id;       /*!< Referenced identifier. */
	size_t line;    /*!< Line of the reference. */
} ref_t;

/*! Parser state. */
typedef struct {
	const char *file;
	char *err;
	size_t err_len;
	yp_parser_t *yp;
	gtm_conf_t *conf;
	ref_t *refs;
	size_t ref_count;
	size_t line;            /*!< Line of the current event. */
	section_t sec;          /*!< Section of the item being processed. */
	const char *item_id;    /*!< Id of the item, NULL if none (yet). */
	size_t item_line;       /*!< Line of the item id. */
	uint32_t seen;          /*!< Keys given in the current item. */
	size_t key_line[K_COUNT];
} ctx_t;

/*! Formats "FILE:LINE: SECTION[ID].KEY: reason" for the current item. */
__attribute__((format(printf, 5, 6)))
static int report(ctx_t *ctx, int ret, size_t line, const char *key,
                  const char *fmt, ...)
{
	if (ctx->err == NULL || ctx->err_len == 0) {
		return ret;
	}

	char reason[GTM_CONF_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	const char *sec = (ctx->sec == SEC_NONE) ? "" : section_names[ctx->sec];
	bool with_id = (ctx->sec != SEC_NONE && ctx->item_id != NULL);
	snprintf(ctx->err, ctx->err_len, "%s:%zu: %s%s%s%s%s%s: %s",
	         ctx->file, line, sec,
	         with_id ? "[" : "", with_id ? ctx->item_id : "", with_id ? "]" : "",
	         (key != NULL && *sec != '\0') ? "." : "", key != NULL ? key : "",
	         reason);
	return ret;
}

static int no_memory(ctx_t *ctx)
{
	return report(ctx, KNOT_ENOMEM, ctx->line, NULL, "out of memory");
}

/*! Extends an array by one zeroed element; returns the new array or NULL. */
static void *grow(void *array, size_t count, size_t size)
{
	char *new_array = realloc(array, (count + 1) * size);
	if (new_array != NULL) {
		memset(new_array + count * size, 0, size);
	}
	return new_array;
}

static int get_number(ctx_t *ctx, key_id_t key, const char *str,
                      uint64_t min, uint64_t max, uint64_t *out)
{
	int ret = gtm_conf_number(str, min, max, out);
	if (ret == KNOT_EINVAL) {
		return report(ctx, ret, ctx->line, keys[key].name,
		              "invalid number '%s'", str);
	} else if (ret != KNOT_EOK) {
		return report(ctx, ret, ctx->line, keys[key].name,
		              "value %s out of range %llu-%llu", str,
		              (unsigned long long)min, (unsigned long long)max);
	}
	return KNOT_EOK;
}

static int get_duration(ctx_t *ctx, key_id_t key, const char *str,
                        uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t ms;
	char lo[32], hi[32];
	int ret = gtm_conf_duration(str, min, max, &ms);
	if (ret == KNOT_EINVAL) {
		return report(ctx, ret, ctx->line, keys[key].name,
		              "invalid duration '%s'", str);
	} else if (ret != KNOT_EOK) {
		return report(ctx, ret, ctx->line, keys[key].name,
		              "value %s out of range %s-%s", str,
		              gtm_conf_duration_str(min, lo, sizeof(lo)),
		              gtm_conf_duration_str(max, hi, sizeof(hi)));
	}
	*out = ms;
	return KNOT_EOK;
}

static bool id_exists(const gtm_conf_t *conf, section_t sec, const char *id)
{
	for (size_t i = 0; sec == SEC_CHECK && i < conf->check_count; i++) {
		if (strcmp(conf->checks[i].id, id) == 0) {
			return true;
		}
	}
	for (size_t i = 0; sec == SEC_POOL && i < conf->pool_count; i++) {
		if (strcmp(conf->pools[i].id, id) == 0) {
			return true;
		}
	}
	for (size_t i = 0; sec == SEC_NAME && i < conf->name_count; i++) {
		if (gtm_conf_name_id_equal(conf->names[i].id, id)) {
			return true;
		}
	}
	return false;
}

/*! Appends an item with default values to the current section. */
static char **add_item(ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	if (ctx->sec == SEC_CHECK) {
		gtm_check_t *checks = grow(conf->checks, conf->check_count, sizeof(*checks));
		if (checks == NULL) {
			return NULL;
		}
		conf->checks = checks;
		gtm_check_t *check = &checks[conf->check_count++];
		*check = (gtm_check_t) {
			.type = GTM_CHECK_TCP, .expect_min = 200, .expect_max = 399,
			.interval_ms = 5000, .timeout_ms = 2000, .rise = 2, .fall = 3,
			.line = ctx->item_line,
		};
		return &check->id;
	} else if (ctx->sec == SEC_POOL) {
		gtm_pool_t *pools = grow(conf->pools, conf->pool_count, sizeof(*pools));
		if (pools == NULL) {
			return NULL;
		}
		conf->pools = pools;
		pools[conf->pool_count].line = ctx->item_line;
		return &pools[conf->pool_count++].id;
	} else {
		gtm_name_t *names = grow(conf->names, conf->name_count, sizeof(*names));
		if (names == NULL) {
			return NULL;
		}
		conf->names = names;
		gtm_name_t *name = &names[conf->name_count++];
		*name = (gtm_name_t) {
			.ttl = 30, .all_down = GTM_ALLDOWN_STATIC, .enabled = true,
			.line = ctx->item_line,
		};
		return &name->id;
	}
}

/*! Handles '- id: X': validates the id and appends an item. */
static int start_item(ctx_t *ctx, const char *key, const char *id)
{
	ctx->item_id = NULL;
	ctx->item_line = ctx->line;
	ctx->seen = 0;

	if (strcmp(key, "id") != 0) {
		return report(ctx, KNOT_EINVAL, ctx->line, key, "item must start with 'id'");
	}
	if (ctx->sec == SEC_NAME) {
		int ret = gtm_conf_name_check(id);
		if (ret == KNOT_ENOTSUP) {
			return report(ctx, KNOT_EINVAL, ctx->line, "id",
			              "wildcard name '%s' not supported", id);
		} else if (ret != KNOT_EOK) {
			return report(ctx, KNOT_EINVAL, ctx->line, "id", "invalid name '%s'", id);
		}
	} else if (!gtm_conf_id_valid(id, MAX_ID_LEN)) {
		return report(ctx, KNOT_EINVAL, ctx->line, "id", "invalid identifier '%s'", id);
	}
	if (id_exists(ctx->conf, ctx->sec, id)) {
		ctx->item_id = id;
		int ret = report(ctx, KNOT_EEXIST, ctx->line, NULL, "duplicate id");
		ctx->item_id = NULL;
		return ret;
	}

	char **id_ptr = add_item(ctx);
	if (id_ptr == NULL || (*id_ptr = strdup(id)) == NULL) {
		return no_memory(ctx);
	}
	ctx->item_id = *id_ptr;
	return KNOT_EOK;
}

/*! Item-level validation once all keys of an item were read. */
static int finish_item(ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	if (ctx->item_id == NULL) {
		return KNOT_EOK;
	}

	if (ctx->sec == SEC_CHECK) {
		gtm_check_t *check = &conf->checks[conf->check_count - 1];
		if (!(ctx->seen & BIT(K_TYPE))) {
			return report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no type");
		}
		if (!(ctx->seen & BIT(K_PORT))) {
			return report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no port");
		}
		if (check->timeout_ms > check->interval_ms) {
			if (!(ctx->seen & BIT(K_TIMEOUT))) {
				/* The default timeout is capped by the interval. */
				check->timeout_ms = check->interval_ms;
			} else {
				char t[32], i[32];
				return report(ctx, KNOT_ERANGE, ctx->key_line[K_TIMEOUT],
				              "timeout", "timeout %s exceeds interval %s",
				              gtm_conf_duration_str(check->timeout_ms, t, sizeof(t)),
				              gtm_conf_duration_str(check->interval_ms, i, sizeof(i)));
			}
		}
		if (check->type == GTM_CHECK_HTTP && check->path == NULL &&
		    (check->path = strdup("/")) == NULL) {
			return no_memory(ctx);
		}
	} else if (ctx->sec == SEC_POOL) {
		if (conf->pools[conf->pool_count - 1].addr_count == 0) {
			return report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no address");
		}
	} else if (conf->names[conf->name_count - 1].pool_count == 0) {
		return report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no pool");
	}

	ctx->item_id = NULL;
	return KNOT_EOK;
}

/*! Rejects HTTP-only keys given to a TCP check (in whatever order). */
static int http_only(ctx_t *ctx, const gtm_check_t *check)
{
	static const key_id_t http_keys[] = { K_PATH, K_HOST, K_EXPECT };
	if (!(ctx->seen & BIT(K_TYPE)) || check->type != GTM_CHECK_TCP) {
		return KNOT_EOK;
	}
	for (size_t i = 0; i < sizeof(http_keys) / sizeof(http_keys[0]); i++) {
		key_id_t key = http_keys[i];
		if (ctx->seen & BIT(key)) {
			return report(ctx, KNOT_EINVAL, ctx->key_line[key], keys[key].name,
			              "not valid for tcp check");
		}
	}
	return KNOT_EOK;
}

static int get_string(ctx_t *ctx, const char *str, char **out)
{
	*out = strdup(str);
	return (*out == NULL) ? no_memory(ctx) : KNOT_EOK;
}

static int get_path(ctx_t *ctx, const char *str, char **out)
{
	size_t bad = gtm_conf_path_invalid(str);
	if (str[0] != '/') {
		return report(ctx, KNOT_EINVAL, ctx->line, "path",
		              "path '%s' does not start with '/'", str);
	} else if (strlen(str) > MAX_PATH_LEN) {
		return report(ctx, KNOT_EINVAL, ctx->line, "path",
		              "path too long (max %d characters)", MAX_PATH_LEN);
	} else if (bad != 0) {
		return report(ctx, KNOT_EINVAL, ctx->line, "path",
		              "invalid character in path at position %zu", bad);
	}
	return get_string(ctx, str, out);
}

static int get_expect(ctx_t *ctx, const char *str, gtm_check_t *check)
{
	uint64_t lo, hi;
	if (!gtm_conf_status_range(str, &lo, &hi)) {
		return report(ctx, KNOT_EINVAL, ctx->line, "expect",
		              "invalid status range '%s'", str);
	}
	uint64_t bad = (lo < 100 || lo > 599) ? lo : hi;
	if (bad < 100 || bad > 599) {
		return report(ctx, KNOT_ERANGE, ctx->line, "expect",
		              "value %llu out of range 100-599", (unsigned long long)bad);
	}
	if (lo > hi) {
		return report(ctx, KNOT_EINVAL, ctx->line, "expect",
		              "invalid status range '%s' (minimum above maximum)", str);
	}
	check->expect_min = lo;
	check->expect_max = hi;
	return KNOT_EOK;
}

static int check_key(ctx_t *ctx, key_id_t key, const char *val)
{
	gtm_check_t *check = &ctx->conf->checks[ctx->conf->check_count - 1];
	uint64_t num = 0;
	int ret;

	switch (key) {
	case K_TYPE:
		if (strcasecmp(val, "tcp") == 0) {
			check->type = GTM_CHECK_TCP;
		} else if (strcasecmp(val, "http") == 0) {
			check->type = GTM_CHECK_HTTP;
		} else {
			return report(ctx, KNOT_EINVAL, ctx->line, "type",
			              "invalid type '%s' (expected tcp or http)", val);
		}
		return http_only(ctx, check);
	case K_PORT:
		ret = get_number(ctx, key, val, 1, 65535, &num);
		check->port = num;
		return ret;
	case K_PATH:
		ret = http_only(ctx, check);
		return (ret != KNOT_EOK) ? ret : get_path(ctx, val, &check->path);
	case K_HOST:
		ret = http_only(ctx, check);
		if (ret == KNOT_EOK && (strlen(val) > MAX_HOST_LEN || !gtm_conf_host_valid(val))) {
			ret = report(ctx, KNOT_EINVAL, ctx->line, "host", "invalid host '%s'", val);
		}
		return (ret != KNOT_EOK) ? ret : get_string(ctx, val, &check->host);
	case K_EXPECT:
		ret = http_only(ctx, check);
		return (ret != KNOT_EOK) ? ret : get_expect(ctx, val, check);
	case K_INTERVAL:
		return get_duration(ctx, key, val, 100, HOUR_MS, &check->interval_ms);
	case K_TIMEOUT:
		return get_duration(ctx, key, val, 10, HOUR_MS, &check->timeout_ms);
	case K_RISE:
		ret = get_number(ctx, key, val, 1, 100, &num);
		check->rise = num;
		return ret;
	case K_FALL:
		ret = get_number(ctx, key, val, 1, 100, &num);
		check->fall = num;
		return ret;
	default:
		return KNOT_EINVAL;
	}
}

static int add_ref(ctx_t *ctx, bool to_pool, size_t owner, size_t slot, const char *id)
{
	ref_t *refs = grow(ctx->refs, ctx->ref_count, sizeof(*refs));
	if (refs == NULL) {
		return no_memory(ctx);
	}
	ctx->refs = refs;
	refs[ctx->ref_count] = (ref_t) {
		.to_pool = to_pool, .owner = owner, .slot = slot,
		.id = strdup(id), .line = ctx->line,
	};
	if (refs[ctx->ref_count].id == NULL) {
		return no_memory(ctx);
	}
	ctx->ref_count++;
	return KNOT_EOK;
}

static int pool_key(ctx_t *ctx, key_id_t key, const char *val)
{
	size_t idx = ctx->conf->pool_count - 1;
	gtm_pool_t *pool = &ctx->conf->pools[idx];
	if (key == K_CHECK) {
		return add_ref(ctx, false, idx, 0, val);
	}

	struct sockaddr_storage ss;
	if (!gtm_conf_addr(val, &ss)) {
		return report(ctx, KNOT_EINVAL, ctx->line, "address",
		              "invalid address '%s'", val);
	}
	for (size_t i = 0; i < pool->addr_count; i++) {
		/* Both zeroed except for family and address. */
		if (memcmp(&pool->addrs[i].addr, &ss, sizeof(ss)) == 0) {
			return report(ctx, KNOT_EEXIST, ctx->line, "address",
			              "duplicate address '%s'", val);
		}
	}
	if (pool->addr_count >= MAX_ADDRS) {
		return report(ctx, KNOT_ERANGE, ctx->line, "address",
		              "too many addresses (max %d)", MAX_ADDRS);
	}
	gtm_addr_t *addrs = grow(pool->addrs, pool->addr_count, sizeof(*addrs));
	if (addrs == NULL) {
		return no_memory(ctx);
	}
	pool->addrs = addrs;
	addrs[pool->addr_count++] = (gtm_addr_t) { .addr = ss, .line = ctx->line };
	return KNOT_EOK;
}

static int name_pool(ctx_t *ctx, size_t idx, const char *val)
{
	gtm_name_t *name = &ctx->conf->names[idx];
	for (size_t i = 0; i < ctx->ref_count; i++) {
		const ref_t *ref = &ctx->refs[i];
		if (ref->to_pool && ref->owner == idx && strcmp(ref->id, val) == 0) {
			return report(ctx, KNOT_EEXIST, ctx->line, "pool",
			              "duplicate pool '%s'", val);
		}
	}
	if (name->pool_count >= MAX_NAME_POOLS) {
		return report(ctx, KNOT_ERANGE, ctx->line, "pool",
		              "too many pools (max %d)", MAX_NAME_POOLS);
	}
	const gtm_pool_t **pools = grow(name->pools, name->pool_count, sizeof(*pools));
	if (pools == NULL) {
		return no_memory(ctx);
	}
	name->pools = pools;
	name->pool_count++;
	return add_ref(ctx, true, idx, name->pool_count - 1, val);
}

static int name_key(ctx_t *ctx, key_id_t key, const char *val)
{
	size_t idx = ctx->conf->name_count - 1;
	gtm_name_t *name = &ctx->conf->names[idx];
	uint64_t ms;

	switch (key) {
	case K_POOL:
		return name_pool(ctx, idx, val);
	case K_TTL:
		if (gtm_conf_duration(val, 0, UINT64_MAX, &ms) != KNOT_EOK || ms % 1000 != 0) {
			return report(ctx, KNOT_EINVAL, ctx->line, "ttl", "invalid ttl '%s'", val);
		} else if (ms / 1000 > MAX_TTL) {
			return report(ctx, KNOT_ERANGE, ctx->line, "ttl",
			              "value %s out of range 0-%d", val, MAX_TTL);
		}
		name->ttl = ms / 1000;
		return KNOT_EOK;
	case K_ALLDOWN:
		if (strcasecmp(val, "static") == 0 || strcasecmp(val, "all") == 0) {
			name->all_down = (strcasecmp(val, "all") == 0) ?
			                 GTM_ALLDOWN_ALL : GTM_ALLDOWN_STATIC;
			return KNOT_EOK;
		}
		return report(ctx, KNOT_EINVAL, ctx->line, "all-down",
		              "invalid value '%s' (expected static or all)", val);
	case K_ENABLED:
		if (strcasecmp(val, "on") == 0 || strcasecmp(val, "true") == 0) {
			name->enabled = true;
		} else if (strcasecmp(val, "off") == 0 || strcasecmp(val, "false") == 0) {
			name->enabled = false;
		} else {
			return report(ctx, KNOT_EINVAL, ctx->line, "enabled",
			              "invalid value '%s' (expected on or off)", val);
		}
		return KNOT_EOK;
	default:
		return KNOT_EINVAL;
	}
}

/*! Handles one key of an item (YP_EKEY1). */
static int item_key(ctx_t *ctx, const char *key, const char *val)
{
	if (ctx->item_id == NULL) {
		return report(ctx, KNOT_EINVAL, ctx->line, key, "item must start with 'id'");
	}

	key_id_t id = 0;
	while (id < K_COUNT && (keys[id].sec != ctx->sec || strcmp(keys[id].name, key) != 0)) {
		id++;
	}
	if (id == K_COUNT) {
		return report(ctx, KNOT_EINVAL, ctx->line, key, strcmp(key, "id") == 0 ?
		              "repeated key" : "unknown item");
	}
	if ((ctx->seen & BIT(id)) && !keys[id].multi) {
		/* yparser delivers 'key: [ a, b ]' as the key repeated on one line. */
		return report(ctx, KNOT_EINVAL, ctx->line, key, ctx->key_line[id] == ctx->line ?
		              "only one value allowed" : "repeated key");
	}
	ctx->seen |= BIT(id);
	ctx->key_line[id] = ctx->line;
	if (*val == '\0') {
		return report(ctx, KNOT_EINVAL, ctx->line, key, "missing value");
	}

	switch (ctx->sec) {
	case SEC_CHECK: return check_key(ctx, id, val);
	case SEC_POOL:  return pool_key(ctx, id, val);
	default:        return name_key(ctx, id, val);
	}
}

static int on_event(ctx_t *ctx)
{
	yp_parser_t *yp = ctx->yp;
	/* yparser leaves stale data in place when a value is empty. */
	const char *val = (yp->data_len > 0) ? yp->data : "";
	ctx->line = yp->line_count;

	int ret = KNOT_EOK;
	switch (yp->event) {
	case YP_EKEY0:
		ret = finish_item(ctx);
		if (ret != KNOT_EOK) {
			return ret;
		}
		ctx->sec = SEC_NONE;
		for (section_t sec = SEC_CHECK; sec <= SEC_NAME; sec++) {
			if (strcmp(yp->key, section_names[sec]) == 0) {
				ctx->sec = sec;
			}
		}
		if (ctx->sec == SEC_NONE) {
			return report(ctx, KNOT_EINVAL, ctx->line, yp->key, "unknown section");
		} else if (*val != '\0') {
			return report(ctx, KNOT_EINVAL, ctx->line, NULL,
			              "unexpected value '%s'", val);
		}
		return KNOT_EOK;
	case YP_EID:
	case YP_EKEY1:
		if (ctx->sec == SEC_NONE) {
			return report(ctx, KNOT_EINVAL, ctx->line, yp->key,
			              "item outside a section");
		} else if (yp->event == YP_EKEY1) {
			return item_key(ctx, yp->key, val);
		}
		ret = finish_item(ctx);
		return (ret != KNOT_EOK) ? ret : start_item(ctx, yp->key, val);
	default:
		return KNOT_EOK;
	}
}

static int resolve_refs(ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	for (size_t i = 0; i < ctx->ref_count; i++) {
		const ref_t *ref = &ctx->refs[i];
		const void *found = NULL;
		if (ref->to_pool) {
			for (size_t j = 0; found == NULL && j < conf->pool_count; j++) {
				found = strcmp(conf->pools[j].id, ref->id) == 0 ? &conf->pools[j] : NULL;
			}
			conf->names[ref->owner].pools[ref->slot] = found;
			ctx->sec = SEC_NAME;
			ctx->item_id = conf->names[ref->owner].id;
		} else {
			for (size_t j = 0; found == NULL && j < conf->check_count; j++) {
				found = strcmp(conf->checks[j].id, ref->id) == 0 ? &conf->checks[j] : NULL;
			}
			conf->pools[ref->owner].check = found;
			ctx->sec = SEC_POOL;
			ctx->item_id = conf->pools[ref->owner].id;
		}
		if (found == NULL) {
			const char *what = ref->to_pool ? "pool" : "check";
			return report(ctx, KNOT_ENOENT, ref->line, what,
			              "undefined %s '%s'", what, ref->id);
		}
	}
	return KNOT_EOK;
}

static int open_input(ctx_t *ctx)
{
	int ret = KNOT_EOK;
	const char *why = NULL;
	struct stat st;
	int fd = open(ctx->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		ret = knot_map_errno_def(KNOT_EFILE);
		why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		ret = KNOT_EFILE;
		why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file";
	}
	if (fd >= 0) {
		close(fd);
	}

	if (ret == KNOT_EOK) {
		ctx->yp = malloc(sizeof(*ctx->yp));
		if (ctx->yp == NULL) {
			ret = KNOT_ENOMEM;
			why = strerror(ENOMEM);
		} else {
			yp_init(ctx->yp);
			ret = yp_set_input_file(ctx->yp, ctx->file);
			why = knot_strerror(ret);
		}
	}
	if (ret != KNOT_EOK && ctx->err != NULL && ctx->err_len > 0) {
		snprintf(ctx->err, ctx->err_len, "%s: cannot open (%s)", ctx->file, why);
	}
	return ret;
}

int gtm_conf_parse(const char *path, gtm_conf_t **conf, char *err, size_t err_len)
{
	if (err != NULL && err_len > 0) {
		err[0] = '\0';
	}
	if (path == NULL || conf == NULL) {
		return KNOT_EINVAL;
	}

	ctx_t ctx = {
		.file = path,
		.err = err,
		.err_len = err_len,
		.sec = SEC_NONE,
	};

	int ret = open_input(&ctx);
	if (ret != KNOT_EOK) {
		goto done;
	}
	ctx.conf = calloc(1, sizeof(*ctx.conf));
	if (ctx.conf == NULL || (ctx.conf->file = strdup(path)) == NULL) {
		ret = no_memory(&ctx);
		goto done;
	}

	while ((ret = yp_parse(ctx.yp)) == KNOT_EOK) {
		ret = on_event(&ctx);
		if (ret != KNOT_EOK) {
			goto done;
		}
	}
	if (ret != KNOT_EOF) {
		if (err != NULL && err_len > 0) {
			snprintf(err, err_len, "%s:%zu: syntax error (%s)", path,
			         ctx.yp->line_count, knot_strerror(ret));
		}
		goto done;
	}
	ret = finish_item(&ctx);
	if (ret == KNOT_EOK) {
		ret = resolve_refs(&ctx);
	}

done:
	for (size_t i = 0; i < ctx.ref_count; i++) {
		free(ctx.refs[i].id);
	}
	free(ctx.refs);
	if (ctx.yp != NULL) {
		yp_deinit(ctx.yp);
		free(ctx.yp);
	}
	if (ret == KNOT_EOK) {
		*conf = ctx.conf;
	} else {
		gtm_conf_free(ctx.conf);
	}
	return ret;
}

void gtm_conf_free(gtm_conf_t *conf)
{
	if (conf == NULL) {
		return;
	}
	for (size_t i = 0; i < conf->check_count; i++) {
		free(conf->checks[i].id);
		free(conf->checks[i].path);
		free(conf->checks[i].host);
	}
	for (size_t i = 0; i < conf->pool_count; i++) {
		free(conf->pools[i].id);
		free(conf->pools[i].addrs);
	}
	for (size_t i = 0; i < conf->name_count; i++) {
		free(conf->names[i].id);
		free(conf->names[i].pools);
	}
	free(conf->checks);
	free(conf->pools);
	free(conf->names);
	free(conf->file);
	free(conf);
}
