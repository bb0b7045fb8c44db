/*
 * test_metrics.c — the Prometheus text writer: names, escaping, numbers,
 * HELP/TYPE lines, and renewd's document (every family once, together,
 * flushed in pieces that add up to the whole).
 *
 * `test_metrics --dump FILE` writes a sample document (awkward label
 * values included) for tests/e2e/test_metrics.py to give to promtool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "inspect.h"
#include "metrics.h"
#include "state.h"
#include "util.h"

static void
test_names(void **unused)
{
	static const struct {
		const char	*s;
		int		 metric;
		int		 label;
	} cases[] = {
		{ "renewd_targets", 1, 1 },
		{ "a", 1, 1 },
		{ "_x", 1, 1 },
		{ "__name__", 1, 0 },	/* reserved for labels */
		{ "job:rate5m", 1, 0 },
		{ "x9", 1, 1 },
		{ "9x", 0, 0 },
		{ "", 0, 0 },
		{ "a-b", 0, 0 },
		{ "a b", 0, 0 },
		{ "días", 0, 0 },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		if (metrics_name_valid(cases[i].s) != cases[i].metric)
			fail_msg("metric name %s: want %d", cases[i].s,
			    cases[i].metric);
		if (metrics_label_name_valid(cases[i].s) != cases[i].label)
			fail_msg("label name %s: want %d", cases[i].s,
			    cases[i].label);
	}
	assert_false(metrics_name_valid(NULL));
}

static void
test_escape(void **unused)
{
	static const struct {
		const char	*what;
		const char	*in;
		const char	*label;
		const char	*help;
	} cases[] = {
		{ "plain", "www.example.jp", "www.example.jp",
		    "www.example.jp" },
		{ "empty", "", "", "" },
		{ "quote", "a\"b", "a\\\"b", "a\"b" },
		{ "backslash", "a\\b", "a\\\\b", "a\\\\b" },
		{ "newline", "a\nb", "a\\nb", "a\\nb" },
		{ "all three", "\"\\\n", "\\\"\\\\\\n", "\"\\\\\\n" },
		{ "escape-looking text", "\\n", "\\\\n", "\\\\n" },
		{ "japanese kept", "株式会社", "株式会社", "株式会社" },
		{ "invalid byte", "a\xff" "b", "a\xef\xbf\xbd" "b",
		    "a\xef\xbf\xbd" "b" },
		{ "truncated sequence", "a\xe6\x97", "a\xef\xbf\xbd\xef\xbf\xbd",
		    "a\xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong slash", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd",
		    "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "4-byte kept", "\xf0\x9f\x94\x92", "\xf0\x9f\x94\x92",
		    "\xf0\x9f\x94\x92" },
		{ "above U+10FFFF", "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd\xef\xbf\xbd" },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		struct buf b = { 0 };
		char *s;

		metrics_escape_label(&b, cases[i].in);
		s = buf_steal(&b);
		if (strcmp(s, cases[i].label) != 0)
			fail_msg("%s: label value [%s], want [%s]",
			    cases[i].what, s, cases[i].label);
		free(s);
		metrics_escape_help(&b, cases[i].in);
		s = buf_steal(&b);
		if (strcmp(s, cases[i].help) != 0)
			fail_msg("%s: help [%s], want [%s]", cases[i].what, s,
			    cases[i].help);
		free(s);
	}
}

static void
test_values(void **unused)
{
	static const struct {
		double		 v;
		const char	*out;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 1, "1" },
		{ -1, "-1" },
		{ 42, "42" },
		{ -3, "-3" },
		{ 1798675200, "1798675200" },
		{ 253402300799.0, "253402300799" },
		{ 0.25, "0.25" },
		{ 0.1, "0.1" },
		{ 0.012, "0.012" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 1e15, "1e+15" },
		{ 123456789012345678.0, "1.2345678901234568e+17" },
		{ 1e300, "1e+300" },
		{ 1.5e-7, "1.5e-07" },
		{ 5e-324, "4.94065645841247e-324" },	/* reads back */
	};
	char out[METRICS_VALUE_MAX];
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		metrics_format_value(cases[i].v, out);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("%.17g: [%s], want [%s]", cases[i].v, out,
			    cases[i].out);
		/* what is written reads back as the same number */
		assert_true(strtod(out, NULL) == cases[i].v);
	}
	metrics_format_value(__builtin_nan(""), out);
	assert_string_equal(out, "NaN");
	metrics_format_value(-__builtin_nan(""), out);
	assert_string_equal(out, "NaN");
	metrics_format_value(__builtin_inf(), out);
	assert_string_equal(out, "+Inf");
	metrics_format_value(-__builtin_inf(), out);
	assert_string_equal(out, "-Inf");
}

static void
test_lines(void **unused)
{
	struct buf b = { 0 };
	struct metrics_label l[2] = {
		{ "target", "we\"ird\\name\n" },
		{ "address", "[::1]:443" },
	};
	char *s;
	(void)unused;

	metrics_family(&b, "renewd_x", "gauge", "Line one\nwith \\ and \"q\".");
	metrics_sample(&b, "renewd_x", NULL, 0, 7);
	metrics_sample(&b, "renewd_x", l, 1, 0.5);
	metrics_sample(&b, "renewd_x", l, 2, -2);
	s = buf_steal(&b);
	assert_string_equal(s,
	    "# HELP renewd_x Line one\\nwith \\\\ and \"q\".\n"
	    "# TYPE renewd_x gauge\n"
	    "renewd_x 7\n"
	    "renewd_x{target=\"we\\\"ird\\\\name\\n\"} 0.5\n"
	    "renewd_x{target=\"we\\\"ird\\\\name\\n\",address=\"[::1]:443\"} -2\n");
	free(s);
}

/* ---- renewd's document ------------------------------------------------ */

/*
 * Check the shape of an exposition: every line is a HELP, a TYPE or a
 * sample; HELP then TYPE open a family; each sample belongs to the open
 * family; no family appears twice; values read as numbers (never NaN).
 * Returns the number of samples.
 */
static size_t
check_document(const char *text)
{
	struct strlist seen = { 0 };
	char *copy = xstrdup(text), *line, *save = NULL;
	char family[128] = "", help_for[128] = "";
	size_t samples = 0;

	assert_true(text[0] != '\0' && text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[128], *sp, *end;
		size_t n;
		double v;

		if (strncmp(line, "# HELP ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(n > 0 && n < sizeof(name));
			memcpy(help_for, line + 7, n);
			help_for[n] = '\0';
			if (strlist_contains(&seen, help_for))
				fail_msg("family %s appears twice", help_for);
			strlist_add(&seen, help_for);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(n > 0 && n < sizeof(family));
			memcpy(family, line + 7, n);
			family[n] = '\0';
			if (strcmp(family, help_for) != 0)
				fail_msg("TYPE %s without its HELP", family);
			if (strcmp(line + 7 + n, " gauge") != 0 &&
			    strcmp(line + 7 + n, " counter") != 0)
				fail_msg("bad TYPE line: %s", line);
			continue;
		}
		assert_true(line[0] != '#');
		n = strcspn(line, "{ ");
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		assert_true(metrics_name_valid(name));
		if (strcmp(name, family) != 0)
			fail_msg("sample %s outside its family (in %s)", line,
			    family);
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		v = strtod(sp + 1, &end);
		if (*end != '\0' || v != v)
			fail_msg("bad value in %s", line);
		samples++;
	}
	strlist_free(&seen);
	free(copy);
	return samples;
}

static void
flush_collect(const char *data, size_t len, void *arg)
{
	struct buf *all = arg;

	assert_int_equal(strlen(data), len);
	buf_add(all, data, len);
}

struct doc {
	struct metrics_global	 g;
	struct metrics_addr	 addrs[2];
	struct metrics_probe	 probes[2];
	struct metrics_target	 t[3];
};

static void
doc_make(struct doc *d)
{
	memset(d, 0, sizeof(*d));
	d->g.version = "1.2.3";
	d->g.mail_queue_length = 4;
	d->g.probes[METRICS_OK] = 10;
	d->g.probes[METRICS_FAILED] = 3;
	d->g.notices[NOTICE_REMINDER][METRICS_OK] = 2;
	d->g.notices[NOTICE_PROBLEM][METRICS_FAILED] = 1;

	rd_strlcpy(d->addrs[0].address, "127.0.0.2:8443",
	    sizeof(d->addrs[0].address));
	d->addrs[0].ok = 1;
	d->addrs[0].has_cert = 1;
	d->addrs[0].not_after = 1798675199;
	d->addrs[0].duration_ms = 12;
	rd_strlcpy(d->addrs[1].address, "[::1]:8443",
	    sizeof(d->addrs[1].address));
	d->addrs[1].duration_ms = 1500;
	d->probes[0].ok = 1;
	d->probes[0].problems = PROB_UNREACHABLE | PROB_CHAIN_INCOMPLETE;
	d->probes[0].addrs = d->addrs;
	d->probes[0].naddrs = 2;

	d->t[0].name = "www.example.jp";
	d->t[0].watched = 1;
	d->t[0].state = CYCLE_NOTIFIED;
	d->t[0].has_expiry = 1;
	d->t[0].lapse = 1798729200;
	d->t[0].days_left = 44;
	d->t[0].has_apply_by = 1;
	d->t[0].apply_deadline = 1796223599;
	d->t[0].last_probe = 1790000000;
	d->t[0].last_probe_ok = 1;
	d->t[0].last_success = 1790000000;
	d->t[0].probe = &d->probes[0];

	d->t[1].name = "never-probed.example.jp";
	d->t[1].watched = 1;

	d->t[2].name = "bad\"state\\file\n";
	d->t[2].watched = 0;
}

static void
test_document(void **unused)
{
	struct doc d;
	struct buf b = { 0 }, all = { 0 };
	char *s;
	static const char *want[] = {
		"renewd_build_info{version=\"1.2.3\"} 1\n",
		"renewd_targets 3\n",
		"renewd_mail_queue_length 4\n",
		"renewd_probes_total{result=\"success\"} 10\n",
		"renewd_probes_total{result=\"failure\"} 3\n",
		"renewd_notifications_total{kind=\"reminder\",result=\"sent\"} 2\n",
		"renewd_notifications_total{kind=\"reminder\",result=\"failed\"} 0\n",
		"renewd_notifications_total{kind=\"problem\",result=\"failed\"} 1\n",
		"renewd_target_watched{target=\"www.example.jp\"} 1\n",
		"renewd_target_watched{target=\"bad\\\"state\\\\file\\n\"} 0\n",
		"renewd_target_state{target=\"www.example.jp\",state=\"waiting\"} 0\n",
		"renewd_target_state{target=\"www.example.jp\",state=\"notified\"} 1\n",
		"renewd_target_state{target=\"www.example.jp\",state=\"lapsed\"} 0\n",
		"renewd_target_state{target=\"never-probed.example.jp\",state=\"waiting\"} 1\n",
		"renewd_target_expiry_timestamp_seconds{target=\"www.example.jp\"} 1798729200\n",
		"renewd_target_day_count_left{target=\"www.example.jp\"} 44\n",
		"renewd_target_apply_by_timestamp_seconds{target=\"www.example.jp\"} 1796223599\n",
		"renewd_target_problem{target=\"www.example.jp\",problem=\"unreachable\"} 1\n",
		"renewd_target_problem{target=\"www.example.jp\",problem=\"chain-incomplete\"} 1\n",
		"renewd_target_probe_success{target=\"www.example.jp\"} 1\n",
		"renewd_target_last_probe_timestamp_seconds{target=\"www.example.jp\"} 1790000000\n",
		"renewd_target_last_success_timestamp_seconds{target=\"www.example.jp\"} 1790000000\n",
		"renewd_cert_not_after_timestamp_seconds{target=\"www.example.jp\",address=\"127.0.0.2:8443\"} 1798675199\n",
		"renewd_probe_success{target=\"www.example.jp\",address=\"127.0.0.2:8443\"} 1\n",
		"renewd_probe_success{target=\"www.example.jp\",address=\"[::1]:8443\"} 0\n",
		"renewd_probe_duration_seconds{target=\"www.example.jp\",address=\"127.0.0.2:8443\"} 0.012\n",
		"renewd_probe_duration_seconds{target=\"www.example.jp\",address=\"[::1]:8443\"} 1.5\n",
		"# TYPE renewd_probes_total counter\n",
		"# TYPE renewd_notifications_total counter\n",
		"# TYPE renewd_target_state gauge\n",
	};
	static const char *absent[] = {
		/* nothing is known about these */
		"day_count_left{target=\"never-probed",
		"timestamp_seconds{target=\"never-probed",
		"probe_success{target=\"never-probed",
		"problem{target=\"never-probed",
		"renewd_target_state{target=\"bad",
		"renewd_target_problem{target=\"www.example.jp\",problem=\"expired\"}",
		"renewd_cert_not_after_timestamp_seconds{target=\"www.example.jp\",address=\"[::1]:8443\"}",
		" nan\n", " NaN\n", "Inf\n",
	};
	(void)unused;

	doc_make(&d);
	metrics_render(&b, &d.g, d.t, nitems(d.t), NULL, NULL);
	s = buf_steal(&b);
	for (size_t i = 0; i < nitems(want); i++)
		if (strstr(s, want[i]) == NULL)
			fail_msg("missing: %s\n--- document ---\n%s", want[i], s);
	for (size_t i = 0; i < nitems(absent); i++)
		if (strstr(s, absent[i]) != NULL)
			fail_msg("unexpected: %s\n--- document ---\n%s",
			    absent[i], s);
	/* 1+1+1+2+14 globals; watched 3, state 2*6, expiry, days, apply,
	 * 2 problems, success, last probe, last success; 1+2+2 addresses */
	assert_int_equal(check_document(s), 19 + 3 + 12 + 3 + 2 + 3 + 5);

	/* Flushed in pieces, the same text. */
	metrics_render(&b, &d.g, d.t, nitems(d.t), flush_collect, &all);
	assert_int_equal(b.len, 0);
	assert_string_equal(all.data, s);
	buf_free(&all);
	buf_free(&b);
	free(s);
}

/* Many targets: the text goes out in bounded pieces, families stay whole. */
static void
test_document_large(void **unused)
{
	enum { N = 5000 };
	struct metrics_target *t = xcalloc(N, sizeof(*t));
	struct metrics_global g = { .version = "x" };
	struct metrics_addr a = { .address = "192.0.2.1:443", .ok = 1,
	    .has_cert = 1, .not_after = 1798675199, .duration_ms = 3 };
	struct metrics_probe p = { .ok = 1, .addrs = &a, .naddrs = 1 };
	char (*names)[32] = xcalloc(N, sizeof(*names));
	struct buf b = { 0 }, all = { 0 };
	(void)unused;

	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "t%zu.example.jp", i);
		t[i].name = names[i];
		t[i].watched = 1;
		t[i].has_expiry = 1;
		t[i].lapse = 1798729200;
		t[i].days_left = (int)(i % 400) - 20;
		t[i].last_probe = 1790000000;
		t[i].last_probe_ok = 1;
		t[i].probe = &p;
	}
	metrics_render(&b, &g, t, N, flush_collect, &all);
	assert_int_equal(b.len, 0);
	assert_int_equal(check_document(all.data),
	    19 + (size_t)N * (1 + 6 + 1 + 1 + 1 + 1 + 3));
	assert_non_null(strstr(all.data,
	    "renewd_target_day_count_left{target=\"t20.example.jp\"} 0\n"));
	assert_non_null(strstr(all.data,
	    "renewd_target_day_count_left{target=\"t0.example.jp\"} -20\n"));
	buf_free(&all);
	buf_free(&b);
	free(names);
	free(t);
}

static void
test_target_fill(void **unused)
{
	struct cal_rules rules;
	struct target_conf tc;
	struct target_state *st = state_new("www.example.jp");
	struct metrics_target m;
	struct metrics_probe p = { 0 };
	int e = jday_from_ymd(2027, 3, 31), a;
	time_t now = jday_to_time(jday_from_ymd(2027, 2, 14), 23 * 60 + 59);
	(void)unused;

	cal_rules_default(&rules);
	memset(&tc, 0, sizeof(tc));
	tc.name = "www.example.jp";
	tc.contract_end = -1;
	tc.product = PRODUCT_SSL;

	metrics_target_fill(&m, &tc, &rules, NULL, NULL, now);
	assert_string_equal(m.name, "www.example.jp");
	assert_false(m.watched);

	/* Nothing known yet. */
	metrics_target_fill(&m, &tc, &rules, st, NULL, now);
	assert_true(m.watched);
	assert_false(m.has_expiry);
	assert_int_equal(m.state, CYCLE_WAITING);
	assert_int_equal(m.last_probe, 0);
	assert_null(m.probe);

	/* A cycle: E, its lapse, the days left and the apply deadline. */
	st->cycle.active = 1;
	st->cycle.expiry = e;
	st->cycle.state = CYCLE_APPLIED;
	st->last_probe = now - 60;
	st->last_probe_ok = 0;
	st->last_success = now - 3600;
	metrics_target_fill(&m, &tc, &rules, st, &p, now);
	assert_true(m.has_expiry);
	assert_int_equal(m.state, CYCLE_APPLIED);
	assert_int_equal(m.lapse, jday_to_time(e + 1, 0));
	assert_int_equal(m.lapse, cal_lapse(e));
	assert_int_equal(m.days_left, 45);	/* 2027-02-14 .. 03-31 */
	a = cal_apply_by(&rules, PRODUCT_SSL, e);
	assert_true(m.has_apply_by);
	assert_int_equal(m.apply_deadline, cal_apply_deadline(&rules, a));
	assert_true(m.apply_deadline < m.lapse);
	assert_int_equal(m.last_probe, now - 60);
	assert_false(m.last_probe_ok);
	assert_int_equal(m.last_success, now - 3600);
	assert_ptr_equal(m.probe, &p);

	/* A minute later it is 02-15 in Japan: a day less. */
	metrics_target_fill(&m, &tc, &rules, st, &p, now + 60);
	assert_int_equal(m.days_left, 44);

	/* No cycle yet, but a contract_end. */
	state_cycle_clear(&st->cycle);
	tc.contract_end = e - 10;
	metrics_target_fill(&m, &tc, &rules, st, NULL, now);
	assert_true(m.has_expiry);
	assert_int_equal(m.days_left, 35);
	assert_int_equal(m.lapse, cal_lapse(e - 10));
	state_free(st);
}

static void
test_probe_from_result(void **unused)
{
	struct addr_result addrs[2];
	struct target_result res;
	struct metrics_probe p;
	(void)unused;

	memset(addrs, 0, sizeof(addrs));
	memset(&res, 0, sizeof(res));
	addrs[0].address = "127.0.0.2:443";
	addrs[0].duration_ms = 250;
	addrs[1].address = "127.0.0.3:443";
	addrs[1].ok = 1;
	addrs[1].has_cert = 1;
	addrs[1].cert.not_after = 1798675199;
	addrs[1].duration_ms = 20;
	res.addrs = addrs;
	res.naddrs = 2;
	res.problems = PROB_UNREACHABLE;

	metrics_probe_from_result(&p, &res);
	assert_true(p.ok);
	assert_int_equal(p.problems, PROB_UNREACHABLE);
	assert_int_equal(p.naddrs, 2);
	assert_string_equal(p.addrs[0].address, "127.0.0.2:443");
	assert_false(p.addrs[0].ok);
	assert_false(p.addrs[0].has_cert);
	assert_int_equal(p.addrs[0].duration_ms, 250);
	assert_true(p.addrs[1].ok);
	assert_int_equal(p.addrs[1].not_after, 1798675199);
	metrics_probe_free(&p);
	assert_null(p.addrs);

	/* Resolution failed: no address at all. */
	res.naddrs = 0;
	res.addrs = NULL;
	metrics_probe_from_result(&p, &res);
	assert_false(p.ok);
	assert_int_equal(p.naddrs, 0);
	metrics_probe_free(&p);
	metrics_probe_free(NULL);
}

/* A sample document for promtool (tests/e2e/test_metrics.py). */
static int
dump(const char *path)
{
	struct doc d;
	struct buf b = { 0 };
	FILE *f;
	int rc = 0;

	doc_make(&d);
	d.t[1].name = "quote\" backslash\\ newline\n 株式会社 \xff";
	metrics_render(&b, &d.g, d.t, nitems(d.t), NULL, NULL);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return 1;
	}
	if (fwrite(b.data, 1, b.len, f) != b.len)
		rc = 1;
	if (fclose(f) != 0)
		rc = 1;
	if (rc != 0)
		perror(path);
	buf_free(&b);
	return rc;
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_document_large),
		cmocka_unit_test(test_target_fill),
		cmocka_unit_test(test_probe_from_result),
	};

	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
