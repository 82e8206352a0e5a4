/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <libknot/errcode.h>

#include "probe_tls.h"

/*! Where the trusted certificates come from. */
typedef enum {
	SRC_NONE = 0, /*!< Verification off: no trust. */
	SRC_SYSTEM,   /*!< The system store. */
	SRC_FILE,     /*!< A CA file. */
} source_t;

struct gtm_tls_cred {
	struct gtm_tls_cred *next;
	source_t source;
	char *path;                       /*!< CA file (SRC_FILE). */
	uint64_t stamp;                   /*!< CA file version (SRC_FILE). */
	unsigned refs;
	gnutls_certificate_credentials_t x509;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static gtm_tls_cred_t *cache;

void gtm_tls_strerror(int code, char *out, size_t out_len)
{
	if (out_len == 0) {
		return;
	}
	(void)snprintf(out, out_len, "%s", gnutls_strerror(code));
	size_t len = strlen(out);
	while (len > 0 && (out[len - 1] == '.' || out[len - 1] == ' ')) {
		out[--len] = '\0';
	}
	for (size_t i = 0; i < len; i++) {
		out[i] = tolower((unsigned char)out[i]);
	}
}

/*! Loads the trust of a source into fresh credentials. */
static int load(source_t source, const char *path,
                gnutls_certificate_credentials_t *out, char *why, size_t why_len)
{
	gnutls_certificate_credentials_t x509;
	if (gnutls_certificate_allocate_credentials(&x509) != GNUTLS_E_SUCCESS) {
		return KNOT_ENOMEM;
	}

	int ret = 0;
	if (source == SRC_SYSTEM) {
		/* No certificate in the store just means nothing is trusted. */
		(void)gnutls_certificate_set_x509_system_trust(x509);
	} else if (source == SRC_FILE) {
		ret = gnutls_certificate_set_x509_trust_file(x509, path, GNUTLS_X509_FMT_PEM);
		if (ret == 0) {
			(void)snprintf(why, why_len, "no certificate found");
		} else if (ret < 0) {
			gtm_tls_strerror(ret, why, why_len);
		}
	}
	if (source == SRC_FILE && ret <= 0) {
		gnutls_certificate_free_credentials(x509);
		return (ret == GNUTLS_E_MEMORY_ERROR) ? KNOT_ENOMEM : KNOT_EINVAL;
	}
	*out = x509;
	return KNOT_EOK;
}

int gtm_tls_ca_check(const char *path, char *why, size_t why_len)
{
	gnutls_certificate_credentials_t x509;
	int ret = load(SRC_FILE, path, &x509, why, why_len);
	if (ret == KNOT_EOK) {
		gnutls_certificate_free_credentials(x509);
	}
	return ret;
}

static bool matches(const gtm_tls_cred_t *cred, source_t source, const char *path,
                    uint64_t stamp)
{
	return cred->source == source &&
	       (source != SRC_FILE || (strcmp(cred->path, path) == 0 && cred->stamp == stamp));
}

int gtm_tls_cred_get(bool verify, const char *ca_file, uint64_t stamp,
                     gtm_tls_cred_t **out)
{
	source_t source = !verify ? SRC_NONE : (ca_file != NULL) ? SRC_FILE : SRC_SYSTEM;
	int ret = KNOT_EOK;

	pthread_mutex_lock(&cache_lock);
	gtm_tls_cred_t *cred = cache;
	while (cred != NULL && !matches(cred, source, ca_file, stamp)) {
		cred = cred->next;
	}
	if (cred == NULL) {
		char why[128];
		cred = calloc(1, sizeof(*cred));
		if (cred == NULL ||
		    (source == SRC_FILE && (cred->path = strdup(ca_file)) == NULL)) {
			ret = KNOT_ENOMEM;
		} else {
			ret = load(source, ca_file, &cred->x509, why, sizeof(why));
		}
		if (ret != KNOT_EOK) {
			if (cred != NULL) {
				free(cred->path);
			}
			free(cred);
			goto done;
		}
		cred->source = source;
		cred->stamp = stamp;
		cred->next = cache;
		cache = cred;
	}
	cred->refs++;
	*out = cred;
done:
	pthread_mutex_unlock(&cache_lock);
	return ret;
}

void gtm_tls_cred_put(gtm_tls_cred_t *cred)
{
	if (cred == NULL) {
		return;
	}
	pthread_mutex_lock(&cache_lock);
	if (--cred->refs == 0) {
		gtm_tls_cred_t **link = &cache;
		while (*link != cred) {
			link = &(*link)->next;
		}
		*link = cred->next;
		gnutls_certificate_free_credentials(cred->x509);
		free(cred->path);
		free(cred);
	}
	pthread_mutex_unlock(&cache_lock);
}

void *gtm_tls_cred_x509(const gtm_tls_cred_t *cred)
{
	return cred->x509;
}

size_t gtm_tls_cred_count(void)
{
	size_t count = 0;
	pthread_mutex_lock(&cache_lock);
	for (const gtm_tls_cred_t *cred = cache; cred != NULL; cred = cred->next) {
		count++;
	}
	pthread_mutex_unlock(&cache_lock);
	return count;
}
