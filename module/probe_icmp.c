/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * ICMP check through an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP
 * or IPPROTO_ICMPV6), so knotd needs no capability; the kernel allows it
 * to the groups in net.ipv4.ping_group_range (for both families).
 *
 * All echo requests are sent at once with consecutive sequence numbers and
 * a random cookie as payload; the kernel sets the echo id to the socket's
 * ident and delivers only replies carrying it. A reply counts when its
 * type, code, id, sequence (not seen yet) and cookie match. The probe ends
 * when every request is answered or success is out of reach, otherwise at
 * the deadline
 * (gtm_probe_abort() -> gtm_probe_icmp_result()).
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "probe_int.h"

#define ECHO_HDR	8
#define ECHO_LEN	(ECHO_HDR + 8)
#define ECHO_REQUEST_V4	8
#define ECHO_REPLY_V4	0
#define ECHO_REQUEST_V6	128
#define ECHO_REPLY_V6	129
/*! Most datagrams handled per readiness event. */
#define RECV_BURST	64

uint64_t gtm_probe_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int icmp_proto(int family)
{
	return (family == AF_INET6) ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

bool gtm_probe_icmp_denied(const gtm_conf_t *conf, char *msg, size_t msg_len)
{
	bool icmp = false;
	for (size_t i = 0; i < conf->check_count; i++) {
		icmp = icmp || (conf->checks[i].type == GTM_CHECK_ICMP);
	}
	if (!icmp) {
		return false;
	}

	/* One sysctl governs both families; IPv4 is always compiled in. */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd >= 0) {
		(void)close(fd);
		return false;
	}
	if (errno != EACCES && errno != EPERM) {
		return false; /* Reported by each probe. */
	}
	unsigned gid = getegid();
	(void)snprintf(msg, msg_len, "icmp checks need unprivileged ping sockets, not "
	               "permitted for group %u: sysctl -w net.ipv4.ping_group_range=\"%u %u\" "
	               "(or a range including it)", gid, gid, gid);
	return true;
}

/*
 * Reason of a socket or send error of a ping socket:
 *
 *   errno                               reason
 *   ----------------------------------  ----------------------------------------
 *   EACCES, EPERM (socket)              "icmp not permitted (net.ipv4.ping_group_range)"
 *   EPROTONOSUPPORT, EAFNOSUPPORT,      "icmp not supported"
 *   ESOCKTNOSUPPORT (socket)
 *   EHOSTUNREACH                        "host unreachable"
 *   ENETUNREACH                         "network unreachable"
 *   other                               gtm_probe_fail_errno(step, errno)
 */
static gtm_probe_status_t icmp_fail(gtm_probe_t *p, const char *step, int err)
{
	bool sock = (strcmp(step, "socket") == 0);
	if (sock && (err == EACCES || err == EPERM)) {
		return gtm_probe_fail(p, "%s", GTM_PROBE_ICMP_DENIED);
	} else if (sock && (err == EPROTONOSUPPORT || err == EAFNOSUPPORT ||
	                    err == ESOCKTNOSUPPORT)) {
		return gtm_probe_fail(p, "icmp not supported");
	} else if (err == EHOSTUNREACH) {
		return gtm_probe_fail(p, "host unreachable");
	} else if (err == ENETUNREACH) {
		return gtm_probe_fail(p, "network unreachable");
	}
	return gtm_probe_fail_errno(p, step, err);
}

static void put16(uint8_t *dst, uint16_t val)
{
	dst[0] = val >> 8;
	dst[1] = val & 0xff;
}

static uint16_t get16(const uint8_t *src)
{
	return (uint16_t)(src[0] << 8 | src[1]);
}

/*! Learns the echo id the kernel assigned (the socket's local "port"). */
static void learn_ident(gtm_probe_t *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (p->rx.icmp.ident == 0 && getsockname(p->fd, (struct sockaddr *)&ss, &len) == 0) {
		p->rx.icmp.ident = (ss.ss_family == AF_INET6) ?
		                   ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
		                   ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
}

/*! Echo replies needed for success: packets minus the tolerated loss. */
static unsigned needed(const gtm_target_spec_t *spec)
{
	return spec->packets - (unsigned)spec->max_loss * spec->packets / 100;
}

/*
 * Verdict (replies slower than max-rtt and requests never sent count as
 * lost; success when lost * 100 <= max-loss * packets):
 *
 *   replies in time      result
 *   -------------------  ----------------------------------------------
 *   >= needed()          OK "R/N echo replied"
 *   <  needed()          FAIL "L/N echo lost", with " (K over max-rtt)"
 *                        when K late replies were among the lost
 */
gtm_probe_status_t gtm_probe_icmp_result(gtm_probe_t *p)
{
	const gtm_icmp_rx_t *rx = &p->rx.icmp;
	unsigned total = p->spec->packets;

	if (rx->ok >= needed(p->spec)) {
		gtm_probe_set_reason(p, "%u/%u echo replied", rx->ok, total);
		return gtm_probe_finish(p, GTM_PROBE_OK);
	}
	if (rx->late > 0) {
		return gtm_probe_fail(p, "%u/%u echo lost (%u over max-rtt)",
		                      total - rx->ok, total, rx->late);
	}
	return gtm_probe_fail(p, "%u/%u echo lost", total - rx->ok, total);
}

/*! Sends the requests not sent yet; would-block waits for EPOLLOUT. */
static gtm_probe_status_t send_requests(gtm_probe_t *p)
{
	gtm_icmp_rx_t *rx = &p->rx.icmp;
	bool v6 = (p->spec->addr.ss_family == AF_INET6);
	uint8_t pkt[ECHO_LEN] = { v6 ? ECHO_REQUEST_V6 : ECHO_REQUEST_V4, 0 };

	p->phase = GTM_PHASE_SEND;
	while (rx->sent < p->spec->packets) {
		/* Checksum and id are filled in by the kernel. */
		put16(pkt + 6, rx->seq_base + rx->sent);
		memcpy(pkt + ECHO_HDR, &rx->cookie, sizeof(rx->cookie));
		if (send(p->fd, pkt, sizeof(pkt), 0) < 0) {
			int err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
				p->events = EPOLLOUT;
				return GTM_PROBE_PENDING;
			}
			return icmp_fail(p, "send", err);
		}
		rx->sent_us[rx->sent++] = gtm_probe_now_us();
		learn_ident(p);
	}

	p->phase = GTM_PHASE_RECV;
	p->events = EPOLLIN;
	return GTM_PROBE_PENDING;
}

gtm_probe_status_t gtm_probe_icmp_start(gtm_probe_t *p)
{
	const gtm_target_spec_t *spec = p->spec;
	int family = spec->addr.ss_family;
	gtm_icmp_rx_t *rx = &p->rx.icmp;

	if (spec->packets == 0 || spec->packets > GTM_PROBE_ECHO_MAX) {
		return gtm_probe_fail(p, "invalid packet count");
	}
	p->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, icmp_proto(family));
	if (p->fd < 0) {
		int err = errno;
		p->fd = -1;
		return icmp_fail(p, "socket", err);
	}

	/* Port 0: ping sockets take no destination port. */
	struct sockaddr_storage dst = spec->addr;
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&dst)->sin6_port = 0;
	} else {
		((struct sockaddr_in *)&dst)->sin_port = 0;
	}
	if (connect(p->fd, (struct sockaddr *)&dst, gtm_probe_addr_len(&dst)) != 0) {
		return icmp_fail(p, "connect", errno);
	}

	uint8_t random[sizeof(rx->cookie) + sizeof(rx->seq_base)];
	if (getrandom(random, sizeof(random), GRND_NONBLOCK) != (ssize_t)sizeof(random)) {
		uint64_t t = gtm_probe_now_us() ^ (uint64_t)(uintptr_t)p;
		memcpy(random, &t, sizeof(t));
		memcpy(random + sizeof(t), &t, sizeof(rx->seq_base));
	}
	memcpy(&rx->cookie, random, sizeof(rx->cookie));
	memcpy(&rx->seq_base, random + sizeof(rx->cookie), sizeof(rx->seq_base));

	return send_requests(p);
}

/*
 * Accepts a datagram as one of our echo replies:
 *
 *   check                                       mismatch
 *   ------------------------------------------  ---------
 *   length >= header + cookie                   ignored
 *   type echo reply (0 / 129), code 0           ignored
 *   id == the socket's ident (when known)       ignored
 *   seq - seq_base < requests sent, not seen    ignored
 *   payload starts with the cookie              ignored
 *
 * An accepted reply counts as ok, or late if slower than max-rtt.
 */
void gtm_probe_icmp_take(gtm_probe_t *p, const uint8_t *data, size_t len, uint64_t now)
{
	gtm_icmp_rx_t *rx = &p->rx.icmp;
	uint8_t reply = (p->spec->addr.ss_family == AF_INET6) ? ECHO_REPLY_V6 : ECHO_REPLY_V4;

	if (len < ECHO_LEN || data[0] != reply || data[1] != 0 ||
	    (rx->ident != 0 && get16(data + 4) != rx->ident) ||
	    memcmp(data + ECHO_HDR, &rx->cookie, sizeof(rx->cookie)) != 0) {
		return;
	}
	uint16_t idx = (uint16_t)(get16(data + 6) - rx->seq_base);
	if (idx >= rx->sent || (rx->replied & (1U << idx))) {
		return;
	}
	rx->replied |= 1U << idx;

	uint64_t rtt = now - rx->sent_us[idx];
	if (p->spec->max_rtt_ms != 0 && rtt > (uint64_t)p->spec->max_rtt_ms * 1000) {
		rx->late++;
	} else {
		rx->ok++;
	}
}

/*
 * Reads replies (at most RECV_BURST per call, the rest on the next event):
 *
 *   recv()                  result
 *   ----------------------  ------------------------------------------------
 *   would block             PENDING
 *   error                   FAIL, icmp_fail("recv") (e.g. "host unreachable")
 *   datagram                gtm_probe_icmp_take(); then the result once no
 *                           reply can change it: every request answered, or
 *                           too many late replies to succeed
 *
 * Otherwise the probe waits for the missing replies until the deadline.
 */
static gtm_probe_status_t recv_replies(gtm_probe_t *p)
{
	gtm_icmp_rx_t *rx = &p->rx.icmp;
	uint8_t data[256];

	for (int i = 0; i < RECV_BURST; i++) {
		ssize_t got = recv(p->fd, data, sizeof(data), 0);
		if (got < 0) {
			int err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
				break;
			}
			return icmp_fail(p, "recv", err);
		}
		gtm_probe_icmp_take(p, data, got, gtm_probe_now_us());
		if (rx->ok + rx->late == p->spec->packets ||
		    (unsigned)(p->spec->packets - rx->late) < needed(p->spec)) {
			return gtm_probe_icmp_result(p);
		}
	}
	p->events = EPOLLIN;
	return GTM_PROBE_PENDING;
}

gtm_probe_status_t gtm_probe_icmp_io(gtm_probe_t *p, uint32_t events)
{
	(void)events;
	if (p->phase == GTM_PHASE_SEND) {
		gtm_probe_status_t status = send_requests(p);
		if (status != GTM_PROBE_PENDING || p->phase == GTM_PHASE_SEND) {
			return status;
		}
	}
	return recv_replies(p);
}
