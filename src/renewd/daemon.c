/*
 * daemon.c — the service: start-up, signals, reload and shutdown around
 * one event loop. It runs in the foreground (as systemd expects): no fork,
 * no PID file. The work on the targets is in watch.c.
 *
 * Start-up order: the state directory (created 0700 when missing, locked
 * so that a second renewd cannot share it, cleared of temp files a killed
 * writer left), the trust anchors, the event base, the probe engine, the
 * sink, the signals, the control socket (claimed before the targets are
 * loaded, served once they are), then every target's state and schedule,
 * and the metrics server (metrics_listen).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "calendar.h"
#include "log.h"
#include "mailer.h"
#include "outbox.h"
#include "probe.h"
#include "renewd.h"
#include "sdnotify.h"
#include "state.h"
#include "util.h"

struct daemon {
	char			*path;		/* the config file */
	char			*state_dir;
	int			 lockfd;
	X509_STORE		*trust;
	struct event_base	*base;
	struct probe_engine	*engine;
	struct sink		*sink;
	struct outbox		*outbox;
	struct mailer		*mailer;
	struct watch		*watch;
	struct control		*control;
	struct metrics		*metrics;	/* NULL: no metrics_listen */
	struct event		*ev_hup;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_watchdog;
	struct event		*ev_status;	/* STATUS= once a minute */
};

static void	daemon_status(evutil_socket_t, short, void *);

static int
daemon_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGPIPE, &sa,
	    NULL) == -1) {
		log_warn("%s: sigaction", __func__);
		return -1;
	}
	return 0;
}

/*
 * Make sure state_dir exists (mode 0700 when made here), lock it for this
 * process, and remove the temp files of an interrupted write. The lock fd,
 * or -1 (logged).
 */
static int
daemon_state_dir(const char *dir)
{
	struct stat sb;
	char err[1024];
	int fd, n;

	if (mkdir(dir, 0700) == 0)
		log_info("created the state directory %s", dir);
	else if (errno != EEXIST) {
		log_warn("cannot create the state directory %s", dir);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("state directory %s", dir);
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		log_warn("state directory %s", dir);
		close(fd);
		return -1;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		log_warn("state directory %s is not writable", dir);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			log_warnx("state directory %s is in use by another "
			    "renewd", dir);
		else
			log_warn("cannot lock the state directory %s", dir);
		close(fd);
		return -1;
	}
	if ((n = statefile_cleanup(dir, err, sizeof(err))) == -1) {
		log_warnx("cannot read the state directory: %s", err);
		close(fd);
		return -1;
	}
	if (n > 0)
		log_info("removed %d unfinished state file%s left by an "
		    "interrupted write", n, n == 1 ? "" : "s");
	return fd;
}

/* The loop, with renewctl's priority (renewd.h). */
static struct event_base *
daemon_event_base(void)
{
	struct event_config *ec;
	struct event_base *base = NULL;

	if ((ec = event_config_new()) == NULL)
		return NULL;
	if (event_config_set_max_dispatch_interval(ec, NULL,
	    RENEWD_DISPATCH_MAX, RENEWD_PRIO_WORK) == 0)
		base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (base != NULL && event_base_priority_init(base, RENEWD_PRIOS) ==
	    -1) {
		event_base_free(base);
		base = NULL;
	}
	return base;
}

/* Read the config again (SIGHUP, renewctl reload): 0, or -1 with its
 * errors in `errors` (logged; the config in use is kept). */
static int
daemon_reload(struct daemon *d, const char *why, struct strlist *errors)
{
	struct config *cfg;

	sdnotify_reloading();
	log_info("%s: reloading the configuration from %s", why, d->path);
	if ((cfg = config_load(d->path, errors)) == NULL) {
		for (size_t i = 0; i < errors->n; i++)
			log_warnx("%s", errors->v[i]);
		log_warnx("%s: %zu error%s: the configuration in use is kept",
		    d->path, errors->n, errors->n == 1 ? "" : "s");
		log_event(LOG_WARNING, LOG_MID_CONFIG_RELOAD_FAILED, NULL,
		    LOG_NO_DAYS, NULL, NULL, "%s: configuration kept", d->path);
		sdnotify_ready();
		return -1;
	}
	metrics_reload(watch_config(d->watch), cfg);
	watch_reload(d->watch, cfg);
	sink_outbox_set_config(d->sink, watch_config(d->watch));
	mailer_set_config(d->mailer, watch_config(d->watch));
	/* a corrected [mail] gets another chance at refused mail */
	(void)outbox_retry(d->outbox, time(NULL));
	log_event(LOG_INFO, LOG_MID_CONFIG_RELOADED, NULL, LOG_NO_DAYS, NULL,
	    NULL, "%s: configuration reloaded", d->path);
	sdnotify_ready();
	daemon_status(-1, 0, d);
	return 0;
}

static int
daemon_control_reload(void *arg, struct strlist *errors)
{
	return daemon_reload(arg, "renewctl reload", errors);
}

static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP: {
		struct strlist errors = { 0 };

		(void)daemon_reload(d, "SIGHUP", &errors);
		strlist_free(&errors);
		break;
	}
	case SIGTERM:
	case SIGINT:
		sdnotify_stopping();
		log_event(LOG_INFO, LOG_MID_STOPPING, NULL, LOG_NO_DAYS, NULL,
		    NULL, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		if (event_base_loopbreak(d->base) == -1)
			fatalx("cannot leave the event loop");
		break;
	}
}

static void
daemon_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sdnotify_watchdog_ping();
}

static int
daemon_signals(struct daemon *d)
{
	uint64_t usec = sdnotify_watchdog_usec();
	struct timeval minute = { 60, 0 };

	if ((d->ev_status = event_new(d->base, -1, EV_PERSIST, daemon_status,
	    d)) == NULL || event_add(d->ev_status, &minute) == -1)
		return -1;
	if (usec > 0) {
		struct timeval tv = { (time_t)(usec / 2 / 1000000),
		    (suseconds_t)(usec / 2 % 1000000) };

		if ((d->ev_watchdog = event_new(d->base, -1, EV_PERSIST,
		    daemon_watchdog, d)) == NULL ||
		    event_add(d->ev_watchdog, &tv) == -1)
			return -1;
	}
	if ((d->ev_hup = evsignal_new(d->base, SIGHUP, daemon_signal,
	    d)) == NULL ||
	    (d->ev_term = evsignal_new(d->base, SIGTERM, daemon_signal,
	    d)) == NULL ||
	    (d->ev_int = evsignal_new(d->base, SIGINT, daemon_signal,
	    d)) == NULL)
		return -1;
	if (event_priority_set(d->ev_hup, RENEWD_PRIO_CONTROL) == -1 ||
	    event_priority_set(d->ev_term, RENEWD_PRIO_CONTROL) == -1 ||
	    event_priority_set(d->ev_int, RENEWD_PRIO_CONTROL) == -1)
		return -1;
	if (evsignal_add(d->ev_hup, NULL) == -1 ||
	    evsignal_add(d->ev_term, NULL) == -1 ||
	    evsignal_add(d->ev_int, NULL) == -1)
		return -1;
	return 0;
}

/* Everything is set up and the loop is about to run. */
/* systemd's STATUS= line, kept current once a minute. */
static void
daemon_status(evutil_socket_t fd, short what, void *arg)
{
	const struct daemon *d = arg;
	struct watch_summary sum;
	char day[16];

	(void)fd;
	(void)what;
	watch_summarize(d->watch, &sum);
	if (sum.nearest < 0) {
		sdnotify_status("watching %zu target%s, %zu need%s attention",
		    sum.targets, sum.targets == 1 ? "" : "s", sum.attention,
		    sum.attention == 1 ? "s" : "");
		return;
	}
	jday_format(sum.nearest, day);
	sdnotify_status("watching %zu target%s, %zu need%s attention; "
	    "nearest deadline %s (%s, %d days)", sum.targets,
	    sum.targets == 1 ? "" : "s", sum.attention,
	    sum.attention == 1 ? "s" : "", day, sum.nearest_name,
	    sum.nearest - jday_from_time(time(NULL)));
}

static void
daemon_ready(const struct daemon *d)
{
	const struct config *cfg = watch_config(d->watch);
	size_t n = watch_ntargets(d->watch);

	sdnotify_ready();
	daemon_status(-1, 0, (void *)d);
	log_event(LOG_INFO, LOG_MID_STARTED, NULL, LOG_NO_DAYS, NULL, NULL, "started: %zu target%s from %s, state in %s", n,
	    n == 1 ? "" : "s", d->path, cfg->state_dir);
}

/* No reload or stop once shutting down (probe_engine_free may run the
 * loop once more). */
static void
daemon_signals_free(struct daemon *d)
{
	if (d->ev_hup != NULL)
		event_free(d->ev_hup);
	if (d->ev_term != NULL)
		event_free(d->ev_term);
	if (d->ev_int != NULL)
		event_free(d->ev_int);
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	if (d->ev_status != NULL)
		event_free(d->ev_status);
	d->ev_hup = d->ev_term = d->ev_int = d->ev_watchdog = NULL;
	d->ev_status = NULL;
}

/* renewd_mail_queue_length: mails not delivered yet (waiting, in flight,
 * or refused and held until a reload). */
static size_t
daemon_mail_queue(void *arg)
{
	struct outbox_counts c;

	outbox_counts(arg, &c);
	return c.queued[OUTBOX_MAIL] + c.failed[OUTBOX_MAIL];
}

/* The mail outbox under state_dir, its mailer on the loop, and the sink
 * that puts each notice into it before the state recording it is saved. */
static int
daemon_outbox(struct daemon *d, const struct config *cfg)
{
	char err[256];
	char *dir = xasprintf("%s/%s", d->state_dir, OUTBOX_DIR);

	d->outbox = outbox_open(dir, time(NULL), err, sizeof(err));
	free(dir);
	if (d->outbox == NULL) {
		log_warnx("mail outbox: %s", err);
		return -1;
	}
	if ((d->mailer = mailer_new(d->base, d->outbox, cfg)) == NULL) {
		log_warnx("cannot start the mailer");
		return -1;
	}
	d->sink = sink_outbox_new(d->outbox, cfg);
	metrics_set_mail_queue(daemon_mail_queue, d->outbox);
	return 0;
}

/* Free what was set up, in the reverse order; the engine goes before the
 * watch (no probe callback may come after its targets are freed). */
static void
daemon_free(struct daemon *d)
{
	daemon_signals_free(d);
	control_free(d->control);
	d->control = NULL;
	metrics_free(d->metrics);
	d->metrics = NULL;
	metrics_set_mail_queue(NULL, NULL);
	if (d->engine != NULL)
		probe_engine_free(d->engine);
	watch_free(d->watch);
	sink_free(d->sink);
	mailer_free(d->mailer);		/* before the outbox it drains */
	if (d->outbox != NULL)
		outbox_close(d->outbox);
	if (d->base != NULL)
		event_base_free(d->base);
	if (d->trust != NULL)
		X509_STORE_free(d->trust);
	if (d->lockfd != -1)
		close(d->lockfd);
	free(d->state_dir);
	free(d->path);
}

int
daemon_run(const char *path, struct config *cfg)
{
	struct daemon d;
	size_t unsaved;

	memset(&d, 0, sizeof(d));
	d.lockfd = -1;
	d.path = xstrdup(path);
	d.state_dir = xstrdup(cfg->state_dir);
	evlog_init(0);

	if (daemon_ignore_sigpipe() == -1)
		goto fail;
	if ((d.lockfd = daemon_state_dir(d.state_dir)) == -1 ||
	    (d.trust = trust_load(cfg->ca_file)) == NULL)
		goto fail;
	if ((d.base = daemon_event_base()) == NULL) {
		log_warnx("cannot make the event base");
		goto fail;
	}
	if ((d.engine = probe_engine_new(d.base, cfg, d.trust)) == NULL) {
		log_warnx("cannot start the probe engine");
		goto fail;
	}
	if (daemon_outbox(&d, cfg) == -1)
		goto fail;
	if (daemon_signals(&d) == -1) {
		log_warnx("cannot set up the signal handlers");
		goto fail;
	}
	if ((d.control = control_new(d.base, cfg)) == NULL)
		goto fail;
	d.watch = watch_new(d.base, d.engine, d.sink, d.state_dir, cfg);
	cfg = NULL;
	control_start(d.control, d.watch, d.sink, daemon_control_reload, &d);
	if (watch_config(d.watch)->metrics_listen != NULL &&
	    (d.metrics = metrics_new(d.base,
	    watch_config(d.watch)->metrics_listen, d.watch)) == NULL)
		goto fail;
	daemon_ready(&d);

	if (event_base_dispatch(d.base) == -1) {
		log_warnx("the event loop failed");
		watch_stop(d.watch);
		goto fail;
	}

	/* (systemd integration: STOPPING=1 goes here.) */
	daemon_signals_free(&d);
	control_free(d.control);
	d.control = NULL;
	metrics_free(d.metrics);
	d.metrics = NULL;
	watch_stop(d.watch);
	probe_engine_free(d.engine);
	d.engine = NULL;
	if ((unsaved = watch_save_all(d.watch)) > 0)
		log_warnx("%zu state%s could not be saved", unsaved,
		    unsaved == 1 ? "" : "s");
	daemon_free(&d);
	log_info("stopped");
	return 0;
fail:
	daemon_signals_free(&d);
	control_free(d.control);
	d.control = NULL;
	if (d.engine != NULL) {
		probe_engine_free(d.engine);
		d.engine = NULL;
	}
	if (d.watch != NULL)
		(void)watch_save_all(d.watch);
	daemon_free(&d);
	config_free(cfg);
	return 1;
}
