/*
 * probe.c — the probe engine: asynchronous DNS (evdns), non-blocking
 * connect, optional STARTTLS, a TLS handshake with SNI, all on one libevent
 * loop. The served chain goes to inspect_chain(); nothing here blocks.
 *
 * A target becomes a job; its addresses become connections. Jobs wait in a
 * FIFO for a DNS slot, connections in a FIFO for a connection slot
 * (cfg->concurrency). Each connection has one deadline timer. Connect and
 * the STARTTLS exchange run on the raw non-blocking socket with one
 * read/write event; the TLS handshake then runs in an OpenSSL bufferevent
 * on that socket (libevent calls SSL_do_handshake, OpenSSL reads and writes
 * the socket itself through a socket BIO), and its one event callback,
 * conn_tls_event(), sees the handshake end either way. From then on the
 * bufferevent owns the SSL and the socket (BEV_OPT_CLOSE_ON_FREE): libevent
 * frees the SSL and closes the socket once its own events are off the
 * socket, from the loop (or in event_base_free), so a socket number is
 * never reused while an event of the old connection still watches it.
 * Results are handed back from a deferred event, never from inside
 * probe_target().
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "calendar.h"
#include "inspect.h"
#include "log.h"
#include "probe.h"
#include "starttls.h"
#include "util.h"

#ifndef PROBE_HANDSHAKE_MAX
#define PROBE_HANDSHAKE_MAX	(256 * 1024)	/* bytes read during TLS */
#endif
#define PROBE_CERT_LIST_MAX	(100 * 1024)	/* the server's Certificate
						 * message (OpenSSL's default,
						 * made explicit) */
#define PROBE_DNS_MIN		32		/* lookups in flight, at least */
#define PROBE_DNS_MAX		1024		/* ... and at most */
#define PROBE_ERRLEN		256
#define JST_OFFSET		(9 * 3600)

enum conn_phase {
	PHASE_QUEUED,
	PHASE_CONNECT,
	PHASE_STARTTLS,
	PHASE_HANDSHAKE,
	PHASE_DONE,
};

enum job_state {
	JOB_DNS_WAIT,		/* waiting for a DNS slot */
	JOB_RESOLVING,
	JOB_PROBING,		/* connections queued or running */
	JOB_DONE,		/* result ready, `done` not called yet */
};

struct probe_job;

/* One address of one target. */
struct probe_conn {
	TAILQ_ENTRY(probe_conn)	 entry;		/* engine wait or active list */
	struct probe_job	*job;
	size_t			 idx;		/* in job->res->addrs */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	enum conn_phase		 phase;
	int			 fd;		/* ours until bev exists */
	SSL			*ssl;		/* ours until bev exists */
	struct bufferevent	*bev;		/* the handshake; owns both */
	struct event		*ev;		/* readiness before TLS */
	struct event		*timer;		/* the one deadline */
	struct starttls_parser	*stls;
	size_t			 outoff;	/* STARTTLS command bytes sent */
	int			 writing;	/* a STARTTLS command is pending */
	size_t			 nread;		/* bytes read during TLS */
	int			 sockerr;	/* errno of a failed TLS read/write */
	unsigned		 problems;	/* unreachable / handshake-failed */
	int64_t			 start_ms;	/* monotonic */
};
TAILQ_HEAD(conn_list, probe_conn);

/* A resolver; replaced on reload when nameservers or hosts change. */
struct probe_dns {
	LIST_ENTRY(probe_dns)	 entry;		/* engine's retired list */
	struct evdns_base	*evdns;
	size_t			 refs;		/* lookups in flight */
	int64_t			 attempt_ms;	/* one attempt's timeout */
	int			 attempts;
};
LIST_HEAD(dns_list, probe_dns);

/* One probe of one target. */
struct probe_job {
	TAILQ_ENTRY(probe_job)	 entry;
	struct probe_engine	*engine;	/* NULL: orphaned by engine_free */
	enum job_state		 state;
	const struct target_conf *conf;
	probe_done_cb		 done;
	void			*arg;
	struct target_result	*res;
	struct probe_dns	*dns;
	struct evdns_getaddrinfo_request *req;
	int64_t			 dns_start_ms;	/* monotonic */
	struct probe_conn	*conns;
	size_t			 nconns;
	size_t			 pending;	/* connections not finished */
	int			 sni;		/* send the name as SNI */
};
TAILQ_HEAD(job_list, probe_job);

struct probe_engine {
	struct event_base	*base;
	SSL_CTX			*ctx;
	X509_STORE		*trust;

	int			 concurrency;
	size_t			 dns_max;
	int64_t			 timeout_ms;
	const struct timeval	*timeout_tv;	/* a common timeout */
	struct timeval		 timeout_plain;	/* if none could be had */
	struct strlist		 nameservers;
	char			*hosts_file;
	char			 ehlo_name[256];

	struct probe_dns	*dns;		/* current, created lazily */
	struct dns_list		 retired;	/* replaced, lookups still out */
	struct event		*reap_ev;	/* frees idle retired resolvers */

	struct job_list		 dns_wait;
	struct job_list		 resolving;
	struct job_list		 probing;
	struct job_list		 finished;
	struct conn_list	 conn_wait;
	struct conn_list	 conn_active;
	size_t			 nresolving;
	size_t			 nactive;
	size_t			 njobs;
	struct event		*done_ev;	/* hands finished jobs back */
	int			 kicking;
	int			 dns_kicking;
};

static void	 conn_start(struct probe_engine *, struct probe_conn *);
static void	 conn_io(evutil_socket_t, short, void *);
static void	 conn_finish(struct probe_conn *);
static void	 engine_kick(struct probe_engine *);
static void	 dns_kick(struct probe_engine *);
static void	 job_finish(struct probe_job *);

/* ---- small helpers ---------------------------------------------------- */

/* Milliseconds on the monotonic clock (durations only). */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "10s", "1.5s", "500ms" */
static void
format_ms(char *buf, size_t len, int64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else if (ms > 1000)
		snprintf(buf, len, "%lld.%llds", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 100));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}

/* Parse an IP literal ("192.0.2.1", "2001:db8::1", "[2001:db8::1]"). */
static int
parse_ip(const char *s, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(ss, 0, sizeof(*ss));
	if (evutil_inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		s = tmp;
	}
	if (evutil_inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int
is_ip_literal(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_ip(s, 0, &ss, &len) == 0;
}

/* "127.0.0.1:443", "[::1]:443" */
static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		if (evutil_inet_ntop(AF_INET, &sin->sin_addr, ip,
		    sizeof(ip)) == NULL)
			rd_strlcpy(ip, "?", sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)ss;

		if (evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, ip,
		    sizeof(ip)) == NULL)
			rd_strlcpy(ip, "?", sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	}
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr,
	    sizeof(struct in6_addr)) == 0;
}

/* ---- the engine ------------------------------------------------------- */

static void
engine_take_config(struct probe_engine *e, const struct config *cfg)
{
	struct timeval tv;
	int64_t ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
	size_t dmax;

	e->concurrency = cfg->concurrency > 0 ? cfg->concurrency : 1;
	dmax = (size_t)e->concurrency * 2;
	if (dmax < PROBE_DNS_MIN)
		dmax = PROBE_DNS_MIN;
	if (dmax > PROBE_DNS_MAX)
		dmax = PROBE_DNS_MAX;
	e->dns_max = dmax;
	e->timeout_ms = ms;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	e->timeout_tv = event_base_init_common_timeout(e->base, &tv);
	if (e->timeout_tv == NULL) {
		/* A plain timeout works too, only a little slower. */
		e->timeout_plain = tv;
		e->timeout_tv = &e->timeout_plain;
	}
}

static SSL_CTX *
engine_ssl_ctx(void)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	/*
	 * Verification happens offline in inspect_chain(), so that an
	 * expired or untrusted chain is still inspected; level 0 lets a weak
	 * server finish its handshake and be reported as weak-key.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, 0) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Each probe sees what a new client sees: no resumption. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* A chain larger than this ends the handshake at the message's
	 * header, before its body is read (conn_tls_failed says so). */
	SSL_CTX_set_max_cert_list(ctx, PROBE_CERT_LIST_MAX);
	/*
	 * Read what the socket has, not one record header and then its body:
	 * a server's first flight is two reads instead of about a dozen. The
	 * 256 KiB cap counts bytes from the socket either way.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* Also old servers: TLS 1.0 needs SHA-1 signatures at level 0. */
	if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * OpenSSL writes to the socket with write(2): a server that resets the
 * connection would raise SIGPIPE and kill the daemon. Ignore it unless the
 * program already chose what to do with it.
 */
static void
engine_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == -1 || sa.sa_handler != SIG_DFL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1)
		log_warn("%s: cannot ignore SIGPIPE", __func__);
}

struct probe_engine *
probe_engine_new(struct event_base *base, const struct config *cfg,
    X509_STORE *trust)
{
	struct probe_engine *e;

	engine_ignore_sigpipe();
	e = xcalloc(1, sizeof(*e));
	e->base = base;
	e->trust = trust;
	TAILQ_INIT(&e->dns_wait);
	TAILQ_INIT(&e->resolving);
	TAILQ_INIT(&e->probing);
	TAILQ_INIT(&e->finished);
	TAILQ_INIT(&e->conn_wait);
	TAILQ_INIT(&e->conn_active);
	LIST_INIT(&e->retired);
	if ((e->ctx = engine_ssl_ctx()) == NULL) {
		log_warnx("%s: cannot set up TLS: %s", __func__,
		    ERR_reason_error_string(ERR_peek_last_error()));
		ERR_clear_error();
		free(e);
		return NULL;
	}
	engine_take_config(e, cfg);
	strlist_copy(&e->nameservers, &cfg->nameservers);
	e->hosts_file = cfg->hosts_file ? xstrdup(cfg->hosts_file) : NULL;
	if (gethostname(e->ehlo_name, sizeof(e->ehlo_name)) == -1)
		rd_strlcpy(e->ehlo_name, "localhost", sizeof(e->ehlo_name));
	e->ehlo_name[sizeof(e->ehlo_name) - 1] = '\0';
	return e;
}

size_t
probe_engine_inflight(const struct probe_engine *e)
{
	return e->njobs;
}

/* ---- DNS -------------------------------------------------------------- */

static void
dns_free(struct probe_dns *d)
{
	/* fail_requests=1: libevent answers anything left, safely, later. */
	evdns_base_free(d->evdns, 1);
	free(d);
}

static void
dns_reap(evutil_socket_t fd, short what, void *arg)
{
	struct probe_engine *e = arg;
	struct probe_dns *d, *next;

	(void)fd;
	(void)what;
	for (d = LIST_FIRST(&e->retired); d != NULL; d = next) {
		next = LIST_NEXT(d, entry);
		if (d->refs == 0) {
			LIST_REMOVE(d, entry);
			dns_free(d);
		}
	}
}

static struct probe_dns *
dns_new(struct probe_engine *e, char *err, size_t errlen)
{
	struct probe_dns *d;
	char opt[32];
	int64_t attempt_ms;
	size_t i;
	int flags = EVDNS_BASE_DISABLE_WHEN_INACTIVE;

	if (e->nameservers.n == 0)
		flags |= EVDNS_BASE_INITIALIZE_NAMESERVERS;
	d = xcalloc(1, sizeof(*d));
	if ((d->evdns = evdns_base_new(e->base, flags)) == NULL) {
		snprintf(err, errlen, "cannot set up a resolver (resolv.conf)");
		free(d);
		return NULL;
	}
	for (i = 0; i < e->nameservers.n; i++) {
		if (evdns_base_nameserver_ip_add(d->evdns,
		    e->nameservers.v[i]) != 0) {
			snprintf(err, errlen, "bad nameserver %s",
			    e->nameservers.v[i]);
			evdns_base_free(d->evdns, 0);
			free(d);
			return NULL;
		}
	}
	if (e->hosts_file != NULL &&
	    evdns_base_load_hosts(d->evdns, e->hosts_file) != 0)
		log_warnx("%s: cannot load hosts file %s", __func__,
		    e->hosts_file);
	/* Two attempts fit in the probe timeout. */
	d->attempts = 2;
	attempt_ms = e->timeout_ms / d->attempts;
	if (attempt_ms < 100)
		attempt_ms = 100;
	d->attempt_ms = attempt_ms;
	snprintf(opt, sizeof(opt), "%lld.%03lld", (long long)(attempt_ms / 1000),
	    (long long)(attempt_ms % 1000));
	if (evdns_base_set_option(d->evdns, "timeout:", opt) != 0 ||
	    evdns_base_set_option(d->evdns, "attempts:", "2") != 0 ||
	    evdns_base_set_option(d->evdns, "getaddrinfo-allow-skew:",
	    opt) != 0)
		log_warnx("%s: cannot set resolver options", __func__);
	snprintf(opt, sizeof(opt), "%zu", e->dns_max * 2);
	if (evdns_base_set_option(d->evdns, "max-inflight:", opt) != 0)
		log_warnx("%s: cannot set resolver max-inflight", __func__);
	return d;
}

static const char *
dns_error(struct probe_job *job, int result)
{
	struct probe_dns *d = job->dns;
	int64_t limit;

	switch (result) {
	case EVUTIL_EAI_NONAME:
		return "NXDOMAIN";
	case EVUTIL_EAI_NODATA:
		return "no addresses";
	case EVUTIL_EAI_FAIL:
		/* libevent says FAIL for both; tell a timeout by the time. */
		limit = d->attempt_ms * d->attempts;
		if (mono_ms() - job->dns_start_ms >= limit * 9 / 10)
			return "timed out";
		return "server failure";
	default:
		return evutil_gai_strerror(result);
	}
}

static void
job_add_addr(struct probe_job *job, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct probe_conn *c;
	size_t i;

	for (i = 0; i < job->nconns; i++)
		if (same_addr(&job->conns[i].ss, ss))
			return;
	job->conns = xreallocarray(job->conns, job->nconns + 1,
	    sizeof(*job->conns));
	c = &job->conns[job->nconns];
	memset(c, 0, sizeof(*c));
	c->job = job;
	c->idx = job->nconns;
	c->fd = -1;
	c->phase = PHASE_QUEUED;
	memcpy(&c->ss, ss, sizeof(*ss));
	c->sslen = sslen;
	job->nconns++;
}

/* Addresses known: queue one connection each. */
static void
job_start_conns(struct probe_job *job)
{
	struct probe_engine *e = job->engine;
	struct target_result *res = job->res;
	size_t i;

	job->state = JOB_PROBING;
	TAILQ_INSERT_TAIL(&e->probing, job, entry);
	res->naddrs = job->nconns;
	res->addrs = xcalloc(job->nconns, sizeof(*res->addrs));
	job->pending = job->nconns;
	for (i = 0; i < job->nconns; i++) {
		char addr[64];

		format_addr(&job->conns[i].ss, addr, sizeof(addr));
		res->addrs[i].address = xstrdup(addr);
		TAILQ_INSERT_TAIL(&e->conn_wait, &job->conns[i], entry);
	}
	if (job->nconns == 0) {
		TAILQ_REMOVE(&e->probing, job, entry);
		job_finish(job);
		return;
	}
	engine_kick(e);
}

static void
job_free(struct probe_job *job)
{
	if (job->res != NULL)
		target_result_free(job->res);
	free(job->conns);
	free(job);
}

static void
dns_done(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct probe_job *job = arg;
	struct probe_engine *e = job->engine;
	struct evutil_addrinfo *p;

	if (e == NULL) {
		/* The engine was freed while this lookup was out. */
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		free(job);
		return;
	}
	job->req = NULL;
	job->dns->refs--;
	if (job->dns->refs == 0 && job->dns != e->dns) {
		struct timeval soon = { 1, 0 };

		/* Retired: free it once libevent is done with it. */
		event_add(e->reap_ev, &soon);
	}
	e->nresolving--;
	TAILQ_REMOVE(&e->resolving, job, entry);
	if (result != 0) {
		job->res->error = xasprintf("resolve %s: %s", job->conf->name,
		    dns_error(job, result));
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		job_finish(job);
	} else {
		for (p = ai; p != NULL; p = p->ai_next) {
			struct sockaddr_storage ss;

			if ((p->ai_family != AF_INET &&
			    p->ai_family != AF_INET6) ||
			    p->ai_addrlen > sizeof(ss))
				continue;
			memset(&ss, 0, sizeof(ss));
			memcpy(&ss, p->ai_addr, p->ai_addrlen);
			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port =
				    htons(job->conf->port);
			else
				((struct sockaddr_in6 *)&ss)->sin6_port =
				    htons(job->conf->port);
			job_add_addr(job, &ss, (socklen_t)p->ai_addrlen);
		}
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		if (job->nconns == 0) {
			job->res->error = xasprintf("resolve %s: no addresses",
			    job->conf->name);
			job_finish(job);
		} else
			job_start_conns(job);
	}
	dns_kick(e);
}

static void
dns_kick(struct probe_engine *e)
{
	struct evutil_addrinfo hints;
	struct probe_job *job;
	struct evdns_getaddrinfo_request *req;
	char err[PROBE_ERRLEN];

	if (e->dns_kicking)
		return;
	e->dns_kicking = 1;
	while (e->nresolving < e->dns_max &&
	    (job = TAILQ_FIRST(&e->dns_wait)) != NULL) {
		TAILQ_REMOVE(&e->dns_wait, job, entry);
		if (e->dns == NULL && (e->dns = dns_new(e, err,
		    sizeof(err))) == NULL) {
			job->res->error = xasprintf("resolve %s: %s",
			    job->conf->name, err);
			job_finish(job);
			continue;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_protocol = IPPROTO_TCP;
		job->state = JOB_RESOLVING;
		job->dns = e->dns;
		job->dns->refs++;
		e->nresolving++;
		TAILQ_INSERT_TAIL(&e->resolving, job, entry);
		job->dns_start_ms = mono_ms();
		/* May answer at once (hosts file): dns_done has run then. */
		req = evdns_getaddrinfo(e->dns->evdns, job->conf->name, NULL,
		    &hints, dns_done, job);
		if (req != NULL)
			job->req = req;
	}
	e->dns_kicking = 0;
}

/* ---- connections ------------------------------------------------------ */

static void
conn_set_error(struct probe_conn *c, unsigned problem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conn_set_error(struct probe_conn *c, unsigned problem, const char *fmt, ...)
{
	struct addr_result *ar = &c->job->res->addrs[c->idx];
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(ar->error);
	/* Server replies end up in here: never let their bytes out raw. */
	ar->error = rd_sanitize(msg, strlen(msg));
	free(msg);
	c->problems |= problem;
}

/*
 * Wait for the socket to become readable or writable. The connect wait is
 * persistent (EV_WRITE | EV_PERSIST): it stays on the socket until the
 * bufferevent has taken over, so the socket's epoll entry is added once
 * and only modified after, instead of being removed and added again.
 */
static int
conn_wait(struct probe_conn *c, short what)
{
	struct probe_engine *e = c->job->engine;

	if (c->ev == NULL) {
		if ((c->ev = event_new(e->base, c->fd, what, conn_io, c)) ==
		    NULL)
			return -1;
	} else {
		event_del(c->ev);
		if (event_assign(c->ev, e->base, c->fd, what, conn_io, c) == -1)
			return -1;
	}
	return event_add(c->ev, NULL);
}

static void
conn_wait_or_fail(struct probe_conn *c, short what)
{
	if (conn_wait(c, what) == -1) {
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "internal error: cannot wait for the socket");
		conn_finish(c);
	}
}

/*
 * The one place that reads the OpenSSL error queue. libevent moves what a
 * failed handshake step left there into the bufferevent (with the
 * SSL_get_error() code in front, which has no library part) and hands it
 * back newest first; anything else still queued comes after. Returns the
 * earliest real error, or 0; both are empty afterwards.
 */
static unsigned long
conn_tls_drain(struct probe_conn *c)
{
	unsigned long e, first = 0;

	if (c->bev != NULL)
		while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
			if (ERR_GET_LIB(e) != 0)
				first = e;
	while ((e = ERR_get_error()) != 0)
		if (first == 0 && ERR_GET_LIB(e) != 0)
			first = e;
	return first;
}

/* Why the handshake did not complete; `what` is the BEV_EVENT_* bits. */
static void
conn_tls_failed(struct probe_conn *c, short what)
{
	unsigned long first = conn_tls_drain(c);
	const char *r;

	if (c->nread > PROBE_HANDSHAKE_MAX)
		conn_set_error(c, PROB_HANDSHAKE_FAILED, "TLS handshake failed: "
		    "the server sent more than %d bytes", PROBE_HANDSHAKE_MAX);
	else if (first != 0 && ERR_GET_LIB(first) == ERR_LIB_SSL &&
	    ERR_GET_REASON(first) == SSL_R_EXCESSIVE_MESSAGE_SIZE &&
	    c->ssl != NULL && SSL_get_state(c->ssl) == TLS_ST_CR_CERT)
		conn_set_error(c, PROB_HANDSHAKE_FAILED, "TLS handshake failed: "
		    "the server's certificate chain is larger than %ld bytes, "
		    "the most renewd reads", SSL_get_max_cert_list(c->ssl));
	else if (first != 0) {
		r = ERR_reason_error_string(first);
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "TLS handshake failed: %s", r != NULL ? r : "unknown error");
	} else if (c->sockerr != 0)
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "TLS handshake failed: %s", strerror(c->sockerr));
	else if (what & BEV_EVENT_EOF)
		conn_set_error(c, PROB_HANDSHAKE_FAILED, "TLS handshake "
		    "failed: connection closed by the server");
	else
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "TLS handshake failed: unknown error");
}

/*
 * Sits on the SSL's socket BIO (read and write are the same BIO): counts
 * what the server sends during the handshake and stops past the cap, which
 * OpenSSL then sees as a failed read; keeps the errno of a failed read or
 * write, which libevent does not report.
 */
static long
conn_bio_count(BIO *bio, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
	struct probe_conn *c = (struct probe_conn *)BIO_get_callback_arg(bio);

	(void)argp;
	(void)len;
	(void)argi;
	(void)argl;
	if (c == NULL || (oper != (BIO_CB_READ | BIO_CB_RETURN) &&
	    oper != (BIO_CB_WRITE | BIO_CB_RETURN)))
		return ret;
	if (ret <= 0) {
		if (ret < 0 && !BIO_should_retry(bio) && errno != 0)
			c->sockerr = errno;
		return ret;
	}
	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && processed != NULL) {
		c->nread += *processed;
		if (c->nread > PROBE_HANDSHAKE_MAX)
			return -1;
	}
	return ret;
}

static void
conn_tls_done(struct probe_conn *c)
{
	struct probe_job *job = c->job;
	struct addr_result *ar = &job->res->addrs[c->idx];
	STACK_OF(X509) *chain;
	char err[PROBE_ERRLEN];

	free(ar->tls_version);
	ar->tls_version = xstrdup(SSL_get_version(c->ssl));
	chain = SSL_get_peer_cert_chain(c->ssl);
	if (chain == NULL || sk_X509_num(chain) == 0) {
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "TLS handshake failed: the server sent no certificate");
	} else if (inspect_chain(chain, job->engine->trust, job->conf->name,
	    &job->conf->names, time(NULL), &ar->cert, err, sizeof(err)) == -1) {
		cert_obs_free(&ar->cert);
		memset(&ar->cert, 0, sizeof(ar->cert));
		conn_set_error(c, PROB_HANDSHAKE_FAILED, "certificate: %s", err);
	} else {
		ar->ok = 1;
		ar->has_cert = 1;
	}
	/* A courtesy close_notify; the reply is not waited for. */
	(void)SSL_shutdown(c->ssl);
	/* Nothing to report from here on: leave the queue empty. */
	(void)conn_tls_drain(c);
	conn_finish(c);
}

/*
 * The bufferevent's one event callback: the handshake completed
 * (BEV_EVENT_CONNECTED) or failed (ERROR, or EOF for a connection closed
 * without close_notify). No callbacks are deferred, so this runs inside
 * libevent's handshake step, which holds a reference to the bufferevent:
 * freeing it here (conn_finish) is safe, libevent lets go of it after.
 */
static void
conn_tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct probe_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		conn_tls_done(c);
		return;
	}
	conn_tls_failed(c, what);
	conn_finish(c);
}

static void
conn_tls_start(struct probe_conn *c)
{
	struct probe_job *job = c->job;
	struct probe_engine *e = job->engine;
	BIO *rbio;

	c->phase = PHASE_HANDSHAKE;
	/* Errors left by someone else are not this handshake's. */
	(void)conn_tls_drain(c);
	if ((c->ssl = SSL_new(e->ctx)) == NULL ||
	    (job->sni && SSL_set_tlsext_host_name(c->ssl,
	    job->conf->name) != 1)) {
		conn_tls_failed(c, BEV_EVENT_ERROR);
		conn_finish(c);
		return;
	}
	/*
	 * From here the bufferevent owns the SSL and the socket: it frees
	 * and closes them after its events are gone (BEV_OPT_CLOSE_ON_FREE).
	 * The handshake starts when the socket is writable, from the loop,
	 * never from in here. If it cannot be made, libevent may or may not
	 * have freed both already: forget them rather than free them twice.
	 */
	c->bev = bufferevent_openssl_socket_new(e->base, c->fd, c->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		c->ssl = NULL;
		c->fd = -1;
	}
	if (c->bev == NULL || (rbio = SSL_get_rbio(c->ssl)) == NULL) {
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "internal error: cannot set up the TLS connection");
		(void)conn_tls_drain(c);
		conn_finish(c);
		return;
	}
	BIO_set_callback_arg(rbio, (char *)c);
	BIO_set_callback_ex(rbio, conn_bio_count);
	/* A server that just closes is a failed handshake all the same;
	 * tell it apart as EOF rather than as an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	/*
	 * Left enabled: on libevent 2.1, bufferevent_disable() before the
	 * handshake completes takes the handshake's own events off the
	 * socket and it stalls. Once it completes, conn_tls_event frees the
	 * bufferevent before any application data could be read.
	 */
	bufferevent_setcb(c->bev, NULL, NULL, conn_tls_event, c);
	/*
	 * The bufferevent watches the socket from now on. The connect wait
	 * goes only now: while it is still there, the bufferevent's own wait
	 * for writability changes nothing epoll has to hear about.
	 */
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
}

/* Send what is left of the STARTTLS command. 1 done, 0 wait, -1 failed. */
static int
conn_stls_write(struct probe_conn *c)
{
	const char *out = starttls_output(c->stls);
	size_t len = strlen(out);
	ssize_t n;

	while (c->outoff < len) {
		n = send(c->fd, out + c->outoff, len - c->outoff, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1) {
			conn_set_error(c, PROB_HANDSHAKE_FAILED,
			    "STARTTLS: send: %s", strerror(errno));
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->writing = 0;
	return 1;
}

static void
conn_stls_io(struct probe_conn *c)
{
	char buf[2048];
	size_t off = 0, used;
	ssize_t n;
	int w;

	if (c->writing) {
		if ((w = conn_stls_write(c)) == -1) {
			conn_finish(c);
			return;
		}
		conn_wait_or_fail(c, w == 0 ? EV_WRITE : EV_READ);
		return;
	}
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		conn_wait_or_fail(c, EV_READ);
		return;
	}
	if (n == -1) {
		conn_set_error(c, PROB_HANDSHAKE_FAILED, "STARTTLS: %s",
		    strerror(errno));
		conn_finish(c);
		return;
	}
	if (n == 0) {
		conn_set_error(c, PROB_HANDSHAKE_FAILED,
		    "STARTTLS: connection closed by the server");
		conn_finish(c);
		return;
	}
	while (off < (size_t)n) {
		switch (starttls_feed(c->stls, buf + off, (size_t)n - off,
		    &used)) {
		case STARTTLS_NEED_MORE:
			off += used;
			break;
		case STARTTLS_SEND:
			off += used;
			c->outoff = 0;
			c->writing = 1;
			if ((w = conn_stls_write(c)) == -1) {
				conn_finish(c);
				return;
			}
			if (w == 0) {
				if (off < (size_t)n) {
					conn_set_error(c,
					    PROB_HANDSHAKE_FAILED, "STARTTLS: "
					    "server spoke before its turn");
					conn_finish(c);
					return;
				}
				conn_wait_or_fail(c, EV_WRITE);
				return;
			}
			break;
		case STARTTLS_PROCEED:
			free(c->stls);
			c->stls = NULL;
			conn_tls_start(c);
			return;
		case STARTTLS_FAIL:
			conn_set_error(c, PROB_HANDSHAKE_FAILED, "%s",
			    starttls_error(c->stls));
			conn_finish(c);
			return;
		}
	}
	conn_wait_or_fail(c, EV_READ);
}

static void
conn_connected(struct probe_conn *c)
{
	struct probe_job *job = c->job;

	if (job->conf->starttls == STARTTLS_NONE) {
		conn_tls_start(c);
		return;
	}
	c->phase = PHASE_STARTTLS;
	c->stls = xmalloc(sizeof(*c->stls));
	starttls_init(c->stls, job->conf->starttls, job->engine->ehlo_name);
	conn_wait_or_fail(c, EV_READ);
}

static void
conn_io(evutil_socket_t fd, short what, void *arg)
{
	struct probe_conn *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)what;
	switch (c->phase) {
	case PHASE_CONNECT:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == EINPROGRESS || err == EINTR) {
			conn_wait_or_fail(c, EV_WRITE | EV_PERSIST);
			return;
		}
		if (err != 0) {
			conn_set_error(c, PROB_UNREACHABLE, "connect: %s",
			    strerror(err));
			conn_finish(c);
			return;
		}
		conn_connected(c);
		return;
	case PHASE_STARTTLS:
		conn_stls_io(c);
		return;
	case PHASE_HANDSHAKE:	/* the bufferevent's */
	case PHASE_QUEUED:
	case PHASE_DONE:
		break;
	}
}

static void
conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe_conn *c = arg;
	char t[32];
	const char *during;

	(void)fd;
	(void)what;
	format_ms(t, sizeof(t), c->job->engine->timeout_ms);
	switch (c->phase) {
	case PHASE_CONNECT:
		conn_set_error(c, PROB_UNREACHABLE,
		    "connect: timed out after %s", t);
		conn_finish(c);
		return;
	case PHASE_STARTTLS:
		during = "STARTTLS";
		break;
	default:
		during = "handshake";
		break;
	}
	conn_set_error(c, PROB_HANDSHAKE_FAILED, "timed out after %s during %s",
	    t, during);
	conn_finish(c);
}

static void
conn_start(struct probe_engine *e, struct probe_conn *c)
{
	int r;

	c->phase = PHASE_CONNECT;
	c->start_ms = mono_ms();
	if ((c->timer = evtimer_new(e->base, conn_timeout, c)) == NULL ||
	    evtimer_add(c->timer, e->timeout_tv) == -1) {
		conn_set_error(c, PROB_UNREACHABLE,
		    "internal error: cannot set a timer");
		conn_finish(c);
		return;
	}
	c->fd = socket(c->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_set_error(c, PROB_UNREACHABLE, "socket: %s",
		    strerror(errno));
		conn_finish(c);
		return;
	}
	do
		r = connect(c->fd, (struct sockaddr *)&c->ss, c->sslen);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		conn_connected(c);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_set_error(c, PROB_UNREACHABLE, "connect: %s",
		    strerror(errno));
		conn_finish(c);
		return;
	}
	conn_wait_or_fail(c, EV_WRITE | EV_PERSIST);
}

/* Release what a connection holds; its result stays. */
static void
conn_release(struct probe_conn *c)
{
	BIO *rbio;

	if (c->bev != NULL) {
		/*
		 * The SSL and the socket go with the bufferevent, once
		 * libevent is done with it (after the callback we may be
		 * in). Nothing may call back into this connection then.
		 */
		if ((rbio = SSL_get_rbio(c->ssl)) != NULL) {
			BIO_set_callback_ex(rbio, NULL);
			BIO_set_callback_arg(rbio, NULL);
		}
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->ssl = NULL;
		c->fd = -1;
	}
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->timer != NULL) {
		event_free(c->timer);
		c->timer = NULL;
	}
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->stls);
	c->stls = NULL;
}

static void
conn_finish(struct probe_conn *c)
{
	struct probe_job *job = c->job;
	struct probe_engine *e = job->engine;

	job->res->addrs[c->idx].duration_ms = mono_ms() - c->start_ms;
	conn_release(c);
	c->phase = PHASE_DONE;
	TAILQ_REMOVE(&e->conn_active, c, entry);
	e->nactive--;
	if (--job->pending == 0) {
		TAILQ_REMOVE(&e->probing, job, entry);
		job_finish(job);
	}
	engine_kick(e);
}

static void
engine_kick(struct probe_engine *e)
{
	struct probe_conn *c;

	if (e->kicking)
		return;
	e->kicking = 1;
	while (e->nactive < (size_t)e->concurrency &&
	    (c = TAILQ_FIRST(&e->conn_wait)) != NULL) {
		TAILQ_REMOVE(&e->conn_wait, c, entry);
		TAILQ_INSERT_TAIL(&e->conn_active, c, entry);
		e->nactive++;
		conn_start(e, c);
	}
	e->kicking = 0;
}

/* ---- jobs ------------------------------------------------------------- */

/* All addresses answered (or resolution failed): sum the result up and
 * queue it for the caller. */
static void
job_finish(struct probe_job *job)
{
	struct probe_engine *e = job->engine;
	struct target_result *res = job->res;
	const struct target_conf *conf = job->conf;
	const struct cert_obs **obs;
	size_t i, nobs = 0;
	time_t earliest = 0;
	int deadline_day;

	obs = xcalloc(res->naddrs, sizeof(*obs));
	for (i = 0; i < res->naddrs; i++) {
		struct addr_result *ar = &res->addrs[i];

		if (ar->has_cert) {
			res->problems |= ar->cert.problems;
			obs[nobs++] = &ar->cert;
			if (nobs == 1 || ar->cert.not_after < earliest)
				earliest = ar->cert.not_after;
		}
		if (i < job->nconns)
			res->problems |= job->conns[i].problems;
	}
	if (res->error != NULL)
		res->problems |= PROB_UNREACHABLE;
	if (nobs > 0) {
		if (conf->contract_end >= 0)
			deadline_day = conf->contract_end;
		else
			deadline_day = jday_from_time(earliest);
		res->problems |= inspect_target(obs, nobs, deadline_day,
		    conf->has_expect ? &conf->expect : NULL);
	}
	free(obs);
	job->state = JOB_DONE;
	TAILQ_INSERT_TAIL(&e->finished, job, entry);
	event_active(e->done_ev, EV_TIMEOUT, 0);
}

/* Hand finished results back, from the loop. */
static void
engine_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct probe_engine *e = arg;
	struct probe_job *job;
	struct target_result *res;
	probe_done_cb done;
	void *cbarg;

	(void)fd;
	(void)what;
	while ((job = TAILQ_FIRST(&e->finished)) != NULL) {
		TAILQ_REMOVE(&e->finished, job, entry);
		res = job->res;
		done = job->done;
		cbarg = job->arg;
		job->res = NULL;
		job_free(job);
		e->njobs--;
		done(res, cbarg);
	}
}

int
probe_target(struct probe_engine *e, const struct target_conf *conf,
    probe_done_cb done, void *arg)
{
	struct probe_job *job;
	struct sockaddr_storage ss;
	socklen_t sslen;
	size_t i;

	if (e->done_ev == NULL &&
	    (e->done_ev = event_new(e->base, -1, 0, engine_deliver, e)) == NULL)
		return -1;
	if (e->reap_ev == NULL &&
	    (e->reap_ev = evtimer_new(e->base, dns_reap, e)) == NULL)
		return -1;
	job = xcalloc(1, sizeof(*job));
	job->engine = e;
	job->conf = conf;
	job->done = done;
	job->arg = arg;
	job->res = xcalloc(1, sizeof(*job->res));
	job->res->conf = conf;
	job->res->started = time(NULL);
	job->sni = !is_ip_literal(conf->name);
	e->njobs++;

	if (conf->addresses.n > 0 || !job->sni) {
		const struct strlist *l = &conf->addresses;

		for (i = 0; i < l->n; i++) {
			if (parse_ip(l->v[i], conf->port, &ss, &sslen) == -1) {
				log_warnx("%s: %s: not an IP address: %s",
				    __func__, conf->name, l->v[i]);
				continue;
			}
			job_add_addr(job, &ss, sslen);
		}
		if (l->n == 0 && parse_ip(conf->name, conf->port, &ss,
		    &sslen) == 0)
			job_add_addr(job, &ss, sslen);
		if (job->nconns == 0)
			job->res->error = xasprintf("%s: no usable address",
			    conf->name);
		job_start_conns(job);
		return 0;
	}
	job->state = JOB_DNS_WAIT;
	TAILQ_INSERT_TAIL(&e->dns_wait, job, entry);
	dns_kick(e);
	return 0;
}

static void
dns_retire(struct probe_engine *e)
{
	struct timeval soon = { 1, 0 };

	if (e->dns == NULL)
		return;
	/* libevent may still hold deferred callbacks into it: free it
	 * from a timer once its lookups are over. */
	LIST_INSERT_HEAD(&e->retired, e->dns, entry);
	e->dns = NULL;
	if (e->reap_ev != NULL)
		event_add(e->reap_ev, &soon);
}

void
probe_engine_set_config(struct probe_engine *e, const struct config *cfg)
{
	int same = e->timeout_ms == cfg->timeout_ms;
	size_t i;

	if (e->nameservers.n != cfg->nameservers.n)
		same = 0;
	for (i = 0; same && i < e->nameservers.n; i++)
		if (strcmp(e->nameservers.v[i], cfg->nameservers.v[i]) != 0)
			same = 0;
	if ((e->hosts_file == NULL) != (cfg->hosts_file == NULL) ||
	    (e->hosts_file != NULL && strcmp(e->hosts_file,
	    cfg->hosts_file) != 0))
		same = 0;
	engine_take_config(e, cfg);
	if (!same) {
		/* Lookups in flight finish on the old resolver. */
		strlist_free(&e->nameservers);
		strlist_copy(&e->nameservers, &cfg->nameservers);
		free(e->hosts_file);
		e->hosts_file = cfg->hosts_file ? xstrdup(cfg->hosts_file) :
		    NULL;
		dns_retire(e);
	}
	engine_kick(e);
	dns_kick(e);
}

void
probe_engine_free(struct probe_engine *e)
{
	struct probe_job *job;
	struct probe_conn *c;
	struct probe_dns *d;
	size_t orphans = 0;

	if (e == NULL)
		return;
	while ((c = TAILQ_FIRST(&e->conn_active)) != NULL) {
		TAILQ_REMOVE(&e->conn_active, c, entry);
		conn_release(c);
	}
	while ((job = TAILQ_FIRST(&e->resolving)) != NULL) {
		/*
		 * libevent answers outstanding lookups later, from the loop,
		 * once their resolver is freed: keep a husk of the job for
		 * dns_done to free then.
		 */
		TAILQ_REMOVE(&e->resolving, job, entry);
		target_result_free(job->res);
		job->res = NULL;
		free(job->conns);
		job->conns = NULL;
		job->engine = NULL;
		orphans++;
	}
	while ((job = TAILQ_FIRST(&e->dns_wait)) != NULL) {
		TAILQ_REMOVE(&e->dns_wait, job, entry);
		job_free(job);
	}
	while ((job = TAILQ_FIRST(&e->probing)) != NULL) {
		TAILQ_REMOVE(&e->probing, job, entry);
		job_free(job);
	}
	while ((job = TAILQ_FIRST(&e->finished)) != NULL) {
		TAILQ_REMOVE(&e->finished, job, entry);
		job_free(job);
	}
	if (e->dns != NULL)
		dns_free(e->dns);
	while ((d = LIST_FIRST(&e->retired)) != NULL) {
		LIST_REMOVE(d, entry);
		dns_free(d);
	}
	if (e->done_ev != NULL)
		event_free(e->done_ev);
	if (e->reap_ev != NULL)
		event_free(e->reap_ev);
	/*
	 * Freed resolvers answer their lookups from the loop (deferred
	 * callbacks): let that happen now so nothing is left behind. Called
	 * from inside the loop, libevent refuses (and warns); the answers
	 * then come when the loop goes on.
	 */
	if (orphans > 0)
		(void)event_base_loop(e->base, EVLOOP_NONBLOCK);
	SSL_CTX_free(e->ctx);
	strlist_free(&e->nameservers);
	free(e->hosts_file);
	free(e);
}

void
target_result_free(struct target_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; res->addrs != NULL && i < res->naddrs; i++) {
		free(res->addrs[i].address);
		free(res->addrs[i].tls_version);
		free(res->addrs[i].error);
		if (res->addrs[i].has_cert)
			cert_obs_free(&res->addrs[i].cert);
	}
	free(res->addrs);
	free(res->error);
	free(res);
}

/* ---- kept results ----------------------------------------------------- */

/* Above malloc's mmap threshold: a block lives outside the heap proper. */
#define POOL_BLOCK	(256 * 1024)

struct pool_block {
	struct pool_block	*next;
	size_t			 used;
	size_t			 size;
	max_align_t		 data[];
};

struct result_pool {
	struct pool_block	*blocks;	/* the newest first */
};

struct result_pool *
result_pool_new(void)
{
	return xcalloc(1, sizeof(struct result_pool));
}

static void *
pool_alloc(struct result_pool *p, size_t n)
{
	struct pool_block *b = p->blocks;
	size_t size;
	void *v;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (b == NULL || b->size - b->used < n) {
		size = n > POOL_BLOCK / 2 ? n : POOL_BLOCK - sizeof(*b);
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = p->blocks;
		p->blocks = b;
	}
	v = (char *)b->data + b->used;
	b->used += n;
	return v;
}

static char *
pool_strdup(struct result_pool *p, const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = pool_alloc(p, n);
	memcpy(d, s, n);
	return d;
}

/* Every pointer cert_obs_free() frees, copied; the rest is plain data. */
static void
pool_cert_obs(struct result_pool *p, struct cert_obs *o)
{
	struct subject_fields *sf = &o->subject;
	struct chain_cert *chain;
	char **v;
	size_t i;

	sf->cn = pool_strdup(p, sf->cn);
	sf->ou = pool_strdup(p, sf->ou);
	sf->o = pool_strdup(p, sf->o);
	sf->l = pool_strdup(p, sf->l);
	sf->st = pool_strdup(p, sf->st);
	sf->c = pool_strdup(p, sf->c);
	if (o->san.v != NULL) {
		v = pool_alloc(p, (o->san.n + 1) * sizeof(*v));
		for (i = 0; i < o->san.n; i++)
			v[i] = pool_strdup(p, o->san.v[i]);
		v[o->san.n] = NULL;
		o->san.v = v;
		o->san.cap = o->san.n + 1;
	}
	o->issuer = pool_strdup(p, o->issuer);
	o->serial = pool_strdup(p, o->serial);
	o->key = pool_strdup(p, o->key);
	o->sig_alg = pool_strdup(p, o->sig_alg);
	if (o->chain != NULL) {
		chain = pool_alloc(p, (o->nchain + 1) * sizeof(*chain));
		for (i = 0; i < o->nchain; i++) {
			chain[i] = o->chain[i];
			chain[i].subject = pool_strdup(p, o->chain[i].subject);
			chain[i].issuer = pool_strdup(p, o->chain[i].issuer);
		}
		o->chain = chain;
	}
	o->verify_error = pool_strdup(p, o->verify_error);
}

const struct target_result *
result_pool_keep(struct result_pool *p, struct target_result *res)
{
	struct target_result *r;
	size_t i;

	if (res == NULL)
		return NULL;
	r = pool_alloc(p, sizeof(*r));
	*r = *res;
	r->error = pool_strdup(p, res->error);
	if (res->addrs != NULL) {
		r->addrs = pool_alloc(p, (res->naddrs + 1) * sizeof(*r->addrs));
		for (i = 0; i < res->naddrs; i++) {
			r->addrs[i] = res->addrs[i];
			r->addrs[i].address = pool_strdup(p,
			    res->addrs[i].address);
			r->addrs[i].tls_version = pool_strdup(p,
			    res->addrs[i].tls_version);
			r->addrs[i].error = pool_strdup(p, res->addrs[i].error);
			if (r->addrs[i].has_cert)
				pool_cert_obs(p, &r->addrs[i].cert);
			else
				memset(&r->addrs[i].cert, 0,
				    sizeof(r->addrs[i].cert));
		}
	}
	target_result_free(res);
	return r;
}

void
result_pool_free(struct result_pool *p)
{
	struct pool_block *b;

	if (p == NULL)
		return;
	while ((b = p->blocks) != NULL) {
		p->blocks = b->next;
		free(b);
	}
	free(p);
}
