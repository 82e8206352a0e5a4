/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * Recording stand-ins for what the registry calls outside the registry
 * (webhook, watchdog, the instances' name evaluation, module statistics),
 * so that the registry and the prober run in a unit test. Each records
 * what it was given; the tests assert on the records.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#include "ops.h"

/*! Events given to gtm_webhook_event(), one "EVENT SUBJECT STATE" per line. */
bool test_hook_has(const char *text);
unsigned test_hook_count(const char *text);
void test_hook_clear(void);

/*! Last gtm_watchdog_set() threshold (0: never called). */
uint32_t test_watchdog_after(void);

/*!
 * Names reported by gtm_tables_eval(): one name "x." of zone "." family
 * "A", all down when the given slot is DOWN in the view (answer "192.0.2.1"
 * otherwise). UINT32_MAX: no names.
 */
void test_eval_slot(uint32_t slot);

/*! knotd_mod_stats_incr() calls for an instance, counter and index. */
uint64_t test_stats(knotd_mod_t *mod, uint32_t ctr, uint32_t idx);
