/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*
 * DNS check: one query (query-name, query-type, class IN, RD set, no EDNS)
 * built with libknot into p->req, sent over a connected UDP socket; a
 * truncated answer repeats it over TCP (2-byte length prefix, kept in front
 * of the query in p->req). The response, at most DNS_MAX bytes, is read
 * into p->mem and parsed with libknot; it must carry the query's id and
 * question. Then the rcode and, optionally, an answer rdata are checked.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include <libknot/libknot.h>

#include "probe.h"
#include "probe_int.h"

/*! Largest response accepted (UDP datagram or TCP message). */
#define DNS_MAX		16384
/*! TCP length prefix. */
#define PREFIX		2

static uint16_t random_id(void)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		id = (uint16_t)(ts.tv_nsec ^ ts.tv_sec);
	}
	return id;
}

/*! Builds the query into p->req + PREFIX with the TCP prefix in front. */
static int build_query(gtm_probe_t *p)
{
	const gtm_target_spec_t *spec = p->spec;
	knot_dname_storage_t qname;

	const char *name = (spec->query_name != NULL) ? spec->query_name : ".";
	if (knot_dname_from_str(qname, name, sizeof(qname)) == NULL) {
		gtm_probe_set_reason(p, "invalid query name");
		return -1;
	}
	knot_pkt_t *pkt = knot_pkt_new(p->req + PREFIX, sizeof(p->req) - PREFIX, NULL);
	if (pkt == NULL) {
		gtm_probe_set_reason(p, "out of memory");
		return -1;
	}
	p->rx.dns.id = random_id();
	knot_wire_set_id(pkt->wire, p->rx.dns.id);
	knot_wire_set_rd(pkt->wire);
	int ret = knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, spec->query_type);
	p->rx.dns.query_len = pkt->size;
	knot_pkt_free(pkt);
	if (ret != KNOT_EOK) {
		gtm_probe_set_reason(p, "invalid query");
		return -1;
	}
	p->req[0] = p->rx.dns.query_len >> 8;
	p->req[1] = p->rx.dns.query_len & 0xff;
	return 0;
}

/*! Sends the query: UDP datagram, or the prefixed query over TCP. */
static gtm_probe_status_t send_query(gtm_probe_t *p)
{
	bool tcp = p->rx.dns.tcp;
	p->phase = GTM_PHASE_SEND;

	while (p->req_sent < p->req_len) {
		const char *data = p->req + (tcp ? 0 : PREFIX) + p->req_sent;
		ssize_t sent = send(p->fd, data, p->req_len - p->req_sent, MSG_NOSIGNAL);
		if (sent < 0) {
			int err = errno;
			if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
				return gtm_probe_fail_errno(p, "send", err);
			}
			p->events = EPOLLOUT;
			return GTM_PROBE_PENDING;
		}
		/* A datagram is sent whole. */
		p->req_sent += tcp ? (size_t)sent : p->req_len;
	}

	p->phase = GTM_PHASE_RECV;
	p->events = EPOLLIN;
	p->mem_len = 0;
	return GTM_PROBE_PENDING;
}

gtm_probe_status_t gtm_probe_dns_start(gtm_probe_t *p)
{
	const struct sockaddr_storage *addr = &p->spec->addr;

	if (build_query(p) != 0 || gtm_probe_mem(p, DNS_MAX) != 0) {
		return gtm_probe_finish(p, GTM_PROBE_FAIL);
	}
	p->fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		int err = errno;
		p->fd = -1;
		return gtm_probe_fail_errno(p, "socket", err);
	}
	if (connect(p->fd, (const struct sockaddr *)addr, gtm_probe_addr_len(addr)) != 0) {
		return gtm_probe_fail_errno(p, "connect", errno);
	}
	p->req_len = p->rx.dns.query_len;
	p->req_sent = 0;
	return send_query(p);
}

gtm_probe_status_t gtm_probe_dns_connected(gtm_probe_t *p)
{
	p->req_len = PREFIX + p->rx.dns.query_len;
	p->req_sent = 0;
	return send_query(p);
}

/*! True if the response's question equals the query's. */
static bool same_question(const gtm_probe_t *p, const knot_pkt_t *resp)
{
	const uint8_t *q = (const uint8_t *)p->req + PREFIX;
	const knot_dname_t *qname = q + KNOT_WIRE_HEADER_SIZE;
	size_t qname_len = knot_dname_size(qname);
	const uint8_t *tail = qname + qname_len;

	return knot_wire_get_qdcount(resp->wire) == 1 &&
	       knot_dname_is_case_equal(knot_pkt_qname(resp), qname) &&
	       knot_pkt_qtype(resp) == (uint16_t)(tail[0] << 8 | tail[1]) &&
	       knot_pkt_qclass(resp) == KNOT_CLASS_IN;
}

/*! True if an answer record of the query type dumps to expect-answer. */
static bool has_answer(const gtm_probe_t *p, const knot_pkt_t *resp)
{
	const knot_pktsection_t *answer = knot_pkt_section(resp, KNOT_ANSWER);
	char text[1024];

	for (uint16_t i = 0; i < answer->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(answer, i);
		if (rr->type != p->spec->query_type) {
			continue;
		}
		for (uint16_t j = 0; j < rr->rrs.count; j++) {
			int len = knot_rrset_txt_dump_data(rr, j, text, sizeof(text),
			                                   &KNOT_DUMP_STYLE_DEFAULT);
			if (len > 0 && strcasecmp(text, p->spec->expect_answer) == 0) {
				return true;
			}
		}
	}
	return false;
}

/*
 * Verdict on a response message:
 *
 *   response                                  result
 *   ----------------------------------------  ------------------------------
 *   shorter than a header, id differs,        FAIL "dns bad response"
 *   QR clear
 *   TC set, over UDP                          retried over TCP
 *   unparsable, question differs              FAIL "dns bad response"
 *   rcode != expect-rcode                     FAIL "rcode NAME"
 *   expect-answer not among the answer's      FAIL "answer mismatch"
 *   records of the query type
 *   otherwise                                 OK "rcode NAME"
 */
static gtm_probe_status_t judge(gtm_probe_t *p, uint8_t *wire, size_t len)
{
	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(wire) != p->rx.dns.id ||
	    !knot_wire_get_qr(wire)) {
		return gtm_probe_fail(p, "dns bad response");
	}
	if (knot_wire_get_tc(wire) && !p->rx.dns.tcp) {
		p->rx.dns.tcp = 1;
		return gtm_probe_tcp_open(p);
	}

	knot_pkt_t *resp = knot_pkt_new(wire, len, NULL);
	if (resp == NULL) {
		return gtm_probe_fail(p, "out of memory");
	}
	int ret = knot_pkt_parse(resp, 0);
	if ((ret != KNOT_EOK && ret != KNOT_ETRAIL) || !same_question(p, resp)) {
		knot_pkt_free(resp);
		return gtm_probe_fail(p, "dns bad response");
	}

	uint16_t rcode = knot_pkt_ext_rcode(resp);
	const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, rcode);
	bool answer_ok = (p->spec->expect_answer == NULL || has_answer(p, resp));
	knot_pkt_free(resp);

	if (item != NULL) {
		gtm_probe_set_reason(p, "rcode %s", item->name);
	} else {
		gtm_probe_set_reason(p, "rcode %u", rcode);
	}
	if (rcode != p->spec->expect_rcode) {
		return gtm_probe_finish(p, GTM_PROBE_FAIL);
	}
	if (!answer_ok) {
		return gtm_probe_fail(p, "answer mismatch");
	}
	return gtm_probe_finish(p, GTM_PROBE_OK);
}

/*
 * Reads the TCP response: 2-byte length, then the message.
 *
 *   recv() / bytes so far               result
 *   ----------------------------------  ---------------------------------
 *   would block                         PENDING
 *   error                               FAIL, gtm_probe_fail_errno("recv")
 *   EOF                                 FAIL "dns connection closed"
 *   length > DNS_MAX - 2                FAIL "dns response too long"
 *   whole message                       judge()
 */
static gtm_probe_status_t recv_tcp(gtm_probe_t *p)
{
	for (;;) {
		size_t want = PREFIX;
		if (p->mem_len >= PREFIX) {
			size_t msg = (uint8_t)p->mem[0] << 8 | (uint8_t)p->mem[1];
			if (msg > p->mem_size - PREFIX) {
				return gtm_probe_fail(p, "dns response too long");
			}
			want = PREFIX + msg;
			if (p->mem_len == want) {
				return judge(p, (uint8_t *)p->mem + PREFIX, msg);
			}
		}

		ssize_t got = recv(p->fd, p->mem + p->mem_len, want - p->mem_len, 0);
		if (got < 0) {
			int err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
				p->events = EPOLLIN;
				return GTM_PROBE_PENDING;
			}
			return gtm_probe_fail_errno(p, "recv", err);
		} else if (got == 0) {
			return gtm_probe_fail(p, "dns connection closed");
		}
		p->mem_len += got;
	}
}

/*
 * Reads the UDP response (the socket is connected: only the server's
 * datagrams arrive; a port unreachable shows as ECONNREFUSED):
 *
 *   recv()                 result
 *   ---------------------  ----------------------------------------------
 *   would block            PENDING
 *   error                  FAIL, gtm_probe_fail_errno("recv")
 *   datagram > DNS_MAX     FAIL "dns response too long"
 *   datagram               judge()
 */
static gtm_probe_status_t recv_udp(gtm_probe_t *p)
{
	ssize_t got = recv(p->fd, p->mem, p->mem_size, MSG_TRUNC);
	if (got < 0) {
		int err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
			p->events = EPOLLIN;
			return GTM_PROBE_PENDING;
		}
		return gtm_probe_fail_errno(p, "recv", err);
	}
	if ((size_t)got > p->mem_size) {
		return gtm_probe_fail(p, "dns response too long");
	}
	return judge(p, (uint8_t *)p->mem, got);
}

gtm_probe_status_t gtm_probe_dns_io(gtm_probe_t *p, uint32_t events)
{
	(void)events;
	if (p->phase == GTM_PHASE_SEND) {
		gtm_probe_status_t status = send_query(p);
		if (status != GTM_PROBE_PENDING || p->phase == GTM_PHASE_SEND) {
			return status;
		}
	}
	return p->rx.dns.tcp ? recv_tcp(p) : recv_udp(p);
}
