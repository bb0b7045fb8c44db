/*
 * test_status_state.c — the Status view built from the daemon's saved
 * state (status_compute_from_state): E, state and severity by the cycle,
 * a failed last probe, and the six renewal steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "config.h"
#include "state.h"
#include "status.h"
#include "util.h"

#define DAY	86400

static void
test_severity_by_cycle(void **unused)
{
	/* E = 2027-03-31; A = 2027-03-23 (ssl, 5 + 1 business days). */
	static const struct {
		const char		*what;
		int			 active;
		enum cycle_state	 state;
		enum expiry_source	 source;
		int			 now_day_offset;	/* from E */
		int			 failing;
		const char		*want_state;
		enum severity		 want;
		int			 steps;
	} cases[] = {
		{ "no cycle, no contract, never probed", 0, 0, 0, -100, 0,
		    "waiting", SEV_UNKNOWN, 0 },
		{ "far out", 1, CYCLE_WAITING, EXPIRY_CONTRACT, -100, 0,
		    "waiting", SEV_OK, 0 },
		{ "within a threshold", 1, CYCLE_NOTIFIED, EXPIRY_CONTRACT,
		    -40, 0, "notified", SEV_WARNING, 1 },
		{ "past the apply deadline", 1, CYCLE_NOTIFIED,
		    EXPIRY_CONTRACT, -3, 0, "notified", SEV_CRITICAL, 1 },
		{ "applied, past the apply deadline", 1, CYCLE_APPLIED,
		    EXPIRY_CONTRACT, -3, 0, "applied", SEV_WARNING, 3 },
		{ "issued", 1, CYCLE_ISSUED, EXPIRY_CONTRACT, -3, 0, "issued",
		    SEV_WARNING, 4 },
		{ "lapsed", 1, CYCLE_LAPSED, EXPIRY_CONTRACT, 2, 0, "lapsed",
		    SEV_CRITICAL, 0 },
		{ "verified contract, near E", 1, CYCLE_VERIFIED,
		    EXPIRY_CONTRACT, -3, 0, "verified", SEV_OK, 6 },
		{ "verified certificate cycle", 1, CYCLE_VERIFIED,
		    EXPIRY_CERTIFICATE, -100, 0, "verified", SEV_OK, 0 },
		{ "last probe failed", 1, CYCLE_WAITING, EXPIRY_CONTRACT,
		    -100, 1, "waiting", SEV_UNKNOWN, 0 },
		{ "failed and past the deadline", 1, CYCLE_NOTIFIED,
		    EXPIRY_CONTRACT, -3, 1, "notified", SEV_CRITICAL, 1 },
	};
	struct config *cfg = config_new();
	struct cal_rules rules;
	struct target_conf tc;
	struct target_result res;
	struct addr_result addr;
	int e = jday_from_ymd(2027, 3, 31);
	(void)unused;

	/* The last good observation: one address served a leaf ending on
	 * E, valid for a year. */
	memset(&res, 0, sizeof(res));
	memset(&addr, 0, sizeof(addr));
	addr.address = "192.0.2.10:443";
	addr.ok = addr.has_cert = 1;
	addr.cert.not_after = jday_to_time(e, 23 * 60);
	addr.cert.not_before = addr.cert.not_after - 365 * DAY;
	res.addrs = &addr;
	res.naddrs = 1;

	cal_rules_from_config(&rules, cfg);
	memset(&tc, 0, sizeof(tc));
	tc.name = "www.example.jp";
	tc.product = PRODUCT_SSL;
	tc.contract_end = -1;
	for (size_t i = 0; i < nitems(cases); i++) {
		struct target_state *st = state_new(tc.name);
		struct target_status ts;
		time_t now = jday_to_time(e + cases[i].now_day_offset, 12 * 60);
		json_t *o, *steps;

		st->cycle.active = cases[i].active;
		st->cycle.expiry = e;
		st->cycle.source = cases[i].source;
		st->cycle.state = cases[i].state;
		if (cases[i].failing || i > 0) {
			st->last_probe = now - 60;
			st->last_probe_ok = !cases[i].failing;
		}
		if (cases[i].failing)
			st->last_error = xstrdup("connect: refused");
		if (i > 0)
			st->observation = &res;		/* borrowed */
		status_compute_from_state(cfg, &rules, &tc, st, now, &ts);
		if (strcmp(ts.state, cases[i].want_state) != 0 ||
		    ts.severity != cases[i].want)
			fail_msg("%s: %s/%s, want %s/%s", cases[i].what,
			    ts.state, status_severity_word(ts.severity),
			    cases[i].want_state,
			    status_severity_word(cases[i].want));
		if (cases[i].active && (!ts.have_expiry ||
		    ts.expiry_day != e || ts.days_left !=
		    -cases[i].now_day_offset))
			fail_msg("%s: E or days left wrong", cases[i].what);
		if (status_steps_done(&st->cycle) != cases[i].steps)
			fail_msg("%s: %d steps done, want %d", cases[i].what,
			    status_steps_done(&st->cycle), cases[i].steps);

		o = status_target_json(&ts);
		assert_string_equal(json_string_value(json_object_get(o,
		    "severity")), status_severity_word(cases[i].want));
		if (cases[i].failing) {
			assert_string_equal(json_string_value(json_object_get(o,
			    "error")), "connect: refused");
			assert_string_equal(json_string_value(json_array_get(
			    json_object_get(o, "problems"), 0)), "unreachable");
		}
		json_decref(o);
		steps = status_steps_json(&st->cycle);
		assert_int_equal(json_array_size(steps), STATUS_STEPS);
		json_decref(steps);
		st->observation = NULL;
		state_free(st);
	}
	config_free(cfg);
}

static void
test_reminders_and_history(void **unused)
{
	struct config *cfg = config_new();
	struct cal_rules rules;
	struct target_conf tc;
	struct target_state *st = state_new("a.example.jp");
	struct target_status ts;
	struct sent_notice sn;
	int e = jday_from_ymd(2027, 3, 31);
	time_t now = jday_to_time(e - 50, 10 * 60);
	json_t *o, *r, *h, *c;
	(void)unused;

	cal_rules_from_config(&rules, cfg);
	memset(&tc, 0, sizeof(tc));
	tc.name = "a.example.jp";
	tc.contract_end = -1;
	st->cycle.active = 1;
	st->cycle.expiry = e;
	st->cycle.state = CYCLE_NOTIFIED;
	memset(&sn, 0, sizeof(sn));
	sn.kind = NOTICE_REMINDER;
	sn.day = -1;
	sn.threshold.value = 90;
	sn.skipped = 1;
	sn.due = sn.at = now - DAY;
	state_sent_add(&st->cycle, &sn);
	sn.threshold.value = 60;
	sn.skipped = 0;
	state_sent_add(&st->cycle, &sn);
	state_history_add(st, now - DAY, "notified", "reminder 60 days");

	status_compute_from_state(cfg, &rules, &tc, st, now, &ts);
	o = status_target_json(&ts);
	r = json_object_get(o, "reminders_sent");
	assert_int_equal(json_array_size(r), 1);	/* the skipped one not */
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(r, 0), "threshold")), 60);
	/* The next one is the 45-day reminder. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    o, "next_notification"), "kind")), "reminder");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    o, "next_notification"), "threshold")), 45);
	json_decref(o);

	h = status_history_json(st);
	assert_int_equal(json_array_size(h), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(h, 0), "event")), "notified");
	json_decref(h);
	c = status_cycle_json(&st->cycle);
	assert_int_equal(json_array_size(json_object_get(c, "notices")), 2);
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "notified");
	json_decref(c);
	st->cycle.active = 0;
	c = status_cycle_json(&st->cycle);
	assert_true(json_is_null(c));
	json_decref(c);
	state_free(st);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity_by_cycle),
		cmocka_unit_test(test_reminders_and_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
