/*
 * sink.c — the sender interface: where the notices decided by the policy
 * go: the outbox sink writes each durably to the mail outbox, from which
 * the mailer sends it, and logs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "log.h"
#include "outbox.h"
#include "renewd.h"
#include "util.h"

int
sink_submit(struct sink *s, const struct policy_notice *n,
    const struct target_conf *tc, const struct target_state *st)
{
	int rc = s->submit(s, n, tc, st);

	metrics_count_notice(n->kind, rc == 0);
	return rc;
}

void
sink_free(struct sink *s)
{
	if (s != NULL)
		s->free(s);
}

const char *
sink_notice_label(const struct policy_notice *n)
{
	const char *slash = strchr(n->id, '/');

	return slash != NULL ? slash + 1 : n->id;
}

void
sink_notice_summary(const struct policy_notice *n, char *buf, size_t len)
{
	char e[16], a[16], t[32];

	if (n->expiry < 0 && n->kind != NOTICE_PROBLEM) {
		rd_strlcpy(buf, "no deadline known", len);
		return;
	}
	if (n->expiry >= 0) {
		jday_format(n->expiry, e);
		jday_format(n->apply_by, a);
	}
	switch (n->kind) {
	case NOTICE_REMINDER:
	case NOTICE_APPLY_BY:
		snprintf(buf, len, "%d days left, apply by %s", n->days_left, a);
		break;
	case NOTICE_OVERDUE:
		snprintf(buf, len, "%d days left, the apply-by date %s has "
		    "passed", n->days_left, a);
		break;
	case NOTICE_LAPSED:
		snprintf(buf, len, "the deadline %s passed without an "
		    "application: a new contract is needed", e);
		break;
	case NOTICE_INSTALL:
		snprintf(buf, len, "%d days left, the renewed certificate is "
		    "not served everywhere yet", n->days_left);
		break;
	case NOTICE_RENEWED:
		jday_format(n->new_expiry, a);
		snprintf(buf, len, "renewed for the deadline %s; the next "
		    "deadline is %s", e, a);
		break;
	case NOTICE_PROBLEM:
		time_format_utc(n->outage_since, t, sizeof(t));
		snprintf(buf, len, "no address has served a certificate since %s",
		    t);
		break;
	}
}

/* The journal's MESSAGE_ID for a notice kind (renewd.catalog). */
static const char *
sink_notice_message_id(const struct policy_notice *n)
{
	switch (n->kind) {
	case NOTICE_REMINDER:
		return LOG_MID_REMINDER;
	case NOTICE_APPLY_BY:
		return LOG_MID_APPLY_BY;
	case NOTICE_OVERDUE:
		return LOG_MID_OVERDUE;
	case NOTICE_LAPSED:
		return LOG_MID_LAPSED;
	case NOTICE_INSTALL:
		return LOG_MID_INSTALL;
	case NOTICE_RENEWED:
		return LOG_MID_RENEWED;
	case NOTICE_PROBLEM:
		break;
	}
	return LOG_MID_PROBLEM;
}

static void
sink_log_notice(const struct policy_notice *n, const struct target_conf *tc)
{
	char summary[256];

	sink_notice_summary(n, summary, sizeof(summary));
	log_event(LOG_NOTICE, sink_notice_message_id(n), tc->name,
	    n->expiry >= 0 ? n->days_left : LOG_NO_DAYS, NULL,
	    notice_kind_name(n->kind), "notice %s %s (%s): %s", tc->name,
	    sink_notice_label(n), n->id, summary);
}

static void
sink_outbox_free(struct sink *s)
{
	free(s);
}

/* --- the outbox sink -------------------------------------------------- */

struct sink_outbox {
	struct sink		 sink;		/* first: the generic part */
	struct outbox		*outbox;	/* borrowed */
	const struct config	*cfg;		/* borrowed, kept current */
	int			 failing;	/* the last submit failed */
};

/* Durable before accepted: 0 only once the notice is on disk (or was
 * already queued or delivered under the same id). A failure is retried
 * by the caller, often and for every target: it is a warning the first
 * time, then a debug message until a notice is queued again. */
static int
sink_outbox_submit(struct sink *s, const struct policy_notice *n,
    const struct target_conf *tc, const struct target_state *st)
{
	struct sink_outbox *so = (struct sink_outbox *)s;
	char err[768];
	int rc;

	rc = outbox_submit(so->outbox, so->cfg, tc, st, n, n->at, err,
	    sizeof(err));
	if (rc == -1) {
		if (!so->failing)
			log_warnx("%s: cannot queue %s: %s", tc->name, n->id,
			    err);
		else
			log_debug("%s: still cannot queue %s: %s", tc->name,
			    n->id, err);
		so->failing = 1;
		return -1;
	}
	if (so->failing)
		log_info("outbox: %s takes notices again",
		    outbox_dir(so->outbox));
	so->failing = 0;
	if (rc == 1)
		sink_log_notice(n, tc);
	else
		log_debug("%s: %s was already queued or delivered", tc->name,
		    n->id);
	return 0;
}

struct sink *
sink_outbox_new(struct outbox *ob, const struct config *cfg)
{
	struct sink_outbox *so = xcalloc(1, sizeof(*so));

	so->sink.name = "outbox";
	so->sink.submit = sink_outbox_submit;
	so->sink.free = sink_outbox_free;
	so->outbox = ob;
	so->cfg = cfg;
	return &so->sink;
}

void
sink_outbox_set_config(struct sink *s, const struct config *cfg)
{
	if (s->submit == sink_outbox_submit)
		((struct sink_outbox *)s)->cfg = cfg;
}

struct outbox *
sink_outbox(const struct sink *s)
{
	if (s->submit != sink_outbox_submit)
		return NULL;		/* another kind of sink */
	return ((const struct sink_outbox *)s)->outbox;
}
