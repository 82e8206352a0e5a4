/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The loaded name tables of every instance, for the prober's name
 *        evaluation (state file, alerts, Prometheus answers).
 */

#pragma once

#include "ops.h"
#include "table.h"

/*! Adds a built table (after gtm_table_build, registry lock not held). */
int gtm_tables_add(gtm_table_t *table);

/*! Removes a table before it is freed (registry lock not held). */
void gtm_tables_remove(gtm_table_t *table);
