/*
 * state.h — what renewd remembers about one target across restarts: the
 * renewal cycle of the current deadline date E (its state, the notices sent
 * for it), the probe history that matters (last probe, last success, the
 * outage in progress), the last good observation (enough to rebuild the
 * Status JSON addresses) and a bounded history of events.
 *
 * src/core/state.c encodes and decodes the on-disk form (JSON, "v": 1) as
 * pure functions; src/common/statefile.c keeps one file per target under
 * state_dir. The policy (policy.h) is the only writer of the cycle.
 */
#ifndef RENEWD_STATE_H
#define RENEWD_STATE_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "probe.h"

#define STATE_VERSION		1
#define STATE_HISTORY_MAX	200	/* older events are dropped */
#define STATE_SENT_MAX		512	/* notices remembered per cycle */
#define STATE_FILE_MAX		(8u * 1024 * 1024)

/* Where a state of the workflow stands (PRODUCT.md "The renewal workflow"). */
enum cycle_state {
	CYCLE_WAITING,		/* nothing sent yet for E */
	CYCLE_NOTIFIED,		/* a notice asking to apply went out */
	CYCLE_APPLIED,		/* renewctl mark T applied */
	CYCLE_ISSUED,		/* renewctl mark T issued */
	CYCLE_VERIFIED,		/* the renewal was seen served (see policy.c) */
	CYCLE_LAPSED,		/* E ended without an application */
};

enum expiry_source {
	EXPIRY_CERTIFICATE,	/* E = JST date of the earliest leaf notAfter */
	EXPIRY_CONTRACT,	/* E = contract_end */
};

/* Notification kinds (PRODUCT.md "Notifications"). */
enum notice_kind {
	NOTICE_REMINDER,
	NOTICE_APPLY_BY,
	NOTICE_OVERDUE,
	NOTICE_LAPSED,
	NOTICE_INSTALL,
	NOTICE_RENEWED,
	NOTICE_PROBLEM,
};
#define NOTICE_KIND_COUNT	7

/* One notice decided for the cycle: sent, or recorded as skipped. */
struct sent_notice {
	enum notice_kind	 kind;
	struct threshold	 threshold;	/* NOTICE_REMINDER only */
	int			 day;		/* overdue/install: the Japan day
						 * it is for; else -1 */
	time_t			 due;		/* when it was due (deferred) */
	time_t			 at;		/* when it was decided */
	int			 skipped;	/* recorded, not sent */
};

/* The renewal of one deadline date E. */
struct cycle {
	int			 active;	/* 0: no deadline known yet */
	int			 expiry;	/* E, Japan day number */
	enum expiry_source	 source;
	enum cycle_state	 state;
	time_t			 started;
	/* the leaf this cycle renews (the earliest-expiring one served when
	 * the cycle began); has_leaf 0 while unknown (contract_end set and
	 * nothing seen yet). Its SHA-256 in binary: state_leaf_hex() gives
	 * the text. */
	int			 has_leaf;
	unsigned char		 leaf_sha256[32];
	time_t			 leaf_not_before;
	time_t			 leaf_not_after;
	time_t			 applied_at;	/* 0 = not marked */
	time_t			 issued_at;
	time_t			 verified_at;
	time_t			 lapsed_at;
	struct sent_notice	*sent;
	size_t			 nsent;
};

struct state_event {
	time_t	 at;
	char	 event[24];	/* "tracking", "notified", "applied", ... */
	char	*note;		/* a human line (intern.h: read only) */
};

struct target_state {
	char			*target;	/* the [target NAME] (intern.h:
						 * read only) */
	struct cycle		 cycle;
	time_t			 last_probe;	/* 0 = never probed */
	int			 last_probe_ok;
	int			 outage_notified;
	char			*last_error;	/* why the last probe failed */
	time_t			 last_success;	/* 0 = never */
	time_t			 outage_since;	/* first failed probe; 0 = none */
	/* the last good observation (a packed, read-only copy; conf is
	 * NULL) */
	struct target_result	*observation;
	struct state_event	*history;
	size_t			 nhistory;
};

/* A fresh state for `target` (nothing known). */
struct target_state *state_new(const char *target);
void		 state_free(struct target_state *);

/* Append an event (note is copied); keeps the last STATE_HISTORY_MAX. */
void		 state_history_add(struct target_state *, time_t at,
		    const char *event, const char *note);
/* The cycle's leaf SHA-256 from 64 hex digits (0), or -1 (left as it
 * was) when `hex` is not that; and back as 64 lower-case digits. */
int		 state_leaf_set_hex(struct cycle *, const char *hex);
void		 state_leaf_hex(const struct cycle *, char hex[65]);
/* Forget the cycle (its notices included). */
void		 state_cycle_clear(struct cycle *);
/* Record a notice in the cycle; keeps the last STATE_SENT_MAX. */
void		 state_sent_add(struct cycle *, const struct sent_notice *);
/* Replace the stored observation by a deep copy of `res` (NULL clears). */
void		 state_set_observation(struct target_state *,
		    const struct target_result *res);
/* A deep copy of a probe result (conf is kept as a borrowed pointer) and
 * its release; for results made by state_set_observation/state_decode. */
struct target_result *state_result_copy(const struct target_result *);
void		 state_result_free(struct target_result *);

/* Words used in the file and in the Status JSON. */
const char	*cycle_state_name(enum cycle_state);
const char	*expiry_source_name(enum expiry_source);
const char	*notice_kind_name(enum notice_kind);
int		 cycle_state_parse(const char *, enum cycle_state *);
int		 notice_kind_parse(const char *, enum notice_kind *);

/* The on-disk form: JSON text (caller frees), "v": STATE_VERSION. */
char		*state_encode(const struct target_state *);
/*
 * Parse `len` bytes of `text`. Everything is checked: the version, every
 * field's type and range, dates and times, the kinds and state words. On
 * error: NULL and the reason (with the JSON path, e.g.
 * "cycle.sent[2].due: not a time") in err.
 */
struct target_state *state_decode(const char *text, size_t len, char *err,
		    size_t errlen);

/* src/common/statefile.c ------------------------------------------------ */

/*
 * The file of target `name` under `dir`: the name is kept when it is made
 * of [A-Za-z0-9.-] only and does not start with '.'; any other byte
 * (including '_') is written as _XX (lower-case hex), so distinct names map
 * to distinct files. Suffix ".json". Caller frees.
 */
char		*statefile_path(const char *dir, const char *name);
enum statefile_status {
	STATEFILE_LOADED,	/* *out holds the saved state */
	STATEFILE_NEW,		/* no file yet: *out is a fresh state */
	STATEFILE_CORRUPT,	/* moved aside; *out is a fresh state */
	STATEFILE_ERROR,	/* unreadable (permissions, I/O): *out NULL */
};
/*
 * Load the state of `name`. A corrupt file (bad JSON, a failed check, a
 * wrong version, another target's state) is logged, moved aside to
 * FILE.corrupt-YYYYMMDDTHHMMSSZ and never silently replaced: the reason is
 * in err and the caller starts afresh. A file that cannot be read is left
 * alone: the caller must not track the target (nor overwrite the file)
 * until the cause is fixed.
 */
enum statefile_status statefile_load(const char *dir, const char *name,
		    struct target_state **out, char *err, size_t errlen);
/* Write the state atomically (temp file, fsync, rename, fsync dir), mode
 * 0600. 0, or -1 with the reason in err. */
int		 statefile_save(const char *dir, const struct target_state *,
		    char *err, size_t errlen);
/*
 * Remove the temp files (FILE.json.tmp.PID) that a writer killed between
 * creating and renaming one left behind. For start-up, before any save:
 * the state files themselves are whole (the rename is atomic). Returns how
 * many were removed, or -1 with the reason in err when `dir` cannot be
 * read.
 */
int		 statefile_cleanup(const char *dir, char *err, size_t errlen);

#endif
