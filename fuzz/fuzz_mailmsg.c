/*
 * fuzz_mailmsg.c — mail composition with arbitrary certificate text:
 * mailmsg_compose (mailmsg.h) for every notice kind, both languages and
 * both charsets, with the leaf's subject fields, issuer, SANs, serial and a
 * probe error taken from the input.
 *
 * Input: byte 0 picks the kind, the language and the charset; the rest is
 * split at NUL bytes into the text fields (missing ones stay absent).
 *
 * Checks, beyond no crash, leak or undefined behaviour: the headers (up to
 * the first empty line) are 7-bit, have no bare CR or LF, no line longer
 * than 998 bytes, the fixed set of names only (no Bcc, Cc or anything the
 * certificate text could add), and the envelope recipients are exactly the
 * configured addresses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "fuzz.h"
#include "mailmsg.h"
#include "policy.h"
#include "state.h"
#include "util.h"

static struct config	*conf[2][2];	/* [lang][charset] */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *langs[] = { "en", "ja" };
	static const char *charsets[] = { "utf-8", "iso-2022-jp" };

	(void)argc;
	(void)argv;
	for (int l = 0; l < 2; l++)
		for (int c = 0; c < 2; c++) {
			struct strlist errs = { 0 };
			char *text = xasprintf(
			    "[renewd]\nlang = %s\n"
			    "[mail]\nfrom = renewd@example.jp\n"
			    "to = ssl-admins@example.jp, noc@example.jp\n"
			    "charset = %s\n"
			    "[target www.example.jp]\n"
			    "names = www.example.jp, example.jp\n"
			    "notify = web-team@example.jp\n", langs[l],
			    charsets[c]);

			conf[l][c] = config_new();
			FUZZ_CHECK(config_parse(conf[l][c], "fuzz.conf", text,
			    &errs) == 0);
			strlist_free(&errs);
			free(text);
		}
	return 0;
}

/* The next NUL-terminated field of the input, or NULL. */
static char *
fuzz_field(struct fuzz_input *in)
{
	const uint8_t *p;
	size_t n = 0;

	if (in->len == 0)
		return NULL;
	while (n < in->len && in->p[n] != 0)
		n++;
	p = in->p;
	in->p += n < in->len ? n + 1 : n;
	in->len -= n < in->len ? n + 1 : n;
	return xstrndup((const char *)p, n);
}

static void
fuzz_check_headers(const struct mailmsg *m)
{
	static const char *allowed[] = { "From", "To", "Subject", "Date",
	    "Message-ID", "MIME-Version", "Content-Type",
	    "Content-Transfer-Encoding", "Auto-Submitted", "X-Renewd-Target",
	    "X-Renewd-Kind", "X-Renewd-Notice", "X-Auto-Response-Suppress" };
	const char *p = m->data, *end = m->data + m->len;

	while (p < end) {
		const char *eol = p;
		size_t len;

		while (eol < end && *eol != '\r' && *eol != '\n')
			eol++;
		FUZZ_CHECK(eol + 1 < end && eol[0] == '\r' && eol[1] == '\n');
		len = (size_t)(eol - p);
		if (len == 0)
			return;		/* the body starts */
		FUZZ_CHECK(len <= 998);
		for (const char *q = p; q < eol; q++)
			FUZZ_CHECK((unsigned char)*q >= 0x20 &&
			    (unsigned char)*q < 0x7f);
		if (*p != ' ' && *p != '\t') {
			const char *colon = memchr(p, ':', len);
			int ok = 0;

			FUZZ_CHECK(colon != NULL);
			for (size_t i = 0; i < sizeof(allowed) /
			    sizeof(allowed[0]); i++)
				if (strlen(allowed[i]) == (size_t)(colon - p) &&
				    strncasecmp(allowed[i], p,
				    (size_t)(colon - p)) == 0)
					ok = 1;
			FUZZ_CHECK(ok);
		}
		p = eol + 2;
	}
	FUZZ_CHECK(0);		/* no empty line ends the headers */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t sel = fuzz_byte(&in);
	const struct config *cfg = conf[(sel >> 3) & 1][(sel >> 4) & 1];
	const struct target_conf *tc = &cfg->targets[0];
	struct target_state *st = state_new(tc->name);
	struct target_result *r = xcalloc(1, sizeof(*r));
	struct addr_result *a;
	struct policy_notice n;
	struct cal_rules rules;
	struct mailmsg_in mi;
	struct mailmsg m;
	char *san;
	time_t now = 1798675200;	/* 2026-12-31T00:00:00Z */
	int e;

	r->naddrs = 1;
	r->addrs = a = xcalloc(1, sizeof(*a));
	r->started = now;
	a->address = "192.0.2.10:443";
	a->ok = a->has_cert = 1;
	a->tls_version = "TLSv1.3";
	a->cert.subject.cn = fuzz_field(&in);
	a->cert.subject.o = fuzz_field(&in);
	a->cert.subject.ou = fuzz_field(&in);
	a->cert.subject.l = fuzz_field(&in);
	a->cert.subject.st = fuzz_field(&in);
	a->cert.subject.c = fuzz_field(&in);
	a->cert.issuer = fuzz_field(&in);
	a->cert.serial = fuzz_field(&in);
	if ((san = fuzz_field(&in)) != NULL)
		strlist_add_owned(&a->cert.san, san);
	a->error = fuzz_field(&in);
	a->cert.key = "RSA-2048";
	a->cert.not_before = now - 300 * 86400;
	a->cert.not_after = now + 90 * 86400;
	a->cert.verify_ok = a->cert.names_ok = 1;
	/* the state keeps a packed copy, as after a probe */
	state_set_observation(st, r);
	subject_fields_free(&a->cert.subject);
	strlist_free(&a->cert.san);
	free(a->cert.issuer);
	free(a->cert.serial);
	free(a->error);
	free(a);
	free(r);
	st->last_error = fuzz_field(&in);
	st->last_success = now - 3600;

	jday_parse("2027-03-31", &e);
	cal_rules_from_config(&rules, cfg);
	memset(&n, 0, sizeof(n));
	n.kind = (enum notice_kind)((sel & 7) % NOTICE_KIND_COUNT);
	n.due = n.at = now;
	n.expiry = e;
	n.source = EXPIRY_CERTIFICATE;
	n.days_left = e - jday_from_time(now);
	n.apply_by = cal_apply_by(&rules, PRODUCT_SSL, e);
	n.apply_deadline = cal_apply_deadline(&rules, n.apply_by);
	n.lapse = cal_lapse(e);
	n.threshold.value = 90;
	n.threshold_days = 90;
	n.new_expiry = e + 365;
	n.new_not_after = now + 455 * 86400;
	n.outage_since = now - 86400;
	snprintf(n.id, sizeof(n.id), "2027-03-31/%s", notice_kind_name(n.kind));

	memset(&mi, 0, sizeof(mi));
	mi.notice = &n;
	mi.target = tc;
	mi.cfg = cfg;
	mi.state = st;
	mi.now = now;
	mailmsg_compose(&mi, &m);
	fuzz_check_headers(&m);
	FUZZ_CHECK(m.rcpt.n == 3);
	FUZZ_CHECK(strcmp(m.rcpt.v[0], "web-team@example.jp") == 0);
	FUZZ_CHECK(strcmp(m.rcpt.v[1], "ssl-admins@example.jp") == 0);
	FUZZ_CHECK(strcmp(m.rcpt.v[2], "noc@example.jp") == 0);
	mailmsg_free(&m);
	state_free(st);
	return 0;
}
