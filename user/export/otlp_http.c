// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "clock.h"
#include "otlp_http.h"

/* A batch the collector could not take is tried again, the queue waiting
 * behind it, for up to RETRY_FOR_NS (the collector's own retry_on_failure
 * default); then it is given up, counted. */
#define RETRY_FOR_NS (300 * 1000000000ULL)
#define BACKOFF_FIRST_MS 200	 /* doubled at each retry */
#define BACKOFF_MAX_MS 5000

struct batch {
	struct batch *next;
	uint8_t *buf;
	size_t len;
	uint64_t items;
};

struct otlp_http {
	char *url;
	CURL *curl;
	struct curl_slist *headers;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct batch *head, *tail;
	size_t queued_bytes, queue_bytes;
	bool closing;
	uint64_t flush_until_ns; /* closing: retries stop here */
	struct otlp_http_stats st;
	/* OTLP/gRPC: HTTP/2, a framed message, the answer in grpc-status */
	bool grpc;
	int grpc_status; /* -1: not seen */
	char grpc_message[96];
};

/* grpc-status and grpc-message, in the headers or the trailers */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct otlp_http *h = ctx;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(p, "grpc-status:", 12))
		h->grpc_status = atoi(p + 12);
	else if (len > 13 && !strncasecmp(p, "grpc-message:", 13))
		snprintf(h->grpc_message, sizeof(h->grpc_message), "%.*s",
			 (int)strcspn(p + 13, "\r\n"), p + 13 + strspn(p + 13, " "));
	return len;
}

/* gRPC status codes worth another try (the OTLP specification's list) */
static bool grpc_retryable(int code)
{
	return code == 1 || code == 4 || code == 8 || code == 10 || code == 11 || code == 14 ||
	       code == 15;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static void unsupported(struct otlp_http *h)
{
	pthread_mutex_lock(&h->lock);
	h->st.unsupported = true;
	pthread_mutex_unlock(&h->lock);
}

/* 0 taken; 1 worth another try (no answer, throttled, unavailable); -1 refused */
static int post(struct otlp_http *h, const struct batch *b, char *why, size_t len)
{
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)b->buf);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	h->grpc_status = -1;
	h->grpc_message[0] = 0;
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	pthread_mutex_lock(&h->lock);
	h->st.last_status = (int)status;
	pthread_mutex_unlock(&h->lock);
	if (h->grpc && status == 200) {
		if (!h->grpc_status)
			return 0;
		snprintf(why, len, "grpc-status %d%s%s", h->grpc_status,
			 h->grpc_message[0] ? ": " : "", h->grpc_message);
		if (h->grpc_status == 12) /* UNIMPLEMENTED: no such service */
			unsupported(h);
		return h->grpc_status < 0 || grpc_retryable(h->grpc_status) ? 1 : -1;
	}
	if (!h->grpc && status >= 200 && status < 300)
		return 0;
	snprintf(why, len, "HTTP %ld", status);
	if (!h->grpc && status == 404) /* no such path: the signal is not served */
		unsupported(h);
	/* the retryable statuses of the OTLP/HTTP specification */
	return status == 429 || status == 502 || status == 503 || status == 504 ? 1 : -1;
}

static void sleep_ms(struct otlp_http *h, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->lock);
	/* a push wakes us too: only closing cuts the wait short */
	while (!h->closing && pthread_cond_timedwait(&h->wake, &h->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&h->lock);
}

static void send_one(struct otlp_http *h, struct batch *b)
{
	unsigned backoff = BACKOFF_FIRST_MS;
	uint64_t until = mono_ns() + RETRY_FOR_NS;
	char why[128] = "";
	int rc = 1;

	for (int i = 0; rc > 0 && mono_ns() < until; i++) {
		if (i) {
			pthread_mutex_lock(&h->lock);
			h->st.retries++;
			pthread_mutex_unlock(&h->lock);
			sleep_ms(h, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		}
		rc = post(h, b, why, sizeof(why));
		if (rc > 0 && h->closing && mono_ns() >= h->flush_until_ns)
			break;
	}
	pthread_mutex_lock(&h->lock);
	if (!rc) {
		h->st.sent++;
		h->st.sent_items += b->items;
	} else {
		h->st.failed++;
		h->st.failed_items += b->items;
		snprintf(h->st.last_error, sizeof(h->st.last_error), "%s", why);
	}
	pthread_mutex_unlock(&h->lock);
}

static void *run(void *arg)
{
	struct otlp_http *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		struct batch *b = h->head;

		if (!b) {
			if (h->closing)
				break;
			pthread_cond_wait(&h->wake, &h->lock);
			continue;
		}
		if (h->closing && mono_ns() >= h->flush_until_ns)
			break; /* what is left is counted as dropped by close */
		h->head = b->next;
		if (!h->head)
			h->tail = NULL;
		h->queued_bytes -= b->len;
		pthread_mutex_unlock(&h->lock);
		send_one(h, b);
		free(b->buf);
		free(b);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct otlp_http *otlp_http__new(const char *url, bool grpc, size_t queue_bytes, char *err,
				 size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct otlp_http *h = calloc(1, sizeof(*h));

	pthread_once(&once, curl_init);
	if (!h || !(h->url = strdup(url)) || !(h->curl = curl_easy_init())) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	h->queue_bytes = queue_bytes;
	h->grpc = grpc;
	if (grpc) {
		h->headers = curl_slist_append(NULL, "Content-Type: application/grpc");
		h->headers = curl_slist_append(h->headers, "TE: trailers");
		h->headers = curl_slist_append(h->headers, "Expect:");
		curl_easy_setopt(h->curl, CURLOPT_HTTP_VERSION, strncmp(url, "https:", 6) ?
				 (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : (long)CURL_HTTP_VERSION_2TLS);
		/* a connection kept between batches failed here with libcurl 7.88
		 * ("Error in the HTTP2 framing layer"): one per batch, about one a
		 * second, costs less than a lost batch */
		curl_easy_setopt(h->curl, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
	} else {
		h->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	}
	curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "weft");
	pthread_mutex_init(&h->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* sleep_ms's deadline */
		pthread_cond_init(&h->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (pthread_create(&h->thread, NULL, run, h)) {
		snprintf(err, len, "cannot start the export thread: %s", strerror(errno));
		curl_slist_free_all(h->headers);
		goto fail;
	}
	return h;
fail:
	if (h) {
		if (h->curl)
			curl_easy_cleanup(h->curl);
		free(h->url);
		free(h);
	}
	return NULL;
}

/* gRPC's length-prefixed message: a flag (0, not compressed), the length */
static uint8_t *grpc_frame(uint8_t *buf, size_t *len)
{
	uint8_t *f = malloc(*len + 5);

	if (f) {
		f[0] = 0;
		for (int i = 0; i < 4; i++)
			f[1 + i] = (uint8_t)(*len >> (24 - 8 * i));
		memcpy(f + 5, buf, *len);
		*len += 5;
	}
	free(buf);
	return f;
}

int otlp_http__push(struct otlp_http *h, uint8_t *buf, size_t len, uint64_t items)
{
	struct batch *b;
	int rc = -1;

	if (h->grpc && !(buf = grpc_frame(buf, &len))) {
		pthread_mutex_lock(&h->lock);
		h->st.dropped++;
		h->st.dropped_items += items;
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	b = malloc(sizeof(*b));

	pthread_mutex_lock(&h->lock);
	if (b && !h->closing && h->queued_bytes + len <= h->queue_bytes) {
		*b = (struct batch){ NULL, buf, len, items };
		if (h->tail)
			h->tail->next = b;
		else
			h->head = b;
		h->tail = b;
		h->queued_bytes += len;
		pthread_cond_signal(&h->wake);
		rc = 0;
	} else {
		h->st.dropped++;
		h->st.dropped_items += items;
	}
	pthread_mutex_unlock(&h->lock);
	if (rc) {
		free(b);
		free(buf);
	}
	return rc;
}

void otlp_http__stats(struct otlp_http *h, struct otlp_http_stats *st)
{
	pthread_mutex_lock(&h->lock);
	*st = h->st;
	pthread_mutex_unlock(&h->lock);
}

void otlp_http__close(struct otlp_http *h, unsigned flush_ms, struct otlp_http_stats *st)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = true;
	h->flush_until_ns = mono_ns() + (uint64_t)flush_ms * 1000000ULL;
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	while (h->head) {
		struct batch *b = h->head;

		h->head = b->next;
		h->st.dropped++;
		h->st.dropped_items += b->items;
		free(b->buf);
		free(b);
	}
	if (st)
		*st = h->st;
	curl_slist_free_all(h->headers);
	curl_easy_cleanup(h->curl);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->wake);
	free(h->url);
	free(h);
}

static bool http_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* The signal's version: profiles are still v1development */
static const char *signal_version(const char *signal)
{
	return strcmp(signal, "profiles") ? "v1" : "v1development";
}

/* The gRPC service: "trace.v1.TraceService", "metrics.v1.MetricsService",
 * "profiles.v1development.ProfilesService" */
static void service(const char *signal, char *out, size_t len)
{
	bool traces = !strcmp(signal, "traces");

	snprintf(out, len, "%s.%s.%c%sService", traces ? "trace" : signal, signal_version(signal),
		 signal[0] - 'a' + 'A', traces ? "race" : signal + 1);
}

int otlp_http__url(const char *flag, const char *flag_proto, const char *signal, char *url,
		   size_t len, bool *grpc, char *err, size_t errlen)
{
	char var[64], up[16], svc[64];
	const char *proto, *own, *base = flag && *flag ? flag : getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	const char *from;
	size_t i, n;

	for (i = 0; signal[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)(signal[i] - 'a' + 'A');
	up[i] = 0;
	snprintf(var, sizeof(var), "OTEL_EXPORTER_OTLP_%s_PROTOCOL", up);
	proto = flag_proto && *flag_proto ? flag_proto : getenv(var);
	if (!proto || !*proto)
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL");
	if (!proto || !*proto)
		proto = "http/protobuf";
	if (strcmp(proto, "http/protobuf") && strcmp(proto, "grpc")) {
		snprintf(err, errlen, "OTLP protocol '%s': weft speaks http/protobuf (port 4318) "
			 "and grpc (port 4317)", proto);
		return -1;
	}
	*grpc = !strcmp(proto, "grpc");
	snprintf(var, sizeof(var), "OTEL_EXPORTER_OTLP_%s_ENDPOINT", up);
	own = getenv(var);
	if (!(flag && *flag) && own && *own) {
		from = var;
		base = own;
	} else if (base && *base) {
		from = flag && *flag ? "--otlp" : "OTEL_EXPORTER_OTLP_ENDPOINT";
		own = NULL;
	} else {
		from = "the default";
		base = *grpc ? "http://localhost:4317" : "http://localhost:4318";
		own = NULL;
	}
	n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	service(signal, svc, sizeof(svc));
	if (*grpc) /* the endpoint is the server; the method is the path */
		snprintf(url, len, "%.*s/opentelemetry.proto.collector.%s/Export", (int)n, base, svc);
	else if (own) /* the signal's own: as is */
		snprintf(url, len, "%s", own);
	else
		snprintf(url, len, "%.*s/%s/%s", (int)n, base, signal_version(signal), signal);
	if (!http_url(url)) {
		snprintf(err, errlen, "%s '%s': not an http:// or https:// URL (e.g. "
			 "http://collector:%s)", from, base, *grpc ? "4317" : "4318");
		return -1;
	}
	return 0;
}
