/*
 * sink.c — the sender interface: where the notices decided by the policy
 * go. The only sink today writes them to the log; the mail outbox plugs in
 * behind the same submit().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "log.h"
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

static int
sink_log_submit(struct sink *s, const struct policy_notice *n,
    const struct target_conf *tc, const struct target_state *st)
{
	char summary[256];

	(void)s;
	(void)st;
	sink_notice_summary(n, summary, sizeof(summary));
	log_info("notice %s %s (%s): %s", tc->name, sink_notice_label(n), n->id,
	    summary);
	return 0;
}

static void
sink_log_free(struct sink *s)
{
	free(s);
}

struct sink *
sink_log_new(void)
{
	struct sink *s = xcalloc(1, sizeof(*s));

	s->name = "log";
	s->submit = sink_log_submit;
	s->free = sink_log_free;
	return s;
}
