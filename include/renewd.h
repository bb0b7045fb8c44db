/*
 * renewd.h — the daemon's own parts (src/renewd/), one group per file.
 */
#ifndef RENEWD_RENEWD_H
#define RENEWD_RENEWD_H

#include <stddef.h>

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
struct sink	*sink_log_new(void);
struct outbox;
/* Each notice is written to the outbox before it is accepted. */
struct sink	*sink_outbox_new(struct outbox *, const struct config *);
/* After a reload: compose with the new [mail], [webhook] and lang. */
void		 sink_outbox_set_config(struct sink *, const struct config *);
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
/* A read-only look at target i < watch_ntargets(), for reports (metrics);
 * the pointers are good until the loop runs again. */
struct watch_view {
	const struct target_conf	*conf;
	const struct target_state	*state;	/* NULL: state file unreadable,
						 * not watched */
	const struct metrics_probe	*probe;	/* the last probe, or NULL */
};
void		 watch_view(const struct watch *, size_t i, struct watch_view *);
const struct cal_rules *watch_rules(const struct watch *);
/* Stop every timer; no probe is started after this. */
void		 watch_stop(struct watch *);
/* Save every state not saved yet; the number that could not be saved. */
size_t		 watch_save_all(struct watch *);
/* Call after the probe engine is freed (no probe callback can come). */
void		 watch_free(struct watch *);

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

/* daemon.c: the service, in the foreground, until SIGTERM/SIGINT. Takes
 * `cfg` (loaded from `path`, which SIGHUP reads again). Exit code. */
int	daemon_run(const char *path, struct config *cfg);

#endif
