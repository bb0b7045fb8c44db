/*
 * metrics.c — Prometheus metrics over HTTP: with `metrics_listen` set, an
 * evhttp server on the daemon's event loop answers GET (and HEAD)
 * /metrics with the text of src/core/metrics_text.c; any other path is 404
 * and any other method 405. It also keeps the daemon's counters (probes,
 * notices), which exist whether or not anything is served.
 *
 * A scrape is answered at once from what the watch holds: no probe is
 * started for it. The body is built in one pass per metric family over the
 * targets, 64 KiB at a time into the reply's evbuffer, so 100,000 targets
 * cost a moment of CPU (half a second) and about 1 KiB of body per target,
 * nothing quadratic. The reply goes out in writes of up to 4 MiB (libevent's
 * default is 16 KiB per turn of the loop, which a loop busy with probes
 * and state files turns into minutes for a large body).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "metrics.h"
#include "renewd.h"
#include "util.h"

#define METRICS_PATH		"/metrics"
#define METRICS_TIMEOUT		30		/* seconds per connection */
#define METRICS_HEADERS_MAX	(16 * 1024)
#define METRICS_BODY_MAX	0		/* requests carry no body */
#define METRICS_WRITE_MAX	(4u * 1024 * 1024)	/* per loop turn */

struct metrics {
	struct evhttp			*http;
	struct watch			*watch;
	char				*listen;
};

/* The counters: one daemon, one set (they outlive reloads). */
static struct {
	uint64_t	 probes[2];
	uint64_t	 notices[NOTICE_KIND_COUNT][2];
	size_t		(*queue_length)(void *);
	void		*queue_arg;
} metrics_counters;

void
metrics_count_probe(int ok)
{
	metrics_counters.probes[ok ? METRICS_OK : METRICS_FAILED]++;
}

void
metrics_count_notice(enum notice_kind kind, int sent)
{
	if ((size_t)kind >= NOTICE_KIND_COUNT)
		return;
	metrics_counters.notices[kind][sent ? METRICS_OK : METRICS_FAILED]++;
}

void
metrics_set_mail_queue(size_t (*fn)(void *), void *arg)
{
	metrics_counters.queue_length = fn;
	metrics_counters.queue_arg = arg;
}

static void
metrics_to_evbuffer(const char *data, size_t len, void *arg)
{
	struct evbuffer *body = arg;

	if (evbuffer_add(body, data, len) == -1)
		fatalx("%s: evbuffer_add", __func__);
}

/* The whole exposition, appended to `body`. */
static void
metrics_build(const struct metrics *m, struct evbuffer *body)
{
	struct metrics_global g;
	struct metrics_target *targets;
	struct metrics_probe *probes;
	size_t n = watch_ntargets(m->watch);
	struct buf b = { 0 };
	time_t now = time(NULL);

	memset(&g, 0, sizeof(g));
	g.version = RENEWD_VERSION;
	memcpy(g.probes, metrics_counters.probes, sizeof(g.probes));
	memcpy(g.notices, metrics_counters.notices, sizeof(g.notices));
	if (metrics_counters.queue_length != NULL)
		g.mail_queue_length =
		    metrics_counters.queue_length(metrics_counters.queue_arg);

	targets = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*targets));
	/* A successful last probe is kept once, as the observation: its
	 * figures are made for this page only. */
	probes = xcalloc(n > 0 ? n : 1, sizeof(*probes));
	for (size_t i = 0; i < n; i++) {
		struct watch_view v;

		watch_view(m->watch, i, &v);
		if (v.probe == NULL && v.probe_result != NULL) {
			metrics_probe_from_result(&probes[i], v.probe_result);
			v.probe = &probes[i];
		}
		metrics_target_fill(&targets[i], v.tc, v.rules, v.st,
		    v.probe, now);
	}
	metrics_render(&b, &g, targets, n, metrics_to_evbuffer, body);
	buf_free(&b);
	for (size_t i = 0; i < n; i++)
		metrics_probe_free(&probes[i]);
	free(probes);
	free(targets);
}

static void
metrics_error(struct evhttp_request *req, int code, const char *reason)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body;

	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, code, reason);
		return;
	}
	if (code == 405)
		(void)evhttp_add_header(h, "Allow", "GET, HEAD");
	(void)evhttp_add_header(h, "Content-Type",
	    "text/plain; charset=utf-8");
	(void)evbuffer_add_printf(body, "%d %s\n", code, reason);
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

static void
metrics_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct evbuffer *body;
	struct timespec t0, t1;

	if (path == NULL || strcmp(path, METRICS_PATH) != 0) {
		metrics_error(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		metrics_error(req, 405, "Method Not Allowed");
		return;
	}
	if ((body = evbuffer_new()) == NULL) {
		log_warnx("%s: out of memory", __func__);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	metrics_build(m, body);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("metrics: %zu bytes for %zu targets in %.3fs",
	    evbuffer_get_length(body), watch_ntargets(m->watch),
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if ((evcon = evhttp_request_get_connection(req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(evcon)) != NULL &&
	    bufferevent_set_max_single_write(bev, METRICS_WRITE_MAX) == -1)
		log_debug("%s: cannot raise the write size", __func__);
	if (evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICS_CONTENT_TYPE) == -1)
		log_warnx("%s: cannot add a header", __func__);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

struct metrics *
metrics_new(struct event_base *base, const char *listen, struct watch *watch)
{
	struct metrics *m;
	char host[64];
	uint16_t port;

	if (parse_hostport(listen, 0, host, sizeof(host), &port) == -1) {
		log_warnx("metrics_listen: %s is not ip:port", listen);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->watch = watch;
	m->listen = xstrdup(listen);
	if ((m->http = evhttp_new(base)) == NULL) {
		log_warnx("%s: cannot make the HTTP server", __func__);
		metrics_free(m);
		return NULL;
	}
	/* Every method reaches metrics_request, which answers 405 itself. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT);
	evhttp_set_max_headers_size(m->http, METRICS_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, METRICS_BODY_MAX);
	evhttp_set_gencb(m->http, metrics_request, m);
	if (evhttp_bind_socket_with_handle(m->http, host, port) == NULL) {
		log_warn("metrics_listen: cannot listen on %s", listen);
		metrics_free(m);
		return NULL;
	}
	log_info("serving metrics on http://%s%s", listen, METRICS_PATH);
	return m;
}

void
metrics_reload(const struct config *old, const struct config *cfg)
{
	const char *a = old->metrics_listen, *b = cfg->metrics_listen;

	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		log_warnx("metrics_listen: a change takes effect at the next "
		    "start (still %s)", a != NULL ? a : "off");
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m->listen);
	free(m);
}
