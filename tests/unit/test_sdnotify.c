/*
 * test_sdnotify.c — what systemd hears from the service, read back from a
 * test-owned NOTIFY_SOCKET, and the control socket passed by systemd.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
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
#include <systemd/sd-daemon.h>

#include "sdnotify.h"
#include "util.h"

struct notify_sock {
	char	dir[80];
	char	path[128];
	int	fd;
};

static int
notify_setup(void **state)
{
	struct notify_sock *ns;
	struct sockaddr_un sun;

	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return -1;
	ns->fd = -1;
	/* Short: the socket's path must fit in sun_path. */
	snprintf(ns->dir, sizeof(ns->dir), "/tmp/renewd-sdnotify-XXXXXX");
	if (mkdtemp(ns->dir) == NULL) {
		free(ns);
		return -1;
	}
	snprintf(ns->path, sizeof(ns->path), "%s/notify", ns->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(ns->path) >= sizeof(sun.sun_path))
		goto fail;
	memcpy(sun.sun_path, ns->path, strlen(ns->path) + 1);
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ns->fd == -1 ||
	    bind(ns->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    setenv("NOTIFY_SOCKET", ns->path, 1) == -1)
		goto fail;
	*state = ns;
	return 0;
fail:
	/* cmocka runs no teardown after a failed setup */
	if (ns->fd != -1)
		close(ns->fd);
	unlink(ns->path);
	rmdir(ns->dir);
	free(ns);
	return -1;
}

static int
notify_teardown(void **state)
{
	struct notify_sock *ns = *state;

	unsetenv("NOTIFY_SOCKET");
	close(ns->fd);
	unlink(ns->path);
	rmdir(ns->dir);
	free(ns);
	return 0;
}

/* The next datagram, NUL-terminated, or fail when none is waiting. */
static void
notify_read(struct notify_sock *ns, char *buf, size_t sz)
{
	ssize_t n = recv(ns->fd, buf, sz - 1, MSG_DONTWAIT);

	if (n < 0)
		fail_msg("no datagram on NOTIFY_SOCKET: %s", strerror(errno));
	buf[n] = '\0';
}

static void
notify_none(struct notify_sock *ns)
{
	char buf[16];

	assert_int_equal(recv(ns->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
test_states(void **state)
{
	struct notify_sock *ns = *state;
	char buf[512];

	assert_true(sdnotify_ready() > 0);
	notify_read(ns, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");

	assert_true(sdnotify_reloading() > 0);
	notify_read(ns, buf, sizeof(buf));
	assert_true(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	assert_true(strtoull(buf + 27, NULL, 10) > 0);

	assert_true(sdnotify_stopping() > 0);
	notify_read(ns, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");

	assert_true(sdnotify_watchdog_ping() > 0);
	notify_read(ns, buf, sizeof(buf));
	assert_string_equal(buf, "WATCHDOG=1");
	notify_none(ns);
}

static void
test_status(void **state)
{
	static const struct {
		const char	*what;
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "plain", "12 targets, next deadline www.example.jp in 30 days",
		  "STATUS=12 targets, next deadline www.example.jp in 30 days" },
		{ "one line", "a\nb\rc\td\x7f" "e", "STATUS=a b c d e" },
		{ "UTF-8 kept", "期限まで 30 日", "STATUS=期限まで 30 日" },
	};
	struct notify_sock *ns = *state;
	char buf[512];
	size_t n;

	for (size_t i = 0; i < nitems(cases); i++) {
		assert_true(sdnotify_status("%s", cases[i].in) > 0);
		notify_read(ns, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got \"%s\"", cases[i].what, buf);
	}

	/* Long: cut at 200 bytes, never inside a UTF-8 sequence. */
	assert_true(sdnotify_status("%0199d%s", 0, "日本") > 0);
	notify_read(ns, buf, sizeof(buf));
	n = strlen(buf);
	assert_int_equal(n, strlen("STATUS=") + 199);
	assert_int_equal(buf[n - 1], '0');
	assert_true(sdnotify_status("%0198d%s", 0, "日本") > 0);
	notify_read(ns, buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen("STATUS=") + 198);
	assert_true(sdnotify_status("%0197d%s", 0, "日本") > 0);
	notify_read(ns, buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen("STATUS=") + 200);
	assert_string_equal(buf + strlen(buf) - 3, "日");
	notify_none(ns);
}

/* Without NOTIFY_SOCKET every call does nothing and says so with 0. */
static void
test_not_under_systemd(void **unused)
{
	(void)unused;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_ready(), 0);
	assert_int_equal(sdnotify_reloading(), 0);
	assert_int_equal(sdnotify_stopping(), 0);
	assert_int_equal(sdnotify_status("x"), 0);
	assert_int_equal(sdnotify_watchdog_ping(), 0);
}

/* A NOTIFY_SOCKET nobody listens on is an error, not a crash. */
static void
test_socket_gone(void **unused)
{
	(void)unused;
	setenv("NOTIFY_SOCKET", "/nonexistent/renewd-test/notify", 1);
	assert_true(sdnotify_ready() < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_watchdog(void **unused)
{
	char pid[32];

	(void)unused;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(sdnotify_watchdog_usec(), 0);

	setenv("WATCHDOG_USEC", "60000000", 1);
	assert_int_equal(sdnotify_watchdog_usec(), 60000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_usec(), 60000000);
	/* Asking twice gives the same answer. */
	assert_int_equal(sdnotify_watchdog_usec(), 60000000);

	/* Meant for another process (e.g. a parent that exec'd us). */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_usec(), 0);

	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "garbage", 1);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

/*
 * Put fd at SD_LISTEN_FDS_START as systemd would, and say LISTEN_FDS=n for
 * pid. Whatever the test binary had there is kept in *saved (or -1).
 */
static void
listen_pass(int fd, int n, long pid, int *saved)
{
	char buf[32];

	*saved = -1;
	if (fcntl(SD_LISTEN_FDS_START, F_GETFD) != -1)
		assert_true((*saved = fcntl(SD_LISTEN_FDS_START,
		    F_DUPFD_CLOEXEC, 64)) != -1);
	if (fd != SD_LISTEN_FDS_START) {
		assert_int_equal(dup2(fd, SD_LISTEN_FDS_START),
		    SD_LISTEN_FDS_START);
		close(fd);
	}
	snprintf(buf, sizeof(buf), "%ld", pid);
	setenv("LISTEN_PID", buf, 1);
	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
}

static void
listen_restore(int saved)
{
	close(SD_LISTEN_FDS_START);
	if (saved != -1) {
		assert_int_equal(dup2(saved, SD_LISTEN_FDS_START),
		    SD_LISTEN_FDS_START);
		close(saved);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
}

static int
listen_unix_stream(const char *dir)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ctl.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void
test_listen_fd(void **state)
{
	struct notify_sock *ns = *state;
	char path[160];
	int saved, fd, flags;

	/* Nothing passed. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	assert_int_equal(sdnotify_listen_fd(), -1);

	/* A listening Unix stream socket: ours, close-on-exec, once. */
	listen_pass(listen_unix_stream(ns->dir), 1, (long)getpid(), &saved);
	fd = sdnotify_listen_fd();
	assert_int_equal(fd, SD_LISTEN_FDS_START);
	flags = fcntl(fd, F_GETFD);
	assert_true(flags != -1 && (flags & FD_CLOEXEC));
	assert_null(getenv("LISTEN_FDS"));
	assert_int_equal(sdnotify_listen_fd(), -1);
	listen_restore(saved);
	snprintf(path, sizeof(path), "%s/ctl.sock", ns->dir);
	unlink(path);

	/* Passed to another process: not ours. */
	listen_pass(listen_unix_stream(ns->dir), 1, (long)getpid() + 1,
	    &saved);
	assert_int_equal(sdnotify_listen_fd(), -1);
	listen_restore(saved);
	unlink(path);

	/* Not a listening stream socket. */
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd != -1);
	listen_pass(fd, 1, (long)getpid(), &saved);
	assert_int_equal(sdnotify_listen_fd(), -1);
	listen_restore(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_states, notify_setup,
		    notify_teardown),
		cmocka_unit_test_setup_teardown(test_status, notify_setup,
		    notify_teardown),
		cmocka_unit_test(test_not_under_systemd),
		cmocka_unit_test(test_socket_gone),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test_setup_teardown(test_listen_fd, notify_setup,
		    notify_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
