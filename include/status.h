/*
 * status.h — what renewd knows about a target, as the Status JSON of
 * PRODUCT.md and as a human table (src/core/status.c, src/core/status_text.c).
 * Pure: the caller passes `now` and the observations.
 */
#ifndef RENEWD_STATUS_H
#define RENEWD_STATUS_H

#include <time.h>

#include <jansson.h>

#include "calendar.h"
#include "config.h"
#include "probe.h"
#include "state.h"

/* Nagios/monitoring-plugins severities, also renewd --once's exit codes. */
enum severity {
	SEV_OK		= 0,
	SEV_WARNING	= 1,
	SEV_CRITICAL	= 2,
	SEV_UNKNOWN	= 3,
};

/* The deadline view of one target, derived from config + observation. */
struct target_status {
	const struct target_conf	*conf;
	const struct target_result	*result;	/* may be NULL: never probed */
	int		 have_expiry;
	int		 expiry_day;		/* deadline date E (Japan) */
	const char	*expiry_source;		/* "contract" | "certificate" */
	time_t		 not_after;		/* earliest leaf notAfter, or 0 */
	int		 days_left;		/* E - today (Japan dates) */
	int		 apply_by;		/* Japan day */
	time_t		 apply_deadline;
	time_t		 lapse;
	const char	*state;			/* workflow state word */
	int		 any_ok;		/* some address answered with a leaf */
	unsigned	 problems;
	/* the next notification, when one is known */
	const char	*next_kind;		/* "reminder", "apply-by", ... or NULL */
	int		 next_threshold;	/* for reminders */
	int		 next_threshold_percent;
	time_t		 next_due;
	enum severity	 severity;
	time_t		 last_probe;		/* 0: never */
	time_t		 last_success;		/* 0: never */
	const char	*error;			/* why the last probe failed */
	const struct target_state *tstate;	/* the daemon's, or NULL */
};

void	 status_compute(const struct config *, const struct cal_rules *,
	    const struct target_conf *, const struct target_result *, time_t now,
	    struct target_status *);
/*
 * The same view from what the daemon remembers (state.h): E, the state and
 * the reminders of its cycle, the next notification by policy_next(),
 * last_probe/last_success, and the addresses and problems of the last good
 * observation. When the last probe failed, "error" says why, `unreachable`
 * is added to the problems and the severity is unknown — unless the dates
 * alone make it critical (lapsed; the apply deadline passed without
 * `applied`). Applied/issued targets are not critical for a passed apply
 * deadline; a contract cycle that is verified is ok. `ts` is kept
 * (st->tstate) for status_target_json.
 */
void	 status_compute_from_state(const struct config *,
	    const struct cal_rules *, const struct target_conf *,
	    const struct target_state *ts, time_t now, struct target_status *);
const char *status_severity_word(enum severity);	/* "ok", "warning", ... */

/* {"target": ..., "addresses": [...]} as in PRODUCT.md, with "severity".
 * New reference. */
json_t	*status_target_json(const struct target_status *);
json_t	*status_addr_json(const struct addr_result *);
/* The problems bits as a JSON array of words. */
json_t	*status_problems_json(unsigned problems);
/* Words joined with ", " (caller frees). "-" when none. */
char	*status_problems_text(unsigned problems);

/* For renewctl show/history: the history [{"at", "event", "note"}], the
 * cycle (null when no deadline is known) with every notice decided, and the
 * six renewal steps [{"step", "name", "what", "done"}]. */
#define STATUS_STEPS	6
json_t	*status_history_json(const struct target_state *);
json_t	*status_cycle_json(const struct cycle *);
json_t	*status_steps_json(const struct cycle *);
int	 status_steps_done(const struct cycle *);	/* 0..6 */

/* A human report of many targets (caller frees). `color` adds ANSI colour. */
char	*status_text_table(const struct target_status *, size_t n, time_t now,
	    int color);
/* The details of one target: addresses, fields, problems (caller frees). */
char	*status_text_details(const struct target_status *, int color);

#endif
