/*
 * watch.c — the daemon's work on every target: when to probe it, what the
 * policy makes of each probe and of the passing time, handing the notices
 * to the sink, and keeping the state file up to date.
 *
 * TIMERS. Each target has one timer, set to the earlier of its next probe
 * and its next policy evaluation: a node in one min-heap (timeheap.h:
 * setting, firing and removing one is O(log n), and nothing walks all
 * targets) under a single libevent timer for the earliest, which wakes at
 * most WATCH_WAKE_MAX targets per callback so that renewctl gets its turn
 * when 100,000 fall due at once. A probe that falls due goes into a FIFO; at most
 * `running_max` probes are handed to the engine at once, so 100,000
 * targets due at start-up cost a queue entry each, not a pending probe.
 *
 * ORDER after every policy run: the notices go to the sink first, then the
 * state that records them is saved. A notice the sink refuses is kept in
 * memory and offered again (and the state is not saved meanwhile), so
 * after a crash the policy decides it again from the older file, under the
 * same id. A failed save is logged and retried; the state in memory stays
 * authoritative.
 *
 * SAVES go through the state writer (statewriter.h), off the loop. A
 * target to save joins a FIFO (once, however often it changes); at most
 * WATCH_SAVES_MAX texts are handed to the writer at a time, each encoded
 * from the target's state when its turn comes, and a target has at most
 * one write in flight (a change during it queues the target again once it
 * is reported). A target whose notices the sink has not taken is not
 * handed over, whatever the FIFO says, so its outbox entries are always on
 * disk before the state that records them. mark and reset wait for their
 * write (the answer says whether it was saved); stopping writes everything
 * pending before it returns; a removed target stays in memory until its
 * last write is reported.
 *
 * CONFIGS. The targets point into the config in use. A reload moves every
 * kept target onto the new config at once; a probe that is running keeps
 * a reference to the config it started with (its target_conf), which is
 * freed when the last such probe ends.
 */
#include <sys/queue.h>

#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "calendar.h"
#include "intern.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "probe.h"
#include "renewd.h"
#include "schedule.h"
#include "state.h"
#include "statewriter.h"
#include "timeheap.h"
#include "util.h"

#define WATCH_RETRY		60	/* seconds before a failed save or
					 * submit is tried again */
#define WATCH_RUNNING_MIN	64	/* probes handed to the engine at once */
#define WATCH_RUNNING_PER_CONN	4	/* ... per allowed connection */
#define WATCH_SAVES_MAX		(2 * STATEWRITER_BATCH)	/* handed to the
					 * writer at once */
#define WATCH_WAKE_MAX		64	/* targets woken per callback */
#define WATCH_FAILURES_MAX	((1u << 23) - 1)
#define WATCH_TRIM_PROBES	1024	/* probes ended between two
					 * malloc_trim() */

struct wconf {
	struct config		*cfg;
	struct cal_rules	 rules;
	unsigned		 refs;	/* in use + probes running with it */
	LIST_ENTRY(wconf)	 entry;
};

struct wtarget {
	struct watch		*w;
	const char		*name;		/* intern.h: shared with the
						 * state's */
	const struct target_conf *tc;		/* in w->conf's config */
	struct target_state	*st;		/* NULL: its file could not be
						 * read; not watched */
	struct timeheap_node	 timer;		/* in w->timers */
	time_t			 next_probe;
	time_t			 next_eval;	/* 0: after the next probe */
	/* with the flags in one word: 100,000 targets */
	unsigned		 failures:23;	/* failed probes in a row (stays
						 * at WATCH_FAILURES_MAX) */
	unsigned		 queued:1;	/* in w->queue */
	unsigned		 probing:1;	/* handed to the engine */
	unsigned		 removed:1;	/* gone from the config */
	unsigned		 saving:1;	/* a write is in flight */
	unsigned		 save_queued:1;	/* in w->saveq */
	unsigned		 save_failing:1;
	unsigned		 submit_failing:1;
	unsigned		 again:1;	/* probe again at once after
						 * the running one */
	unsigned		 nprobes;	/* probes started */
	unsigned long		 changes;	/* to the state, ever */
	unsigned long		 written;	/* `changes` when the file was
						 * last written */
	struct wconf		*probe_conf;	/* the running probe's config */
	struct policy_notice	*pending;	/* not yet taken by the sink */
	size_t			 npending;
	/* the last probe for the metrics, when it failed (a successful one
	 * is the state's observation: not kept twice); else NULL */
	struct metrics_probe	*probe;
	TAILQ_ENTRY(wtarget)	 entry;		/* w->queue or w->gone */
	TAILQ_ENTRY(wtarget)	 save_entry;	/* w->saveq */
	TAILQ_HEAD(, watch_waiter) waiters;	/* renewctl probe --wait */
};
TAILQ_HEAD(wtarget_list, wtarget);

struct watch {
	struct event_base	*base;
	struct probe_engine	*engine;
	struct sink		*sink;
	char			*state_dir;
	struct wconf		*conf;		/* in use */
	LIST_HEAD(, wconf)	 confs;		/* every one alive */
	struct wtarget		**targets;	/* as conf->cfg->targets */
	size_t			 ntargets;
	struct wtarget_list	 queue;		/* due, waiting for a slot */
	struct wtarget_list	 gone;		/* removed, probe or save
						 * not over */
	struct wtarget_list	 saveq;		/* to hand to the writer */
	struct statewriter	*writer;
	struct timeheap		 timers;	/* every target's */
	struct event		*ev_timers;	/* at the earliest */
	time_t			 timers_at;	/* ev_timers set for; 0: not */
	size_t			 running;
	size_t			 running_max;
	size_t			 untrimmed;	/* probes ended since the last
						 * malloc_trim() */
	int			 stopped;
	unsigned long		 generation;	/* reloads */
};

/* Someone waiting for the next probe of a target to end. */
struct watch_waiter {
	struct wtarget		*t;
	unsigned		 after;		/* done once t->nprobes > after
						 * and that probe ended */
	watch_probe_cb		 cb;
	void			*arg;
	size_t			 slot;
	TAILQ_ENTRY(watch_waiter) entry;
};

static void	watch_wake(struct wtarget *);
static void	watch_probe_done(struct target_result *, void *);
static void	wtarget_waiters_done(struct wtarget *, int);
static void	wtarget_arm(struct wtarget *, time_t);
static void	wtarget_release(struct wtarget *);

/* ---- configs ---------------------------------------------------------- */

static struct wconf *
wconf_new(struct watch *w, struct config *cfg)
{
	struct wconf *wc = xcalloc(1, sizeof(*wc));

	wc->cfg = cfg;
	cal_rules_from_config(&wc->rules, cfg);
	wc->refs = 1;
	LIST_INSERT_HEAD(&w->confs, wc, entry);
	return wc;
}

static void
wconf_unref(struct wconf *wc)
{
	if (--wc->refs > 0)
		return;
	log_debug("the configuration loaded from %s is released", wc->cfg->path);
	LIST_REMOVE(wc, entry);
	config_free(wc->cfg);
	free(wc);
}

static void
watch_set_running_max(struct watch *w)
{
	size_t max = (size_t)w->conf->cfg->concurrency * WATCH_RUNNING_PER_CONN;

	w->running_max = max < WATCH_RUNNING_MIN ? WATCH_RUNNING_MIN : max;
}

/* ---- state files ------------------------------------------------------ */

/* The state has changed: it is to be saved. */
static void
wtarget_touch(struct wtarget *t)
{
	t->changes++;
}

/* The file is behind the state in memory. */
static int
wtarget_dirty(const struct wtarget *t)
{
	return t->changes != t->written;
}

static void
wtarget_save_unqueue(struct wtarget *t)
{
	if (t->save_queued) {
		TAILQ_REMOVE(&t->w->saveq, t, save_entry);
		t->save_queued = 0;
	}
}

/* Encode the state as it is now and hand it to the writer. */
static void
wtarget_save_start(struct wtarget *t)
{
	struct watch *w = t->w;

	statewriter_put(w->writer, t, statefile_path(w->state_dir, t->name),
	    state_encode(t->st), t->changes);
	t->saving = 1;
}

/* Hand the writer the next targets of the FIFO while it has room. */
static void
watch_save_feed(struct watch *w)
{
	struct wtarget *t;

	while (statewriter_inflight(w->writer) < WATCH_SAVES_MAX &&
	    (t = TAILQ_FIRST(&w->saveq)) != NULL) {
		wtarget_save_unqueue(t);
		/* Notices not taken yet must be on disk first. */
		if (t->st == NULL || !wtarget_dirty(t) || t->npending > 0 ||
		    t->saving)
			continue;
		wtarget_save_start(t);
	}
}

/* Save the state soon (a write in flight is followed by another one when
 * it is reported, if the state changed meanwhile). */
static void
wtarget_save(struct wtarget *t)
{
	if (t->st == NULL || !wtarget_dirty(t) || t->npending > 0 ||
	    t->saving || t->save_queued)
		return;
	TAILQ_INSERT_TAIL(&t->w->saveq, t, save_entry);
	t->save_queued = 1;
	watch_save_feed(t->w);
}

/* Save the state before returning (mark, reset): blocks the loop until
 * the writer has written it, and what was handed over before it. */
static void
wtarget_save_now(struct wtarget *t)
{
	struct statewriter *sw = t->w->writer;

	if (t->saving)
		statewriter_wait(sw);	/* an older text, then maybe ours */
	if (t->saving)
		statewriter_wait(sw);
	else if (t->st != NULL && wtarget_dirty(t) && t->npending == 0) {
		wtarget_save_unqueue(t);
		wtarget_save_start(t);
		statewriter_wait(sw);
	}
}

/* The writer is done with a text of target `key`. */
static void
watch_saved(void *arg, void *key, unsigned long seq, int error,
    const char *path)
{
	struct watch *w = arg;
	struct wtarget *t = key;

	t->saving = 0;
	if (error != 0) {
		if (!t->save_failing)
			log_warnx("%s: state not saved: %s: %s (kept in memory; "
			    "retried every %ds)", t->name, path,
			    strerror(error), WATCH_RETRY);
		else
			log_debug("%s: state still not saved: %s: %s", t->name,
			    path, strerror(error));
		t->save_failing = 1;
		/* Tried again by the timer (wtarget_arm). */
		wtarget_arm(t, time(NULL));
	} else {
		t->written = seq;
		if (t->save_failing)
			log_info("%s: state saved again", t->name);
		t->save_failing = 0;
		wtarget_save(t);	/* when it changed meanwhile */
	}
	if (t->removed)
		wtarget_release(t);
	watch_save_feed(w);
}

/* Offer the pending notices to the sink, in order; then save the state
 * once every one of them is taken. */
static void
wtarget_flush(struct wtarget *t)
{
	size_t done = 0;

	while (done < t->npending) {
		if (sink_submit(t->w->sink, &t->pending[done], t->tc,
		    t->st) == -1)
			break;
		done++;
	}
	if (done > 0) {
		memmove(t->pending, t->pending + done,
		    (t->npending - done) * sizeof(*t->pending));
		t->npending -= done;
	}
	if (t->npending > 0) {
		if (!t->submit_failing)
			log_warnx("%s: %zu notice%s not taken by the %s sink; "
			    "retried every %ds", t->name, t->npending,
			    t->npending == 1 ? "" : "s", t->w->sink->name,
			    WATCH_RETRY);
		t->submit_failing = 1;
		return;
	}
	t->submit_failing = 0;
	wtarget_save(t);
}

/* ---- timers ----------------------------------------------------------- */

static int
wtarget_renewing(const struct wtarget *t)
{
	return t->st->cycle.active && (t->st->cycle.state == CYCLE_APPLIED ||
	    t->st->cycle.state == CYCLE_ISSUED);
}

/* Set the libevent timer to the earliest target's time. */
static void
watch_timers_arm(struct watch *w, time_t now)
{
	struct timeheap_node *top = timeheap_top(&w->timers);
	struct timeval tv;

	if (top == NULL) {
		evtimer_del(w->ev_timers);
		w->timers_at = 0;
		return;
	}
	if (top->due == w->timers_at)
		return;
	tv.tv_sec = top->due > now ? top->due - now : 0;
	tv.tv_usec = 0;
	if (evtimer_add(w->ev_timers, &tv) == -1) {
		log_warnx("cannot set a timer");
		return;
	}
	w->timers_at = top->due;
}

static void
wtarget_timer_del(struct wtarget *t)
{
	timeheap_del(&t->w->timers, &t->timer);
}

/* Wake the targets whose time has come, WATCH_WAKE_MAX at a time. */
static void
watch_timers_fire(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	struct timeheap_node *top;
	time_t now = time(NULL);

	(void)fd;
	(void)what;
	w->timers_at = 0;
	for (int i = 0; i < WATCH_WAKE_MAX &&
	    (top = timeheap_top(&w->timers)) != NULL && top->due <= now; i++) {
		struct wtarget *t = (struct wtarget *)(void *)((char *)top -
		    offsetof(struct wtarget, timer));

		timeheap_del(&w->timers, top);
		watch_wake(t);
	}
	watch_timers_arm(w, now);
}

/* Set the timer to the earliest thing to do. */
static void
wtarget_arm(struct wtarget *t, time_t now)
{
	time_t when = 0;

	if (t->w->stopped || t->st == NULL || t->removed) {
		wtarget_timer_del(t);
		return;
	}
	if (!t->queued && !t->probing)
		when = t->next_probe;
	if (t->next_eval != 0 && (when == 0 || t->next_eval < when))
		when = t->next_eval;
	/* A save that failed, or notices the sink did not take, are tried
	 * again; a save under way or waiting its turn is not. */
	if (((wtarget_dirty(t) && !t->saving && !t->save_queued) ||
	    t->npending > 0) && (when == 0 || now + WATCH_RETRY < when))
		when = now + WATCH_RETRY;
	if (when == 0) {
		wtarget_timer_del(t);
		return;
	}
	timeheap_set(&t->w->timers, &t->timer, when);
	watch_timers_arm(t->w, now);
}

/* The first probe and evaluation after the state was loaded. */
static void
wtarget_schedule_first(struct wtarget *t, time_t now, int evaluate)
{
	const struct config *cfg = t->w->conf->cfg;
	const struct target_state *st = t->st;

	if (st->last_probe != 0 && !st->last_probe_ok) {
		/* The outage goes on: retry as after a first failure. */
		t->failures = 1;
		t->next_probe = schedule_next_probe(t->name, st->last_probe,
		    now, cfg->poll_interval, wtarget_renewing(t), 1);
	} else {
		t->failures = 0;
		t->next_probe = schedule_first_probe(t->name, st->last_probe,
		    now, cfg->poll_interval, wtarget_renewing(t));
	}
	t->next_eval = evaluate ? now : 0;
	wtarget_arm(t, now);
}

/* ---- policy ----------------------------------------------------------- */

static void
wtarget_evaluate(struct wtarget *t, const struct policy_obs *obs, time_t now)
{
	struct watch *w = t->w;
	struct policy_ctx ctx;
	struct policy_out out;

	policy_ctx_init(&ctx, w->conf->cfg, &w->conf->rules, t->tc);
	policy_run(&ctx, t->st, obs, now, &out);
	for (size_t i = 0; i < out.nevents; i++)
		log_info("%s: %s: %s", t->name, out.events[i].event,
		    out.events[i].note);
	if (out.nnotices > 0) {
		t->pending = xreallocarray(t->pending,
		    t->npending + out.nnotices, sizeof(*t->pending));
		memcpy(t->pending + t->npending, out.notices,
		    out.nnotices * sizeof(*out.notices));
		t->npending += out.nnotices;
	}
	if (out.changed)
		wtarget_touch(t);
	t->next_eval = out.next_eval;
	policy_out_free(&out);
	wtarget_flush(t);
}

/* ---- probes ----------------------------------------------------------- */

/*
 * A sweep frees far more than it keeps: every probe's OpenSSL objects and
 * result, every state text, between the observations that stay. Once the
 * queue has drained after many probes, the free pages among them go back
 * to the system (glibc keeps them otherwise: about 100 bytes per target
 * after a sweep of 100,000).
 */
static void
watch_trim(struct watch *w)
{
	if (w->untrimmed < WATCH_TRIM_PROBES || w->running > 0 ||
	    !TAILQ_EMPTY(&w->queue))
		return;
	w->untrimmed = 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void
watch_kick(struct watch *w)
{
	struct wtarget *t;

	while (!w->stopped && w->running < w->running_max &&
	    (t = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, t, entry);
		t->queued = 0;
		if (probe_target(w->engine, t->tc, watch_probe_done, t) == -1) {
			time_t now = time(NULL);

			log_warnx("%s: cannot start a probe", t->name);
			if (t->failures < WATCH_FAILURES_MAX)
				t->failures++;
			t->next_probe = schedule_next_probe(t->name, now, now,
			    w->conf->cfg->poll_interval, wtarget_renewing(t),
			    t->failures);
			wtarget_arm(t, now);
			continue;
		}
		t->probing = 1;
		t->nprobes++;
		t->probe_conf = w->conf;
		w->conf->refs++;
		w->running++;
	}
}

static void
wtarget_probe_forget(struct wtarget *t)
{
	if (t->probe != NULL) {
		metrics_probe_free(t->probe);
		free(t->probe);
		t->probe = NULL;
	}
}

static void
wtarget_free(struct wtarget *t)
{
	if (t == NULL)
		return;
	wtarget_waiters_done(t, WATCH_GONE);
	wtarget_save_unqueue(t);
	if (t->saving && t->w->writer != NULL)
		statewriter_forget(t->w->writer, t);
	wtarget_timer_del(t);
	state_free(t->st);
	wtarget_probe_forget(t);
	free(t->pending);
	intern_put(t->name);
	free(t);
}

static void
watch_probe_done(struct target_result *res, void *arg)
{
	struct wtarget *t = arg;
	struct watch *w = t->w;
	struct wconf *pc = t->probe_conf;
	struct policy_obs obs;
	time_t now;

	t->probing = 0;
	t->probe_conf = NULL;
	w->running--;
	w->untrimmed++;
	if (t->removed) {
		log_debug("%s: a probe ended after the target was removed",
		    t->name);
		wtarget_release(t);
		goto done;
	}
	now = time(NULL);
	policy_observation_from_result(res, &obs);
	metrics_count_probe(obs.ok);
	wtarget_probe_forget(t);
	if (!obs.ok) {
		t->probe = xmalloc(sizeof(*t->probe));
		metrics_probe_from_result(t->probe, res);
	}
	if (obs.ok) {
		char na[32];

		state_set_observation(t->st, res);
		time_format_utc(obs.not_after, na, sizeof(na));
		log_debug("%s: probed: %zu address%s, earliest notAfter %s",
		    t->name, res->naddrs, res->naddrs == 1 ? "" : "es", na);
		t->failures = 0;
	} else {
		if (t->failures < WATCH_FAILURES_MAX)
			t->failures++;
		log_debug("%s: probe failed (%u in a row): %s", t->name,
		    (unsigned)t->failures, obs.error);
	}
	wtarget_evaluate(t, &obs, now);
	t->next_probe = schedule_next_probe(t->name, res->started, now,
	    w->conf->cfg->poll_interval, wtarget_renewing(t), t->failures);
	policy_obs_free(&obs);
	if (t->again && !w->stopped) {
		t->again = 0;
		t->queued = 1;
		TAILQ_INSERT_HEAD(&w->queue, t, entry);
	}
	wtarget_arm(t, now);
	wtarget_waiters_done(t, WATCH_PROBED);
done:
	target_result_free(res);
	wconf_unref(pc);
	watch_kick(w);
	watch_trim(w);
}

static void
watch_wake(struct wtarget *t)
{
	time_t now = time(NULL);

	if (t->w->stopped || t->st == NULL)
		return;
	if ((t->next_eval != 0 && now >= t->next_eval) || t->npending > 0 ||
	    (wtarget_dirty(t) && !t->saving && !t->save_queued))
		wtarget_evaluate(t, NULL, now);
	if (!t->queued && !t->probing && now >= t->next_probe) {
		t->queued = 1;
		TAILQ_INSERT_TAIL(&t->w->queue, t, entry);
	}
	wtarget_arm(t, now);
	watch_kick(t->w);
}

/* ---- targets ---------------------------------------------------------- */

/* Load the state; 1 when the target can be watched. */
static int
wtarget_load(struct wtarget *t, int *loaded)
{
	char err[1024];

	*loaded = 0;
	switch (statefile_load(t->w->state_dir, t->name, &t->st, err,
	    sizeof(err))) {
	case STATEFILE_LOADED:
		/* The saved observation is the last probe when that one
		 * succeeded: its figures stand until the next probe (see
		 * watch_view). */
		*loaded = 1;
		return 1;
	case STATEFILE_NEW:
		return 1;
	case STATEFILE_CORRUPT:
		/* statefile_load logged it; the fresh state replaces it */
		wtarget_touch(t);
		return 1;
	case STATEFILE_ERROR:
		break;
	}
	log_warnx("%s: not watched until its state file can be read "
	    "(tried again at the next reload)", t->name);
	return 0;
}

static struct wtarget *
wtarget_new(struct watch *w, const struct target_conf *tc, time_t now)
{
	struct wtarget *t = xcalloc(1, sizeof(*t));
	int loaded;

	t->w = w;
	t->tc = tc;
	t->name = intern_get(tc->name);
	TAILQ_INIT(&t->waiters);
	t->timer.idx = TIMEHEAP_NONE;
	if (wtarget_load(t, &loaded))
		wtarget_schedule_first(t, now, loaded);
	return t;
}

/* The target left the config: its file stays as it is. */
static void
wtarget_drop(struct watch *w, struct wtarget *t)
{
	if (t->queued) {
		TAILQ_REMOVE(&w->queue, t, entry);
		t->queued = 0;
	}
	wtarget_timer_del(t);
	t->again = 0;
	wtarget_waiters_done(t, WATCH_GONE);
	if (t->npending > 0)
		log_warnx("%s: removed with %zu notice%s not taken by the "
		    "sink", t->name, t->npending, t->npending == 1 ? "" : "s");
	else
		wtarget_save(t);
	log_info("%s: no longer watched (its state file is kept)", t->name);
	t->removed = 1;
	TAILQ_INSERT_TAIL(&w->gone, t, entry);
	wtarget_release(t);
}

/* Free a removed target once no probe and no save of it is under way. */
static void
wtarget_release(struct wtarget *t)
{
	if (t->probing || t->saving || t->save_queued)
		return;
	TAILQ_REMOVE(&t->w->gone, t, entry);
	wtarget_free(t);
}

/* ---- the watch -------------------------------------------------------- */

struct watch *
watch_new(struct event_base *base, struct probe_engine *engine,
    struct sink *sink, const char *state_dir, struct config *cfg)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	time_t now = time(NULL);
	size_t unwatched = 0;

	w->base = base;
	w->engine = engine;
	w->sink = sink;
	w->state_dir = xstrdup(state_dir);
	LIST_INIT(&w->confs);
	TAILQ_INIT(&w->queue);
	TAILQ_INIT(&w->gone);
	TAILQ_INIT(&w->saveq);
	w->writer = statewriter_new(base, state_dir, watch_saved, w);
	if ((w->ev_timers = evtimer_new(base, watch_timers_fire, w)) == NULL)
		fatalx("%s: cannot make a timer", __func__);
	w->conf = wconf_new(w, cfg);
	watch_set_running_max(w);
	w->ntargets = cfg->ntargets;
	w->targets = xcalloc(cfg->ntargets > 0 ? cfg->ntargets : 1,
	    sizeof(*w->targets));
	for (size_t i = 0; i < cfg->ntargets; i++) {
		w->targets[i] = wtarget_new(w, &cfg->targets[i], now);
		if (w->targets[i]->st == NULL)
			unwatched++;
	}
	if (unwatched > 0)
		log_warnx("%zu of %zu targets not watched: their state files "
		    "cannot be read", unwatched, cfg->ntargets);
	return w;
}

const struct config *
watch_config(const struct watch *w)
{
	return w->conf->cfg;
}

size_t
watch_ntargets(const struct watch *w)
{
	return w->ntargets;
}

void
watch_reload(struct watch *w, struct config *cfg)
{
	struct config *old = w->conf->cfg;
	struct wtarget **nt;
	struct wconf *prev = w->conf;
	unsigned char *kept;
	size_t added = 0, removed = 0;
	time_t now = time(NULL);

	w->generation++;
	if (strcmp(old->state_dir, cfg->state_dir) != 0)
		log_warnx("state_dir: a change takes effect at the next start "
		    "(still %s)", w->state_dir);
	if (strcmp(old->ca_file, cfg->ca_file) != 0)
		log_warnx("ca_file: a change takes effect at the next start "
		    "(still %s)", old->ca_file);

	/* Match the new targets with the old ones by name. */
	nt = xcalloc(cfg->ntargets > 0 ? cfg->ntargets : 1, sizeof(*nt));
	kept = xcalloc(old->ntargets > 0 ? old->ntargets : 1, 1);
	for (size_t i = 0; i < cfg->ntargets; i++) {
		const struct target_conf *o;
		size_t j;

		if ((o = config_find_target(old, cfg->targets[i].name)) == NULL)
			continue;
		j = (size_t)(o - old->targets);
		if (kept[j])
			continue;
		kept[j] = 1;
		nt[i] = w->targets[j];
		nt[i]->tc = &cfg->targets[i];
	}
	for (size_t j = 0; j < w->ntargets; j++)
		if (!kept[j]) {
			wtarget_drop(w, w->targets[j]);
			removed++;
		}
	free(kept);
	free(w->targets);
	w->targets = nt;
	w->ntargets = cfg->ntargets;

	/* From here on every target points into the new config; running
	 * probes keep theirs alive. */
	w->conf = wconf_new(w, cfg);
	wconf_unref(prev);
	watch_set_running_max(w);
	probe_engine_set_config(w->engine, cfg);

	for (size_t i = 0; i < cfg->ntargets; i++) {
		struct wtarget *t = nt[i];
		int loaded;

		if (t == NULL) {
			nt[i] = wtarget_new(w, &cfg->targets[i], now);
			added++;
			continue;
		}
		if (t->st == NULL) {
			if (wtarget_load(t, &loaded))
				wtarget_schedule_first(t, now, loaded);
			continue;
		}
		/* Settings may have changed (contract_end, the interval):
		 * evaluate now and fit the next probe to the interval. */
		t->next_eval = now;
		if (!t->queued && !t->probing && t->failures == 0)
			t->next_probe = schedule_first_probe(t->name,
			    t->st->last_probe, now, cfg->poll_interval,
			    wtarget_renewing(t));
		wtarget_arm(t, now);
	}
	log_info("configuration reloaded from %s: %zu target%s (%zu added, "
	    "%zu removed)", cfg->path, cfg->ntargets,
	    cfg->ntargets == 1 ? "" : "s", added, removed);
	watch_kick(w);
}

void
watch_stop(struct watch *w)
{
	struct wtarget *t;

	w->stopped = 1;
	for (size_t i = 0; i < w->ntargets; i++)
		wtarget_waiters_done(w->targets[i], WATCH_GONE);
	while ((t = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, t, entry);
		t->queued = 0;
	}
	timeheap_clear(&w->timers);
	evtimer_del(w->ev_timers);
	w->timers_at = 0;
}

/* One target at stop: queue its save, or say why it cannot be. */
static void
wtarget_save_last(struct wtarget *t)
{
	if (t->st == NULL || !wtarget_dirty(t))
		return;
	if (t->npending > 0) {
		log_warnx("%s: %zu notice%s not taken by the sink; the state is "
		    "not saved, so they are decided again at the next start",
		    t->name, t->npending, t->npending == 1 ? "" : "s");
		return;
	}
	wtarget_save(t);
}

size_t
watch_save_all(struct watch *w)
{
	struct wtarget *t;
	size_t failed = 0;

	for (size_t i = 0; i < w->ntargets; i++)
		wtarget_save_last(w->targets[i]);
	TAILQ_FOREACH(t, &w->gone, entry)
		wtarget_save_last(t);
	/* Every save is tried once more at most: a failed one is not
	 * queued again, a written one only if it changed meanwhile. */
	while (!TAILQ_EMPTY(&w->saveq) ||
	    statewriter_inflight(w->writer) > 0) {
		watch_save_feed(w);
		statewriter_wait(w->writer);
	}
	for (size_t i = 0; i < w->ntargets; i++) {
		t = w->targets[i];
		if (t->st != NULL && wtarget_dirty(t))
			failed++;
	}
	TAILQ_FOREACH(t, &w->gone, entry)
		if (t->st != NULL && wtarget_dirty(t))
			failed++;
	return failed;
}

void
watch_free(struct watch *w)
{
	struct wtarget *t;
	struct wconf *wc;

	if (w == NULL)
		return;
	/* What is still in flight is written; nothing more is reported. */
	statewriter_free(w->writer);
	w->writer = NULL;
	for (size_t i = 0; i < w->ntargets; i++)
		wtarget_free(w->targets[i]);
	free(w->targets);
	while ((t = TAILQ_FIRST(&w->gone)) != NULL) {
		TAILQ_REMOVE(&w->gone, t, entry);
		wtarget_free(t);
	}
	/* The engine is gone: no probe holds a config any more. */
	while ((wc = LIST_FIRST(&w->confs)) != NULL) {
		LIST_REMOVE(wc, entry);
		config_free(wc->cfg);
		free(wc);
	}
	timeheap_clear(&w->timers);
	event_free(w->ev_timers);
	free(w->state_dir);
	free(w);
}

/* ---- the control socket's access (control.c) -------------------------- */

/*
 * Tell the waiters of `t` whose probe has ended (WATCH_PROBED), or every
 * waiter (WATCH_GONE). One at a time from the head: a callback may cancel
 * other waiters.
 */
static void
wtarget_waiters_done(struct wtarget *t, int outcome)
{
	struct watch_waiter *ww;

	for (;;) {
		TAILQ_FOREACH(ww, &t->waiters, entry)
			if (outcome == WATCH_GONE || t->nprobes > ww->after)
				break;
		if (ww == NULL)
			return;
		TAILQ_REMOVE(&t->waiters, ww, entry);
		ww->cb(ww->arg, ww->slot, outcome);
		free(ww);
	}
}

unsigned long
watch_generation(const struct watch *w)
{
	return w->generation;
}

int
watch_find(const struct watch *w, const char *name, size_t *index)
{
	const struct config *cfg = w->conf->cfg;
	const struct target_conf *tc;

	if ((tc = config_find_target(cfg, name)) == NULL)
		return -1;
	*index = (size_t)(tc - cfg->targets);
	return *index < w->ntargets ? 0 : -1;
}

void
watch_view(const struct watch *w, size_t index, struct watch_view *v)
{
	const struct wtarget *t = w->targets[index];

	memset(v, 0, sizeof(*v));
	v->name = t->name;
	v->cfg = w->conf->cfg;
	v->rules = &w->conf->rules;
	v->tc = t->tc;
	v->st = t->st;
	v->next_probe = t->queued || t->probing ? 0 : t->next_probe;
	v->probing = t->probing;
	v->queued = t->queued;
	v->failures = t->failures;
	v->saved = !wtarget_dirty(t);
	v->probe = t->st != NULL ? t->probe : NULL;
	if (v->probe == NULL && t->st != NULL && t->st->last_probe_ok)
		v->probe_result = t->st->observation;
}

/* Put the target at the head of the probe queue (or probe it again once
 * the running probe ends). */
static void
wtarget_probe_soon(struct wtarget *t)
{
	struct watch *w = t->w;

	if (t->probing)
		t->again = 1;
	else {
		if (t->queued)
			TAILQ_REMOVE(&w->queue, t, entry);
		t->queued = 1;
		TAILQ_INSERT_HEAD(&w->queue, t, entry);
	}
}

int
watch_probe_now(struct watch *w, size_t index, watch_probe_cb cb, void *arg,
    size_t slot, struct watch_waiter **waiter)
{
	struct wtarget *t = w->targets[index];
	struct watch_waiter *ww;

	if (waiter != NULL)
		*waiter = NULL;
	if (w->stopped || t->st == NULL)
		return -1;
	if (cb != NULL) {
		ww = xcalloc(1, sizeof(*ww));
		ww->t = t;
		ww->after = t->nprobes;
		ww->cb = cb;
		ww->arg = arg;
		ww->slot = slot;
		TAILQ_INSERT_TAIL(&t->waiters, ww, entry);
		if (waiter != NULL)
			*waiter = ww;
	}
	wtarget_probe_soon(t);
	return 0;
}

void
watch_probe_kick(struct watch *w)
{
	watch_kick(w);
}

void
watch_waiter_cancel(struct watch_waiter *ww)
{
	if (ww == NULL)
		return;
	TAILQ_REMOVE(&ww->t->waiters, ww, entry);
	free(ww);
}

int
watch_mark(struct watch *w, size_t index, enum policy_mark mark,
    const char *note, time_t now, int *changed, char *err, size_t errlen)
{
	struct wtarget *t = w->targets[index];
	int rc;

	*changed = 0;
	if (t->st == NULL) {
		snprintf(err, errlen, "%s: not watched: its state file cannot "
		    "be read", t->name);
		return -1;
	}
	if ((rc = policy_mark(t->st, mark, now, note, err, errlen)) == -1)
		return -1;
	if (rc == 0) {
		char *clean = note != NULL ? rd_sanitize(note, strlen(note)) :
		    NULL;

		*changed = 1;
		log_info("%s: marked %s%s%s", t->name,
		    mark == POLICY_MARK_APPLIED ? "applied" : "issued",
		    clean != NULL ? ": " : "", clean != NULL ? clean : "");
		free(clean);
		wtarget_touch(t);
		wtarget_evaluate(t, NULL, now);
		wtarget_save_now(t);
		wtarget_arm(t, now);
	}
	return 0;
}

int
watch_reset(struct watch *w, size_t index, const char *note, time_t now,
    char *err, size_t errlen)
{
	struct wtarget *t = w->targets[index];
	char *clean;

	if (t->st == NULL) {
		snprintf(err, errlen, "%s: not watched: its state file cannot "
		    "be read", t->name);
		return -1;
	}
	clean = note != NULL ? rd_sanitize(note, strlen(note)) : NULL;
	policy_reset(t->st, now, note);
	log_info("%s: reset: tracking starts afresh%s%s", t->name,
	    clean != NULL ? ": " : "", clean != NULL ? clean : "");
	free(clean);
	/* The new cycle starts from what the next probe sees, not from the
	 * old observation. */
	wtarget_touch(t);
	t->next_eval = 0;
	wtarget_flush(t);
	wtarget_save_now(t);
	wtarget_probe_soon(t);
	wtarget_arm(t, now);
	watch_kick(w);
	return 0;
}

void
watch_summarize(const struct watch *w, struct watch_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->nearest = -1;
	sum->targets = w->ntargets;
	for (size_t i = 0; i < w->ntargets; i++) {
		const struct wtarget *t = w->targets[i];
		const struct target_state *st = t->st;
		const struct cycle *c;

		if (st == NULL) {
			sum->attention++;
			continue;
		}
		c = &st->cycle;
		if ((st->last_probe != 0 && !st->last_probe_ok) ||
		    (st->observation != NULL && st->observation->problems) ||
		    (c->active && (c->state == CYCLE_NOTIFIED ||
		    c->state == CYCLE_APPLIED || c->state == CYCLE_ISSUED ||
		    c->state == CYCLE_LAPSED)))
			sum->attention++;
		if (c->active && c->state != CYCLE_LAPSED &&
		    !(c->state == CYCLE_VERIFIED &&
		    c->source == EXPIRY_CONTRACT) &&
		    (sum->nearest < 0 || c->expiry < sum->nearest)) {
			sum->nearest = c->expiry;
			sum->nearest_name = t->name;
		}
	}
}
