/*
 * policy.h — the renewal policy (src/core/policy.c): given a target's state,
 * what it was just seen serving and the time, decide which notifications are
 * due, how the workflow moves on, and when to look again. Pure: `now` is an
 * argument, the state is plain data (state.h), nothing is sent from here.
 *
 * The daemon's use, per target:
 *
 *	after a probe:	policy_observation_from_result(res, &obs);
 *			if (obs.ok) state_set_observation(st, res);
 *			policy_run(&ctx, st, &obs, now, &out);
 *	on a timer:	policy_run(&ctx, st, NULL, now, &out);
 *	then:		queue out.notices in the outbox (their `id` is stable:
 *			an id already queued must not be queued again), log
 *			out.events, save the state when out.changed, and call
 *			again at out.next_eval (0: only after the next probe).
 *
 * The rules, and the choices made where PRODUCT.md is silent, are written
 * at the top of policy.c.
 */
#ifndef RENEWD_POLICY_H
#define RENEWD_POLICY_H

#include <stddef.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "probe.h"
#include "state.h"

/* Everything the policy needs to know about the configuration of one
 * target. The pointers are borrowed. */
struct policy_ctx {
	const struct cal_rules	*rules;
	const struct threshold	*thresholds;
	size_t			 nthresholds;
	int			 remind_at;	/* minutes after 00:00 JST */
	enum product		 product;
	int			 contract_end;	/* Japan day, or -1 */
};
void	 policy_ctx_init(struct policy_ctx *, const struct config *,
	    const struct cal_rules *, const struct target_conf *);

/* What one address served, reduced to what the policy decides on. */
struct policy_addr {
	char	 address[64];
	int	 has_cert;		/* a leaf was seen */
	char	 sha256[65];
	time_t	 not_before;
	time_t	 not_after;
	int	 verify_ok;
	int	 names_ok;
};

/* One probe of one target, reduced. */
struct policy_obs {
	time_t			 at;		/* when the probe began */
	int			 ok;		/* some address served a leaf */
	char			 error[256];	/* why not, when !ok */
	/* the earliest-expiring leaf among the addresses, when ok */
	char			 sha256[65];
	time_t			 not_before;
	time_t			 not_after;
	struct policy_addr	*addrs;		/* owned */
	size_t			 naddrs;
};
void	 policy_observation_from_result(const struct target_result *,
	    struct policy_obs *);
void	 policy_obs_free(struct policy_obs *);

/* A notification to send: the data a mail needs. */
struct policy_notice {
	enum notice_kind	 kind;
	char			 id[96];	/* stable: "2027-03-31/reminder-90" */
	time_t			 due;		/* when it fell due (deferred) */
	time_t			 at;		/* when it was decided (now) */

	/* the deadline (every kind; expiry < 0 when none is known) */
	int			 expiry;	/* E, Japan day */
	enum expiry_source	 source;
	int			 days_left;	/* E minus today's Japan date */
	int			 apply_by;	/* A, Japan day */
	time_t			 apply_deadline;
	time_t			 lapse;		/* 00:00 JST after E */

	/* reminder */
	struct threshold	 threshold;
	int			 threshold_days;	/* days before E */
	int			 applications_open;	/* E - 90 reached: the CA
							 * accepts applications */
	/* reminder, apply-by, overdue: the next maintenance window, when
	 * one starts before the apply deadline */
	int			 has_window;
	struct window		 window;

	/* renewed: the new leaf and the deadline it brings (new_expiry is
	 * the same E when it comes from contract_end) */
	time_t			 new_not_after;
	int			 new_expiry;

	/* problem */
	time_t			 outage_since;
	time_t			 last_success;	/* 0 = never */
};

struct policy_out {
	struct policy_notice	*notices;	/* to send, in order */
	size_t			 nnotices;
	struct state_event	*events;	/* copies of what went into the
						 * history (for the log) */
	size_t			 nevents;
	time_t			 next_eval;	/* earliest future due time, 0 */
	int			 changed;	/* the state must be saved */
};
void	 policy_out_free(struct policy_out *);

/*
 * Take in an observation (NULL when only time has passed), move the
 * workflow on and decide the notices due at `now`. Every decision is
 * recorded in `st` so that running again (also after a restart from the
 * saved state) never repeats one. `out` is overwritten.
 */
void	 policy_run(const struct policy_ctx *, struct target_state *st,
	    const struct policy_obs *, time_t now, struct policy_out *out);

/*
 * The next notification the policy expects for `st` (what is due now and
 * waits for policy_run, else the earliest future one), without changing
 * anything: for the Status JSON's "next_notification". Problem notices are
 * not included. 1 and *next, or 0 when none is expected.
 */
int	 policy_next(const struct policy_ctx *, const struct target_state *,
	    time_t now, struct policy_notice *next);

/*
 * The same for a target seen for the first time with `obs` (NULL: not
 * seen), with no memory: what a daemon would send first. For renewd --once,
 * which keeps no state. 1 and *next, or 0.
 */
int	 policy_next_first_sight(const struct policy_ctx *, const char *target,
	    const struct policy_obs *, time_t now, struct policy_notice *next);

enum policy_mark {
	POLICY_MARK_APPLIED,
	POLICY_MARK_ISSUED,
};
/*
 * renewctl mark T applied|issued. 0 when the state changed, 1 when it was
 * already so (nothing recorded), -1 when refused, with the reason, written
 * for the admin, in err (no deadline known yet; the contract lapsed; the
 * renewal is already verified for a contract_end date).
 */
int	 policy_mark(struct target_state *, enum policy_mark, time_t now,
	    const char *note, char *err, size_t errlen);
/* renewctl reset T: forget the cycle (and its notices); the next
 * policy_run starts afresh from contract_end or what is served. */
void	 policy_reset(struct target_state *, time_t now, const char *note);

/* Days before E that threshold `t` stands for, for a leaf valid from `nb`
 * to `na` (nb == na == 0: unknown leaf), or -1 when it does not apply:
 * a share of an unknown lifetime, or a day count not shorter than the
 * lifetime. */
int	 policy_threshold_days(const struct threshold *t, time_t nb, time_t na);

#endif
