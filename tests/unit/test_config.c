/*
 * test_config.c — renewd.conf: defaults, every kind of error, normalised
 * dumps and their round trip, golden files under tests/config/, and a large
 * config. Runs from the repository root.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------ */

static char *
join(const struct strlist *l)
{
	struct buf b = { 0 };

	buf_adds(&b, "");
	for (size_t i = 0; i < l->n; i++)
		buf_printf(&b, "%s\n", l->v[i]);
	return buf_steal(&b);
}

/* Parse `text` as "t.conf"; the errors, one per line ("" when none). */
static char *
parse_errors(const char *text, struct config **cfgp)
{
	struct strlist errors = { 0 };
	struct config *cfg = config_new();
	int rc = config_parse(cfg, "t.conf", text, &errors);
	char *s = join(&errors);

	assert_int_equal(rc, errors.n ? -1 : 0);
	strlist_free(&errors);
	if (cfgp != NULL)
		*cfgp = cfg;
	else
		config_free(cfg);
	return s;
}

static struct config *
parse_ok(const char *what, const char *text)
{
	struct config *cfg;
	char *errs = parse_errors(text, &cfg);

	if (*errs != '\0') {
		print_error("%s: unexpected errors:\n%s", what, errs);
		fail();
	}
	free(errs);
	return cfg;
}

static char *
file_slurp(const char *path)
{
	struct buf b = { 0 };
	char chunk[8192];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	(void)fclose(f);		/* read only: nothing to lose */
	buf_adds(&b, "");
	return buf_steal(&b);
}

/* dump -> parse -> dump gives the same text. */
static void
assert_round_trip(const char *what, const struct config *cfg)
{
	char *d1 = config_dump(cfg), *d2;
	struct config *again = parse_ok(what, d1);

	d2 = config_dump(again);
	if (strcmp(d1, d2) != 0) {
		print_error("%s: dump does not round-trip:\n%s\n---\n%s\n",
		    what, d1, d2);
		fail();
	}
	free(d1);
	free(d2);
	config_free(again);
}

/* ---- defaults ----------------------------------------------------------- */

static void
test_defaults(void **state)
{
	struct config *cfg = config_new();
	static const struct threshold want[] = {
		{ 90, 0 }, { 60, 0 }, { 45, 0 }, { 30, 0 }, { 15, 0 }
	};

	(void)state;
	assert_string_equal(cfg->state_dir, "/var/lib/renewd");
	assert_string_equal(cfg->socket, "/run/renewd/renewd.sock");
	assert_string_equal(cfg->socket_group, "renewd");
	assert_string_equal(cfg->admin_group, "renewd-admin");
	assert_int_equal(cfg->poll_interval, 6 * 3600);
	assert_int_equal(cfg->concurrency, 64);
	assert_int_equal(cfg->timeout_ms, 10000);
	assert_string_equal(cfg->ca_file, "/etc/ssl/certs/ca-certificates.crt");
	assert_int_equal(cfg->nameservers.n, 0);
	assert_string_equal(cfg->hosts_file, "/etc/hosts");
	assert_int_equal(cfg->nthresholds, nitems(want));
	assert_memory_equal(cfg->thresholds, want, sizeof(want));
	assert_int_equal(cfg->remind_at, 9 * 60);
	assert_int_equal(cfg->lang, LANG_EN);
	assert_null(cfg->metrics_listen);

	assert_int_equal(cfg->maintenance.nth, 4);
	assert_int_equal(cfg->maintenance.wday, 3);
	assert_int_equal(cfg->maintenance.start_min, 20 * 60);
	assert_int_equal(cfg->maintenance.end_min, 8 * 60);
	assert_int_equal(cfg->review_days_ssl, 5);
	assert_int_equal(cfg->review_days_ev, 10);
	assert_int_equal(cfg->install_days, 1);
	assert_int_equal(cfg->nclosed, 1);
	assert_int_equal(cfg->closed[0].from_month, 12);
	assert_int_equal(cfg->closed[0].from_day, 29);
	assert_int_equal(cfg->closed[0].to_month, 1);
	assert_int_equal(cfg->closed[0].to_day, 3);

	assert_string_equal(cfg->mail.url, "smtp://127.0.0.1:25");
	assert_int_equal(cfg->mail.require_tls, 0);
	assert_string_equal(cfg->mail.from, "renewd@localhost");
	assert_int_equal(cfg->mail.to.n, 0);
	assert_null(cfg->mail.username);
	assert_null(cfg->mail.password_file);
	assert_string_equal(cfg->mail.charset, "utf-8");
	assert_int_equal(cfg->mail.timeout_ms, 30000);
	assert_null(cfg->webhook_url);
	assert_int_equal(cfg->ntargets, 0);
	assert_null(cfg->path);

	assert_round_trip("defaults", cfg);
	config_free(cfg);

	/* An empty file is all defaults. */
	cfg = parse_ok("empty file", "");
	assert_string_equal(cfg->path, "t.conf");
	assert_int_equal(cfg->ntargets, 0);
	config_free(cfg);
}

static void
test_target_defaults(void **state)
{
	struct config *cfg;
	const struct target_conf *t;

	(void)state;
	cfg = parse_ok("bare target", "\n[target www.example.jp]\n");
	assert_int_equal(cfg->ntargets, 1);
	t = &cfg->targets[0];
	assert_string_equal(t->name, "www.example.jp");
	assert_int_equal(t->line, 2);
	assert_int_equal(t->port, 443);
	assert_int_equal(t->addresses.n, 0);
	assert_int_equal(t->names.n, 1);
	assert_string_equal(t->names.v[0], "www.example.jp");
	assert_int_equal(t->starttls, STARTTLS_NONE);
	assert_int_equal(t->product, PRODUCT_SSL);
	assert_int_equal(t->contract_end, -1);
	assert_int_equal(t->has_expect, 0);
	assert_null(t->expect.cn);
	assert_null(t->expect.ou);
	assert_int_equal(t->notify.n, 0);
	config_free(cfg);
}

/* ---- good values -------------------------------------------------------- */

struct good_case {
	const char	*what;
	const char	*text;
	const char	*dump_has;	/* a line of the normalised dump */
};

static const struct good_case good_cases[] = {
	{ "seconds", "[renewd]\npoll_interval = 90s\n",
	  "poll_interval = 90s\n" },
	{ "minutes normalised", "[renewd]\npoll_interval = 120s\n",
	  "poll_interval = 2m\n" },
	{ "days to a week", "[renewd]\npoll_interval = 7d\n",
	  "poll_interval = 1w\n" },
	{ "compound duration", "[renewd]\npoll_interval = 1h30m\n",
	  "poll_interval = 90m\n" },
	{ "milliseconds", "[renewd]\ntimeout = 500ms\n", "timeout = 500ms\n" },
	{ "minutes in ms", "[renewd]\ntimeout = 2m\n", "timeout = 2m\n" },
	{ "mail timeout", "[mail]\ntimeout = 1500ms\n",
	  "timeout = 1500ms\n" },
	{ "thresholds keep their order",
	  "[renewd]\nthresholds = 15,90 , 30\n", "thresholds = 15, 90, 30\n" },
	{ "percent thresholds", "[renewd]\nthresholds = 33%, 10%, 7\n",
	  "thresholds = 33%, 10%, 7\n" },
	{ "same number as days and percent",
	  "[renewd]\nthresholds = 10, 10%\n", "thresholds = 10, 10%\n" },
	{ "one-digit hour", "[renewd]\nremind_at = 9:05\n",
	  "remind_at = 09:05\n" },
	{ "lang ja", "[renewd]\nlang = ja\n", "lang = ja\n" },
	{ "lang in capitals", "[renewd]\nlang = JA\n", "lang = ja\n" },
	{ "nameservers normalised",
	  "[renewd]\nnameservers = 127.0.0.1:5353, [::1]:53, 2001:DB8::1\n",
	  "nameservers = 127.0.0.1:5353, ::1, 2001:db8::1\n" },
	{ "IPv6 nameserver with a port",
	  "[renewd]\nnameservers = [::1]:5353\n",
	  "nameservers = [::1]:5353\n" },
	{ "metrics on IPv4", "[renewd]\nmetrics_listen = 127.0.0.1:9793\n",
	  "metrics_listen = 127.0.0.1:9793\n" },
	{ "metrics on IPv6", "[renewd]\nmetrics_listen = [::1]:9793\n",
	  "metrics_listen = [::1]:9793\n" },
	{ "maintenance in capitals",
	  "[ca]\nmaintenance = 2nd-FRI 22:00-06:00\n",
	  "maintenance = 2nd-fri 22:00-06:00\n" },
	{ "maintenance none", "[ca]\nmaintenance = none\n",
	  "maintenance = none\n" },
	{ "maintenance within a day", "[ca]\nmaintenance = 1st-sun 01:00-05:00\n",
	  "maintenance = 1st-sun 01:00-05:00\n" },
	{ "closed list and a single day",
	  "[ca]\nclosed = 12-29..01-03,08-15, 05-03..05-05\n",
	  "closed = 12-29..01-03, 08-15, 05-03..05-05\n" },
	{ "closed may be empty", "[ca]\nclosed =\n", "closed =\n" },
	{ "closed on Feb 29", "[ca]\nclosed = 02-29\n", "closed = 02-29\n" },
	{ "review days zero", "[ca]\nreview_days_ssl = 0\n",
	  "review_days_ssl = 0\n" },
	{ "smtps", "[mail]\nurl = SMTPS://mail.example.jp:465\n",
	  "url = smtps://mail.example.jp:465\n" },
	{ "require_tls", "[mail]\nrequire_tls = yes\n", "require_tls = yes\n" },
	{ "recipients", "[mail]\nto = a@example.jp,b.c+d@example.jp\n",
	  "to = a@example.jp, b.c+d@example.jp\n" },
	{ "auth", "[mail]\nusername = renewd@example.jp\n"
	  "password_file = /etc/renewd/smtp.pass\n",
	  "password_file = /etc/renewd/smtp.pass\n" },
	{ "iso-2022-jp", "[mail]\ncharset = ISO-2022-JP\n",
	  "charset = iso-2022-jp\n" },
	{ "webhook", "[webhook]\nurl = https://hooks.example.jp/renewd\n",
	  "url = https://hooks.example.jp/renewd\n" },
	{ "inline comment", "[renewd]\nconcurrency = 8   ; fewer\n",
	  "concurrency = 8\n" },
	{ "comment lines and blank lines",
	  "# a comment\n; another\n\n[renewd] ; here\n  concurrency = 9\n",
	  "concurrency = 9\n" },
	{ "CRLF line ends", "[renewd]\r\nconcurrency = 7\r\n",
	  "concurrency = 7\n" },
	{ "no newline at the end", "[renewd]\nconcurrency = 6",
	  "concurrency = 6\n" },
	{ "byte order mark", "\xef\xbb\xbf[renewd]\nconcurrency = 5\n",
	  "concurrency = 5\n" },
	{ "colon separator", "[renewd]\nconcurrency: 4\n",
	  "concurrency = 4\n" },
	{ "target name lowercased", "[target WWW.Example.JP]\n",
	  "[target www.example.jp]\n" },
	{ "IPv6 target", "[target [2001:DB8::10]]\n",
	  "[target 2001:db8::10]\n" },
	{ "bare IPv6 target", "[target ::1]\n", "names = ::1\n" },
	{ "IPv4 target", "[target 192.0.2.1]\n", "names = 192.0.2.1\n" },
	{ "long target name is not cut",
	  "[target a123456789012345678901234567890123456789012345678901234."
	  "example.jp]\n",
	  "[target a123456789012345678901234567890123456789012345678901234."
	  "example.jp]\n" },
	{ "name added in front", "[target www.example.jp]\nnames = example.jp\n",
	  "names = www.example.jp, example.jp\n" },
	{ "name kept where listed",
	  "[target www.example.jp]\nnames = example.jp, WWW.example.jp\n",
	  "names = example.jp, www.example.jp\n" },
	{ "smtp port", "[target mx.example.jp]\nstarttls = smtp\n",
	  "port = 25\n" },
	{ "imap port", "[target mx.example.jp]\nstarttls = imap\n",
	  "port = 143\n" },
	{ "pop3 port", "[target mx.example.jp]\nstarttls = pop3\n",
	  "port = 110\n" },
	{ "explicit port wins", "[target mx.example.jp]\nport = 587\n"
	  "starttls = smtp\n", "port = 587\n" },
	{ "empty port is the default", "[target www.example.jp]\nport =\n",
	  "port = 443\n" },
	{ "addresses normalised",
	  "[target www.example.jp]\naddresses = 192.0.2.10, 2001:DB8:0::2\n",
	  "addresses = 192.0.2.10, 2001:db8::2\n" },
	{ "ev", "[target www.example.jp]\nproduct = EV\n", "product = ev\n" },
	{ "contract end leap day",
	  "[target www.example.jp]\ncontract_end = 2028-02-29\n",
	  "contract_end = 2028-02-29\n" },
	{ "expect in order, C uppercased",
	  "[target www.example.jp]\nexpect = c=jp, O=Example K.K., CN=www\n",
	  "expect = CN=www, O=Example K.K., C=JP\n" },
	{ "expect with an escaped comma",
	  "[target www.example.jp]\nexpect = O=Example\\, Inc., L=a\\\\b\n",
	  "expect = O=Example\\, Inc., L=a\\\\b\n" },
	{ "expect OU must be absent",
	  "[target www.example.jp]\nexpect = OU=, C=JP\n",
	  "expect = OU=, C=JP\n" },
	{ "expect in Japanese",
	  "[target www.example.jp]\nexpect = O=株式会社エグザンプル, "
	  "ST=東京都, L=千代田区\n",
	  "expect = O=株式会社エグザンプル, L=千代田区, ST=東京都\n" },
	{ "notify", "[target www.example.jp]\nnotify = web@example.jp\n",
	  "notify = web@example.jp\n" },
};

static void
test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		struct config *cfg = parse_ok(c->what, c->text);
		char *d = config_dump(cfg);

		if (strstr(d, c->dump_has) == NULL) {
			print_error("%s: the dump lacks \"%s\":\n%s\n", c->what,
			    c->dump_has, d);
			fail();
		}
		assert_round_trip(c->what, cfg);
		free(d);
		config_free(cfg);
	}
}

static void
test_values(void **state)
{
	struct config *cfg;
	const struct target_conf *t;

	(void)state;
	cfg = parse_ok("values",
	    "[renewd]\n"
	    "thresholds = 33%, 10, 5%\n"
	    "remind_at = 17:30\n"
	    "lang = ja\n"
	    "[ca]\n"
	    "maintenance = 5th-sat 23:00-01:00\n"
	    "[mail]\n"
	    "require_tls = yes\n"
	    "[target mx.example.jp]\n"
	    "starttls = smtp\n"
	    "product = ev\n"
	    "contract_end = 2027-03-31\n"
	    "expect = CN=mx.example.jp, OU=, O=株式会社エグザンプル, "
	    "L=千代田区, ST=東京都, C=JP\n"
	    "notify = a@example.jp, b@example.jp\n");
	assert_int_equal(cfg->nthresholds, 3);
	assert_int_equal(cfg->thresholds[0].value, 33);
	assert_int_equal(cfg->thresholds[0].percent, 1);
	assert_int_equal(cfg->thresholds[1].value, 10);
	assert_int_equal(cfg->thresholds[1].percent, 0);
	assert_int_equal(cfg->remind_at, 17 * 60 + 30);
	assert_int_equal(cfg->lang, LANG_JA);
	assert_int_equal(cfg->maintenance.nth, 5);
	assert_int_equal(cfg->maintenance.wday, 6);
	assert_int_equal(cfg->maintenance.start_min, 23 * 60);
	assert_int_equal(cfg->maintenance.end_min, 60);
	assert_int_equal(cfg->mail.require_tls, 1);
	t = config_find_target(cfg, "MX.example.jp");
	assert_non_null(t);
	assert_int_equal(t->port, 25);
	assert_int_equal(t->starttls, STARTTLS_SMTP);
	assert_int_equal(t->product, PRODUCT_EV);
	/* 2027-03-31 is 20908 days after 1970-01-01. */
	assert_int_equal(t->contract_end, 20908);
	assert_int_equal(t->has_expect, 1);
	assert_string_equal(t->expect.cn, "mx.example.jp");
	assert_string_equal(t->expect.ou, "");
	assert_string_equal(t->expect.o, "株式会社エグザンプル");
	assert_string_equal(t->expect.l, "千代田区");
	assert_string_equal(t->expect.st, "東京都");
	assert_string_equal(t->expect.c, "JP");
	assert_int_equal(t->notify.n, 2);
	assert_null(config_find_target(cfg, "www.example.jp"));
	config_free(cfg);
}

/* ---- errors ------------------------------------------------------------- */

struct bad_case {
	const char	*what;
	const char	*text;
	const char	*errors;	/* every message, one per line */
};

static const struct bad_case bad_cases[] = {
	/* structure */
	{ "unknown section", "[renewd]\n[foo]\nbar = 1\n",
	  "t.conf:2: unknown section [foo] ([renewd], [ca], [mail], "
	  "[webhook] or [target NAME] expected)\n" },
	{ "unknown key",
	  "[ca]\nreview_days = 5\n",
	  "t.conf:2: unknown key 'review_days' in [ca] (one of maintenance, "
	  "review_days_ssl, review_days_ev, install_days, closed expected)\n" },
	{ "unknown key in a target",
	  "[target www.example.jp]\nhost = x\n",
	  "t.conf:2: unknown key 'host' in [target www.example.jp] (one of "
	  "port, addresses, names, starttls, product, contract_end, expect, "
	  "notify expected)\n" },
	{ "a key of another section", "[mail]\nconcurrency = 3\n",
	  "t.conf:2: unknown key 'concurrency' in [mail] (one of url, "
	  "require_tls, from, to, username, password_file, charset, timeout, "
	  "ca_file expected)\n" },
	{ "keys are lowercase", "[renewd]\nTimeout = 10s\n",
	  "t.conf:2: unknown key 'Timeout' in [renewd] (one of state_dir, "
	  "socket, socket_group, admin_group, poll_interval, concurrency, "
	  "timeout, ca_file, nameservers, hosts_file, thresholds, remind_at, "
	  "lang, metrics_listen expected)\n" },
	{ "key before any section", "timeout = 10s\n[renewd]\n",
	  "t.conf:1: 'timeout' is outside any section ([renewd], [ca], "
	  "[mail], [webhook] or [target NAME] expected before it)\n" },
	{ "duplicate key", "[renewd]\ntimeout = 10s\n\ntimeout = 5s\n",
	  "t.conf:4: duplicate key 'timeout' (first at line 2; each key once "
	  "expected)\n" },
	{ "duplicate key across repeated sections",
	  "[renewd]\nlang = en\n[ca]\n[renewd]\nlang = ja\n",
	  "t.conf:4: duplicate section [renewd] (first at line 1; each "
	  "section once expected)\n"
	  "t.conf:5: duplicate key 'lang' (first at line 2; each key once "
	  "expected)\n" },
	{ "duplicate key in a target",
	  "[target a.example.jp]\nport = 1\nport = 2\n",
	  "t.conf:3: duplicate key 'port' (first at line 2; each key once "
	  "expected)\n" },
	{ "duplicate target",
	  "[target www.example.jp]\n[target WWW.example.jp]\nport = x\n",
	  "t.conf:2: duplicate target 'www.example.jp' (first at line 1; each "
	  "target once expected)\n"
	  "t.conf:3: port: 'x' is not a port (1..65535 expected)\n" },
	{ "duplicate IPv6 target", "[target ::1]\n[target [0::1]]\n",
	  "t.conf:2: duplicate target '::1' (first at line 1; each target "
	  "once expected)\n" },
	{ "target without a name", "[target]\n",
	  "t.conf:1: [target] has no name ([target NAME] expected)\n" },
	{ "target name with a space", "[target a b]\n",
	  "t.conf:1: [target a b]: the name contains a space ([target NAME] "
	  "with one name expected)\n" },
	{ "bad target name", "[target -www.example.jp]\n[target *.example.jp]\n"
	  "[target 1.2.3.999]\n",
	  "t.conf:1: [target -www.example.jp]: not a host name or IP address "
	  "(a DNS name such as www.example.jp or an IP literal expected)\n"
	  "t.conf:2: [target *.example.jp]: not a host name or IP address "
	  "(a DNS name such as www.example.jp or an IP literal expected)\n"
	  "t.conf:3: [target 1.2.3.999]: not a host name or IP address "
	  "(a DNS name such as www.example.jp or an IP literal expected)\n" },
	{ "unclosed section", "[renewd\n",
	  "t.conf:1: '[renewd' is not a section header ([NAME] expected)\n" },
	{ "text after a section", "[renewd] x\n",
	  "t.conf:1: '[renewd] x' is not a section header ([NAME] "
	  "expected)\n" },
	{ "line without =", "[renewd]\nconcurrency 64\n",
	  "t.conf:2: 'concurrency 64' is not a setting (key = value "
	  "expected)\n" },
	{ "no key", "[renewd]\n= 64\n",
	  "t.conf:2: no key before '=' (key = value expected)\n" },
	{ "indented key is not a continuation",
	  "[renewd]\nconcurrency = 1\n  concurrency = 2\n",
	  "t.conf:3: duplicate key 'concurrency' (first at line 2; each key "
	  "once expected)\n" },
	{ "control character", "[renewd]\nsocket = /run/a\rb\n",
	  "t.conf:2: control character 0x0d at column 16 (printable text "
	  "expected)\n" },
	{ "escape character", "[renewd]\nlang = \x1b[31m\n",
	  "t.conf:2: control character 0x1b at column 8 (printable text "
	  "expected)\n" },
	{ "invalid UTF-8", "[target www.example.jp]\nexpect = O=\xe6\x9d\n",
	  "t.conf:2: invalid UTF-8 at column 12 (UTF-8 text expected)\n" },
	{ "overlong UTF-8", "[renewd]\nlang = \xc0\xaf\n",
	  "t.conf:2: invalid UTF-8 at column 8 (UTF-8 text expected)\n" },
	{ "C1 control character", "[renewd]\nlang = \xc2\x85\n",
	  "t.conf:2: control character U+0085 at column 8 (printable text "
	  "expected)\n" },

	/* empty values */
	{ "empty values",
	  "[renewd]\nstate_dir =\ntimeout =\nthresholds =\nlang =\n"
	  "[mail]\nfrom =\nurl = ; none\n",
	  "t.conf:2: state_dir: empty value (an absolute path expected)\n"
	  "t.conf:3: timeout: empty value (a duration such as 10s expected)\n"
	  "t.conf:4: thresholds: empty value (days such as 90, 60, 30 or "
	  "shares such as 33% expected)\n"
	  "t.conf:5: lang: empty value (one of the listed words expected)\n"
	  "t.conf:7: from: empty value (an e-mail address expected)\n"
	  "t.conf:8: url: empty value (a URL expected)\n" },

	{ "value starting with a semicolon", "[renewd]\nsocket_group =;x\n",
	  "t.conf:2: socket_group: the value starts with ';' (a name expected; "
	  "white space before ';' starts a comment)\n" },

	/* durations */
	{ "duration without a unit", "[renewd]\npoll_interval = 3600\n",
	  "t.conf:2: poll_interval: '3600' is not a duration (a number and a "
	  "unit, e.g. 90s, 10m, 6h, 2d, 1w, expected)\n" },
	{ "unknown unit", "[renewd]\npoll_interval = 6x\ntimeout = 10 s\n",
	  "t.conf:2: poll_interval: '6x' is not a duration (a number and a "
	  "unit, e.g. 90s, 10m, 6h, 2d, 1w, expected)\n"
	  "t.conf:3: timeout: '10 s' is not a duration (a number and a unit, "
	  "e.g. 500ms, 10s, 2m, expected)\n" },
	{ "ms is not a unit of poll_interval",
	  "[renewd]\npoll_interval = 500ms\n",
	  "t.conf:2: poll_interval: '500ms' is not a duration (a number and a "
	  "unit, e.g. 90s, 10m, 6h, 2d, 1w, expected)\n" },
	{ "negative duration", "[renewd]\ntimeout = -1s\n",
	  "t.conf:2: timeout: '-1s' is not a duration (a number and a unit, "
	  "e.g. 500ms, 10s, 2m, expected)\n" },
	{ "duration out of range",
	  "[renewd]\npoll_interval = 0s\ntimeout = 1h\n[mail]\ntimeout = 5ms\n",
	  "t.conf:2: poll_interval: 0s is out of range (1s..30d expected)\n"
	  "t.conf:3: timeout: 1h is out of range (10ms..10m expected)\n"
	  "t.conf:5: timeout: 5ms is out of range (10ms..10m expected)\n" },
	{ "duration overflow",
	  "[renewd]\npoll_interval = 99999999999999999999s\n",
	  "t.conf:2: poll_interval: '99999999999999999999s' is not a duration "
	  "(a number and a unit, e.g. 90s, 10m, 6h, 2d, 1w, expected)\n" },

	/* numbers */
	{ "concurrency bounds",
	  "[renewd]\nconcurrency = 0\n[ca]\nreview_days_ev = 366\n",
	  "t.conf:2: concurrency: 0 is out of range (1..100000 expected)\n"
	  "t.conf:4: review_days_ev: 366 is out of range (0..365 expected)\n" },
	{ "concurrency too big", "[renewd]\nconcurrency = 100001\n",
	  "t.conf:2: concurrency: 100001 is out of range (1..100000 "
	  "expected)\n" },
	{ "not a number", "[renewd]\nconcurrency = 6 4\n[ca]\n"
	  "install_days = -1\n",
	  "t.conf:2: concurrency: '6 4' is not a number (1..100000 expected)\n"
	  "t.conf:4: install_days: '-1' is not a number (0..365 expected)\n" },
	{ "ports", "[target a.example.jp]\nport = 0\n[target b.example.jp]\n"
	  "port = 65536\n[target c.example.jp]\nport = https\n",
	  "t.conf:2: port: '0' is not a port (1..65535 expected)\n"
	  "t.conf:4: port: '65536' is not a port (1..65535 expected)\n"
	  "t.conf:6: port: 'https' is not a port (1..65535 expected)\n" },

	/* times and dates */
	{ "time of day", "[renewd]\nremind_at = 24:00\n",
	  "t.conf:2: remind_at: '24:00' is not a time of day (HH:MM from "
	  "00:00 to 23:59 expected)\n" },
	{ "time of day shapes", "[renewd]\nremind_at = 9\n[renewd]\n",
	  "t.conf:2: remind_at: '9' is not a time of day (HH:MM from 00:00 "
	  "to 23:59 expected)\n"
	  "t.conf:3: duplicate section [renewd] (first at line 1; each "
	  "section once expected)\n" },
	{ "dates", "[target a.example.jp]\ncontract_end = 2027-02-29\n"
	  "[target b.example.jp]\ncontract_end = 2027-13-01\n"
	  "[target c.example.jp]\ncontract_end = 27-03-31\n"
	  "[target d.example.jp]\ncontract_end = 2027/03/31\n",
	  "t.conf:2: contract_end: '2027-02-29' is not a date (a real date "
	  "YYYY-MM-DD expected)\n"
	  "t.conf:4: contract_end: '2027-13-01' is not a date (a real date "
	  "YYYY-MM-DD expected)\n"
	  "t.conf:6: contract_end: '27-03-31' is not a date (a real date "
	  "YYYY-MM-DD expected)\n"
	  "t.conf:8: contract_end: '2027/03/31' is not a date (a real date "
	  "YYYY-MM-DD expected)\n" },

	/* thresholds */
	{ "thresholds", "[renewd]\nthresholds = 90, 0\n",
	  "t.conf:2: thresholds: threshold 0 is out of range (1..3650 days "
	  "expected)\n" },
	{ "threshold too far", "[renewd]\nthresholds = 3651\n",
	  "t.conf:2: thresholds: threshold 3651 is out of range (1..3650 days "
	  "expected)\n" },
	{ "percent bounds", "[renewd]\nthresholds = 100%\n",
	  "t.conf:2: thresholds: threshold 100% is out of range (1%..99% "
	  "expected)\n" },
	{ "threshold listed twice", "[renewd]\nthresholds = 30, 60, 30\n",
	  "t.conf:2: thresholds: threshold 30 is listed twice (each threshold "
	  "once expected)\n" },
	{ "threshold words", "[renewd]\nthresholds = 90d\n",
	  "t.conf:2: thresholds: '90d' is not a threshold (days 1..3650 or a "
	  "share 1%..99% expected)\n" },
	{ "empty list item", "[renewd]\nthresholds = 90,,30\n",
	  "t.conf:2: thresholds: empty item in the list (comma-separated "
	  "values expected)\n" },
	{ "trailing comma", "[mail]\nto = a@example.jp,\n",
	  "t.conf:2: to: empty item in the list (comma-separated values "
	  "expected)\n" },

	/* enums and booleans */
	{ "enums", "[renewd]\nlang = fr\n[target a.example.jp]\n"
	  "starttls = ldap\nproduct = dv\n",
	  "t.conf:2: lang: unknown value 'fr' (en or ja expected)\n"
	  "t.conf:4: starttls: unknown value 'ldap' (none, smtp, imap or pop3 "
	  "expected)\n"
	  "t.conf:5: product: unknown value 'dv' (ssl or ev expected)\n" },
	{ "boolean", "[mail]\nrequire_tls = true\n",
	  "t.conf:2: require_tls: 'true' is not yes or no (yes or no "
	  "expected)\n" },
	{ "charset", "[mail]\ncharset = shift_jis\n",
	  "t.conf:2: charset: unknown value 'shift_jis' (utf-8 or iso-2022-jp "
	  "expected)\n" },

	/* addresses */
	{ "nameservers", "[renewd]\nnameservers = 127.0.0.1:0, ::1:53, "
	  "dns.example.jp\n",
	  "t.conf:2: nameservers: '127.0.0.1:0' is not a name server "
	  "(ip[:port] or [ipv6]:port expected)\n" },
	{ "nameserver by name", "[renewd]\nnameservers = dns.example.jp\n",
	  "t.conf:2: nameservers: 'dns.example.jp' is not a name server "
	  "(ip[:port] or [ipv6]:port expected)\n" },
	{ "nameserver twice", "[renewd]\nnameservers = 127.0.0.1, "
	  "127.0.0.1:53\n",
	  "t.conf:2: nameservers: '127.0.0.1' is listed twice (each one once "
	  "expected)\n" },
	{ "metrics_listen", "[renewd]\nmetrics_listen = 127.0.0.1\n",
	  "t.conf:2: metrics_listen: '127.0.0.1' is not an address and port "
	  "(ip:port or [ipv6]:port, e.g. 127.0.0.1:9793, expected)\n" },
	{ "metrics_listen by name", "[renewd]\nmetrics_listen = localhost:9793\n",
	  "t.conf:2: metrics_listen: 'localhost:9793' is not an address and "
	  "port (ip:port or [ipv6]:port, e.g. 127.0.0.1:9793, expected)\n" },
	{ "addresses", "[target a.example.jp]\naddresses = 192.0.2.1, "
	  "192.0.2.300\n",
	  "t.conf:2: addresses: '192.0.2.300' is not an IP address (IPv4 or "
	  "IPv6 addresses, comma-separated expected)\n" },
	{ "address with a port", "[target a.example.jp]\naddresses = "
	  "192.0.2.1:443\n",
	  "t.conf:2: addresses: '192.0.2.1:443' is not an IP address (IPv4 or "
	  "IPv6 addresses, comma-separated expected)\n" },
	{ "address twice", "[target a.example.jp]\naddresses = ::1, 0:0::1\n",
	  "t.conf:2: addresses: '::1' is listed twice (each one once "
	  "expected)\n" },
	{ "names", "[target a.example.jp]\nnames = *.example.jp\n",
	  "t.conf:2: names: '*.example.jp' is not a host name (host names or "
	  "IP addresses, comma-separated; no wildcards expected)\n" },
	{ "Japanese IDN must be an A-label",
	  "[target a.example.jp]\nnames = 例え.jp\n",
	  "t.conf:2: names: '例え.jp' is not a host name (host names or IP "
	  "addresses, comma-separated; no wildcards expected)\n" },
	{ "name twice", "[target a.example.jp]\nnames = b.example.jp, "
	  "B.example.jp\n",
	  "t.conf:2: names: 'b.example.jp' is listed twice (each one once "
	  "expected)\n" },
	{ "label too long",
	  "[target a.example.jp]\nnames = "
	  "a1234567890123456789012345678901234567890123456789012345678901234."
	  "jp\n",
	  "t.conf:2: names: 'a1234567890123456789012345678901234567890123456"
	  "78901234567890123...' is not a host name (host names or IP "
	  "addresses, comma-separated; no wildcards expected)\n" },

	/* mail */
	{ "e-mail addresses", "[mail]\nfrom = renewd\n"
	  "to = a@example.jp, Admins <b@example.jp>\n"
	  "[target a.example.jp]\nnotify = a@@example.jp\n",
	  "t.conf:2: from: 'renewd' is not an e-mail address (one "
	  "local@domain expected)\n"
	  "t.conf:3: to: 'Admins <b@example.jp>' is not an e-mail address "
	  "(local@domain, comma-separated expected)\n"
	  "t.conf:5: notify: 'a@@example.jp' is not an e-mail address "
	  "(local@domain, comma-separated expected)\n" },
	{ "two addresses in from", "[mail]\nfrom = a@example.jp, b@example.jp\n",
	  "t.conf:2: from: 'a@example.jp, b@example.jp' is not an e-mail "
	  "address (one local@domain expected)\n" },
	{ "dots in the local part", "[mail]\nfrom = a..b@example.jp\n",
	  "t.conf:2: from: 'a..b@example.jp' is not an e-mail address (one "
	  "local@domain expected)\n" },
	{ "mail url", "[mail]\nurl = http://127.0.0.1:25\n",
	  "t.conf:2: url: 'http://127.0.0.1:25' is not a URL starting smtp:// "
	  "or smtps:// with a host (e.g. smtp://127.0.0.1:25 expected)\n" },
	{ "mail url without a host", "[mail]\nurl = smtp://\n",
	  "t.conf:2: url: 'smtp://' is not a URL starting smtp:// or smtps:// "
	  "with a host (e.g. smtp://127.0.0.1:25 expected)\n" },
	{ "webhook url", "[webhook]\nurl = ftp://example.jp/\n",
	  "t.conf:2: url: 'ftp://example.jp/' is not a URL starting http:// "
	  "or https:// with a host (e.g. http://127.0.0.1:8080/hook "
	  "expected)\n" },
	{ "relative paths", "[renewd]\nca_file = certs.pem\n[mail]\n"
	  "password_file = smtp.pass\n",
	  "t.conf:2: ca_file: 'certs.pem' is not an absolute path (a path "
	  "starting with / expected)\n"
	  "t.conf:4: password_file: 'smtp.pass' is not an absolute path (a "
	  "path starting with / expected)\n" },
	{ "group with a space", "[renewd]\nadmin_group = ssl admins\n",
	  "t.conf:2: admin_group: 'ssl admins' contains a space or a comma (a "
	  "single name expected)\n" },

	/* [ca] */
	{ "maintenance", "[ca]\nmaintenance = last-wed 20:00-08:00\n",
	  "t.conf:2: maintenance: 'last-wed 20:00-08:00' is not a monthly "
	  "window (NTH-DAY HH:MM-HH:MM such as 4th-wed 20:00-08:00, with "
	  "1st..5th and mon..sun, or none expected)\n" },
	{ "maintenance shapes", "[ca]\nmaintenance = 4th-wed\n",
	  "t.conf:2: maintenance: '4th-wed' is not a monthly window (NTH-DAY "
	  "HH:MM-HH:MM such as 4th-wed 20:00-08:00, with 1st..5th and "
	  "mon..sun, or none expected)\n" },
	{ "maintenance times", "[ca]\nmaintenance = 4th-wed 20:00-25:00\n",
	  "t.conf:2: maintenance: '4th-wed 20:00-25:00' is not a monthly "
	  "window (NTH-DAY HH:MM-HH:MM such as 4th-wed 20:00-08:00, with "
	  "1st..5th and mon..sun, or none expected)\n" },
	{ "empty maintenance window", "[ca]\nmaintenance = 4th-wed 20:00-20:00\n",
	  "t.conf:2: maintenance: '4th-wed 20:00-20:00' is an empty window "
	  "(different start and end times expected)\n" },
	{ "closed", "[ca]\nclosed = 12-29..01-32\n",
	  "t.conf:2: closed: '12-29..01-32' is not a day range (MM-DD..MM-DD, "
	  "e.g. 12-29..01-03, or one MM-DD expected)\n" },
	{ "closed shapes", "[ca]\nclosed = 12-29 - 01-03\n",
	  "t.conf:2: closed: '12-29 - 01-03' is not a day range "
	  "(MM-DD..MM-DD, e.g. 12-29..01-03, or one MM-DD expected)\n" },
	{ "closed on Feb 30", "[ca]\nclosed = 02-30\n",
	  "t.conf:2: closed: '02-30' is not a day range (MM-DD..MM-DD, e.g. "
	  "12-29..01-03, or one MM-DD expected)\n" },

	/* expect */
	{ "expect field", "[target a.example.jp]\nexpect = E=a@example.jp\n",
	  "t.conf:2: expect: 'E' is not a subject field (CN, OU, O, L, ST or C "
	  "expected)\n" },
	{ "expect without =", "[target a.example.jp]\nexpect = O=A, Tokyo\n",
	  "t.conf:2: expect: 'Tokyo' has no '=' (KEY=VALUE with CN, OU, O, L, "
	  "ST or C expected; \\, for a comma in a value)\n" },
	{ "expect twice", "[target a.example.jp]\nexpect = O=A, o=B\n",
	  "t.conf:2: expect: O is given twice (each field once expected)\n" },
	{ "expect country", "[target a.example.jp]\nexpect = C=JPN\n",
	  "t.conf:2: expect: C='JPN' is not a country code (two letters such "
	  "as JP expected)\n" },
	{ "expect escape", "[target a.example.jp]\nexpect = O=a\\nb\n",
	  "t.conf:2: expect: '\\n' is not an escape (\\, for a comma or \\\\ "
	  "for a backslash expected)\n" },
	{ "expect empty item", "[target a.example.jp]\nexpect = O=a,,C=JP\n",
	  "t.conf:2: expect: empty item in the list (comma-separated "
	  "KEY=VALUE expected)\n" },

	/* all errors, in line order, nothing stops early */
	{ "many errors at once",
	  "oops\n[renewd]\ntimeout = x\nconcurrency = 0\nfoo = 1\n[bar]\n"
	  "baz = 2\n[target www.example.jp]\nport = 0\n",
	  "t.conf:1: 'oops' is not a setting (key = value expected)\n"
	  "t.conf:3: timeout: 'x' is not a duration (a number and a unit, "
	  "e.g. 500ms, 10s, 2m, expected)\n"
	  "t.conf:4: concurrency: 0 is out of range (1..100000 expected)\n"
	  "t.conf:5: unknown key 'foo' in [renewd] (one of state_dir, socket, "
	  "socket_group, admin_group, poll_interval, concurrency, timeout, "
	  "ca_file, nameservers, hosts_file, thresholds, remind_at, lang, "
	  "metrics_listen expected)\n"
	  "t.conf:6: unknown section [bar] ([renewd], [ca], [mail], [webhook] "
	  "or [target NAME] expected)\n"
	  "t.conf:9: port: '0' is not a port (1..65535 expected)\n" },
};

static void
test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *errs = parse_errors(c->text, NULL);

		if (strcmp(errs, c->errors) != 0) {
			print_error("%s:\nwant:\n%sgot:\n%s", c->what,
			    c->errors, errs);
			fail();
		}
		free(errs);
	}
}

static void
test_long_line(void **state)
{
	struct buf b = { 0 };
	char *errs, *want;
	size_t len;

	(void)state;
	buf_adds(&b, "[target www.example.jp]\nnames = www.example.jp");
	while (b.len < CONFIG_LINE_MAX + 100)
		buf_adds(&b, ", example.jp");
	len = strlen(strchr(b.data, '\n') + 1);
	buf_adds(&b, "\nport = 0\n");
	errs = parse_errors(b.data, NULL);
	want = xasprintf("t.conf:2: line is %zu bytes long (at most %d bytes "
	    "per line expected)\nt.conf:3: port: '0' is not a port (1..65535 "
	    "expected)\n", len, CONFIG_LINE_MAX);
	assert_string_equal(errs, want);
	free(errs);
	free(want);
	buf_free(&b);

	/* A line of exactly CONFIG_LINE_MAX bytes is fine. */
	buf_adds(&b, "[renewd]\nstate_dir = /");
	while (b.len < 9 + CONFIG_LINE_MAX)
		buf_adds(&b, "x");
	buf_adds(&b, "\n");
	errs = parse_errors(b.data, NULL);
	assert_string_equal(errs, "");
	free(errs);
	buf_free(&b);
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "[renewd]\nlang = e\0n\nconcurrency = 0\n";
	struct strlist errors = { 0 };
	struct config *cfg = config_new();
	char *s;

	(void)state;
	assert_int_equal(config_parse_len(cfg, "t.conf", text,
	    sizeof(text) - 1, &errors), -1);
	s = join(&errors);
	assert_string_equal(s,
	    "t.conf:2: NUL byte 0x00 at column 9 (printable text expected)\n"
	    "t.conf:3: concurrency: 0 is out of range (1..100000 expected)\n");
	free(s);
	strlist_free(&errors);
	config_free(cfg);
}

/* ---- single-value parsers ----------------------------------------------- */

struct dur_case {
	const char	*what;
	const char	*in;
	int		 ms;
	int		 ok;
	int64_t		 want;
};

static const struct dur_case dur_cases[] = {
	{ "seconds", "90s", 0, 1, 90 },
	{ "minutes", "10m", 0, 1, 600 },
	{ "hours", "6h", 0, 1, 21600 },
	{ "days", "2d", 0, 1, 172800 },
	{ "weeks", "1w", 0, 1, 604800 },
	{ "compound", "1d12h", 0, 1, 129600 },
	{ "zero", "0s", 0, 1, 0 },
	{ "plain number", "90", 0, 0, 0 },
	{ "empty", "", 0, 0, 0 },
	{ "unit alone", "s", 0, 0, 0 },
	{ "ms in seconds", "500ms", 0, 0, 0 },
	{ "capital unit", "6H", 0, 0, 0 },
	{ "space", "6 h", 0, 0, 0 },
	{ "sign", "+6h", 0, 0, 0 },
	{ "fraction", "1.5h", 0, 0, 0 },
	{ "overflow", "9223372036854775807w", 0, 0, 0 },
	{ "ms", "500ms", 1, 1, 500 },
	{ "s in ms", "10s", 1, 1, 10000 },
	{ "m in ms", "2m", 1, 1, 120000 },
	{ "h in ms", "1h", 1, 1, 3600000 },
	{ "compound ms", "1s500ms", 1, 1, 1500 },
	{ "plain number ms", "500", 1, 0, 0 },
};

static void
test_durations(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(dur_cases); i++) {
		const struct dur_case *c = &dur_cases[i];
		int64_t v = -1;
		int rc = c->ms ? parse_duration_ms(c->in, &v) :
		    parse_duration(c->in, &v);

		if (rc != (c->ok ? 0 : -1) || (c->ok && v != c->want)) {
			print_error("%s: '%s' gave %d, %lld\n", c->what, c->in,
			    rc, (long long)v);
			fail();
		}
	}
}

static void
test_time_of_day(void **state)
{
	static const struct {
		const char	*in;
		int		 want;	/* -1: rejected */
	} cases[] = {
		{ "00:00", 0 }, { "09:00", 540 }, { "9:00", 540 },
		{ "23:59", 1439 }, { "24:00", -1 }, { "12:60", -1 },
		{ "12:5", -1 }, { "123:00", -1 }, { "12:00 ", -1 },
		{ "", -1 }, { ":30", -1 }, { "12-30", -1 },
	};
	int m;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		m = -1;
		if (cases[i].want < 0)
			assert_int_equal(parse_time_of_day(cases[i].in, &m), -1);
		else {
			assert_int_equal(parse_time_of_day(cases[i].in, &m), 0);
			assert_int_equal(m, cases[i].want);
		}
	}
}

static void
test_hostport(void **state)
{
	static const struct {
		const char	*in;
		int		 def;
		const char	*host;	/* NULL: rejected */
		int		 port;
	} cases[] = {
		{ "127.0.0.1:5353", 53, "127.0.0.1", 5353 },
		{ "127.0.0.1", 53, "127.0.0.1", 53 },
		{ "127.0.0.1", 0, NULL, 0 },
		{ "[::1]:53", 0, "::1", 53 },
		{ "[::1]", 53, "::1", 53 },
		{ "::1", 53, "::1", 53 },
		{ "2001:DB8::1", 53, "2001:db8::1", 53 },
		{ "[::1]x", 53, NULL, 0 },
		{ "[::1", 53, NULL, 0 },
		{ "127.0.0.1:", 53, NULL, 0 },
		{ "127.0.0.1:65536", 53, NULL, 0 },
		{ "127.0.0.1:0", 53, NULL, 0 },
		{ "localhost:53", 53, NULL, 0 },
		{ ":53", 53, NULL, 0 },
		{ "", 53, NULL, 0 },
	};
	char host[64];
	uint16_t port;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		int rc = parse_hostport(cases[i].in, cases[i].def, host,
		    sizeof(host), &port);

		if (cases[i].host == NULL) {
			if (rc != -1) {
				print_error("'%s' accepted\n", cases[i].in);
				fail();
			}
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(starttls_name(STARTTLS_NONE), "none");
	assert_string_equal(starttls_name(STARTTLS_SMTP), "smtp");
	assert_string_equal(starttls_name(STARTTLS_IMAP), "imap");
	assert_string_equal(starttls_name(STARTTLS_POP3), "pop3");
	assert_string_equal(product_name(PRODUCT_SSL), "ssl");
	assert_string_equal(product_name(PRODUCT_EV), "ev");
	assert_string_equal(lang_name(LANG_EN), "en");
	assert_string_equal(lang_name(LANG_JA), "ja");
}

/* ---- targets ------------------------------------------------------------- */

static void
test_find_target(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("find", "[target a.example.jp]\n[target ::1]\n"
	    "[target b.example.jp]\nport = 8443\n");
	assert_ptr_equal(config_find_target(cfg, "a.example.jp"),
	    &cfg->targets[0]);
	assert_ptr_equal(config_find_target(cfg, "::1"), &cfg->targets[1]);
	assert_ptr_equal(config_find_target(cfg, "B.EXAMPLE.JP"),
	    &cfg->targets[2]);
	assert_null(config_find_target(cfg, "c.example.jp"));
	assert_null(config_find_target(cfg, ""));
	config_free(cfg);

	/* A config built by hand (no index) is searched too. */
	cfg = config_new();
	assert_null(config_find_target(cfg, "a.example.jp"));
	config_free(cfg);
}

static void
test_many_targets(void **state)
{
	enum { N = 20000 };
	struct buf b = { 0 };
	struct config *cfg;
	char name[64];

	(void)state;
	buf_adds(&b, "[renewd]\nconcurrency = 256\n");
	for (int i = 0; i < N; i++)
		buf_printf(&b, "\n[target host%d.example.jp]\nport = %d\n"
		    "names = host%d.example.jp, alt%d.example.jp\n"
		    "expect = O=株式会社エグザンプル, C=JP\n"
		    "notify = team%d@example.jp\n", i, 1 + i % 65535, i, i,
		    i % 50);
	cfg = parse_ok("20000 targets", b.data);
	assert_int_equal(cfg->ntargets, N);
	for (int i = 0; i < N; i += 997) {
		const struct target_conf *t;

		snprintf(name, sizeof(name), "host%d.example.jp", i);
		t = config_find_target(cfg, name);
		assert_non_null(t);
		assert_string_equal(t->name, name);
		assert_int_equal(t->port, 1 + i % 65535);
		assert_int_equal(t->names.n, 2);
	}
	assert_round_trip("20000 targets", cfg);
	config_free(cfg);

	/* A duplicate at the end is found. */
	buf_adds(&b, "\n[target host7.example.jp]\n");
	{
		char *errs = parse_errors(b.data, NULL);
		char *want = xasprintf("t.conf:%d: duplicate target "
		    "'host7.example.jp' (first at line %d; each target once "
		    "expected)\n", 2 + N * 6 + 2, 2 + 7 * 6 + 2);

		assert_string_equal(errs, want);
		free(errs);
		free(want);
	}
	buf_free(&b);
}

/* ---- files --------------------------------------------------------------- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of a directory, sorted. */
static void
conf_files(const char *dir, struct strlist *out)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		print_error("%s: %s\n", dir, strerror(errno));
		fail();
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0)
			strlist_add_owned(out, xasprintf("%s/%s", dir,
			    de->d_name));
	}
	closedir(d);
	if (out->n > 0)		/* qsort()'s array must not be NULL */
		qsort(out->v, out->n, sizeof(*out->v), name_cmp);
}

static char *
sibling(const char *conf, const char *ext)
{
	return xasprintf("%.*s%s", (int)(strlen(conf) - 5), conf, ext);
}

static void
test_golden_good(void **state)
{
	struct strlist files = { 0 };

	(void)state;
	conf_files("tests/config/good", &files);
	assert_true(files.n > 0);
	for (size_t i = 0; i < files.n; i++) {
		struct strlist errors = { 0 };
		struct config *cfg = config_load(files.v[i], &errors);
		char *want_path = sibling(files.v[i], ".dump");
		char *want = file_slurp(want_path), *got;

		if (cfg == NULL) {
			got = join(&errors);
			print_error("%s: errors:\n%s", files.v[i], got);
			fail();
		}
		if (want == NULL) {
			print_error("%s: %s\n", want_path, strerror(errno));
			fail();
		}
		got = config_dump(cfg);
		if (strcmp(got, want) != 0) {
			print_error("%s: dump differs from %s:\n%s", files.v[i],
			    want_path, got);
			fail();
		}
		assert_round_trip(files.v[i], cfg);
		free(got);
		free(want);
		free(want_path);
		config_free(cfg);
		strlist_free(&errors);
	}
	strlist_free(&files);
}

static void
test_golden_bad(void **state)
{
	struct strlist files = { 0 };

	(void)state;
	conf_files("tests/config/bad", &files);
	assert_true(files.n > 0);
	for (size_t i = 0; i < files.n; i++) {
		struct strlist errors = { 0 };
		struct config *cfg = config_load(files.v[i], &errors);
		char *want_path = sibling(files.v[i], ".err");
		char *want = file_slurp(want_path), *got = join(&errors);

		if (want == NULL) {
			print_error("%s: %s\n", want_path, strerror(errno));
			fail();
		}
		if (cfg != NULL || strcmp(got, want) != 0) {
			print_error("%s: errors differ from %s:\n%s",
			    files.v[i], want_path, got);
			fail();
		}
		free(got);
		free(want);
		free(want_path);
		strlist_free(&errors);
	}
	strlist_free(&files);
}

/* The shipped example parses and shows every key of the table. */
static void
test_example_conf(void **state)
{
	struct strlist errors = { 0 };
	struct config *cfg;
	char *text, *help, *line, *save = NULL;

	(void)state;
	cfg = config_load("conf/renewd.conf", &errors);
	if (cfg == NULL) {
		char *s = join(&errors);

		print_error("conf/renewd.conf:\n%s", s);
		fail();
	}
	assert_round_trip("conf/renewd.conf", cfg);
	config_free(cfg);
	strlist_free(&errors);

	text = file_slurp("conf/renewd.conf");
	assert_non_null(text);
	help = config_help();
	for (line = strtok_r(help, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *eq, *want;

		if (line[0] == '\t' || line[0] == '[' ||
		    (eq = strstr(line, " =")) == NULL)
			continue;
		want = xasprintf("%.*s =", (int)(eq - line), line);
		if (strstr(text, want) == NULL) {
			print_error("conf/renewd.conf does not show '%s'\n",
			    want);
			fail();
		}
		free(want);
	}
	free(help);
	free(text);
}

static void
test_load_errors(void **state)
{
	struct strlist errors = { 0 };
	char dir[] = "/tmp/test_config.XXXXXX", *path, *s;
	int fd;

	(void)state;
	assert_null(config_load("tests/config/no-such-file.conf", &errors));
	s = join(&errors);
	assert_string_equal(s, "tests/config/no-such-file.conf: cannot read: "
	    "No such file or directory\n");
	free(s);
	strlist_free(&errors);

	assert_null(config_load("tests/config", &errors));
	s = join(&errors);
	assert_string_equal(s, "tests/config: cannot read: Is a directory\n");
	free(s);
	strlist_free(&errors);

	/* Too large: a sparse file, so nothing is written. */
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/big.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CONFIG_MAX_SIZE + 1), 0);
	close(fd);
	assert_null(config_load(path, &errors));
	s = join(&errors);
	{
		char *want = xasprintf("%s: cannot read: larger than 16 MiB "
		    "(a smaller file expected)\n", path);

		assert_string_equal(s, want);
		free(want);
	}
	free(s);
	strlist_free(&errors);
	unlink(path);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_target_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_time_of_day),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_find_target),
		cmocka_unit_test(test_many_targets),
		cmocka_unit_test(test_golden_good),
		cmocka_unit_test(test_golden_bad),
		cmocka_unit_test(test_example_conf),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
