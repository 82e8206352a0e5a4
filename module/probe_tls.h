/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief TLS client credentials shared by HTTPS checks.
 *
 * Credentials (the trusted CA certificates) are loaded once per source --
 * the system store, a CA file (path and version), or none when
 * verification is off -- and shared by reference between every target
 * using that source; they are freed with the last reference.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Shared credentials (opaque). */
typedef struct gtm_tls_cred gtm_tls_cred_t;

/*!
 * Checks that a CA file holds at least one PEM certificate.
 *
 * \param[in]  path     CA file.
 * \param[out] why      Reason on failure ("no certificate found", ...).
 * \param[in]  why_len  Size of why.
 *
 * \retval KNOT_EOK     Loadable.
 * \retval KNOT_EINVAL  Not loadable (why set).
 * \retval KNOT_ENOMEM  Out of memory.
 */
int gtm_tls_ca_check(const char *path, char *why, size_t why_len);

/*!
 * Takes a reference on the credentials for a CA source, loading them on
 * first use.
 *
 * \param[in]  verify   Certificates are verified (false: no trust needed).
 * \param[in]  ca_file  CA file, NULL: the system store.
 * \param[in]  stamp    Version of the CA file (see gtm_check_t.ca_stamp).
 * \param[out] out      Credentials.
 *
 * \return KNOT_EOK, KNOT_ENOMEM, or KNOT_EINVAL if the CA file cannot be
 *         loaded (any more).
 */
int gtm_tls_cred_get(bool verify, const char *ca_file, uint64_t stamp,
                     gtm_tls_cred_t **out);

/*! Drops a reference (NULL is allowed). */
void gtm_tls_cred_put(gtm_tls_cred_t *cred);

/*! The gnutls_certificate_credentials_t of shared credentials. */
void *gtm_tls_cred_x509(const gtm_tls_cred_t *cred);

/*! Number of credential sets loaded (for tests). */
size_t gtm_tls_cred_count(void);

/*!
 * Formats a GnuTLS error as a reason: lower case, no trailing period.
 */
void gtm_tls_strerror(int code, char *out, size_t out_len);
