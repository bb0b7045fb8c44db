/*
 * output.c — renewctl's output backends: tables for people (Japan time,
 * weekday names, holidays named, 80 columns, colour only on a terminal)
 * and JSON for scripts (the shapes of renewd's contract, via jansson).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"
#include "check.h"
#include "jsonutil.h"
#include "log.h"
#include "renewctl.h"
#include "util.h"

#define C_BOLD		"\033[1m"
#define C_DIM		"\033[2m"
#define C_RED		"\033[31m"
#define C_GREEN		"\033[32m"
#define C_YELLOW	"\033[33m"
#define C_RESET		"\033[0m"

static const char *wday_abbr[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *wday_full[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};

/* --- human ---------------------------------------------------------------- */

static const char *
col(const struct ctl *ctl, const char *code)
{
	return ctl->color ? code : "";
}

/* "2027-03-23 Tue" */
static void
human_day(int day, char out[16])
{
	char d[11];

	jday_format(day, d);
	snprintf(out, 16, "%s %s", d, wday_abbr[jday_wday(day)]);
}

/* "2027-03-23 Tue 20:00", with ":SS" when the seconds are not zero. */
static void
human_time(time_t t, char out[32])
{
	char iso[32], day[16];

	time_format_jst(t, iso, sizeof(iso));
	human_day(jday_from_time(t), day);
	if (strcmp(iso + 17, "00+09:00") == 0)
		snprintf(out, 32, "%s %.5s", day, iso + 11);
	else
		snprintf(out, 32, "%s %.8s", day, iso + 11);
}

static const char *
holiday_name(const struct ctl *ctl, int day)
{
	const char *en, *ja;

	if (!jp_holiday(day, &en, &ja))
		return NULL;
	return ctl->lang == LANG_JA ? ja : en;
}

static const char *
ordinal(int n)
{
	static const char *names[] = { "", "1st", "2nd", "3rd", "4th", "5th" };

	return n >= 1 && n <= 5 ? names[n] : "?";
}

/* Print one line, without the padding that an empty last column leaves. */
static void human_line(struct ctl *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
human_line(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	char *line;
	size_t len;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	len = strlen(line);
	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';
	fprintf(ctl->out, "%s\n", line);
	free(line);
}

static void
human_version(struct ctl *ctl, const char *version)
{
	fprintf(ctl->out, "renewctl version %s\n", version);
}

static void
human_rule(struct ctl *ctl, const struct maint_rule *mr)
{
	fprintf(ctl->out, "%s %s, %02d:%02d to %02d:%02d%s", ordinal(mr->nth),
	    wday_full[mr->wday % 7], mr->start_min / 60, mr->start_min % 60,
	    mr->end_min / 60, mr->end_min % 60,
	    mr->end_min <= mr->start_min ? " the next day" : "");
}

static void
human_windows(struct ctl *ctl, const struct maint_rule *mr,
    const struct window *w, size_t n, time_t after)
{
	char start[32], end[32];
	const char *hol;
	size_t i;

	if (n == 0) {
		fprintf(ctl->out, "No maintenance window is configured "
		    "([ca] maintenance).\n");
		return;
	}
	fprintf(ctl->out, "%sMaintenance windows%s: the ", col(ctl, C_BOLD),
	    col(ctl, C_RESET));
	human_rule(ctl, mr);
	fprintf(ctl->out, ".\nJapan time (JST, UTC+09:00); the CA refuses "
	    "applications during a window.\n\n");
	human_line(ctl, "  %s%-22s %-22s %s%s", col(ctl, C_BOLD),
	    "START (JST)", "END (JST)", "NOTE", col(ctl, C_RESET));
	for (i = 0; i < n; i++) {
		human_time(w[i].start, start);
		human_time(w[i].end, end);
		if (w[i].start <= after && after < w[i].end)
			human_line(ctl, "  %-22s %-22s %sin progress%s", start,
			    end, col(ctl, C_YELLOW), col(ctl, C_RESET));
		else {
			hol = holiday_name(ctl, jday_from_time(w[i].start));
			human_line(ctl, "  %-22s %-22s %s", start, end,
			    hol != NULL ? hol : "");
		}
	}
}

/* A day that is not a business day, and why: a holiday's name, "closed". */
static const char *
nonbusiness_reason(const struct ctl *ctl, const struct cal_rules *r, int day)
{
	const char *hol;

	if ((hol = holiday_name(ctl, day)) != NULL)
		return hol;
	if (cal_is_closed(r, day))
		return "closed ([ca] closed)";
	return NULL;
}

static void
human_plan(struct ctl *ctl, const struct plan *p)
{
	const struct cal_rules *r = p->rules;
	struct window win[8];
	struct plan_reminder *rem;
	char a[32], b[32], label[24], note[96];
	const char *why;
	time_t first;
	size_t i, n;
	int day, review = cal_review_days(r, p->product), header;

	human_day(p->expiry, a);
	human_line(ctl, "%sPlan for expiry %s, product %s%s", col(ctl, C_BOLD),
	    a, product_name(p->product), col(ctl, C_RESET));
	human_line(ctl, "All times are Japan time (JST, UTC+09:00).");
	fputc('\n', ctl->out);

	why = holiday_name(ctl, p->expiry);
	human_line(ctl, "  %-16s %-22s %s", "Expiry (E)", a,
	    why != NULL ? why : "");
	human_day(p->apply_by, a);
	human_line(ctl, "  %-16s %-22s %d business days: %d review, "
	    "%d install", "Apply by (A)", a, review + r->install_days,
	    review, r->install_days);
	human_time(p->apply_deadline, a);
	human_line(ctl, "  %-16s %s%-22s%s %s", "Apply deadline",
	    col(ctl, C_RED), a, col(ctl, C_RESET),
	    maint_window_at(&r->maint, p->apply_deadline, NULL) ?
	    "a maintenance window starts then" : "");
	human_time(p->lapse, a);
	human_line(ctl, "  %-16s %-22s %s", "Lapse", a,
	    "the contract ends unrenewed");

	/* Weekdays between A and E that do not count, and why. */
	header = 0;
	for (day = p->apply_by + 1; day <= p->expiry; day++) {
		if (jday_wday(day) == 0 || jday_wday(day) == 6 ||
		    (why = nonbusiness_reason(ctl, r, day)) == NULL)
			continue;
		if (!header) {
			fputc('\n', ctl->out);
			human_line(ctl, "  Weekdays between A and E that are not "
			    "business days:");
			header = 1;
		}
		human_day(day, a);
		human_line(ctl, "    %s  %s", a, why);
	}

	fputc('\n', ctl->out);
	human_line(ctl, "  %s%-16s %-22s %s%s", col(ctl, C_BOLD), "REMINDER",
	    "DUE (JST)", "NOTE", col(ctl, C_RESET));
	first = p->apply_deadline;
	for (i = 0; i < p->nreminders; i++) {
		rem = &p->reminders[i];
		if (rem->th.percent && rem->days >= 0)
			snprintf(label, sizeof(label), "%d%% (%d days)",
			    rem->th.value, rem->days);
		else if (rem->th.percent)
			snprintf(label, sizeof(label), "%d%%", rem->th.value);
		else
			snprintf(label, sizeof(label), "%d days",
			    rem->th.value);
		if (rem->days < 0) {
			if (rem->th.percent)
				snprintf(note, sizeof(note),
				    "needs --lifetime DAYS");
			else
				snprintf(note, sizeof(note),
				    "skipped: the lifetime is %d days",
				    p->lifetime);
			human_line(ctl, "  %s%-16s %-22s %s%s",
			    col(ctl, C_DIM), label, "-", note,
			    col(ctl, C_RESET));
			continue;
		}
		if (rem->due < first)
			first = rem->due;
		human_time(rem->due, a);
		note[0] = '\0';
		if (rem->due != rem->nominal) {
			human_time(rem->nominal, b);
			snprintf(note, sizeof(note), "%sdeferred from %s: "
			    "maintenance%s", col(ctl, C_YELLOW), b + 15,
			    col(ctl, C_RESET));
		} else if ((why = holiday_name(ctl,
		    jday_from_time(rem->due))) != NULL)
			snprintf(note, sizeof(note), "%s", why);
		human_line(ctl, "  %-16s %-22s %s", label, a, note);
	}

	/* The windows an applicant meets from the first reminder on. */
	n = maint_windows_after(&r->maint, first, win, nitems(win));
	header = 0;
	for (i = 0; i < n && win[i].start <= p->apply_deadline; i++) {
		if (!header) {
			fputc('\n', ctl->out);
			human_line(ctl, "  Maintenance windows before the "
			    "deadline (no applications then):");
			header = 1;
		}
		human_time(win[i].start, a);
		human_time(win[i].end, b);
		human_line(ctl, "    %s  to  %s", a, b);
	}
}

/* --- human: check-csr, check-bundle ---------------------------------------- */

static void
human_field(struct ctl *ctl, const char *label, const char *value)
{
	human_line(ctl, "  %-8s %s", label, value != NULL && *value != '\0' ?
	    value : "-");
}

/* "2027-06-12 12:00 JST" */
static void
human_jst(time_t t, char out[32])
{
	char iso[32];

	time_format_jst(t, iso, sizeof(iso));
	snprintf(out, 32, "%.10s %.5s JST", iso, iso + 11);
}

static void
human_check(struct ctl *ctl, const struct check_view *v)
{
	const struct check_report *r = v->report;
	const struct check_finding *f;
	const char *mark, *color, *step;
	struct buf b = { 0 };
	char from[32], to[32];
	size_t i, nerr, nwarn;
	int csr = v->chain == NULL;

	if (r == NULL)		/* unreadable: stderr says why */
		return;
	if (csr)
		human_line(ctl, "%sCSR%s %s", col(ctl, C_BOLD),
		    col(ctl, C_RESET), v->file);
	else
		human_line(ctl, "%sBundle%s: certificate %s, chain %s%s%s",
		    col(ctl, C_BOLD), col(ctl, C_RESET), v->file, v->chain,
		    v->key != NULL ? ", key " : "",
		    v->key != NULL ? v->key : "");
	if (r->have_subject) {
		human_field(ctl, "CN", r->subject.cn);
		human_field(ctl, "OU", r->subject.ou);
		human_field(ctl, "O", r->subject.o);
		human_field(ctl, "L", r->subject.l);
		human_field(ctl, "ST", r->subject.st);
		human_field(ctl, "C", r->subject.c);
	}
	if (r->issuer != NULL)
		human_field(ctl, "Issuer", r->issuer);
	for (i = 0; i < r->san.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", r->san.v[i]);
	if (b.len > 0)
		human_field(ctl, "SAN", b.data);
	buf_free(&b);
	human_field(ctl, "Key", r->key);
	if (r->have_validity) {
		human_jst(r->not_before, from);
		human_jst(r->not_after, to);
		human_line(ctl, "  %-8s %s to %s, %d day%s left", "Valid",
		    from, to, r->days_left, r->days_left == 1 ||
		    r->days_left == -1 ? "" : "s");
	}
	if (!csr)
		human_field(ctl, "Trust", v->ca_file != NULL ? v->ca_file :
		    "not checked (no CA file)");
	fputc('\n', ctl->out);

	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		switch (f->severity) {
		case CHECK_OK:
			mark = "OK";
			color = C_GREEN;
			break;
		case CHECK_WARNING:
			mark = "WARN";
			color = C_YELLOW;
			break;
		default:
			mark = "ERROR";
			color = C_RED;
			break;
		}
		human_line(ctl, "  %s%-5s%s  %s: %s", col(ctl, color), mark,
		    col(ctl, C_RESET), f->code, f->message);
	}

	nerr = check_count(r, CHECK_ERROR);
	nwarn = check_count(r, CHECK_WARNING);
	step = csr ? "applying (step 3)" : "installing (step 5)";
	fputc('\n', ctl->out);
	if (nerr == 0 && nwarn == 0)
		human_line(ctl, "%sNo problems found%s: %s", col(ctl, C_GREEN),
		    col(ctl, C_RESET), csr ? "paste the whole block into the "
		    "application (step 3)" : "the bundle is ready to install "
		    "(step 5)");
	else if (nerr == 0)
		human_line(ctl, "%s%zu warning%s%s: read %s before %s",
		    col(ctl, C_YELLOW), nwarn, nwarn == 1 ? "" : "s",
		    col(ctl, C_RESET), nwarn == 1 ? "it" : "them", step);
	else
		human_line(ctl, "%s%zu error%s%s%s%zu warning%s: fix %s before "
		    "%s", col(ctl, C_RED), nerr, nerr == 1 ? "" : "s",
		    col(ctl, C_RESET), ", ", nwarn, nwarn == 1 ? "" : "s",
		    nerr == 1 ? "it" : "them", step);
}

const struct output output_human = {
	human_version,
	human_windows,
	human_plan,
	human_check,
};

/* --- JSON ------------------------------------------------------------------- */

static void
json_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) == -1)
		fatalx("out of memory building JSON");
}

static void
json_push(json_t *arr, json_t *value)
{
	if (value == NULL || json_array_append_new(arr, value) == -1)
		fatalx("out of memory building JSON");
}

static json_t *
json_new_object(void)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		fatalx("out of memory building JSON");
	return o;
}

static json_t *
json_new_array(void)
{
	json_t *a;

	if ((a = json_array()) == NULL)
		fatalx("out of memory building JSON");
	return a;
}

static void
json_print(struct ctl *ctl, json_t *root)
{
	if (json_dumpf(root, ctl->out, JSON_PRESERVE_ORDER) == -1)
		log_warnx("cannot write JSON");
	fputc('\n', ctl->out);
	json_decref(root);
}

static void
json_version(struct ctl *ctl, const char *version)
{
	json_t *root = json_new_object();

	json_set(root, "version", json_string(version));
	json_print(ctl, root);
}

static void
json_windows(struct ctl *ctl, const struct maint_rule *mr,
    const struct window *w, size_t n, time_t after)
{
	json_t *root = json_new_object(), *arr = json_new_array(), *o;
	size_t i;

	(void)mr;
	(void)after;
	for (i = 0; i < n; i++) {
		o = json_new_object();
		json_set(o, "start", json_time_jst(w[i].start));
		json_set(o, "end", json_time_jst(w[i].end));
		json_push(arr, o);
	}
	json_set(root, "windows", arr);
	json_print(ctl, root);
}

static void
json_plan(struct ctl *ctl, const struct plan *p)
{
	json_t *root = json_new_object(), *arr = json_new_array(), *o;
	const struct plan_reminder *rem;
	size_t i;

	json_set(root, "expiry", json_day(p->expiry));
	json_set(root, "product", json_string(product_name(p->product)));
	json_set(root, "apply_by", json_day(p->apply_by));
	json_set(root, "apply_deadline", json_time_jst(p->apply_deadline));
	json_set(root, "lapse", json_time_jst(p->lapse));
	if (p->lifetime > 0)
		json_set(root, "lifetime", json_integer(p->lifetime));
	for (i = 0; i < p->nreminders; i++) {
		rem = &p->reminders[i];
		o = json_new_object();
		json_set(o, "threshold", json_threshold(&rem->th));
		if (rem->th.percent)
			json_set(o, "days", rem->days >= 0 ?
			    json_integer(rem->days) : json_null());
		if (rem->days >= 0)
			json_set(o, "due", json_time_jst(rem->due));
		else {
			json_set(o, "due", json_null());
			json_set(o, "note", json_string(rem->th.percent ?
			    "a percentage needs the leaf's lifetime" :
			    "not shorter than the leaf's lifetime"));
		}
		json_push(arr, o);
	}
	json_set(root, "reminders", arr);
	json_print(ctl, root);
}

static json_t *
json_subject(const struct subject_fields *sf)
{
	json_t *o = json_new_object();

	json_set(o, "cn", json_str_or_null(sf->cn));
	json_set(o, "ou", json_str_or_null(sf->ou));
	json_set(o, "o", json_str_or_null(sf->o));
	json_set(o, "l", json_str_or_null(sf->l));
	json_set(o, "st", json_str_or_null(sf->st));
	json_set(o, "c", json_str_or_null(sf->c));
	return o;
}

static void
json_check(struct ctl *ctl, const struct check_view *v)
{
	const struct check_report *r = v->report;
	const struct check_finding *f;
	json_t *root = json_new_object(), *arr = json_new_array(), *o, *san;
	size_t i;

	json_set(root, "file", json_str_or_null(v->file));
	if (v->chain != NULL) {
		json_set(root, "chain", json_str_or_null(v->chain));
		json_set(root, "key_file", json_str_or_null(v->key));
		json_set(root, "ca_file", json_str_or_null(v->ca_file));
	}
	json_set(root, "name", json_str_or_null(v->name));
	json_set(root, "ok", json_boolean(r != NULL &&
	    check_worst(r) != CHECK_ERROR));
	if (r == NULL) {
		json_set(root, "error", json_str_or_null(v->error != NULL ?
		    v->error : "unreadable"));
		json_set(root, "subject", json_null());
		o = json_new_object();
		json_set(o, "severity", json_string("error"));
		json_set(o, "code", json_string("unreadable"));
		json_set(o, "message", json_str_or_null(v->error != NULL ?
		    v->error : "the file cannot be read"));
		json_push(arr, o);
		json_set(root, "findings", arr);
		json_print(ctl, root);
		return;
	}
	json_set(root, "subject", r->have_subject ?
	    json_subject(&r->subject) : json_null());
	json_set(root, "subject_line", json_str_or_null(r->subject_line));
	if (r->have_validity)
		json_set(root, "issuer", json_str_or_null(r->issuer));
	san = json_new_array();
	for (i = 0; i < r->san.n; i++)
		json_push(san, json_string(r->san.v[i]));
	json_set(root, "san", san);
	json_set(root, "key", r->key[0] != '\0' ? json_string(r->key) :
	    json_null());
	if (r->have_validity) {
		json_set(root, "not_before", json_time_jst(r->not_before));
		json_set(root, "not_after", json_time_jst(r->not_after));
		json_set(root, "days_left", json_integer(r->days_left));
	}
	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		o = json_new_object();
		json_set(o, "severity",
		    json_string(check_severity_name(f->severity)));
		json_set(o, "code", json_string(f->code));
		if (f->field != NULL)
			json_set(o, "field", json_string(f->field));
		json_set(o, "message", json_string(f->message));
		json_push(arr, o);
	}
	json_set(root, "findings", arr);
	json_print(ctl, root);
}

const struct output output_json = {
	json_version,
	json_windows,
	json_plan,
	json_check,
};
