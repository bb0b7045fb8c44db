/*
 * log.h — the one logging family of renewd and renewctl (src/common/log.c).
 * log_warn appends strerror(errno); log_warnx does not. fatal/fatalx exit(1).
 * Daemon code logs with __func__ and returns -1; err()-style exits only in the
 * client or before start-up. No log function changes errno.
 *
 * Two outputs:
 *  - stderr, one line per message: "renewd: message" ("renewd: debug: ...",
 *    "renewd: fatal: ...");
 *  - the systemd journal, with structured fields (MESSAGE, PRIORITY,
 *    SYSLOG_IDENTIFIER, ERRNO for log_warn/fatal, and the fields of
 *    log_event). log_init chooses it by itself when stderr is the journal
 *    stream systemd gave the service (JOURNAL_STREAM matches stderr's
 *    device and inode); log_set_journal forces the choice. When the journal
 *    cannot be reached the line goes to stderr.
 * Control characters (and bytes that are not UTF-8) in messages are written
 * as \xNN, so one message is always one line.
 *
 * Priorities: fatal/fatalx LOG_CRIT, log_warn/log_warnx LOG_WARNING,
 * log_info LOG_INFO, log_debug LOG_DEBUG (only with verbose >= 1).
 */
#ifndef RENEWD_LOG_H
#define RENEWD_LOG_H

#include <sys/uio.h>

#include <limits.h>
#include <stdarg.h>
#include <syslog.h>		/* LOG_CRIT ... LOG_DEBUG for log_event */

void	log_init(const char *progname, int verbose);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_set_journal(int on);	/* 1: the journal, 0: stderr */
int	log_get_journal(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * An event of the renewal workflow or of the service, with the fields an
 * admin filters on. In the journal: MESSAGE_ID=message_id, TARGET=target,
 * DAYS_LEFT=days_left, STATE=state, KIND=kind, besides MESSAGE, PRIORITY
 * (a syslog priority, LOG_CRIT .. LOG_DEBUG) and SYSLOG_IDENTIFIER. Any of
 * message_id, target, state and kind may be NULL and days_left LOG_NO_DAYS:
 * that field is left out. On stderr:
 *	renewd: message (target=T days_left=N state=S kind=K)
 * LOG_DEBUG events appear only with verbose >= 1. Example:
 *	log_event(LOG_NOTICE, LOG_MID_REMINDER, t->name, 30, "notified",
 *	    "reminder", "%s: 30-day reminder queued", t->name);
 */
#define LOG_NO_DAYS	INT_MIN
void	log_event(int priority, const char *message_id, const char *target,
	    int days_left, const char *state, const char *kind,
	    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * MESSAGE_IDs, one per kind of event; systemd/renewd.catalog explains each
 * (journalctl -x) and scripts/check-systemd keeps the two lists equal.
 * Never change an id: scripts match on them.
 */
#define LOG_MID_REMINDER		"8dc3cb27cb49489a9c556270fe241f32"
#define LOG_MID_APPLY_BY		"7347fdbed6ab48c2a3fbd9f1d600db6a"
#define LOG_MID_OVERDUE			"153a646009394cb9a341471a9ea73d72"
#define LOG_MID_LAPSED			"892f8b6415364455a7785a01d1ed43af"
#define LOG_MID_INSTALL			"6fc883d9652c4718b8140577203b6803"
#define LOG_MID_RENEWED			"2844c7cce9694f108430626c979d5fff"
#define LOG_MID_PROBLEM			"3d1af8434f70499bb0fe0cc1d1fbe8b1"
#define LOG_MID_PROBE_FAILED		"f6dc66a059d741e29912583ef889d2f7"
#define LOG_MID_STATE_SAVE_FAILED	"b390138f1cf445b69da2f383952ffabc"
#define LOG_MID_CONFIG_RELOADED		"e751850cadd04b6a8fd4fa03e2ba23c1"
#define LOG_MID_CONFIG_RELOAD_FAILED	"e8d12548da2946ef9d1270b62f9baf9c"
#define LOG_MID_STARTED			"163a63b204e64bbeb03fd3d813a1ac4b"
#define LOG_MID_STOPPING		"1e06b1801f0b417282e0469dc9fc4275"
#define LOG_MID_MAIL_FAILED		"6173433f0f7344e09006a5f4b8c02534"
#define LOG_MID_STATE_CHANGED		"ec2ca019ebda4c768de0bd7e5ca7574e"

/*
 * What each id is for (the catalog's Subject):
 *	REMINDER		reminder T queued (KIND=reminder)
 *	APPLY_BY		apply-by notice queued: last day to apply
 *	OVERDUE			overdue notice queued: A passed, nothing applied
 *	LAPSED			deadline E ended unapplied; contract cancelled
 *	INSTALL			install notice: applied/issued, old leaf served
 *	RENEWED			new leaf verified on every address
 *	PROBLEM			problem notice queued (unreachable 24 h, ...)
 *	PROBE_FAILED		one probe failed (LOG_INFO or LOG_DEBUG)
 *	STATE_SAVE_FAILED	a state or outbox file could not be written
 *	CONFIG_RELOADED		reload done
 *	CONFIG_RELOAD_FAILED	reload refused, old configuration kept
 *	STARTED			service ready
 *	STOPPING		service stopping
 *	MAIL_FAILED		the mail server refused or was unreachable
 *	STATE_CHANGED		workflow transition (STATE= is the new state)
 */

/*
 * For tests: replace the function that hands a journal entry to journald
 * (sd_journal_sendv); NULL restores it. It returns 0 or a negative errno.
 */
void	log_set_journal_writer(int (*)(const struct iovec *, int));

#endif
