/*
 * mailer.c — sending the outbox's entries (see mailer.h) with libcurl, on a
 * thread of its own.
 *
 * libcurl's SMTP code waits for some replies blocking, even under its multi
 * interface: the reply to the end of the message, and QUIT's after an
 * error. On the daemon's loop a server that goes silent would hold the
 * probes, the control socket and the watchdog for up to [mail] timeout,
 * twice. So the loop decides and records, and a sender thread transfers:
 *
 *	loop thread				sender thread
 *	schedule(): a due entry -> start():
 *	  outbox_record_prepare(), a job
 *	  with its own copy of the data and
 *	  a configured easy handle
 *	  -> m->todo, curl_multi_wakeup()  ->	curl_multi_add_handle()
 *						curl_multi_perform(), _poll()
 *						the server accepts (debug_cb,
 *						  or a webhook's 2xx): rename
 *						  *.sending -> *.sent at once
 *	results_ready() <- m->done, pipe <-	the transfer is over
 *	finish(): log; outbox_delivered(),
 *	  _retry_later() or _failed();
 *	  schedule()
 *
 * The threads share only the todo and done lists and the stop flag (under
 * m->lock), the multi handle's wakeup and the pipe. A job belongs to one
 * side at a time; the sender never touches the outbox, the configuration
 * or the log.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fileio.h"
#include "log.h"
#include "mailer.h"
#include "outbox.h"
#include "util.h"

#define PASSWORD_MAX	4096
#define REPLY_MAX	256
#define POLL_MS		1000	/* the sender's longest sleep */
#define JOIN_WAIT_S	5	/* at shutdown, for a transfer to end */

struct mailer_conf {
	char	*url;
	int	 require_tls;
	char	*username;
	char	*password_file;
	char	*ca_file;
	long	 timeout_ms;
	char	*webhook_url;
};

/* One attempt to send one entry. */
struct job {
	struct job		*next;
	enum outbox_type	 type;
	struct outbox_entry	*e;		/* the loop's: never touched by
						 * the sender */
	CURL			*easy;
	struct curl_slist	*rcpt;
	struct curl_slist	*headers;
	char			*data;		/* a copy of e->data */
	size_t			 len;
	size_t			 off;
	char			*password;
	char			*sending;	/* the prepared record ... */
	char			*sent;		/* ... and its final name */
	/* set by the sender */
	int			 data_stage;	/* DATA_SENT, DATA_GOING */
	int			 accepted;	/* the server took it */
	int			 record_errno;	/* the record's rename failed */
	int			 abandoned;	/* cut off at shutdown */
	CURLcode		 res;
	long			 code;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 reply[REPLY_MAX];	/* last server line */
	char			 refusal[REPLY_MAX];	/* last 4xx/5xx line */
};

/* Where an SMTP transfer is in its DATA exchange (debug_cb). */
#define DATA_SENT	1		/* the DATA command went out */
#define DATA_GOING	2		/* 354: the message is being sent */

struct mailer {
	/* the loop's */
	struct event_base	*base;
	struct outbox		*ob;
	struct event		*tick;		/* the next due entry */
	struct event		*results;	/* wake_r is readable */
	struct mailer_conf	 conf;
	struct job		*busy[OUTBOX_TYPE_COUNT];
	int			 warned_mode;
	void			(*hook)(void *);
	void			*hook_arg;
	/* shared with the sender */
	CURLM			*multi;		/* the sender's, but for
						 * curl_multi_wakeup() */
	pthread_t		 thread;
	int			 thread_started;
	pthread_mutex_t		 lock;
	struct job		*todo;		/* loop -> sender */
	struct job		*done;		/* sender -> loop */
	int			 stop;
	int			 wake_r, wake_w;	/* sender -> loop */
};

static void	schedule(struct mailer *);

static void
lock(struct mailer *m)
{
	int rc;

	if ((rc = pthread_mutex_lock(&m->lock)) != 0)
		fatalx("%s: %s", __func__, strerror(rc));
}

static void
unlock(struct mailer *m)
{
	int rc;

	if ((rc = pthread_mutex_unlock(&m->lock)) != 0)
		fatalx("%s: %s", __func__, strerror(rc));
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->easy != NULL)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->rcpt);
	curl_slist_free_all(j->headers);
	if (j->password != NULL) {
		explicit_bzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j->data);
	free(j->sending);
	free(j->sent);
	free(j);
}

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

/* --- the sender thread -------------------------------------------------------- */

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct job *j = arg;
	size_t room = size * nitems, left, n;

	if (j->accepted)
		return 0;
	left = j->len - j->off;
	n = left < room ? left : room;
	memcpy(buf, j->data + j->off, n);
	j->off += n;
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
 * The server took the message: make the delivery record before anything
 * else. libcurl reports the transfer done only after QUIT and its reply,
 * and a crash in between would send the accepted mail again after the
 * restart; with the record in place it cannot. One rename(), then the
 * directory's fsync.
 */
static void
accepted_now(struct job *j)
{
	if (j->accepted)
		return;
	j->accepted = 1;
	if (rename(j->sending, j->sent) == -1 ||
	    file_sync_parent(j->sent) == -1)
		j->record_errno = errno;
}

/*
 * Keep the last line the server sent (SMTP replies, HTTP status), and
 * follow the SMTP DATA exchange to see the message accepted.
 */
static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t len, void *arg)
{
	struct job *j = arg;
	char *s;
	int final;

	(void)easy;
	if (type == CURLINFO_HEADER_OUT && j->type == OUTBOX_MAIL) {
		if (len >= 4 && strncasecmp(data, "DATA", 4) == 0 &&
		    (len == 4 || data[4] == '\r' || data[4] == '\n'))
			j->data_stage = DATA_SENT;
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
	final = len >= 3 && (len == 3 || data[3] == ' ');
	if (j->type == OUTBOX_MAIL && final) {
		if (j->data_stage == DATA_SENT)
			j->data_stage = data[0] == '3' ? DATA_GOING : 0;
		else if (j->data_stage == DATA_GOING) {
			j->data_stage = 0;
			if (data[0] == '2')
				accepted_now(j);	/* first of all */
		}
	}
	s = rd_sanitize(data, len);
	rd_strlcpy(j->reply, s, sizeof(j->reply));
	if (s[0] == '4' || s[0] == '5')
		rd_strlcpy(j->refusal, s, sizeof(j->refusal));
	free(s);
	return 0;
}

/* Hand a finished job to the loop. */
static void
post(struct mailer *m, struct job *j)
{
	lock(m);
	j->next = m->done;
	m->done = j;
	unlock(m);
	/* a full pipe already says "look" */
	while (write(m->wake_w, "", 1) == -1 && errno == EINTR)
		;
}

static void
unlink_job(struct job **list, struct job *j)
{
	for (struct job **p = list; *p != NULL; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			j->next = NULL;
			return;
		}
}

/* The transfers libcurl reports done; cut off at shutdown: `abandon`. */
static void
collect(struct mailer *m, struct job **running, int abandon)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		struct job *j = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &j) != CURLE_OK ||
		    j == NULL)
			continue;
		j->res = res;
		if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &j->code)
		    != CURLE_OK)
			j->code = 0;
		if (j->type == OUTBOX_WEBHOOK && res == CURLE_OK &&
		    j->code >= 200 && j->code < 300)
			accepted_now(j);
		j->abandoned = abandon && !j->accepted;
		(void)curl_multi_remove_handle(m->multi, easy);
		unlink_job(running, j);
		post(m, j);
	}
}

/*
 * End the transfers still running, without a word to the server. Removing
 * a running SMTP transfer from the multi handle is not enough: libcurl's
 * SMTP "done" step takes the removal for the end of the message, sends the
 * end-of-data line and waits for the reply, blocking, up to the transfer's
 * timeout (a message cut short in its DATA could even be accepted, and
 * then sent again whole after the restart). So each one is made to time
 * out first: libcurl then drops the connection as a dead one, sending
 * nothing more. A few rounds, as the timeout is only reached once a
 * millisecond has passed since the start.
 */
static void
abort_running(struct mailer *m, struct job **running)
{
	const struct timespec pause = { 0, 2 * 1000 * 1000 };
	int n = 0;

	for (struct job *j = *running; j != NULL; j = j->next)
		(void)curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, 1L);
	for (int round = 0; *running != NULL && round < 50; round++) {
		if (round > 0)
			(void)nanosleep(&pause, NULL);
		if (curl_multi_perform(m->multi, &n) != CURLM_OK)
			break;
		collect(m, running, 1);
	}
	while (*running != NULL) {
		struct job *j = *running;

		(void)curl_multi_remove_handle(m->multi, j->easy);
		unlink_job(running, j);
		j->abandoned = 1;
		post(m, j);
	}
}

static void *
sender_main(void *arg)
{
	struct mailer *m = arg;
	struct job *running = NULL, *todo;
	int stop, n;

	for (;;) {
		lock(m);
		todo = m->todo;
		m->todo = NULL;
		stop = m->stop;
		unlock(m);
		while (todo != NULL) {
			struct job *j = todo;

			todo = j->next;
			j->next = NULL;
			if (stop) {
				j->abandoned = 1;
				post(m, j);
			} else if (curl_multi_add_handle(m->multi, j->easy) !=
			    CURLM_OK) {
				j->res = CURLE_FAILED_INIT;
				rd_strlcpy(j->errbuf, "libcurl: cannot start",
				    sizeof(j->errbuf));
				post(m, j);
			} else {
				j->next = running;
				running = j;
			}
		}
		if (stop)
			break;
		(void)curl_multi_perform(m->multi, &n);
		collect(m, &running, 0);
		(void)curl_multi_poll(m->multi, NULL, 0, POLL_MS, NULL);
	}
	abort_running(m, &running);
	return NULL;
}

#define SET(opt, val) do {						\
	if (curl_easy_setopt(j->easy, opt, val) != CURLE_OK) {		\
		snprintf(err, errlen, "libcurl refused option %s", #opt); \
		return -1;						\
	}								\
} while (0)

static int
setup_mail(struct mailer *m, struct job *j, char *err, size_t errlen)
{
	struct outbox_entry *e = j->e;

	SET(CURLOPT_URL, m->conf.url);
	SET(CURLOPT_MAIL_FROM, e->from);
	for (size_t i = 0; i < e->rcpt.n; i++) {
		struct curl_slist *l = curl_slist_append(j->rcpt, e->rcpt.v[i]);

		if (l == NULL)
			fatalx("%s: out of memory", __func__);
		j->rcpt = l;
	}
	SET(CURLOPT_MAIL_RCPT, j->rcpt);
	/* a refused recipient must not hold back the others (7.69+) */
	SET(CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, j);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
	SET(CURLOPT_USE_SSL, m->conf.require_tls ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_TRY);
	if (m->conf.ca_file != NULL)
		SET(CURLOPT_CAINFO, m->conf.ca_file);
	if (m->conf.username != NULL) {
		SET(CURLOPT_USERNAME, m->conf.username);
		if (m->conf.password_file != NULL) {
			j->password = read_password(m, err, errlen);
			if (j->password == NULL)
				return -1;
			SET(CURLOPT_PASSWORD, j->password);
		}
	}
	return 0;
}

static int
setup_webhook(struct mailer *m, struct job *j, char *err, size_t errlen)
{
	struct curl_slist *l;

	SET(CURLOPT_URL, m->conf.webhook_url);
	l = curl_slist_append(NULL, "Content-Type: application/json");
	if (l == NULL)
		fatalx("%s: out of memory", __func__);
	j->headers = l;
	SET(CURLOPT_HTTPHEADER, j->headers);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, j->data);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->len);
	SET(CURLOPT_WRITEFUNCTION, discard_cb);
	SET(CURLOPT_USERAGENT, "renewd/" RENEWD_VERSION);
	return 0;
}

static int
setup(struct mailer *m, struct job *j, char *err, size_t errlen)
{
	if ((j->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl: cannot make a handle");
		return -1;
	}
	SET(CURLOPT_PRIVATE, j);
	SET(CURLOPT_ERRORBUFFER, j->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, m->conf.timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, m->conf.timeout_ms);
	/*
	 * libcurl waits for some SMTP replies blocking (the sender thread):
	 * the one to the end of the message and, when the connection closes
	 * after an error, the one to QUIT. The latter ignores the transfer's
	 * timeout and would wait 120 s by default; bound every wait by it.
	 */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (m->conf.timeout_ms + 999) / 1000);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_VERBOSE, 1L);		/* for debug_cb only */
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, j);
	SET(CURLOPT_PROTOCOLS_STR, j->e->type == OUTBOX_MAIL ? "smtp,smtps" :
	    "http,https");
	if (j->e->type == OUTBOX_MAIL)
		return setup_mail(m, j, err, errlen);
	return setup_webhook(m, j, err, errlen);
}

/* --- the loop: starting and finishing attempts -------------------------------- */

static void
start(struct mailer *m, struct outbox_entry *e)
{
	struct job *j = xcalloc(1, sizeof(*j));
	char err[512] = "";
	time_t now = time(NULL);

	j->e = e;
	j->type = e->type;
	if (outbox_record_prepare(m->ob, e, now, &j->sending, &j->sent, err,
	    sizeof(err)) == -1) {
		log_warnx("%s %s for %s not sent: the delivery could not be "
		    "recorded (%s); retrying later", outbox_type_name(e->type),
		    e->notice_id, e->target, err);
		job_free(j);
		(void)outbox_retry_later(m->ob, e, now, err);
		return;
	}
	j->data = xmalloc(e->len + 1);
	memcpy(j->data, e->data, e->len + 1);
	j->len = e->len;
	if (setup(m, j, err, sizeof(err)) == -1) {
		log_warnx("%s %s for %s not sent: %s; retrying later",
		    outbox_type_name(e->type), e->notice_id, e->target, err);
		outbox_record_drop(m->ob, e);
		job_free(j);
		(void)outbox_retry_later(m->ob, e, now, err);
		return;
	}
	log_debug("%s %s for %s: attempt %d", outbox_type_name(e->type),
	    e->notice_id, e->target, e->attempts + 1);
	e->busy = 1;
	m->busy[e->type] = j;
	lock(m);
	j->next = m->todo;
	m->todo = j;
	unlock(m);
	(void)curl_multi_wakeup(m->multi);
}

/* Decide what a finished attempt means and record it. */
static void
finish(struct mailer *m, struct job *j)
{
	struct outbox_entry *e = j->e;
	const char *what = outbox_type_name(j->type);
	time_t now = time(NULL);
	char why[CURL_ERROR_SIZE + REPLY_MAX + 64];
	int permanent = 0;

	m->busy[j->type] = NULL;
	e->busy = 0;
	if (j->accepted) {
		if (j->record_errno != 0)
			log_warnx("%s %s for %s: the delivery record %s could "
			    "not be made at once: %s", what, e->notice_id,
			    e->target, j->sent, strerror(j->record_errno));
		if (j->type == OUTBOX_MAIL)
			log_info("mail %s for %s accepted by the server for "
			    "%zu recipient%s: %s", e->notice_id, e->target,
			    e->rcpt.n, e->rcpt.n == 1 ? "" : "s", j->reply);
		else
			log_info("webhook %s for %s accepted (HTTP %ld)",
			    e->notice_id, e->target, j->code);
		(void)outbox_delivered(m->ob, e, now);
		return;
	}
	outbox_record_drop(m->ob, e);
	if (j->abandoned) {
		log_info("%s %s for %s abandoned at shutdown; it stays queued",
		    what, e->notice_id, e->target);
		return;
	}
	if (j->res == CURLE_USE_SSL_FAILED)
		snprintf(why, sizeof(why), "the mail server does not offer "
		    "STARTTLS and require_tls = yes");
	else if (j->type == OUTBOX_WEBHOOK && j->res == CURLE_OK) {
		snprintf(why, sizeof(why), "HTTP %ld", j->code);
		permanent = j->code >= 400 && j->code < 500 &&
		    j->code != 408 && j->code != 429;
	} else if (j->refusal[0] != '\0') {
		snprintf(why, sizeof(why), "server said: %s (%s)", j->refusal,
		    j->errbuf[0] != '\0' ? j->errbuf :
		    curl_easy_strerror(j->res));
		permanent = j->type == OUTBOX_MAIL && j->code >= 500 &&
		    j->code < 600;
	} else {
		snprintf(why, sizeof(why), "%s", j->errbuf[0] != '\0' ?
		    j->errbuf : curl_easy_strerror(j->res));
		permanent = j->type == OUTBOX_MAIL && j->code >= 500 &&
		    j->code < 600;
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

/* Record what the sender finished, oldest first; the number of jobs. */
static size_t
take_results(struct mailer *m)
{
	struct job *list, *fifo = NULL;
	char drain[64];
	size_t n = 0;

	while (read(m->wake_r, drain, sizeof(drain)) > 0)
		;
	lock(m);
	list = m->done;
	m->done = NULL;
	unlock(m);
	while (list != NULL) {		/* posted newest first */
		struct job *j = list;

		list = j->next;
		j->next = fifo;
		fifo = j;
	}
	while (fifo != NULL) {
		struct job *j = fifo;

		fifo = j->next;
		finish(m, j);
		job_free(j);
		n++;
	}
	return n;
}

static void
results_ready(evutil_socket_t fd, short what, void *arg)
{
	struct mailer *m = arg;

	(void)fd;
	(void)what;
	if (take_results(m) > 0 && m->hook != NULL)
		m->hook(m->hook_arg);
	schedule(m);
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
	time_t now = time(NULL), next = 0;
	struct timeval tv;

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

/* The sender, with every signal blocked: they are the loop's to handle. */
static int
start_sender(struct mailer *m)
{
	sigset_t all, old;
	int rc;

	if (sigfillset(&all) == -1 ||
	    pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return -1;
	rc = pthread_create(&m->thread, NULL, sender_main, m);
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		fatalx("%s: cannot restore the signal mask", __func__);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	m->thread_started = 1;
	return 0;
}

struct mailer *
mailer_new(struct event_base *base, struct outbox *ob,
    const struct config *cfg)
{
	struct mailer *m;
	int fds[2];

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("%s: libcurl cannot be initialised", __func__);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->base = base;
	m->ob = ob;
	m->wake_r = m->wake_w = -1;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		log_warnx("%s: cannot make a mutex", __func__);
		free(m);
		curl_global_cleanup();
		return NULL;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("%s: pipe", __func__);
		mailer_free(m);
		return NULL;
	}
	m->wake_r = fds[0];
	m->wake_w = fds[1];
	if ((m->multi = curl_multi_init()) == NULL ||
	    (m->tick = evtimer_new(base, tick, m)) == NULL ||
	    (m->results = event_new(base, m->wake_r, EV_READ | EV_PERSIST,
	    results_ready, m)) == NULL || event_add(m->results, NULL) == -1) {
		log_warnx("%s: cannot set up the mailer", __func__);
		mailer_free(m);
		return NULL;
	}
	if (start_sender(m) == -1) {
		log_warn("%s: cannot start the sender thread", __func__);
		mailer_free(m);
		return NULL;
	}
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
 * Stop the sender and wait for it, JOIN_WAIT_S at most: it may be inside
 * one of libcurl's blocking waits, bounded by [mail] timeout. 0 when it
 * ended, -1 when it is still stuck.
 */
static int
stop_sender(struct mailer *m)
{
	struct timespec until;
	int rc;

	lock(m);
	m->stop = 1;
	unlock(m);
	(void)curl_multi_wakeup(m->multi);
	if (clock_gettime(CLOCK_REALTIME, &until) == -1)
		fatal("%s: clock_gettime", __func__);
	until.tv_sec += JOIN_WAIT_S;
	rc = pthread_timedjoin_np(m->thread, NULL, &until);
	if (rc == 0) {
		m->thread_started = 0;
		return 0;
	}
	if (rc != ETIMEDOUT)
		fatalx("%s: pthread_timedjoin_np: %s", __func__, strerror(rc));
	return -1;
}

void
mailer_free(struct mailer *m)
{
	if (m == NULL)
		return;
	if (m->ob != NULL)
		outbox_set_hook(m->ob, NULL, NULL);
	if (m->thread_started && stop_sender(m) == -1) {
		/*
		 * Still waiting for a server. The thread keeps what it
		 * uses (the multi handle, the lock, the pipe, its jobs)
		 * until the process ends; the entry stays queued.
		 */
		(void)take_results(m);
		for (int t = 0; t < OUTBOX_TYPE_COUNT; t++)
			if (m->busy[t] != NULL) {
				log_warnx("%s %s for %s: still waiting for the "
				    "server at shutdown; abandoned, it stays "
				    "queued", outbox_type_name((enum
				    outbox_type)t), m->busy[t]->e->notice_id,
				    m->busy[t]->e->target);
				m->busy[t]->e->busy = 0;
			}
		if (m->tick != NULL)
			event_free(m->tick);
		if (m->results != NULL)
			event_free(m->results);
		conf_free(&m->conf);
		return;
	}
	(void)take_results(m);
	if (m->multi != NULL)
		curl_multi_cleanup(m->multi);
	if (m->tick != NULL)
		event_free(m->tick);
	if (m->results != NULL)
		event_free(m->results);
	if (m->wake_r != -1)
		close(m->wake_r);
	if (m->wake_w != -1)
		close(m->wake_w);
	(void)pthread_mutex_destroy(&m->lock);
	conf_free(&m->conf);
	free(m);
	curl_global_cleanup();
}
