/*
 * metrics_text.c — the Prometheus text exposition (format 0.0.4) of
 * renewd's state: the escaping and number rules of the format, and the
 * list of renewd's metrics (renewd(8) "METRICS" documents each one).
 *
 * A family's samples must stay together, so the document is written family
 * by family, each one walking every target: the work is the number of
 * families times the number of targets (and addresses), with no sorting
 * and no lookups.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "inspect.h"
#include "metrics.h"
#include "state.h"
#include "util.h"

#define METRICS_FLUSH_AT	(64u * 1024)
#define METRICS_NSTATES		(CYCLE_LAPSED + 1)

/* ---- the writer ------------------------------------------------------- */

static int
metrics_name_char(int c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

int
metrics_name_valid(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (size_t i = 0; s[i] != '\0'; i++)
		if (!metrics_name_char((unsigned char)s[i], i == 0, 1))
			return 0;
	return 1;
}

int
metrics_label_name_valid(const char *s)
{
	if (s == NULL || *s == '\0' || strncmp(s, "__", 2) == 0)
		return 0;
	for (size_t i = 0; s[i] != '\0'; i++)
		if (!metrics_name_char((unsigned char)s[i], i == 0, 0))
			return 0;
	return 1;
}

static void
metrics_escape(struct buf *b, const char *s, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;	/* bytes to copy as they are */
	size_t n;

	while (*p != '\0') {
		const char *esc = NULL;

		if (*p == '\\')
			esc = "\\\\";
		else if (*p == '\n')
			esc = "\\n";
		else if (*p == '"' && quote)
			esc = "\\\"";
		if (esc != NULL) {
			buf_add(b, run, (size_t)(p - run));
			buf_adds(b, esc);
			run = ++p;
			continue;
		}
		if ((n = utf8_len(p, 4)) == 0) {	/* NUL-terminated */
			buf_add(b, run, (size_t)(p - run));
			buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
			run = ++p;
			continue;
		}
		p += n;
	}
	buf_add(b, run, (size_t)(p - run));
}

void
metrics_escape_label(struct buf *b, const char *s)
{
	metrics_escape(b, s, 1);
}

void
metrics_escape_help(struct buf *b, const char *s)
{
	metrics_escape(b, s, 0);
}

void
metrics_format_value(double v, char out[METRICS_VALUE_MAX])
{
	if (isnan(v)) {
		rd_strlcpy(out, "NaN", METRICS_VALUE_MAX);
		return;
	}
	if (isinf(v)) {
		rd_strlcpy(out, v > 0 ? "+Inf" : "-Inf", METRICS_VALUE_MAX);
		return;
	}
	if (v == 0) {			/* -0 too */
		rd_strlcpy(out, "0", METRICS_VALUE_MAX);
		return;
	}
	if (fabs(v) < 1e15 && v == trunc(v)) {
		snprintf(out, METRICS_VALUE_MAX, "%.0f", v);
		return;
	}
	/* The shortest of %.15g .. %.17g that reads back as v. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, METRICS_VALUE_MAX, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

void
metrics_family(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_adds(b, "# HELP ");
	buf_adds(b, name);
	buf_adds(b, " ");
	metrics_escape_help(b, help);
	buf_adds(b, "\n# TYPE ");
	buf_adds(b, name);
	buf_adds(b, " ");
	buf_adds(b, type);
	buf_adds(b, "\n");
}

void
metrics_sample(struct buf *b, const char *name,
    const struct metrics_label *labels, size_t nlabels, double value)
{
	char v[METRICS_VALUE_MAX];

	buf_adds(b, name);
	if (nlabels > 0) {
		buf_adds(b, "{");
		for (size_t i = 0; i < nlabels; i++) {
			if (i > 0)
				buf_adds(b, ",");
			buf_adds(b, labels[i].name);
			buf_adds(b, "=\"");
			metrics_escape_label(b, labels[i].value);
			buf_adds(b, "\"");
		}
		buf_adds(b, "}");
	}
	metrics_format_value(value, v);
	buf_adds(b, " ");
	buf_adds(b, v);
	buf_adds(b, "\n");
}

/* ---- renewd's data ---------------------------------------------------- */

void
metrics_probe_from_result(struct metrics_probe *out,
    const struct target_result *res)
{
	memset(out, 0, sizeof(*out));
	out->problems = res->problems;
	if (res->naddrs == 0)
		return;
	out->addrs = xcalloc(res->naddrs, sizeof(*out->addrs));
	out->naddrs = res->naddrs;
	for (size_t i = 0; i < res->naddrs; i++) {
		const struct addr_result *a = &res->addrs[i];
		struct metrics_addr *m = &out->addrs[i];

		rd_strlcpy(m->address, a->address, sizeof(m->address));
		m->ok = a->ok;
		m->has_cert = a->has_cert;
		m->not_after = a->has_cert ? a->cert.not_after : 0;
		m->duration_ms = a->duration_ms;
		if (a->has_cert)
			out->ok = 1;
	}
}

void
metrics_probe_free(struct metrics_probe *p)
{
	if (p == NULL)
		return;
	free(p->addrs);
	memset(p, 0, sizeof(*p));
}

void
metrics_target_fill(struct metrics_target *out, const struct target_conf *tc,
    const struct cal_rules *rules, const struct target_state *st,
    const struct metrics_probe *probe, time_t now)
{
	int expiry = -1, apply_by;

	memset(out, 0, sizeof(*out));
	out->name = tc->name;
	if (st == NULL)
		return;
	out->watched = 1;
	out->state = st->cycle.active ? st->cycle.state : CYCLE_WAITING;
	if (st->cycle.active)
		expiry = st->cycle.expiry;
	else if (tc->contract_end >= 0)
		expiry = tc->contract_end;
	if (expiry >= 0) {
		out->has_expiry = 1;
		out->lapse = cal_lapse(expiry);
		out->days_left = expiry - jday_from_time(now);
		apply_by = cal_apply_by(rules, tc->product, expiry);
		if (apply_by != CAL_NO_DAY) {
			out->has_apply_by = 1;
			out->apply_deadline = cal_apply_deadline(rules,
			    apply_by);
		}
	}
	out->last_probe = st->last_probe;
	out->last_probe_ok = st->last_probe_ok;
	out->last_success = st->last_success;
	out->probe = probe;
}

/* ---- the document ----------------------------------------------------- */

struct metrics_out {
	struct buf		*b;
	metrics_flush_cb	 flush;
	void			*arg;
};

static void
metrics_maybe_flush(struct metrics_out *o, int always)
{
	if (o->flush == NULL || o->b->len == 0 ||
	    (!always && o->b->len < METRICS_FLUSH_AT))
		return;
	o->flush(o->b->data, o->b->len, o->arg);
	o->b->len = 0;
	o->b->data[0] = '\0';
}

static const char *
metrics_result_word(int probes, enum metrics_result r)
{
	if (probes)
		return r == METRICS_OK ? "success" : "failure";
	return r == METRICS_OK ? "sent" : "failed";
}

static void
metrics_globals(struct metrics_out *o, const struct metrics_global *g,
    size_t ntargets)
{
	struct metrics_label l[2];

	metrics_family(o->b, "renewd_build_info", "gauge",
	    "Always 1; the version of renewd in a label.");
	l[0].name = "version";
	l[0].value = g->version != NULL ? g->version : "unknown";
	metrics_sample(o->b, "renewd_build_info", l, 1, 1);

	metrics_family(o->b, "renewd_targets", "gauge",
	    "Targets in the configuration in use.");
	metrics_sample(o->b, "renewd_targets", NULL, 0, (double)ntargets);

	metrics_family(o->b, "renewd_mail_queue_length", "gauge",
	    "Notification mails in the outbox not accepted by the mail "
	    "server yet.");
	metrics_sample(o->b, "renewd_mail_queue_length", NULL, 0,
	    (double)g->mail_queue_length);

	metrics_family(o->b, "renewd_probes_total", "counter",
	    "Probes of a target since start, by result (success: some "
	    "address served a certificate).");
	l[0].name = "result";
	for (int r = METRICS_OK; r <= METRICS_FAILED; r++) {
		l[0].value = metrics_result_word(1, (enum metrics_result)r);
		metrics_sample(o->b, "renewd_probes_total", l, 1,
		    (double)g->probes[r]);
	}

	metrics_family(o->b, "renewd_notifications_total", "counter",
	    "Notices handed to the outbox since start, by kind and result "
	    "(sent: taken, failed: not taken, offered again later).");
	l[0].name = "kind";
	l[1].name = "result";
	for (int k = 0; k < NOTICE_KIND_COUNT; k++) {
		l[0].value = notice_kind_name((enum notice_kind)k);
		for (int r = METRICS_OK; r <= METRICS_FAILED; r++) {
			l[1].value = metrics_result_word(0, (enum metrics_result)r);
			metrics_sample(o->b, "renewd_notifications_total", l,
			    2, (double)g->notices[k][r]);
		}
	}
	metrics_maybe_flush(o, 0);
}

/* The per-target families: which ones, and the samples of one target. */
enum metrics_tfam {
	TF_WATCHED,
	TF_STATE,
	TF_EXPIRY,
	TF_DAYS_LEFT,
	TF_APPLY_BY,
	TF_PROBLEM,
	TF_PROBE_SUCCESS,
	TF_LAST_PROBE,
	TF_LAST_SUCCESS,
	TF_COUNT
};

static const struct {
	const char	*name;
	const char	*help;
} metrics_tfams[TF_COUNT] = {
	[TF_WATCHED] = { "renewd_target_watched",
	    "1 when the target is watched; 0 when its state file cannot be "
	    "read (then it has no other series)." },
	[TF_STATE] = { "renewd_target_state",
	    "The renewal workflow state of the target: 1 for the current "
	    "one, 0 for the others." },
	[TF_EXPIRY] = { "renewd_target_expiry_timestamp_seconds",
	    "When the deadline date E ends: 00:00 JST of the day after E." },
	[TF_DAYS_LEFT] = { "renewd_target_day_count_left",
	    "Days left: the deadline date E minus today, both Japan dates." },
	[TF_APPLY_BY] = { "renewd_target_apply_by_timestamp_seconds",
	    "The last moment to apply for the renewal: the end of the "
	    "apply-by date, or the start of a maintenance window that "
	    "begins on its evening." },
	[TF_PROBLEM] = { "renewd_target_problem",
	    "1 for each problem the last probe found." },
	[TF_PROBE_SUCCESS] = { "renewd_target_probe_success",
	    "1 when the last probe saw a certificate on some address." },
	[TF_LAST_PROBE] = { "renewd_target_last_probe_timestamp_seconds",
	    "When the last probe of the target began." },
	[TF_LAST_SUCCESS] = { "renewd_target_last_success_timestamp_seconds",
	    "When the last successful probe of the target began." },
};

static void
metrics_target_family(struct metrics_out *o, enum metrics_tfam f,
    const struct metrics_target *t)
{
	const char *name = metrics_tfams[f].name;
	struct metrics_label l[2] = { { "target", t->name }, { NULL, NULL } };

	if (f == TF_WATCHED) {
		metrics_sample(o->b, name, l, 1, t->watched);
		return;
	}
	if (!t->watched)
		return;
	switch (f) {
	case TF_STATE:
		l[1].name = "state";
		for (int s = 0; s < METRICS_NSTATES; s++) {
			l[1].value = cycle_state_name((enum cycle_state)s);
			metrics_sample(o->b, name, l, 2,
			    t->state == (enum cycle_state)s);
		}
		break;
	case TF_EXPIRY:
		if (t->has_expiry)
			metrics_sample(o->b, name, l, 1, (double)t->lapse);
		break;
	case TF_DAYS_LEFT:
		if (t->has_expiry)
			metrics_sample(o->b, name, l, 1, t->days_left);
		break;
	case TF_APPLY_BY:
		if (t->has_expiry && t->has_apply_by)
			metrics_sample(o->b, name, l, 1,
			    (double)t->apply_deadline);
		break;
	case TF_PROBLEM:
		if (t->probe == NULL)
			break;
		l[1].name = "problem";
		for (unsigned i = 0; i < PROB_COUNT; i++) {
			if (!(t->probe->problems & (1u << i)) ||
			    (l[1].value = problem_word(1u << i)) == NULL)
				continue;
			metrics_sample(o->b, name, l, 2, 1);
		}
		break;
	case TF_PROBE_SUCCESS:
		if (t->last_probe != 0)
			metrics_sample(o->b, name, l, 1, t->last_probe_ok != 0);
		break;
	case TF_LAST_PROBE:
		if (t->last_probe != 0)
			metrics_sample(o->b, name, l, 1, (double)t->last_probe);
		break;
	case TF_LAST_SUCCESS:
		if (t->last_success != 0)
			metrics_sample(o->b, name, l, 1,
			    (double)t->last_success);
		break;
	case TF_WATCHED:
	case TF_COUNT:
		break;
	}
}

/* The per-address families. */
enum metrics_afam {
	AF_NOT_AFTER,
	AF_SUCCESS,
	AF_DURATION,
	AF_COUNT
};

static const struct {
	const char	*name;
	const char	*help;
} metrics_afams[AF_COUNT] = {
	[AF_NOT_AFTER] = { "renewd_cert_not_after_timestamp_seconds",
	    "The notAfter of the leaf certificate the address served at the "
	    "last probe." },
	[AF_SUCCESS] = { "renewd_probe_success",
	    "1 when the address completed the TLS handshake at the last "
	    "probe." },
	[AF_DURATION] = { "renewd_probe_duration_seconds",
	    "How long the last probe of the address took (connect, STARTTLS, "
	    "handshake)." },
};

static void
metrics_addr_family(struct metrics_out *o, enum metrics_afam f,
    const struct metrics_target *t)
{
	const char *name = metrics_afams[f].name;
	struct metrics_label l[2] = { { "target", t->name },
	    { "address", NULL } };

	if (!t->watched || t->probe == NULL)
		return;
	for (size_t i = 0; i < t->probe->naddrs; i++) {
		const struct metrics_addr *a = &t->probe->addrs[i];

		l[1].value = a->address;
		switch (f) {
		case AF_NOT_AFTER:
			if (a->has_cert)
				metrics_sample(o->b, name, l, 2,
				    (double)a->not_after);
			break;
		case AF_SUCCESS:
			metrics_sample(o->b, name, l, 2, a->ok != 0);
			break;
		case AF_DURATION:
			metrics_sample(o->b, name, l, 2,
			    (double)a->duration_ms / 1000.0);
			break;
		case AF_COUNT:
			break;
		}
	}
}

void
metrics_render(struct buf *out, const struct metrics_global *g,
    const struct metrics_target *targets, size_t ntargets,
    metrics_flush_cb flush, void *arg)
{
	struct metrics_out o = { out, flush, arg };

	metrics_globals(&o, g, ntargets);
	for (int f = 0; f < TF_COUNT; f++) {
		metrics_family(out, metrics_tfams[f].name, "gauge",
		    metrics_tfams[f].help);
		for (size_t i = 0; i < ntargets; i++) {
			metrics_target_family(&o, (enum metrics_tfam)f,
			    &targets[i]);
			metrics_maybe_flush(&o, 0);
		}
	}
	for (int f = 0; f < AF_COUNT; f++) {
		metrics_family(out, metrics_afams[f].name, "gauge",
		    metrics_afams[f].help);
		for (size_t i = 0; i < ntargets; i++) {
			metrics_addr_family(&o, (enum metrics_afam)f,
			    &targets[i]);
			metrics_maybe_flush(&o, 0);
		}
	}
	metrics_maybe_flush(&o, 1);
}
