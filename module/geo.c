/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>
#include <string.h>

#include <libknot/errcode.h>

#include "geo.h"

/* Clears what a lookup sets. */
static void client_clear(gtm_client_t *client)
{
	client->has_geo = false;
	client->country[0] = '\0';
	client->continent[0] = '\0';
	client->geo_prefix = 0;
}

#ifdef HAVE_MAXMINDDB

#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>

#include <maxminddb.h>

struct gtm_geo {
	MMDB_s db;
};

bool gtm_geo_available(void)
{
	return true;
}

/*
 * Truth table:
 *   path NULL or geo NULL            -> KNOT_EINVAL
 *   file missing/unreadable/invalid  -> KNOT_EINVAL, err "cannot open 'PATH' (why)"
 *   out of memory                    -> KNOT_ENOMEM
 *   valid MaxMind DB                 -> KNOT_EOK, *geo memory-mapped
 */
int gtm_geo_open(const char *path, gtm_geo_t **geo, char *err, size_t err_len)
{
	if (path == NULL || geo == NULL) {
		return KNOT_EINVAL;
	}
	gtm_geo_t *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return KNOT_ENOMEM;
	}
	int ret = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
	if (ret != MMDB_SUCCESS) {
		int errno_saved = errno;
		if (err != NULL && err_len > 0) {
			if (ret == MMDB_IO_ERROR && errno_saved != 0) {
				snprintf(err, err_len, "cannot open '%s' (%s: %s)", path,
				         MMDB_strerror(ret), strerror(errno_saved));
			} else {
				snprintf(err, err_len, "cannot open '%s' (%s)", path,
				         MMDB_strerror(ret));
			}
		}
		free(g);
		return ret == MMDB_OUT_OF_MEMORY_ERROR ? KNOT_ENOMEM : KNOT_EINVAL;
	}
	*geo = g;
	return KNOT_EOK;
}

void gtm_geo_close(gtm_geo_t *geo)
{
	if (geo == NULL) {
		return;
	}
	MMDB_close(&geo->db);
	free(geo);
}

/* Copies a two-letter string at path into out (upper case); false if absent. */
static bool get_code(MMDB_entry_s *entry, const char *const *path, char out[3])
{
	MMDB_entry_data_s data;
	if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS ||
	    !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    data.data_size != 2) {
		return false;
	}
	for (int i = 0; i < 2; i++) {
		char c = data.utf8_string[i];
		if (c >= 'a' && c <= 'z') {
			c = (char)(c - 'a' + 'A');
		}
		if (c < 'A' || c > 'Z') {
			return false;
		}
		out[i] = c;
	}
	out[2] = '\0';
	return true;
}

/*
 * Truth table:
 *   geo NULL or client family not IPv4/IPv6 -> has_geo false, geo_prefix 0
 *   address not in the database             -> has_geo false, geo_prefix =
 *                                              the empty network's prefix
 *   found, country.iso_code                 -> country from it
 *   found, no country, registered_country   -> country from that
 *   found, continent.code                   -> continent from it
 *   found, neither country nor continent    -> has_geo false
 * geo_prefix: the network of the record, as an IPv4 prefix for an IPv4
 * client in an IPv6 database (IPv4 at ::/96: netmask - 96).
 */
void gtm_geo_lookup(const gtm_geo_t *geo, gtm_client_t *client)
{
	if (client == NULL) {
		return;
	}
	client_clear(client);
	if (geo == NULL) {
		return;
	}

	struct sockaddr_storage ss = { 0 };
	if (client->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, client->addr, 4);
	} else if (client->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, client->addr, 16);
	} else {
		return;
	}

	int mmdb_err = MMDB_SUCCESS;
	MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&geo->db,
	                                                (struct sockaddr *)&ss,
	                                                &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS) {
		return;
	}

	int netmask = res.netmask;
	if (client->family == AF_INET && geo->db.metadata.ip_version == 6) {
		netmask -= 96;
	}
	int max = client->family == AF_INET ? 32 : 128;
	client->geo_prefix = netmask < 0 ? 0 : (netmask > max ? max : netmask);

	if (!res.found_entry) {
		return;
	}
	static const char *const country[] = { "country", "iso_code", NULL };
	static const char *const registered[] = { "registered_country", "iso_code", NULL };
	static const char *const continent[] = { "continent", "code", NULL };
	if (!get_code(&res.entry, country, client->country)) {
		(void)get_code(&res.entry, registered, client->country);
	}
	(void)get_code(&res.entry, continent, client->continent);
	client->has_geo = client->country[0] != '\0' || client->continent[0] != '\0';
}

#else /* !HAVE_MAXMINDDB */

bool gtm_geo_available(void)
{
	return false;
}

int gtm_geo_open(const char *path, gtm_geo_t **geo, char *err, size_t err_len)
{
	(void)geo;
	if (err != NULL && err_len > 0) {
		snprintf(err, err_len, "cannot open '%s' (module built without "
		         "libmaxminddb)", path != NULL ? path : "");
	}
	return KNOT_ENOTSUP;
}

void gtm_geo_close(gtm_geo_t *geo)
{
	(void)geo;
}

void gtm_geo_lookup(const gtm_geo_t *geo, gtm_client_t *client)
{
	(void)geo;
	if (client != NULL) {
		client_clear(client);
	}
}

#endif /* HAVE_MAXMINDDB */
