/*
 * calendar.h — Japan time and the CA contract's calendar (src/core/calendar.c,
 * src/core/holiday.c). Pure: every function takes the instant it reasons
 * about; nothing reads the clock or depends on the host's TZ.
 *
 * Instants are time_t (seconds since the Unix epoch, UTC). Japan dates are
 * "day numbers": days since 1970-01-01 in Japan Standard Time (UTC+09:00, no
 * daylight saving), so day arithmetic is integer arithmetic.
 */
#ifndef RENEWD_CALENDAR_H
#define RENEWD_CALENDAR_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "config.h"

#define JST_OFFSET	(9 * 3600)

/* "No such day": returned by cal_business_days_before() and cal_apply_by()
 * when the rules leave no business day at all (a `closed` range covering
 * the whole year); never a real date of interest. */
#define CAL_NO_DAY	INT_MIN
/* Longest run of non-business days searched before giving up. */
#define CAL_MAX_GAP	400

/* --- Japan dates ------------------------------------------------------- */
int	 jday_from_time(time_t);			/* JST date of an instant */
time_t	 jday_to_time(int day, int minute_of_day);	/* JST wall clock -> instant */
/* Proleptic Gregorian. Months and days out of range carry over (month 13
 * is January of the next year, day 0 the last day of the month before). */
int	 jday_from_ymd(int y, int m, int d);
void	 jday_to_ymd(int day, int *y, int *m, int *d);
int	 jday_wday(int day);				/* 0 = Sunday */
int	 jday_parse(const char *, int *day);		/* "YYYY-MM-DD", 0/-1 */
void	 jday_format(int day, char buf[11]);		/* "YYYY-MM-DD", years 0000-9999 */
/* "2026-12-31T09:00:00+09:00" (buf >= 26) */
void	 time_format_jst(time_t, char *buf, size_t len);
/* "2026-11-24T03:00:00Z" (buf >= 21) */
void	 time_format_utc(time_t, char *buf, size_t len);
/* ISO 8601: YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.frac]] with an optional
 * zone (Z, +09:00, -0500, +09). A bare date is 00:00 and a date-time without
 * a zone is Japan time. The separator may also be a space. 0 or -1. */
int	 time_parse_iso(const char *, time_t *);

/* --- holidays and business days ---------------------------------------- */
/* Japanese public holiday under the Public Holiday Act (incl. substitute and
 * citizens' holidays). Returns 1 and its names (static strings, English and
 * Japanese), or 0. Name pointers may be NULL. Computed from the act's rules
 * as amended (see holiday.c): exact from 1948-07-20; the equinox days use
 * the approximation published for 1900-2099 (2100-2150 constants after). */
int	 jp_holiday(int day, const char **name_en, const char **name_ja);

/* The contract's calendar. `closed` is borrowed: from the config given to
 * cal_rules_from_config() (keep it alive), or a static default. */
struct cal_rules {
	struct maint_rule	 maint;
	const struct day_range	*closed;
	size_t			 nclosed;
	int			 review_days_ssl;
	int			 review_days_ev;
	int			 install_days;
};
void	 cal_rules_from_config(struct cal_rules *, const struct config *);
void	 cal_rules_default(struct cal_rules *);

int	 cal_is_closed(const struct cal_rules *, int day);	/* `closed` ranges */
int	 cal_is_business_day(const struct cal_rules *, int day);
/* The business day A such that exactly n business days lie in (A, day].
 * n = 0 gives the last business day on or before `day`. CAL_NO_DAY when
 * CAL_MAX_GAP days in a row are not business days. */
int	 cal_business_days_before(const struct cal_rules *, int day, int n);

/* --- the CA's maintenance windows -------------------------------------- */
struct window {
	time_t	start;
	time_t	end;
};
/* The window of month (y, m), if the rule has one: 1, else 0. The window
 * starts on the rule's nth weekday of the month (the 4th, not the last: a
 * month with five Wednesdays has its window on the fourth). */
int	 maint_window_of_month(const struct maint_rule *, int y, int m,
	    struct window *);
/* Windows ending after `after`, in order (a window in progress first). */
size_t	 maint_windows_after(const struct maint_rule *, time_t after,
	    struct window *out, size_t max);
/* 1 and the window when t is inside one (start <= t < end), else 0. */
int	 maint_window_at(const struct maint_rule *, time_t t, struct window *);
/* `due`, or the end of the window it falls in. */
time_t	 maint_defer(const struct maint_rule *, time_t due);

/* --- the renewal deadlines --------------------------------------------- */
int	 cal_review_days(const struct cal_rules *, enum product);
/* Apply-by date A = E minus (review days + install_days) business days. */
int	 cal_apply_by(const struct cal_rules *, enum product, int expiry_day);
/* The last moment to apply: the end of A (23:59:59), or the start of the
 * maintenance window when one begins on A's evening (when the window covers
 * the last second of A). */
time_t	 cal_apply_deadline(const struct cal_rules *, int apply_by_day);
/* When the contract lapses: 00:00 JST the day after E. */
time_t	 cal_lapse(int expiry_day);
/* Reminder T's due time: remind_at (minutes after 00:00 JST) on E - T
 * days, deferred to the window's end when it falls inside a window. */
time_t	 cal_reminder_due(const struct cal_rules *, int expiry_day, int days,
	    int remind_at);

#endif
