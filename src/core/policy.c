/*
 * policy.c — the renewal policy: which notifications are due, how the
 * workflow moves, when to look again. Pure; see policy.h for its use.
 *
 * THE CYCLE. A target is tracked in cycles, one per deadline date E.
 *   - E is contract_end when it is set, else the JST date of the earliest
 *     leaf notAfter seen when the cycle starts. After that E changes only
 *     when the renewal is verified, on `renewctl reset`, or when the
 *     config's contract_end changes (set, changed or removed: the old cycle
 *     ends and a new one starts from the config and what is served). In
 *     particular a load balancer that shows old and new leaves in turn never
 *     moves E, so reminders are neither reset nor repeated.
 *   - The cycle's leaf is the earliest-expiring leaf served when the cycle
 *     starts (for contract_end, the first one seen).
 *   - States: waiting -> notified (a notice asking to apply went out) ->
 *     applied (mark) -> issued (optional mark; implies applied) -> verified;
 *     lapsed when E ends without `applied`.
 *
 * VERIFIED. An observation in which every address answered with a leaf
 * whose notAfter is later than the cycle leaf's, that verified (verify_ok)
 * and that covers every configured name (names_ok). An address that did not
 * answer means "not yet". With or without marks (auto-renewing
 * certificates renew by themselves): a `renewed` notice goes out, also after
 * `applied`, because it confirms step 6 to whoever applied. Then:
 *   - E from the certificate: the next cycle starts at once with the new
 *     leaf's date, in state `verified` (it acts as `waiting`: its
 *     reminders come as usual, and its first one moves it to `notified`).
 *   - E from contract_end: the cycle stays `verified` with the same E, and
 *     the policy is silent for it (no reminders, overdue, lapse or install
 *     notices: the contract was renewed). The admin is expected to set
 *     contract_end to the new contract's end date; that starts a new cycle.
 *     A config that still names the old date simply shows the old E as
 *     verified. (renewd cannot know the next contract's end from the
 *     certificate: the CA may give a certificate a different end date.)
 *   - A lapsed cycle is verified the same way: a new certificate served
 *     everywhere means a new contract was made, and tracking goes on by
 *     itself (reset is not needed then).
 *
 * THE NOTICES. Those that ask the admin to apply — reminders, apply-by,
 * overdue — are only sent while nothing is applied (waiting, notified, or
 * the `verified` start of a new certificate cycle), and when one falls due
 * inside a CA maintenance window it waits for the window's end.
 *   - reminder T: at remind_at JST on E - T days (cal_reminder_due). A
 *     share T% means T% of the cycle leaf's lifetime, rounded down to whole
 *     days; unknown lifetime (contract_end, nothing seen): not yet. A day
 *     count not shorter than the lifetime is skipped without a record. Once
 *     per (E, T), recorded in the cycle. `applications_open` is set when E -
 *     90 days (00:00 JST) is reached: the CA accepts applications.
 *   - apply-by: at remind_at on A (deferred). Once per E.
 *   - overdue: every business day d after A, up to E, at remind_at
 *     (deferred), once per day. If renewd learns after the apply deadline
 *     that nothing was ever said about it (no apply-by or overdue sent), an
 *     overdue notice goes out at once.
 *   - lapsed: at the lapse (00:00 JST after E) when nothing is applied: the
 *     state becomes lapsed, one notice, then silence for that E;
 *     `mark applied` is refused for it.
 *   - Due at once when learnt late. When several of reminder/apply-by/
 *     overdue/lapsed are due at the same evaluation (first sight 40 days
 *     out, or after the daemon was down), only the most urgent is sent
 *     (lapsed > overdue > apply-by > the reminder with the fewest days);
 *     the other reminders and apply-by are recorded as skipped. Overdue days
 *     that were missed are not sent afterwards (only the latest).
 *   - install: applied or issued and E - 3 days at remind_at reached (the
 *     renewal is then still not verified, so the old leaf is still served
 *     somewhere, or nothing answers): every day at remind_at, also after E,
 *     until verified. Not deferred (installing is not refused by the CA).
 *     Missed days are not sent afterwards.
 *   - renewed: when verified (above).
 *   - problem: a target that has not answered (no address served a leaf)
 *     for 24 h since the first failed probe of an outage: one notice per
 *     outage; an answer ends the outage. A failed probe changes nothing else:
 *     E and the last good observation stay, only last_probe moves.
 *
 * Every decision is recorded in the state before it is returned, and every
 * notice carries an id stable per (target, E, kind, threshold or day), so
 * a restart between deciding and sending can be made to neither lose nor
 * repeat a notice by an outbox that refuses an id it already holds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "policy.h"
#include "util.h"

#define DAY			86400
#define INSTALL_DAYS_BEFORE	3		/* install notices from E - 3 */
#define OUTAGE_NOTICE_AFTER	(24 * 3600)
#define APPLICATIONS_OPEN_DAYS	90		/* the CA accepts from E - 90 */

/* --- context and observations -------------------------------------------- */

void
policy_ctx_init(struct policy_ctx *ctx, const struct config *cfg,
    const struct cal_rules *rules, const struct target_conf *tc)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->rules = rules;
	ctx->thresholds = cfg->thresholds;
	ctx->nthresholds = cfg->nthresholds;
	ctx->remind_at = cfg->remind_at;
	ctx->product = tc->product;
	ctx->contract_end = tc->contract_end;
}

void
policy_observation_from_result(const struct target_result *res,
    struct policy_obs *obs)
{
	memset(obs, 0, sizeof(*obs));
	obs->at = res->started;
	if (res->naddrs > 0)
		obs->addrs = xcalloc(res->naddrs, sizeof(*obs->addrs));
	obs->naddrs = res->naddrs;
	for (size_t i = 0; i < res->naddrs; i++) {
		const struct addr_result *a = &res->addrs[i];
		struct policy_addr *p = &obs->addrs[i];

		rd_strlcpy(p->address, a->address, sizeof(p->address));
		if (!a->has_cert)
			continue;
		p->has_cert = 1;
		rd_strlcpy(p->sha256, a->cert.sha256, sizeof(p->sha256));
		p->not_before = a->cert.not_before;
		p->not_after = a->cert.not_after;
		p->verify_ok = a->cert.verify_ok;
		p->names_ok = a->cert.names_ok;
		if (!obs->ok || p->not_after < obs->not_after) {
			obs->ok = 1;
			rd_strlcpy(obs->sha256, p->sha256, sizeof(obs->sha256));
			obs->not_before = p->not_before;
			obs->not_after = p->not_after;
		}
	}
	if (obs->ok)
		return;
	if (res->error != NULL)
		rd_strlcpy(obs->error, res->error, sizeof(obs->error));
	else {
		for (size_t i = 0; i < res->naddrs; i++)
			if (res->addrs[i].error != NULL) {
				snprintf(obs->error, sizeof(obs->error), "%s: %s",
				    res->addrs[i].address, res->addrs[i].error);
				break;
			}
		if (obs->error[0] == '\0')
			rd_strlcpy(obs->error, "no address served a certificate",
			    sizeof(obs->error));
	}
}

void
policy_obs_free(struct policy_obs *obs)
{
	free(obs->addrs);
	obs->addrs = NULL;
	obs->naddrs = 0;
}

int
policy_threshold_days(const struct threshold *t, time_t nb, time_t na)
{
	int64_t life = na > nb ? (int64_t)na - (int64_t)nb : 0;

	if (t->percent) {
		if (life <= 0)
			return -1;
		return (int)(life * t->value / 100 / DAY);
	}
	if (life > 0 && (int64_t)t->value * DAY >= life)
		return -1;
	return t->value;
}

/* --- small helpers --------------------------------------------------------- */

static int
cycle_not_applied(const struct cycle *c)
{
	return c->state == CYCLE_WAITING || c->state == CYCLE_NOTIFIED ||
	    (c->state == CYCLE_VERIFIED && c->source == EXPIRY_CERTIFICATE);
}

/* A contract cycle whose renewal was seen: nothing more to say for E. */
static int
cycle_done(const struct cycle *c)
{
	return c->state == CYCLE_VERIFIED && c->source == EXPIRY_CONTRACT;
}

static int
threshold_eq(const struct threshold *a, const struct threshold *b)
{
	/* cppcheck-suppress ctunullpointer ; sent_find() has a NULL t only
	 * for kinds that compare no threshold */
	return a->value == b->value && !a->percent == !b->percent;
}

static const struct sent_notice *
sent_find(const struct cycle *c, enum notice_kind kind,
    const struct threshold *t, int day)
{
	for (size_t i = 0; i < c->nsent; i++) {
		const struct sent_notice *n = &c->sent[i];

		if (n->kind != kind)
			continue;
		if (kind == NOTICE_REMINDER && !threshold_eq(&n->threshold, t))
			continue;
		if ((kind == NOTICE_OVERDUE || kind == NOTICE_INSTALL) &&
		    n->day != day)
			continue;
		return n;
	}
	return NULL;
}

/* Was the admin ever told about the apply-by date in this cycle? */
static int
cycle_told_apply_by(const struct cycle *c)
{
	for (size_t i = 0; i < c->nsent; i++)
		if (!c->sent[i].skipped && (c->sent[i].kind == NOTICE_APPLY_BY ||
		    c->sent[i].kind == NOTICE_OVERDUE))
			return 1;
	return 0;
}

/* "2027-03-31 09:00 JST" */
static void
fmt_jst(time_t t, char *buf, size_t len)
{
	char iso[32];

	time_format_jst(t, iso, sizeof(iso));
	iso[10] = ' ';
	memcpy(iso + 16, " JST", 5);
	rd_strlcpy(buf, iso, len);
}

static void
fmt_threshold(const struct threshold *t, char *buf, size_t len)
{
	if (t->percent)
		snprintf(buf, len, "%d%%", t->value);
	else
		snprintf(buf, len, "%d days", t->value);
}

/* --- candidates: every notice the cycle may still send --------------------- */

struct cand {
	enum notice_kind	 kind;
	struct threshold	 th;
	int			 days;		/* reminder: days before E */
	int			 day;		/* overdue/install: -1 else */
	time_t			 due;
	int			 asks;		/* deferred out of windows */
};

struct cands {
	struct cand	*v;
	size_t		 n;
	size_t		 cap;
};

static void
cands_add(struct cands *cs, enum notice_kind kind, const struct threshold *th,
    int days, int day, time_t due)
{
	struct cand *c;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 16;
		cs->v = xreallocarray(cs->v, cs->cap, sizeof(*cs->v));
	}
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (th != NULL)
		c->th = *th;
	c->days = days;
	c->day = day;
	c->due = due;
	c->asks = kind == NOTICE_REMINDER || kind == NOTICE_APPLY_BY ||
	    kind == NOTICE_OVERDUE;
}

static int
cand_workflow(const struct cand *c)
{
	return c->asks || c->kind == NOTICE_LAPSED;
}

static int
cand_class(const struct cand *c)
{
	switch (c->kind) {
	case NOTICE_REMINDER:
		return 1;
	case NOTICE_APPLY_BY:
		return 2;
	case NOTICE_OVERDUE:
		return 3;
	case NOTICE_LAPSED:
		return 4;
	default:
		return 0;
	}
}

/* Is a more urgent than b? */
static int
cand_more_urgent(const struct cand *a, const struct cand *b)
{
	if (cand_class(a) != cand_class(b))
		return cand_class(a) > cand_class(b);
	if (a->kind == NOTICE_REMINDER)
		return a->days < b->days;
	return a->due > b->due;
}

static time_t
overdue_due(const struct policy_ctx *ctx, int day)
{
	return maint_defer(&ctx->rules->maint, jday_to_time(day, ctx->remind_at));
}

static void
cands_collect(const struct policy_ctx *ctx, const struct target_state *st,
    time_t now, struct cands *cs)
{
	const struct cycle *c = &st->cycle;
	int today = jday_from_time(now), e = c->expiry, a;
	time_t lapse, deadline;

	cs->n = 0;
	if (!c->active || cycle_done(c) || c->state == CYCLE_LAPSED)
		return;
	lapse = cal_lapse(e);

	if (c->state == CYCLE_APPLIED || c->state == CYCLE_ISSUED) {
		int first = e - INSTALL_DAYS_BEFORE, d;

		/* the latest day whose notice time has come, and the next */
		d = jday_to_time(today, ctx->remind_at) <= now ? today : today - 1;
		if (d >= first && sent_find(c, NOTICE_INSTALL, NULL, d) == NULL)
			cands_add(cs, NOTICE_INSTALL, NULL, 0, d,
			    jday_to_time(d, ctx->remind_at));
		d = d + 1 > first ? d + 1 : first;
		cands_add(cs, NOTICE_INSTALL, NULL, 0, d,
		    jday_to_time(d, ctx->remind_at));
		return;
	}
	if (!cycle_not_applied(c))
		return;

	for (size_t i = 0; i < ctx->nthresholds; i++) {
		const struct threshold *t = &ctx->thresholds[i];
		int days, dup = 0;

		days = c->has_leaf ? policy_threshold_days(t, c->leaf_not_before,
		    c->leaf_not_after) : policy_threshold_days(t, 0, 0);
		if (days < 0 || sent_find(c, NOTICE_REMINDER, t, -1) != NULL)
			continue;
		for (size_t j = 0; j < cs->n; j++)
			if (threshold_eq(&cs->v[j].th, t))
				dup = 1;
		if (dup)
			continue;
		cands_add(cs, NOTICE_REMINDER, t, days, -1,
		    cal_reminder_due(ctx->rules, e, days, ctx->remind_at));
	}

	a = cal_apply_by(ctx->rules, ctx->product, e);
	deadline = cal_apply_deadline(ctx->rules, a);
	if (sent_find(c, NOTICE_APPLY_BY, NULL, -1) == NULL)
		cands_add(cs, NOTICE_APPLY_BY, NULL, 0, -1, overdue_due(ctx, a));

	/* overdue: the latest business day whose time has come, the next */
	{
		int last = -1, d;

		for (d = today < e ? today : e; d > a; d--) {
			time_t due = overdue_due(ctx, d);

			if (cal_is_business_day(ctx->rules, d) && due <= now &&
			    due < lapse) {
				last = d;
				break;
			}
		}
		if (last >= 0) {
			if (sent_find(c, NOTICE_OVERDUE, NULL, last) == NULL)
				cands_add(cs, NOTICE_OVERDUE, NULL, 0, last,
				    overdue_due(ctx, last));
		} else if (now >= deadline && !cycle_told_apply_by(c) &&
		    sent_find(c, NOTICE_OVERDUE, NULL, today) == NULL)
			cands_add(cs, NOTICE_OVERDUE, NULL, 0, today, deadline);
		for (d = today > a + 1 ? today : a + 1; d <= e; d++) {
			time_t due = overdue_due(ctx, d);

			if (cal_is_business_day(ctx->rules, d) && due > now &&
			    due < lapse) {
				cands_add(cs, NOTICE_OVERDUE, NULL, 0, d, due);
				break;
			}
		}
	}

	cands_add(cs, NOTICE_LAPSED, NULL, 0, -1, lapse);
}

/* --- a run ------------------------------------------------------------------ */

struct run {
	const struct policy_ctx	*ctx;
	struct target_state	*st;
	time_t			 now;
	struct policy_out	*out;
};

static void run_event(struct run *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
run_event(struct run *r, const char *event, const char *fmt, ...)
{
	struct policy_out *out = r->out;
	struct state_event *e;
	char *note;
	va_list ap;

	va_start(ap, fmt);
	note = xvasprintf(fmt, ap);
	va_end(ap);
	state_history_add(r->st, r->now, event, note);
	out->events = xreallocarray(out->events, out->nevents + 1,
	    sizeof(*out->events));
	e = &out->events[out->nevents++];
	e->at = r->now;
	rd_strlcpy(e->event, event, sizeof(e->event));
	e->note = note;
	out->changed = 1;
}

/* The deadline fields of a notice, from the cycle. */
static void
notice_fill(const struct policy_ctx *ctx, const struct target_state *st,
    time_t now, struct policy_notice *n)
{
	const struct cycle *c = &st->cycle;

	n->at = now;
	n->expiry = -1;
	n->new_expiry = -1;
	n->last_success = st->last_success;
	if (!c->active)
		return;
	n->expiry = c->expiry;
	n->source = c->source;
	n->days_left = c->expiry - jday_from_time(now);
	n->apply_by = cal_apply_by(ctx->rules, ctx->product, c->expiry);
	n->apply_deadline = cal_apply_deadline(ctx->rules, n->apply_by);
	n->lapse = cal_lapse(c->expiry);
}

static void
notice_id(struct policy_notice *n, int day)
{
	char e[16], d[16];

	if (n->expiry >= 0)
		jday_format(n->expiry, e);
	else
		rd_strlcpy(e, "none", sizeof(e));
	switch (n->kind) {
	case NOTICE_REMINDER:
		snprintf(n->id, sizeof(n->id), "%s/reminder-%d%s", e,
		    n->threshold.value, n->threshold.percent ? "pct" : "");
		break;
	case NOTICE_OVERDUE:
	case NOTICE_INSTALL:
		jday_format(day, d);
		snprintf(n->id, sizeof(n->id), "%s/%s-%s", e,
		    notice_kind_name(n->kind), d);
		break;
	case NOTICE_PROBLEM:
		snprintf(n->id, sizeof(n->id), "%s/problem-%lld", e,
		    (long long)n->outage_since);
		break;
	default:
		snprintf(n->id, sizeof(n->id), "%s/%s", e,
		    notice_kind_name(n->kind));
		break;
	}
}

static void
notice_from_cand(const struct policy_ctx *ctx, const struct target_state *st,
    const struct cand *c, time_t now, struct policy_notice *n)
{
	memset(n, 0, sizeof(*n));
	n->kind = c->kind;
	notice_fill(ctx, st, now, n);
	n->due = c->due;
	if (c->kind == NOTICE_REMINDER) {
		n->threshold = c->th;
		n->threshold_days = c->days;
		n->applications_open = now >= jday_to_time(st->cycle.expiry -
		    APPLICATIONS_OPEN_DAYS, 0);
	}
	if (c->asks) {
		struct window w;

		if (maint_windows_after(&ctx->rules->maint, now, &w, 1) == 1 &&
		    w.start < n->apply_deadline) {
			n->has_window = 1;
			n->window = w;
		}
	}
	notice_id(n, c->day);
}

static void
run_send(struct run *r, const struct policy_notice *n)
{
	struct policy_out *out = r->out;

	out->notices = xreallocarray(out->notices, out->nnotices + 1,
	    sizeof(*out->notices));
	out->notices[out->nnotices++] = *n;
	out->changed = 1;
}

static void
run_record(struct run *r, const struct cand *c, int skipped)
{
	struct sent_notice s;

	memset(&s, 0, sizeof(s));
	s.kind = c->kind;
	s.threshold = c->th;
	s.day = c->day;
	s.due = c->due;
	s.at = r->now;
	s.skipped = skipped;
	state_sent_add(&r->st->cycle, &s);
	r->out->changed = 1;
}

static void
cand_describe(const struct cand *c, char *buf, size_t len)
{
	char th[32], d[16];

	switch (c->kind) {
	case NOTICE_REMINDER:
		fmt_threshold(&c->th, th, sizeof(th));
		if (c->th.percent)
			snprintf(buf, len, "reminder %s (%d days)", th, c->days);
		else
			snprintf(buf, len, "reminder %s", th);
		break;
	case NOTICE_OVERDUE:
	case NOTICE_INSTALL:
		jday_format(c->day, d);
		snprintf(buf, len, "%s notice of %s", notice_kind_name(c->kind),
		    d);
		break;
	default:
		snprintf(buf, len, "%s notice", notice_kind_name(c->kind));
		break;
	}
}

static void
cycle_set_leaf(struct cycle *c, const struct policy_obs *o)
{
	c->has_leaf = 1;
	/* o->sha256 is inspect.c's 64 hex digits */
	if (state_leaf_set_hex(c, o->sha256) == -1)
		memset(c->leaf_sha256, 0, sizeof(c->leaf_sha256));
	c->leaf_not_before = o->not_before;
	c->leaf_not_after = o->not_after;
}

static void
run_cycle_start(struct run *r, int expiry, enum expiry_source src,
    const struct policy_obs *o, enum cycle_state state)
{
	struct cycle *c = &r->st->cycle;
	char e[16], a[16], na[32];

	state_cycle_clear(c);
	c->active = 1;
	c->expiry = expiry;
	c->source = src;
	c->state = state;
	c->started = r->now;
	if (o != NULL && o->ok)
		cycle_set_leaf(c, o);
	jday_format(expiry, e);
	jday_format(cal_apply_by(r->ctx->rules, r->ctx->product, expiry), a);
	if (src == EXPIRY_CONTRACT)
		run_event(r, "tracking", "deadline %s from contract_end; apply "
		    "by %s", e, a);
	else {
		fmt_jst(c->leaf_not_after, na, sizeof(na));
		run_event(r, "tracking", "deadline %s from the certificate "
		    "(notAfter %s); apply by %s", e, na, a);
	}
}

static void
run_observe(struct run *r, const struct policy_obs *o)
{
	struct target_state *st = r->st;
	char since[32];

	st->last_probe = o->at;
	r->out->changed = 1;
	if (!o->ok) {
		st->last_probe_ok = 0;
		free(st->last_error);
		st->last_error = xstrdup(o->error);
		if (st->outage_since == 0) {
			st->outage_since = o->at;
			st->outage_notified = 0;
			run_event(r, "unreachable", "no address served a "
			    "certificate: %s", o->error);
		}
		return;
	}
	st->last_probe_ok = 1;
	free(st->last_error);
	st->last_error = NULL;
	st->last_success = o->at;
	if (st->outage_since != 0) {
		fmt_jst(st->outage_since, since, sizeof(since));
		run_event(r, "reachable", "answering again (unreachable since "
		    "%s)", since);
		st->outage_since = 0;
		st->outage_notified = 0;
	}
}

/* Follow the config's contract_end; start a cycle when none runs. */
static void
run_config(struct run *r, const struct policy_obs *o)
{
	const struct policy_ctx *ctx = r->ctx;
	struct cycle *c = &r->st->cycle;
	struct policy_obs stored;
	const struct policy_obs *leaf = NULL;
	char e[16], ne[16];

	if (c->active) {
		jday_format(c->expiry, e);
		if (ctx->contract_end >= 0 && (c->source != EXPIRY_CONTRACT ||
		    c->expiry != ctx->contract_end)) {
			jday_format(ctx->contract_end, ne);
			run_event(r, "contract", "contract_end is now %s (the "
			    "deadline was %s, %s): a new cycle starts", ne, e,
			    cycle_state_name(c->state));
			state_cycle_clear(c);
		} else if (ctx->contract_end < 0 &&
		    c->source == EXPIRY_CONTRACT) {
			run_event(r, "contract", "contract_end was removed (the "
			    "deadline was %s, %s): the certificate sets the "
			    "deadline again", e, cycle_state_name(c->state));
			state_cycle_clear(c);
		}
	}

	memset(&stored, 0, sizeof(stored));
	if (c->active && c->has_leaf)
		return;
	if (o != NULL && o->ok)
		leaf = o;
	else if (r->st->observation != NULL) {
		policy_observation_from_result(r->st->observation, &stored);
		if (stored.ok)
			leaf = &stored;
	}
	if (!c->active) {
		if (ctx->contract_end >= 0)
			run_cycle_start(r, ctx->contract_end, EXPIRY_CONTRACT,
			    leaf, CYCLE_WAITING);
		else if (leaf != NULL)
			run_cycle_start(r, jday_from_time(leaf->not_after),
			    EXPIRY_CERTIFICATE, leaf, CYCLE_WAITING);
	} else if (leaf != NULL) {
		cycle_set_leaf(c, leaf);
		r->out->changed = 1;
	}
	policy_obs_free(&stored);
}

static int
obs_all_new(const struct cycle *c, const struct policy_obs *o)
{
	if (!c->has_leaf || !o->ok || o->naddrs == 0)
		return 0;
	for (size_t i = 0; i < o->naddrs; i++) {
		const struct policy_addr *a = &o->addrs[i];

		if (!a->has_cert || a->not_after <= c->leaf_not_after ||
		    !a->verify_ok || !a->names_ok)
			return 0;
	}
	return 1;
}

static void
run_verify(struct run *r, const struct policy_obs *o)
{
	struct cycle *c = &r->st->cycle;
	struct policy_notice n;
	char e[16], na[32];

	if (!c->active || cycle_done(c) || !obs_all_new(c, o))
		return;
	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_RENEWED;
	notice_fill(r->ctx, r->st, r->now, &n);
	n.due = r->now;
	n.new_not_after = o->not_after;
	n.new_expiry = c->source == EXPIRY_CONTRACT ? c->expiry :
	    jday_from_time(o->not_after);
	notice_id(&n, -1);
	run_send(r, &n);

	jday_format(c->expiry, e);
	fmt_jst(o->not_after, na, sizeof(na));
	run_event(r, "verified", "every address serves the new certificate "
	    "(notAfter %s, SHA-256 %.16s...) for the deadline %s, which was %s",
	    na, o->sha256, e, cycle_state_name(c->state));
	if (c->source == EXPIRY_CONTRACT) {
		c->state = CYCLE_VERIFIED;
		c->verified_at = r->now;
		return;
	}
	run_cycle_start(r, jday_from_time(o->not_after), EXPIRY_CERTIFICATE, o,
	    CYCLE_VERIFIED);
	c->verified_at = r->now;
}

static void
run_due(struct run *r)
{
	const struct policy_ctx *ctx = r->ctx;
	struct target_state *st = r->st;
	struct cycle *c = &st->cycle;
	struct cands cs = { 0 };
	const struct cand *best = NULL;
	struct policy_notice n;
	struct window w;
	char what[64], e[16];

	cands_collect(ctx, st, r->now, &cs);
	for (size_t i = 0; i < cs.n; i++) {
		const struct cand *k = &cs.v[i];

		if (k->due > r->now)
			continue;
		if (k->kind == NOTICE_INSTALL) {
			notice_from_cand(ctx, st, k, r->now, &n);
			run_send(r, &n);
			run_record(r, k, 0);
			cand_describe(k, what, sizeof(what));
			run_event(r, "notice", "%s sent: the old certificate is "
			    "still served", what);
			continue;
		}
		if (cand_workflow(k) && (best == NULL ||
		    cand_more_urgent(k, best)))
			best = k;
	}
	if (best == NULL)
		goto done;
	if (best->asks && maint_window_at(&ctx->rules->maint, r->now, &w))
		goto done;	/* wait for the window's end */

	notice_from_cand(ctx, st, best, r->now, &n);
	run_send(r, &n);
	run_record(r, best, 0);
	for (size_t i = 0; i < cs.n; i++) {
		const struct cand *k = &cs.v[i];

		if (k == best || k->due > r->now || (k->kind != NOTICE_REMINDER &&
		    k->kind != NOTICE_APPLY_BY))
			continue;
		run_record(r, k, 1);
		cand_describe(k, what, sizeof(what));
		run_event(r, "skipped", "%s skipped: a more urgent notice went "
		    "out at the same time", what);
	}
	jday_format(c->expiry, e);
	cand_describe(best, what, sizeof(what));
	if (best->kind == NOTICE_LAPSED) {
		c->state = CYCLE_LAPSED;
		c->lapsed_at = r->now;
		run_event(r, "lapsed", "%s ended without an application: the CA "
		    "cancels the contract; a new contract is needed (renewctl "
		    "reset %s starts tracking afresh)", e, st->target);
	} else if (c->state == CYCLE_WAITING || c->state == CYCLE_VERIFIED) {
		c->state = CYCLE_NOTIFIED;
		run_event(r, "notified", "%s sent for the deadline %s", what, e);
	} else
		run_event(r, "notice", "%s sent for the deadline %s", what, e);
done:
	free(cs.v);
}

static void
run_problem(struct run *r)
{
	struct target_state *st = r->st;
	struct policy_notice n;
	char since[32];

	if (st->outage_since == 0 || st->outage_notified ||
	    r->now < st->outage_since + OUTAGE_NOTICE_AFTER)
		return;
	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_PROBLEM;
	notice_fill(r->ctx, st, r->now, &n);
	n.due = st->outage_since + OUTAGE_NOTICE_AFTER;
	n.outage_since = st->outage_since;
	notice_id(&n, -1);
	run_send(r, &n);
	st->outage_notified = 1;
	fmt_jst(st->outage_since, since, sizeof(since));
	run_event(r, "problem", "unreachable since %s: problem notice sent",
	    since);
}

/* The earliest moment after `now` at which something may fall due. */
static time_t
run_next_eval(const struct policy_ctx *ctx, const struct target_state *st,
    time_t now)
{
	struct cands cs = { 0 };
	struct window w;
	time_t next = 0;

	cands_collect(ctx, st, now, &cs);
	for (size_t i = 0; i < cs.n; i++) {
		time_t t = cs.v[i].due;

		if (t <= now) {
			/* still due: held back by a maintenance window */
			if (maint_window_at(&ctx->rules->maint, now, &w))
				t = w.end;
			else
				t = now + 60;
		}
		if (next == 0 || t < next)
			next = t;
	}
	free(cs.v);
	if (st->outage_since != 0 && !st->outage_notified) {
		time_t t = st->outage_since + OUTAGE_NOTICE_AFTER;

		if (t <= now)
			t = now + 60;
		if (next == 0 || t < next)
			next = t;
	}
	return next;
}

void
policy_run(const struct policy_ctx *ctx, struct target_state *st,
    const struct policy_obs *obs, time_t now, struct policy_out *out)
{
	/* cppcheck-suppress ctuuninitvar ; out is filled in, not read */
	struct run r = { ctx, st, now, out };

	memset(out, 0, sizeof(*out));
	if (obs != NULL)
		run_observe(&r, obs);
	run_config(&r, obs);
	if (obs != NULL && obs->ok)
		run_verify(&r, obs);
	run_due(&r);
	run_problem(&r);
	out->next_eval = run_next_eval(ctx, st, now);
}

void
policy_out_free(struct policy_out *out)
{
	for (size_t i = 0; i < out->nevents; i++)
		free(out->events[i].note);
	free(out->events);
	free(out->notices);
	memset(out, 0, sizeof(*out));
}

int
policy_next(const struct policy_ctx *ctx, const struct target_state *st,
    time_t now, struct policy_notice *next)
{
	struct cands cs = { 0 };
	const struct cand *best = NULL, *install = NULL, *soon = NULL;
	struct window w;

	cands_collect(ctx, st, now, &cs);
	for (size_t i = 0; i < cs.n; i++) {
		const struct cand *k = &cs.v[i];

		if (k->due > now) {
			if (soon == NULL || k->due < soon->due)
				soon = k;
		} else if (k->kind == NOTICE_INSTALL)
			install = k;
		else if (best == NULL || cand_more_urgent(k, best))
			best = k;
	}
	if (best == NULL)
		best = install != NULL ? install : soon;
	if (best == NULL) {
		free(cs.v);
		return 0;
	}
	notice_from_cand(ctx, st, best, now, next);
	if (best->due <= now) {
		next->due = now;
		if (best->asks && maint_window_at(&ctx->rules->maint, now, &w))
			next->due = w.end;
	}
	free(cs.v);
	return 1;
}

int
policy_next_first_sight(const struct policy_ctx *ctx, const char *target,
    const struct policy_obs *obs, time_t now, struct policy_notice *next)
{
	struct target_state *st = state_new(target);
	struct policy_out out;
	struct run r = { ctx, st, now, &out };
	int rc;

	memset(&out, 0, sizeof(out));
	if (obs != NULL)
		run_observe(&r, obs);
	run_config(&r, obs);
	rc = policy_next(ctx, st, now, next);
	policy_out_free(&out);
	state_free(st);
	return rc;
}

/* --- marks -------------------------------------------------------------------- */

int
policy_mark(struct target_state *st, enum policy_mark mark, time_t now,
    const char *note, char *err, size_t errlen)
{
	struct cycle *c = &st->cycle;
	const char *word = mark == POLICY_MARK_APPLIED ? "applied" : "issued";
	char e[16], *clean = NULL, *line;

	if (!c->active) {
		snprintf(err, errlen, "%s: no deadline is known yet (no "
		    "certificate has been seen and contract_end is not set): "
		    "nothing to mark %s", st->target, word);
		return -1;
	}
	jday_format(c->expiry, e);
	if (c->state == CYCLE_LAPSED || (cycle_not_applied(c) &&
	    now >= cal_lapse(c->expiry))) {
		snprintf(err, errlen, "%s: the contract ended on %s without an "
		    "application and the CA has cancelled it: it cannot be "
		    "renewed; a new contract is needed. Once it is made, "
		    "\"renewctl reset %s\" starts tracking afresh", st->target, e,
		    st->target);
		return -1;
	}
	if (cycle_done(c)) {
		snprintf(err, errlen, "%s: the renewal for the contract ending "
		    "%s is already verified; set contract_end to the new "
		    "contract's end date", st->target, e);
		return -1;
	}
	if (c->state == CYCLE_ISSUED ||
	    (c->state == CYCLE_APPLIED && mark == POLICY_MARK_APPLIED))
		return 1;
	if (c->applied_at == 0)
		c->applied_at = now;
	if (mark == POLICY_MARK_ISSUED) {
		c->state = CYCLE_ISSUED;
		c->issued_at = now;
	} else
		c->state = CYCLE_APPLIED;
	if (note != NULL && *note != '\0')
		clean = rd_sanitize(note, strlen(note));
	line = xasprintf("marked %s for the deadline %s%s%s", word, e,
	    clean != NULL ? ": " : "", clean != NULL ? clean : "");
	state_history_add(st, now, word, line);
	free(line);
	free(clean);
	return 0;
}

void
policy_reset(struct target_state *st, time_t now, const char *note)
{
	struct cycle *c = &st->cycle;
	char *clean = NULL, e[16];
	const char *was = "no deadline";

	if (note != NULL && *note != '\0')
		clean = rd_sanitize(note, strlen(note));
	if (c->active) {
		jday_format(c->expiry, e);
		was = e;
	}
	{
		char *line = xasprintf("tracking starts afresh (was: %s, %s)%s%s",
		    was, c->active ? cycle_state_name(c->state) : "-",
		    clean != NULL ? ": " : "", clean != NULL ? clean : "");

		state_history_add(st, now, "reset", line);
		free(line);
	}
	free(clean);
	state_cycle_clear(c);
}
