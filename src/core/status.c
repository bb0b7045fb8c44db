/*
 * status.c — derive a target's deadline view from its config and its latest
 * observation, and render it as the Status JSON of PRODUCT.md.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "status.h"
#include "util.h"

/* Problems that make a target critical; every other problem is a warning. */
#define PROB_CRITICAL	(PROB_EXPIRED | PROB_UNTRUSTED | \
			 PROB_HOSTNAME_MISMATCH | PROB_NAME_NOT_COVERED)

/* Days before E of threshold `t` for a leaf valid [nb, na), or -1 when the
 * threshold does not apply (a day count not shorter than the lifetime). */
static int
status_threshold_days(const struct threshold *t, time_t nb, time_t na)
{
	int64_t life = na > nb ? (int64_t)(na - nb) : 0;

	if (t->percent) {
		if (life <= 0)
			return -1;
		return (int)(life * t->value / 100 / 86400);
	}
	if (life > 0 && (int64_t)t->value * 86400 >= life)
		return -1;
	return t->value;
}

static void
status_next(const struct config *cfg, const struct cal_rules *rules,
    struct target_status *st, time_t nb, time_t now)
{
	time_t best = 0;

	st->next_kind = NULL;
	for (size_t i = 0; i < cfg->nthresholds; i++) {
		const struct threshold *t = &cfg->thresholds[i];
		int days = status_threshold_days(t, nb, st->not_after);
		time_t due;

		if (days < 0)
			continue;
		due = cal_reminder_due(rules, st->expiry_day, days,
		    cfg->remind_at);
		if (due > now && (best == 0 || due < best)) {
			best = due;
			st->next_kind = "reminder";
			st->next_threshold = t->value;
			st->next_threshold_percent = t->percent;
		}
	}
	if (st->next_kind != NULL) {
		st->next_due = best;
		return;
	}
	/* No reminder left: the apply-by day itself, then overdue notices. */
	if (now < cal_apply_deadline(rules, st->apply_by)) {
		time_t due = maint_defer(&rules->maint,
		    jday_to_time(st->apply_by, cfg->remind_at));

		if (due > now) {
			st->next_kind = "apply-by";
			st->next_due = due;
			return;
		}
	}
	if (now < st->lapse) {
		int day = jday_from_time(now);

		for (int d = day; d <= st->expiry_day + 1; d++) {
			time_t due;

			if (!cal_is_business_day(rules, d) || d <= st->apply_by)
				continue;
			due = maint_defer(&rules->maint,
			    jday_to_time(d, cfg->remind_at));
			if (due > now && due < st->lapse) {
				st->next_kind = "overdue";
				st->next_due = due;
				return;
			}
		}
		st->next_kind = "lapsed";
		st->next_due = st->lapse;
	}
}

void
status_compute(const struct config *cfg, const struct cal_rules *rules,
    const struct target_conf *tc, const struct target_result *res, time_t now,
    struct target_status *st)
{
	time_t nb = 0;
	int today = jday_from_time(now);

	memset(st, 0, sizeof(*st));
	st->conf = tc;
	st->result = res;
	st->state = "waiting";
	if (res != NULL) {
		st->problems = res->problems;
		for (size_t i = 0; i < res->naddrs; i++) {
			const struct addr_result *a = &res->addrs[i];

			if (!a->has_cert)
				continue;
			st->any_ok = 1;
			if (st->not_after == 0 || a->cert.not_after < st->not_after) {
				st->not_after = a->cert.not_after;
				nb = a->cert.not_before;
			}
		}
	}
	if (tc->contract_end >= 0) {
		st->have_expiry = 1;
		st->expiry_day = tc->contract_end;
		st->expiry_source = "contract";
	} else if (st->any_ok) {
		st->have_expiry = 1;
		st->expiry_day = jday_from_time(st->not_after);
		st->expiry_source = "certificate";
	}

	if (!st->have_expiry) {
		st->severity = SEV_UNKNOWN;
		return;
	}
	st->days_left = st->expiry_day - today;
	st->apply_by = cal_apply_by(rules, tc->product, st->expiry_day);
	st->apply_deadline = cal_apply_deadline(rules, st->apply_by);
	st->lapse = cal_lapse(st->expiry_day);
	if (now >= st->lapse)
		st->state = "lapsed";
	status_next(cfg, rules, st, nb, now);

	if (!st->any_ok)
		st->severity = SEV_UNKNOWN;
	else if ((st->problems & PROB_CRITICAL) || now > st->apply_deadline)
		st->severity = SEV_CRITICAL;
	else if (st->problems != 0)
		st->severity = SEV_WARNING;
	else {
		int maxdays = 0;

		for (size_t i = 0; i < cfg->nthresholds; i++) {
			int d = status_threshold_days(&cfg->thresholds[i], nb,
			    st->not_after);
			if (d > maxdays)
				maxdays = d;
		}
		st->severity = st->days_left <= maxdays ? SEV_WARNING : SEV_OK;
	}
}

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
json_time_utc(time_t t)
{
	char buf[32];

	time_format_utc(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
json_time_jst(time_t t)
{
	char buf[32];

	time_format_jst(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
json_day(int day)
{
	char buf[16];

	jday_format(day, buf);
	return json_string(buf);
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
		json_array_append_new(san, json_string(c->san.v[i]));
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
	json_object_set_new(o, "key", json_string(c->key));
	json_object_set_new(o, "sig_alg", json_str_or_null(c->sig_alg));
	json_object_set_new(o, "tls_version", json_string(a->tls_version));
	json_object_set_new(o, "verify_ok", json_boolean(c->verify_ok));
	json_object_set_new(o, "verify_error", json_str_or_null(c->verify_error));
	json_object_set_new(o, "names_ok", json_boolean(c->names_ok));
	json_object_set_new(o, "chain", chain);
	json_object_set_new(o, "problems", status_problems_json(c->problems));
	return o;
}

json_t *
status_target_json(const struct target_status *st)
{
	const struct target_conf *tc = st->conf;
	const struct target_result *res = st->result;
	json_t *o = json_object(), *addrs = json_array();

	json_object_set_new(o, "target", json_string(tc->name));
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
	json_object_set_new(o, "reminders_sent", json_array());
	if (st->next_kind != NULL) {
		json_t *n = json_pack("{s:s}", "kind", st->next_kind);

		if (strcmp(st->next_kind, "reminder") == 0) {
			if (st->next_threshold_percent) {
				char pct[16];

				snprintf(pct, sizeof(pct), "%d%%",
				    st->next_threshold);
				json_object_set_new(n, "threshold",
				    json_string(pct));
			} else
				json_object_set_new(n, "threshold",
				    json_integer(st->next_threshold));
		}
		json_object_set_new(n, "due", json_time_jst(st->next_due));
		json_object_set_new(o, "next_notification", n);
	} else
		json_object_set_new(o, "next_notification", json_null());
	json_object_set_new(o, "last_probe", res != NULL ?
	    json_time_utc(res->started) : json_null());
	json_object_set_new(o, "last_success", res != NULL && st->any_ok ?
	    json_time_utc(res->started) : json_null());
	json_object_set_new(o, "problems", status_problems_json(st->problems));
	json_object_set_new(o, "error", json_str_or_null(res ? res->error : NULL));
	if (res != NULL)
		for (size_t i = 0; i < res->naddrs; i++)
			json_array_append_new(addrs,
			    status_addr_json(&res->addrs[i]));
	json_object_set_new(o, "addresses", addrs);
	return o;
}
