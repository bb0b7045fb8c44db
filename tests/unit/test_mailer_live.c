/*
 * test_mailer_live.c — the mailer (src/renewd/mailer.c, built into this
 * binary) against a real server, driven by tests/e2e/test_mail.py, which
 * starts the SMTP (and HTTP) servers on 127.0.0.1 and sets:
 *
 *	RENEWD_MAILER_CONF	a renewd.conf: [mail], [webhook], state_dir and
 *				a first target (the fixture's www.example.jp)
 *	RENEWD_MAILER_KIND	the notice kind (default reminder)
 *	RENEWD_MAILER_EXPECT	sent     every entry delivered (outbox empty)
 *				retry    the entry kept for a later attempt
 *				failed   the entry kept, marked failed
 *				nothing  the notice was already sent: the
 *				         submit is a no-op, nothing queued
 *	RENEWD_MAILER_TIMEOUT	seconds to wait (default 20)
 *
 * It submits one notice to the outbox under state_dir, runs an event loop
 * until the expected outcome (or fails at the timeout) and prints
 * "outcome: ..." lines. Without RENEWD_MAILER_CONF (make unit) it skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "fileio.h"
#include "log.h"
#include "mailer.h"
#include "outbox.h"
#include "support/notices.h"
#include "util.h"

/* the module under test: a daemon source file, linked in here */
#include "../../src/renewd/mailer.c"

struct run {
	struct event_base	*base;
	struct outbox		*ob;
	const char		*expect;
	int			 done;
};

static int
reached(struct run *r)
{
	size_t n;
	struct outbox_entry *const *v = outbox_entries(r->ob, &n);

	if (strcmp(r->expect, "sent") == 0)
		return n == 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->busy)
			return 0;
		if (strcmp(r->expect, "failed") == 0 && !v[i]->failed)
			return 0;
		if (strcmp(r->expect, "retry") == 0 && (v[i]->failed ||
		    v[i]->attempts == 0))
			return 0;
	}
	return n > 0;
}

static void
after_attempt(void *arg)
{
	struct run *r = arg;

	if (reached(r)) {
		r->done = 1;
		event_base_loopexit(r->base, NULL);
	}
}

static void
give_up(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(r->base, NULL);
}

static void
test_live(void **state)
{
	const char *path = getenv("RENEWD_MAILER_CONF");
	const char *kind_word = getenv("RENEWD_MAILER_KIND");
	const char *tmo = getenv("RENEWD_MAILER_TIMEOUT");
	struct run r = { 0 };
	enum notice_kind kind = NOTICE_REMINDER;
	struct event *timeout;
	struct timeval tv = { 20, 0 };
	struct mailer *m;
	struct fx fx;
	char *text, *dir, err[256];
	size_t len, n;
	struct outbox_entry *const *v;
	int rc;

	(void)state;
	if (path == NULL) {
		skip();
		return;
	}
	log_init("test_mailer_live", 1);
	r.expect = getenv("RENEWD_MAILER_EXPECT");
	if (r.expect == NULL)
		r.expect = "sent";
	if (kind_word != NULL)
		assert_int_equal(notice_kind_parse(kind_word, &kind), 0);
	if (tmo != NULL)
		tv.tv_sec = strtol(tmo, NULL, 10);
	text = file_read(path, CONFIG_MAX_SIZE, &len);
	assert_non_null(text);
	fx_init(&fx, text, kind);
	free(text);
	/* the real clock: the mailer schedules by it */
	fx.now = time(NULL);
	fx.in.now = fx.now;

	dir = xasprintf("%s/%s", fx.cfg->state_dir, OUTBOX_DIR);
	r.ob = outbox_open(dir, fx.now, err, sizeof(err));
	if (r.ob == NULL)
		fail_msg("outbox_open: %s", err);
	r.base = event_base_new();
	assert_non_null(r.base);
	m = mailer_new(r.base, r.ob, fx.cfg);
	assert_non_null(m);
	mailer_set_hook(m, after_attempt, &r);

	rc = outbox_submit(r.ob, fx.cfg, fx.tc, fx.st, &fx.n, fx.now, err,
	    sizeof(err));
	printf("outcome: submit %d\n", rc);
	if (strcmp(r.expect, "nothing") == 0) {
		assert_int_equal(rc, 0);
		(void)outbox_entries(r.ob, &n);
		assert_int_equal(n, 0);
		r.done = 1;
	} else {
		assert_int_equal(rc, 1);
		timeout = evtimer_new(r.base, give_up, &r);
		assert_non_null(timeout);
		evtimer_add(timeout, &tv);
		event_base_dispatch(r.base);
		event_free(timeout);
	}
	v = outbox_entries(r.ob, &n);
	for (size_t i = 0; i < n; i++)
		printf("outcome: left %s attempts=%d failed=%d error=%s\n",
		    outbox_type_name(v[i]->type), v[i]->attempts, v[i]->failed,
		    v[i]->last_error != NULL ? v[i]->last_error : "");
	printf("outcome: %s %s\n", r.done ? "reached" : "timed out", r.expect);
	(void)fflush(stdout);
	mailer_free(m);
	outbox_close(r.ob);
	event_base_free(r.base);
	fx_free(&fx);
	free(dir);
	assert_true(r.done);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
