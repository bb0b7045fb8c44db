/*
 * fuzz_time.c — the single-value parsers on arbitrary strings:
 * time_parse_iso, jday_parse, parse_duration, parse_duration_ms,
 * parse_time_of_day and parse_hostport (calendar.h, config.h).
 *
 * Input: byte 0 picks the default port of parse_hostport (0 or 53) and the
 * size of its host buffer; the rest, up to the first NUL, is the string
 * every parser gets.
 *
 * Checks, beyond no crash and no undefined behaviour: a date that parses
 * formats back to the same text; an ISO time formats (UTC) and parses back
 * to the same instant, and its date part agrees with jday_parse; durations
 * are never negative and reparse from "<n>s" / "<n>ms"; a time of day is in
 * 00:00..23:59 and reparses from "HH:MM"; parse_hostport writes a
 * terminated host that fits the buffer, a nonzero port, and its result
 * reparses to the same host and port.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
fuzz_jday(const char *s)
{
	char buf[11];
	int day, again;

	if (jday_parse(s, &day) == -1)
		return;
	jday_format(day, buf);
	FUZZ_CHECK(strcmp(buf, s) == 0);
	FUZZ_CHECK(jday_parse(buf, &again) == 0 && again == day);
}

static void
fuzz_iso(const char *s)
{
	/* The instants whose UTC date has a four-digit year. */
	const int64_t lo = (int64_t)jday_from_ymd(0, 1, 1) * 86400;
	const int64_t hi = (int64_t)jday_from_ymd(10000, 1, 1) * 86400;
	char buf[32];
	time_t t, again;
	int day;

	if (time_parse_iso(s, &t) == -1)
		return;
	FUZZ_CHECK(strlen(s) >= 10);
	memcpy(buf, s, 10);
	buf[10] = '\0';
	FUZZ_CHECK(jday_parse(buf, &day) == 0);
	if (s[10] == '\0')
		FUZZ_CHECK(t == jday_to_time(day, 0));
	/* Any zone is within a day of Japan time. */
	FUZZ_CHECK((int64_t)t >= (int64_t)day * 86400 - 86400 - JST_OFFSET);
	FUZZ_CHECK((int64_t)t < (int64_t)day * 86400 + 2 * 86400);
	if ((int64_t)t < lo || (int64_t)t >= hi)
		return;
	time_format_utc(t, buf, sizeof(buf));
	FUZZ_CHECK(time_parse_iso(buf, &again) == 0 && again == t);
	time_format_jst(t, buf, sizeof(buf));
	if (jday_from_time(t) >= jday_from_ymd(0, 1, 1) &&
	    jday_from_time(t) < jday_from_ymd(10000, 1, 1))
		FUZZ_CHECK(time_parse_iso(buf, &again) == 0 && again == t);
}

static void
fuzz_durations(const char *s)
{
	char buf[64];
	int64_t v, again;

	if (parse_duration(s, &v) == 0) {
		FUZZ_CHECK(v >= 0);
		snprintf(buf, sizeof(buf), "%llds", (long long)v);
		FUZZ_CHECK(parse_duration(buf, &again) == 0 && again == v);
		/* Every duration in seconds is one in milliseconds too,
		 * unless it is too long to count in them. */
		if (v <= INT64_MAX / 1000)
			FUZZ_CHECK(parse_duration_ms(s, &again) == 0 &&
			    again == v * 1000);
	}
	if (parse_duration_ms(s, &v) == 0) {
		FUZZ_CHECK(v >= 0);
		snprintf(buf, sizeof(buf), "%lldms", (long long)v);
		FUZZ_CHECK(parse_duration_ms(buf, &again) == 0 && again == v);
	}
}

static void
fuzz_time_of_day(const char *s)
{
	char buf[16];
	int m, again;

	if (parse_time_of_day(s, &m) == -1)
		return;
	FUZZ_CHECK(m >= 0 && m < 24 * 60);
	snprintf(buf, sizeof(buf), "%02d:%02d", m / 60, m % 60);
	FUZZ_CHECK(parse_time_of_day(buf, &again) == 0 && again == m);
}

static void
fuzz_hostport(const char *s, int default_port, size_t hostlen)
{
	char host[64], again_host[64], buf[128];
	uint16_t port, again_port;

	FUZZ_CHECK(hostlen <= sizeof(host));
	memset(host, 'X', sizeof(host));
	if (parse_hostport(s, default_port, host, hostlen, &port) == -1)
		return;
	FUZZ_CHECK(memchr(host, '\0', hostlen) != NULL);
	FUZZ_CHECK(port != 0);
	if (strchr(host, ':') != NULL)
		snprintf(buf, sizeof(buf), "[%s]:%u", host, (unsigned)port);
	else
		snprintf(buf, sizeof(buf), "%s:%u", host, (unsigned)port);
	FUZZ_CHECK(parse_hostport(buf, 0, again_host, sizeof(again_host),
	    &again_port) == 0);
	FUZZ_CHECK(strcmp(host, again_host) == 0 && port == again_port);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const size_t hostlens[] = { 64, 46, 16, 8, 1 };
	struct fuzz_input in = { data, len };
	uint8_t opt;
	char *s;

	if (len > 4096)
		return 0;
	opt = fuzz_byte(&in);
	s = fuzz_next_string(&in);
	fuzz_jday(s);
	fuzz_iso(s);
	fuzz_durations(s);
	fuzz_time_of_day(s);
	fuzz_hostport(s, opt & 1 ? 53 : 0, hostlens[(opt >> 1) % nitems(hostlens)]);
	free(s);
	return 0;
}
