/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Admin file parser and override matcher (pure: no logging, no
 *        global state).
 *
 * Lexical rules:
 * - Tokens are separated by spaces and tabs.
 * - A token starting with '#' starts a comment up to the end of the line.
 * - A CR right before the LF (or at the end of the last line) is tolerated
 *   (a file saved with CRLF line ends); any other control character is an
 *   error naming it ("control character 0x0d").
 * - "prober pause" and "prober run" control the prober (the last such line
 *   wins); "prober" followed by up/down/drain is an override of the name
 *   "prober." and any other word after "prober" is an error.
 * - UNIX_TIME is decimal seconds, optionally with a fraction that is
 *   rounded up to the next second (never lifted early); it must be > 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "admin.h"

/*! Components of a pattern. */
enum {
	COMP_NAME = 0,
	COMP_POOL,
	COMP_ADDR,
	COMP_MAX
};

static const char *comp_label[COMP_MAX] = { "name", "pool", "address" };

/*! Tokens looked at on one line (more is an error). */
#define MAX_TOKENS	5

/*! One override line. */
typedef struct {
	char *comp[COMP_MAX]; /*!< Globs; NULL beyond comp_count. NAME ends with '.'. */
	size_t comp_count;
	gtm_force_t force;
	uint64_t until;       /*!< Expiry (Unix seconds), 0: none. */
} admin_rule_t;

struct gtm_admin {
	admin_rule_t *rules;
	size_t count;
	size_t capacity;
	bool paused;
};

/*! Parser state of one file. */
typedef struct {
	const char *path;
	size_t line;
	char *err;
	size_t err_len;
	gtm_admin_t *admin;
} admin_ctx_t;

const char *gtm_force_str(gtm_force_t force)
{
	switch (force) {
	case GTM_FORCE_UP:    return "up";
	case GTM_FORCE_DRAIN: return "drain";
	case GTM_FORCE_DOWN:  return "down";
	default:              return "none";
	}
}

__attribute__((format(printf, 3, 4)))
static int report(admin_ctx_t *ctx, int ret, const char *fmt, ...)
{
	if (ctx->err != NULL && ctx->err_len > 0) {
		char reason[512];
		va_list args;
		va_start(args, fmt);
		vsnprintf(reason, sizeof(reason), fmt, args);
		va_end(args);
		if (ctx->line > 0) {
			snprintf(ctx->err, ctx->err_len, "%s:%zu: %s", ctx->path,
			         ctx->line, reason);
		} else {
			snprintf(ctx->err, ctx->err_len, "%s: %s", ctx->path, reason);
		}
	}
	return ret;
}

static void rule_clear(admin_rule_t *rule)
{
	for (size_t i = 0; i < COMP_MAX; i++) {
		free(rule->comp[i]);
		rule->comp[i] = NULL;
	}
}

void gtm_admin_free(gtm_admin_t *admin)
{
	if (admin == NULL) {
		return;
	}
	for (size_t i = 0; i < admin->count; i++) {
		rule_clear(&admin->rules[i]);
	}
	free(admin->rules);
	free(admin);
}

/*
 * Action word:
 *   "up" | "down" | "drain"  -> that override
 *   anything else            -> GTM_FORCE_NONE (error for the caller)
 */
static gtm_force_t parse_action(const char *word)
{
	if (strcmp(word, "up") == 0) {
		return GTM_FORCE_UP;
	} else if (strcmp(word, "down") == 0) {
		return GTM_FORCE_DOWN;
	} else if (strcmp(word, "drain") == 0) {
		return GTM_FORCE_DRAIN;
	}
	return GTM_FORCE_NONE;
}

/*! Decimal Unix time with an optional fraction (rounded up); > 0. */
static bool parse_time(const char *text, uint64_t *out)
{
	uint64_t value = 0;
	const char *p = text;
	if (*p < '0' || *p > '9') {
		return false;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = *p - '0';
		if (value > (UINT64_MAX - digit) / 10) {
			return false;
		}
		value = value * 10 + digit;
	}
	bool fraction = false;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9') {
			return false;
		}
		for (; *p >= '0' && *p <= '9'; p++) {
			fraction = fraction || *p != '0';
		}
	}
	if (*p != '\0') {
		return false;
	}
	if (fraction) {
		if (value == UINT64_MAX) {
			return false;
		}
		value++;
	}
	if (value == 0) {
		return false;
	}
	*out = value;
	return true;
}

/*! Copy of a name glob with a trailing dot (when missing). */
static char *name_with_dot(const char *name, size_t len)
{
	bool dot = len > 0 && name[len - 1] == '.';
	char *copy = malloc(len + (dot ? 1 : 2));
	if (copy == NULL) {
		return NULL;
	}
	memcpy(copy, name, len);
	if (!dot) {
		copy[len++] = '.';
	}
	copy[len] = '\0';
	return copy;
}

/*! Splits PATTERN into its globs. */
static int parse_pattern(admin_ctx_t *ctx, const char *pattern, admin_rule_t *rule)
{
	const char *start = pattern;
	for (size_t i = 0; ; i++) {
		const char *slash = strchr(start, '/');
		size_t len = (slash != NULL) ? (size_t)(slash - start) : strlen(start);
		if (i == COMP_MAX) {
			return report(ctx, KNOT_EINVAL, "pattern '%s' has more than 3 "
			              "components", pattern);
		}
		if (len == 0) {
			return report(ctx, KNOT_EINVAL, "empty %s in pattern '%s'",
			              comp_label[i], pattern);
		}
		rule->comp[i] = (i == COMP_NAME) ? name_with_dot(start, len) :
		                                   strndup(start, len);
		if (rule->comp[i] == NULL) {
			return report(ctx, KNOT_ENOMEM, "out of memory");
		}
		rule->comp_count = i + 1;
		if (slash == NULL) {
			return KNOT_EOK;
		}
		start = slash + 1;
	}
}

static int add_rule(admin_ctx_t *ctx, admin_rule_t *rule)
{
	gtm_admin_t *admin = ctx->admin;
	if (admin->count == admin->capacity) {
		size_t capacity = (admin->capacity == 0) ? 16 : 2 * admin->capacity;
		admin_rule_t *rules = realloc(admin->rules, capacity * sizeof(*rules));
		if (rules == NULL) {
			return report(ctx, KNOT_ENOMEM, "out of memory");
		}
		admin->rules = rules;
		admin->capacity = capacity;
	}
	admin->rules[admin->count++] = *rule;
	return KNOT_EOK;
}

/*
 * One line's tokens:
 *   none                                 -> ignored (blank or comment)
 *   prober pause|run                     -> pause flag (last one wins)
 *   prober WORD (not an action)          -> "unknown prober command"
 *   PATTERN                              -> "missing action"
 *   PATTERN ACTION                       -> rule without expiry
 *   PATTERN ACTION until TIME            -> rule with expiry
 *   anything else                        -> error naming the bad token
 */
static int parse_tokens(admin_ctx_t *ctx, char **tok, size_t count)
{
	if (count == 0) {
		return KNOT_EOK;
	}
	if (count == 1) {
		return report(ctx, KNOT_EINVAL, "missing action after '%s'", tok[0]);
	}

	gtm_force_t force = parse_action(tok[1]);
	if (strcmp(tok[0], "prober") == 0 && force == GTM_FORCE_NONE) {
		bool pause = strcmp(tok[1], "pause") == 0;
		if (!pause && strcmp(tok[1], "run") != 0) {
			return report(ctx, KNOT_EINVAL, "unknown prober command '%s' "
			              "(pause or run)", tok[1]);
		}
		if (count > 2) {
			return report(ctx, KNOT_EINVAL, "unexpected '%s' after prober "
			              "command", tok[2]);
		}
		ctx->admin->paused = pause;
		return KNOT_EOK;
	}
	admin_rule_t rule = { .force = force };
	int ret = parse_pattern(ctx, tok[0], &rule);
	if (ret != KNOT_EOK) {
		goto fail;
	}
	if (force == GTM_FORCE_NONE) {
		ret = report(ctx, KNOT_EINVAL, "unknown action '%s' (up, down or "
		             "drain)", tok[1]);
		goto fail;
	}
	if (count > 2) {
		if (strcmp(tok[2], "until") != 0) {
			ret = report(ctx, KNOT_EINVAL, "unexpected '%s' (expected "
			             "'until')", tok[2]);
		} else if (count == 3) {
			ret = report(ctx, KNOT_EINVAL, "missing time after 'until'");
		} else if (!parse_time(tok[3], &rule.until)) {
			ret = report(ctx, KNOT_EINVAL, "invalid until time '%s'", tok[3]);
		} else if (count > 4) {
			ret = report(ctx, KNOT_EINVAL, "unexpected '%s' after until "
			             "time", tok[4]);
		}
		if (ret != KNOT_EOK) {
			goto fail;
		}
	}
	ret = add_rule(ctx, &rule);
	if (ret == KNOT_EOK) {
		return KNOT_EOK;
	}
fail:
	rule_clear(&rule);
	return ret;
}

/*! Splits a line (modified in place) and parses it. */
static int parse_line(admin_ctx_t *ctx, char *line, size_t len)
{
	/* A CR before the line end is tolerated (CRLF files). */
	if (len > 0 && line[len - 1] == '\n') {
		line[--len] = '\0';
	}
	if (len > 0 && line[len - 1] == '\r') {
		line[--len] = '\0';
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return report(ctx, KNOT_EINVAL, "control character 0x%02x", c);
		}
	}

	char *tok[MAX_TOKENS];
	size_t count = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save)) {
		if (t[0] == '#') {
			break;
		}
		if (count == MAX_TOKENS) {
			break; /* Five tokens are always an error on an earlier one. */
		}
		tok[count++] = t;
	}
	return parse_tokens(ctx, tok, count);
}

/*! Opens the file; *fp NULL and KNOT_EOK when it does not exist. */
static int open_file(admin_ctx_t *ctx, FILE **fp)
{
	*fp = NULL;
	int fd = open(ctx->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			return KNOT_EOK;
		}
		int ret = knot_map_errno_def(KNOT_EFILE);
		return report(ctx, ret, "cannot open (%s)", strerror(errno));
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) != 0) {
		why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file";
	} else if ((*fp = fdopen(fd, "r")) == NULL) {
		why = strerror(errno);
	}
	if (why != NULL) {
		close(fd);
		return report(ctx, KNOT_EFILE, "cannot open (%s)", why);
	}
	return KNOT_EOK;
}

int gtm_admin_parse(const char *path, gtm_admin_t **admin, char *err, size_t err_len)
{
	if (err != NULL && err_len > 0) {
		err[0] = '\0';
	}
	if (path == NULL || admin == NULL) {
		return KNOT_EINVAL;
	}
	*admin = NULL;

	admin_ctx_t ctx = {
		.path = path,
		.err = err,
		.err_len = err_len,
	};
	FILE *fp = NULL;
	char *line = NULL;
	size_t line_cap = 0;

	ctx.admin = calloc(1, sizeof(*ctx.admin));
	if (ctx.admin == NULL) {
		return report(&ctx, KNOT_ENOMEM, "out of memory");
	}
	int ret = open_file(&ctx, &fp);
	if (ret != KNOT_EOK || fp == NULL) {
		goto done;
	}

	ssize_t len;
	errno = 0;
	while ((len = getline(&line, &line_cap, fp)) >= 0) {
		ctx.line++;
		ret = parse_line(&ctx, line, len);
		if (ret != KNOT_EOK) {
			goto done;
		}
		errno = 0;
	}
	if (ferror(fp)) {
		ctx.line++;
		ret = report(&ctx, knot_map_errno_def(KNOT_EFILE), "read error (%s)",
		             strerror(errno));
	}
done:
	free(line);
	if (fp != NULL) {
		fclose(fp);
	}
	if (ret != KNOT_EOK) {
		gtm_admin_free(ctx.admin);
		return ret;
	}
	*admin = ctx.admin;
	return KNOT_EOK;
}

/*! Name glob against a name, both with a trailing dot, case-insensitively. */
static bool name_match(const char *glob, const char *name)
{
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.') {
		return fnmatch(glob, name, FNM_CASEFOLD) == 0;
	}
	char dotted[len + 2];
	memcpy(dotted, name, len);
	dotted[len] = '.';
	dotted[len + 1] = '\0';
	return fnmatch(glob, dotted, FNM_CASEFOLD) == 0;
}

/*
 * Rule against a reference:
 *   expired (until != 0 && until <= now)     -> no match
 *   each given component matches             -> match
 *   a component given for a NULL value       -> no match
 */
static bool rule_match(const admin_rule_t *rule, const char *name,
                       const char *pool, const char *addr, uint64_t now)
{
	if (rule->until != 0 && rule->until <= now) {
		return false;
	}
	const char *value[COMP_MAX] = { name, pool, addr };
	for (size_t i = 0; i < rule->comp_count; i++) {
		if (value[i] == NULL) {
			return false;
		}
		bool match = (i == COMP_NAME) ? name_match(rule->comp[i], value[i]) :
		             fnmatch(rule->comp[i], value[i], 0) == 0;
		if (!match) {
			return false;
		}
	}
	return true;
}

gtm_force_t gtm_admin_match(const gtm_admin_t *admin, const char *name,
                            const char *pool, const char *addr, uint64_t now,
                            uint64_t *until)
{
	gtm_force_t best = GTM_FORCE_NONE;
	uint64_t best_until = 0;
	for (size_t i = 0; admin != NULL && i < admin->count; i++) {
		const admin_rule_t *rule = &admin->rules[i];
		if (rule->force < best || !rule_match(rule, name, pool, addr, now)) {
			continue;
		}
		if (rule->force > best) {
			best = rule->force;
			best_until = rule->until;
		} else if (rule->until != 0 &&
		           (best_until == 0 || rule->until < best_until)) {
			best_until = rule->until;
		}
	}
	if (until != NULL) {
		*until = best_until;
	}
	return best;
}

bool gtm_admin_paused(const gtm_admin_t *admin)
{
	return admin != NULL && admin->paused;
}

uint64_t gtm_admin_next_expiry(const gtm_admin_t *admin, uint64_t now)
{
	uint64_t next = 0;
	for (size_t i = 0; admin != NULL && i < admin->count; i++) {
		uint64_t until = admin->rules[i].until;
		if (until > now && (next == 0 || until < next)) {
			next = until;
		}
	}
	return next;
}
