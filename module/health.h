/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Rise/fall health state machine of one target (pure, clock injected).
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

/*! Health of a target as seen by the query path. */
typedef enum {
	GTM_HEALTH_UNKNOWN = 0, /*!< No result yet: answered as if up. */
	GTM_HEALTH_UP      = 1, /*!< Healthy. */
	GTM_HEALTH_DOWN    = 2, /*!< Unhealthy. */
} gtm_health_t;

/*! State machine of one target. */
typedef struct {
	gtm_health_t state;  /*!< Current state. */
	uint16_t ok_run;     /*!< Consecutive successes. */
	uint16_t fail_run;   /*!< Consecutive failures. */
	uint64_t since_ms;   /*!< Time of the last state change. */
} gtm_health_sm_t;

/*!
 * Feeds one probe result into the state machine.
 *
 * Truth table (state, result -> new state):
 *   UNKNOWN, ok                      -> UP   (first result decides at once)
 *   UNKNOWN, fail                    -> DOWN (first result decides at once)
 *   UP,      ok                      -> UP
 *   UP,      fail, fail_run <  fall  -> UP
 *   UP,      fail, fail_run >= fall  -> DOWN
 *   DOWN,    fail                    -> DOWN
 *   DOWN,    ok,   ok_run   <  rise  -> DOWN
 *   DOWN,    ok,   ok_run   >= rise  -> UP
 * A success resets fail_run, a failure resets ok_run (counts saturate).
 *
 * \param[in,out] sm      State machine.
 * \param[in]     ok      Probe result.
 * \param[in]     rise    Successes needed to come up (>= 1).
 * \param[in]     fall    Failures needed to go down (>= 1).
 * \param[in]     now_ms  Current time (monotonic milliseconds).
 *
 * \return True if the state changed.
 */
bool gtm_health_sm_update(gtm_health_sm_t *sm, bool ok, uint16_t rise,
                          uint16_t fall, uint64_t now_ms);

/*! Lower-case name of a health state ("unknown", "up", "down"). */
const char *gtm_health_str(gtm_health_t state);
