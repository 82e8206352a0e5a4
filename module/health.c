/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "health.h"

static uint16_t saturating_inc(uint16_t value)
{
	return (value == UINT16_MAX) ? value : value + 1;
}

bool gtm_health_sm_update(gtm_health_sm_t *sm, bool ok, uint16_t rise,
                          uint16_t fall, uint64_t now_ms)
{
	gtm_health_t next = sm->state;

	if (ok) {
		sm->ok_run = saturating_inc(sm->ok_run);
		sm->fail_run = 0;
	} else {
		sm->fail_run = saturating_inc(sm->fail_run);
		sm->ok_run = 0;
	}

	switch (sm->state) {
	case GTM_HEALTH_UNKNOWN:
		next = ok ? GTM_HEALTH_UP : GTM_HEALTH_DOWN;
		break;
	case GTM_HEALTH_UP:
		if (!ok && sm->fail_run >= fall) {
			next = GTM_HEALTH_DOWN;
		}
		break;
	case GTM_HEALTH_DOWN:
		if (ok && sm->ok_run >= rise) {
			next = GTM_HEALTH_UP;
		}
		break;
	}

	if (next == sm->state) {
		return false;
	}
	sm->state = next;
	sm->since_ms = now_ms;
	return true;
}

const char *gtm_health_str(gtm_health_t state)
{
	switch (state) {
	case GTM_HEALTH_UP:   return "up";
	case GTM_HEALTH_DOWN: return "down";
	default:              return "unknown";
	}
}
