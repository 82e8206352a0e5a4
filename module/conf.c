/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * The data file: sections, items, ids, references and error reporting.
 * The keys of each section are handled by conf_check.c, conf_pool.c,
 * conf_topo.c and conf_name.c.
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

#define MAX_ID_LEN	255

static const char *section_names[] = { "check", "pool", "topology", "name" };

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
	[K_CNAME]             = { SEC_POOL,  "cname",             true,  0 },
	[K_CHECK]             = { SEC_POOL,  "check",             true,  0 },
	[K_CHECK_RULE]        = { SEC_POOL,  "check-rule",        false, 0 },
	[K_POLICY]            = { SEC_POOL,  "policy",            false, 0 },
	[K_PREEMPT]           = { SEC_POOL,  "preempt",           false, 0 },
	[K_MAX_ANSWERS]       = { SEC_POOL,  "max-answers",       false, 0 },
	[K_MIN_AVAILABLE]     = { SEC_POOL,  "min-available",     false, 0 },
	[K_FAILBACK]          = { SEC_POOL,  "failback-delay",    false, 0 },
	[K_POOL_ENABLED]      = { SEC_POOL,  "enabled",           false, 0 },
	[K_SUBNET]            = { SEC_TOPO,  "subnet",            true,  0 },
	[K_COUNTRY]           = { SEC_TOPO,  "country",           true,  0 },
	[K_CONTINENT]         = { SEC_TOPO,  "continent",         true,  0 },
	[K_TOPO_POOL]         = { SEC_TOPO,  "pool",              true,  0 },
	[K_POOL]              = { SEC_NAME,  "pool",              true,  0 },
	[K_POOL_POLICY]       = { SEC_NAME,  "pool-policy",       false, 0 },
	[K_NAME_PREEMPT]      = { SEC_NAME,  "preempt",           false, 0 },
	[K_NAME_FAILBACK]     = { SEC_NAME,  "failback-delay",    false, 0 },
	[K_TOPOLOGY]          = { SEC_NAME,  "topology",          true,  0 },
	[K_TTL]               = { SEC_NAME,  "ttl",               false, 0 },
	[K_TTL_DEGRADED]      = { SEC_NAME,  "ttl-degraded",      false, 0 },
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

void *gtm_conf_grow(void *array, size_t count, size_t size)
{
	/* Doubling at powers of two: N items cost O(log N) reallocations. */
	char *new_array = array;
	if ((count & (count - 1)) == 0) {
		new_array = realloc(array, (count == 0 ? 1 : 2 * count) * size);
	}
	if (new_array != NULL) {
		memset(new_array + count * size, 0, size);
	}
	return new_array;
}

/*! Reports an error of a key at the current line. */
#define bad(ctx, ret, key, ...) \
	gtm_conf_report((ctx), (ret), (ctx)->line, gtm_conf_keys[key].name, __VA_ARGS__)

int gtm_conf_get_number(conf_ctx_t *ctx, key_id_t key, const char *str,
                        uint64_t min, uint64_t max, uint64_t *out)
{
	int ret = gtm_conf_number(str, min, max, out);
	if (ret == KNOT_EINVAL) {
		return bad(ctx, ret, key, "invalid number '%s'", str);
	} else if (ret != KNOT_EOK) {
		return bad(ctx, ret, key, "value %s out of range %llu-%llu", str,
		           (unsigned long long)min, (unsigned long long)max);
	}
	return KNOT_EOK;
}

int gtm_conf_get_duration(conf_ctx_t *ctx, key_id_t key, const char *str,
                          uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t ms;
	char lo[32], hi[32];
	int ret = gtm_conf_duration(str, min, max, &ms);
	if (ret == KNOT_EINVAL) {
		return bad(ctx, ret, key, "invalid duration '%s'", str);
	} else if (ret != KNOT_EOK) {
		return bad(ctx, ret, key, "value %s out of range %s-%s", str,
		           gtm_conf_duration_str(min, lo, sizeof(lo)),
		           gtm_conf_duration_str(max, hi, sizeof(hi)));
	}
	*out = ms;
	return KNOT_EOK;
}

int gtm_conf_get_bool(conf_ctx_t *ctx, key_id_t key, const char *val, bool *out)
{
	if (strcasecmp(val, "on") == 0 || strcasecmp(val, "true") == 0) {
		*out = true;
	} else if (strcasecmp(val, "off") == 0 || strcasecmp(val, "false") == 0) {
		*out = false;
	} else {
		return bad(ctx, KNOT_EINVAL, key, "invalid value '%s' (expected on or off)", val);
	}
	return KNOT_EOK;
}

/*!
 * Key under which an item id is unique in its section: the id itself for
 * checks, pools and topology rules; gtm_conf_domain_key() for names, so
 * 'GTM' and 'gtm' collide.
 */
static size_t id_key(section_t sec, const char *id, uint8_t *key, size_t key_len)
{
	if (sec == SEC_NAME) {
		return gtm_conf_domain_key(id, key, key_len);
	}
	size_t len = strlen(id);
	if (len > key_len) {
		len = key_len;
	}
	memcpy(key, id, len);
	return len;
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

/*! Appends an item with default values to the current section. */
static char **add_item(conf_ctx_t *ctx)
{
	gtm_conf_t *conf = ctx->conf;
	void *grown;
	switch (ctx->sec) {
	case SEC_CHECK: {
		gtm_check_t *check = CONF_APPEND(conf->checks, conf->check_count);
		if (check == NULL) {
			return NULL;
		}
		gtm_conf_check_init(check, ctx->item_line);
		return &check->id;
	}
	case SEC_POOL: {
		gtm_pool_t *pool = CONF_APPEND(conf->pools, conf->pool_count);
		if (pool == NULL) {
			return NULL;
		}
		gtm_conf_pool_init(pool, ctx->item_line);
		return &pool->id;
	}
	case SEC_TOPO: {
		size_t lines = conf->topo_count;
		if (CONF_APPEND(ctx->geo_lines, lines) == NULL) {
			return NULL;
		}
		gtm_topo_t *topo = CONF_APPEND(conf->topos, conf->topo_count);
		if (topo == NULL) {
			return NULL;
		}
		gtm_conf_topo_init(topo, ctx->item_line);
		return &topo->id;
	}
	default: {
		gtm_name_t *name = CONF_APPEND(conf->names, conf->name_count);
		if (name == NULL) {
			return NULL;
		}
		gtm_conf_name_init(name, ctx->item_line);
		return &name->id;
	}
	}
}

/*! Handles '- id: X': validates the id and appends an item. */
static int start_item(conf_ctx_t *ctx, const char *key, const char *id)
{
	ctx->item_id = NULL;
	ctx->item_line = ctx->line;
	ctx->seen = 0;
	ctx->item_refs = ctx->ref_count;
	ctx->weight_line = 0;
	ctx->probe_line = 0;

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
		[SEC_TOPO] = ctx->conf->topo_count,
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
	if (ctx->item_id == NULL) {
		return KNOT_EOK;
	}

	int ret;
	switch (ctx->sec) {
	case SEC_CHECK: ret = gtm_conf_check_finish(ctx); break;
	case SEC_POOL:  ret = gtm_conf_pool_finish(ctx); break;
	case SEC_TOPO:  ret = gtm_conf_topo_finish(ctx); break;
	default:        ret = gtm_conf_name_finish(ctx); break;
	}
	if (ret == KNOT_EOK) {
		ctx->item_id = NULL;
	}
	return ret;
}

int gtm_conf_add_ref(conf_ctx_t *ctx, conf_ref_kind_t kind, size_t owner,
                     size_t slot, const char *id)
{
	void *grown;
	conf_ref_t *ref = CONF_APPEND(ctx->refs, ctx->ref_count);
	if (ref == NULL) {
		return gtm_conf_no_memory(ctx);
	}
	*ref = (conf_ref_t) {
		.kind = kind, .owner = owner, .slot = slot,
		.id = strdup(id), .line = ctx->line,
	};
	if (ref->id == NULL) {
		ctx->ref_count--;
		return gtm_conf_no_memory(ctx);
	}
	return KNOT_EOK;
}

bool gtm_conf_has_ref(const conf_ctx_t *ctx, conf_ref_kind_t kind, const char *id)
{
	for (size_t i = ctx->item_refs; i < ctx->ref_count; i++) {
		if (ctx->refs[i].kind == kind && strcmp(ctx->refs[i].id, id) == 0) {
			return true;
		}
	}
	return false;
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
	if (!(ctx->seen & KEY_BIT(id))) {
		ctx->key_line[id] = ctx->line; /* First line of the key. */
	}
	ctx->seen |= KEY_BIT(id);
	if (*val == '\0') {
		return gtm_conf_report(ctx, KNOT_EINVAL, ctx->line, key, "missing value");
	}

	switch (ctx->sec) {
	case SEC_CHECK: return gtm_conf_check_key(ctx, id, val);
	case SEC_POOL:  return gtm_conf_pool_key(ctx, id, val);
	case SEC_TOPO:  return gtm_conf_topo_key(ctx, id, val);
	default:        return gtm_conf_name_key(ctx, id, val);
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
		for (section_t sec = SEC_CHECK; sec < SEC_COUNT; sec++) {
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

/*! Points a reference at its target; false if the target is not defined. */
static bool resolve_ref(conf_ctx_t *ctx, const conf_ref_t *ref)
{
	gtm_conf_t *conf = ctx->conf;
	section_t target = (ref->kind == REF_POOL_CHECK) ? SEC_CHECK :
	                   (ref->kind == REF_NAME_TOPO) ? SEC_TOPO : SEC_POOL;
	uint32_t j;
	if (gtm_idx_find(&ctx->ids[target], ref->id, strlen(ref->id), &j) != KNOT_EOK) {
		return false;
	}

	switch (ref->kind) {
	case REF_POOL_CHECK:
		conf->pools[ref->owner].checks[ref->slot] = &conf->checks[j];
		break;
	case REF_NAME_POOL:
		conf->names[ref->owner].pools[ref->slot].pool = &conf->pools[j];
		break;
	case REF_NAME_TOPO:
		conf->names[ref->owner].topos[ref->slot] = &conf->topos[j];
		break;
	case REF_NAME_ALLDOWN:
		conf->names[ref->owner].all_down_pool = &conf->pools[j];
		break;
	case REF_TOPO_POOL:
		conf->topos[ref->owner].pools[ref->slot].pool = &conf->pools[j];
		break;
	}
	return true;
}

/*
 * References, resolved in file order once the whole file is read:
 *
 *   kind               from (section.key)   to
 *   -----------------  -------------------  --------------
 *   REF_POOL_CHECK     pool.check           check
 *   REF_NAME_POOL      name.pool            pool
 *   REF_NAME_TOPO      name.topology        topology rule
 *   REF_NAME_ALLDOWN   name.all-down        pool (pool:ID)
 *   REF_TOPO_POOL      topology.pool        pool
 *
 * The first undefined one: ENOENT "undefined SECTION 'ID'" at its line.
 */
static int resolve_refs(conf_ctx_t *ctx)
{
	static const struct {
		section_t owner;
		const char *key;
		const char *what;
	} kinds[] = {
		[REF_POOL_CHECK]   = { SEC_POOL, "check",    "check" },
		[REF_NAME_POOL]    = { SEC_NAME, "pool",     "pool" },
		[REF_NAME_TOPO]    = { SEC_NAME, "topology", "topology" },
		[REF_NAME_ALLDOWN] = { SEC_NAME, "all-down", "pool" },
		[REF_TOPO_POOL]    = { SEC_TOPO, "pool",     "pool" },
	};
	gtm_conf_t *conf = ctx->conf;
	for (size_t i = 0; i < ctx->ref_count; i++) {
		const conf_ref_t *ref = &ctx->refs[i];
		if (resolve_ref(ctx, ref)) {
			continue;
		}
		ctx->sec = kinds[ref->kind].owner;
		ctx->item_id = (ctx->sec == SEC_POOL) ? conf->pools[ref->owner].id :
		               (ctx->sec == SEC_TOPO) ? conf->topos[ref->owner].id :
		               conf->names[ref->owner].id;
		return gtm_conf_report(ctx, KNOT_ENOENT, ref->line, kinds[ref->kind].key,
		                       "undefined %s '%s'", kinds[ref->kind].what, ref->id);
	}
	return KNOT_EOK;
}

/*!
 * Line of the first (lowest) country/continent key of the rules used by
 * names with pool-policy topology; 0 if none (GeoIP not needed).
 */
static size_t geo_line(const conf_ctx_t *ctx)
{
	const gtm_conf_t *conf = ctx->conf;
	size_t first = 0;
	for (size_t n = 0; n < conf->name_count; n++) {
		const gtm_name_t *name = &conf->names[n];
		if (name->pool_policy != GTM_PPOL_TOPOLOGY) {
			continue;
		}
		for (size_t t = 0; t < name->topo_count; t++) {
			size_t line = ctx->geo_lines[name->topos[t] - conf->topos];
			if (line != 0 && (first == 0 || line < first)) {
				first = line;
			}
		}
	}
	return first;
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
	if (ret == KNOT_EOK) {
		ctx.conf->geo_line = geo_line(&ctx);
	}

done:
	for (size_t i = 0; i < ctx.ref_count; i++) {
		free(ctx.refs[i].id);
	}
	free(ctx.refs);
	free(ctx.geo_lines);
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
		gtm_conf_pool_clear(&conf->pools[i]);
	}
	for (size_t i = 0; i < conf->topo_count; i++) {
		gtm_conf_topo_clear(&conf->topos[i]);
	}
	for (size_t i = 0; i < conf->name_count; i++) {
		gtm_conf_name_clear(&conf->names[i]);
	}
	free(conf->checks);
	free(conf->pools);
	free(conf->topos);
	free(conf->names);
	free(conf->file);
	free(conf);
}
