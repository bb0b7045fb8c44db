/*
 * test_calendar.c — Japan dates, public holidays, business days, the CA's
 * maintenance windows and the renewal deadlines (src/core/calendar.c,
 * src/core/holiday.c).
 *
 * The expected values come from outside the code under test: the official
 * holiday list (test_calendar_holidays.h), the C library's gmtime_r/timegm
 * (which do not depend on TZ), and small independent computations written
 * here (weekday by Sakamoto's method, windows as "first Wednesday + 21").
 * scripts/run-unit-tests runs this under several TZ values; the tests also
 * set an odd TZ themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"
#include "test_calendar_holidays.h"
#include "support/when.h"

static const char *
fmt_jst(time_t t)
{
	static char buf[4][32];
	static int i;

	i = (i + 1) % 4;
	time_format_jst(t, buf[i], sizeof(buf[i]));
	return buf[i];
}

static const char *
fmt_day(int day)
{
	static char buf[4][11];
	static int i;

	i = (i + 1) % 4;
	jday_format(day, buf[i]);
	return buf[i];
}

/* Weekday of a Gregorian date, 0 = Sunday (Sakamoto's method). */
static int
ref_wday(int y, int m, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (m < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* --- day numbers --------------------------------------------------------- */

static void
test_day_anchors(void **state)
{
	static const struct {
		int	y, m, d, day;
	} cases[] = {
		{ 1970, 1, 1, 0 },
		{ 1969, 12, 31, -1 },
		{ 1970, 1, 2, 1 },
		{ 2000, 1, 1, 10957 },
		{ 2000, 2, 29, 11016 },
		{ 2000, 3, 1, 11017 },
		{ 1900, 3, 1, -25508 },
		{ 2038, 1, 19, 24855 },
		{ 2100, 3, 1, 47541 },
		{ 1, 1, 1, -719162 },
		{ 9999, 12, 31, 2932896 },
	};
	size_t i;
	int y, m, d;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		assert_int_equal(jday_from_ymd(cases[i].y, cases[i].m,
		    cases[i].d), cases[i].day);
		jday_to_ymd(cases[i].day, &y, &m, &d);
		assert_int_equal(y, cases[i].y);
		assert_int_equal(m, cases[i].m);
		assert_int_equal(d, cases[i].d);
	}
	/* Months and days carry over. */
	assert_int_equal(jday_from_ymd(2026, 13, 1), D("2027-01-01"));
	assert_int_equal(jday_from_ymd(2026, 0, 1), D("2025-12-01"));
	assert_int_equal(jday_from_ymd(2026, 3, 0), D("2026-02-28"));
	assert_int_equal(jday_from_ymd(2028, 3, 0), D("2028-02-29"));
}

/* Every day from 1600 to 2500 against gmtime_r, and weekdays. */
static void
test_day_vs_libc(void **state)
{
	struct tm tm;
	time_t t;
	int day, y, m, d;

	(void)state;
	for (day = jday_from_ymd(1600, 1, 1); day <= jday_from_ymd(2500, 12, 31);
	    day++) {
		t = (time_t)day * 86400;
		assert_non_null(gmtime_r(&t, &tm));
		jday_to_ymd(day, &y, &m, &d);
		assert_int_equal(y, tm.tm_year + 1900);
		assert_int_equal(m, tm.tm_mon + 1);
		assert_int_equal(d, tm.tm_mday);
		assert_int_equal(jday_wday(day), tm.tm_wday);
		assert_int_equal(jday_from_ymd(y, m, d), day);
	}
}

/* Round trip and the succession of dates over a wide range. */
static void
test_day_succession(void **state)
{
	int day, y, m, d, py, pm, pd;

	(void)state;
	jday_to_ymd(-1000000, &py, &pm, &pd);
	for (day = -999999; day <= 3000000; day++) {
		jday_to_ymd(day, &y, &m, &d);
		if (d == pd + 1) {
			assert_int_equal(y, py);
			assert_int_equal(m, pm);
		} else {
			assert_int_equal(d, 1);
			/* pd was the last day of its month */
			assert_int_equal(jday_from_ymd(py, pm + 1, 1), day);
			if (pm == 12) {
				assert_int_equal(y, py + 1);
				assert_int_equal(m, 1);
			} else {
				assert_int_equal(y, py);
				assert_int_equal(m, pm + 1);
			}
		}
		assert_int_equal(jday_from_ymd(y, m, d), day);
		py = y;
		pm = m;
		pd = d;
	}
}

static void
test_jday_parse_format(void **state)
{
	static const char *bad[] = {
		"", "2026", "2026-1-01", "2026-01-1", "2026-13-01",
		"2026-00-10", "2026-01-00", "2026-02-29", "2100-02-29",
		"2026-04-31", "2026-01-01x", " 2026-01-01", "2026/01/01",
		"2026-01-0a", "+026-01-01",
	};
	char buf[11];
	size_t i;
	int day;

	(void)state;
	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(jday_parse(bad[i], &day), -1);
	assert_int_equal(jday_parse(NULL, &day), -1);
	assert_int_equal(jday_parse("2028-02-29", &day), 0);
	assert_int_equal(jday_parse("2000-02-29", &day), 0);
	assert_int_equal(jday_parse("0001-01-01", &day), 0);
	assert_int_equal(day, -719162);
	jday_format(day, buf);
	assert_string_equal(buf, "0001-01-01");
	jday_format(D("2026-11-24"), buf);
	assert_string_equal(buf, "2026-11-24");
}

/* --- instants ------------------------------------------------------------ */

static void
test_jst_day_of_instant(void **state)
{
	(void)state;
	/* 14:59:59Z is still the same JST day; 15:00:00Z is the next. */
	assert_int_equal(jday_from_time(T("2027-03-31T14:59:59Z")),
	    D("2027-03-31"));
	assert_int_equal(jday_from_time(T("2027-03-31T15:00:00Z")),
	    D("2027-04-01"));
	assert_int_equal(jday_from_time(0), 0);
	assert_int_equal(jday_from_time(-9 * 3600), 0);
	assert_int_equal(jday_from_time(-9 * 3600 - 1), -1);
	assert_int_equal(jday_to_time(0, 0), -9 * 3600);
	assert_int_equal(jday_to_time(D("2026-12-31"), 9 * 60),
	    T("2026-12-31T00:00:00Z"));
}

static void
test_time_format(void **state)
{
	char buf[32], small[8];

	(void)state;
	time_format_jst(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T09:00:00+09:00");
	time_format_utc(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	time_format_jst(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T08:59:59+09:00");
	time_format_utc(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	time_format_jst(T("2027-03-31T14:59:59Z"), buf, sizeof(buf));
	assert_string_equal(buf, "2027-03-31T23:59:59+09:00");
	time_format_utc(T("2027-03-31T23:59:59+09:00"), buf, sizeof(buf));
	assert_string_equal(buf, "2027-03-31T14:59:59Z");
	time_format_jst(0, small, sizeof(small));
	assert_string_equal(small, "1970-01");
}

static void
test_time_parse_iso(void **state)
{
	static const struct {
		const char	*in;
		const char	*utc;	/* NULL: must be rejected */
	} cases[] = {
		{ "2026-11-24", "2026-11-23T15:00:00Z" },
		{ "2026-11-24T09:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T09:00:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24 09:00:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24t09:00:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T09:00:00Z", "2026-11-24T09:00:00Z" },
		{ "2026-11-24T09:00z", "2026-11-24T09:00:00Z" },
		{ "2026-11-24T09:00:00+09:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T09:00:00-05:00", "2026-11-24T14:00:00Z" },
		{ "2026-11-24T09:00:00+12:45", "2026-11-23T20:15:00Z" },
		{ "2026-11-24T09:00:00+0900", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T09:00:00+09", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T09:00+09:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T09:00:00.123Z", "2026-11-24T09:00:00Z" },
		{ "2026-11-24T09:00:00.5+09:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T00:00:00+00:00", "2026-11-24T00:00:00Z" },
		{ "2026-11-24T23:59:59", "2026-11-24T14:59:59Z" },
		{ "2026-11-24T00:00", "2026-11-23T15:00:00Z" },
		{ "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z" },
		{ "", NULL },
		{ "2026-11-24T", NULL },
		{ "2026-11-24T9:00", NULL },
		{ "2026-11-24T09", NULL },
		{ "2026-11-24T09:0", NULL },
		{ "2026-11-24T24:00", NULL },
		{ "2026-11-24T23:60", NULL },
		{ "2026-11-24T23:59:60", NULL },
		{ "2026-11-24T09:00:00.", NULL },
		{ "2026-11-24T09:00:00+9:00", NULL },
		{ "2026-11-24T09:00:00+09:", NULL },
		{ "2026-11-24T09:00:00+24:00", NULL },
		{ "2026-11-24T09:00:00+09:60", NULL },
		{ "2026-11-24T09:00:00 Z", NULL },
		{ "2026-11-24T09:00:00Zx", NULL },
		{ "2026-11-24Z", NULL },
		{ "2026-11-31", NULL },
		{ "2026-11-24X09:00", NULL },
		{ "tomorrow", NULL },
	};
	char buf[32];
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		if (cases[i].utc == NULL) {
			if (time_parse_iso(cases[i].in, &t) != -1)
				fail_msg("accepted \"%s\"", cases[i].in);
			continue;
		}
		if (time_parse_iso(cases[i].in, &t) != 0)
			fail_msg("rejected \"%s\"", cases[i].in);
		time_format_utc(t, buf, sizeof(buf));
		if (strcmp(buf, cases[i].utc) != 0)
			fail_msg("\"%s\": %s, expected %s", cases[i].in, buf,
			    cases[i].utc);
	}
	assert_int_equal(time_parse_iso(NULL, &t), -1);
}

/* Against timegm over a spread of instants (both are TZ-free). */
static void
test_time_vs_libc(void **state)
{
	char buf[32], want[96];
	struct tm tm;
	time_t t, back;
	int64_t s;

	(void)state;
	for (s = -2208988800LL; s < 7258118400LL; s += 7777777) {
		t = (time_t)s;
		assert_non_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		time_format_utc(t, buf, sizeof(buf));
		assert_string_equal(buf, want);
		assert_int_equal(time_parse_iso(buf, &back), 0);
		assert_int_equal(back, t);
		time_format_jst(t, buf, sizeof(buf));
		assert_int_equal(time_parse_iso(buf, &back), 0);
		assert_int_equal(back, t);
		assert_int_equal(jday_from_time(t),
		    (int)((s + 9 * 3600 + 86400LL * 1000000) / 86400 -
		    1000000));
	}
}

/* --- holidays ------------------------------------------------------------ */

/* Every listed day is a holiday with the listed Japanese name. */
static void
test_holidays_listed(void **state)
{
	const char *en, *ja;
	size_t i;
	int day;

	(void)state;
	for (i = 0; i < nitems(holidays_2000_2030); i++) {
		day = D(holidays_2000_2030[i].date);
		en = ja = NULL;
		if (!jp_holiday(day, &en, &ja))
			fail_msg("%s (%s) is not a holiday",
			    holidays_2000_2030[i].date,
			    holidays_2000_2030[i].name);
		assert_non_null(en);
		assert_non_null(ja);
		if (strcmp(ja, holidays_2000_2030[i].name) != 0)
			fail_msg("%s is %s, expected %s",
			    holidays_2000_2030[i].date, ja,
			    holidays_2000_2030[i].name);
		/* The list is in order. */
		if (i > 0)
			assert_true(day > D(holidays_2000_2030[i - 1].date));
	}
}

/* ... and no other day from 2000-01-01 to 2030-12-31 is. */
static void
test_holidays_nothing_else(void **state)
{
	int count[31] = { 0 };
	size_t i = 0;
	int day, y, m, d;

	(void)state;
	for (day = D("2000-01-01"); day <= D("2030-12-31"); day++) {
		int listed = i < nitems(holidays_2000_2030) &&
		    D(holidays_2000_2030[i].date) == day;

		if (jp_holiday(day, NULL, NULL) != listed)
			fail_msg("%s: holiday %d, listed %d", fmt_day(day),
			    !listed, listed);
		if (listed) {
			jday_to_ymd(day, &y, &m, &d);
			count[y - 2000]++;
			i++;
		}
	}
	assert_int_equal(i, nitems(holidays_2000_2030));
	for (y = 0; y < 31; y++)
		if (count[y] != holiday_count_2000_2030[y])
			fail_msg("%d: %d holidays, expected %d", 2000 + y,
			    count[y], holiday_count_2000_2030[y]);
}

static void
test_holiday_names(void **state)
{
	static const struct {
		const char	*date;
		const char	*en;
		const char	*ja;
	} cases[] = {
		{ "2026-01-01", "New Year's Day", "元日" },
		{ "2019-05-01", "Enthronement Day", "天皇の即位の日" },
		{ "2019-10-22", "Enthronement Ceremony", "即位礼正殿の儀" },
		{ "2019-04-30", "Citizens' Holiday", "国民の休日" },
		{ "2021-08-09", "Substitute Holiday", "振替休日" },
		{ "2019-10-14", "Health and Sports Day", "体育の日" },
		{ "2020-07-24", "Sports Day", "スポーツの日" },
		{ "2026-04-29", "Showa Day", "昭和の日" },
		{ "2006-04-29", "Greenery Day", "みどりの日" },
		{ "2026-02-23", "The Emperor's Birthday", "天皇誕生日" },
		{ "2018-12-23", "The Emperor's Birthday", "天皇誕生日" },
		{ "1988-04-29", "The Emperor's Birthday", "天皇誕生日" },
		{ "1989-02-24", "Funeral of Emperor Showa", "昭和天皇の大喪の礼" },
		{ "1990-11-12", "Enthronement Ceremony", "即位礼正殿の儀" },
		{ "1993-06-09", "Wedding of Crown Prince Naruhito",
		    "皇太子徳仁親王の結婚の儀" },
		{ "1959-04-10", "Wedding of Crown Prince Akihito",
		    "皇太子明仁親王の結婚の儀" },
	};
	const char *en, *ja;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		assert_true(jp_holiday(D(cases[i].date), &en, &ja));
		assert_string_equal(en, cases[i].en);
		assert_string_equal(ja, cases[i].ja);
	}
	assert_false(jp_holiday(D("2026-11-24"), &en, &ja));
	/* Either name may be omitted. */
	assert_true(jp_holiday(D("2026-01-01"), NULL, &ja));
	assert_true(jp_holiday(D("2026-01-01"), &en, NULL));
}

/* Rule boundaries outside the listed years. */
static void
test_holiday_history(void **state)
{
	static const struct {
		const char	*date;
		int		 holiday;
	} cases[] = {
		{ "1948-07-19", 0 },	/* before the act */
		{ "1948-09-23", 1 },	/* the first autumnal equinox day */
		{ "1948-11-03", 1 },
		{ "1949-01-15", 1 },
		{ "1966-09-15", 1 },
		{ "1966-10-10", 1 },
		{ "1966-02-11", 0 },	/* National Foundation Day from 1967 */
		{ "1967-02-11", 1 },
		{ "1973-02-12", 0 },	/* Sunday 02-11, before substitutes */
		{ "1973-04-30", 1 },	/* the first substitute holiday */
		{ "1986-05-04", 0 },	/* Sunday: no citizens' holiday */
		{ "1987-05-04", 1 },	/* Monday: substitute for 05-03 */
		{ "1988-05-04", 1 },	/* the first citizens' holiday */
		{ "1989-04-29", 1 },	/* Greenery Day */
		{ "1989-12-23", 1 },
		{ "1995-07-20", 0 },	/* Marine Day from 1996 */
		{ "1996-07-20", 1 },
		{ "1999-01-15", 1 },
		{ "2000-01-15", 0 },
		{ "1999-10-10", 1 },
		{ "2000-10-10", 0 },
		{ "2015-08-11", 0 },	/* Mountain Day from 2016 */
		{ "2019-12-23", 0 },
		{ "2019-02-23", 0 },
		{ "2020-10-12", 0 },	/* Sports Day moved to July */
		{ "2020-07-20", 0 },
		{ "2020-08-11", 0 },
		{ "2021-10-11", 0 },
		{ "2021-07-19", 0 },
		{ "2021-08-11", 0 },
		{ "2033-09-23", 1 },	/* equinox on a Friday */
		{ "2032-09-21", 1 },	/* Silver Week 2032 */
		{ "2032-09-20", 1 },
		{ "2032-09-22", 1 },
		{ "2037-09-22", 1 },	/* and 2037 */
		{ "2044-09-22", 1 },
		{ "2092-09-22", 1 },
		{ "2092-09-23", 0 },
		{ "2099-03-20", 1 },
		{ "2100-03-20", 1 },	/* the 2100-2150 constants */
		{ "2100-09-23", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++)
		if (jp_holiday(D(cases[i].date), NULL, NULL) !=
		    cases[i].holiday)
			fail_msg("%s: expected %s", cases[i].date,
			    cases[i].holiday ? "a holiday" : "no holiday");
}

/*
 * 2000-2099 by the structure of the act: every year has the 16 national
 * holidays of the current law (once each, on the right kind of day), the
 * equinox days fall on 03-19..03-21 / 09-21..09-24, and every substitute
 * holiday follows a run of holidays that starts on a Sunday.
 */
static void
test_holidays_century(void **state)
{
	const char *en, *ja;
	int y, day, first, last, n, k;

	(void)state;
	for (y = 2031; y <= 2099; y++) {
		first = jday_from_ymd(y, 1, 1);
		last = jday_from_ymd(y, 12, 31);
		n = 0;
		for (day = first; day <= last; day++) {
			if (!jp_holiday(day, &en, &ja))
				continue;
			if (strcmp(ja, "振替休日") == 0) {
				for (k = 1; jp_holiday(day - k, NULL, NULL) &&
				    jday_wday(day - k) != 0; k++)
					;
				assert_int_equal(jday_wday(day - k), 0);
				assert_true(jday_wday(day) != 0);
			} else if (strcmp(ja, "国民の休日") == 0) {
				assert_true(jp_holiday(day - 1, NULL, NULL));
				assert_true(jp_holiday(day + 1, NULL, NULL));
			} else
				n++;
			if (strcmp(ja, "成人の日") == 0 ||
			    strcmp(ja, "海の日") == 0 ||
			    strcmp(ja, "敬老の日") == 0 ||
			    strcmp(ja, "スポーツの日") == 0)
				assert_int_equal(jday_wday(day), 1);
			if (strcmp(ja, "春分の日") == 0) {
				int yy, mm, dd;

				jday_to_ymd(day, &yy, &mm, &dd);
				assert_int_equal(mm, 3);
				assert_in_range(dd, 19, 21);
			}
			if (strcmp(ja, "秋分の日") == 0) {
				int yy, mm, dd;

				jday_to_ymd(day, &yy, &mm, &dd);
				assert_int_equal(mm, 9);
				assert_in_range(dd, 21, 24);
			}
		}
		if (n != 16)
			fail_msg("%d: %d national holidays", y, n);
	}
}

/* --- business days ------------------------------------------------------- */

static int
count_business(const struct cal_rules *r, const char *from, const char *to)
{
	int day, n = 0;

	for (day = D(from); day <= D(to); day++)
		n += cal_is_business_day(r, day);
	return n;
}

static void
test_closed_ranges(void **state)
{
	static const struct day_range ranges[] = {
		{ 12, 29, 1, 3 },
		{ 8, 13, 8, 16 },
		{ 2, 29, 2, 29 },
	};
	struct cal_rules r;

	(void)state;
	cal_rules_default(&r);
	r.closed = ranges;
	r.nclosed = nitems(ranges);
	assert_false(cal_is_closed(&r, D("2026-12-28")));
	assert_true(cal_is_closed(&r, D("2026-12-29")));
	assert_true(cal_is_closed(&r, D("2026-12-31")));
	assert_true(cal_is_closed(&r, D("2027-01-01")));
	assert_true(cal_is_closed(&r, D("2027-01-03")));
	assert_false(cal_is_closed(&r, D("2027-01-04")));
	assert_false(cal_is_closed(&r, D("2026-08-12")));
	assert_true(cal_is_closed(&r, D("2026-08-13")));
	assert_true(cal_is_closed(&r, D("2026-08-16")));
	assert_false(cal_is_closed(&r, D("2026-08-17")));
	assert_true(cal_is_closed(&r, D("2028-02-29")));
	assert_false(cal_is_closed(&r, D("2028-02-28")));
	assert_false(cal_is_closed(&r, D("2028-03-01")));
	assert_false(cal_is_business_day(&r, D("2026-08-14")));	/* Fri */
	r.nclosed = 0;
	assert_false(cal_is_closed(&r, D("2026-12-30")));
	assert_true(cal_is_business_day(&r, D("2026-12-30")));
	assert_true(cal_is_business_day(&r, D("2026-08-14")));
}

static void
test_business_day_counts(void **state)
{
	struct cal_rules r, open;

	(void)state;
	cal_rules_default(&r);
	cal_rules_default(&open);
	open.nclosed = 0;

	/* Golden Week 2026: 04-29 Wed; 05-03 Sun .. 05-06 Wed. */
	assert_int_equal(count_business(&r, "2026-04-27", "2026-05-08"), 6);
	assert_int_equal(count_business(&r, "2026-04-29", "2026-05-06"), 2);
	assert_int_equal(count_business(&r, "2026-05-02", "2026-05-06"), 0);
	/* 2019: ten days off, 04-27 .. 05-06. */
	assert_int_equal(count_business(&r, "2019-04-27", "2019-05-06"), 0);
	assert_int_equal(count_business(&r, "2019-04-26", "2019-05-07"), 2);
	/* Silver Week 2026: 09-19 Sat .. 09-23 Wed. */
	assert_int_equal(count_business(&r, "2026-09-19", "2026-09-23"), 0);
	assert_int_equal(count_business(&r, "2026-09-14", "2026-09-25"), 7);
	assert_false(cal_is_business_day(&r, D("2026-09-22")));
	/* New Year: closed 12-29..01-03 by default. */
	assert_int_equal(count_business(&r, "2026-12-28", "2027-01-04"), 2);
	assert_int_equal(count_business(&open, "2026-12-28", "2027-01-04"), 5);
	assert_int_equal(count_business(&r, "2026-12-29", "2027-01-03"), 0);
	/* A whole year: 2026 has 261 weekdays, 17 holidays on weekdays (all
	 * but 05-03), and 01-02 and 12-29..12-31 closed. */
	assert_int_equal(count_business(&open, "2026-01-01", "2026-12-31"),
	    261 - 17);
	assert_int_equal(count_business(&r, "2026-01-01", "2026-12-31"),
	    261 - 17 - 4);
}

static void
test_business_days_before(void **state)
{
	static const struct {
		const char	*day;
		int		 n;
		const char	*want;
	} cases[] = {
		{ "2027-03-31", 6, "2027-03-23" },	/* PRODUCT.md */
		{ "2027-03-31", 0, "2027-03-31" },
		{ "2027-03-31", 1, "2027-03-30" },
		{ "2027-04-03", 0, "2027-04-02" },	/* Sat -> Fri */
		{ "2027-04-04", 1, "2027-04-01" },	/* Sun: Fri counts */
		{ "2026-05-07", 6, "2026-04-23" },	/* Golden Week */
		{ "2026-05-07", 1, "2026-05-01" },
		{ "2026-05-07", 2, "2026-04-30" },
		{ "2026-05-06", 0, "2026-05-01" },
		{ "2026-09-25", 6, "2026-09-14" },	/* Silver Week */
		{ "2026-09-25", 11, "2026-09-07" },
		{ "2026-09-24", 1, "2026-09-18" },
		{ "2027-01-06", 6, "2026-12-23" },	/* New Year */
		{ "2027-01-04", 1, "2026-12-28" },
		{ "2027-01-04", 0, "2027-01-04" },
		{ "2027-01-03", 0, "2026-12-28" },
		{ "2019-05-07", 1, "2019-04-26" },
		{ "2019-05-08", 6, "2019-04-22" },
		{ "2027-03-31", -1, "2027-03-31" },
	};
	struct cal_rules r;
	size_t i;
	int got;

	(void)state;
	cal_rules_default(&r);
	for (i = 0; i < nitems(cases); i++) {
		got = cal_business_days_before(&r, D(cases[i].day), cases[i].n);
		if (got != D(cases[i].want))
			fail_msg("%s - %d business days: %s, expected %s",
			    cases[i].day, cases[i].n, fmt_day(got),
			    cases[i].want);
	}
}

/* The definition itself, for every day of 2024-2032 and n = 0..12. */
static void
test_business_days_before_definition(void **state)
{
	struct cal_rules r;
	int day, n, a, k, count;

	(void)state;
	cal_rules_default(&r);
	for (day = D("2024-01-01"); day <= D("2032-12-31"); day++) {
		for (n = 0; n <= 12; n++) {
			a = cal_business_days_before(&r, day, n);
			assert_true(a <= day);
			assert_true(cal_is_business_day(&r, a));
			for (count = 0, k = a + 1; k <= day; k++)
				count += cal_is_business_day(&r, k);
			assert_int_equal(count, n);
		}
	}
}

static void
test_no_business_day(void **state)
{
	static const struct day_range all[] = { { 1, 1, 12, 31 } };
	static const struct day_range all_wrap[] = { { 6, 1, 5, 31 } };
	struct cal_rules r;

	(void)state;
	cal_rules_default(&r);
	r.closed = all;
	r.nclosed = 1;
	assert_int_equal(cal_business_days_before(&r, D("2027-03-31"), 6),
	    CAL_NO_DAY);
	assert_int_equal(cal_apply_by(&r, PRODUCT_SSL, D("2027-03-31")),
	    CAL_NO_DAY);
	r.closed = all_wrap;
	assert_int_equal(cal_business_days_before(&r, D("2027-03-31"), 0),
	    CAL_NO_DAY);
}

/* --- maintenance windows ------------------------------------------------- */

/* Every month 2025-2030 against "first Wednesday + 21". */
static void
test_windows_every_month(void **state)
{
	struct cal_rules r;
	struct window w;
	char want[96];
	int y, m, first_wed, fourth;

	(void)state;
	cal_rules_default(&r);
	for (y = 2025; y <= 2030; y++) {
		for (m = 1; m <= 12; m++) {
			first_wed = 1 + (3 - ref_wday(y, m, 1) + 7) % 7;
			fourth = first_wed + 21;
			assert_true(maint_window_of_month(&r.maint, y, m, &w));
			snprintf(want, sizeof(want),
			    "%04d-%02d-%02dT20:00:00+09:00", y, m, fourth);
			assert_string_equal(fmt_jst(w.start), want);
			/* The fourth Wednesday is at most the 28th: the
			 * window ends in the same month except after a
			 * 28 February of a common year. */
			if (m == 2 && fourth == 28 && y % 4 != 0)
				snprintf(want, sizeof(want),
				    "%04d-03-01T08:00:00+09:00", y);
			else
				snprintf(want, sizeof(want),
				    "%04d-%02d-%02dT08:00:00+09:00", y, m,
				    fourth + 1);
			assert_string_equal(fmt_jst(w.end), want);
			assert_int_equal(w.end - w.start, 12 * 3600);
		}
	}
}

/* Months with five Wednesdays: the window is on the 4th, not the last. */
static void
test_windows_five_wednesdays(void **state)
{
	static const struct {
		int		 y, m;
		const char	*start;
	} cases[] = {
		{ 2025, 1, "2025-01-22T20:00:00+09:00" },	/* last: 29 */
		{ 2025, 4, "2025-04-23T20:00:00+09:00" },	/* last: 30 */
		{ 2025, 7, "2025-07-23T20:00:00+09:00" },	/* last: 30 */
		{ 2025, 10, "2025-10-22T20:00:00+09:00" },	/* last: 29 */
		{ 2025, 12, "2025-12-24T20:00:00+09:00" },	/* last: 31 */
		{ 2026, 4, "2026-04-22T20:00:00+09:00" },	/* last: 29 */
		{ 2026, 7, "2026-07-22T20:00:00+09:00" },	/* last: 29 */
		{ 2026, 9, "2026-09-23T20:00:00+09:00" },	/* last: 30 */
		{ 2026, 12, "2026-12-23T20:00:00+09:00" },	/* last: 30 */
		{ 2027, 3, "2027-03-24T20:00:00+09:00" },	/* last: 31 */
		{ 2027, 6, "2027-06-23T20:00:00+09:00" },	/* last: 30 */
		{ 2027, 9, "2027-09-22T20:00:00+09:00" },	/* last: 29 */
		{ 2027, 12, "2027-12-22T20:00:00+09:00" },	/* last: 29 */
		{ 2028, 3, "2028-03-22T20:00:00+09:00" },	/* last: 29 */
		{ 2028, 5, "2028-05-24T20:00:00+09:00" },	/* last: 31 */
		{ 2028, 8, "2028-08-23T20:00:00+09:00" },	/* last: 30 */
		{ 2028, 11, "2028-11-22T20:00:00+09:00" },	/* last: 29 */
		/* and four-Wednesday months for contrast */
		{ 2026, 11, "2026-11-25T20:00:00+09:00" },
		{ 2027, 2, "2027-02-24T20:00:00+09:00" },
		{ 2026, 2, "2026-02-25T20:00:00+09:00" },
	};
	struct cal_rules r;
	struct window w;
	size_t i;

	(void)state;
	cal_rules_default(&r);
	for (i = 0; i < nitems(cases); i++) {
		assert_true(maint_window_of_month(&r.maint, cases[i].y,
		    cases[i].m, &w));
		assert_string_equal(fmt_jst(w.start), cases[i].start);
	}
}

static void
test_window_rules(void **state)
{
	struct maint_rule mr = { 5, 3, 20 * 60, 8 * 60 };
	struct window w;

	(void)state;
	/* A 5th Wednesday only in months that have one. */
	assert_true(maint_window_of_month(&mr, 2025, 12, &w));
	assert_string_equal(fmt_jst(w.start), "2025-12-31T20:00:00+09:00");
	assert_string_equal(fmt_jst(w.end), "2026-01-01T08:00:00+09:00");
	assert_false(maint_window_of_month(&mr, 2026, 1, &w));
	assert_false(maint_window_of_month(&mr, 2026, 2, &w));
	/* Same-day window. */
	mr = (struct maint_rule){ 1, 0, 2 * 60, 5 * 60 };	/* 1st Sun */
	assert_true(maint_window_of_month(&mr, 2026, 11, &w));
	assert_string_equal(fmt_jst(w.start), "2026-11-01T02:00:00+09:00");
	assert_string_equal(fmt_jst(w.end), "2026-11-01T05:00:00+09:00");
	/* No window. */
	mr = (struct maint_rule){ 0, 3, 20 * 60, 8 * 60 };
	assert_false(maint_window_of_month(&mr, 2026, 11, &w));
	assert_false(maint_window_at(&mr, T("2026-11-25T21:00"), &w));
	assert_int_equal(maint_windows_after(&mr, 0, &w, 1), 0);
	assert_int_equal(maint_defer(&mr, T("2026-11-25T21:00")),
	    T("2026-11-25T21:00"));
	/* Nonsense rules never match. */
	mr = (struct maint_rule){ 6, 3, 20 * 60, 8 * 60 };
	assert_false(maint_window_of_month(&mr, 2026, 11, &w));
	mr = (struct maint_rule){ 4, 7, 20 * 60, 8 * 60 };
	assert_false(maint_window_of_month(&mr, 2026, 11, &w));
}

static void
test_window_at(void **state)
{
	static const struct {
		const char	*t;
		const char	*start;		/* NULL: outside */
	} cases[] = {
		{ "2026-11-25T19:59:59", NULL },
		{ "2026-11-25T20:00:00", "2026-11-25T20:00:00+09:00" },
		{ "2026-11-25T23:59:59", "2026-11-25T20:00:00+09:00" },
		{ "2026-11-26T00:00:00", "2026-11-25T20:00:00+09:00" },
		{ "2026-11-26T07:59:59", "2026-11-25T20:00:00+09:00" },
		{ "2026-11-26T08:00:00", NULL },
		{ "2026-11-25T11:00:00Z", "2026-11-25T20:00:00+09:00" },
		{ "2026-11-25T10:59:59Z", NULL },
		{ "2026-11-18T21:00:00", NULL },	/* 3rd Wednesday */
		{ "2026-12-30T21:00:00", NULL },	/* 5th Wednesday */
		{ "2026-12-23T21:00:00", "2026-12-23T20:00:00+09:00" },
	};
	struct cal_rules r;
	struct window w;
	size_t i;

	(void)state;
	cal_rules_default(&r);
	for (i = 0; i < nitems(cases); i++) {
		int in = maint_window_at(&r.maint, T(cases[i].t), &w);

		if (cases[i].start == NULL) {
			if (in)
				fail_msg("%s: inside a window", cases[i].t);
			continue;
		}
		if (!in)
			fail_msg("%s: outside a window", cases[i].t);
		assert_string_equal(fmt_jst(w.start), cases[i].start);
	}
	/* The window may be omitted. */
	assert_true(maint_window_at(&r.maint, T("2026-11-25T21:00"), NULL));

	/* A window of last month still running on the 1st. */
	struct maint_rule fifth = { 5, 3, 20 * 60, 8 * 60 };
	assert_true(maint_window_at(&fifth, T("2026-01-01T07:00"), &w));
	assert_string_equal(fmt_jst(w.start), "2025-12-31T20:00:00+09:00");
}

static void
test_windows_after(void **state)
{
	struct cal_rules r;
	struct window w[40];
	size_t n, i;

	(void)state;
	cal_rules_default(&r);
	/* PRODUCT.md's example. */
	n = maint_windows_after(&r.maint, T("2026-11-24T09:00"), w, 1);
	assert_int_equal(n, 1);
	assert_string_equal(fmt_jst(w[0].start), "2026-11-25T20:00:00+09:00");
	assert_string_equal(fmt_jst(w[0].end), "2026-11-26T08:00:00+09:00");
	/* A window in progress comes first. */
	n = maint_windows_after(&r.maint, T("2026-11-26T07:00"), w, 2);
	assert_int_equal(n, 2);
	assert_string_equal(fmt_jst(w[0].start), "2026-11-25T20:00:00+09:00");
	assert_string_equal(fmt_jst(w[1].start), "2026-12-23T20:00:00+09:00");
	/* Its end is not "after". */
	n = maint_windows_after(&r.maint, T("2026-11-26T08:00"), w, 1);
	assert_int_equal(n, 1);
	assert_string_equal(fmt_jst(w[0].start), "2026-12-23T20:00:00+09:00");
	/* Across the year end, in order, one a month. */
	n = maint_windows_after(&r.maint, T("2026-12-24T09:00"), w, 40);
	assert_int_equal(n, 40);
	assert_string_equal(fmt_jst(w[0].start), "2027-01-27T20:00:00+09:00");
	for (i = 1; i < n; i++) {
		assert_true(w[i].start > w[i - 1].end);
		assert_in_range(w[i].start - w[i - 1].start, 28 * 86400,
		    35 * 86400);
	}
	assert_int_equal(maint_windows_after(&r.maint, 0, w, 0), 0);
	/* A sparse rule (5th Wednesday) still fills the list. */
	struct maint_rule fifth = { 5, 3, 20 * 60, 8 * 60 };
	n = maint_windows_after(&fifth, T("2025-12-31T21:00"), w, 5);
	assert_int_equal(n, 5);
	assert_string_equal(fmt_jst(w[0].start), "2025-12-31T20:00:00+09:00");
	assert_string_equal(fmt_jst(w[1].start), "2026-04-29T20:00:00+09:00");
}

/* --- deadlines ----------------------------------------------------------- */

static void
test_apply_by_and_deadline(void **state)
{
	static const struct {
		const char	*expiry;
		enum product	 product;
		const char	*apply_by;
		const char	*deadline;
	} cases[] = {
		/* PRODUCT.md's example */
		{ "2027-03-31", PRODUCT_SSL, "2027-03-23",
		    "2027-03-23T23:59:59+09:00" },
		/* A lands on a 4th Wednesday: the window starts at 20:00 */
		{ "2026-12-03", PRODUCT_SSL, "2026-11-25",
		    "2026-11-25T20:00:00+09:00" },
		/* ... and on the 4th Wednesday of a five-Wednesday month
		 * (New Year closure on the way) */
		{ "2027-01-06", PRODUCT_SSL, "2026-12-23",
		    "2026-12-23T20:00:00+09:00" },
		/* the day after the window: the whole day */
		{ "2026-12-04", PRODUCT_SSL, "2026-11-26",
		    "2026-11-26T23:59:59+09:00" },
		/* the 5th Wednesday is no window */
		{ "2027-01-08", PRODUCT_SSL, "2026-12-25",
		    "2026-12-25T23:59:59+09:00" },
		{ "2027-01-07", PRODUCT_SSL, "2026-12-24",
		    "2026-12-24T23:59:59+09:00" },
		/* Golden Week, Silver Week */
		{ "2026-05-07", PRODUCT_SSL, "2026-04-23",
		    "2026-04-23T23:59:59+09:00" },
		{ "2026-09-25", PRODUCT_SSL, "2026-09-14",
		    "2026-09-14T23:59:59+09:00" },
		{ "2026-09-25", PRODUCT_EV, "2026-09-07",
		    "2026-09-07T23:59:59+09:00" },
		{ "2027-03-31", PRODUCT_EV, "2027-03-15",
		    "2027-03-15T23:59:59+09:00" },	/* 03-22 substitute */
		/* expiry on a Sunday */
		{ "2027-04-04", PRODUCT_SSL, "2027-03-25",
		    "2027-03-25T23:59:59+09:00" },
		/* EV landing on a 4th Wednesday */
		{ "2027-03-11", PRODUCT_EV, "2027-02-24",
		    "2027-02-24T20:00:00+09:00" },
	};
	struct cal_rules r;
	size_t i;
	int a;

	(void)state;
	cal_rules_default(&r);
	for (i = 0; i < nitems(cases); i++) {
		a = cal_apply_by(&r, cases[i].product, D(cases[i].expiry));
		if (a != D(cases[i].apply_by))
			fail_msg("%s %s: apply by %s, expected %s",
			    cases[i].expiry,
			    cases[i].product == PRODUCT_EV ? "ev" : "ssl",
			    fmt_day(a), cases[i].apply_by);
		assert_string_equal(fmt_jst(cal_apply_deadline(&r, a)),
		    cases[i].deadline);
	}
	assert_int_equal(cal_review_days(&r, PRODUCT_SSL), 5);
	assert_int_equal(cal_review_days(&r, PRODUCT_EV), 10);
}

static void
test_deadline_other_windows(void **state)
{
	struct cal_rules r;

	(void)state;
	cal_rules_default(&r);
	/* A same-day early-morning window does not touch the deadline. */
	r.maint = (struct maint_rule){ 4, 3, 2 * 60, 5 * 60 };
	assert_string_equal(fmt_jst(cal_apply_deadline(&r, D("2026-11-25"))),
	    "2026-11-25T23:59:59+09:00");
	/* A window running to midnight does. */
	r.maint = (struct maint_rule){ 4, 3, 22 * 60, 24 * 60 };
	assert_string_equal(fmt_jst(cal_apply_deadline(&r, D("2026-11-25"))),
	    "2026-11-25T22:00:00+09:00");
	/* No window at all. */
	r.maint.nth = 0;
	assert_string_equal(fmt_jst(cal_apply_deadline(&r, D("2026-11-25"))),
	    "2026-11-25T23:59:59+09:00");
}

static void
test_lapse(void **state)
{
	(void)state;
	assert_string_equal(fmt_jst(cal_lapse(D("2027-03-31"))),
	    "2027-04-01T00:00:00+09:00");
	assert_string_equal(fmt_jst(cal_lapse(D("2026-12-31"))),
	    "2027-01-01T00:00:00+09:00");
	assert_string_equal(fmt_jst(cal_lapse(D("2028-02-28"))),
	    "2028-02-29T00:00:00+09:00");
}

static void
test_reminder_due(void **state)
{
	static const struct {
		const char	*expiry;
		int		 days;
		int		 remind_at;
		const char	*due;
	} cases[] = {
		/* PRODUCT.md: thresholds 90,60,45,30,15 at 09:00 */
		{ "2027-03-31", 90, 9 * 60, "2026-12-31T09:00:00+09:00" },
		{ "2027-03-31", 60, 9 * 60, "2027-01-30T09:00:00+09:00" },
		{ "2027-03-31", 45, 9 * 60, "2027-02-14T09:00:00+09:00" },
		{ "2027-03-31", 30, 9 * 60, "2027-03-01T09:00:00+09:00" },
		{ "2027-03-31", 15, 9 * 60, "2027-03-16T09:00:00+09:00" },
		/* inside the window: deferred to its end */
		{ "2026-12-25", 30, 21 * 60, "2026-11-26T08:00:00+09:00" },
		{ "2026-12-25", 30, 20 * 60, "2026-11-26T08:00:00+09:00" },
		{ "2026-12-25", 30, 19 * 60 + 59, "2026-11-25T19:59:00+09:00" },
		{ "2026-12-25", 29, 7 * 60 + 59, "2026-11-26T08:00:00+09:00" },
		{ "2026-12-25", 29, 8 * 60, "2026-11-26T08:00:00+09:00" },
		{ "2026-12-25", 29, 9 * 60, "2026-11-26T09:00:00+09:00" },
		{ "2026-12-25", 29, 0, "2026-11-26T08:00:00+09:00" },
		/* the 5th Wednesday evening is free */
		{ "2027-01-29", 30, 21 * 60, "2026-12-30T21:00:00+09:00" },
	};
	struct cal_rules r;
	size_t i;

	(void)state;
	cal_rules_default(&r);
	for (i = 0; i < nitems(cases); i++) {
		const char *got = fmt_jst(cal_reminder_due(&r,
		    D(cases[i].expiry), cases[i].days, cases[i].remind_at));

		if (strcmp(got, cases[i].due) != 0)
			fail_msg("%s T=%d at %d: %s, expected %s",
			    cases[i].expiry, cases[i].days, cases[i].remind_at,
			    got, cases[i].due);
	}
	assert_int_equal(maint_defer(&r.maint, T("2026-11-25T23:00")),
	    T("2026-11-26T08:00"));
	assert_int_equal(maint_defer(&r.maint, T("2026-11-26T08:00")),
	    T("2026-11-26T08:00"));
}

static void
test_rules_from_config(void **state)
{
	static struct day_range closed[] = { { 8, 13, 8, 16 } };
	struct config cfg;
	struct cal_rules r, def;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.maintenance = (struct maint_rule){ 2, 2, 21 * 60, 6 * 60 };
	cfg.review_days_ssl = 3;
	cfg.review_days_ev = 7;
	cfg.install_days = 2;
	cfg.closed = closed;
	cfg.nclosed = 1;
	cal_rules_from_config(&r, &cfg);
	assert_int_equal(r.maint.nth, 2);
	assert_int_equal(r.maint.wday, 2);
	assert_int_equal(r.maint.start_min, 21 * 60);
	assert_int_equal(r.maint.end_min, 6 * 60);
	assert_ptr_equal(r.closed, closed);
	assert_int_equal(r.nclosed, 1);
	assert_int_equal(cal_review_days(&r, PRODUCT_SSL), 3);
	assert_int_equal(cal_review_days(&r, PRODUCT_EV), 7);
	assert_int_equal(r.install_days, 2);
	/* E 2026-08-20 Thu, 5 business days back over the closure */
	assert_int_equal(cal_apply_by(&r, PRODUCT_SSL, D("2026-08-20")),
	    D("2026-08-10"));

	cal_rules_default(&def);
	assert_int_equal(def.maint.nth, 4);
	assert_int_equal(def.maint.wday, 3);
	assert_int_equal(def.maint.start_min, 20 * 60);
	assert_int_equal(def.maint.end_min, 8 * 60);
	assert_int_equal(def.nclosed, 1);
	assert_int_equal(def.closed[0].from_month, 12);
	assert_int_equal(def.closed[0].from_day, 29);
	assert_int_equal(def.closed[0].to_month, 1);
	assert_int_equal(def.closed[0].to_day, 3);
	assert_int_equal(def.review_days_ssl, 5);
	assert_int_equal(def.review_days_ev, 10);
	assert_int_equal(def.install_days, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_anchors),
		cmocka_unit_test(test_day_vs_libc),
		cmocka_unit_test(test_day_succession),
		cmocka_unit_test(test_jday_parse_format),
		cmocka_unit_test(test_jst_day_of_instant),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_parse_iso),
		cmocka_unit_test(test_time_vs_libc),
		cmocka_unit_test(test_holidays_listed),
		cmocka_unit_test(test_holidays_nothing_else),
		cmocka_unit_test(test_holiday_names),
		cmocka_unit_test(test_holiday_history),
		cmocka_unit_test(test_holidays_century),
		cmocka_unit_test(test_closed_ranges),
		cmocka_unit_test(test_business_day_counts),
		cmocka_unit_test(test_business_days_before),
		cmocka_unit_test(test_business_days_before_definition),
		cmocka_unit_test(test_no_business_day),
		cmocka_unit_test(test_windows_every_month),
		cmocka_unit_test(test_windows_five_wednesdays),
		cmocka_unit_test(test_window_rules),
		cmocka_unit_test(test_window_at),
		cmocka_unit_test(test_windows_after),
		cmocka_unit_test(test_apply_by_and_deadline),
		cmocka_unit_test(test_deadline_other_windows),
		cmocka_unit_test(test_lapse),
		cmocka_unit_test(test_reminder_due),
		cmocka_unit_test(test_rules_from_config),
	};

	/* Whatever the caller's TZ, make sure an odd one is in force. */
	if (getenv("TZ") == NULL)
		setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
