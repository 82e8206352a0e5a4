/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "probe.h"
#include "probe_int.h"

/*
 * The TCP check succeeds as soon as the three-way handshake is done. The
 * connection is closed right away with a reset, so neither side keeps
 * TIME_WAIT state and the service sees no half-open connection.
 */
gtm_probe_status_t gtm_probe_tcp_connected(gtm_probe_t *p)
{
	gtm_probe_set_reason(p, "connected");
	return gtm_probe_finish(p, GTM_PROBE_OK);
}
