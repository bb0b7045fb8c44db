/*
 * when.c — D() and T(): dates and times in the tests, by their names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "calendar.h"
#include "when.h"

int
D(const char *s)
{
	int day;

	if (jday_parse(s, &day) != 0)
		fail_msg("bad date in test: %s", s);
	return day;
}

time_t
T(const char *s)
{
	time_t t;

	if (time_parse_iso(s, &t) != 0)
		fail_msg("bad time in test: %s", s);
	return t;
}
