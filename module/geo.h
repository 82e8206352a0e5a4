/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Optional GeoIP lookups (MaxMind DB through libmaxminddb).
 *
 * Built with libmaxminddb when meson finds it (HAVE_MAXMINDDB); without it
 * every function reports KNOT_ENOTSUP and gtm_geo_available() is false.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "topology.h"

/*! An open GeoIP database. */
typedef struct gtm_geo gtm_geo_t;

/*! True when the module was built with libmaxminddb. */
bool gtm_geo_available(void);

/*!
 * Opens a MaxMind DB (country or city database).
 *
 * \param[in]  path     Database file.
 * \param[out] geo      Open database.
 * \param[out] err      Reason on failure ("cannot open 'PATH' (...)").
 * \param[in]  err_len  Size of err.
 *
 * \return KNOT_EOK, KNOT_ENOTSUP (built without libmaxminddb), KNOT_EINVAL.
 */
int gtm_geo_open(const char *path, gtm_geo_t **geo, char *err, size_t err_len);

/*! Closes a database (NULL allowed). */
void gtm_geo_close(gtm_geo_t *geo);

/*!
 * Looks up the client's address; sets has_geo, country, continent and
 * geo_prefix of the client (has_geo false when the address is not found).
 * Thread-safe, no allocation on the heap.
 */
void gtm_geo_lookup(const gtm_geo_t *geo, gtm_client_t *client);
