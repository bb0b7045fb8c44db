/*
 * jsonutil.c — shared JSON value forms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "jsonutil.h"
#include "util.h"

json_t *
json_str_or_null(const char *s)
{
	json_t *j;
	char *clean;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	clean = rd_sanitize(s, strlen(s));
	j = json_string(clean);
	free(clean);
	return j != NULL ? j : json_null();
}

json_t *
json_time_utc(time_t t)
{
	char buf[32];

	time_format_utc(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
json_time_jst(time_t t)
{
	char buf[32];

	time_format_jst(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
json_day(int day)
{
	char buf[16];

	jday_format(day, buf);
	return json_string(buf);
}

json_t *
json_threshold(const struct threshold *t)
{
	char pct[16];

	if (!t->percent)
		return json_integer(t->value);
	snprintf(pct, sizeof(pct), "%d%%", t->value);
	return json_string(pct);
}
