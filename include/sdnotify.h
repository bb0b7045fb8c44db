/*
 * sdnotify.h — telling systemd how the service is doing (src/renewd/sdnotify.c,
 * libsystemd's sd_notify). Every call is a no-op returning 0 when the
 * daemon does not run under systemd (NOTIFY_SOCKET unset), so callers never
 * check whether it does. The notifying calls return > 0 when systemd was
 * told, 0 when there is nobody to tell, or a negative errno; callers may
 * ignore it (a failed notification is not a reason to stop watching).
 *
 * The order over the service's life:
 *	fd = sdnotify_listen_fd();	before binding the control socket
 *	... set up, load state ...
 *	sdnotify_ready();
 *	sdnotify_status("%zu targets, next deadline %s in %d days", ...);
 *	every sdnotify_watchdog_usec() / 2 microseconds (when not 0):
 *		sdnotify_watchdog_ping();
 *	on SIGHUP: sdnotify_reloading(); reload; sdnotify_ready();
 *	on SIGTERM: sdnotify_stopping(); shut down.
 */
#ifndef RENEWD_SDNOTIFY_H
#define RENEWD_SDNOTIFY_H

#include <stdint.h>

int	sdnotify_ready(void);		/* READY=1 (also after a reload) */
int	sdnotify_reloading(void);	/* RELOADING=1, MONOTONIC_USEC= */
int	sdnotify_stopping(void);	/* STOPPING=1 */
/* STATUS=: one line; control characters become spaces, at most 200 bytes. */
int	sdnotify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval that systemd expects pings within (WatchdogSec=),
 * in microseconds, or 0 when there is no watchdog. Ping at half of it.
 */
uint64_t sdnotify_watchdog_usec(void);
int	sdnotify_watchdog_ping(void);	/* WATCHDOG=1 */

/*
 * The listening control socket that systemd passed (renewd.socket), or -1
 * when none was passed: then the daemon binds its socket itself. The first
 * passed descriptor that is a listening AF_UNIX stream socket is returned,
 * close-on-exec; the LISTEN_* variables are removed, so a second call
 * returns -1. A passed socket belongs to systemd: the daemon neither chmods
 * nor unlinks its path.
 */
int	sdnotify_listen_fd(void);

#endif
