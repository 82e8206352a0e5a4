/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "policy.h"

gtm_health_t gtm_policy_health(const uint8_t *state, size_t state_count,
                               uint32_t slot)
{
	if (slot == GTM_SLOT_NONE) {
		return GTM_HEALTH_UP;
	}
	if (state == NULL || slot >= state_count) {
		return GTM_HEALTH_UNKNOWN;
	}
	return (gtm_health_t)state[slot];
}

gtm_select_t gtm_policy_sequence(const uint8_t *state, size_t state_count,
                                 const uint32_t *slots, size_t n, int *chosen)
{
	for (size_t i = 0; i < n; i++) {
		if (gtm_policy_health(state, state_count, slots[i]) != GTM_HEALTH_DOWN) {
			*chosen = (int)i;
			return (i == 0) ? GTM_SELECT_FIRST : GTM_SELECT_FAILOVER;
		}
	}

	*chosen = -1;
	return GTM_SELECT_ALL_DOWN;
}
