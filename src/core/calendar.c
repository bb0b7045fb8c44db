/*
 * calendar.c — Japan dates and the CA contract's calendar: day numbers,
 * formatting and parsing of instants, business days, maintenance windows,
 * the apply-by date and the reminder times.
 *
 * Japan Standard Time is UTC+09:00 and has had no daylight saving since
 * 1951, so a Japan date is plain integer arithmetic on the instant; nothing
 * here consults the host's time zone or the C library's time conversions.
 * Dates use the proleptic Gregorian calendar.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "calendar.h"

#define SECS_PER_DAY	86400
#define DAYS_PER_400Y	146097		/* 400 * 365 + 97 leap days */
#define DAYS_PER_100Y	36524		/* 100 * 365 + 24 */
#define DAYS_PER_4Y	1461		/* 4 * 365 + 1 */
#define DAYS_0001_1970	719162		/* 0001-01-01 .. 1970-01-01 */

/* Days before the first of each month in a common year. */
static const int month_start[13] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int
clamp_int(int64_t v)
{
	if (v > INT_MAX)
		return INT_MAX;
	if (v < INT_MIN)
		return INT_MIN;
	return (int)v;
}

static int
is_leap(int64_t y)
{
	return (floor_mod(y, 4) == 0 && floor_mod(y, 100) != 0) ||
	    floor_mod(y, 400) == 0;
}

static int
month_days(int64_t y, int m)
{
	if (m == 2 && is_leap(y))
		return 29;
	return month_start[m] - month_start[m - 1];
}

/* --- Japan dates ------------------------------------------------------- */

int
jday_from_time(time_t t)
{
	return clamp_int(floor_div((int64_t)t + JST_OFFSET, SECS_PER_DAY));
}

time_t
jday_to_time(int day, int minute_of_day)
{
	return (time_t)((int64_t)day * SECS_PER_DAY +
	    (int64_t)minute_of_day * 60 - JST_OFFSET);
}

/*
 * Days since 1970-01-01: count the days of the whole years before `y` since
 * 0001-01-01 (365 each plus the Gregorian leap days), then the months and
 * days within the year.
 */
int
jday_from_ymd(int y, int m, int d)
{
	int64_t py, days;

	/* Normalise the month so that callers may step months freely. */
	py = (int64_t)y + floor_div((int64_t)m - 1, 12);
	m = (int)floor_mod((int64_t)m - 1, 12) + 1;

	days = 365 * (py - 1) + floor_div(py - 1, 4) - floor_div(py - 1, 100) +
	    floor_div(py - 1, 400);
	days += month_start[m - 1];
	if (m > 2 && is_leap(py))
		days++;
	days += (int64_t)d - 1;
	return clamp_int(days - DAYS_0001_1970);
}

/*
 * The inverse: split the days since 0001-01-01 into 400-, 100-, 4- and
 * 1-year cycles. The last year of a 4-year cycle and the last 100 years of a
 * 400-year cycle are one day longer, hence the two corrections.
 */
void
jday_to_ymd(int day, int *y, int *m, int *d)
{
	int64_t n, q400, c100, c4, c1, year;
	int leap, mon, doy;

	n = (int64_t)day + DAYS_0001_1970;
	q400 = floor_div(n, DAYS_PER_400Y);
	n = floor_mod(n, DAYS_PER_400Y);
	c100 = n / DAYS_PER_100Y;
	if (c100 == 4)
		c100 = 3;
	n -= c100 * DAYS_PER_100Y;
	c4 = n / DAYS_PER_4Y;
	n -= c4 * DAYS_PER_4Y;
	c1 = n / 365;
	if (c1 == 4)
		c1 = 3;
	n -= c1 * 365;
	year = q400 * 400 + c100 * 100 + c4 * 4 + c1 + 1;
	doy = (int)n;				/* 0-based day of the year */

	leap = is_leap(year);
	for (mon = 12; mon > 1; mon--) {
		if (doy >= month_start[mon - 1] + (leap && mon > 2))
			break;
	}
	*y = clamp_int(year);
	*m = mon;
	*d = doy - month_start[mon - 1] - (leap && mon > 2) + 1;
}

int
jday_wday(int day)
{
	/* 1970-01-01 was a Thursday. */
	return (int)floor_mod((int64_t)day + 4, 7);
}

/* Exactly `n` ASCII digits at `s`; their value in *v. */
static int
parse_digits(const char *s, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* "YYYY-MM-DD" at s (no terminator check). */
static int
parse_date(const char *s, int *day)
{
	int y, m, d;

	if (parse_digits(s, 4, &y) == -1 || s[4] != '-' ||
	    parse_digits(s + 5, 2, &m) == -1 || s[7] != '-' ||
	    parse_digits(s + 8, 2, &d) == -1)
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	*day = jday_from_ymd(y, m, d);
	return 0;
}

int
jday_parse(const char *s, int *day)
{
	if (s == NULL || strlen(s) != 10)
		return -1;
	return parse_date(s, day);
}

/* Write v as exactly n decimal digits (v is reduced modulo 10^n). */
static void
put_digits(char *p, int64_t v, int n)
{
	int i;

	if (v < 0)
		v = -v;
	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
jday_format(int day, char buf[11])
{
	int y, m, d;

	jday_to_ymd(day, &y, &m, &d);
	put_digits(buf, y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = '\0';
}

/* "YYYY-MM-DDTHH:MM:SS" of the wall clock `offset` seconds east of UTC. */
static void
format_wall(time_t t, int offset, char out[20])
{
	int64_t local = (int64_t)t + offset;
	int64_t secs = floor_mod(local, SECS_PER_DAY);

	jday_format(clamp_int(floor_div(local, SECS_PER_DAY)), out);
	out[10] = 'T';
	put_digits(out + 11, secs / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, secs / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, secs % 60, 2);
	out[19] = '\0';
}

void
time_format_jst(time_t t, char *buf, size_t len)
{
	char tmp[26];

	if (len == 0)
		return;
	format_wall(t, JST_OFFSET, tmp);
	memcpy(tmp + 19, "+09:00", 7);
	rd_strlcpy(buf, tmp, len);
}

void
time_format_utc(time_t t, char *buf, size_t len)
{
	char tmp[21];

	if (len == 0)
		return;
	format_wall(t, 0, tmp);
	tmp[19] = 'Z';
	tmp[20] = '\0';
	rd_strlcpy(buf, tmp, len);
}

/*
 * YYYY-MM-DD[(T|t| )HH:MM[:SS[.fraction]]][Z|z|+HH:MM|-HH:MM|+HHMM|+HH].
 * Without a zone the wall clock is Japan time. A bare date is its 00:00.
 * Fractions of a second are accepted and dropped.
 */
int
time_parse_iso(const char *s, time_t *out)
{
	int day, hh = 0, mm = 0, ss = 0, oh, om = 0, sign;
	int64_t offset = JST_OFFSET;
	const char *p;

	if (s == NULL || strlen(s) < 10 || parse_date(s, &day) == -1)
		return -1;
	p = s + 10;
	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (parse_digits(p, 2, &hh) == -1 || p[2] != ':' ||
	    parse_digits(p + 3, 2, &mm) == -1)
		return -1;
	p += 5;
	if (*p == ':') {
		if (parse_digits(p + 1, 2, &ss) == -1)
			return -1;
		p += 3;
		if (*p == '.' || *p == ',') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (hh > 23 || mm > 59 || ss > 59)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		offset = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (parse_digits(p, 2, &oh) == -1)
			return -1;
		p += 2;
		if (*p == ':') {
			if (parse_digits(p + 1, 2, &om) == -1)
				return -1;
			p += 3;
		} else if (*p != '\0') {
			if (parse_digits(p, 2, &om) == -1)
				return -1;
			p += 2;
		}
		if (oh > 23 || om > 59)
			return -1;
		offset = sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
	}
	if (*p != '\0')
		return -1;
done:
	*out = (time_t)((int64_t)day * SECS_PER_DAY + (int64_t)hh * 3600 +
	    (int64_t)mm * 60 + ss - offset);
	return 0;
}

/* --- business days ----------------------------------------------------- */

static const struct day_range cal_default_closed[] = {
	{ 12, 29, 1, 3 },
};

void
cal_rules_default(struct cal_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->maint.nth = 4;
	r->maint.wday = 3;			/* Wednesday */
	r->maint.start_min = 20 * 60;
	r->maint.end_min = 8 * 60;
	r->closed = cal_default_closed;
	r->nclosed = nitems(cal_default_closed);
	r->review_days_ssl = 5;
	r->review_days_ev = 10;
	r->install_days = 1;
}

void
cal_rules_from_config(struct cal_rules *r, const struct config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->maint = cfg->maintenance;
	r->closed = cfg->closed;
	r->nclosed = cfg->nclosed;
	r->review_days_ssl = cfg->review_days_ssl;
	r->review_days_ev = cfg->review_days_ev;
	r->install_days = cfg->install_days;
}

int
cal_is_closed(const struct cal_rules *r, int day)
{
	int y, m, d, md, from, to;
	size_t i;

	jday_to_ymd(day, &y, &m, &d);
	md = m * 100 + d;
	for (i = 0; i < r->nclosed; i++) {
		from = r->closed[i].from_month * 100 + r->closed[i].from_day;
		to = r->closed[i].to_month * 100 + r->closed[i].to_day;
		if (from <= to) {
			if (md >= from && md <= to)
				return 1;
		} else if (md >= from || md <= to)	/* wraps the new year */
			return 1;
	}
	return 0;
}

int
cal_is_business_day(const struct cal_rules *r, int day)
{
	int wd = jday_wday(day);

	if (wd == 0 || wd == 6)
		return 0;
	if (jp_holiday(day, NULL, NULL))
		return 0;
	return !cal_is_closed(r, day);
}

/* The latest business day <= day, or CAL_NO_DAY. */
static int
business_day_at_or_before(const struct cal_rules *r, int day)
{
	int gap;

	for (gap = 0; gap < CAL_MAX_GAP; gap++, day--) {
		if (day == INT_MIN)
			break;
		if (cal_is_business_day(r, day))
			return day;
	}
	return CAL_NO_DAY;
}

int
cal_business_days_before(const struct cal_rules *r, int day, int n)
{
	int found;

	for (found = 0; found < n; found++) {
		day = business_day_at_or_before(r, day);
		if (day == CAL_NO_DAY || day == INT_MIN)
			return CAL_NO_DAY;
		day--;
	}
	return business_day_at_or_before(r, day);
}

/* --- the CA's maintenance windows -------------------------------------- */

static int
maint_valid(const struct maint_rule *mr)
{
	return mr->nth >= 1 && mr->nth <= 5 && mr->wday >= 0 &&
	    mr->wday <= 6 && mr->start_min >= 0 && mr->start_min < 24 * 60 &&
	    mr->end_min >= 0 && mr->end_min <= 24 * 60;
}

int
maint_window_of_month(const struct maint_rule *mr, int y, int m,
    struct window *w)
{
	int first, day, ny, nm, nd;

	if (!maint_valid(mr))
		return 0;
	first = jday_from_ymd(y, m, 1);
	day = first + (mr->wday - jday_wday(first) + 7) % 7 + 7 * (mr->nth - 1);
	jday_to_ymd(day, &ny, &nm, &nd);
	if (jday_from_ymd(ny, nm, 1) != first)
		return 0;			/* no 5th such weekday */
	w->start = jday_to_time(day, mr->start_min);
	if (mr->end_min <= mr->start_min)
		w->end = jday_to_time(day + 1, mr->end_min);
	else
		w->end = jday_to_time(day, mr->end_min);
	return 1;
}

size_t
maint_windows_after(const struct maint_rule *mr, time_t after,
    struct window *out, size_t max)
{
	struct window w;
	size_t n = 0, months;
	int y, m, d;

	if (!maint_valid(mr) || max == 0)
		return 0;
	/* A window of last month may still be running. */
	jday_to_ymd(jday_from_time(after), &y, &m, &d);
	m--;
	/* Every rule has a window at least four times a year. */
	for (months = 0; n < max && months < 12 * (max + 2); months++, m++) {
		if (m > 12) {
			m = 1;
			y++;
		} else if (m < 1) {
			m = 12;
			y--;
		}
		if (maint_window_of_month(mr, y, m, &w) && w.end > after)
			out[n++] = w;
	}
	return n;
}

int
maint_window_at(const struct maint_rule *mr, time_t t, struct window *w)
{
	struct window cand;
	int y, m, d, i;

	jday_to_ymd(jday_from_time(t), &y, &m, &d);
	for (i = 0; i < 2; i++, m--) {
		if (m < 1) {
			m = 12;
			y--;
		}
		if (maint_window_of_month(mr, y, m, &cand) &&
		    cand.start <= t && t < cand.end) {
			if (w != NULL)
				*w = cand;
			return 1;
		}
	}
	return 0;
}

time_t
maint_defer(const struct maint_rule *mr, time_t due)
{
	struct window w;

	if (maint_window_at(mr, due, &w))
		return w.end;
	return due;
}

/* --- the renewal deadlines --------------------------------------------- */

int
cal_review_days(const struct cal_rules *r, enum product p)
{
	return p == PRODUCT_EV ? r->review_days_ev : r->review_days_ssl;
}

int
cal_apply_by(const struct cal_rules *r, enum product p, int expiry_day)
{
	return cal_business_days_before(r, expiry_day,
	    cal_review_days(r, p) + r->install_days);
}

time_t
cal_apply_deadline(const struct cal_rules *r, int apply_by_day)
{
	time_t end = jday_to_time(apply_by_day + 1, 0) - 1;
	struct window w;

	/*
	 * A window that covers the last second of A began on A (windows last
	 * at most a day): the CA stops accepting applications when it starts.
	 */
	if (maint_window_at(&r->maint, end, &w))
		return w.start;
	return end;
}

time_t
cal_lapse(int expiry_day)
{
	return jday_to_time(expiry_day + 1, 0);
}

time_t
cal_reminder_due(const struct cal_rules *r, int expiry_day, int days,
    int remind_at)
{
	return maint_defer(&r->maint,
	    jday_to_time(expiry_day - days, remind_at));
}
