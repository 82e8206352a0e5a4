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

#include "conf.h"
#include "conf_int.h"

#define MAX_ADDRS	64
#define MAX_NAME_POOLS	16
#define MAX_ID_LEN	255
#define MAX_TTL		604800

static const char *section_names[] = { "check", "pool", "name" };

#define T_ALL	(1U << GTM_CHECK_TCP | 1U << GTM_CHECK_HTTP | 1U << GTM_CHECK_HTTPS | \
		 1U << GTM_CHECK_ICMP | 1U << GTM_CHECK_DNS)
#define T_WEB	(1U << GTM_CHECK_HTTP | 1U << GTM_CHECK_HTTPS)
#define T_TLS	(1U << GTM_CHECK_HTTPS)
#define T_PORT	(1U << GTM_CHECK_TCP | T_WEB | 1U << GTM_CHECK_DNS)
#define T_ICMP	(1U << GTM_CHECK_ICMP)
#define T_DNS	(1U << GTM_CHECK_DNS)

const conf_key_t gtm_conf_keys[K_COUNT] = {
	[K_TYPE]              = { SEC_CHECK, "type",              false, T_ALL },
	[K_PORT]              = { SEC_CHECK, "port",              false, T_PORT },
	[K_PATH]              = { SEC_CHECK, "path",              false, T_WEB },
	[K_HOST]              = { SEC_CHECK, "host",              false, T_WEB },
	[K_EXPECT]            = { SEC_CHECK, "expect",            false, T_WEB },
	[K_METHOD]            = { SEC_CHECK, "method",            false, T_WEB },
	[K_HEADER]            = { SEC_CHECK, "header",            true,  T_WEB },
	[K_EXPECT_BODY]       = { SEC_CHECK, "expect-body",       false, T_WEB },
	[K_EXPECT_BODY_REGEX] = { SEC_CHECK, "expect-body-regex", false, T_WEB },
	[K_BODY_LIMIT]        = { SEC_CHECK, "body-limit",        false, T_WEB },
	[K_SNI]               = { SEC_CHECK, "sni",               false, T_TLS },
	[K_VERIFY]            = { SEC_CHECK, "verify",            false, T_TLS },
	[K_CA_FILE]           = { SEC_CHECK, "ca-file",           false, T_TLS },
	[K_PACKETS]           = { SEC_CHECK, "packets",           false, T_ICMP },
	[K_MAX_LOSS]          = { SEC_CHECK, "max-loss",          false, T_ICMP },
	[K_MAX_RTT]           = { SEC_CHECK, "max-rtt",           false, T_ICMP },
	[K_QUERY_NAME]        = { SEC_CHECK, "query-name",        false, T_DNS },
	[K_QUERY_TYPE]        = { SEC_CHECK, "query-type",        false, T_DNS },
	[K_EXPECT_RCODE]      = { SEC_CHECK, "expect-rcode",      false, T_DNS },
	[K_EXPECT_ANSWER]     = { SEC_CHECK, "expect-answer",     false, T_DNS },
	[K_INTERVAL]          = { SEC_CHECK, "interval",          false, T_ALL },
	[K_TIMEOUT]           = { SEC_CHECK, "timeout",           false, T_ALL },
	[K_RECHECK]           = { SEC_CHECK, "recheck",           false, T_ALL },
	[K_RISE]              = { SEC_CHECK, "rise",              false, T_ALL },
	[K_FALL]              = { SEC_CHECK, "fall",              false, T_ALL },
	[K_ADDRESS]           = { SEC_POOL,  "address",           true,  0 },
	[K_CHECK]             = { SEC_POOL,  "check",             false, 0 },
	[K_POOL]              = { SEC_NAME,  "pool",              true,  0 },
	[K_TTL]               = { SEC_NAME,  "ttl",               false, 0 },
	[K_ALLDOWN]           = { SEC_NAME,  "all-down",          false, 0 },
	[K_ENABLED]           = { SEC_NAME,  "enabled",           false, 0 },
};

int gtm_conf_report(conf_ctx_t *ctx, int ret, size_t line, const char *key,
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

int gtm_conf_no_memory(conf_ctx_t *ctx)
{
	return gtm_conf_report(ctx, KNOT_ENOMEM, ctx->line, NULL, "out of memory");
}

/*!
 * Extends an array by one zeroed element; returns the new array or NULL.
 *
 * The capacity doubles whenever count reaches a power of two, so the
 * array always has room for count + 1 elements and a file with N items
 * costs O(log N) reallocations, not N.
 */
static void *grow(void *array, size_t count, size_t size)
{
	char *new_array = array;
	if ((count & (count - 1)) == 0) {
		new_array = realloc(array, (count == 0 ? 1 : 2 * count) * size);
	}
	if (new_array != NULL) {
		memset(new_array + count * size, 0, size);
	}
	return new_array;
}

/*!
 * Key under which an item id is unique in its section: the id itself for
 * checks and pools; for names '@', or the form (relative or absolute)
 * followed by the lower-cased wire name, so 'GTM' and 'gtm' collide.
 */
static size_t id_key(section_t sec, const char *id, uint8_t *key, size_t key_len)
{
	size_t len = strlen(id);
	if (sec != SEC_NAME || strcmp(id, "@") == 0) {
		if (len > key_len) {
			len = key_len;
		}
		memcpy(key, id, len);
		return len;
	}
	key[0] = gtm_conf_name_absolute(id) ? 'A' : 'R';
	if (knot_dname_from_str(key + 1, id, key_len - 1) == NULL) {
		return 0;
	}
	knot_dname_to_lower(key + 1);
	return 1 + knot_dname_size(key + 1);
}

/*! Records the id of the item being added; KNOT_EEXIST if already used. */
static int id_add(conf_ctx_t *ctx, const char *id, uint32_t value)
{
	uint8_t key[MAX_ID_LEN + KNOT_DNAME_MAXLEN + 2];
	size_t len = id_key(ctx->sec, id, key, sizeof(key));
	if (len == 0) {
		return KNOT_EINVAL;
	}
	return gtm_idx_add(&ctx->ids[ctx->sec], key, len, value, NULL);
}

/*! Looks up a check or pool id; returns its index or -1. */
static ssize_t id_find(conf_ctx_t *ctx, section_t sec, const char *id)
{
	uint32_t value;
	if (gtm_idx_find(&ctx->ids[sec], id, strlen(id), &value) != KNOT_EOK) {
		return -1;
	}
	return value;
}

/*! Appends an item with default values to the current section. */
static char **add_item(conf_ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	if (ctx->sec == SEC_CHECK) {
		gtm_check_t *checks = grow(conf->checks, conf->check_count, sizeof(*checks));
		if (checks == NULL) {
			return NULL;
		}
		conf->checks = checks;
		gtm_check_t *check = &checks[conf->check_count++];
		gtm_conf_check_init(check, ctx->item_line);
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
static int start_item(conf_ctx_t *ctx, const char *key, const char *id)
{
	ctx->item_id = NULL;
	ctx->item_line = ctx->line;
	ctx->seen = 0;

	if (strcmp(key, "id") != 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, key,
		                       "item must start with 'id'");
	}
	if (ctx->sec == SEC_NAME) {
		int ret = gtm_conf_name_check(id);
		if (ret == KNOT_ENOTSUP) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "id",
			                       "wildcard name '%s' not supported", id);
		} else if (ret != KNOT_EOK) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "id",
			                       "invalid name '%s'", id);
		}
	} else if (!gtm_conf_id_valid(id, MAX_ID_LEN)) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "id",
		                       "invalid identifier '%s'", id);
	}
	size_t count[] = {
		[SEC_CHECK] = ctx->conf->check_count,
		[SEC_POOL] = ctx->conf->pool_count,
		[SEC_NAME] = ctx->conf->name_count,
	};
	int ret = id_add(ctx, id, count[ctx->sec]);
	if (ret == KNOT_ENOMEM) {
		return gtm_conf_no_memory(ctx);
	} else if (ret != KNOT_EOK) {
		ctx->item_id = id;
		ret = gtm_conf_report(ctx, KNOT_EEXIST, ctx->line, NULL, "duplicate id");
		ctx->item_id = NULL;
		return ret;
	}

	char **id_ptr = add_item(ctx);
	if (id_ptr == NULL || (*id_ptr = strdup(id)) == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	ctx->item_id = *id_ptr;
	return KNOT_EOK;
}

/*! Item-level validation once all keys of an item were read. */
static int finish_item(conf_ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	if (ctx->item_id == NULL) {
		return KNOT_EOK;
	}

	if (ctx->sec == SEC_CHECK) {
		int ret = gtm_conf_check_finish(ctx);
		if (ret != KNOT_EOK) {
			return ret;
		}
	} else if (ctx->sec == SEC_POOL) {
		if (conf->pools[conf->pool_count - 1].addr_count == 0) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL,
			                       "no address");
		}
	} else if (conf->names[conf->name_count - 1].pool_count == 0) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->item_line, NULL, "no pool");
	}

	ctx->item_id = NULL;
	return KNOT_EOK;
}

static int add_ref(conf_ctx_t *ctx, bool to_pool, size_t owner, size_t slot, const char *id)
{
	conf_ref_t *refs = grow(ctx->refs, ctx->ref_count, sizeof(*refs));
	if (refs == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	ctx->refs = refs;
	refs[ctx->ref_count] = (conf_ref_t) {
		.to_pool = to_pool, .owner = owner, .slot = slot,
		.id = strdup(id), .line = ctx->line,
	};
	if (refs[ctx->ref_count].id == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	ctx->ref_count++;
	return KNOT_EOK;
}

static int pool_key(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	size_t idx = ctx->conf->pool_count - 1;
	gtm_pool_t *pool = &ctx->conf->pools[idx];
	if (key == K_CHECK) {
		return add_ref(ctx, false, idx, 0, val);
	}

	struct sockaddr_storage ss;
	if (!gtm_conf_addr(val, &ss)) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "address",
		                       "invalid address '%s'", val);
	}
	for (size_t i = 0; i < pool->addr_count; i++) {
		/* Both zeroed except for family and address. */
		if (memcmp(&pool->addrs[i].addr, &ss, sizeof(ss)) == 0) {
			return gtm_conf_report(ctx, KNOT_EEXIST, ctx->line, "address",
			                       "duplicate address '%s'", val);
		}
	}
	if (pool->addr_count >= MAX_ADDRS) {
		return gtm_conf_report(ctx, KNOT_ERANGE, ctx->line, "address",
		                       "too many addresses (max %d)", MAX_ADDRS);
	}
	gtm_addr_t *addrs = grow(pool->addrs, pool->addr_count, sizeof(*addrs));
	if (addrs == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	pool->addrs = addrs;
	addrs[pool->addr_count++] = (gtm_addr_t) { .addr = ss, .line = ctx->line };
	return KNOT_EOK;
}

static int name_pool(conf_ctx_t *ctx, size_t idx, const char *val)
{
	gtm_name_t *name = &ctx->conf->names[idx];
	/* The references of this name are the last ones added. */
	for (size_t i = ctx->ref_count; i-- > 0 && ctx->refs[i].to_pool &&
	                                ctx->refs[i].owner == idx; ) {
		const conf_ref_t *ref = &ctx->refs[i];
		if (strcmp(ref->id, val) == 0) {
			return gtm_conf_report(ctx, KNOT_EEXIST, ctx->line, "pool",
			                       "duplicate pool '%s'", val);
		}
	}
	if (name->pool_count >= MAX_NAME_POOLS) {
		return gtm_conf_report(ctx, KNOT_ERANGE, ctx->line, "pool",
		                       "too many pools (max %d)", MAX_NAME_POOLS);
	}
	const gtm_pool_t **pools = grow(name->pools, name->pool_count, sizeof(*pools));
	if (pools == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	name->pools = pools;
	name->pool_count++;
	return add_ref(ctx, true, idx, name->pool_count - 1, val);
}

static int name_key(conf_ctx_t *ctx, key_id_t key, const char *val)
{
	size_t idx = ctx->conf->name_count - 1;
	gtm_name_t *name = &ctx->conf->names[idx];
	uint64_t ms;

	switch (key) {
	case K_POOL:
		return name_pool(ctx, idx, val);
	case K_TTL:
		if (gtm_conf_duration(val, 0, UINT64_MAX, &ms) != KNOT_EOK || ms % 1000 != 0) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "ttl",
			                       "invalid ttl '%s'", val);
		} else if (ms / 1000 > MAX_TTL) {
			return gtm_conf_report(ctx, KNOT_ERANGE, ctx->line, "ttl",
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
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "all-down",
		                       "invalid value '%s' (expected static or all)", val);
	case K_ENABLED:
		if (strcasecmp(val, "on") == 0 || strcasecmp(val, "true") == 0) {
			name->enabled = true;
		} else if (strcasecmp(val, "off") == 0 || strcasecmp(val, "false") == 0) {
			name->enabled = false;
		} else {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, "enabled",
			                       "invalid value '%s' (expected on or off)", val);
		}
		return KNOT_EOK;
	default:
		return KNOT_EINVAL;
	}
}

/*! Handles one key of an item (YP_EKEY1). */
static int item_key(conf_ctx_t *ctx, const char *key, const char *val)
{
	if (ctx->item_id == NULL) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, key,
		                       "item must start with 'id'");
	}

	key_id_t id = 0;
	while (id < K_COUNT && (gtm_conf_keys[id].sec != ctx->sec ||
	                        strcmp(gtm_conf_keys[id].name, key) != 0)) {
		id++;
	}
	if (id == K_COUNT) {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, key,
		                       strcmp(key, "id") == 0 ? "repeated key" : "unknown item");
	}
	if ((ctx->seen & KEY_BIT(id)) && !gtm_conf_keys[id].multi) {
		/* yparser delivers 'key: [ a, b ]' as the key repeated on one line. */
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, key,
		                       ctx->key_line[id] == ctx->line ?
		                       "only one value allowed" : "repeated key");
	}
	ctx->seen |= KEY_BIT(id);
	ctx->key_line[id] = ctx->line;
	if (*val == '\0') {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, key, "missing value");
	}

	switch (ctx->sec) {
	case SEC_CHECK: return gtm_conf_check_key(ctx, id, val);
	case SEC_POOL:  return pool_key(ctx, id, val);
	default:        return name_key(ctx, id, val);
	}
}

static int on_event(conf_ctx_t *ctx)
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
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, yp->key,
			                       "unknown section");
		} else if (*val != '\0') {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, NULL,
			                       "unexpected value '%s'", val);
		}
		return KNOT_EOK;
	case YP_EID:
	case YP_EKEY1:
		if (ctx->sec == SEC_NONE) {
			return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, yp->key,
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

static int resolve_refs(conf_ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	for (size_t i = 0; i < ctx->ref_count; i++) {
		const conf_ref_t *ref = &ctx->refs[i];
		const void *found = NULL;
		if (ref->to_pool) {
			ssize_t j = id_find(ctx, SEC_POOL, ref->id);
			found = (j >= 0) ? &conf->pools[j] : NULL;
			conf->names[ref->owner].pools[ref->slot] = found;
			ctx->sec = SEC_NAME;
			ctx->item_id = conf->names[ref->owner].id;
		} else {
			ssize_t j = id_find(ctx, SEC_CHECK, ref->id);
			found = (j >= 0) ? &conf->checks[j] : NULL;
			conf->pools[ref->owner].check = found;
			ctx->sec = SEC_POOL;
			ctx->item_id = conf->pools[ref->owner].id;
		}
		if (found == NULL) {
			const char *what = ref->to_pool ? "pool" : "check";
			return gtm_conf_report(ctx, KNOT_ENOENT, ref->line, what,
			                       "undefined %s '%s'", what, ref->id);
		}
	}
	return KNOT_EOK;
}

static int open_input(conf_ctx_t *ctx)
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

	conf_ctx_t ctx = {
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
		ret = gtm_conf_no_memory(&ctx);
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
	for (int sec = 0; sec < SEC_COUNT; sec++) {
		gtm_idx_clear(&ctx.ids[sec]);
	}
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
		gtm_conf_check_clear(&conf->checks[i]);
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
