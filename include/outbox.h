/*
 * outbox.h — the durable queue of notifications (src/common/outbox.c): one
 * file per message under state_dir/outbox/, written (file_write_atomic:
 * temp file, fsync, rename, fsync dir) before any attempt to send it and
 * removed only once the server accepted it. It survives restarts.
 *
 * The daemon, for each notice of policy_run():
 *
 *	if (outbox_submit(ob, cfg, tc, st, &notice, now, err, sizeof(err))
 *	    == -1)
 *		do not save the state (the notice is decided again later);
 *	then statefile_save(...) as usual.
 *
 * A submit composes the mail (mailmsg.h) and, with [webhook] url set, the
 * webhook body, and queues each as its own entry. Submitting a notice that
 * is already queued, or that was delivered in the last OUTBOX_SENT_KEEP
 * seconds, does nothing (entries are keyed on the target and the notice
 * id), so a crash between the submit and the state save neither loses nor
 * repeats a notice. The mailer (mailer.h) takes due entries, and reports
 * each attempt back: delivered (the entry goes, a small "sent" record
 * stays), retry later (backoff 1 min, 2, 4, ... capped at 1 h) or failed
 * (a permanent refusal: kept, not retried until outbox_retry()).
 *
 * Files (names: TARGET=NOTICE-ID with every byte outside [A-Za-z0-9.-]
 * written %XX, or "h" and a SHA-256 when that is too long):
 *	NAME.mail, NAME.webhook	an entry: JSON {"v": 1, "type", "target",
 *				"notice", "kind", "message_id", "subject",
 *				"from", "rcpt", "created", "attempts",
 *				"next_attempt", "last_attempt", "last_error",
 *				"failed", "data"} (times ISO 8601 UTC; data:
 *				the message, CRLF lines, or the JSON body)
 *	NAME.TYPE.sent		delivered at (epoch seconds); pruned after
 *				OUTBOX_SENT_KEEP
 *	NAME.TYPE.sending	an attempt in flight: becomes NAME.TYPE.sent
 *				when the server accepts; removed at open
 *	*.tmp.*			an interrupted write: removed at open
 *	*.corrupt		an entry that could not be read, moved aside
 * Not for concurrent use by two processes.
 */
#ifndef RENEWD_OUTBOX_H
#define RENEWD_OUTBOX_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "policy.h"
#include "state.h"
#include "util.h"

#define OUTBOX_DIR		"outbox"	/* under state_dir */
#define OUTBOX_FILE_MAX		(4u * 1024 * 1024)
#define OUTBOX_SENT_KEEP	(7 * 86400)
#define OUTBOX_BACKOFF_MIN	60
#define OUTBOX_BACKOFF_MAX	3600

enum outbox_type {
	OUTBOX_MAIL,
	OUTBOX_WEBHOOK,
};
#define OUTBOX_TYPE_COUNT	2

struct outbox_entry {
	char			*file;		/* base name in the directory */
	enum outbox_type	 type;
	char			*target;
	char			*notice_id;
	enum notice_kind	 kind;
	char			*message_id;	/* mail; "" for a webhook */
	char			*subject;	/* UTF-8 */
	char			*from;		/* mail: the envelope */
	struct strlist		 rcpt;
	char			*data;		/* what is sent */
	size_t			 len;
	time_t			 created;
	int			 attempts;
	time_t			 next_attempt;
	time_t			 last_attempt;	/* 0 = never */
	char			*last_error;	/* NULL = none */
	int			 failed;	/* refused for good: waits for
						 * outbox_retry() */
	int			 busy;		/* in memory only: an attempt is
						 * in flight (set by the mailer) */
};

struct outbox_counts {
	size_t	 queued[OUTBOX_TYPE_COUNT];	/* waiting or in flight */
	size_t	 failed[OUTBOX_TYPE_COUNT];
	time_t	 oldest;			/* created; 0 = empty */
};

struct outbox;

/*
 * Open (creating it, mode 0700) the outbox directory `dir` and load it:
 * interrupted writes are removed, unreadable entries moved aside (logged),
 * sent records older than OUTBOX_SENT_KEEP pruned. NULL with the reason in
 * err when the directory cannot be made or read.
 */
struct outbox	*outbox_open(const char *dir, time_t now, char *err,
		    size_t errlen);
void		 outbox_close(struct outbox *);
const char	*outbox_dir(const struct outbox *);
/* Called (from outbox_submit and outbox_retry) when something new is due,
 * so that the mailer can start at once. */
void		 outbox_set_hook(struct outbox *, void (*)(void *), void *);

/*
 * Queue `n` for target `tc` (state `st` gives the last good observation;
 * NULL: none), composed at `now` with cfg's [mail], [webhook] and lang.
 * 1 when something was queued, 0 when nothing was to do (already queued or
 * recently delivered; no recipients and no webhook: logged), -1 when an
 * entry could not be written (reason in err; nothing half-written stays).
 */
int		 outbox_submit(struct outbox *, const struct config *cfg,
		    const struct target_conf *tc, const struct target_state *st,
		    const struct policy_notice *n, time_t now, char *err,
		    size_t errlen);

/* Every entry, oldest first (valid until the outbox changes). */
struct outbox_entry *const *outbox_entries(const struct outbox *, size_t *n);
void		 outbox_counts(const struct outbox *, struct outbox_counts *);

/* For the mailer: the oldest entry of `type` that is due at `now` (not
 * busy, not failed), or NULL; and the earliest next_attempt of such
 * entries (0: none). */
struct outbox_entry *outbox_next_due(struct outbox *, enum outbox_type,
		    time_t now);
time_t		 outbox_next_time(const struct outbox *, enum outbox_type);
/* The outcome of an attempt. delivered: record it as sent, remove the
 * entry (e is freed); retry: attempts + 1, next_attempt = now + backoff;
 * failed: kept and marked failed. The entry file is rewritten atomically
 * (a rewrite error is logged; the entry stays as it was on disk). 0 or -1. */
int		 outbox_delivered(struct outbox *, struct outbox_entry *e,
		    time_t now);
int		 outbox_retry_later(struct outbox *, struct outbox_entry *e,
		    time_t now, const char *error);
int		 outbox_failed(struct outbox *, struct outbox_entry *e,
		    time_t now, const char *error);
/*
 * The delivery record of an attempt, made at the very moment the server
 * accepts. Before a transfer starts, outbox_record_prepare() writes it
 * (temp file, fsync, rename) under a name that does not count,
 * NAME.TYPE.sending, and gives that path and the record's own (*sending,
 * *sent: caller frees); -1 with the reason in err when the outbox cannot
 * be written, and then nothing must be sent: the delivery could not be
 * recorded. When the server accepts, the mailer renames the one to the
 * other (one system call, safe from any thread); outbox_delivered() then
 * finds the record made. An attempt that ends otherwise calls
 * outbox_record_drop(). *.sending files left by a crash are removed at
 * open: the message was not accepted as far as anyone knows.
 */
int		 outbox_record_prepare(struct outbox *,
		    const struct outbox_entry *, time_t now, char **sending,
		    char **sent, char *err, size_t errlen);
void		 outbox_record_drop(struct outbox *, const struct outbox_entry *);
/* Make every failed or waiting entry due now (reload, `renewctl queue
 * --retry`); returns how many were failed. */
size_t		 outbox_retry(struct outbox *, time_t now);
/* Seconds to wait after `attempts` failed attempts: 60, 120, 240, ...,
 * at most 3600. */
time_t		 outbox_backoff(int attempts);
const char	*outbox_type_name(enum outbox_type);

#endif
