/*
 * renewd.h — the daemon's own parts (src/renewd/), one group per file.
 */
#ifndef RENEWD_RENEWD_H
#define RENEWD_RENEWD_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "config.h"
#include "policy.h"
#include "state.h"

#define RENEWD_CA_FILE_MAX	(64u * 1024 * 1024)

struct cal_rules;
struct event_base;
struct metrics_probe;
struct probe_engine;

/* once.c: probe every target once, print the report; returns the exit code
 * (0 OK, 1 warning, 2 critical, 3 unknown). */
int	once_run(const struct config *, int json);

/* trust.c: the trust anchors of ca_file (PEM), or NULL (logged). */
X509_STORE	*trust_load(const char *path);

/*
 * sink.c: where the notices the policy decides go. submit() hands over one
 * notice; 0 means it is now the sink's (a durable outbox has it on disk),
 * -1 means it was not taken and must be offered again later. The caller
 * submits every notice of an evaluation before it saves the state that
 * records them, so a crash in between makes the policy decide them again
 * (with the same ids: a sink that already holds an id must accept it again
 * without keeping a second copy).
 */
struct sink {
	const char	*name;
	int		(*submit)(struct sink *, const struct policy_notice *,
			    const struct target_conf *,
			    const struct target_state *);
	void		(*free)(struct sink *);
};
/* Writes each notice to the log (log_info), with its id. */
struct outbox;
/* Each notice is written to the outbox before it is accepted. */
struct sink	*sink_outbox_new(struct outbox *, const struct config *);
/* After a reload: compose with the new [mail], [webhook] and lang. */
void		 sink_outbox_set_config(struct sink *, const struct config *);
/* The outbox behind a sink, or NULL for another kind of sink. */
struct outbox	*sink_outbox(const struct sink *);
int		 sink_submit(struct sink *, const struct policy_notice *,
		    const struct target_conf *, const struct target_state *);
void		 sink_free(struct sink *);
/* "reminder-45", "apply-by", "overdue-2027-03-24", ... (the notice id
 * without its deadline date). */
const char	*sink_notice_label(const struct policy_notice *);
/* One line for the log: "44 days left, apply by 2027-03-23". */
void		 sink_notice_summary(const struct policy_notice *, char *,
		    size_t);

/*
 * watch.c: every target's schedule, probes, policy runs and state file.
 * Each target has one timer (libevent's min-heap) set to the earlier of
 * its next probe and its next policy evaluation; probes that fall due wait
 * in a FIFO while the engine is busy. Configs are reference-counted: the
 * one in use, and each older one while a probe of one of its targets is
 * still running.
 */
struct watch;
/* Takes `cfg`; loads every target's state from `state_dir` and schedules
 * it. NULL only when nothing can be started (logged). */
struct watch	*watch_new(struct event_base *, struct probe_engine *,
		    struct sink *, const char *state_dir, struct config *cfg);
/* Take a new config (after SIGHUP): added targets are loaded and
 * scheduled, removed ones dropped (their files stay), kept ones keep their
 * state. Takes `cfg`. */
void		 watch_reload(struct watch *, struct config *cfg);
const struct config *watch_config(const struct watch *);
size_t		 watch_ntargets(const struct watch *);
/* What systemd's STATUS= line says: how many targets, how many need
 * attention (a notice went out, a renewal is under way, a problem, a failed
 * probe, or no state), and the nearest deadline. */
struct watch_summary {
	size_t		 targets;
	size_t		 attention;
	int		 nearest;		/* Japan day; -1: none known */
	const char	*nearest_name;		/* valid until the loop runs */
};
void		 watch_summarize(const struct watch *, struct watch_summary *);
/* Stop every timer; no probe is started after this. */
void		 watch_stop(struct watch *);
/* Save every state not saved yet; the number that could not be saved. */
size_t		 watch_save_all(struct watch *);
/* Call after the probe engine is freed (no probe callback can come). */
void		 watch_free(struct watch *);

/* For the control socket: a target by name or position (in the config's
 * order), what is known of it, and the admin's actions. The view's
 * pointers last until the next reload (watch_generation() changes). */
struct watch_view {
	const char		*name;
	const struct config	*cfg;
	const struct cal_rules	*rules;
	const struct target_conf *tc;
	const struct target_state *st;	/* NULL: its state file cannot be
					 * read; not watched */
	time_t			 next_probe;	/* 0: queued or running */
	int			 probing;
	int			 queued;
	unsigned		 failures;	/* failed probes in a row */
	int			 saved;		/* the state file is up to date */
	const struct metrics_probe *probe;	/* the last probe when it
						 * failed, or NULL */
	const struct target_result *probe_result; /* the last probe when it
						 * succeeded (the observation),
						 * or NULL */
};
unsigned long	 watch_generation(const struct watch *);
int		 watch_find(const struct watch *, const char *name,
		    size_t *index);
void		 watch_view(const struct watch *, size_t index,
		    struct watch_view *);
/* Probe target `index` as soon as the engine has room (again at once,
 * when a probe of it is running); call watch_probe_kick() after queueing.
 * With `cb`, cb(arg, slot, WATCH_PROBED) is called once a probe started
 * after this call has ended and its result is in the state, or WATCH_GONE
 * when the target is removed or the watch stops first; the waiter is
 * freed after its callback, and *waiter can cancel it before. -1 when the
 * target is not watched or the watch stopped. */
#define WATCH_GONE	0
#define WATCH_PROBED	1
typedef void (*watch_probe_cb)(void *arg, size_t slot, int outcome);
struct watch_waiter;
int		 watch_probe_now(struct watch *, size_t index, watch_probe_cb,
		    void *arg, size_t slot, struct watch_waiter **waiter);
void		 watch_probe_kick(struct watch *);
void		 watch_waiter_cancel(struct watch_waiter *);
/* policy_mark() on the target; the state is evaluated and saved before
 * this returns (see watch_view's `saved`). 0 (*changed 0 when it was
 * already so), or -1 with the reason in err (refused, not watched). */
int		 watch_mark(struct watch *, size_t index, enum policy_mark,
		    const char *note, time_t now, int *changed, char *err,
		    size_t errlen);
/* policy_reset(): the state is saved and a probe queued; the new cycle
 * starts from what that probe sees. 0, or -1 (not watched). */
int		 watch_reset(struct watch *, size_t index, const char *note,
		    time_t now, char *err, size_t errlen);

/*
 * queue.c: the notifications the sink holds that are not delivered yet
 * (renewctl queue), oldest first: the mail outbox's entries. 0 and the list
 * (free it with queue_items_free), or -1 when the sink cannot tell. The log
 * sink holds none.
 */
struct queue_item {
	char			 id[96];	/* the notice's id */
	const char		*type;		/* "mail" | "webhook" */
	char			*target;
	char			*subject;
	int			 failed;	/* refused: waits for a reload */
	enum notice_kind	 kind;
	time_t			 due;		/* when it fell due */
	time_t			 queued;	/* when the sink took it */
	unsigned		 attempts;	/* deliveries tried */
	time_t			 next_attempt;	/* 0: as soon as possible */
	char			*last_error;	/* NULL: none yet */
};
int		 queue_list(struct sink *, struct queue_item **, size_t *);
void		 queue_items_free(struct queue_item *, size_t);

/*
 * control.c: the control socket (renewctl). control_new() claims the
 * socket (refusing when a live renewd answers on it, replacing a stale
 * one) before the targets are loaded; control_start() serves it on the
 * loop once the watch exists. `reload` is what SIGHUP does: 0, or -1 with
 * the config's errors in `errors`.
 */
struct control;
typedef int (*control_reload_cb)(void *arg, struct strlist *errors);
struct control	*control_new(struct event_base *, const struct config *);
void		 control_start(struct control *, struct watch *,
		    struct sink *, control_reload_cb reload, void *arg);
/* Close every client and the socket, and remove its file. */
void		 control_free(struct control *);

/*
 * metrics.c: Prometheus /metrics over HTTP on `listen` (metrics_listen),
 * served from the watch; NULL when it cannot listen (logged). The
 * counters are kept whether or not a server runs.
 */
struct metrics;
struct metrics	*metrics_new(struct event_base *, const char *listen,
		    struct watch *);
/* After a reload: metrics_listen is read at start-up only (logged). */
void		 metrics_reload(const struct config *old,
		    const struct config *cfg);
void		 metrics_free(struct metrics *);
void		 metrics_count_probe(int ok);
void		 metrics_count_notice(enum notice_kind, int sent);
/* Where renewd_mail_queue_length comes from (the outbox); 0 without. */
void		 metrics_set_mail_queue(size_t (*)(void *), void *);

/* evlog.c: route libevent's messages into the log; `quiet` (renewd --once,
 * whose report says what failed) keeps its notices at debug level. */
void	evlog_init(int quiet);

/* daemon.c: the service, in the foreground, until SIGTERM/SIGINT. Takes
 * `cfg` (loaded from `path`, which SIGHUP reads again). Exit code.
 * The loop has two priorities: renewctl's connections and the signals run
 * before anything else that is ready, and the rest (probes, timers, the
 * state writer: the default) yields to them every RENEWD_DISPATCH_MAX
 * callbacks, so that an answer never waits behind a whole round of
 * handshakes. */
#define RENEWD_PRIO_CONTROL	0
#define RENEWD_PRIO_WORK	1	/* the default */
#define RENEWD_PRIOS		2
#define RENEWD_DISPATCH_MAX	4
int	daemon_run(const char *path, struct config *cfg);

#endif
