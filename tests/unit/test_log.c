/*
 * test_log.c — log lines on stderr, journal entries with their fields (read
 * through the writer hook), the choice between the two, and fatal().
 */
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "util.h"

/* ---- stderr captured in a file ---------------------------------------- */

static char	 cap_path[] = "/tmp/renewd-test-log-XXXXXX";
static int	 cap_fd = -1;
static int	 cap_saved = -1;

static int
cap_setup(void **unused)
{
	(void)unused;
	(void)fflush(stderr);
	if ((cap_fd = mkstemp(cap_path)) == -1)
		return -1;
	if ((cap_saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(cap_fd, STDERR_FILENO) == -1)
		return -1;
	log_init("renewd", 0);
	log_set_journal(0);
	log_set_journal_writer(NULL);
	return 0;
}

static int
cap_teardown(void **unused)
{
	(void)unused;
	(void)fflush(stderr);
	/* Left over: cmocka's failure messages, or output no test took. */
	if (lseek(cap_fd, 0, SEEK_SET) == 0) {
		char buf[4096];
		ssize_t n;

		while ((n = read(cap_fd, buf, sizeof(buf))) > 0)
			if (write(cap_saved, buf, (size_t)n) != n)
				break;
	}
	dup2(cap_saved, STDERR_FILENO);
	close(cap_saved);
	close(cap_fd);
	unlink(cap_path);
	memcpy(cap_path + strlen(cap_path) - 6, "XXXXXX", 6);
	log_init("renewd", 0);
	log_set_journal(0);
	log_set_journal_writer(NULL);
	return 0;
}

/* What was written to stderr since the last call (a static buffer). */
static const char *
cap_take(void)
{
	static char buf[65536];
	ssize_t n;

	(void)fflush(stderr);
	assert_int_equal(lseek(cap_fd, 0, SEEK_SET), 0);
	n = read(cap_fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal(ftruncate(cap_fd, 0), 0);
	assert_int_equal(lseek(cap_fd, 0, SEEK_SET), 0);
	return buf;
}

/* ---- a journal that records what it is sent ---------------------------- */

#define J_MAX	16
static char	 j_field[J_MAX][8192];
static int	 j_n;
static int	 j_calls;
static int	 j_fail;

static int
j_writer(const struct iovec *iov, int n)
{
	j_calls++;
	if (j_fail)
		return -ECONNREFUSED;
	assert_true(n <= J_MAX);
	for (j_n = 0; j_n < n; j_n++) {
		assert_true(iov[j_n].iov_len < sizeof(j_field[0]));
		memcpy(j_field[j_n], iov[j_n].iov_base, iov[j_n].iov_len);
		j_field[j_n][iov[j_n].iov_len] = '\0';
	}
	return 0;
}

static void
j_reset(void)
{
	j_n = 0;
	j_calls = 0;
	j_fail = 0;
	log_set_journal_writer(j_writer);
	log_set_journal(1);
}

/* The value of field key in the last entry, or NULL. */
static const char *
j_get(const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < j_n; i++)
		if (strncmp(j_field[i], key, len) == 0 &&
		    j_field[i][len] == '=')
			return j_field[i] + len + 1;
	return NULL;
}

/* ---- stderr ----------------------------------------------------------- */

static void
test_stderr_levels(void **unused)
{
	(void)unused;
	log_warnx("%s: no such target", "www.example.jp");
	assert_string_equal(cap_take(), "renewd: www.example.jp: no such target\n");

	errno = ENOENT;
	log_warn("open %s", "/x");
	assert_int_equal(errno, ENOENT);	/* left alone */
	assert_string_equal(cap_take(),
	    "renewd: open /x: No such file or directory\n");

	log_info("started");
	assert_string_equal(cap_take(), "renewd: started\n");

	log_debug("hidden");
	assert_string_equal(cap_take(), "");
	log_setverbose(1);
	assert_int_equal(log_getverbose(), 1);
	log_debug("shown %d", 1);
	assert_string_equal(cap_take(), "renewd: debug: shown 1\n");
	log_setverbose(0);

	log_init("renewctl", 0);
	log_warnx("x");
	assert_string_equal(cap_take(), "renewctl: x\n");
}

static void
test_stderr_event(void **unused)
{
	static const struct {
		const char	*what;
		int		 prio;
		const char	*target;
		int		 days;
		const char	*state;
		const char	*kind;
		const char	*want;
	} cases[] = {
		{ "all fields", LOG_NOTICE, "www.example.jp", 30, "notified",
		  "reminder", "renewd: msg (target=www.example.jp days_left=30 "
		  "state=notified kind=reminder)\n" },
		{ "no fields", LOG_INFO, NULL, LOG_NO_DAYS, NULL, NULL,
		  "renewd: msg\n" },
		{ "days only, negative", LOG_WARNING, NULL, -2, NULL, NULL,
		  "renewd: msg (days_left=-2)\n" },
		{ "zero days", LOG_WARNING, "a", 0, NULL, "lapsed",
		  "renewd: msg (target=a days_left=0 kind=lapsed)\n" },
		{ "debug hidden", LOG_DEBUG, "a", 1, NULL, NULL, "" },
	};

	(void)unused;
	for (size_t i = 0; i < nitems(cases); i++) {
		const char *got;

		log_event(cases[i].prio, LOG_MID_REMINDER, cases[i].target,
		    cases[i].days, cases[i].state, cases[i].kind, "%s", "msg");
		got = cap_take();
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\"", cases[i].what, got);
	}
	log_setverbose(1);
	log_event(LOG_DEBUG, NULL, "a", LOG_NO_DAYS, NULL, NULL, "probe ok");
	assert_string_equal(cap_take(), "renewd: debug: probe ok (target=a)\n");
	log_setverbose(0);
}

static void
test_stderr_escaping(void **unused)
{
	static const struct {
		const char	*what;
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "newline", "a\nb", "a\\x0ab" },
		{ "CR, tab, ESC, DEL", "\r\t\x1b[31m\x7f", "\\x0d\\x09\\x1b[31m\\x7f" },
		{ "Japanese kept", "証明書の期限", "証明書の期限" },
		{ "4-byte kept", "\xf0\x9f\x94\x92", "\xf0\x9f\x94\x92" },
		{ "C1 NEL", "a\xc2\x85" "b", "a\\xc2\\x85b" },
		{ "latin-1 byte", "caf\xe9", "caf\\xe9" },
		{ "truncated sequence", "\xe6\x97", "\\xe6\\x97" },
		{ "overlong slash", "\xc0\xaf", "\\xc0\\xaf" },
		{ "surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "past U+10FFFF", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
	};
	char want[256];

	(void)unused;
	for (size_t i = 0; i < nitems(cases); i++) {
		const char *got;

		log_warnx("%s", cases[i].in);
		got = cap_take();
		snprintf(want, sizeof(want), "renewd: %s\n", cases[i].want);
		if (strcmp(got, want) != 0)
			fail_msg("%s: got \"%s\"", cases[i].what, got);
	}
	/* Fields are escaped too. */
	log_event(LOG_INFO, NULL, "evil\nTARGET=x", LOG_NO_DAYS, NULL, NULL,
	    "m");
	assert_string_equal(cap_take(),
	    "renewd: m (target=evil\\x0aTARGET=x)\n");
}

/* A huge message is cut, but stays one line. */
static void
test_stderr_long(void **unused)
{
	char *big = xmalloc(10000);
	const char *got;

	(void)unused;
	memset(big, '\n', 9999);
	big[9999] = '\0';
	log_warnx("%s", big);
	got = cap_take();
	assert_true(strlen(got) > 1000);
	assert_int_equal(got[strlen(got) - 1], '\n');
	assert_ptr_equal(strchr(got, '\n'), got + strlen(got) - 1);
	free(big);
}

/* ---- the journal ------------------------------------------------------ */

static void
test_journal_plain(void **unused)
{
	(void)unused;
	j_reset();
	log_warnx("probe of %s failed", "mail.example.jp");
	assert_int_equal(j_calls, 1);
	assert_string_equal(j_get("MESSAGE"), "probe of mail.example.jp failed");
	assert_string_equal(j_get("PRIORITY"), "4");
	assert_string_equal(j_get("SYSLOG_IDENTIFIER"), "renewd");
	assert_null(j_get("ERRNO"));
	assert_null(j_get("MESSAGE_ID"));
	assert_null(j_get("TARGET"));
	assert_string_equal(cap_take(), "");	/* not on stderr too */

	errno = EACCES;
	log_warn("open %s", "/var/lib/renewd/x");
	assert_string_equal(j_get("MESSAGE"),
	    "open /var/lib/renewd/x: Permission denied");
	assert_string_equal(j_get("ERRNO"), "13");
	assert_int_equal(errno, EACCES);

	log_info("i");
	assert_string_equal(j_get("PRIORITY"), "6");
	log_debug("d");
	assert_int_equal(j_calls, 3);		/* not sent at verbose 0 */
	log_setverbose(1);
	log_debug("d");
	assert_string_equal(j_get("PRIORITY"), "7");
	assert_string_equal(j_get("MESSAGE"), "d");	/* no "debug: " */
	log_setverbose(0);

	log_warnx("line\nbreak");
	assert_string_equal(j_get("MESSAGE"), "line\\x0abreak");
}

static void
test_journal_event(void **unused)
{
	(void)unused;
	j_reset();
	log_event(LOG_NOTICE, LOG_MID_REMINDER, "www.example.jp", 30,
	    "notified", "reminder", "%s: %d-day reminder queued",
	    "www.example.jp", 30);
	assert_int_equal(j_calls, 1);
	assert_string_equal(j_get("MESSAGE"),
	    "www.example.jp: 30-day reminder queued");
	assert_string_equal(j_get("PRIORITY"), "5");
	assert_string_equal(j_get("MESSAGE_ID"), LOG_MID_REMINDER);
	assert_string_equal(j_get("TARGET"), "www.example.jp");
	assert_string_equal(j_get("DAYS_LEFT"), "30");
	assert_string_equal(j_get("STATE"), "notified");
	assert_string_equal(j_get("KIND"), "reminder");
	assert_string_equal(j_get("SYSLOG_IDENTIFIER"), "renewd");

	log_event(LOG_INFO, LOG_MID_STARTED, NULL, LOG_NO_DAYS, NULL, NULL,
	    "watching %d targets", 3);
	assert_string_equal(j_get("MESSAGE_ID"), LOG_MID_STARTED);
	assert_null(j_get("TARGET"));
	assert_null(j_get("DAYS_LEFT"));
	assert_null(j_get("STATE"));
	assert_null(j_get("KIND"));

	log_event(LOG_ERR, LOG_MID_LAPSED, "a", -1, "lapsed", "lapsed", "x");
	assert_string_equal(j_get("DAYS_LEFT"), "-1");
	assert_string_equal(j_get("PRIORITY"), "3");
	assert_string_equal(cap_take(), "");
}

/* journald away: the line still reaches stderr. */
static void
test_journal_fallback(void **unused)
{
	(void)unused;
	j_reset();
	j_fail = 1;
	log_warnx("still here");
	assert_int_equal(j_calls, 1);
	assert_string_equal(cap_take(), "renewd: still here\n");
	log_event(LOG_NOTICE, LOG_MID_RENEWED, "a", 90, "verified", "renewed",
	    "renewed");
	assert_string_equal(cap_take(),
	    "renewd: renewed (target=a days_left=90 state=verified "
	    "kind=renewed)\n");
}

/* Every id is 32 lowercase hex digits and no two are the same. */
static void
test_message_ids(void **unused)
{
	static const char *ids[] = {
		LOG_MID_REMINDER, LOG_MID_APPLY_BY, LOG_MID_OVERDUE,
		LOG_MID_LAPSED, LOG_MID_INSTALL, LOG_MID_RENEWED,
		LOG_MID_PROBLEM, LOG_MID_PROBE_FAILED,
		LOG_MID_STATE_SAVE_FAILED, LOG_MID_CONFIG_RELOADED,
		LOG_MID_CONFIG_RELOAD_FAILED, LOG_MID_STARTED,
		LOG_MID_STOPPING, LOG_MID_MAIL_FAILED, LOG_MID_STATE_CHANGED,
	};

	(void)unused;
	for (size_t i = 0; i < nitems(ids); i++) {
		assert_int_equal(strlen(ids[i]), 32);
		assert_int_equal(strspn(ids[i], "0123456789abcdef"), 32);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
}

/* ---- choosing the journal --------------------------------------------- */

static void
test_journal_stream(void **unused)
{
	struct stat st;
	char buf[64];

	(void)unused;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);

	unsetenv("JOURNAL_STREAM");
	log_init("renewd", 0);
	assert_int_equal(log_get_journal(), 0);

	snprintf(buf, sizeof(buf), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", buf, 1);
	log_init("renewd", 0);
	assert_int_equal(log_get_journal(), 1);

	/* Inherited by a process whose stderr went elsewhere. */
	snprintf(buf, sizeof(buf), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + 1);
	setenv("JOURNAL_STREAM", buf, 1);
	log_init("renewd", 0);
	assert_int_equal(log_get_journal(), 0);

	static const char *bad[] = { "", "1", "1:", ":1", "x:y", "1:2:3",
	    "99999999999999999999999:1" };
	for (size_t i = 0; i < nitems(bad); i++) {
		setenv("JOURNAL_STREAM", bad[i], 1);
		log_init("renewd", 0);
		assert_int_equal(log_get_journal(), 0);
	}
	unsetenv("JOURNAL_STREAM");

	log_set_journal(1);
	assert_int_equal(log_get_journal(), 1);
	log_set_journal(0);
	assert_int_equal(log_get_journal(), 0);
}

/* ---- fatal ------------------------------------------------------------- */

static void
test_fatal(void **unused)
{
	int status;
	pid_t pid;

	(void)unused;
	(void)fflush(stdout);	/* or the children write cmocka's output too */
	(void)fflush(stderr);
	if ((pid = fork()) == 0) {
		errno = ENOSPC;
		fatal("write %s", "state");
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_string_equal(cap_take(),
	    "renewd: fatal: write state: No space left on device\n");

	if ((pid = fork()) == 0)
		fatalx("bad %d", 1);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_string_equal(cap_take(), "renewd: fatal: bad 1\n");
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, cap_setup, cap_teardown)
	const struct CMUnitTest tests[] = {
		T(test_stderr_levels),
		T(test_stderr_event),
		T(test_stderr_escaping),
		T(test_stderr_long),
		T(test_journal_plain),
		T(test_journal_event),
		T(test_journal_fallback),
		T(test_message_ids),
		T(test_journal_stream),
		T(test_fatal),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
