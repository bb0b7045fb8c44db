/*
 * holiday.c — Japanese public holidays, computed from the rules of the Act
 * on National Holidays (国民の祝日に関する法律, Act No. 178 of 1948) as
 * amended over time, so that the answer never runs out:
 *
 *   - the fixed days and the "Happy Monday" days, each from the year its
 *     rule took effect (2000, 2003, 2016, 2020, ...);
 *   - the vernal and autumnal equinox days by the usual approximation of the
 *     astronomical equinox in Japan Standard Time (see equinox_day());
 *   - substitute holidays (振替休日, since 1973-04-12): before 2007 the
 *     Monday after a holiday falling on a Sunday; since 2007 the first
 *     following day that is not itself a national holiday;
 *   - the citizens' holiday (国民の休日, since 1985-12-27): a day that is not
 *     a national holiday between two national holidays (before 2007 not on a
 *     Sunday nor on a substitute holiday);
 *   - the one-off days set by their own acts (imperial weddings, funeral and
 *     enthronements), which count as national holidays for the two rules
 *     above; and the moves for the Tokyo Olympic and Paralympic Games in 2020
 *     and 2021.
 *
 * The act took effect on 1948-07-20; earlier days are never holidays. The
 * equinox approximation is published for 1900–2099 and is used with the
 * constants for 2100–2150 after that; dates past 2150 are a best effort
 * (the equinox days are declared by the Cabinet a year ahead anyway).
 */
#include <limits.h>
#include <stdint.h>

#include "calendar.h"

enum hol {
	HOL_NONE = -1,
	HOL_NEW_YEAR,
	HOL_COMING_OF_AGE,
	HOL_FOUNDATION,
	HOL_EMPEROR,
	HOL_VERNAL,
	HOL_SHOWA,
	HOL_GREENERY,
	HOL_CONSTITUTION,
	HOL_CHILDREN,
	HOL_MARINE,
	HOL_MOUNTAIN,
	HOL_AGED,
	HOL_AUTUMNAL,
	HOL_HEALTH_SPORTS,
	HOL_SPORTS,
	HOL_CULTURE,
	HOL_LABOUR,
	HOL_WEDDING_1959,
	HOL_FUNERAL_1989,
	HOL_ENTHRONEMENT_CEREMONY,
	HOL_WEDDING_1993,
	HOL_ENTHRONEMENT_DAY,
	HOL_SUBSTITUTE,
	HOL_CITIZENS,
};

static const struct {
	const char	*en;
	const char	*ja;
} hol_names[] = {
	[HOL_NEW_YEAR] = { "New Year's Day", "元日" },
	[HOL_COMING_OF_AGE] = { "Coming of Age Day", "成人の日" },
	[HOL_FOUNDATION] = { "National Foundation Day", "建国記念の日" },
	[HOL_EMPEROR] = { "The Emperor's Birthday", "天皇誕生日" },
	[HOL_VERNAL] = { "Vernal Equinox Day", "春分の日" },
	[HOL_SHOWA] = { "Showa Day", "昭和の日" },
	[HOL_GREENERY] = { "Greenery Day", "みどりの日" },
	[HOL_CONSTITUTION] = { "Constitution Memorial Day", "憲法記念日" },
	[HOL_CHILDREN] = { "Children's Day", "こどもの日" },
	[HOL_MARINE] = { "Marine Day", "海の日" },
	[HOL_MOUNTAIN] = { "Mountain Day", "山の日" },
	[HOL_AGED] = { "Respect for the Aged Day", "敬老の日" },
	[HOL_AUTUMNAL] = { "Autumnal Equinox Day", "秋分の日" },
	[HOL_HEALTH_SPORTS] = { "Health and Sports Day", "体育の日" },
	[HOL_SPORTS] = { "Sports Day", "スポーツの日" },
	[HOL_CULTURE] = { "Culture Day", "文化の日" },
	[HOL_LABOUR] = { "Labour Thanksgiving Day", "勤労感謝の日" },
	[HOL_WEDDING_1959] = { "Wedding of Crown Prince Akihito",
	    "皇太子明仁親王の結婚の儀" },
	[HOL_FUNERAL_1989] = { "Funeral of Emperor Showa",
	    "昭和天皇の大喪の礼" },
	[HOL_ENTHRONEMENT_CEREMONY] = { "Enthronement Ceremony",
	    "即位礼正殿の儀" },
	[HOL_WEDDING_1993] = { "Wedding of Crown Prince Naruhito",
	    "皇太子徳仁親王の結婚の儀" },
	[HOL_ENTHRONEMENT_DAY] = { "Enthronement Day", "天皇の即位の日" },
	[HOL_SUBSTITUTE] = { "Substitute Holiday", "振替休日" },
	[HOL_CITIZENS] = { "Citizens' Holiday", "国民の休日" },
};

/* Days set by acts of their own; they count as national holidays. */
static const struct {
	int		y, m, d;
	enum hol	which;
} hol_one_off[] = {
	{ 1959, 4, 10, HOL_WEDDING_1959 },
	{ 1989, 2, 24, HOL_FUNERAL_1989 },
	{ 1990, 11, 12, HOL_ENTHRONEMENT_CEREMONY },
	{ 1993, 6, 9, HOL_WEDDING_1993 },
	{ 2019, 5, 1, HOL_ENTHRONEMENT_DAY },
	{ 2019, 10, 22, HOL_ENTHRONEMENT_CEREMONY },
};

/*
 * Day of March (vernal) or September (autumnal) of the equinox in Japan:
 * floor(C + 0.242194 (Y - 1980) - L), where L counts the leap days since
 * 1980 (truncated toward zero; with 1983 as the base before 1980). Computed
 * in millionths of a day so that no floating-point rounding can move a
 * date.
 */
static int
equinox_day(int y, int autumn)
{
	int64_t c, leaps;

	if (y < 1980) {
		c = autumn ? 23258800 : 20835700;
		leaps = ((int64_t)y - 1983) / 4;
	} else if (y < 2100) {
		c = autumn ? 23248800 : 20843100;
		leaps = ((int64_t)y - 1980) / 4;
	} else {
		c = autumn ? 24248800 : 21851000;
		leaps = ((int64_t)y - 1980) / 4;
	}
	return (int)((c + 242194 * ((int64_t)y - 1980) - 1000000 * leaps) /
	    1000000);
}

/* Day of the month of the nth (1-based) Monday of (y, m). */
static int
nth_monday(int y, int m, int nth)
{
	int first = jday_from_ymd(y, m, 1);

	return 1 + (8 - jday_wday(first)) % 7 + 7 * (nth - 1);
}

/*
 * The national holiday (国民の祝日, or a one-off day treated as one) on
 * (y, m, d), or HOL_NONE. Substitute and citizens' holidays are not
 * national holidays: they are derived from these.
 */
static enum hol
hol_national(int y, int m, int d)
{
	size_t i;

	if (y < 1948 || (y == 1948 && (m < 7 || (m == 7 && d < 20))))
		return HOL_NONE;
	for (i = 0; i < nitems(hol_one_off); i++)
		if (hol_one_off[i].y == y && hol_one_off[i].m == m &&
		    hol_one_off[i].d == d)
			return hol_one_off[i].which;

	switch (m) {
	case 1:
		if (d == 1)
			return HOL_NEW_YEAR;
		if (y < 2000 ? d == 15 : d == nth_monday(y, 1, 2))
			return HOL_COMING_OF_AGE;
		break;
	case 2:
		if (d == 11 && y >= 1967)
			return HOL_FOUNDATION;
		if (d == 23 && y >= 2020)
			return HOL_EMPEROR;
		break;
	case 3:
		if (d == equinox_day(y, 0))
			return HOL_VERNAL;
		break;
	case 4:
		if (d == 29) {
			if (y <= 1988)
				return HOL_EMPEROR;
			return y <= 2006 ? HOL_GREENERY : HOL_SHOWA;
		}
		break;
	case 5:
		if (d == 3)
			return HOL_CONSTITUTION;
		if (d == 4 && y >= 2007)
			return HOL_GREENERY;
		if (d == 5)
			return HOL_CHILDREN;
		break;
	case 7:
		if (y == 2020) {
			if (d == 23)
				return HOL_MARINE;
			if (d == 24)
				return HOL_SPORTS;
		} else if (y == 2021) {
			if (d == 22)
				return HOL_MARINE;
			if (d == 23)
				return HOL_SPORTS;
		} else if (y >= 2003) {
			if (d == nth_monday(y, 7, 3))
				return HOL_MARINE;
		} else if (y >= 1996 && d == 20)
			return HOL_MARINE;
		break;
	case 8:
		if (y == 2020)
			return d == 10 ? HOL_MOUNTAIN : HOL_NONE;
		if (y == 2021)
			return d == 8 ? HOL_MOUNTAIN : HOL_NONE;
		if (y >= 2016 && d == 11)
			return HOL_MOUNTAIN;
		break;
	case 9:
		if (y >= 2003 ? d == nth_monday(y, 9, 3) :
		    (y >= 1966 && d == 15))
			return HOL_AGED;
		if (d == equinox_day(y, 1))
			return HOL_AUTUMNAL;
		break;
	case 10:
		if (y >= 2022) {
			if (d == nth_monday(y, 10, 2))
				return HOL_SPORTS;
		} else if (y >= 2020) {
			/* 2020 and 2021: moved to July for the Games. */
		} else if (y >= 2000) {
			if (d == nth_monday(y, 10, 2))
				return HOL_HEALTH_SPORTS;
		} else if (y >= 1966 && d == 10)
			return HOL_HEALTH_SPORTS;
		break;
	case 11:
		if (d == 3)
			return HOL_CULTURE;
		if (d == 23)
			return HOL_LABOUR;
		break;
	case 12:
		if (d == 23 && y >= 1989 && y <= 2018)
			return HOL_EMPEROR;
		break;
	}
	return HOL_NONE;
}

static enum hol
hol_national_day(int day)
{
	int y, m, d;

	jday_to_ymd(day, &y, &m, &d);
	return hol_national(y, m, d);
}

static enum hol
hol_classify(int day)
{
	enum hol h;
	int y, m, d, k;

	/* Keep day - 7 .. day + 1 representable; no holidays out there. */
	if (day < INT_MIN + 8 || day > INT_MAX - 2)
		return HOL_NONE;
	jday_to_ymd(day, &y, &m, &d);
	if ((h = hol_national(y, m, d)) != HOL_NONE)
		return h;

	/* 振替休日 (Article 3(2)). */
	if (y >= 2007) {
		/* The nearest later day that is not a national holiday. */
		for (k = 1; k <= 7 && hol_national_day(day - k) != HOL_NONE;
		    k++)
			if (jday_wday(day - k) == 0)
				return HOL_SUBSTITUTE;
	} else if (jday_wday(day - 1) == 0 &&
	    day - 1 >= jday_from_ymd(1973, 4, 12) &&
	    hol_national_day(day - 1) != HOL_NONE)
		return HOL_SUBSTITUTE;

	/* 国民の休日 (Article 3(3)). */
	if (day >= jday_from_ymd(1985, 12, 27) &&
	    (y >= 2007 || jday_wday(day) != 0) &&
	    hol_national_day(day - 1) != HOL_NONE &&
	    hol_national_day(day + 1) != HOL_NONE)
		return HOL_CITIZENS;
	return HOL_NONE;
}

int
jp_holiday(int day, const char **name_en, const char **name_ja)
{
	enum hol h = hol_classify(day);

	if (h == HOL_NONE)
		return 0;
	if (name_en != NULL)
		*name_en = hol_names[h].en;
	if (name_ja != NULL)
		*name_ja = hol_names[h].ja;
	return 1;
}
