/*  Copyright (C) 2026 knot-gtm authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Alert webhook: a ring buffer of JSON bodies under a mutex and a
 *        thread of its own POSTing them with one reused libcurl handle.
 *
 * The thread never calls knotd and needs no RCU; all signals are blocked in
 * it. The lock is never held during a request, so queuing an event only
 * waits for a few pointer moves. A stop interrupts a back-off at once (the
 * condition variable) and a request in flight within about a second (the
 * libcurl progress callback).
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <libknot/libknot.h>

#include "webhook.h"

/*! Retries after the first attempt. */
#define RETRIES		3
/*! Back-off before the first retry, doubled before each next one. */
#define BACKOFF_MS	1000
/*! Per-attempt timeout when none is given. */
#define DEFAULT_TIMEOUT_MS	5000
/*! Size of the kept error text. */
#define ERROR_LEN	512

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_ret;

/*! Serializes start and stop (never taken by the thread or by events). */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	pthread_mutex_t lock;      /*!< Protects everything below but ctl state. */
	pthread_cond_t cond;       /*!< New event or stop (CLOCK_MONOTONIC). */
	atomic_bool stop;          /*!< Thread asked to stop. */
	bool running;              /*!< Thread exists (accepting events). */
	char *queue[GTM_WEBHOOK_QUEUE]; /*!< Ring buffer of JSON bodies. */
	size_t head;               /*!< Oldest body. */
	size_t count;              /*!< Bodies queued. */
	gtm_webhook_stats_t stats;
	char error[ERROR_LEN];     /*!< Last delivery error. */
	bool error_new;            /*!< Not taken yet. */

	/* Set by start while no thread runs, then owned by the thread. */
	pthread_t thread;
	CURL *curl;
	struct curl_slist *headers;
	char *url;                 /*!< As configured. */
	char *url_log;             /*!< Without user information. */
	uint32_t timeout_ms;
} wh = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void global_init(void)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wh.cond, &attr);
	pthread_condattr_destroy(&attr);

	curl_init_ret = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* JSON string escaping. */

/*! Length of the well-formed UTF-8 sequence at s (0: invalid byte). */
static size_t utf8_len(const unsigned char *s)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80) {
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) { /* Stops at the NUL terminator. */
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		return 0;
	}
	return len;
}

/*
 * One byte (sequence) of a string into JSON:
 *   '"' '\\'                 -> backslash escape
 *   \b \f \n \r \t           -> their short escapes
 *   other bytes < 0x20       -> \u00XX
 *   well-formed UTF-8        -> copied
 *   any other byte           -> \ufffd (the body stays valid JSON)
 * At most 6 output bytes per input byte.
 */
static char *put_string(char *out, const char *text)
{
	*out++ = '"';
	const unsigned char *s = (const unsigned char *)text;
	while (*s != '\0') {
		char esc = '\0';
		switch (*s) {
		case '"':  esc = '"';  break;
		case '\\': esc = '\\'; break;
		case '\b': esc = 'b';  break;
		case '\f': esc = 'f';  break;
		case '\n': esc = 'n';  break;
		case '\r': esc = 'r';  break;
		case '\t': esc = 't';  break;
		}
		size_t len = (*s < 0x20) ? 1 : utf8_len(s);
		if (esc != '\0') {
			*out++ = '\\';
			*out++ = esc;
		} else if (*s < 0x20) {
			out += sprintf(out, "\\u%04x", *s);
		} else if (len == 0) {
			out += sprintf(out, "\\ufffd");
			len = 1;
		} else {
			memcpy(out, s, len);
			out += len;
		}
		s += len;
	}
	*out++ = '"';
	return out;
}

static char *put_member(char *out, const char *key, const char *value)
{
	if (key == NULL || value == NULL) {
		return out;
	}
	out += sprintf(out, ", ");
	out = put_string(out, key);
	out += sprintf(out, ": ");
	return put_string(out, value);
}

static size_t json_size(const char *text)
{
	return (text != NULL) ? 6 * strlen(text) + 8 : 0;
}

/*! The JSON body of an event (members in the order of webhook.h). */
static char *event_json(const char *event, const char *subject_key,
                        const char *subject, const char *state,
                        const char *reason)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);

	/* Members and keys escaped, separators and the time in the slack. */
	size_t size = 128 + json_size(event) + json_size(subject_key) +
	              json_size(subject) + json_size(state) + json_size(reason) +
	              json_size("event") + json_size("state") + json_size("reason");
	char *body = malloc(size);
	if (body == NULL) {
		return NULL;
	}
	char *out = body;
	*out++ = '{';
	if (event != NULL) {
		out = put_string(out, "event");
		out += sprintf(out, ": ");
		out = put_string(out, event);
		out += sprintf(out, ", ");
	}
	out += sprintf(out, "\"time\": %llu.%03ld", (unsigned long long)ts.tv_sec,
	               ts.tv_nsec / 1000000);
	out = put_member(out, (subject != NULL) ? subject_key : NULL, subject);
	out = put_member(out, "state", state);
	out = put_member(out, "reason", reason);
	*out++ = '}';
	*out = '\0';
	return body;
}

/* Queue (wh.lock held). */

static void queue_push(char *body)
{
	if (wh.count == GTM_WEBHOOK_QUEUE) {
		free(wh.queue[wh.head]);
		wh.queue[wh.head] = NULL;
		wh.head = (wh.head + 1) % GTM_WEBHOOK_QUEUE;
		wh.count--;
		wh.stats.dropped++;
	}
	wh.queue[(wh.head + wh.count) % GTM_WEBHOOK_QUEUE] = body;
	wh.count++;
}

static char *queue_pop(void)
{
	char *body = wh.queue[wh.head];
	wh.queue[wh.head] = NULL;
	wh.head = (wh.head + 1) % GTM_WEBHOOK_QUEUE;
	wh.count--;
	return body;
}

static void queue_clear(void)
{
	while (wh.count > 0) {
		free(queue_pop());
	}
	wh.head = 0;
}

/* Delivery (webhook thread, no lock held). */

static size_t discard_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * nmemb;
}

static int check_stop(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
                      curl_off_t ultotal, curl_off_t ulnow)
{
	(void)ctx;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&wh.stop) ? 1 : 0;
}

/*
 * One POST:
 *   transfer error (timeout, refused, TLS...)  -> false, "URL: curl error"
 *   HTTP status outside 200-299               -> false, "URL: HTTP NNN"
 *   HTTP 2xx                                  -> true
 */
static bool post_once(const char *body, char *err, size_t err_len)
{
	curl_easy_setopt(wh.curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(wh.curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	CURLcode ret = curl_easy_perform(wh.curl);
	if (ret != CURLE_OK) {
		snprintf(err, err_len, "webhook %s: %s", wh.url_log,
		         curl_easy_strerror(ret));
		return false;
	}
	long code = 0;
	curl_easy_getinfo(wh.curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(err, err_len, "webhook %s: HTTP %ld", wh.url_log, code);
		return false;
	}
	return true;
}

/*! Waits for a back-off; false if stopped meanwhile. */
static bool backoff(uint32_t ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&wh.lock);
	while (!atomic_load(&wh.stop)) {
		if (pthread_cond_timedwait(&wh.cond, &wh.lock, &deadline) == ETIMEDOUT) {
			break;
		}
	}
	bool stopped = atomic_load(&wh.stop);
	pthread_mutex_unlock(&wh.lock);
	return !stopped;
}

/*! First attempt and up to RETRIES more after 1 s, 2 s, 4 s. */
static bool deliver(const char *body, char *err, size_t err_len)
{
	for (unsigned attempt = 0; !atomic_load(&wh.stop); attempt++) {
		if (post_once(body, err, err_len)) {
			return true;
		}
		if (attempt == RETRIES || !backoff(BACKOFF_MS << attempt)) {
			break;
		}
	}
	return false;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "gtm-webhook");
	pthread_mutex_lock(&wh.lock);
	while (!atomic_load(&wh.stop)) {
		if (wh.count == 0) {
			pthread_cond_wait(&wh.cond, &wh.lock);
			continue;
		}
		char *body = queue_pop();
		pthread_mutex_unlock(&wh.lock);

		char err[ERROR_LEN] = "";
		bool ok = deliver(body, err, sizeof(err));
		free(body);

		pthread_mutex_lock(&wh.lock);
		if (ok) {
			wh.stats.ok++;
		} else if (!atomic_load(&wh.stop)) { /* Not given up: stopped. */
			wh.stats.failed++;
			memcpy(wh.error, err, sizeof(wh.error));
			wh.error_new = true;
		}
	}
	pthread_mutex_unlock(&wh.lock);
	return NULL;
}

/* Control. */

/*! The URL without "user:password@" (for error texts). */
static char *url_for_log(const char *url)
{
	const char *auth = strstr(url, "://");
	auth = (auth != NULL) ? auth + 3 : url;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = memrchr(auth, '@', auth_len);
	if (at == NULL) {
		return strdup(url);
	}
	size_t head = auth - url;
	char *copy = malloc(strlen(url) + 1);
	if (copy != NULL) {
		memcpy(copy, url, head);
		strcpy(copy + head, at + 1);
	}
	return copy;
}

/*! Frees the thread's resources (no thread running). */
static void release(void)
{
	curl_easy_cleanup(wh.curl);
	curl_slist_free_all(wh.headers);
	free(wh.url);
	free(wh.url_log);
	wh.curl = NULL;
	wh.headers = NULL;
	wh.url = NULL;
	wh.url_log = NULL;
	wh.timeout_ms = 0;
}

static void stop_locked(void)
{
	pthread_mutex_lock(&wh.lock);
	bool running = wh.running;
	wh.running = false; /* Events are not accepted any more. */
	atomic_store(&wh.stop, true);
	pthread_cond_broadcast(&wh.cond);
	pthread_mutex_unlock(&wh.lock);
	if (!running) {
		return;
	}

	pthread_join(wh.thread, NULL);
	pthread_mutex_lock(&wh.lock);
	queue_clear();
	pthread_mutex_unlock(&wh.lock);
	release();
}

static int setup_curl(uint32_t timeout_ms)
{
	wh.curl = curl_easy_init();
	wh.headers = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h = (wh.headers != NULL) ?
	                       curl_slist_append(wh.headers, "Expect:") : NULL;
	if (wh.curl == NULL || h == NULL) {
		return KNOT_ENOMEM;
	}
	CURL *c = wh.curl;
	if (curl_easy_setopt(c, CURLOPT_URL, wh.url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "knot-gtm-webhook") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, wh.headers) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_stop) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body) != CURLE_OK) {
		return KNOT_EINVAL;
	}
	return KNOT_EOK;
}

/*! The thread, with every signal blocked (inherited from the caller's mask). */
static int spawn(void)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int ret = pthread_create(&wh.thread, NULL, worker, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (ret == 0) ? KNOT_EOK : knot_map_errno_code(ret);
}

static bool url_valid(const char *url)
{
	return (strncasecmp(url, "http://", 7) == 0 && url[7] != '\0') ||
	       (strncasecmp(url, "https://", 8) == 0 && url[8] != '\0');
}

int gtm_webhook_start(const char *url, uint32_t timeout_ms)
{
	pthread_once(&init_once, global_init);
	if (timeout_ms == 0) {
		timeout_ms = DEFAULT_TIMEOUT_MS;
	}

	pthread_mutex_lock(&ctl_lock);
	int ret = KNOT_EOK;
	if (url != NULL && wh.url != NULL && strcmp(url, wh.url) == 0 &&
	    timeout_ms == wh.timeout_ms) {
		goto done; /* Same settings, running. */
	}
	stop_locked();
	if (url == NULL) {
		goto done;
	}
	if (!url_valid(url)) {
		ret = KNOT_EINVAL;
		goto done;
	}
	if (curl_init_ret != CURLE_OK) {
		ret = KNOT_ERROR;
		goto done;
	}

	wh.timeout_ms = timeout_ms;
	wh.url = strdup(url);
	wh.url_log = url_for_log(url);
	ret = (wh.url != NULL && wh.url_log != NULL) ? setup_curl(timeout_ms) :
	      KNOT_ENOMEM;
	if (ret != KNOT_EOK) {
		release();
		goto done;
	}

	atomic_store(&wh.stop, false);
	ret = spawn();
	if (ret != KNOT_EOK) {
		release();
		goto done;
	}
	pthread_mutex_lock(&wh.lock);
	wh.running = true;
	pthread_mutex_unlock(&wh.lock);
done:
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}

void gtm_webhook_stop(void)
{
	pthread_once(&init_once, global_init);
	pthread_mutex_lock(&ctl_lock);
	stop_locked();
	pthread_mutex_unlock(&ctl_lock);
}

void gtm_webhook_event(const char *event, const char *subject_key,
                       const char *subject, const char *state,
                       const char *reason)
{
	pthread_mutex_lock(&wh.lock);
	bool running = wh.running;
	pthread_mutex_unlock(&wh.lock);
	if (!running) {
		return; /* No webhook configured. */
	}

	char *body = event_json(event, subject_key, subject, state, reason);

	pthread_mutex_lock(&wh.lock);
	if (!wh.running) {
		free(body);
	} else if (body == NULL) {
		wh.stats.dropped++;
	} else {
		queue_push(body);
		pthread_cond_signal(&wh.cond);
	}
	pthread_mutex_unlock(&wh.lock);
}

void gtm_webhook_stats(gtm_webhook_stats_t *stats)
{
	pthread_mutex_lock(&wh.lock);
	*stats = wh.stats;
	pthread_mutex_unlock(&wh.lock);
}

bool gtm_webhook_take_error(char *buf, size_t len)
{
	pthread_mutex_lock(&wh.lock);
	bool taken = wh.error_new && buf != NULL && len > 0;
	if (taken) {
		snprintf(buf, len, "%s", wh.error);
		wh.error_new = false;
	}
	pthread_mutex_unlock(&wh.lock);
	return taken;
}
