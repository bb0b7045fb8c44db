/*
 * test_outbox.c — the durable queue (src/common/outbox.c) in a temp dir:
 * submit, list, idempotent notice ids (queued and recently sent), the
 * backoff, failed entries, persistence across reopen, interrupted writes
 * and corrupt files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "outbox.h"
#include "support/notices.h"
#include "support/tmpdir.h"
#include "util.h"

/* A fresh scratch directory's "outbox" (not made yet: outbox_open does). */
static char *
make_dir(void)
{
	char tmp[TMPDIR_MAX];

	assert_int_equal(tmpdir_make(tmp, "renewd-test-outbox"), 0);
	return xasprintf("%s/outbox", tmp);
}

/* The scratch directory of make_dir() and all in it. */
static void
rm_rf(const char *dir)
{
	char *parent = xstrdup(dir);

	*strrchr(parent, '/') = '\0';
	assert_int_equal(tmpdir_remove(parent), 0);
	free(parent);
}

static size_t
count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), s = strlen(suffix);

		if (de->d_name[0] != '.' && l >= s &&
		    strcmp(de->d_name + l - s, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static struct outbox *
open_ok(const char *dir, time_t now)
{
	char err[256];
	struct outbox *ob = outbox_open(dir, now, err, sizeof(err));

	if (ob == NULL)
		fail_msg("outbox_open: %s", err);
	return ob;
}

static int hook_calls;

static void
hook(void *arg)
{
	(void)arg;
	hook_calls++;
}

static void
test_submit_list(void **state)
{
	char *dir = make_dir(), err[256];
	struct fx fx;
	struct outbox *ob;
	struct outbox_entry *const *v;
	struct outbox_counts c;
	struct stat sb;
	size_t n;

	(void)state;
	fx_init(&fx, NULL, NOTICE_REMINDER);
	ob = open_ok(dir, fx.now);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	hook_calls = 0;
	outbox_set_hook(ob, hook, NULL);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now,
	    err, sizeof(err)), 1);
	assert_int_equal(hook_calls, 1);
	/* the same notice again: nothing */
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now,
	    err, sizeof(err)), 0);
	assert_int_equal(hook_calls, 1);
	v = outbox_entries(ob, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->type, OUTBOX_MAIL);
	assert_string_equal(v[0]->target, "www.example.jp");
	assert_string_equal(v[0]->notice_id, "2027-03-31/reminder-90");
	assert_string_equal(v[0]->file,
	    "www.example.jp=2027-03-31%2freminder-90.mail");
	assert_int_equal(v[0]->kind, NOTICE_REMINDER);
	assert_int_equal(v[0]->rcpt.n, 3);
	assert_string_equal(v[0]->from, "renewd@example.jp");
	assert_non_null(strstr(v[0]->data, "Message-ID: <renewd."));
	assert_int_equal(v[0]->attempts, 0);
	assert_int_equal(v[0]->next_attempt, fx.now);
	assert_int_equal(count_files(dir, ".mail"), 1);
	{
		char *p = xasprintf("%s/%s", dir, v[0]->file);

		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		free(p);
	}
	outbox_counts(ob, &c);
	assert_int_equal(c.queued[OUTBOX_MAIL], 1);
	assert_int_equal(c.queued[OUTBOX_WEBHOOK], 0);
	assert_int_equal(c.oldest, fx.now);

	/* due now, not before; busy entries are not handed out twice */
	assert_null(outbox_next_due(ob, OUTBOX_MAIL, fx.now - 1));
	assert_ptr_equal(outbox_next_due(ob, OUTBOX_MAIL, fx.now), v[0]);
	assert_null(outbox_next_due(ob, OUTBOX_WEBHOOK, fx.now));
	v[0]->busy = 1;
	assert_null(outbox_next_due(ob, OUTBOX_MAIL, fx.now));
	assert_int_equal(outbox_next_time(ob, OUTBOX_MAIL), 0);
	v[0]->busy = 0;
	assert_int_equal(outbox_next_time(ob, OUTBOX_MAIL), fx.now);

	/* delivered: gone, and a resubmission stays a no-op */
	assert_int_equal(outbox_delivered(ob, v[0], fx.now + 5), 0);
	(void)outbox_entries(ob, &n);
	assert_int_equal(n, 0);
	assert_int_equal(count_files(dir, ".mail"), 0);
	assert_int_equal(count_files(dir, ".sent"), 1);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
	    fx.now + 10, err, sizeof(err)), 0);
	outbox_close(ob);

	/* also after a restart */
	ob = open_ok(dir, fx.now + 3600);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
	    fx.now + 3600, err, sizeof(err)), 0);
	outbox_close(ob);

	/* sent records are forgotten after OUTBOX_SENT_KEEP */
	ob = open_ok(dir, fx.now + OUTBOX_SENT_KEEP + 60);
	assert_int_equal(count_files(dir, ".sent"), 0);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
	    fx.now + OUTBOX_SENT_KEEP + 60, err, sizeof(err)), 1);
	outbox_close(ob);
	fx_free(&fx);
	rm_rf(dir);
	free(dir);
}

static void
test_backoff(void **state)
{
	static const time_t expect[] = {
		60, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600
	};
	char *dir = make_dir(), err[256];
	struct fx fx;
	struct outbox *ob;
	struct outbox_entry *e;
	time_t now;

	(void)state;
	for (size_t i = 0; i < nitems(expect); i++)
		assert_int_equal(outbox_backoff((int)i), expect[i]);
	assert_int_equal(outbox_backoff(1000000), 3600);

	fx_init(&fx, NULL, NOTICE_APPLY_BY);
	ob = open_ok(dir, fx.now);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now,
	    err, sizeof(err)), 1);
	now = fx.now;
	for (int i = 1; i <= 8; i++) {
		e = outbox_next_due(ob, OUTBOX_MAIL, now);
		assert_non_null(e);
		assert_int_equal(outbox_retry_later(ob, e, now,
		    "connect: Connection refused"), 0);
		assert_int_equal(e->attempts, i);
		assert_int_equal(e->next_attempt, now + outbox_backoff(i));
		assert_null(outbox_next_due(ob, OUTBOX_MAIL, now));
		now = e->next_attempt;
	}
	assert_string_equal(e->last_error, "connect: Connection refused");
	outbox_close(ob);

	/* the schedule survives a restart */
	ob = open_ok(dir, now - 1);
	assert_null(outbox_next_due(ob, OUTBOX_MAIL, now - 1));
	e = outbox_next_due(ob, OUTBOX_MAIL, now);
	assert_non_null(e);
	assert_int_equal(e->attempts, 8);
	assert_string_equal(e->last_error, "connect: Connection refused");

	/* a permanent refusal: kept, not due, until outbox_retry */
	assert_int_equal(outbox_failed(ob, e, now, "550 5.1.1 no such "
	    "user\r\nX: y"), 0);
	assert_true(e->failed);
	assert_string_equal(e->last_error, "550 5.1.1 no such user\\x0d\\x0aX: "
	    "y");
	assert_null(outbox_next_due(ob, OUTBOX_MAIL, now + 86400));
	outbox_close(ob);
	ob = open_ok(dir, now);
	assert_null(outbox_next_due(ob, OUTBOX_MAIL, now + 86400));
	{
		struct outbox_counts c;

		outbox_counts(ob, &c);
		assert_int_equal(c.failed[OUTBOX_MAIL], 1);
		assert_int_equal(c.queued[OUTBOX_MAIL], 0);
	}
	assert_int_equal(outbox_retry(ob, now + 10), 1);
	e = outbox_next_due(ob, OUTBOX_MAIL, now + 10);
	assert_non_null(e);
	assert_false(e->failed);
	outbox_close(ob);
	fx_free(&fx);
	rm_rf(dir);
	free(dir);
}

static void
test_reopen_and_junk(void **state)
{
	char *dir = make_dir(), err[256], *p;
	struct fx fx;
	struct outbox *ob;
	struct outbox_entry *const *v;
	size_t n;
	enum notice_kind kinds[] = { NOTICE_REMINDER, NOTICE_OVERDUE,
	    NOTICE_PROBLEM };
	char *conf = fx_conf("ja", "iso-2022-jp", NULL);
	struct buf c = { 0 };

	(void)state;
	buf_adds(&c, conf);
	buf_adds(&c, "[webhook]\nurl = http://127.0.0.1:9/hook\n");
	ob = NULL;
	for (size_t i = 0; i < nitems(kinds); i++) {
		fx_init(&fx, c.data, kinds[i]);
		if (ob == NULL)
			ob = open_ok(dir, fx.now);
		assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
		    fx.now + (time_t)i, err, sizeof(err)), 1);
		fx_free(&fx);
	}
	(void)outbox_entries(ob, &n);
	assert_int_equal(n, 6);
	outbox_close(ob);

	/* an interrupted write, a corrupt entry, an unrelated file */
	p = xasprintf("%s/x.mail.tmp.1234", dir);
	assert_int_equal(file_write_atomic(p, "{", 1, 0600), 0);
	free(p);
	p = xasprintf("%s/broken.mail", dir);
	assert_int_equal(file_write_atomic(p, "{\"v\": 1}", 8, 0600), 0);
	free(p);
	p = xasprintf("%s/README", dir);
	assert_int_equal(file_write_atomic(p, "hi", 2, 0600), 0);
	free(p);

	fx_init(&fx, c.data, NOTICE_REMINDER);
	ob = open_ok(dir, fx.now);
	v = outbox_entries(ob, &n);
	assert_int_equal(n, 6);
	assert_int_equal(count_files(dir, ".tmp.1234"), 0);
	assert_int_equal(count_files(dir, ".corrupt"), 1);
	assert_int_equal(count_files(dir, "README"), 1);
	/* oldest first, each kind once per type, the data intact */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i]->created, fx.now + (time_t)(i / 2));
		if (v[i]->type == OUTBOX_WEBHOOK) {
			assert_int_equal(v[i]->rcpt.n, 0);
			assert_true(v[i]->data[0] == '{');
		} else {
			assert_non_null(strstr(v[i]->data,
			    "charset=ISO-2022-JP"));
			assert_int_equal(strlen(v[i]->data), v[i]->len);
		}
	}
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now,
	    err, sizeof(err)), 0);
	outbox_close(ob);
	fx_free(&fx);

	/* an unwritable directory: -1 and the reason, nothing queued */
	if (geteuid() != 0) {
		fx_init(&fx, c.data, NOTICE_LAPSED);
		ob = open_ok(dir, fx.now);
		assert_int_equal(chmod(dir, 0500), 0);
		assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
		    fx.now, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "cannot write"));
		(void)outbox_entries(ob, &n);
		assert_int_equal(n, 6);
		assert_int_equal(chmod(dir, 0700), 0);
		outbox_close(ob);
		fx_free(&fx);
	}
	buf_free(&c);
	free(conf);
	rm_rf(dir);
	free(dir);
}

/* No recipients and no webhook: nothing to queue, said in the log. */
static void
test_nowhere(void **state)
{
	char *dir = make_dir(), err[256];
	struct fx fx;
	struct outbox *ob;
	size_t n;

	(void)state;
	fx_init(&fx, "[mail]\nfrom = renewd@example.jp\n"
	    "[target www.example.jp]\n", NOTICE_REMINDER);
	ob = open_ok(dir, fx.now);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now,
	    err, sizeof(err)), 0);
	(void)outbox_entries(ob, &n);
	assert_int_equal(n, 0);
	outbox_close(ob);
	fx_free(&fx);
	rm_rf(dir);
	free(dir);
}

/*
 * A crash right after the server's 250 leaves the sent record empty (it is
 * created before anything is written into it) and the entry in place: the
 * entry goes at the next open, and the notice is not queued again.
 */
static void
test_record_cut_short(void **state)
{
	char *dir = make_dir(), err[256], *p, *sent;
	struct outbox_entry *const *v;
	struct fx fx;
	struct outbox *ob;
	size_t n;

	(void)state;
	fx_init(&fx, "[mail]\nfrom = renewd@example.jp\n"
	    "to = admins@example.jp\n[target www.example.jp]\n",
	    NOTICE_REMINDER);
	ob = open_ok(dir, fx.now);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now,
	    err, sizeof(err)), 1);
	v = outbox_entries(ob, &n);
	assert_int_equal(n, 1);
	sent = xasprintf("%s/%s.sent", dir, v[0]->file);
	outbox_close(ob);
	assert_int_equal(file_create_now(sent, "", 0, 0600), 0);

	ob = open_ok(dir, fx.now + 60);
	(void)outbox_entries(ob, &n);
	assert_int_equal(n, 0);
	assert_int_equal(count_files(dir, ".mail"), 0);
	assert_int_equal(count_files(dir, ".sent"), 1);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
	    fx.now + 60, err, sizeof(err)), 0);
	outbox_close(ob);

	/* a record with junk in it counts as sent too, and is kept */
	p = xasprintf("%s", sent);
	assert_int_equal(file_create_now(p, "x", 1, 0600), 0);
	ob = open_ok(dir, fx.now + 120);
	assert_int_equal(count_files(dir, ".sent"), 1);
	assert_int_equal(outbox_submit(ob, fx.cfg, fx.tc, fx.st, &fx.n,
	    fx.now + 120, err, sizeof(err)), 0);
	outbox_close(ob);
	free(p);
	free(sent);
	fx_free(&fx);
	rm_rf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_list),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_reopen_and_junk),
		cmocka_unit_test(test_nowhere),
		cmocka_unit_test(test_record_cut_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
