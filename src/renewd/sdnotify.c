/*
 * sdnotify.c — sd_notify(3) and sd_listen_fds(3) for the service (see
 * sdnotify.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "sdnotify.h"

#define SDNOTIFY_STATUS_MAX	200

int
sdnotify_ready(void)
{
	return sd_notify(0, "READY=1");
}

int
sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	/*
	 * MONOTONIC_USEC= lets a newer systemd (Type=notify-reload) match the
	 * READY=1 that ends the reload; older ones ignore it.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return sd_notify(0, "RELOADING=1");
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return sd_notify(0, msg);
}

int
sdnotify_stopping(void)
{
	return sd_notify(0, "STOPPING=1");
}

/* Cut a UTF-8 sequence that truncation left incomplete at the end of s. */
static void
sdnotify_trim_utf8(char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (c = (unsigned char)s[i - 1]) < 0xc0)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (len - (i - 1) < need)
		s[i - 1] = '\0';
}

int
sdnotify_status(const char *fmt, ...)
{
	char msg[sizeof("STATUS=") + SDNOTIFY_STATUS_MAX];
	const size_t off = sizeof("STATUS=") - 1;
	va_list ap;
	size_t i;
	int n;

	memcpy(msg, "STATUS=", off + 1);
	va_start(ap, fmt);
	n = vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(msg) - off)
		sdnotify_trim_utf8(msg + off, strlen(msg + off));
	for (i = off; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = ' ';
	return sd_notify(0, msg);
}

uint64_t
sdnotify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

int
sdnotify_watchdog_ping(void)
{
	return sd_notify(0, "WATCHDOG=1");
}

int
sdnotify_listen_fd(void)
{
	int n, i, fd;

	if ((n = sd_listen_fds(1)) <= 0) {
		if (n < 0)
			log_warnx("%s: sd_listen_fds: %s", __func__,
			    strerror(-n));
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
			return fd;
	}
	log_warnx("%s: systemd passed %d descriptor%s but no listening Unix "
	    "stream socket", __func__, n, n == 1 ? "" : "s");
	return -1;
}
