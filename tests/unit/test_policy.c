/*
 * test_policy.c — the renewal policy (src/core/policy.c) replayed on a
 * virtual clock: a whole renewal year of a target stepped every 15 minutes,
 * with probes every few hours feeding what the addresses serve, marks made
 * on the way, and restarts (the state encoded and decoded) that must change
 * nothing. Expected due times are worked out by hand from the calendar
 * (JST, business days, 4th-Wednesday maintenance windows) and written here
 * as Japan wall-clock times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"
#include "policy.h"
#include "state.h"
#include "util.h"
#include "support/when.h"

#define MIN	60
#define HOUR	3600
#define DAY	86400
#define STEP	(15 * MIN)

/* --- certificates and observations -------------------------------------- */

struct leaf {
	unsigned	 id;		/* becomes the SHA-256 */
	time_t		 nb, na;
	int		 bad_chain;
};

/* What a probe found: each address serves `leaves[i]`, or nothing when
 * NULL. Free with target_result_free. */
static struct target_result *
result_make(time_t at, const struct leaf *const *leaves, size_t n)
{
	struct target_result *r = xcalloc(1, sizeof(*r));

	r->started = at;
	r->addrs = xcalloc(n, sizeof(*r->addrs));
	r->naddrs = n;
	for (size_t i = 0; i < n; i++) {
		struct addr_result *a = &r->addrs[i];
		const struct leaf *l = leaves[i];

		a->address = xasprintf("192.0.2.%zu:443", 10 + i);
		if (l == NULL) {
			a->error = xstrdup("connection refused");
			r->problems |= PROB_UNREACHABLE;
			continue;
		}
		a->ok = a->has_cert = 1;
		a->tls_version = xstrdup("TLSv1.3");
		snprintf(a->cert.sha256, sizeof(a->cert.sha256), "%064x", l->id);
		a->cert.key = xstrdup("RSA-2048");
		a->cert.key_bits = 2048;
		a->cert.subject.cn = xstrdup("www.example.jp");
		strlist_add(&a->cert.san, "www.example.jp");
		a->cert.not_before = l->nb;
		a->cert.not_after = l->na;
		a->cert.verify_ok = !l->bad_chain;
		if (l->bad_chain)
			a->cert.verify_error = xstrdup("unable to get local "
			    "issuer certificate");
		a->cert.names_ok = 1;
	}
	return r;
}

static void
obs_make(struct policy_obs *o, time_t at, const struct leaf *const *leaves,
    size_t n)
{
	struct target_result *r = result_make(at, leaves, n);

	policy_observation_from_result(r, o);
	target_result_free(r);
}

/* --- the simulated daemon ------------------------------------------------ */

struct sim {
	struct cal_rules	 rules;
	struct threshold	 th[8];
	struct policy_ctx	 ctx;
	struct target_state	*st;
	struct policy_notice	*log;
	size_t			 nlog;
	time_t			 next_eval;	/* from the last run */
	int			 restart;	/* save and reload after each run */
	size_t			 nruns;
};

static void
sim_init(struct sim *s, const char *thresholds, int remind_at)
{
	struct strlist l = { 0 };

	memset(s, 0, sizeof(*s));
	cal_rules_default(&s->rules);
	strlist_split(&l, thresholds);
	assert_true(l.n <= nitems(s->th));
	for (size_t i = 0; i < l.n; i++) {
		s->th[i].value = (int)strtol(l.v[i], NULL, 10);
		s->th[i].percent = strchr(l.v[i], '%') != NULL;
	}
	s->ctx.rules = &s->rules;
	s->ctx.thresholds = s->th;
	s->ctx.nthresholds = l.n;
	s->ctx.remind_at = remind_at;
	s->ctx.product = PRODUCT_SSL;
	s->ctx.contract_end = -1;
	strlist_free(&l);
	s->st = state_new("www.example.jp");
}

static void
sim_free(struct sim *s)
{
	state_free(s->st);
	free(s->log);
}

/* What a restart does: write the state out and read it back. */
static void
sim_reload(struct sim *s)
{
	char err[256], *text = state_encode(s->st);
	struct target_state *st = state_decode(text, strlen(text), err,
	    sizeof(err));

	if (st == NULL)
		fail_msg("state does not decode: %s\n%s", err, text);
	free(text);
	state_free(s->st);
	s->st = st;
}

static void
sim_run(struct sim *s, time_t now, const struct policy_obs *obs)
{
	struct policy_out out;

	policy_run(&s->ctx, s->st, obs, now, &out);
	for (size_t i = 0; i < out.nnotices; i++) {
		const struct policy_notice *n = &out.notices[i];

		assert_true(n->due <= now);
		assert_int_equal(n->at, now);
		/* a daemon that sleeps until next_eval would have been awake */
		if (obs == NULL && n->kind != NOTICE_RENEWED) {
			assert_true(s->next_eval != 0);
			assert_true(s->next_eval <= now);
		}
		s->log = xreallocarray(s->log, s->nlog + 1, sizeof(*s->log));
		s->log[s->nlog++] = *n;
	}
	assert_true(out.next_eval == 0 || out.next_eval > now);
	s->next_eval = out.next_eval;
	policy_out_free(&out);
	s->nruns++;
	if (s->restart)
		sim_reload(s);
}

/* A probe, as the daemon handles one. */
static void
sim_probe(struct sim *s, time_t now, const struct leaf *const *leaves,
    size_t n)
{
	struct target_result *r = result_make(now, leaves, n);
	struct policy_obs o;

	policy_observation_from_result(r, &o);
	if (o.ok)
		state_set_observation(s->st, r);
	target_result_free(r);
	sim_run(s, now, &o);
	policy_obs_free(&o);
}

static size_t
sim_count(const struct sim *s, enum notice_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nlog; i++)
		if (s->log[i].kind == kind)
			n++;
	return n;
}

static const struct policy_notice *
sim_find(const struct sim *s, const char *id)
{
	const struct policy_notice *found = NULL;

	for (size_t i = 0; i < s->nlog; i++)
		if (strcmp(s->log[i].id, id) == 0) {
			if (found != NULL)
				fail_msg("notice %s sent twice", id);
			found = &s->log[i];
		}
	return found;
}

/* The notice `id` went out exactly once, at `when` (JST ISO text). */
static const struct policy_notice *
expect_sent(const struct sim *s, const char *id, const char *when)
{
	const struct policy_notice *n = sim_find(s, id);
	char got[32];

	if (n == NULL)
		fail_msg("notice %s was not sent", id);
	if (when != NULL && n->at != T(when)) {
		time_format_jst(n->at, got, sizeof(got));
		fail_msg("notice %s sent at %s, expected %s", id, got, when);
	}
	return n;
}

static const struct sent_notice *
cycle_sent(const struct target_state *st, enum notice_kind kind, int value)
{
	for (size_t i = 0; i < st->cycle.nsent; i++)
		if (st->cycle.sent[i].kind == kind &&
		    (kind != NOTICE_REMINDER ||
		    st->cycle.sent[i].threshold.value == value))
			return &st->cycle.sent[i];
	return NULL;
}

static void
dump_log(const struct sim *s)
{
	for (size_t i = 0; i < s->nlog; i++) {
		char at[32];

		time_format_jst(s->log[i].at, at, sizeof(at));
		print_message("  %s %s\n", at, s->log[i].id);
	}
}

/* --- the renewal year ------------------------------------------------------ */

/* E = 2027-03-31 (Wed): notAfter 2027-03-31T14:59:59Z is 23:59:59 JST. */
static const struct leaf old_leaf = {
	1, 1774882800 /* 2026-03-30T15:00:00Z */,
	1806505199 /* 2027-03-31T14:59:59Z */, 0,
};
static const struct leaf new_leaf = {
	2, 1806246000 /* 2027-03-28T15:00:00Z */,
	1838127599 /* 2028-03-31T14:59:59Z */, 0,
};

enum year_plot {
	PLOT_RENEW,		/* apply, issue, install late: install notices */
	PLOT_LAPSE,		/* nobody acts */
};

/*
 * Step every 15 minutes from 2026-11-24 12:00 JST to `until`, probing every
 * 6 hours, with the admin acting per `plot`.
 */
static void
year_run(struct sim *s, enum year_plot plot, const char *until)
{
	time_t t0 = T("2026-11-24T12:00:00+09:00"), end = T(until);
	time_t applied = T("2027-03-17T10:00:00+09:00");
	time_t issued = T("2027-03-22T15:00:00+09:00");
	time_t installed = T("2027-03-29T12:00:00+09:00");
	char err[256];

	for (time_t now = t0; now <= end; now += STEP) {
		const struct leaf *serve = &old_leaf;

		if (plot == PLOT_RENEW && now == applied)
			assert_int_equal(policy_mark(s->st, POLICY_MARK_APPLIED,
			    now, "order 4711", err, sizeof(err)), 0);
		if (plot == PLOT_RENEW && now == issued)
			assert_int_equal(policy_mark(s->st, POLICY_MARK_ISSUED,
			    now, NULL, err, sizeof(err)), 0);
		if (plot == PLOT_RENEW && now >= installed)
			serve = &new_leaf;
		if ((now - t0) % (6 * HOUR) == 0)
			sim_probe(s, now, &serve, 1);
		else
			sim_run(s, now, NULL);
	}
}

static void
test_year_renewal(void **unused)
{
	struct sim s, r;
	const struct policy_notice *n;

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	year_run(&s, PLOT_RENEW, "2027-04-30T00:00:00+09:00");

	/* each threshold once, at remind_at JST on E - T */
	n = expect_sent(&s, "2027-03-31/reminder-90", "2026-12-31T09:00:00+09:00");
	assert_int_equal(n->threshold_days, 90);
	assert_int_equal(n->days_left, 90);
	assert_true(n->applications_open);
	assert_int_equal(n->apply_by, D("2027-03-23"));
	assert_int_equal(n->apply_deadline, T("2027-03-23T23:59:59+09:00"));
	/* the mail names the next window: January's 4th Wednesday */
	assert_true(n->has_window);
	assert_int_equal(n->window.start, T("2027-01-27T20:00:00+09:00"));
	assert_int_equal(n->window.end, T("2027-01-28T08:00:00+09:00"));
	expect_sent(&s, "2027-03-31/reminder-60", "2027-01-30T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/reminder-45", "2027-02-14T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/reminder-30", "2027-03-01T09:00:00+09:00");
	n = expect_sent(&s, "2027-03-31/reminder-15", "2027-03-16T09:00:00+09:00");
	assert_int_equal(n->days_left, 15);
	/* the next window (03-24 20:00) starts after A: not named */
	assert_false(n->has_window);
	assert_int_equal(sim_count(&s, NOTICE_REMINDER), 5);

	/* applied on 03-17: no apply-by, no overdue; install from E - 3 */
	assert_int_equal(sim_count(&s, NOTICE_APPLY_BY), 0);
	assert_int_equal(sim_count(&s, NOTICE_OVERDUE), 0);
	expect_sent(&s, "2027-03-31/install-2027-03-28",
	    "2027-03-28T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/install-2027-03-29",
	    "2027-03-29T09:00:00+09:00");
	assert_int_equal(sim_count(&s, NOTICE_INSTALL), 2);

	/* installed 03-29 12:00, seen by the probe at 12:00: verified */
	n = expect_sent(&s, "2027-03-31/renewed", "2027-03-29T12:00:00+09:00");
	assert_int_equal(n->new_expiry, D("2028-03-31"));
	assert_int_equal(sim_count(&s, NOTICE_RENEWED), 1);
	assert_int_equal(sim_count(&s, NOTICE_LAPSED), 0);
	assert_int_equal(s.nlog, 5 + 2 + 1);

	/* the next cycle */
	assert_true(s.st->cycle.active);
	assert_int_equal(s.st->cycle.expiry, D("2028-03-31"));
	assert_int_equal(s.st->cycle.state, CYCLE_VERIFIED);
	assert_int_equal(s.st->cycle.nsent, 0);
	assert_int_equal(s.next_eval, T("2028-01-01T09:00:00+09:00"));

	/* the same year with a restart after every evaluation */
	sim_init(&r, "90,60,45,30,15", 9 * 60);
	r.restart = 1;
	year_run(&r, PLOT_RENEW, "2027-04-30T00:00:00+09:00");
	assert_int_equal(r.nlog, s.nlog);
	for (size_t i = 0; i < s.nlog; i++) {
		assert_string_equal(r.log[i].id, s.log[i].id);
		assert_int_equal(r.log[i].at, s.log[i].at);
		assert_int_equal(r.log[i].due, s.log[i].due);
	}
	assert_int_equal(r.st->nhistory, s.st->nhistory);
	sim_free(&r);
	sim_free(&s);
}

static void
test_year_lapse(void **unused)
{
	struct sim s;
	const struct policy_notice *n;
	static const char *const overdue[] = {
		"2027-03-24", "2027-03-25", "2027-03-26",
		"2027-03-29", "2027-03-30", "2027-03-31",
	};
	char err[512], id[64], at[64];

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	year_run(&s, PLOT_LAPSE, "2027-04-30T00:00:00+09:00");

	assert_int_equal(sim_count(&s, NOTICE_REMINDER), 5);
	n = expect_sent(&s, "2027-03-31/apply-by", "2027-03-23T09:00:00+09:00");
	assert_int_equal(n->days_left, 8);
	/* overdue every business day after A (03-27/28 are a weekend), the
	 * one on 03-25 after the night's maintenance window */
	for (size_t i = 0; i < nitems(overdue); i++) {
		snprintf(id, sizeof(id), "2027-03-31/overdue-%s", overdue[i]);
		snprintf(at, sizeof(at), "%sT09:00:00+09:00", overdue[i]);
		expect_sent(&s, id, at);
	}
	assert_int_equal(sim_count(&s, NOTICE_OVERDUE), nitems(overdue));
	/* the end of E: one final notice, then silence */
	expect_sent(&s, "2027-03-31/lapsed", "2027-04-01T00:00:00+09:00");
	assert_int_equal(s.nlog, 5 + 1 + nitems(overdue) + 1);
	assert_int_equal(s.st->cycle.state, CYCLE_LAPSED);
	assert_int_equal(s.next_eval, 0);

	/* mark applied is refused for that E, and says what to do */
	assert_int_equal(policy_mark(s.st, POLICY_MARK_APPLIED,
	    T("2027-04-02T10:00:00+09:00"), NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "new contract"));
	assert_non_null(strstr(err, "renewctl reset www.example.jp"));
	assert_int_equal(policy_mark(s.st, POLICY_MARK_ISSUED,
	    T("2027-04-02T10:00:00+09:00"), NULL, err, sizeof(err)), -1);
	assert_int_equal(s.st->cycle.state, CYCLE_LAPSED);

	/* a new contract, reset, the new certificate: tracking afresh */
	policy_reset(s.st, T("2027-04-05T10:00:00+09:00"), "new contract 2027");
	assert_false(s.st->cycle.active);
	{
		const struct leaf *l = &new_leaf;

		sim_probe(&s, T("2027-04-05T10:15:00+09:00"), &l, 1);
	}
	assert_int_equal(s.nlog, 13);
	assert_true(s.st->cycle.active);
	assert_int_equal(s.st->cycle.expiry, D("2028-03-31"));
	assert_int_equal(s.st->cycle.state, CYCLE_WAITING);
	assert_string_equal(s.st->history[s.st->nhistory - 2].event, "reset");
	sim_free(&s);
}

/* A lapsed target moves on by itself when the new certificate appears. */
static void
test_lapsed_then_renewed(void **unused)
{
	struct sim s;
	const struct leaf *l = &old_leaf;
	const struct policy_notice *n;

	(void)unused;
	sim_init(&s, "30", 9 * 60);
	sim_probe(&s, T("2027-03-31T12:00:00+09:00"), &l, 1);
	sim_run(&s, T("2027-04-01T00:00:00+09:00"), NULL);
	assert_int_equal(s.st->cycle.state, CYCLE_LAPSED);
	l = &new_leaf;
	sim_probe(&s, T("2027-04-03T12:00:00+09:00"), &l, 1);
	n = expect_sent(&s, "2027-03-31/renewed", NULL);
	assert_int_equal(n->new_expiry, D("2028-03-31"));
	assert_int_equal(s.st->cycle.expiry, D("2028-03-31"));
	assert_int_equal(s.st->cycle.state, CYCLE_VERIFIED);
	sim_free(&s);
}

/* A reminder whose time falls in the 4th-Wednesday window waits for its
 * end; so does one learnt late during a window. */
static void
test_window_deferral(void **unused)
{
	/* E = 2027-03-26 (Fri) */
	static const struct leaf leaf = {
		3, 1774450800 /* 2026-03-25T15:00:00Z */,
		1806073199 /* 2027-03-26T14:59:59Z */, 0,
	};
	const struct leaf *l = &leaf;
	const struct policy_notice *n;
	struct policy_notice next;
	struct sim s;
	time_t t;

	(void)unused;
	/* remind_at 21:00: E - 30 is 2027-02-24, February's 4th Wednesday,
	 * whose window runs 20:00 until 08:00 the next morning */
	sim_init(&s, "90,60,45,30,15", 21 * 60);
	for (t = T("2027-02-01T12:00:00+09:00");
	    t <= T("2027-02-27T00:00:00+09:00"); t += STEP) {
		if (t % (6 * HOUR) == 3 * HOUR)
			sim_probe(&s, t, &l, 1);
		else
			sim_run(&s, t, NULL);
	}
	/* first sight 53 days out: only the 60-day reminder, at once */
	expect_sent(&s, "2027-03-26/reminder-60", "2027-02-01T12:00:00+09:00");
	assert_null(sim_find(&s, "2027-03-26/reminder-90"));
	assert_true(cycle_sent(s.st, NOTICE_REMINDER, 90)->skipped);
	expect_sent(&s, "2027-03-26/reminder-45", "2027-02-09T21:00:00+09:00");
	n = expect_sent(&s, "2027-03-26/reminder-30",
	    "2027-02-25T08:00:00+09:00");
	assert_int_equal(n->due, T("2027-02-25T08:00:00+09:00"));
	assert_int_equal(s.nlog, 3);
	sim_free(&s);

	/* learnt at 22:00 inside the window: the most urgent waits */
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	sim_probe(&s, T("2027-02-24T22:00:00+09:00"), &l, 1);
	assert_int_equal(s.nlog, 0);
	assert_int_equal(s.next_eval, T("2027-02-25T08:00:00+09:00"));
	assert_int_equal(policy_next(&s.ctx, s.st,
	    T("2027-02-24T22:00:00+09:00"), &next), 1);
	assert_int_equal(next.kind, NOTICE_REMINDER);
	assert_int_equal(next.threshold.value, 30);
	assert_int_equal(next.due, T("2027-02-25T08:00:00+09:00"));
	sim_run(&s, T("2027-02-25T08:00:00+09:00"), NULL);
	expect_sent(&s, "2027-03-26/reminder-30", "2027-02-25T08:00:00+09:00");
	assert_int_equal(s.nlog, 1);
	assert_true(cycle_sent(s.st, NOTICE_REMINDER, 90)->skipped);
	assert_true(cycle_sent(s.st, NOTICE_REMINDER, 60)->skipped);
	assert_true(cycle_sent(s.st, NOTICE_REMINDER, 45)->skipped);
	assert_false(cycle_sent(s.st, NOTICE_REMINDER, 30)->skipped);
	sim_free(&s);
}

static void
test_first_seen_at_40_days(void **unused)
{
	const struct leaf *l = &old_leaf;
	const struct sent_notice *r90, *r60;
	struct sim s;
	time_t t;

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	for (t = T("2027-02-19T12:00:00+09:00");
	    t <= T("2027-03-17T00:00:00+09:00"); t += STEP) {
		if (t % (6 * HOUR) == 3 * HOUR)
			sim_probe(&s, t, &l, 1);
		else
			sim_run(&s, t, NULL);
	}
	expect_sent(&s, "2027-03-31/reminder-45", "2027-02-19T12:00:00+09:00");
	assert_int_equal(s.log[0].days_left, 40);
	assert_true(s.log[0].applications_open);
	assert_null(sim_find(&s, "2027-03-31/reminder-90"));
	assert_null(sim_find(&s, "2027-03-31/reminder-60"));
	r90 = cycle_sent(s.st, NOTICE_REMINDER, 90);
	r60 = cycle_sent(s.st, NOTICE_REMINDER, 60);
	assert_non_null(r90);
	assert_non_null(r60);
	assert_true(r90->skipped && r60->skipped);
	assert_int_equal(r90->due, T("2026-12-31T09:00:00+09:00"));
	expect_sent(&s, "2027-03-31/reminder-30", "2027-03-01T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/reminder-15", "2027-03-16T09:00:00+09:00");
	assert_int_equal(s.nlog, 3);
	assert_int_equal(s.st->cycle.state, CYCLE_NOTIFIED);
	sim_free(&s);
}

/* 47-day ACME certificates: from 2027-01-01T00:00Z, notAfter 47 days
 * later minus a second, 2027-02-17 08:59:59 JST: E = 2027-02-17 (Wed);
 * A = 2027-02-08 (02-11 is National Foundation Day). */
static const struct leaf acme1 = {
	10, 1798761600, 1798761600 + 47 * DAY - 1, 0,
};
static const struct leaf acme2 = {	/* renewed 2027-02-03T00:00Z */
	11, 1801612800, 1801612800 + 47 * DAY - 1, 0,
};

static void
acme_run(struct sim *s, const char *until, int renews)
{
	time_t t0 = T("2027-01-01T09:15:00+09:00");

	for (time_t t = t0; t <= T(until); t += STEP) {
		const struct leaf *l = &acme1;

		if (renews && t >= acme2.nb)
			l = &acme2;
		if ((t - t0) % (6 * HOUR) == 0)
			sim_probe(s, t, &l, 1);
		else
			sim_run(s, t, NULL);
	}
}

static void
test_acme_day_thresholds(void **unused)
{
	const struct policy_notice *n;
	struct sim s;

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	acme_run(&s, "2027-02-10T00:00:00+09:00", 1);
	/* 90 and 60 are not shorter than the lifetime: never sent, not even
	 * on the day of installation; 45, 30, 15 come as usual */
	assert_null(sim_find(&s, "2027-02-17/reminder-90"));
	assert_null(sim_find(&s, "2027-02-17/reminder-60"));
	expect_sent(&s, "2027-02-17/reminder-45", "2027-01-03T09:00:00+09:00");
	expect_sent(&s, "2027-02-17/reminder-30", "2027-01-18T09:00:00+09:00");
	expect_sent(&s, "2027-02-17/reminder-15", "2027-02-02T09:00:00+09:00");
	/* the client renewed by itself: verified without any mark */
	n = expect_sent(&s, "2027-02-17/renewed", "2027-02-03T09:15:00+09:00");
	assert_int_equal(n->new_expiry, D("2027-03-22"));
	assert_int_equal(s.st->cycle.expiry, D("2027-03-22"));
	/* and the next cycle's 45-day reminder (45 < 47) */
	expect_sent(&s, "2027-03-22/reminder-45", "2027-02-05T09:00:00+09:00");
	assert_null(sim_find(&s, "2027-03-22/reminder-60"));
	assert_int_equal(s.nlog, 5);
	sim_free(&s);
}

static void
test_acme_percent_thresholds(void **unused)
{
	const struct policy_notice *n;
	struct sim s;

	(void)unused;
	sim_init(&s, "33%, 10%", 9 * 60);
	acme_run(&s, "2027-02-14T00:00:00+09:00", 0);
	/* 33 % of 47 days is 15.5: 15 days; 10 % is 4.7: 4 days */
	n = expect_sent(&s, "2027-02-17/reminder-33pct",
	    "2027-02-02T09:00:00+09:00");
	assert_int_equal(n->threshold_days, 15);
	assert_true(n->threshold.percent);
	expect_sent(&s, "2027-02-17/apply-by", "2027-02-08T09:00:00+09:00");
	expect_sent(&s, "2027-02-17/overdue-2027-02-09",
	    "2027-02-09T09:00:00+09:00");
	expect_sent(&s, "2027-02-17/overdue-2027-02-10",
	    "2027-02-10T09:00:00+09:00");
	assert_null(sim_find(&s, "2027-02-17/overdue-2027-02-11"));
	expect_sent(&s, "2027-02-17/overdue-2027-02-12",
	    "2027-02-12T09:00:00+09:00");
	/* Saturday: no overdue day, so the 10 % reminder goes out */
	n = expect_sent(&s, "2027-02-17/reminder-10pct",
	    "2027-02-13T09:00:00+09:00");
	assert_int_equal(n->threshold_days, 4);
	assert_int_equal(s.nlog, 6);
	sim_free(&s);
}

/* A load balancer's backends serve old and new leaves in turn while the
 * renewal is being installed. */
static void
test_load_balancer(void **unused)
{
	static const struct leaf new_bad = {
		2, 1806246000, 1838127599, 1,	/* the new leaf, chain broken */
	};
	const struct leaf *pair[2];
	struct sim s;
	time_t t, t0 = T("2027-02-20T12:00:00+09:00");
	time_t done = T("2027-03-29T12:00:00+09:00");
	char err[256];
	unsigned k = 0;

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	for (t = t0; t <= T("2027-04-10T00:00:00+09:00"); t += STEP) {
		if (t == T("2027-03-17T10:00:00+09:00"))
			assert_int_equal(policy_mark(s.st, POLICY_MARK_APPLIED,
			    t, NULL, err, sizeof(err)), 0);
		if ((t - t0) % (3 * HOUR) != 0) {
			sim_run(&s, t, NULL);
			continue;
		}
		if (t < T("2027-03-10T12:00:00+09:00")) {
			pair[0] = pair[1] = &old_leaf;
		} else if (t < T("2027-03-27T12:00:00+09:00")) {
			/* alternating, from before the marks on */
			pair[k % 2] = &old_leaf;
			pair[(k + 1) % 2] = &new_leaf;
			k++;
		} else if (t < done) {
			pair[0] = &new_leaf;
			pair[1] = &new_bad;
		} else
			pair[0] = pair[1] = &new_leaf;
		sim_probe(&s, t, pair, 2);
		if (t < done) {
			assert_int_equal(s.st->cycle.expiry, D("2027-03-31"));
			assert_int_equal(s.st->cycle.leaf_not_after, old_leaf.na);
		}
	}
	expect_sent(&s, "2027-03-31/reminder-45", "2027-02-20T12:00:00+09:00");
	expect_sent(&s, "2027-03-31/reminder-30", "2027-03-01T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/reminder-15", "2027-03-16T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/install-2027-03-28",
	    "2027-03-28T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/install-2027-03-29",
	    "2027-03-29T09:00:00+09:00");
	/* verified only once every address serves the new leaf, validly */
	expect_sent(&s, "2027-03-31/renewed", "2027-03-29T12:00:00+09:00");
	assert_int_equal(s.nlog, 6);
	assert_int_equal(s.st->cycle.expiry, D("2028-03-31"));
	sim_free(&s);
}

static void
test_unreachable(void **unused)
{
	static const struct {
		const char	*from, *to;	/* failing probes, JST */
	} outages[] = {
		{ "2026-12-01T00:00:00+09:00", "2026-12-01T20:00:00+09:00" },
		{ "2026-12-05T00:00:00+09:00", "2026-12-06T06:00:00+09:00" },
		{ "2026-12-10T00:00:00+09:00", "2026-12-11T01:00:00+09:00" },
	};
	const struct leaf *l = &old_leaf, *none = NULL;
	const struct policy_notice *n;
	struct sim s;
	time_t t;

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	for (t = T("2026-11-24T12:00:00+09:00");
	    t <= T("2026-12-20T00:00:00+09:00"); t += STEP) {
		int down = 0;

		for (size_t i = 0; i < nitems(outages); i++)
			if (t >= T(outages[i].from) && t <= T(outages[i].to))
				down = 1;
		if (t % HOUR != 0)
			sim_run(&s, t, NULL);
		else if (down) {
			sim_probe(&s, t, &none, 1);
			/* a failed probe never changes the deadline */
			assert_int_equal(s.st->cycle.expiry, D("2027-03-31"));
			assert_false(s.st->last_probe_ok);
			assert_true(s.st->last_success < t);
		} else
			sim_probe(&s, t, &l, 1);
	}
	/* 20 hours: nothing; 30 hours: one notice at 24 h; 25 hours: one */
	assert_int_equal(sim_count(&s, NOTICE_PROBLEM), 2);
	n = &s.log[0];
	assert_int_equal(n->kind, NOTICE_PROBLEM);
	assert_int_equal(n->at, T("2026-12-06T00:00:00+09:00"));
	assert_int_equal(n->outage_since, T("2026-12-05T00:00:00+09:00"));
	assert_int_equal(n->last_success, T("2026-12-04T23:00:00+09:00"));
	assert_int_equal(n->expiry, D("2027-03-31"));
	assert_int_equal(s.log[1].at, T("2026-12-11T00:00:00+09:00"));
	assert_string_not_equal(s.log[0].id, s.log[1].id);
	assert_int_equal(s.nlog, 2);
	assert_true(s.st->last_probe_ok);
	assert_int_equal(s.st->outage_since, 0);
	sim_free(&s);
}

/* contract_end sets E; the renewal is seen, and E stays the contract's
 * until the config names the next one. */
static void
test_contract_end(void **unused)
{
	static const struct leaf outliving = {	/* ends after the contract */
		5, 1774882800, 1814367599 /* 2027-06-30T14:59:59Z */, 0,
	};
	const struct leaf *l = &outliving;
	const struct policy_notice *n;
	struct policy_notice next;
	struct policy_out out;
	struct sim s;
	time_t t;
	char err[256];

	(void)unused;
	sim_init(&s, "90,60,45,30,15", 9 * 60);
	s.ctx.contract_end = D("2027-03-31");
	/* known before anything is seen */
	assert_int_equal(policy_mark(s.st, POLICY_MARK_APPLIED,
	    T("2026-11-24T11:00:00+09:00"), NULL, err, sizeof(err)), -1);
	sim_run(&s, T("2026-11-24T11:00:00+09:00"), NULL);
	assert_true(s.st->cycle.active);
	assert_int_equal(s.st->cycle.source, EXPIRY_CONTRACT);
	assert_false(s.st->cycle.has_leaf);
	for (t = T("2026-11-24T12:00:00+09:00");
	    t <= T("2027-05-01T00:00:00+09:00"); t += STEP) {
		if (t == T("2027-03-10T10:00:00+09:00"))
			assert_int_equal(policy_mark(s.st, POLICY_MARK_APPLIED,
			    t, NULL, err, sizeof(err)), 0);
		if (t >= T("2027-03-20T12:00:00+09:00"))
			l = &new_leaf;
		if (t % (6 * HOUR) == 3 * HOUR)
			sim_probe(&s, t, &l, 1);
		else
			sim_run(&s, t, NULL);
	}
	expect_sent(&s, "2027-03-31/reminder-90", "2026-12-31T09:00:00+09:00");
	expect_sent(&s, "2027-03-31/reminder-30", "2027-03-01T09:00:00+09:00");
	/* applied on 03-10: no 15-day reminder */
	assert_null(sim_find(&s, "2027-03-31/reminder-15"));
	assert_int_equal(sim_count(&s, NOTICE_REMINDER), 4);
	n = expect_sent(&s, "2027-03-31/renewed", "2027-03-20T12:00:00+09:00");
	assert_int_equal(n->source, EXPIRY_CONTRACT);
	assert_int_equal(n->new_expiry, D("2027-03-31"));
	/* then silence: no install, no lapse for the renewed contract */
	assert_int_equal(s.nlog, 5);
	assert_int_equal(s.st->cycle.state, CYCLE_VERIFIED);
	assert_int_equal(s.st->cycle.expiry, D("2027-03-31"));
	assert_int_equal(policy_next(&s.ctx, s.st, t, &next), 0);
	assert_int_equal(policy_mark(s.st, POLICY_MARK_APPLIED, t, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "contract_end"));

	/* the admin names the next contract's end */
	s.ctx.contract_end = D("2028-03-31");
	policy_run(&s.ctx, s.st, NULL, t, &out);
	assert_int_equal(out.nnotices, 0);
	assert_true(out.changed);
	assert_string_equal(out.events[0].event, "contract");
	policy_out_free(&out);
	assert_int_equal(s.st->cycle.expiry, D("2028-03-31"));
	assert_int_equal(s.st->cycle.state, CYCLE_WAITING);
	assert_true(s.st->cycle.has_leaf);
	assert_int_equal(s.st->cycle.leaf_not_after, new_leaf.na);
	assert_int_equal(policy_next(&s.ctx, s.st, t, &next), 1);
	assert_int_equal(next.kind, NOTICE_REMINDER);
	assert_int_equal(next.due, T("2028-01-01T09:00:00+09:00"));

	/* and removes it again: the certificate's date, at once from the
	 * last good observation */
	s.ctx.contract_end = -1;
	policy_run(&s.ctx, s.st, NULL, t, &out);
	assert_string_equal(out.events[0].event, "contract");
	assert_string_equal(out.events[1].event, "tracking");
	policy_out_free(&out);
	assert_true(s.st->cycle.active);
	assert_int_equal(s.st->cycle.source, EXPIRY_CERTIFICATE);
	assert_int_equal(s.st->cycle.expiry, D("2028-03-31"));
	assert_int_equal(s.nlog, 5);
	sim_free(&s);
}

static void
test_marks(void **unused)
{
	struct target_state *st = state_new("mail.example.jp");
	const struct leaf *l = &old_leaf;
	struct policy_obs o;
	struct policy_out out;
	struct sim s;
	char err[256];
	time_t t = T("2027-03-01T12:00:00+09:00");

	(void)unused;
	sim_init(&s, "30", 9 * 60);
	assert_int_equal(policy_mark(st, POLICY_MARK_APPLIED, t, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no deadline is known"));
	obs_make(&o, t, &l, 1);
	policy_run(&s.ctx, st, &o, t, &out);
	policy_out_free(&out);
	policy_obs_free(&o);
	/* issued first implies applied */
	assert_int_equal(policy_mark(st, POLICY_MARK_ISSUED, t + 60,
	    "bell\a and \x1b[31mcolour", err, sizeof(err)), 0);
	assert_int_equal(st->cycle.state, CYCLE_ISSUED);
	assert_int_equal(st->cycle.applied_at, t + 60);
	assert_int_equal(st->cycle.issued_at, t + 60);
	assert_null(strchr(st->history[st->nhistory - 1].note, '\a'));
	assert_null(strchr(st->history[st->nhistory - 1].note, '\x1b'));
	/* again, or applied after issued: nothing changes */
	assert_int_equal(policy_mark(st, POLICY_MARK_ISSUED, t + 120, NULL,
	    err, sizeof(err)), 1);
	assert_int_equal(policy_mark(st, POLICY_MARK_APPLIED, t + 120, NULL,
	    err, sizeof(err)), 1);
	assert_int_equal(st->cycle.state, CYCLE_ISSUED);
	/* applied after the end of E (not lapsed yet in the state) */
	policy_reset(st, t, NULL);
	obs_make(&o, t, &l, 1);
	policy_run(&s.ctx, st, &o, t, &out);
	policy_out_free(&out);
	policy_obs_free(&o);
	assert_int_equal(policy_mark(st, POLICY_MARK_APPLIED,
	    T("2027-04-01T00:00:00+09:00"), NULL, err, sizeof(err)), -1);
	assert_int_equal(policy_mark(st, POLICY_MARK_APPLIED,
	    T("2027-03-31T23:59:59+09:00"), NULL, err, sizeof(err)), 0);
	state_free(st);
	sim_free(&s);
}

static void
test_next_and_thresholds(void **unused)
{
	static const struct {
		const char		*what;
		struct threshold	 t;
		time_t			 nb, na;
		int			 days;
	} cases[] = {
		{ "days, unknown leaf", { 90, 0 }, 0, 0, 90 },
		{ "share, unknown leaf", { 33, 1 }, 0, 0, -1 },
		{ "days, a year", { 90, 0 }, 0, 365 * DAY, 90 },
		{ "days = lifetime", { 47, 0 }, 0, 47 * DAY, -1 },
		{ "days > lifetime", { 60, 0 }, 0, 47 * DAY - 1, -1 },
		{ "days < lifetime", { 45, 0 }, 0, 47 * DAY - 1, 45 },
		{ "33 % of 47 days", { 33, 1 }, 0, 47 * DAY - 1, 15 },
		{ "10 % of 47 days", { 10, 1 }, 0, 47 * DAY - 1, 4 },
		{ "100 % of a year", { 100, 1 }, 0, 365 * DAY, 365 },
	};
	struct policy_notice next;
	struct sim s;
	const struct leaf *l = &old_leaf;

	(void)unused;
	for (size_t i = 0; i < nitems(cases); i++)
		if (policy_threshold_days(&cases[i].t, cases[i].nb,
		    cases[i].na) != cases[i].days)
			fail_msg("%s: %d, expected %d", cases[i].what,
			    policy_threshold_days(&cases[i].t, cases[i].nb,
			    cases[i].na), cases[i].days);

	sim_init(&s, "90,60,45,30,15", 9 * 60);
	assert_int_equal(policy_next(&s.ctx, s.st, T("2026-11-24T12:00:00Z"),
	    &next), 0);
	sim_probe(&s, T("2026-11-24T12:00:00+09:00"), &l, 1);
	assert_int_equal(s.nlog, 0);
	assert_int_equal(s.next_eval, T("2026-12-31T09:00:00+09:00"));
	assert_int_equal(policy_next(&s.ctx, s.st,
	    T("2026-11-24T12:00:00+09:00"), &next), 1);
	assert_int_equal(next.kind, NOTICE_REMINDER);
	assert_int_equal(next.threshold.value, 90);
	assert_int_equal(next.due, T("2026-12-31T09:00:00+09:00"));
	assert_int_equal(next.expiry, D("2027-03-31"));
	assert_int_equal(next.days_left, 127);
	assert_false(next.applications_open);
	assert_string_equal(s.st->history[0].event, "tracking");
	sim_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_and_thresholds),
		cmocka_unit_test(test_year_renewal),
		cmocka_unit_test(test_year_lapse),
		cmocka_unit_test(test_lapsed_then_renewed),
		cmocka_unit_test(test_window_deferral),
		cmocka_unit_test(test_first_seen_at_40_days),
		cmocka_unit_test(test_acme_day_thresholds),
		cmocka_unit_test(test_acme_percent_thresholds),
		cmocka_unit_test(test_load_balancer),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_contract_end),
		cmocka_unit_test(test_marks),
	};

	(void)dump_log;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
