/*
 * status.c — derive a target's deadline view from its config and its latest
 * observation, and render it as the Status JSON of PRODUCT.md.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "jsonutil.h"
#include "policy.h"
#include "status.h"
#include "util.h"

/* Problems that make a target critical; every other problem is a warning. */
#define PROB_CRITICAL	(PROB_EXPIRED | PROB_UNTRUSTED | \
			 PROB_HOSTNAME_MISMATCH | PROB_NAME_NOT_COVERED)

/* The next notification, as the daemon's policy would decide it for a
 * target seen for the first time (renewd --once keeps no state). */
static void
status_next(const struct config *cfg, const struct cal_rules *rules,
    const struct target_conf *tc, const struct target_result *res,
    struct target_status *st, time_t now)
{
	struct policy_ctx ctx;
	struct policy_obs obs;
	struct policy_notice n;

	st->next_kind = NULL;
	policy_ctx_init(&ctx, cfg, rules, tc);
	if (res != NULL)
		policy_observation_from_result(res, &obs);
	if (policy_next_first_sight(&ctx, tc->name, res != NULL ? &obs : NULL,
	    now, &n) == 1) {
		st->next_kind = notice_kind_name(n.kind);
		st->next_threshold = n.threshold.value;
		st->next_threshold_percent = n.threshold.percent;
		st->next_due = n.due;
	}
	if (res != NULL)
		policy_obs_free(&obs);
}

/* What the observation says: problems, the earliest leaf. *nb gets that
 * leaf's notBefore. */
static void
status_observed(struct target_status *st, const struct target_conf *tc,
    const struct target_result *res, time_t *nb)
{
	memset(st, 0, sizeof(*st));
	*nb = 0;
	st->conf = tc;
	st->result = res;
	st->state = "waiting";
	if (res == NULL)
		return;
	st->problems = res->problems;
	for (size_t i = 0; i < res->naddrs; i++) {
		const struct addr_result *a = &res->addrs[i];

		if (!a->has_cert)
			continue;
		st->any_ok = 1;
		if (st->not_after == 0 || a->cert.not_after < st->not_after) {
			st->not_after = a->cert.not_after;
			*nb = a->cert.not_before;
		}
	}
}

/* E, A, the apply deadline and the lapse for E = `day`. */
static void
status_deadline(struct target_status *st, const struct cal_rules *rules,
    int day, const char *source, time_t now)
{
	st->have_expiry = 1;
	st->expiry_day = day;
	st->expiry_source = source;
	st->days_left = day - jday_from_time(now);
	st->apply_by = cal_apply_by(rules, st->conf->product, day);
	st->apply_deadline = cal_apply_deadline(rules, st->apply_by);
	st->lapse = cal_lapse(day);
}

/* Within the reach of the largest reminder threshold. */
static int
status_near(const struct config *cfg, const struct target_status *st,
    time_t nb)
{
	int maxdays = 0;

	for (size_t i = 0; i < cfg->nthresholds; i++) {
		int d = policy_threshold_days(&cfg->thresholds[i], nb,
		    st->not_after);
		if (d > maxdays)
			maxdays = d;
	}
	return st->days_left <= maxdays;
}

void
status_compute(const struct config *cfg, const struct cal_rules *rules,
    const struct target_conf *tc, const struct target_result *res, time_t now,
    struct target_status *st)
{
	time_t nb;

	status_observed(st, tc, res, &nb);
	if (res != NULL) {
		st->last_probe = res->started;
		st->last_success = st->any_ok ? res->started : 0;
		st->error = res->error;
	}
	if (tc->contract_end >= 0)
		status_deadline(st, rules, tc->contract_end, "contract", now);
	else if (st->any_ok)
		status_deadline(st, rules, jday_from_time(st->not_after),
		    "certificate", now);

	if (!st->have_expiry) {
		st->severity = SEV_UNKNOWN;
		return;
	}
	if (now >= st->lapse)
		st->state = "lapsed";
	status_next(cfg, rules, tc, res, st, now);

	if (!st->any_ok)
		st->severity = SEV_UNKNOWN;
	else if ((st->problems & PROB_CRITICAL) || now > st->apply_deadline)
		st->severity = SEV_CRITICAL;
	else if (st->problems != 0)
		st->severity = SEV_WARNING;
	else
		st->severity = status_near(cfg, st, nb) ? SEV_WARNING : SEV_OK;
}

void
status_compute_from_state(const struct config *cfg,
    const struct cal_rules *rules, const struct target_conf *tc,
    const struct target_state *ts, time_t now, struct target_status *st)
{
	const struct cycle *c = &ts->cycle;
	struct policy_ctx ctx;
	struct policy_notice n;
	int failing, applied = 0, done = 0;
	time_t nb;

	status_observed(st, tc, ts->observation, &nb);
	st->tstate = ts;
	st->last_probe = ts->last_probe;
	st->last_success = ts->last_success;
	failing = ts->last_probe != 0 && !ts->last_probe_ok;
	if (failing) {
		st->error = ts->last_error;
		st->problems |= PROB_UNREACHABLE;
	}
	if (c->active) {
		status_deadline(st, rules, c->expiry,
		    expiry_source_name(c->source), now);
		st->state = cycle_state_name(c->state);
		applied = c->state == CYCLE_APPLIED ||
		    c->state == CYCLE_ISSUED;
		done = c->state == CYCLE_VERIFIED &&
		    c->source == EXPIRY_CONTRACT;
	} else if (tc->contract_end >= 0)
		status_deadline(st, rules, tc->contract_end, "contract", now);
	else if (st->any_ok)
		status_deadline(st, rules, jday_from_time(st->not_after),
		    "certificate", now);
	if (!st->have_expiry) {
		st->severity = SEV_UNKNOWN;
		return;
	}

	policy_ctx_init(&ctx, cfg, rules, tc);
	if (policy_next(&ctx, ts, now, &n) == 1) {
		st->next_kind = notice_kind_name(n.kind);
		st->next_threshold = n.threshold.value;
		st->next_threshold_percent = n.threshold.percent;
		st->next_due = n.due;
	}

	if ((c->active && c->state == CYCLE_LAPSED) ||
	    (!done && !applied && now > st->apply_deadline) ||
	    (st->problems & PROB_CRITICAL & ~(unsigned int)PROB_UNREACHABLE))
		st->severity = SEV_CRITICAL;
	else if (failing || !st->any_ok)
		st->severity = SEV_UNKNOWN;
	else if (done)
		st->severity = st->problems != 0 ? SEV_WARNING : SEV_OK;
	else if (st->problems != 0)
		st->severity = SEV_WARNING;
	else
		st->severity = status_near(cfg, st, nb) ? SEV_WARNING : SEV_OK;
}

const char *
status_severity_word(enum severity s)
{
	switch (s) {
	case SEV_OK:
		return "ok";
	case SEV_WARNING:
		return "warning";
	case SEV_CRITICAL:
		return "critical";
	case SEV_UNKNOWN:
		break;
	}
	return "unknown";
}

json_t *
status_problems_json(unsigned problems)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < PROB_COUNT; i++)
		if (problems & (1u << i))
			json_array_append_new(a, json_string(problem_word(1u << i)));
	return a;
}

char *
status_problems_text(unsigned problems)
{
	struct buf b = { 0 };

	for (unsigned i = 0; i < PROB_COUNT; i++) {
		if (!(problems & (1u << i)))
			continue;
		if (b.len > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, problem_word(1u << i));
	}
	if (b.len == 0)
		buf_adds(&b, "-");
	return buf_steal(&b);
}

static json_t *
status_subject_json(const struct subject_fields *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	    "CN", json_str_or_null(s->cn), "O", json_str_or_null(s->o),
	    "OU", json_str_or_null(s->ou), "L", json_str_or_null(s->l),
	    "ST", json_str_or_null(s->st), "C", json_str_or_null(s->c));
}

json_t *
status_addr_json(const struct addr_result *a)
{
	json_t *o = json_object();
	const struct cert_obs *c = &a->cert;

	json_object_set_new(o, "address", json_string(a->address));
	json_object_set_new(o, "ok", json_boolean(a->ok));
	json_object_set_new(o, "error", json_str_or_null(a->error));
	json_object_set_new(o, "duration_ms", json_integer(a->duration_ms));
	if (!a->has_cert)
		return o;

	json_t *san = json_array(), *chain = json_array();

	for (size_t i = 0; i < c->san.n; i++)
		json_array_append_new(san, json_str_or_null(c->san.v[i]));
	for (size_t i = 0; i < c->nchain; i++)
		json_array_append_new(chain, json_pack("{s:o, s:o, s:o}",
		    "subject", json_str_or_null(c->chain[i].subject),
		    "issuer", json_str_or_null(c->chain[i].issuer),
		    "not_after", json_time_utc(c->chain[i].not_after)));
	json_object_set_new(o, "not_before", json_time_utc(c->not_before));
	json_object_set_new(o, "not_after", json_time_utc(c->not_after));
	json_object_set_new(o, "serial", json_str_or_null(c->serial));
	json_object_set_new(o, "sha256", json_string(c->sha256));
	json_object_set_new(o, "subject", status_subject_json(&c->subject));
	json_object_set_new(o, "issuer", json_str_or_null(c->issuer));
	json_object_set_new(o, "san", san);
	json_object_set_new(o, "key", json_string(c->key != NULL ? c->key : ""));
	json_object_set_new(o, "sig_alg", json_str_or_null(c->sig_alg));
	json_object_set_new(o, "tls_version", json_str_or_null(
	    a->tls_version != NULL ? a->tls_version : ""));
	json_object_set_new(o, "verify_ok", json_boolean(c->verify_ok));
	json_object_set_new(o, "verify_error", json_str_or_null(c->verify_error));
	json_object_set_new(o, "names_ok", json_boolean(c->names_ok));
	json_object_set_new(o, "chain", chain);
	json_object_set_new(o, "problems", status_problems_json(c->problems));
	return o;
}

/* The reminders sent (not skipped) for the cycle's E, in order. */
static json_t *
status_reminders_json(const struct cycle *c)
{
	json_t *a = json_array();

	for (size_t i = 0; c != NULL && i < c->nsent; i++) {
		const struct sent_notice *s = &c->sent[i];

		if (s->kind != NOTICE_REMINDER || s->skipped)
			continue;
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}",
		    "threshold", json_threshold(&s->threshold),
		    "due", json_time_jst(s->due), "sent", json_time_utc(s->at)));
	}
	return a;
}

json_t *
status_target_json(const struct target_status *st)
{
	const struct target_conf *tc = st->conf;
	const struct target_result *res = st->result;
	json_t *o = json_object(), *addrs = json_array();

	json_object_set_new(o, "target", json_str_or_null(tc->name));
	json_object_set_new(o, "product", json_string(product_name(tc->product)));
	json_object_set_new(o, "state", json_string(st->state));
	if (st->have_expiry) {
		json_object_set_new(o, "expiry", json_day(st->expiry_day));
		json_object_set_new(o, "expiry_source",
		    json_string(st->expiry_source));
		json_object_set_new(o, "days_left", json_integer(st->days_left));
		json_object_set_new(o, "apply_by", json_day(st->apply_by));
		json_object_set_new(o, "apply_deadline",
		    json_time_jst(st->apply_deadline));
	} else {
		json_object_set_new(o, "expiry", json_null());
		json_object_set_new(o, "expiry_source", json_null());
		json_object_set_new(o, "days_left", json_null());
		json_object_set_new(o, "apply_by", json_null());
		json_object_set_new(o, "apply_deadline", json_null());
	}
	json_object_set_new(o, "not_after", st->any_ok ?
	    json_time_utc(st->not_after) : json_null());
	json_object_set_new(o, "reminders_sent", status_reminders_json(
	    st->tstate != NULL && st->tstate->cycle.active ?
	    &st->tstate->cycle : NULL));
	if (st->next_kind != NULL) {
		json_t *n = json_pack("{s:s}", "kind", st->next_kind);

		if (strcmp(st->next_kind, "reminder") == 0) {
			struct threshold th = { st->next_threshold,
			    st->next_threshold_percent };

			json_object_set_new(n, "threshold", json_threshold(&th));
		}
		json_object_set_new(n, "due", json_time_jst(st->next_due));
		json_object_set_new(o, "next_notification", n);
	} else
		json_object_set_new(o, "next_notification", json_null());
	json_object_set_new(o, "last_probe", st->last_probe != 0 ?
	    json_time_utc(st->last_probe) : json_null());
	json_object_set_new(o, "last_success", st->last_success != 0 ?
	    json_time_utc(st->last_success) : json_null());
	json_object_set_new(o, "problems", status_problems_json(st->problems));
	json_object_set_new(o, "error", json_str_or_null(st->error));
	json_object_set_new(o, "severity",
	    json_string(status_severity_word(st->severity)));
	if (res != NULL)
		for (size_t i = 0; i < res->naddrs; i++)
			json_array_append_new(addrs,
			    status_addr_json(&res->addrs[i]));
	json_object_set_new(o, "addresses", addrs);
	return o;
}

/* --- the daemon's memory of a target (renewctl show, history) ----------- */

static json_t *
status_time_or_null(time_t t)
{
	return t != 0 ? json_time_utc(t) : json_null();
}

json_t *
status_history_json(const struct target_state *ts)
{
	json_t *a = json_array();

	for (size_t i = 0; i < ts->nhistory; i++) {
		const struct state_event *e = &ts->history[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:o}",
		    "at", json_time_utc(e->at), "event",
		    json_str_or_null(e->event), "note",
		    json_str_or_null(e->note)));
	}
	return a;
}

json_t *
status_cycle_json(const struct cycle *c)
{
	char leaf_hex[65];
	json_t *o, *sent;

	if (!c->active)
		return json_null();
	sent = json_array();
	for (size_t i = 0; i < c->nsent; i++) {
		const struct sent_notice *s = &c->sent[i];
		json_t *n = json_pack("{s:s}", "kind",
		    notice_kind_name(s->kind));

		json_object_set_new(n, "threshold",
		    s->kind == NOTICE_REMINDER ?
		    json_threshold(&s->threshold) : json_null());
		json_object_set_new(n, "day", s->day >= 0 ? json_day(s->day) :
		    json_null());
		json_object_set_new(n, "due", json_time_jst(s->due));
		json_object_set_new(n, "at", json_time_utc(s->at));
		json_object_set_new(n, "skipped", json_boolean(s->skipped));
		json_array_append_new(sent, n);
	}
	o = json_object();
	json_object_set_new(o, "expiry", json_day(c->expiry));
	json_object_set_new(o, "source",
	    json_string(expiry_source_name(c->source)));
	json_object_set_new(o, "state", json_string(cycle_state_name(c->state)));
	json_object_set_new(o, "started", status_time_or_null(c->started));
	state_leaf_hex(c, leaf_hex);
	json_object_set_new(o, "leaf", !c->has_leaf ? json_null() :
	    json_pack("{s:s, s:o, s:o}", "sha256", leaf_hex,
	    "not_before", json_time_utc(c->leaf_not_before),
	    "not_after", json_time_utc(c->leaf_not_after)));
	json_object_set_new(o, "applied_at", status_time_or_null(c->applied_at));
	json_object_set_new(o, "issued_at", status_time_or_null(c->issued_at));
	json_object_set_new(o, "verified_at",
	    status_time_or_null(c->verified_at));
	json_object_set_new(o, "lapsed_at", status_time_or_null(c->lapsed_at));
	json_object_set_new(o, "notices", sent);
	return o;
}

/*
 * The six steps of a renewal (the CA's manual) and which of them are done
 * for the cycle, by its state: a notice went out (1); applied implies the
 * CSR and the application (2, 3); issued the download (4); verified, for a
 * contract date, the installation and the check (5, 6). A certificate
 * cycle that is `verified` is the new certificate's cycle: nothing of it
 * is done yet. Lapsed: nothing can be done for E any more.
 */
static const struct {
	const char	*name;
	const char	*what;
} status_steps[STATUS_STEPS] = {
	{ "notice", "check the end date and the subject (CN, O, OU, L, ST, C)" },
	{ "csr", "make a CSR: RSA 2048, OU empty, C=JP; CN, O, ST, L set" },
	{ "apply", "apply on the reseller's page (not in a maintenance window)" },
	{ "download", "download the certificate and the 3-tier intermediate" },
	{ "install", "install the certificate, the intermediate and the key" },
	{ "verify", "every address serves the new certificate (renewd checks)" },
};

int
status_steps_done(const struct cycle *c)
{
	if (!c->active)
		return 0;
	switch (c->state) {
	case CYCLE_WAITING:
	case CYCLE_LAPSED:
		return 0;
	case CYCLE_NOTIFIED:
		return 1;
	case CYCLE_APPLIED:
		return 3;
	case CYCLE_ISSUED:
		return 4;
	case CYCLE_VERIFIED:
		return c->source == EXPIRY_CONTRACT ? STATUS_STEPS : 0;
	}
	return 0;
}

json_t *
status_steps_json(const struct cycle *c)
{
	json_t *a = json_array();
	int done = status_steps_done(c);

	for (int i = 0; i < STATUS_STEPS; i++)
		json_array_append_new(a, json_pack("{s:i, s:s, s:s, s:b}",
		    "step", i + 1, "name", status_steps[i].name, "what",
		    status_steps[i].what, "done", i < done));
	return a;
}
