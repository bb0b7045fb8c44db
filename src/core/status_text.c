/*
 * status_text.c — the human face of the Status view: a table that reads well
 * in 80 columns (Japan dates), and per-target details.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "util.h"

#define C_RED		"\033[31m"
#define C_YELLOW	"\033[33m"
#define C_GREEN		"\033[32m"
#define C_DIM		"\033[2m"
#define C_OFF		"\033[0m"

static const char *
sev_color(enum severity s)
{
	switch (s) {
	case SEV_OK:
		return C_GREEN;
	case SEV_WARNING:
		return C_YELLOW;
	case SEV_CRITICAL:
		return C_RED;
	case SEV_UNKNOWN:
		break;
	}
	return C_DIM;
}

/* Display width of a UTF-8 string, counting East Asian characters as 2. */
static size_t
text_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		if (*p < 0x80) {
			w++;
			p++;
		} else if (*p >= 0xe0) {
			/* 3- and 4-byte sequences: mostly CJK here */
			w += 2;
			p += *p >= 0xf0 ? 4 : 3;
		} else {
			w++;
			p += 2;
		}
		for (; (*p & 0xc0) == 0x80; p++)
			;
	}
	return w;
}

static void
pad(struct buf *b, const char *s, size_t width)
{
	size_t w = text_width(s);

	buf_adds(b, s);
	for (; w < width; w++)
		buf_adds(b, " ");
}

char *
status_text_table(const struct target_status *sts, size_t n, time_t now,
    int color)
{
	struct buf b = { 0 };
	size_t namew = strlen("TARGET");
	char nowbuf[32];

	(void)now;
	for (size_t i = 0; i < n; i++) {
		size_t w = text_width(sts[i].conf->name);
		if (w > namew)
			namew = w;
	}
	if (namew > 30)
		namew = 30;

	pad(&b, "TARGET", namew);
	buf_adds(&b, "  EXPIRY      DAYS  APPLY BY    STATE     STATUS\n");
	for (size_t i = 0; i < n; i++) {
		const struct target_status *st = &sts[i];
		char exp[16] = "-", ab[16] = "-", days[16] = "-";
		char *probs = status_problems_text(st->problems);

		if (st->have_expiry) {
			jday_format(st->expiry_day, exp);
			jday_format(st->apply_by, ab);
			snprintf(days, sizeof(days), "%d", st->days_left);
		}
		pad(&b, st->conf->name, namew);
		buf_printf(&b, "  %-10s %5s  %-10s  %-8s  ", exp, days, ab,
		    st->state);
		if (color)
			buf_adds(&b, sev_color(st->severity));
		buf_adds(&b, status_severity_word(st->severity));
		if (color)
			buf_adds(&b, C_OFF);
		if (st->problems != 0)
			buf_printf(&b, ": %s", probs);
		buf_adds(&b, "\n");
		free(probs);
	}
	time_format_jst(now, nowbuf, sizeof(nowbuf));
	buf_printf(&b, "(dates are Japan dates; checked %s)\n", nowbuf);
	return buf_steal(&b);
}

char *
status_text_details(const struct target_status *st, int color)
{
	struct buf b = { 0 };
	const struct target_result *res = st->result;
	char t[32];

	buf_printf(&b, "%s%s%s", color ? "\033[1m" : "", st->conf->name,
	    color ? C_OFF : "");
	buf_printf(&b, " (%s)\n", product_name(st->conf->product));
	if (st->have_expiry) {
		char e[16], a[16];

		jday_format(st->expiry_day, e);
		jday_format(st->apply_by, a);
		buf_printf(&b, "  deadline  %s (%s), %d days left\n", e,
		    st->expiry_source, st->days_left);
		time_format_jst(st->apply_deadline, t, sizeof(t));
		buf_printf(&b, "  apply by  %s (until %s)\n", a, t);
	}
	if (st->next_kind != NULL) {
		time_format_jst(st->next_due, t, sizeof(t));
		if (strcmp(st->next_kind, "reminder") == 0)
			buf_printf(&b, "  next      %d%s reminder at %s\n",
			    st->next_threshold,
			    st->next_threshold_percent ? "%" : "-day", t);
		else
			buf_printf(&b, "  next      %s notice at %s\n",
			    st->next_kind, t);
	}
	if (res != NULL && res->error != NULL)
		buf_printf(&b, "  error     %s\n", res->error);
	for (size_t i = 0; res != NULL && i < res->naddrs; i++) {
		const struct addr_result *a = &res->addrs[i];
		const struct cert_obs *c = &a->cert;

		if (!a->has_cert) {
			buf_printf(&b, "  %s  %s\n", a->address,
			    a->error ? a->error : "no certificate");
			continue;
		}
		time_format_utc(c->not_after, t, sizeof(t));
		buf_printf(&b, "  %s  %s, %s, until %s\n", a->address,
		    a->tls_version != NULL ? a->tls_version : "",
		    c->key != NULL ? c->key : "", t);
		buf_printf(&b, "    subject CN=%s O=%s OU=%s L=%s ST=%s C=%s\n",
		    c->subject.cn ? c->subject.cn : "-",
		    c->subject.o ? c->subject.o : "-",
		    c->subject.ou ? c->subject.ou : "-",
		    c->subject.l ? c->subject.l : "-",
		    c->subject.st ? c->subject.st : "-",
		    c->subject.c ? c->subject.c : "-");
		buf_printf(&b, "    issuer  %s\n", c->issuer ? c->issuer : "-");
		if (!c->verify_ok && c->verify_error != NULL)
			buf_printf(&b, "    verify  %s\n", c->verify_error);
	}
	if (st->problems != 0) {
		char *p = status_problems_text(st->problems);

		buf_printf(&b, "  problems  %s\n", p);
		free(p);
	}
	return buf_steal(&b);
}
