/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Helpers of the probe unit tests: sockets, a probe driver, specs.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe.h"

/*! Default probe time limit in the tests. */
#define TEST_TIMEOUT_MS		400
/*! Time limit of server side socket operations. */
#define TEST_SERVER_WAIT_MS	2000

/*! Monotonic milliseconds. */
int64_t test_now_ms(void);

/*! Sleeps (restarts on EINTR). */
void test_sleep_ms(int ms);

/*! Number of open descriptors of the process. */
int test_count_fds(void);

/*! Test setup: remembers the number of open descriptors. */
int test_fds_setup(void **state);

/*! Test teardown: fails if the number of open descriptors has changed. */
int test_fds_teardown(void **state);

/*! A cmocka test with a check that it leaks no descriptors. */
#define TEST_FDS_CHECKED(f) \
	cmocka_unit_test_setup_teardown(f, test_fds_setup, test_fds_teardown)

/*! Loopback address of the family with a port. */
void test_loopback(int family, uint16_t port, struct sockaddr_storage *ss);

/*! Port of an address (host order). */
uint16_t test_port(const struct sockaddr_storage *ss);

/*! Listening TCP socket on a loopback ephemeral port (ss gets the address). */
int test_listen(int family, struct sockaddr_storage *ss, int backlog);

/*! TCP listener at a given address and port (0: any; SO_REUSEADDR, so a
 *  port can be listened on again), ss updated with the bound port. */
int test_listen_at(struct sockaddr_storage *ss);

/*! Bound UDP socket on a loopback ephemeral port (ss gets the address). */
int test_udp(int family, struct sockaddr_storage *ss);

/*! Accepts one connection within TEST_SERVER_WAIT_MS (-1 if none). */
int test_accept(int lfd);

/*! Reads an HTTP request head (until an empty line) into buf (NUL terminated). */
size_t test_read_request(int fd, char *buf, size_t size);

/*! Sends all bytes (blocking); false on error. */
bool test_send_all(int fd, const void *data, size_t len);

/*! A specification of the type with test defaults (timeouts, HTTP range). */
void test_spec(gtm_target_spec_t *spec, gtm_check_type_t type,
               const struct sockaddr_storage *addr);

/*!
 * Runs a probe to the end with epoll, like the prober: registered again
 * when p->events or p->fd changes; edge-triggered if asked (a probe that
 * does not drain its socket then stalls and times out).
 */
gtm_probe_status_t test_drive(gtm_probe_t *p, const gtm_target_spec_t *spec,
                              int timeout_ms, bool edge);
