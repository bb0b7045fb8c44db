/*
 * bench/ceiling.c - the least a certificate prober can do per endpoint.
 *
 * For every endpoint: non-blocking connect, TLS handshake with SNI (the
 * same SSL_CTX settings as renewd's probe engine: no session cache, no
 * tickets, security level 0, read-ahead), verify the served chain against
 * a CA file and the SNI name after the handshake (as renewd does), read
 * the leaf's notAfter, close. At most -c handshakes are in flight, driven by one
 * epoll loop. Nothing else: no DNS, no inspection, no state, no output
 * per endpoint. bench/run builds it and times it as the ceiling that
 * renewd's probe engine is measured against.
 *
 * usage: ceiling -s SNI -C CAFILE [-c CONC] [-t SECONDS]
 *            (-a IPV4 -p BASEPORT -n N | -f FILE)
 * FILE holds one IPV4:PORT per line. Prints "ok K/N earliest_not_after T"
 * on stdout; exits 0 only when all N succeeded.
 */

#define _DEFAULT_SOURCE	/* timegm() */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

struct endpoint {
	struct sockaddr_in	 sin;
};

struct conn {
	int			 fd;
	SSL			*ssl;
	size_t			 ep;		/* index into endpoints */
	int			 connecting;
	uint32_t		 events;	/* what epoll is asked for */
	struct timespec		 deadline;
};

static struct endpoint	*endpoints;
static size_t		 nendpoints;
static size_t		 next_ep;
static size_t		 nok, nfail, nshown;
static time_t		 earliest = (time_t)-1;
static SSL_CTX		*ctx;
static X509_STORE	*store;
static const char	*sni;
static int		 epfd;
static long		 timeout_ms = 10000;

static void
usage(void)
{
	fprintf(stderr, "usage: ceiling -s SNI -C CAFILE [-c CONC] [-t SECONDS] "
	    "(-a IPV4 -p BASEPORT -n N | -f FILE)\n");
	exit(2);
}

static void
fail(const struct conn *c, const char *what)
{
	char	 addr[INET_ADDRSTRLEN];
	unsigned long e;

	nfail++;
	if (nshown >= 5)
		return;
	nshown++;
	if (inet_ntop(AF_INET, &endpoints[c->ep].sin.sin_addr, addr,
	    sizeof(addr)) == NULL)
		strcpy(addr, "?");
	e = ERR_peek_last_error();
	fprintf(stderr, "ceiling: %s:%u: %s%s%s\n", addr,
	    (unsigned)ntohs(endpoints[c->ep].sin.sin_port), what,
	    e ? ": " : "", e ? ERR_reason_error_string(e) : "");
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);	/* also leaves the epoll set */
		c->fd = -1;
	}
	ERR_clear_error();
}

/* Verify the served chain against the store and the SNI name; record notAfter. */
static int
conn_verify(struct conn *c)
{
	X509		*leaf;
	STACK_OF(X509)	*chain;
	X509_STORE_CTX	*sctx;
	X509_VERIFY_PARAM *param;
	struct tm	 tm;
	time_t		 t;
	int		 ok = 0;

	if ((leaf = SSL_get0_peer_certificate(c->ssl)) == NULL) {
		fail(c, "no peer certificate");
		return 0;
	}
	chain = SSL_get_peer_cert_chain(c->ssl);
	if ((sctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(sctx, store, leaf, chain) != 1) {
		fail(c, "X509_STORE_CTX");
		X509_STORE_CTX_free(sctx);
		return 0;
	}
	param = X509_STORE_CTX_get0_param(sctx);
	if (X509_VERIFY_PARAM_set1_host(param, sni, 0) != 1) {
		fail(c, "X509_VERIFY_PARAM_set1_host");
		goto out;
	}
	if (X509_verify_cert(sctx) != 1) {
		fail(c, X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(sctx)));
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1 ||
	    (t = timegm(&tm)) == (time_t)-1) {
		fail(c, "bad notAfter");
		goto out;
	}
	if (earliest == (time_t)-1 || t < earliest)
		earliest = t;
	ok = 1;
 out:
	X509_STORE_CTX_free(sctx);
	return ok;
}

static int
conn_want(struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	if (c->events == ev)
		return 1;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == -1) {
		fail(c, "epoll_ctl");
		return 0;
	}
	c->events = ev;
	return 1;
}

/* Drive the handshake one step; closes the connection when it is done. */
static void
conn_step(struct conn *c)
{
	int	 r, err;
	socklen_t len;

	if (c->connecting) {
		len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			errno = err;
			fail(c, strerror(err));
			conn_close(c);
			return;
		}
		c->connecting = 0;
	}
	r = SSL_connect(c->ssl);
	if (r == 1) {
		if (conn_verify(c))
			nok++;
		conn_close(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		if (!conn_want(c, EPOLLIN))
			conn_close(c);
		return;
	case SSL_ERROR_WANT_WRITE:
		if (!conn_want(c, EPOLLOUT))
			conn_close(c);
		return;
	default:
		fail(c, "handshake failed");
		conn_close(c);
		return;
	}
}

static void
deadline_set(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Start the next endpoint in slot c; 0 when there is none left. */
static int
conn_start(struct conn *c)
{
	struct epoll_event e;
	int	 one = 1;

	if (next_ep >= nendpoints)
		return 0;
	c->ep = next_ep++;
	c->ssl = NULL;
	c->connecting = 1;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		fail(c, strerror(errno));
		return 1;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&endpoints[c->ep].sin,
	    sizeof(endpoints[c->ep].sin)) == -1 && errno != EINPROGRESS) {
		fail(c, strerror(errno));
		conn_close(c);
		return 1;
	}
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1) {
		fail(c, "SSL_new");
		conn_close(c);
		return 1;
	}
	SSL_set_connect_state(c->ssl);
	memset(&e, 0, sizeof(e));
	e.events = EPOLLOUT;
	e.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) == -1) {
		fail(c, "epoll_ctl");
		conn_close(c);
		return 1;
	}
	c->events = EPOLLOUT;
	deadline_set(&c->deadline);
	return 1;
}

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void
endpoint_add(const char *ip, unsigned long port)
{
	struct endpoint *ep;

	if ((nendpoints & (nendpoints + 1)) == 0 || nendpoints == 0) {
		ep = realloc(endpoints, (nendpoints + 1) * 2 * sizeof(*ep));
		if (ep == NULL) {
			perror("ceiling: realloc");
			exit(2);
		}
		endpoints = ep;
	}
	ep = &endpoints[nendpoints];
	memset(ep, 0, sizeof(*ep));
	ep->sin.sin_family = AF_INET;
	ep->sin.sin_port = htons((uint16_t)port);
	if (port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &ep->sin.sin_addr) != 1) {
		fprintf(stderr, "ceiling: bad endpoint %s:%lu\n", ip, port);
		exit(2);
	}
	nendpoints++;
}

static void
endpoints_read(const char *path)
{
	FILE	*f;
	char	 line[128], *colon, *end;
	unsigned long port;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if ((colon = strrchr(line, ':')) == NULL)
			usage();
		*colon = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0')
			usage();
		endpoint_add(line, port);
	}
	if (ferror(f)) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

static unsigned long
number(const char *s, unsigned long max)
{
	char	*end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v > max)
		usage();
	return v;
}

int
main(int argc, char *argv[])
{
	struct epoll_event *evs;
	struct conn	*conns;
	struct timespec	 now;
	const char	*ca = NULL, *file = NULL, *ip = "127.0.0.1";
	unsigned long	 base = 0, n = 0, conc = 64, i;
	size_t		 active;
	char		 when[32];
	struct tm	 tm;
	int		 ch, k, nev;

	while ((ch = getopt(argc, argv, "a:C:c:f:n:p:s:t:")) != -1) {
		switch (ch) {
		case 'a': ip = optarg; break;
		case 'C': ca = optarg; break;
		case 'c': conc = number(optarg, 100000); break;
		case 'f': file = optarg; break;
		case 'n': n = number(optarg, 65535); break;
		case 'p': base = number(optarg, 65535); break;
		case 's': sni = optarg; break;
		case 't': timeout_ms = (long)number(optarg, 3600) * 1000; break;
		default: usage();
		}
	}
	if (optind != argc || sni == NULL || ca == NULL || conc == 0)
		usage();
	if (file != NULL)
		endpoints_read(file);
	else if (base != 0 && n != 0)
		for (i = 0; i < n; i++)
			endpoint_add(ip, base + i);
	if (nendpoints == 0)
		usage();
	if (conc > nendpoints)
		conc = nendpoints;
	(void)signal(SIGPIPE, SIG_IGN);

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto ssl_err;
	/* As renewd's probe: verify after the handshake, level 0, no resumption. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, 0) != 1)
		goto ssl_err;
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_read_ahead(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1)
		goto ssl_err;
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(store, ca) != 1)
		goto ssl_err;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("ceiling: epoll_create1");
		return 2;
	}
	if ((conns = calloc(conc, sizeof(*conns))) == NULL ||
	    (evs = calloc(conc, sizeof(*evs))) == NULL) {
		perror("ceiling: calloc");
		return 2;
	}
	active = 0;
	for (i = 0; i < conc; i++) {
		conns[i].fd = -1;
		while (conns[i].fd == -1 && conn_start(&conns[i]))
			;
		if (conns[i].fd != -1)
			active++;
	}
	while (active > 0) {
		nev = epoll_wait(epfd, evs, (int)conc, 100);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			perror("ceiling: epoll_wait");
			return 2;
		}
		for (k = 0; k < nev; k++)
			conn_step(evs[k].data.ptr);
		clock_gettime(CLOCK_MONOTONIC, &now);
		active = 0;
		for (i = 0; i < conc; i++) {
			if (conns[i].fd != -1 &&
			    ts_before(&conns[i].deadline, &now)) {
				fail(&conns[i], "timed out");
				conn_close(&conns[i]);
			}
			while (conns[i].fd == -1 && conn_start(&conns[i]))
				;
			if (conns[i].fd != -1)
				active++;
		}
	}

	if (earliest != (time_t)-1 && gmtime_r(&earliest, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		strcpy(when, "-");
	printf("ok %zu/%zu earliest_not_after %s\n", nok, nendpoints, when);
	if (nfail > 0)
		fprintf(stderr, "ceiling: %zu of %zu endpoints failed\n", nfail,
		    nendpoints);
	free(conns);
	free(evs);
	free(endpoints);
	X509_STORE_free(store);
	SSL_CTX_free(ctx);
	close(epfd);
	return nok == nendpoints ? 0 : 1;

 ssl_err:
	ERR_print_errors_fp(stderr);
	return 2;
}
