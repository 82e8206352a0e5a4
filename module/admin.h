/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Admin file: manual overrides written by gtmctl (pure parser and
 *        matcher; the prober applies the result).
 *
 * Format, one rule per line ('#' comments, blank lines ignored):
 *   PATTERN up|down|drain [until UNIX_TIME]
 *   prober pause|run
 * PATTERN is NAME[/POOL[/ADDRESS]], each component an fnmatch(3) glob.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Override of a target, by increasing strength. */
typedef enum {
	GTM_FORCE_NONE = 0, /*!< Health decides. */
	GTM_FORCE_UP,       /*!< Answered regardless of health, still probed. */
	GTM_FORCE_DRAIN,    /*!< Not answered, still probed. */
	GTM_FORCE_DOWN,     /*!< Not answered, not probed. */
} gtm_force_t;

/*! Lower-case name of an override ("none", "up", "drain", "down"). */
const char *gtm_force_str(gtm_force_t force);

/*! Parsed admin file (immutable). */
typedef struct gtm_admin gtm_admin_t;

/*!
 * Parses an admin file.
 *
 * A missing file is an empty rule set (KNOT_EOK).
 *
 * \param[in]  path     File.
 * \param[out] admin    Rules (free with gtm_admin_free()).
 * \param[out] err      "PATH:LINE: reason" on failure.
 * \param[in]  err_len  Size of err.
 *
 * \return KNOT_EOK, KNOT_EINVAL (syntax), KNOT_ENOMEM, or an I/O error.
 */
int gtm_admin_parse(const char *path, gtm_admin_t **admin, char *err, size_t err_len);

/*! Frees rules (NULL allowed). */
void gtm_admin_free(gtm_admin_t *admin);

/*!
 * Strongest override matching a reference at a time.
 *
 * Truth table:
 *   no rule matches (or only expired ones)  -> NONE
 *   matching rules                          -> the strongest
 *       (DOWN > DRAIN > UP), *until = the earliest expiry among the
 *       matching rules of that strength (0: none)
 * A rule matches when each component it gives matches by fnmatch (NAME
 * compared with a trailing dot added to both sides when missing, case-
 * insensitively).
 *
 * \param[in]  admin   Rules (NULL: none).
 * \param[in]  name    Owner, absolute text ("gtm.example.com.").
 * \param[in]  pool    Pool id.
 * \param[in]  addr    Address or CNAME target text.
 * \param[in]  now     Unix time, seconds.
 * \param[out] until   Expiry of the result (may be NULL).
 */
gtm_force_t gtm_admin_match(const gtm_admin_t *admin, const char *name,
                            const char *pool, const char *addr, uint64_t now,
                            uint64_t *until);

/*! Whether the file says 'prober pause'. */
bool gtm_admin_paused(const gtm_admin_t *admin);

/*! Earliest expiry after now among all rules (0: none), to re-evaluate then. */
uint64_t gtm_admin_next_expiry(const gtm_admin_t *admin, uint64_t now);
