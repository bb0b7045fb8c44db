/*
 * cmd_calendar.c — the offline calendar commands: `maintenance` lists the
 * CA's maintenance windows, `plan` works out every deadline for an expiry
 * date. Neither talks to the daemon; both read the config only with -c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "policy.h"
#include "renewctl.h"
#include "util.h"

#define MAINT_COUNT_DEFAULT	12
#define MAINT_COUNT_MAX		1000
#define LIFETIME_MAX		(100 * 366)
/* Dates are printed with four-digit years: stay well inside them. */
#define FIRST_YEAR		1900
#define LAST_YEAR		9998

/* A decimal integer in [min, max], the whole string. 0 or -1. */
static int
parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
cmd_maintenance(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	enum { OPT_AFTER = 0x200, OPT_COUNT };
	static const struct option longopts[] = {
		CTL_LONGOPTS,
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ 0 },
	};
	struct cal_rules rules;
	struct config *cfg;
	struct window *w;
	time_t after;
	size_t n;
	int ch, rv, count = MAINT_COUNT_DEFAULT, have_after = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, CTL_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_AFTER:
			if (time_parse_iso(optarg, &after) == -1 ||
			    jday_from_time(after) <
			    jday_from_ymd(FIRST_YEAR, 1, 1) ||
			    jday_from_time(after) >
			    jday_from_ymd(LAST_YEAR, 12, 31))
				return ctl_usage_error(ctl, cmd,
				    "--after: \"%s\" is not an ISO 8601 date "
				    "or time (e.g. 2026-11-24T09:00+09:00)",
				    optarg);
			have_after = 1;
			break;
		case OPT_COUNT:
			if (parse_int(optarg, 1, MAINT_COUNT_MAX, &count) == -1)
				return ctl_usage_error(ctl, cmd,
				    "--count: \"%s\" is not a number from 1 to "
				    "%d", optarg, MAINT_COUNT_MAX);
			break;
		default:
			if ((rv = ctl_common_option(ctl, cmd, ch, argv)) !=
			    CTL_CONTINUE)
				return rv;
		}
	}
	if (optind < argc)
		return ctl_usage_error(ctl, cmd, "unexpected argument \"%s\"",
		    argv[optind]);
	if (!have_after)
		after = time(NULL);

	if ((cfg = ctl_load_config(ctl)) == NULL)
		return EXIT_UNKNOWN;
	cal_rules_from_config(&rules, cfg);
	ctl_set_output(ctl);

	w = xcalloc((size_t)count, sizeof(*w));
	n = maint_windows_after(&rules.maint, after, w, (size_t)count);
	ctl->output->windows(ctl, &rules.maint, w, n, after);
	free(w);
	config_free(cfg);
	return EXIT_OK;
}

int
cmd_plan(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	enum { OPT_EXPIRY = 0x200, OPT_PRODUCT, OPT_LIFETIME };
	static const struct option longopts[] = {
		CTL_LONGOPTS,
		{ "expiry", required_argument, NULL, OPT_EXPIRY },
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "lifetime", required_argument, NULL, OPT_LIFETIME },
		{ 0 },
	};
	struct cal_rules rules;
	struct config *cfg;
	struct plan plan;
	struct plan_reminder *r;
	size_t i;
	int ch, rv, have_expiry = 0;

	memset(&plan, 0, sizeof(plan));
	plan.product = PRODUCT_SSL;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, CTL_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_EXPIRY:
			if (jday_parse(optarg, &plan.expiry) == -1)
				return ctl_usage_error(ctl, cmd,
				    "--expiry: \"%s\" is not a date YYYY-MM-DD",
				    optarg);
			if (plan.expiry < jday_from_ymd(FIRST_YEAR, 1, 1) ||
			    plan.expiry > jday_from_ymd(LAST_YEAR, 12, 31))
				return ctl_usage_error(ctl, cmd,
				    "--expiry: \"%s\" is not within "
				    "%d-01-01..%d-12-31", optarg, FIRST_YEAR,
				    LAST_YEAR);
			have_expiry = 1;
			break;
		case OPT_PRODUCT:
			if (strcmp(optarg, "ssl") == 0)
				plan.product = PRODUCT_SSL;
			else if (strcmp(optarg, "ev") == 0)
				plan.product = PRODUCT_EV;
			else
				return ctl_usage_error(ctl, cmd,
				    "--product: \"%s\" is not ssl or ev",
				    optarg);
			break;
		case OPT_LIFETIME:
			if (parse_int(optarg, 1, LIFETIME_MAX,
			    &plan.lifetime) == -1)
				return ctl_usage_error(ctl, cmd,
				    "--lifetime: \"%s\" is not a number of "
				    "days from 1 to %d", optarg, LIFETIME_MAX);
			break;
		default:
			if ((rv = ctl_common_option(ctl, cmd, ch, argv)) !=
			    CTL_CONTINUE)
				return rv;
		}
	}
	if (optind < argc)
		return ctl_usage_error(ctl, cmd, "unexpected argument \"%s\"",
		    argv[optind]);
	if (!have_expiry)
		return ctl_usage_error(ctl, cmd, "--expiry is required");

	if ((cfg = ctl_load_config(ctl)) == NULL)
		return EXIT_UNKNOWN;
	cal_rules_from_config(&rules, cfg);
	ctl_set_output(ctl);

	plan.rules = &rules;
	plan.remind_at = cfg->remind_at;
	plan.apply_by = cal_apply_by(&rules, plan.product, plan.expiry);
	if (plan.apply_by == CAL_NO_DAY) {
		fprintf(stderr, "renewctl: plan: the calendar leaves no business "
		    "day (check [ca] closed)\n");
		config_free(cfg);
		return EXIT_UNKNOWN;
	}
	plan.apply_deadline = cal_apply_deadline(&rules, plan.apply_by);
	plan.lapse = cal_lapse(plan.expiry);

	plan.nreminders = cfg->nthresholds;
	plan.reminders = xcalloc(cfg->nthresholds, sizeof(*plan.reminders));
	for (i = 0; i < cfg->nthresholds; i++) {
		r = &plan.reminders[i];
		r->th = cfg->thresholds[i];
		/* the daemon's rule, for a leaf of the given lifetime */
		r->days = policy_threshold_days(&r->th, 0,
		    (time_t)plan.lifetime * 86400);
		if (r->days < 0)
			continue;
		r->nominal = jday_to_time(plan.expiry - r->days, cfg->remind_at);
		r->due = cal_reminder_due(&rules, plan.expiry, r->days,
		    cfg->remind_at);
	}

	ctl->output->plan(ctl, &plan);
	free(plan.reminders);
	config_free(cfg);
	return EXIT_OK;
}
