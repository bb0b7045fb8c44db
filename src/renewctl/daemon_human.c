/*
 * daemon_human.c — the daemon's answers as text for people: Japan time,
 * 80 columns, colour only on a terminal, and every string that came from
 * a certificate or a server made safe for the terminal (rd_sanitize).
 *
 * `status` lists the most urgent targets first: critical, warning, unknown,
 * ok; then by days left (fewest first), then by name. --json keeps the
 * daemon's order (the config's).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"
#include "renewctl.h"
#include "util.h"

#define C_BOLD		"\033[1m"
#define C_DIM		"\033[2m"
#define C_RED		"\033[31m"
#define C_YELLOW	"\033[33m"
#define C_GREEN		"\033[32m"
#define C_RESET		"\033[0m"

#define NAMEW_MIN	6
#define NAMEW_MAX	28
#define SAFE_RING	32
#define HISTORY_SHOWN	10

static const char *wday_abbr[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

/* --- small helpers ---------------------------------------------------------- */

static const char *
col(const struct ctl *ctl, const char *code)
{
	return ctl->color ? code : "";
}

/* Text from the daemon, safe to print ("-" for null); valid until
 * SAFE_RING more calls. */
static const char *
safe(const char *s)
{
	static char *ring[SAFE_RING];
	static unsigned next;
	unsigned i = next++ % SAFE_RING;

	if (s == NULL)
		return "-";
	free(ring[i]);
	ring[i] = rd_sanitize(s, strlen(s));
	return ring[i];
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
jsafe(json_t *o, const char *key)
{
	return safe(jstr(o, key));
}

static void line(struct ctl *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* One line, without trailing blanks. */
static void
line(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	char *s;
	size_t len;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
	fprintf(ctl->out, "%s\n", s);
	free(s);
}

/* "2026-11-24 Tue 12:00" (":SS" when not zero) for an ISO 8601 time;
 * "-" for none. Into out[32]. */
static const char *
when(const char *iso, char out[32])
{
	char jst[32], d[11];
	time_t t;
	int day;

	if (iso == NULL || time_parse_iso(iso, &t) == -1) {
		snprintf(out, 32, "%s", iso == NULL ? "-" : safe(iso));
		return out;
	}
	time_format_jst(t, jst, sizeof(jst));
	day = jday_from_time(t);
	jday_format(day, d);
	if (strncmp(jst + 17, "00", 2) == 0)
		snprintf(out, 32, "%s %s %.5s", d, wday_abbr[jday_wday(day)],
		    jst + 11);
	else
		snprintf(out, 32, "%s %s %.8s", d, wday_abbr[jday_wday(day)],
		    jst + 11);
	return out;
}

/* "2027-03-31 Wed" for a date "YYYY-MM-DD". */
static const char *
date(const char *ymd, char out[32])
{
	int day;

	if (ymd == NULL || jday_parse(ymd, &day) == -1)
		snprintf(out, 32, "%s", ymd == NULL ? "-" : safe(ymd));
	else
		snprintf(out, 32, "%s %s", ymd, wday_abbr[jday_wday(day)]);
	return out;
}

static const char *
sev_color(const char *sev)
{
	if (sev == NULL)
		return C_DIM;
	if (strcmp(sev, "critical") == 0)
		return C_RED;
	if (strcmp(sev, "warning") == 0)
		return C_YELLOW;
	if (strcmp(sev, "ok") == 0)
		return C_GREEN;
	return C_DIM;
}

static int
sev_rank(const char *sev)
{
	static const char *order[] = { "critical", "warning", "unknown", "ok" };

	for (size_t i = 0; sev != NULL && i < nitems(order); i++)
		if (strcmp(sev, order[i]) == 0)
			return (int)i;
	return 2;
}

/* Words of a JSON array of strings, joined with ", "; "-" when empty.
 * Caller frees. */
static char *
words(json_t *arr)
{
	struct buf b = { 0 };
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (b.len > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, safe(json_string_value(v)));
	}
	if (b.len == 0)
		buf_adds(&b, "-");
	return buf_steal(&b);
}

/* "45 days", "33%", for a threshold (a number or a string). */
static void
threshold_text(json_t *th, char *out, size_t len)
{
	if (json_is_integer(th))
		snprintf(out, len, "%lld days", json_integer_value(th));
	else if (json_is_string(th))
		snprintf(out, len, "%s", safe(json_string_value(th)));
	else
		snprintf(out, len, "-");
}

/* The NEXT cell: "45d 12-31", "apply-by 03-23", "-". */
static void
next_cell(json_t *next, char *out, size_t len)
{
	const char *kind = jstr(next, "kind"), *due = jstr(next, "due");
	json_t *th = json_object_get(next, "threshold");
	char label[24];

	if (kind == NULL) {
		snprintf(out, len, "-");
		return;
	}
	if (strcmp(kind, "reminder") == 0 && json_is_integer(th))
		snprintf(label, sizeof(label), "%lldd", json_integer_value(th));
	else if (strcmp(kind, "reminder") == 0 && json_is_string(th))
		snprintf(label, sizeof(label), "%.8s", safe(
		    json_string_value(th)));
	else
		snprintf(label, sizeof(label), "%.12s", safe(kind));
	if (due != NULL && strlen(due) >= 10)
		snprintf(out, len, "%s %.5s", label, due + 5);
	else
		snprintf(out, len, "%s", label);
}

/* Display width of UTF-8 text, East Asian characters counting 2. */
static size_t
width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p != '\0') {
		if (*p < 0x80)
			w++, p++;
		else {
			w += *p >= 0xe0 ? 2 : 1;
			p++;
			while ((*p & 0xc0) == 0x80)
				p++;
		}
	}
	return w;
}

/* --- status ----------------------------------------------------------------- */

/*
 * The table keeps one small row per target (its cells already formatted),
 * not the target's JSON, so that the daemon's list can be read one target
 * at a time: the rows are sorted and printed at the end.
 */
struct status_row {
	int		 rank;		/* sev_rank() */
	int		 has_days;
	long long	 days;
	size_t		 namew;		/* display width of the name */
	char		*name;		/* safe */
	char		*cells;		/* the rest of the line */
};

struct status_table {
	struct status_row	*rows;
	size_t			 n;
	size_t			 cap;
	size_t			 namew;
	size_t			 count[4];
};

static int
status_cmp(const void *a, const void *b)
{
	const struct status_row *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->has_days != y->has_days)
		return x->has_days ? -1 : 1;
	if (x->has_days && x->days != y->days)
		return x->days < y->days ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct status_table *
daemon_status_table_new(void)
{
	struct status_table *tb = xcalloc(1, sizeof(*tb));

	tb->namew = NAMEW_MIN;
	return tb;
}

void
daemon_status_table_add(struct ctl *ctl, struct status_table *tb, json_t *t)
{
	struct status_row *r;
	json_t *d = json_object_get(t, "days_left");
	const char *sev = jstr(t, "severity");
	char next[40], days[16], *probs;

	if (tb->n == tb->cap) {
		tb->cap = tb->cap > 0 ? tb->cap * 2 : 64;
		tb->rows = xreallocarray(tb->rows, tb->cap, sizeof(*tb->rows));
	}
	r = &tb->rows[tb->n++];
	r->rank = sev_rank(sev);
	r->has_days = json_is_integer(d);
	r->days = r->has_days ? json_integer_value(d) : 0;
	r->name = xstrdup(jsafe(t, "target"));
	r->namew = width(r->name);
	if (r->namew > tb->namew)
		tb->namew = r->namew > NAMEW_MAX ? NAMEW_MAX : r->namew;
	tb->count[r->rank]++;
	if (r->has_days)
		snprintf(days, sizeof(days), "%lld", r->days);
	else
		snprintf(days, sizeof(days), "-");
	next_cell(json_object_get(t, "next_notification"), next, sizeof(next));
	probs = words(json_object_get(t, "problems"));
	r->cells = xasprintf("%s%-8s%s %-10s %5s  %-10s  %-13s  %s",
	    col(ctl, sev_color(sev)), jsafe(t, "state"), col(ctl, C_RESET),
	    jsafe(t, "expiry"), days, jsafe(t, "apply_by"), next, probs);
	free(probs);
}

void
daemon_status_table_free(struct status_table *tb)
{
	if (tb == NULL)
		return;
	for (size_t i = 0; i < tb->n; i++) {
		free(tb->rows[i].name);
		free(tb->rows[i].cells);
	}
	free(tb->rows);
	free(tb);
}

/* Sort, print and free the table. */
void
daemon_status_table_print(struct ctl *ctl, struct status_table *tb)
{
	size_t i, namew = tb->namew;
	char pad[NAMEW_MAX + 1];

	if (tb->n == 0)
		line(ctl, "No targets are configured.");
	else {
		qsort(tb->rows, tb->n, sizeof(*tb->rows), status_cmp);
		line(ctl, "%s%-*s  %-8s %-10s %5s  %-10s  %-13s  %s%s",
		    col(ctl, C_BOLD), (int)namew, "TARGET", "STATE", "EXPIRY",
		    "DAYS", "APPLY BY", "NEXT", "PROBLEMS", col(ctl, C_RESET));
	}
	for (i = 0; i < tb->n; i++) {
		struct status_row *r = &tb->rows[i];
		const char *name = r->name;
		size_t w = r->namew;

		/* A name wider than the column gets a line of its own. */
		if (w > namew) {
			line(ctl, "%s", name);
			name = "";
			w = 0;
		}
		memset(pad, ' ', namew - w);
		pad[namew - w] = '\0';
		line(ctl, "%s%s  %s", name, pad, r->cells);
	}
	if (tb->n > 0)
		line(ctl, "%s%zu target%s: %zu critical, %zu warning, %zu "
		    "unknown, %zu ok. Dates are Japan dates.%s",
		    col(ctl, C_DIM), tb->n, tb->n == 1 ? "" : "s",
		    tb->count[0], tb->count[1], tb->count[2], tb->count[3],
		    col(ctl, C_RESET));
	daemon_status_table_free(tb);
}

/* --- show ------------------------------------------------------------------- */

#define FIELD	"  %-16s %s"

/* What the admin does next, and when. */
static void
show_next_step(struct ctl *ctl, json_t *t)
{
	const char *state = jstr(t, "state"), *name = jsafe(t, "target");
	const char *source = jstr(t, "expiry_source");
	char a[32], e[32];

	if (state == NULL || jstr(t, "expiry") == NULL) {
		line(ctl, FIELD, "What next", "nothing until a certificate is "
		    "seen (or contract_end is set)");
		return;
	}
	when(jstr(t, "apply_deadline"), a);
	date(jstr(t, "expiry"), e);
	if (strcmp(state, "lapsed") == 0) {
		line(ctl, FIELD, "What next", "the contract lapsed: a new "
		    "contract is needed;");
		line(ctl, FIELD, "", "then: renewctl reset");
		line(ctl, "  %-16s   %s", "", name);
	} else if (strcmp(state, "applied") == 0) {
		line(ctl, FIELD, "What next", "wait for the \"issued\" mail, "
		    "download, then:");
		line(ctl, "  %-16s renewctl mark %s issued", "", name);
	} else if (strcmp(state, "issued") == 0) {
		line(ctl, "  %-16s install the new certificate before %s;",
		    "What next", e);
		line(ctl, FIELD, "", "renewd sees it served by itself");
	} else if (strcmp(state, "verified") == 0 && source != NULL &&
	    strcmp(source, "contract") == 0) {
		line(ctl, FIELD, "What next", "renewed; set contract_end to the "
		    "new contract's end date");
	} else {
		line(ctl, "  %-16s apply by %s, then:", "What next", a);
		line(ctl, "  %-16s renewctl mark %s applied", "", name);
	}
}

static void
show_address(struct ctl *ctl, json_t *a)
{
	json_t *subj = json_object_get(a, "subject"), *chain, *c;
	char *san, *probs, f[32], u[32];
	size_t i;

	if (!json_is_true(json_object_get(a, "ok")) && subj == NULL) {
		line(ctl, "Address %s: %s%s%s", jsafe(a, "address"),
		    col(ctl, C_RED), jsafe(a, "error"), col(ctl, C_RESET));
		return;
	}
	line(ctl, "%sAddress %s%s: %s, %lld ms", col(ctl, C_BOLD),
	    jsafe(a, "address"), col(ctl, C_RESET), jsafe(a, "tls_version"),
	    json_integer_value(json_object_get(a, "duration_ms")));
	line(ctl, "  %-16s CN=%s, O=%s, OU=%s,", "Subject", jsafe(subj, "CN"),
	    jsafe(subj, "O"), jsafe(subj, "OU"));
	line(ctl, "  %-16s L=%s, ST=%s, C=%s", "", jsafe(subj, "L"),
	    jsafe(subj, "ST"), jsafe(subj, "C"));
	san = words(json_object_get(a, "san"));
	line(ctl, FIELD, "SANs", san);
	free(san);
	line(ctl, FIELD, "Issuer", jsafe(a, "issuer"));
	line(ctl, FIELD, "Serial", jsafe(a, "serial"));
	line(ctl, FIELD, "SHA-256", jsafe(a, "sha256"));
	line(ctl, "  %-16s %s to %s", "Valid", when(jstr(a, "not_before"), f),
	    when(jstr(a, "not_after"), u));
	line(ctl, "  %-16s %s, %s", "Key, signature", jsafe(a, "key"),
	    jsafe(a, "sig_alg"));
	if (json_is_true(json_object_get(a, "verify_ok")))
		line(ctl, FIELD, "Verification", "ok");
	else
		line(ctl, "  %-16s %sfailed: %s%s", "Verification",
		    col(ctl, C_RED), jsafe(a, "verify_error"),
		    col(ctl, C_RESET));
	line(ctl, FIELD, "Names", json_is_true(json_object_get(a,
	    "names_ok")) ? "every name is covered" : "not every name is "
	    "covered");
	chain = json_object_get(a, "chain");
	json_array_foreach(chain, i, c) {
		line(ctl, "  %-16s %zu. %s", i == 0 ? "Chain" : "", i + 1,
		    jsafe(c, "subject"));
		line(ctl, "  %-16s    until %s, issued by %s", "",
		    when(jstr(c, "not_after"), f), jsafe(c, "issuer"));
	}
	probs = words(json_object_get(a, "problems"));
	if (strcmp(probs, "-") != 0)
		line(ctl, "  %-16s %s%s%s", "Problems", col(ctl, C_RED), probs,
		    col(ctl, C_RESET));
	free(probs);
}

void
daemon_human_show(struct ctl *ctl, json_t *t)
{
	json_t *next = json_object_get(t, "next_notification"), *v, *steps;
	json_t *sent = json_object_get(t, "reminders_sent");
	json_t *d = json_object_get(t, "days_left");
	const char *sev = jstr(t, "severity"), *err = jstr(t, "error");
	char a[32], b[32], th[32], *probs;
	struct buf rs = { 0 };
	size_t i;
	int lapse;

	line(ctl, "%s%s%s (%s): %s%s%s, %s. Times are Japan time (JST).",
	    col(ctl, C_BOLD), jsafe(t, "target"), col(ctl, C_RESET),
	    jsafe(t, "product"), col(ctl, sev_color(sev)), jsafe(t, "state"),
	    col(ctl, C_RESET), safe(sev));
	if (jstr(t, "expiry") != NULL) {
		line(ctl, "  %-16s %s, %lld days left (from the %s)",
		    "Deadline (E)", date(jstr(t, "expiry"), a),
		    json_integer_value(d), jsafe(t, "expiry_source"));
		line(ctl, "  %-16s %s, until %s", "Apply by (A)",
		    date(jstr(t, "apply_by"), a),
		    when(jstr(t, "apply_deadline"), b));
		if (jday_parse(jstr(t, "expiry"), &lapse) == 0) {
			char ymd[11];

			jday_format(lapse + 1, ymd);
			line(ctl, "  %-16s %s 00:00, unless applied for by then",
			    "Lapse", date(ymd, a));
		}
	} else
		line(ctl, FIELD, "Deadline (E)", "not known yet");
	if (json_is_object(next)) {
		const char *kind = jstr(next, "kind");

		if (kind != NULL && strcmp(kind, "reminder") == 0) {
			threshold_text(json_object_get(next, "threshold"), th,
			    sizeof(th));
			line(ctl, "  %-16s reminder %s before E, %s",
			    "Next notice", th, when(jstr(next, "due"), a));
		} else
			line(ctl, "  %-16s %s, %s", "Next notice", safe(kind),
			    when(jstr(next, "due"), a));
	} else
		line(ctl, FIELD, "Next notice", "none expected");
	json_array_foreach(sent, i, v) {
		threshold_text(json_object_get(v, "threshold"), th, sizeof(th));
		buf_printf(&rs, "%s%s", i > 0 ? ", " : "", th);
	}
	line(ctl, FIELD, "Reminders sent", rs.len > 0 ? rs.data : "none");
	buf_free(&rs);
	if (err != NULL) {
		line(ctl, "  %-16s %s, %sfailed%s", "Last probe",
		    when(jstr(t, "last_probe"), a), col(ctl, C_RED),
		    col(ctl, C_RESET));
		line(ctl, FIELD, "Error", safe(err));
	} else
		line(ctl, FIELD, "Last probe", when(jstr(t, "last_probe"), a));
	line(ctl, FIELD, "Last success", when(jstr(t, "last_success"), a));
	if (json_is_true(json_object_get(t, "probing")))
		line(ctl, FIELD, "Next probe", "now (queued or running)");
	else
		line(ctl, FIELD, "Next probe", when(jstr(t, "next_probe"), a));
	if (json_is_false(json_object_get(t, "watched")))
		line(ctl, FIELD, "Watched", "no: its state file cannot be read");
	probs = words(json_object_get(t, "problems"));
	line(ctl, "  %-16s %s%s%s", "Problems", strcmp(probs, "-") != 0 ?
	    col(ctl, C_RED) : "", probs, col(ctl, C_RESET));
	free(probs);
	show_next_step(ctl, t);

	steps = json_object_get(t, "steps");
	if (json_array_size(steps) > 0) {
		fputc('\n', ctl->out);
		line(ctl, "%sRenewal steps%s", col(ctl, C_BOLD),
		    col(ctl, C_RESET));
		json_array_foreach(steps, i, v) {
			int done = json_is_true(json_object_get(v, "done"));

			line(ctl, "  [%s] %lld %-9s %s", done ? "x" : " ",
			    json_integer_value(json_object_get(v, "step")),
			    jsafe(v, "name"), jsafe(v, "what"));
		}
	}
	json_array_foreach(json_object_get(t, "addresses"), i, v) {
		fputc('\n', ctl->out);
		show_address(ctl, v);
	}
	if (json_array_size(json_object_get(t, "history")) > 0) {
		fputc('\n', ctl->out);
		daemon_human_history(ctl, t, HISTORY_SHOWN);
	}
}

/* --- history, mark, reset, queue -------------------------------------------- */

void
daemon_human_history(struct ctl *ctl, json_t *result, size_t last)
{
	json_t *h = json_object_get(result, "history"), *e;
	size_t n = json_array_size(h), from = 0, i;
	char a[32];

	if (n == 0) {
		line(ctl, "%s: no history yet.", jsafe(result, "target"));
		return;
	}
	if (last > 0 && n > last) {
		from = n - last;
		line(ctl, "%sHistory%s (the last %zu of %zu; renewctl history "
		    "%s for all)", col(ctl, C_BOLD), col(ctl, C_RESET), last,
		    n, jsafe(result, "target"));
	} else
		line(ctl, "%sHistory of %s%s (Japan time)", col(ctl, C_BOLD),
		    jsafe(result, "target"), col(ctl, C_RESET));
	line(ctl, "  %-23s  %-11s  %s", "WHEN", "EVENT", "NOTE");
	for (i = from; i < n; i++) {
		e = json_array_get(h, i);
		line(ctl, "  %-23s  %-11s  %s", when(jstr(e, "at"), a),
		    jsafe(e, "event"), jsafe(e, "note"));
	}
}

void
daemon_human_mark(struct ctl *ctl, json_t *r)
{
	const char *name = jsafe(r, "target"), *step = jsafe(r, "step");

	if (json_is_true(json_object_get(r, "changed")))
		line(ctl, "%s: marked %s.", name, step);
	else
		line(ctl, "%s: already marked %s; nothing changed.", name,
		    step);
	if (json_is_false(json_object_get(r, "saved")))
		fprintf(stderr, "renewctl: mark: the state file could not be "
		    "written yet; renewd keeps the mark in memory and retries "
		    "(see its log)\n");
	line(ctl, "State now: %s.", jsafe(json_object_get(r, "status"),
	    "state"));
}

void
daemon_human_reset(struct ctl *ctl, json_t *r)
{
	line(ctl, "%s: tracking starts afresh; a probe is queued and its "
	    "result starts the new cycle.", jsafe(r, "target"));
	if (json_is_false(json_object_get(r, "saved")))
		fprintf(stderr, "renewctl: reset: the state file could not be "
		    "written yet; renewd retries (see its log)\n");
}

void
daemon_human_queue(struct ctl *ctl, json_t *notices)
{
	size_t i;
	json_t *q;
	char a[32], b[32];

	if (json_array_size(notices) == 0) {
		line(ctl, "No notification is waiting to be sent.");
		return;
	}
	line(ctl, "%s%-24s  %-9s  %-20s  %5s  %s%s", col(ctl, C_BOLD),
	    "TARGET", "KIND", "DUE (JST)", "TRIES", "NEXT TRY", col(ctl,
	    C_RESET));
	json_array_foreach(notices, i, q) {
		line(ctl, "%-24s  %-9s  %-20s  %5lld  %s", jsafe(q, "target"),
		    jsafe(q, "kind"), when(jstr(q, "due"), a),
		    json_integer_value(json_object_get(q, "attempts")),
		    json_is_true(json_object_get(q, "failed")) ?
		    "refused: fix [mail], then reload" :
		    when(jstr(q, "next_attempt"), b));
		if (jstr(q, "last_error") != NULL)
			line(ctl, "  %s%s%s", col(ctl, C_DIM),
			    jsafe(q, "last_error"), col(ctl, C_RESET));
	}
}
