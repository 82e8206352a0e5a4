/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Alert webhook: JSON events POSTed by a thread of their own, with a
 *        bounded queue, retries and a timeout; never blocks the caller.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Queue capacity; when full the oldest event is dropped (and counted). */
#define GTM_WEBHOOK_QUEUE	256

/*!
 * Starts (or restarts with a new URL/timeout) the webhook thread.
 * NULL url stops it. Idempotent for the same settings.
 *
 * \return KNOT_EOK or an error (thread, libcurl).
 */
int gtm_webhook_start(const char *url, uint32_t timeout_ms);

/*! Stops the thread; queued events are dropped (called without locks). */
void gtm_webhook_stop(void);

/*!
 * Queues one event; all strings are copied and JSON-escaped.
 *
 * {"event": EVENT, "time": UNIX.MS, SUBJECT_KEY: SUBJECT, "state": STATE,
 *  "reason": REASON}  (NULL members are left out)
 */
void gtm_webhook_event(const char *event, const char *subject_key,
                       const char *subject, const char *state,
                       const char *reason);

/*! Delivery counters. */
typedef struct {
	uint64_t ok;       /*!< Delivered (HTTP 2xx). */
	uint64_t failed;   /*!< Given up after the retries. */
	uint64_t dropped;  /*!< Dropped from a full queue. */
} gtm_webhook_stats_t;

/*! Reads the counters (lock-free or short lock). */
void gtm_webhook_stats(gtm_webhook_stats_t *stats);

/*!
 * Takes the last delivery error not yet taken, for the prober to log
 * (the webhook thread does not log: no instance is safe to log with).
 *
 * \return True if an error was copied into buf.
 */
bool gtm_webhook_take_error(char *buf, size_t len);
