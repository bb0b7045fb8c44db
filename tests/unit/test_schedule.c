/*
 * test_schedule.c — poll intervals, jitter and backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "schedule.h"
#include "util.h"

#define H	3600
#define T0	1800000000

static void
test_success(void **unused)
{
	(void)unused;
	for (int i = 0; i < 1000; i++) {
		char name[32];
		time_t n;

		snprintf(name, sizeof(name), "host%d.example.jp", i);
		n = schedule_next_probe(name, T0, T0, 6 * H, 0, 0);
		assert_true(n <= T0 + 6 * H);
		assert_true(n >= T0 + 6 * H - 6 * H / 10);
		/* the same answer every time: stable across restarts */
		assert_int_equal(n, schedule_next_probe(name, T0, T0, 6 * H, 0, 0));
	}
}

static void
test_renewing_is_hourly(void **unused)
{
	(void)unused;
	time_t n = schedule_next_probe("www.example.jp", T0, T0, 6 * H, 1, 0);

	assert_true(n <= T0 + H && n >= T0 + H - H / 10);
	/* a short poll interval stays short */
	n = schedule_next_probe("www.example.jp", T0, T0, 600, 1, 0);
	assert_true(n <= T0 + 600);
}

static void
test_backoff(void **unused)
{
	static const struct {
		const char	*what;
		unsigned	 failures;
		int64_t		 min, max;
	} cases[] = {
		{ "first retry after a minute", 1, 60, 66 },
		{ "second after two", 2, 120, 132 },
		{ "fifth after sixteen", 5, 960, 1056 },
		{ "capped at an hour", 9, 3600, 3960 },
		{ "huge counts do not overflow", 4000000000u, 3600, 3960 },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		time_t n = schedule_next_probe("mx.example.jp", T0, T0, 6 * H,
		    0, cases[i].failures);

		if (n - T0 < cases[i].min || n - T0 > cases[i].max)
			fail_msg("%s: %lld s", cases[i].what, (long long)(n - T0));
	}
	/* the cap never exceeds the poll interval */
	assert_true(schedule_next_probe("a", T0, T0, 300, 0, 10) <= T0 + 330);
}

static void
test_first_and_late(void **unused)
{
	(void)unused;
	assert_int_equal(schedule_first_probe("a", 0, T0, 6 * H, 0), T0);
	assert_int_equal(schedule_first_probe("a", T0 - 7 * H, T0, 6 * H, 0), T0);
	assert_true(schedule_first_probe("a", T0 - H, T0, 6 * H, 0) > T0);
	/* a clock that jumped back: probe now */
	assert_int_equal(schedule_first_probe("a", T0 + H, T0, 6 * H, 0), T0);
}

static void
test_jitter_spread(void **unused)
{
	int buckets[10] = { 0 };
	(void)unused;

	for (int i = 0; i < 10000; i++) {
		char name[32];
		double u;

		snprintf(name, sizeof(name), "t%d", i);
		u = schedule_jitter_unit(name, 0);
		assert_true(u >= 0.0 && u < 1.0);
		buckets[(int)(u * 10)]++;
	}
	for (int i = 0; i < 10; i++)
		assert_true(buckets[i] > 800 && buckets[i] < 1200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_renewing_is_hourly),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_first_and_late),
		cmocka_unit_test(test_jitter_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
