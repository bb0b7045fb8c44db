/*
 * test_state.c — the state file format (src/core/state.c) and the state
 * files under state_dir (src/common/statefile.c): round trips, every kind
 * of corruption rejected with a reason, truncated files, other versions,
 * file names, and corrupt files moved aside rather than replaced.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "calendar.h"
#include "fileio.h"
#include "state.h"
#include "support/tmpdir.h"
#include "util.h"
#include "support/when.h"

/* A state with something in every field. */
static struct target_state *
rich_state(void)
{
	struct target_state *st = state_new("www.example.jp");
	struct target_result r;
	struct addr_result a[2];
	struct chain_cert chain[2];
	struct sent_notice n;

	st->cycle.active = 1;
	st->cycle.expiry = D("2027-03-31");
	st->cycle.source = EXPIRY_CERTIFICATE;
	st->cycle.state = CYCLE_APPLIED;
	st->cycle.started = T("2026-11-24T03:00:00Z");
	st->cycle.has_leaf = 1;
	assert_int_equal(state_leaf_set_hex(&st->cycle, "aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	st->cycle.leaf_not_before = T("2026-03-30T15:00:00Z");
	st->cycle.leaf_not_after = T("2027-03-31T14:59:59Z");
	st->cycle.applied_at = T("2027-03-17T01:00:00Z");

	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_REMINDER;
	n.threshold.value = 90;
	n.day = -1;
	n.due = T("2026-12-31T00:00:00Z");
	n.at = n.due;
	state_sent_add(&st->cycle, &n);
	n.threshold.value = 33;
	n.threshold.percent = 1;
	n.skipped = 1;
	state_sent_add(&st->cycle, &n);
	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_OVERDUE;
	n.day = D("2027-03-24");
	n.due = T("2027-03-24T00:00:00Z");
	n.at = T("2027-03-24T00:15:00Z");
	state_sent_add(&st->cycle, &n);

	st->last_probe = T("2027-03-20T03:00:00Z");
	st->last_probe_ok = 0;
	st->last_error = xstrdup("192.0.2.11:443: connection refused");
	st->last_success = T("2027-03-20T00:00:00Z");
	st->outage_since = T("2027-03-20T03:00:00Z");
	st->outage_notified = 0;

	memset(&r, 0, sizeof(r));
	memset(a, 0, sizeof(a));
	memset(chain, 0, sizeof(chain));
	r.started = T("2027-03-20T00:00:00Z");
	r.problems = PROB_MIXED_CERTIFICATES | PROB_UNREACHABLE;
	r.addrs = a;
	r.naddrs = 2;
	a[0].address = "192.0.2.10:443";
	a[0].ok = a[0].has_cert = 1;
	a[0].tls_version = "TLSv1.3";
	a[0].duration_ms = 42;
	a[0].cert.subject.cn = "www.example.jp";
	a[0].cert.subject.o = "例示株式会社";
	a[0].cert.subject.st = "Tokyo";
	a[0].cert.subject.l = "Chiyoda-ku";
	a[0].cert.subject.c = "JP";
	strlist_add(&a[0].cert.san, "www.example.jp");
	strlist_add(&a[0].cert.san, "example.jp");
	a[0].cert.issuer = "CN=SureServer CA,O=Example Trust,C=JP";
	a[0].cert.serial = "0a1b2c";
	memset(a[0].cert.sha256, 'b', 64);
	a[0].cert.key = "RSA-2048";
	a[0].cert.key_bits = 2048;
	a[0].cert.sig_alg = "sha256WithRSAEncryption";
	a[0].cert.not_before = T("2026-03-30T15:00:00Z");
	a[0].cert.not_after = T("2027-03-31T14:59:59Z");
	chain[0].subject = "CN=SureServer CA,O=Example Trust,C=JP";
	chain[0].issuer = "CN=Example Root,O=Example Trust,C=JP";
	chain[0].not_after = T("2030-01-01T00:00:00Z");
	chain[1].subject = "CN=Example Root,O=Example Trust,C=JP";
	chain[1].issuer = NULL;
	chain[1].not_after = T("2035-01-01T00:00:00Z");
	a[0].cert.chain = chain;
	a[0].cert.nchain = 2;
	a[0].cert.verify_ok = 1;
	a[0].cert.names_ok = 1;
	a[0].cert.problems = PROB_CROSS_ROOT_CHAIN;
	a[1].address = "[2001:db8::1]:443";
	a[1].error = "connection refused";
	a[1].duration_ms = 3;
	state_set_observation(st, &r);
	strlist_free(&a[0].cert.san);

	state_history_add(st, T("2026-11-24T03:00:00Z"), "tracking",
	    "deadline 2027-03-31 from the certificate");
	state_history_add(st, T("2027-03-17T01:00:00Z"), "applied",
	    "marked applied: 注文番号 4711");
	return st;
}

static void
test_round_trip(void **unused)
{
	struct target_state *st = rich_state(), *back;
	const struct addr_result *a;
	char err[256], *text, *again;

	(void)unused;
	text = state_encode(st);
	back = state_decode(text, strlen(text), err, sizeof(err));
	if (back == NULL)
		fail_msg("%s\n%s", err, text);
	again = state_encode(back);
	assert_string_equal(text, again);

	assert_string_equal(back->target, "www.example.jp");
	assert_true(back->cycle.active);
	assert_int_equal(back->cycle.expiry, D("2027-03-31"));
	assert_int_equal(back->cycle.state, CYCLE_APPLIED);
	assert_int_equal(back->cycle.applied_at, T("2027-03-17T01:00:00Z"));
	assert_int_equal(back->cycle.issued_at, 0);
	assert_int_equal(back->cycle.nsent, 3);
	assert_true(back->cycle.sent[1].threshold.percent);
	assert_int_equal(back->cycle.sent[1].threshold.value, 33);
	assert_true(back->cycle.sent[1].skipped);
	assert_int_equal(back->cycle.sent[2].day, D("2027-03-24"));
	assert_int_equal(back->cycle.sent[0].day, -1);
	assert_int_equal(back->outage_since, T("2027-03-20T03:00:00Z"));
	assert_string_equal(back->last_error,
	    "192.0.2.11:443: connection refused");
	assert_non_null(back->observation);
	assert_int_equal(back->observation->naddrs, 2);
	assert_int_equal(back->observation->problems,
	    PROB_MIXED_CERTIFICATES | PROB_UNREACHABLE);
	a = &back->observation->addrs[0];
	assert_true(a->has_cert);
	assert_string_equal(a->cert.subject.o, "例示株式会社");
	assert_null(a->cert.subject.ou);
	assert_int_equal(a->cert.san.n, 2);
	assert_int_equal(a->cert.nchain, 2);
	assert_null(a->cert.chain[1].issuer);
	assert_int_equal(a->cert.not_after, T("2027-03-31T14:59:59Z"));
	assert_int_equal(a->cert.problems, PROB_CROSS_ROOT_CHAIN);
	assert_false(back->observation->addrs[1].has_cert);
	assert_string_equal(back->observation->addrs[1].error,
	    "connection refused");
	assert_int_equal(back->nhistory, 2);
	assert_string_equal(back->history[1].note, "marked applied: 注文番号 4711");
	{
		char hex[65];

		state_leaf_hex(&back->cycle, hex);
		assert_string_equal(hex, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaa");
	}
	free(again);

	/* written compact: one line; a file written indented (as before)
	 * reads the same */
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	{
		json_error_t jerr;
		json_t *j = json_loads(text, 0, &jerr);
		char *indented;
		struct target_state *old;

		assert_non_null(j);
		indented = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		json_decref(j);
		assert_non_null(strchr(indented, '\n'));
		old = state_decode(indented, strlen(indented), err, sizeof(err));
		if (old == NULL)
			fail_msg("%s", err);
		again = state_encode(old);
		assert_string_equal(text, again);
		free(again);
		free(indented);
		state_free(old);
	}

	free(text);
	state_free(back);
	state_free(st);

	/* a fresh state round trips too */
	st = state_new("fresh.example.jp");
	text = state_encode(st);
	back = state_decode(text, strlen(text), err, sizeof(err));
	assert_non_null(back);
	assert_false(back->cycle.active);
	assert_null(back->observation);
	assert_int_equal(back->last_probe, 0);
	free(text);
	state_free(back);
	state_free(st);
}

static void
test_bounded(void **unused)
{
	struct target_state *st = state_new("x.example.jp");
	struct sent_notice n;
	char note[32];

	(void)unused;
	for (int i = 0; i < STATE_HISTORY_MAX + 50; i++) {
		snprintf(note, sizeof(note), "event %d", i);
		state_history_add(st, 1000 + i, "notice", note);
	}
	assert_int_equal(st->nhistory, STATE_HISTORY_MAX);
	assert_string_equal(st->history[0].note, "event 50");
	assert_string_equal(st->history[STATE_HISTORY_MAX - 1].note,
	    "event 249");
	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_INSTALL;
	for (int i = 0; i < STATE_SENT_MAX + 5; i++) {
		n.day = i;
		state_sent_add(&st->cycle, &n);
	}
	assert_int_equal(st->cycle.nsent, STATE_SENT_MAX);
	assert_int_equal(st->cycle.sent[0].day, 5);
	state_free(st);
}

/* Set (or delete, when json is NULL) the value at a dotted path such as
 * "cycle.sent.0.due" in `root`. */
static void
json_mutate(json_t *root, const char *path, const char *json)
{
	char *copy = xstrdup(path), *p = copy, *key;
	json_t *cur = root, *v = NULL;

	if (json != NULL) {
		json_error_t e;

		v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if (v == NULL)
			fail_msg("bad JSON in test: %s", json);
	}
	for (;;) {
		char *dot = strchr(p, '.');
		char *end;
		unsigned long idx;

		key = p;
		if (dot != NULL)
			*dot = '\0';
		idx = strtoul(key, &end, 10);
		if (dot == NULL) {
			if (json_is_array(cur) && *end == '\0') {
				if (v == NULL)
					json_array_remove(cur, idx);
				else
					json_array_set_new(cur, idx, v);
			} else if (v == NULL)
				json_object_del(cur, key);
			else
				json_object_set_new(cur, key, v);
			break;
		}
		cur = json_is_array(cur) && *end == '\0' ?
		    json_array_get(cur, idx) : json_object_get(cur, key);
		if (cur == NULL)
			fail_msg("no %s in the test state", path);
		p = dot + 1;
	}
	free(copy);
}

static void
test_corruption(void **unused)
{
	static const struct {
		const char	*what;
		const char	*path;
		const char	*value;		/* NULL: delete */
		const char	*reason;	/* expected in the message */
	} cases[] = {
		{ "no version", "v", NULL, "v: missing" },
		{ "a newer version", "v", "2", "version 2 is not supported" },
		{ "an older version", "v", "0", "version 0 is not supported" },
		{ "version as text", "v", "\"1\"", "v: not an integer" },
		{ "no target", "target", NULL, "target: missing" },
		{ "empty target", "target", "\"\"", "target: empty" },
		{ "target a number", "target", "7", "target: not a string" },
		{ "cycle a list", "cycle", "[]", "cycle: not an object" },
		{ "no expiry", "cycle.expiry", NULL, "cycle.expiry: missing" },
		{ "Feb 30", "cycle.expiry", "\"2027-02-30\"",
		    "cycle.expiry: not a date" },
		{ "expiry a number", "cycle.expiry", "20270331",
		    "cycle.expiry: not a string" },
		{ "unknown source", "cycle.source", "\"guess\"",
		    "cycle.source: not" },
		{ "unknown state", "cycle.state", "\"renewing\"",
		    "cycle.state: unknown state" },
		{ "applied without its time", "cycle.applied_at", "null",
		    "cycle.state: \"applied\" without its time" },
		{ "bad started", "cycle.started", "\"yesterday\"",
		    "cycle.started: not a time" },
		{ "started null", "cycle.started", "null",
		    "cycle.started: not a string" },
		{ "leaf hash short", "cycle.leaf.sha256", "\"abc\"",
		    "cycle.leaf.sha256: not a lower-case hex SHA-256" },
		{ "leaf hash upper case", "cycle.leaf.sha256",
		    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
		    "not a lower-case hex" },
		{ "sent not a list", "cycle.sent", "{}", "cycle.sent: not an "
		    "array" },
		{ "unknown kind", "cycle.sent.0.kind", "\"postcard\"",
		    "cycle.sent[0].kind: unknown kind" },
		{ "threshold text", "cycle.sent.0.threshold", "\"90\"",
		    "cycle.sent[0].threshold: not a share" },
		{ "threshold negative", "cycle.sent.0.threshold", "-1",
		    "cycle.sent[0].threshold: out of range" },
		{ "share over 100", "cycle.sent.1.threshold", "\"150%\"",
		    "cycle.sent[1].threshold: not a share" },
		{ "threshold on overdue", "cycle.sent.2.threshold", "5",
		    "cycle.sent[2].threshold: only reminders" },
		{ "overdue without day", "cycle.sent.2.day", "null",
		    "cycle.sent[2].day: missing for overdue" },
		{ "bad due", "cycle.sent.0.due", "\"2026-13-01T00:00:00Z\"",
		    "cycle.sent[0].due: not a time" },
		{ "skipped as 0", "cycle.sent.0.skipped", "0",
		    "cycle.sent[0].skipped: not true or false" },
		{ "last_probe_ok text", "last_probe_ok", "\"yes\"",
		    "last_probe_ok: not true or false" },
		{ "outage without since", "outage.since", NULL,
		    "outage.since: missing" },
		{ "observation a string", "observation", "\"x\"",
		    "observation: not an object" },
		{ "problems out of range", "observation.problems", "99999",
		    "observation.problems: out of range" },
		{ "address too long", "observation.addresses.0.address",
		    "\"0123456789012345678901234567890123456789012345678901234567890123456789\"",
		    "observation.addresses[0].address: longer than 63" },
		{ "cert hash", "observation.addresses.0.cert.sha256", "null",
		    "observation.addresses[0].cert.sha256: not a string" },
		{ "san entry", "observation.addresses.0.cert.san.1", "5",
		    "observation.addresses[0].cert.san[1]: not a string" },
		{ "chain time", "observation.addresses.0.cert.chain.0.not_after",
		    "\"soon\"", "chain[0].not_after: not a time" },
		{ "key_bits negative", "observation.addresses.0.cert.key_bits",
		    "-5", "key_bits: out of range" },
		{ "subject missing", "observation.addresses.0.cert.subject",
		    NULL, "cert.subject: missing" },
		{ "history an object", "history", "{}", "history: not an array" },
		{ "event word", "history.0.event", "\"Bad Word\"",
		    "history[0].event: not an event word" },
		{ "event too long", "history.0.event",
		    "\"averyveryverylongeventword\"", "history[0].event: longer" },
		{ "note missing", "history.1.note", NULL,
		    "history[1].note: missing" },
		{ "a NUL in a note", "history.1.note", "\"a\\u0000b\"",
		    "not JSON" },
		{ "before 1970", "last_probe", "\"1969-12-31T23:59:59Z\"",
		    "last_probe: before 1970" },
		/* Quoted values are made safe: the reason is logged. */
		{ "control byte in a time", "observation.at",
		    "\"2027-03-20T00:\\u007f00:00Z\"",
		    "not a time: \"2027-03-20T00:\\x7f00:00Z\"" },
		{ "escape in a kind", "cycle.sent.0.kind",
		    "\"\\u001b[2Jreminder\"",
		    "unknown kind \"\\x1b[2Jreminder\"" },
	};
	struct target_state *st = rich_state();
	char *good = state_encode(st), err[256];
	json_error_t jerr;

	(void)unused;
	for (size_t i = 0; i < nitems(cases); i++) {
		json_t *root = json_loads(good, 0, &jerr);
		struct target_state *bad;
		char *text;

		assert_non_null(root);
		json_mutate(root, cases[i].path, cases[i].value);
		text = json_dumps(root, JSON_PRESERVE_ORDER);
		json_decref(root);
		bad = state_decode(text, strlen(text), err, sizeof(err));
		if (bad != NULL)
			fail_msg("%s: accepted", cases[i].what);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("%s: \"%s\", expected \"%s\"", cases[i].what,
			    err, cases[i].reason);
		free(text);
	}
	free(good);
	state_free(st);
}

static void
test_not_a_state(void **unused)
{
	static const struct {
		const char	*what;
		const char	*text;
		const char	*reason;
	} cases[] = {
		{ "empty", "", "empty file" },
		{ "blank", "  \n", "not JSON" },
		{ "garbage", "\x7f" "ELF\x02\x01", "not JSON" },
		{ "a list", "[1, 2]", "not an object" },
		{ "a number", "1", "not JSON" },
		{ "duplicate keys", "{\"v\": 1, \"v\": 1}", "not JSON" },
		{ "trailing garbage", "{\"v\": 1} x", "not JSON" },
		{ "invalid UTF-8", "{\"v\": 1, \"target\": \"\xff\"}", "not JSON" },
		/* jansson quotes these; the reason is logged: made safe */
		{ "control bytes", "\x17\xf2p\xf2", "not JSON" },
		{ "an escape sequence", "\x1b[2J", "not JSON" },
	};
	char err[256];

	(void)unused;
	for (size_t i = 0; i < nitems(cases); i++) {
		struct target_state *st = state_decode(cases[i].text,
		    strlen(cases[i].text), err, sizeof(err));

		if (st != NULL)
			fail_msg("%s: accepted", cases[i].what);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("%s: \"%s\", expected \"%s\"", cases[i].what,
			    err, cases[i].reason);
		for (const char *p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fail_msg("%s: control character in \"%s\"",
				    cases[i].what, err);
	}
}

/* Every truncation of a good file is rejected with a reason. */
static void
test_truncated(void **unused)
{
	struct target_state *st = rich_state();
	char *good = state_encode(st), err[256];
	size_t len = strlen(good);

	(void)unused;
	assert_true(len > 2 && good[len - 1] == '\n' && good[len - 2] == '}');
	for (size_t n = 0; n < len - 1; n++) {
		/* decode from a copy of exactly n bytes (no terminator) */
		char *part = xmalloc(n + 1);
		struct target_state *bad;

		memcpy(part, good, n);
		bad = state_decode(part, n, err, sizeof(err));
		if (bad != NULL)
			fail_msg("truncated to %zu bytes: accepted", n);
		assert_true(err[0] != '\0');
		free(part);
	}
	free(good);
	state_free(st);
}

/* --- files ----------------------------------------------------------------- */

static char tmpdir[TMPDIR_MAX];

static int
setup_dir(void **unused)
{
	(void)unused;
	return tmpdir_make(tmpdir, "test_state");
}

static int
teardown_dir(void **unused)
{
	(void)unused;
	return tmpdir_remove(tmpdir);
}

/* How many directory entries start with `prefix`. */
static int
count_prefix(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void
test_file_names(void **unused)
{
	static const struct {
		const char	*name, *file;
	} cases[] = {
		{ "www.example.jp", "/d/www.example.jp.json" },
		{ "mail-01.example.jp", "/d/mail-01.example.jp.json" },
		{ "192.0.2.10", "/d/192.0.2.10.json" },
		{ "2001:db8::1", "/d/2001_3adb8_3a_3a1.json" },
		{ "../etc/passwd", "/d/_2e._2fetc_2fpasswd.json" },
		{ ".hidden", "/d/_2ehidden.json" },
		{ "a_b", "/d/a_5fb.json" },
		{ "a b", "/d/a_20b.json" },
		{ "例え.jp", "/d/_e4_be_8b_e3_81_88.jp.json" },
	};

	(void)unused;
	for (size_t i = 0; i < nitems(cases); i++) {
		char *p = statefile_path("/d", cases[i].name);

		assert_string_equal(p, cases[i].file);
		free(p);
	}
	{
		char *p = statefile_path("/d/", "x");

		assert_string_equal(p, "/d/x.json");
		free(p);
	}
}

static void
test_files(void **unused)
{
	struct target_state *st = rich_state(), *back;
	char err[512], *path, *a, *b;
	enum statefile_status rc;

	(void)unused;
	/* none yet: a fresh state */
	rc = statefile_load(tmpdir, "www.example.jp", &back, err, sizeof(err));
	assert_int_equal(rc, STATEFILE_NEW);
	assert_non_null(back);
	assert_false(back->cycle.active);
	state_free(back);

	/* save and load */
	assert_int_equal(statefile_save(tmpdir, st, err, sizeof(err)), 0);
	path = statefile_path(tmpdir, "www.example.jp");
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	rc = statefile_load(tmpdir, "www.example.jp", &back, err, sizeof(err));
	assert_int_equal(rc, STATEFILE_LOADED);
	a = state_encode(st);
	b = state_encode(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	state_free(back);
	assert_int_equal(count_prefix("www.example.jp.json.tmp"), 0);

	/* a file holding another target's state is not used */
	{
		char *other = statefile_path(tmpdir, "other.example.jp");
		char *text = state_encode(st);

		assert_int_equal(file_write_atomic(other, text, strlen(text),
		    0600), 0);
		rc = statefile_load(tmpdir, "other.example.jp", &back, err,
		    sizeof(err));
		assert_int_equal(rc, STATEFILE_CORRUPT);
		assert_non_null(strstr(err, "holds the state of "
		    "\"www.example.jp\""));
		state_free(back);
		free(other);
		free(text);
	}

	/* a corrupt file is moved aside, never replaced in place */
	{
		static const char junk[] = "{\"v\": 1, \"target\": \"www.exa";

		assert_int_equal(file_write_atomic(path, junk, sizeof(junk) - 1,
		    0600), 0);
		rc = statefile_load(tmpdir, "www.example.jp", &back, err,
		    sizeof(err));
		assert_int_equal(rc, STATEFILE_CORRUPT);
		assert_non_null(back);
		assert_false(back->cycle.active);
		assert_non_null(strstr(err, "not JSON"));
		assert_non_null(strstr(err, "moved aside"));
		assert_int_equal(access(path, F_OK), -1);
		assert_int_equal(count_prefix("www.example.jp.json.corrupt-"),
		    1);
		state_free(back);
	}

	/* a file that cannot be read is left alone */
	assert_int_equal(mkdir(path, 0700), 0);
	rc = statefile_load(tmpdir, "www.example.jp", &back, err, sizeof(err));
	assert_int_equal(rc, STATEFILE_ERROR);
	assert_null(back);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(rmdir(path), 0);

	/* a directory that cannot be written: an error, not a crash */
	{
		char *nodir = xasprintf("%s/missing", tmpdir);

		assert_int_equal(statefile_save(nodir, st, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "missing"));
		free(nodir);
	}
	free(path);
	state_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_not_a_state),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test_setup_teardown(test_files, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
