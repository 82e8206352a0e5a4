/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * ICMP checks. Reply matching and the verdict are tested on crafted
 * datagrams; real ping sockets in a private network namespace (this test
 * process unshares one when it runs as root; the host's sysctls are never
 * touched), where ping_group_range and echo_ignore_all can be set.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "probe.h"
#include "probe_int.h"
#include "test_probe_util.h"

static bool in_netns;

static bool write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	bool ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok;
}

/* A private network namespace with lo up and ping sockets allowed. */
static int netns_setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		return 0;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { .ifr_name = "lo" };
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
		return -1;
	}
	close(fd);
	in_netns = write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
	return in_netns ? 0 : -1;
}

/* A probe in the receive phase with 3 requests sent at time 0. */
static void prepared(gtm_probe_t *p, gtm_target_spec_t *spec, int family)
{
	struct sockaddr_storage ss;
	test_loopback(family, 0, &ss);
	test_spec(spec, GTM_CHECK_ICMP, &ss);
	memset(p, 0, sizeof(*p));
	p->spec = spec;
	p->fd = -1;
	p->phase = GTM_PHASE_RECV;
	p->rx.icmp.cookie = 0x0123456789abcdefULL;
	p->rx.icmp.ident = 0x4242;
	p->rx.icmp.seq_base = 65534; /* Sequences wrap: 65534, 65535, 0. */
	p->rx.icmp.sent = 3;
}

static size_t reply(uint8_t *out, uint8_t type, uint16_t id, uint16_t seq, uint64_t cookie)
{
	out[0] = type;
	out[1] = 0;
	out[2] = out[3] = 0;
	out[4] = id >> 8;
	out[5] = id & 0xff;
	out[6] = seq >> 8;
	out[7] = seq & 0xff;
	memcpy(out + 8, &cookie, sizeof(cookie));
	return 16;
}

static void test_reply_matching(void **state)
{
	(void)state;
	gtm_target_spec_t spec;
	gtm_probe_t p;
	uint8_t pkt[64];
	uint64_t c = 0x0123456789abcdefULL;

	prepared(&p, &spec, AF_INET);
	/* Not ours: request type, v6 reply type, code, id, cookie, sequence, short. */
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 8, 0x4242, 65534, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 129, 0x4242, 65534, c), 10);
	reply(pkt, 0, 0x4242, 65534, c);
	pkt[1] = 1;
	gtm_probe_icmp_take(&p, pkt, 16, 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4243, 65534, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65534, c + 1), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 1, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65533, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65534, c) - 1, 10);
	assert_int_equal(p.rx.icmp.ok + p.rx.icmp.late, 0);

	/* Ours, once each; the one after the wrap too. */
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65534, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65534, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 0, c), 10);
	assert_int_equal(p.rx.icmp.ok, 2);
	assert_int_equal(p.rx.icmp.replied, 0x5);

	/* IPv6 replies are type 129. */
	prepared(&p, &spec, AF_INET6);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65535, c), 10);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 129, 0x4242, 65535, c), 10);
	assert_int_equal(p.rx.icmp.ok, 1);

	/* Slower than max-rtt: late. */
	prepared(&p, &spec, AF_INET);
	spec.max_rtt_ms = 5;
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65534, c), 5000);
	gtm_probe_icmp_take(&p, pkt, reply(pkt, 0, 0x4242, 65535, c), 5001);
	assert_int_equal(p.rx.icmp.ok, 1);
	assert_int_equal(p.rx.icmp.late, 1);
}

static void verdict(uint16_t packets, uint8_t max_loss, uint8_t ok, uint8_t late,
                    gtm_probe_status_t expected, const char *reason)
{
	gtm_target_spec_t spec;
	gtm_probe_t p;
	prepared(&p, &spec, AF_INET);
	spec.packets = packets;
	spec.max_loss = max_loss;
	p.rx.icmp.ok = ok;
	p.rx.icmp.late = late;
	gtm_probe_status_t st = gtm_probe_icmp_result(&p);
	if (st != expected || strcmp(p.reason, reason) != 0) {
		fail_msg("%u packets, %u%%, %u ok, %u late: %d '%s', expected %d '%s'",
		         packets, max_loss, ok, late, st, p.reason, expected, reason);
	}
}

static void test_verdict(void **state)
{
	(void)state;
	verdict(3, 50, 3, 0, GTM_PROBE_OK, "3/3 echo replied");
	verdict(3, 50, 2, 0, GTM_PROBE_OK, "2/3 echo replied");
	verdict(3, 50, 1, 0, GTM_PROBE_FAIL, "2/3 echo lost");
	verdict(3, 50, 0, 0, GTM_PROBE_FAIL, "3/3 echo lost");
	verdict(3, 50, 1, 2, GTM_PROBE_FAIL, "2/3 echo lost (2 over max-rtt)");
	verdict(3, 0, 2, 0, GTM_PROBE_FAIL, "1/3 echo lost");
	verdict(3, 99, 1, 0, GTM_PROBE_OK, "1/3 echo replied");
	verdict(1, 50, 0, 0, GTM_PROBE_FAIL, "1/1 echo lost");
	verdict(10, 10, 9, 0, GTM_PROBE_OK, "9/10 echo replied");
	verdict(10, 10, 8, 0, GTM_PROBE_FAIL, "2/10 echo lost");
}

static gtm_probe_status_t ping(int family, const char *addr, uint16_t packets,
                               gtm_probe_t *p)
{
	struct sockaddr_storage ss;
	gtm_target_spec_t spec;
	test_loopback(family, 0, &ss);
	if (addr != NULL) {
		assert_true(inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1);
	}
	test_spec(&spec, GTM_CHECK_ICMP, &ss);
	spec.packets = packets;
	return test_drive(p, &spec, TEST_TIMEOUT_MS, false);
}

static void test_echo(void **state)
{
	(void)state;
	gtm_probe_t p;
	if (!in_netns) {
		skip();
	}
	int fds = test_count_fds();

	assert_int_equal(ping(AF_INET, NULL, 3, &p), GTM_PROBE_OK);
	assert_string_equal(p.reason, "3/3 echo replied");
	assert_int_equal(p.rx.icmp.replied, 0x7);
	assert_int_not_equal(p.rx.icmp.ident, 0);
	assert_int_equal(ping(AF_INET6, NULL, 20, &p), GTM_PROBE_OK);
	assert_true(p.rx.icmp.ok >= 10);

	/* Nothing answers: every request lost, at the deadline. */
	assert_true(write_sysctl("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"));
	int64_t begin = test_now_ms();
	assert_int_equal(ping(AF_INET, NULL, 3, &p), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "3/3 echo lost");
	assert_true(test_now_ms() - begin >= TEST_TIMEOUT_MS - 5);
	assert_true(write_sysctl("/proc/sys/net/ipv4/icmp_echo_ignore_all", "0"));

	/* No route in the namespace. */
	assert_int_equal(ping(AF_INET, "192.0.2.1", 3, &p), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "network unreachable");

	assert_int_equal(test_count_fds(), fds);
}

/* Ping sockets not permitted: a precise reason and a load-time hint. */
static void test_denied(void **state)
{
	(void)state;
	gtm_probe_t p;
	char msg[256] = "";
	gtm_check_t check = { .type = GTM_CHECK_ICMP };
	gtm_conf_t conf = { .checks = &check, .check_count = 1 };

	if (in_netns) {
		assert_true(write_sysctl("/proc/sys/net/ipv4/ping_group_range", "1 0"));
	} else {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
		if (fd >= 0) {
			close(fd);
			skip(); /* Permitted here and no namespace of our own. */
		}
	}

	assert_int_equal(ping(AF_INET, NULL, 3, &p), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "icmp not permitted (net.ipv4.ping_group_range)");
	assert_int_equal(ping(AF_INET6, NULL, 3, &p), GTM_PROBE_FAIL);
	assert_string_equal(p.reason, "icmp not permitted (net.ipv4.ping_group_range)");

	assert_true(gtm_probe_icmp_denied(&conf, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "icmp checks need unprivileged ping sockets"));
	assert_non_null(strstr(msg, "sysctl -w net.ipv4.ping_group_range="));
	check.type = GTM_CHECK_TCP;
	assert_false(gtm_probe_icmp_denied(&conf, msg, sizeof(msg)));

	if (in_netns) {
		assert_true(write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647"));
		check.type = GTM_CHECK_ICMP;
		assert_false(gtm_probe_icmp_denied(&conf, msg, sizeof(msg)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_matching),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_denied),
	};
	return cmocka_run_group_tests(tests, netns_setup, NULL);
}
