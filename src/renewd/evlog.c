/*
 * evlog.c — libevent's own messages (evdns's "Nameserver ... has failed",
 * warnings) go to renewd's log, not straight to stderr.
 */
#include <event2/event.h>

#include "log.h"
#include "renewd.h"

static int evlog_quiet;

static void
evlog_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		if (evlog_quiet)
			log_debug("libevent: %s", msg);
		else
			log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

void
evlog_init(int quiet)
{
	evlog_quiet = quiet;
	event_set_log_callback(evlog_cb);
}
