/*
 * mailer.c — libcurl's multi-socket interface on the daemon's libevent loop:
 * libcurl says which sockets to watch (sock_cb) and when to wake it
 * (timer_cb); libevent says when a socket is ready (sock_ready) or the
 * timer fired (curl_timeout); curl_multi_socket_action() does the work and
 * finished transfers are collected in collect(). A second timer (tick)
 * looks at the outbox when an entry falls due. See mailer.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fileio.h"
#include "log.h"
#include "mailer.h"
#include "outbox.h"
#include "util.h"

#define PASSWORD_MAX	4096
#define REPLY_MAX	256

struct mailer_conf {
	char	*url;
	int	 require_tls;
	char	*username;
	char	*password_file;
	char	*ca_file;
	long	 timeout_ms;
	char	*webhook_url;
};

struct xfer {
	struct mailer		*m;
	CURL			*easy;
	struct outbox_entry	*e;
	struct curl_slist	*rcpt;
	struct curl_slist	*headers;
	size_t			 off;
	char			*password;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 reply[REPLY_MAX];	/* last server line */
	char			 refusal[REPLY_MAX];	/* last 4xx/5xx line */
	enum outbox_type	 type;
	int			 data_stage;	/* DATA_SENT, DATA_GOING */
};

/* Where an SMTP transfer is in its DATA exchange (debug_cb). */
#define DATA_SENT	1		/* the DATA command went out */
#define DATA_GOING	2		/* 354: the message is being sent */

struct sockev {
	struct mailer	*m;
	curl_socket_t	 fd;
	struct event	*ev;
	struct sockev	*next;
};

struct mailer {
	struct event_base	*base;
	struct outbox		*ob;
	CURLM			*multi;
	struct event		*timer;		/* libcurl's */
	struct event		*tick;		/* ours: the next due entry */
	struct mailer_conf	 conf;
	struct xfer		*busy[OUTBOX_TYPE_COUNT];
	struct sockev		*socks;
	int			 warned_mode;
	void			(*hook)(void *);
	void			*hook_arg;
};

static void	schedule(struct mailer *);

/* --- configuration ---------------------------------------------------------- */

static void
conf_free(struct mailer_conf *c)
{
	free(c->url);
	free(c->username);
	free(c->password_file);
	free(c->ca_file);
	free(c->webhook_url);
	memset(c, 0, sizeof(*c));
}

static char *
dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
mailer_set_config(struct mailer *m, const struct config *cfg)
{
	conf_free(&m->conf);
	m->conf.url = xstrdup(cfg->mail.url);
	m->conf.require_tls = cfg->mail.require_tls;
	m->conf.username = dup_opt(cfg->mail.username);
	m->conf.password_file = dup_opt(cfg->mail.password_file);
	m->conf.ca_file = dup_opt(cfg->mail.ca_file);
	m->conf.timeout_ms = (long)cfg->mail.timeout_ms;
	m->conf.webhook_url = dup_opt(cfg->webhook_url);
	m->warned_mode = 0;
	mailer_kick(m);
}

/* The SMTP password: the file's first line. NULL with a reason in err. */
static char *
read_password(struct mailer *m, char *err, size_t errlen)
{
	struct stat sb;
	char *text;
	size_t len;

	text = file_read(m->conf.password_file, PASSWORD_MAX, &len);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read password_file %s: %s",
		    m->conf.password_file, strerror(errno));
		return NULL;
	}
	if (!m->warned_mode && stat(m->conf.password_file, &sb) == 0 &&
	    (sb.st_mode & S_IROTH) != 0) {
		log_warnx("mail: password_file %s can be read by every user; "
		    "make it readable by renewd only (chmod 0600 or 0640)",
		    m->conf.password_file);
		m->warned_mode = 1;
	}
	text[strcspn(text, "\r\n")] = '\0';
	return text;
}

/* --- libcurl <-> libevent --------------------------------------------------- */

static void
sock_ready(evutil_socket_t fd, short what, void *arg)
{
	struct mailer *m = arg;
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(m->multi, fd, action, &running);
	schedule(m);
}

static void
curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct mailer *m = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	schedule(m);
}

static void
sockev_free(struct mailer *m, struct sockev *s)
{
	for (struct sockev **p = &m->socks; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct mailer *m = userp;
	struct sockev *s = sockp;
	short events = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(m->multi, fd, NULL);
			sockev_free(m, s);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->m = m;
		s->fd = fd;
		s->next = m->socks;
		m->socks = s;
		curl_multi_assign(m->multi, fd, s);
	} else if (s->ev != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	s->ev = event_new(m->base, fd, events, sock_ready, m);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1) {
		log_warnx("%s: cannot watch a mail socket", __func__);
		return -1;
	}
	return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct mailer *m = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(m->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(m->timer, &tv) == 0 ? 0 : -1;
}

/* --- one transfer ------------------------------------------------------------- */

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t room = size * nitems, left, n;

	if (x->e == NULL)		/* already accepted (accepted_now) */
		return 0;
	left = x->e->len - x->off;
	n = left < room ? left : room;
	memcpy(buf, x->e->data + x->off, n);
	x->off += n;
	return n;
}

static size_t
discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

/*
 * The server took the message (its 2xx to the end of the data): record the
 * delivery now. libcurl reports the transfer done only after QUIT and its
 * reply, and a crash before then would send the accepted mail again after
 * the restart. finish() sees x->e == NULL and only frees the slot.
 */
static void
accepted_now(struct xfer *x)
{
	struct outbox_entry *e = x->e;

	if (e == NULL)
		return;
	log_info("mail %s for %s accepted by the server for %zu recipient%s: "
	    "%s", e->notice_id, e->target, e->rcpt.n, e->rcpt.n == 1 ? "" :
	    "s", x->reply);
	e->busy = 0;
	x->e = NULL;
	(void)outbox_delivered(x->m->ob, e, time(NULL));
}

/*
 * Keep the last line the server sent (SMTP replies, HTTP status), and
 * follow the SMTP DATA exchange to see the message accepted.
 */
static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t len, void *arg)
{
	struct xfer *x = arg;
	char *s;
	int final;

	(void)easy;
	if (type == CURLINFO_HEADER_OUT && x->type == OUTBOX_MAIL) {
		if (len >= 4 && strncasecmp(data, "DATA", 4) == 0 &&
		    (len == 4 || data[4] == '\r' || data[4] == '\n'))
			x->data_stage = DATA_SENT;
		return 0;
	}
	if (type != CURLINFO_HEADER_IN || len == 0)
		return 0;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0)
		return 0;
	if (len > REPLY_MAX - 1)
		len = REPLY_MAX - 1;
	s = rd_sanitize(data, len);
	rd_strlcpy(x->reply, s, sizeof(x->reply));
	if (s[0] == '4' || s[0] == '5')
		rd_strlcpy(x->refusal, s, sizeof(x->refusal));
	final = len >= 3 && (len == 3 || s[3] == ' ');
	if (x->type == OUTBOX_MAIL && final) {
		if (x->data_stage == DATA_SENT)
			x->data_stage = s[0] == '3' ? DATA_GOING : 0;
		else if (x->data_stage == DATA_GOING) {
			x->data_stage = 0;
			if (s[0] == '2')
				accepted_now(x);
		}
	}
	free(s);
	return 0;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->rcpt);
	curl_slist_free_all(x->headers);
	if (x->password != NULL) {
		explicit_bzero(x->password, strlen(x->password));
		free(x->password);
	}
	if (x->e != NULL)
		x->e->busy = 0;
	free(x);
}

#define SET(opt, val) do {						\
	if (curl_easy_setopt(x->easy, opt, val) != CURLE_OK) {		\
		snprintf(err, errlen, "libcurl refused option %s", #opt); \
		return -1;						\
	}								\
} while (0)

static int
setup_mail(struct mailer *m, struct xfer *x, char *err, size_t errlen)
{
	struct outbox_entry *e = x->e;

	SET(CURLOPT_URL, m->conf.url);
	SET(CURLOPT_MAIL_FROM, e->from);
	for (size_t i = 0; i < e->rcpt.n; i++) {
		struct curl_slist *l = curl_slist_append(x->rcpt, e->rcpt.v[i]);

		if (l == NULL)
			fatalx("%s: out of memory", __func__);
		x->rcpt = l;
	}
	SET(CURLOPT_MAIL_RCPT, x->rcpt);
	/* a refused recipient must not hold back the others (7.69+) */
	SET(CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, x);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)e->len);
	SET(CURLOPT_USE_SSL, m->conf.require_tls ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_TRY);
	if (m->conf.ca_file != NULL)
		SET(CURLOPT_CAINFO, m->conf.ca_file);
	if (m->conf.username != NULL) {
		SET(CURLOPT_USERNAME, m->conf.username);
		if (m->conf.password_file != NULL) {
			x->password = read_password(m, err, errlen);
			if (x->password == NULL)
				return -1;
			SET(CURLOPT_PASSWORD, x->password);
		}
	}
	return 0;
}

static int
setup_webhook(struct mailer *m, struct xfer *x, char *err, size_t errlen)
{
	struct curl_slist *l;

	SET(CURLOPT_URL, m->conf.webhook_url);
	l = curl_slist_append(NULL, "Content-Type: application/json");
	if (l == NULL)
		fatalx("%s: out of memory", __func__);
	x->headers = l;
	SET(CURLOPT_HTTPHEADER, x->headers);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, x->e->data);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->e->len);
	SET(CURLOPT_WRITEFUNCTION, discard_cb);
	SET(CURLOPT_USERAGENT, "renewd/" RENEWD_VERSION);
	return 0;
}

static int
setup(struct mailer *m, struct xfer *x, char *err, size_t errlen)
{
	if ((x->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl: cannot make a handle");
		return -1;
	}
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, m->conf.timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, m->conf.timeout_ms);
	/*
	 * libcurl waits for some SMTP replies blocking the loop: the one to
	 * the end of the message and, when the connection closes after an
	 * error, the one to QUIT. The latter ignores the transfer's timeout
	 * and would wait 120 s by default; bound every wait by the timeout.
	 */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (m->conf.timeout_ms + 999) / 1000);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_VERBOSE, 1L);		/* for debug_cb only */
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, x);
	SET(CURLOPT_PROTOCOLS_STR, x->e->type == OUTBOX_MAIL ? "smtp,smtps" :
	    "http,https");
	if (x->e->type == OUTBOX_MAIL)
		return setup_mail(m, x, err, errlen);
	return setup_webhook(m, x, err, errlen);
}

static void
start(struct mailer *m, struct outbox_entry *e)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	char err[256] = "";
	time_t now = time(NULL);

	x->m = m;
	x->e = e;
	x->type = e->type;
	e->busy = 1;
	if (setup(m, x, err, sizeof(err)) == -1 ||
	    curl_multi_add_handle(m->multi, x->easy) != CURLM_OK) {
		if (x->easy != NULL && err[0] == '\0')
			snprintf(err, sizeof(err), "libcurl: cannot start");
		log_warnx("%s %s for %s not sent: %s; retrying later",
		    outbox_type_name(e->type), e->notice_id, e->target, err);
		x->e = NULL;
		e->busy = 0;
		xfer_free(x);
		(void)outbox_retry_later(m->ob, e, now, err);
		return;
	}
	log_debug("%s %s for %s: attempt %d", outbox_type_name(e->type),
	    e->notice_id, e->target, e->attempts + 1);
	m->busy[e->type] = x;
}

/* Decide what a finished transfer means and record it. */
static void
finish(struct mailer *m, struct xfer *x, CURLcode res)
{
	struct outbox_entry *e = x->e;
	const char *what = outbox_type_name(x->type);
	time_t now = time(NULL);
	long code = 0;
	char why[CURL_ERROR_SIZE + REPLY_MAX + 64];
	int permanent = 0;

	if (e == NULL) {		/* recorded when the server took it */
		m->busy[x->type] = NULL;
		return;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	m->busy[e->type] = NULL;
	x->e = NULL;
	e->busy = 0;
	if (e->type == OUTBOX_MAIL && res == CURLE_OK) {
		log_info("mail %s for %s accepted by the server for %zu "
		    "recipient%s: %s", e->notice_id, e->target, e->rcpt.n,
		    e->rcpt.n == 1 ? "" : "s", x->reply);
		(void)outbox_delivered(m->ob, e, now);
		return;
	}
	if (e->type == OUTBOX_WEBHOOK && res == CURLE_OK && code >= 200 &&
	    code < 300) {
		log_info("webhook %s for %s accepted (HTTP %ld)",
		    e->notice_id, e->target, code);
		(void)outbox_delivered(m->ob, e, now);
		return;
	}
	if (res == CURLE_USE_SSL_FAILED)
		snprintf(why, sizeof(why), "the mail server does not offer "
		    "STARTTLS and require_tls = yes");
	else if (e->type == OUTBOX_WEBHOOK && res == CURLE_OK) {
		snprintf(why, sizeof(why), "HTTP %ld", code);
		permanent = code >= 400 && code < 500 && code != 408 &&
		    code != 429;
	} else if (x->refusal[0] != '\0') {
		snprintf(why, sizeof(why), "server said: %s (%s)", x->refusal,
		    x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(res));
		permanent = e->type == OUTBOX_MAIL && code >= 500 &&
		    code < 600;
	} else {
		snprintf(why, sizeof(why), "%s", x->errbuf[0] != '\0' ?
		    x->errbuf : curl_easy_strerror(res));
		permanent = e->type == OUTBOX_MAIL && code >= 500 &&
		    code < 600;
	}
	if (permanent) {
		log_warnx("%s %s for %s REFUSED by the server: %s. It stays "
		    "in %s, marked failed, and is tried again after the next "
		    "reload (renewctl reload)", what, e->notice_id, e->target,
		    why, outbox_dir(m->ob));
		(void)outbox_failed(m->ob, e, now, why);
	} else {
		(void)outbox_retry_later(m->ob, e, now, why);
		log_warnx("%s %s for %s not sent (attempt %d): %s; next "
		    "attempt in %llds", what, e->notice_id, e->target,
		    e->attempts, why, (long long)(e->next_attempt - now));
	}
}

static void
collect(struct mailer *m)
{
	CURLMsg *msg;
	int left, done = 0;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		struct xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
		if (x == NULL)
			continue;
		finish(m, x, msg->data.result);
		curl_multi_remove_handle(m->multi, x->easy);
		xfer_free(x);
		done++;
	}
	if (done > 0 && m->hook != NULL)
		m->hook(m->hook_arg);
}

/* --- scheduling ----------------------------------------------------------- */

static const char *
url_of(const struct mailer *m, enum outbox_type t)
{
	return t == OUTBOX_MAIL ? m->conf.url : m->conf.webhook_url;
}

static void
schedule(struct mailer *m)
{
	time_t now, next = 0;
	struct timeval tv;

	collect(m);
	now = time(NULL);
	for (int t = 0; t < OUTBOX_TYPE_COUNT; t++) {
		struct outbox_entry *e;
		time_t nt;

		if (m->busy[t] != NULL || url_of(m, (enum outbox_type)t) ==
		    NULL)
			continue;
		if ((e = outbox_next_due(m->ob, (enum outbox_type)t, now)) !=
		    NULL)
			start(m, e);
		if (m->busy[t] != NULL)
			continue;
		nt = outbox_next_time(m->ob, (enum outbox_type)t);
		if (nt != 0 && (next == 0 || nt < next))
			next = nt;
	}
	evtimer_del(m->tick);
	if (next != 0) {
		tv.tv_sec = next > now ? next - now : 0;
		tv.tv_usec = 0;
		evtimer_add(m->tick, &tv);
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	schedule(arg);
}

static void
outbox_hook(void *arg)
{
	mailer_kick(arg);
}

void
mailer_kick(struct mailer *m)
{
	struct timeval tv = { 0, 0 };

	/* from the loop, never from inside the caller */
	evtimer_del(m->tick);
	evtimer_add(m->tick, &tv);
}

/* --- life cycle ------------------------------------------------------------- */

struct mailer *
mailer_new(struct event_base *base, struct outbox *ob,
    const struct config *cfg)
{
	struct mailer *m;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("%s: libcurl cannot be initialised", __func__);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->base = base;
	m->ob = ob;
	if ((m->multi = curl_multi_init()) == NULL ||
	    (m->timer = evtimer_new(base, curl_timeout, m)) == NULL ||
	    (m->tick = evtimer_new(base, tick, m)) == NULL) {
		log_warnx("%s: cannot set up the mailer", __func__);
		mailer_free(m);
		return NULL;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	outbox_set_hook(ob, outbox_hook, m);
	mailer_set_config(m, cfg);
	return m;
}

size_t
mailer_inflight(const struct mailer *m)
{
	size_t n = 0;

	for (int t = 0; t < OUTBOX_TYPE_COUNT; t++)
		n += m->busy[t] != NULL;
	return n;
}

void
mailer_set_hook(struct mailer *m, void (*fn)(void *), void *arg)
{
	m->hook = fn;
	m->hook_arg = arg;
}

/*
 * End the transfers still running, without a word to the server. Removing
 * a running SMTP transfer from the multi handle is not enough: libcurl's
 * SMTP "done" step takes the removal for the end of the message, sends the
 * end-of-data line and waits for the reply, blocking, up to the transfer's
 * timeout (a silent server holds the shutdown that long; a message cut
 * short in its DATA could even be accepted, and then sent again whole after
 * the restart). So each one is made to time out first: libcurl then drops
 * the connection as a dead one, sending nothing more. A few rounds, as the
 * timeout is only reached once a millisecond has passed since the start.
 */
static void
abort_inflight(struct mailer *m)
{
	const struct timespec pause = { 0, 2 * 1000 * 1000 };
	int running = 0;

	for (int t = 0; t < OUTBOX_TYPE_COUNT; t++)
		if (m->busy[t] != NULL) {
			(void)curl_easy_setopt(m->busy[t]->easy,
			    CURLOPT_TIMEOUT_MS, 1L);
			running = 1;
		}
	for (int round = 0; running && round < 50; round++) {
		int left;

		if (round > 0)
			(void)nanosleep(&pause, NULL);
		if (curl_multi_perform(m->multi, &running) != CURLM_OK)
			break;
		/* the outcome does not matter: the entry stays as it is */
		while (curl_multi_info_read(m->multi, &left) != NULL)
			;
	}
}

void
mailer_free(struct mailer *m)
{
	if (m == NULL)
		return;
	if (m->ob != NULL)
		outbox_set_hook(m->ob, NULL, NULL);
	if (m->multi != NULL)
		abort_inflight(m);
	for (int t = 0; t < OUTBOX_TYPE_COUNT; t++) {
		struct xfer *x = m->busy[t];

		if (x == NULL)
			continue;
		if (x->e != NULL)
			log_info("%s %s for %s abandoned at shutdown; it stays "
			    "queued", outbox_type_name(x->e->type),
			    x->e->notice_id, x->e->target);
		curl_multi_remove_handle(m->multi, x->easy);
		xfer_free(x);
		m->busy[t] = NULL;
	}
	if (m->multi != NULL)
		curl_multi_cleanup(m->multi);
	while (m->socks != NULL)
		sockev_free(m, m->socks);
	if (m->timer != NULL)
		event_free(m->timer);
	if (m->tick != NULL)
		event_free(m->tick);
	conf_free(&m->conf);
	free(m);
	curl_global_cleanup();
}
