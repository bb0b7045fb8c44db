/*
 * notices.c — fixtures for the notification tests (see notices.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "notices.h"
#include "util.h"

char *
fx_conf(const char *lang, const char *charset, const char *mail_extra)
{
	return xasprintf(
	    "[renewd]\n"
	    "lang = %s\n"
	    "[mail]\n"
	    "from = renewd@example.jp\n"
	    "to = ssl-admins@example.jp, noc@example.jp\n"
	    "charset = %s\n"
	    "%s"
	    "[target www.example.jp]\n"
	    "names = www.example.jp, example.jp\n"
	    "expect = O=株式会社エグザンプル, L=千代田区, ST=東京都, C=JP, OU=\n"
	    "notify = web-team@example.jp, SSL-Admins@Example.jp\n",
	    lang, charset, mail_extra != NULL ? mail_extra : "");
}

static time_t
at(const char *s)
{
	time_t t;

	if (time_parse_iso(s, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static void
leaf(struct fx *fx, struct cert_obs *c, const char *sha, const char *serial,
    time_t na)
{
	memset(c, 0, sizeof(*c));
	c->subject.cn = xstrdup(fx->cn != NULL ? fx->cn : "www.example.jp");
	c->subject.o = xstrdup(fx->org != NULL ? fx->org :
	    "株式会社エグザンプル");
	c->subject.l = xstrdup("千代田区");
	c->subject.st = xstrdup("東京都");
	c->subject.c = xstrdup("JP");
	strlist_add(&c->san, "www.example.jp");
	strlist_add(&c->san, "example.jp");
	c->issuer = xstrdup("CN=renewd Test SureServer CA,O=renewd Test,C=JP");
	c->serial = xstrdup(serial);
	rd_strlcpy(c->sha256, sha, sizeof(c->sha256));
	c->key = xstrdup("RSA-2048");
	c->key_bits = 2048;
	c->sig_alg = xstrdup("sha256WithRSAEncryption");
	c->not_before = na - 365 * 86400;
	c->not_after = na;
	c->verify_ok = 1;
	c->names_ok = 1;
}

static void
observe(struct fx *fx, int mixed)
{
	struct target_result r;
	struct addr_result a[3];
	time_t na = at("2027-03-31T14:59:59Z");

	memset(&r, 0, sizeof(r));
	memset(a, 0, sizeof(a));
	r.started = fx->now - 3600;
	r.addrs = a;
	r.naddrs = 3;
	a[0].address = "192.0.2.10:443";
	a[1].address = "192.0.2.11:443";
	a[2].address = "192.0.2.12:443";
	for (int i = 0; i < 2; i++) {
		a[i].ok = a[i].has_cert = 1;
		a[i].tls_version = "TLSv1.3";
	}
	leaf(fx, &a[0].cert, "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
	    "aa11aa11aa11", "0a1b2c", na);
	if (mixed) {
		leaf(fx, &a[1].cert, "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22"
		    "bb22bb22bb22bb22", "0d0e0f", na + 365 * 86400);
		r.problems = PROB_MIXED_CERTIFICATES;
	} else
		leaf(fx, &a[1].cert, a[0].cert.sha256, "0a1b2c", na);
	a[2].error = xstrdup("connect: Connection refused");
	r.problems |= PROB_UNREACHABLE;
	state_set_observation(fx->st, &r);
	for (int i = 0; i < 3; i++) {
		cert_obs_free(&a[i].cert);
		free(a[i].error);
	}
}

void
fx_init(struct fx *fx, const char *conf, enum notice_kind kind)
{
	struct strlist errs = { 0 };
	struct cal_rules rules;
	char *def = NULL;
	struct policy_notice *n = &fx->n;
	int e;

	memset(fx, 0, sizeof(*fx));
	if (conf == NULL)
		conf = def = fx_conf("en", "utf-8", NULL);
	fx->cfg = config_new();
	if (config_parse(fx->cfg, "t.conf", conf, &errs) != 0)
		fail_msg("config: %s", errs.n > 0 ? errs.v[0] : "?");
	free(def);
	strlist_free(&errs);
	fx->tc = &fx->cfg->targets[0];
	fx->now = at("2026-12-31T09:00:00+09:00");
	fx->st = state_new(fx->tc->name);
	observe(fx, 0);
	fx->st->last_success = fx->now - 3600;
	fx->st->cycle.active = 1;
	jday_parse("2027-03-31", &e);
	fx->st->cycle.expiry = e;
	fx->st->cycle.state = CYCLE_NOTIFIED;

	cal_rules_from_config(&rules, fx->cfg);
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->due = n->at = fx->now;
	n->expiry = e;
	n->source = EXPIRY_CERTIFICATE;
	n->days_left = e - jday_from_time(fx->now);
	n->apply_by = cal_apply_by(&rules, PRODUCT_SSL, e);
	n->apply_deadline = cal_apply_deadline(&rules, n->apply_by);
	n->lapse = cal_lapse(e);
	n->new_expiry = -1;
	n->last_success = fx->st->last_success;
	switch (kind) {
	case NOTICE_REMINDER:
		n->threshold.value = 90;
		n->threshold_days = 90;
		n->applications_open = 1;
		n->has_window = 1;
		maint_windows_after(&rules.maint, fx->now, &n->window, 1);
		snprintf(n->id, sizeof(n->id), "2027-03-31/reminder-90");
		break;
	case NOTICE_APPLY_BY:
		snprintf(n->id, sizeof(n->id), "2027-03-31/apply-by");
		break;
	case NOTICE_OVERDUE:
		snprintf(n->id, sizeof(n->id), "2027-03-31/overdue-2027-03-25");
		break;
	case NOTICE_LAPSED:
		fx->st->cycle.state = CYCLE_LAPSED;
		snprintf(n->id, sizeof(n->id), "2027-03-31/lapsed");
		break;
	case NOTICE_INSTALL:
		fx->st->cycle.state = CYCLE_APPLIED;
		fx->st->cycle.applied_at = fx->now - 10 * 86400;
		snprintf(n->id, sizeof(n->id), "2027-03-31/install-2027-03-28");
		break;
	case NOTICE_RENEWED:
		n->new_not_after = at("2028-03-31T14:59:59Z");
		jday_parse("2028-03-31", &n->new_expiry);
		snprintf(n->id, sizeof(n->id), "2027-03-31/renewed");
		break;
	case NOTICE_PROBLEM:
		n->outage_since = fx->now - 25 * 3600;
		fx->st->last_error = xstrdup("resolve www.example.jp: timed out");
		snprintf(n->id, sizeof(n->id), "2027-03-31/problem-%lld",
		    (long long)n->outage_since);
		break;
	}
	fx->in.notice = n;
	fx->in.target = fx->tc;
	fx->in.cfg = fx->cfg;
	fx->in.state = fx->st;
	fx->in.now = fx->now;
}

/* The state's observation is read-only (packed): observe again. */
void
fx_set_org(struct fx *fx, const char *o)
{
	fx->org = o;
	observe(fx, 0);
}

void
fx_set_cn(struct fx *fx, const char *cn)
{
	fx->cn = cn;
	observe(fx, 0);
}

void
fx_mixed_leaves(struct fx *fx)
{
	observe(fx, 1);
}

void
fx_free(struct fx *fx)
{
	state_free(fx->st);
	config_free(fx->cfg);
	memset(fx, 0, sizeof(*fx));
}
