/*
 * metrics.h — what renewd knows, in the Prometheus text exposition format
 * (version 0.0.4), as pure functions over plain data
 * (src/core/metrics_text.c). The daemon serves it over HTTP
 * (src/renewd/metrics.c); renewd(8) lists every metric.
 *
 * The format, as written here: for each metric family one "# HELP" line,
 * one "# TYPE" line, then all its samples (a family is never split). Label
 * values are UTF-8 with '\', '"' and newline escaped as \\, \" and \n;
 * bytes that are not UTF-8 become U+FFFD. Values are integers when they are
 * whole numbers, else the shortest decimal that reads back the same, and
 * NaN, +Inf, -Inf as the format spells them.
 */
#ifndef RENEWD_METRICS_H
#define RENEWD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "probe.h"
#include "state.h"
#include "util.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_VALUE_MAX	32	/* a formatted value, with its NUL */

/* ---- the writer ------------------------------------------------------- */

struct metrics_label {
	const char	*name;
	const char	*value;
};

/* [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (not "__..."). */
int	 metrics_name_valid(const char *);
int	 metrics_label_name_valid(const char *);
/* Append a label value / a HELP text, escaped. */
void	 metrics_escape_label(struct buf *, const char *);
void	 metrics_escape_help(struct buf *, const char *);
/* "12", "0.25", "1.7e+300", "NaN", "+Inf", "-Inf". */
void	 metrics_format_value(double, char out[METRICS_VALUE_MAX]);
/* "# HELP name help" and "# TYPE name type" (gauge, counter, ...). */
void	 metrics_family(struct buf *, const char *name, const char *type,
	    const char *help);
/* name{l1="v1",...} value — no braces when nlabels is 0. */
void	 metrics_sample(struct buf *, const char *name,
	    const struct metrics_label *, size_t nlabels, double value);

/* ---- renewd's metrics ------------------------------------------------- */

/* One address of a target's last probe. */
struct metrics_addr {
	char		 address[64];	/* "192.0.2.10:443" */
	int		 ok;		/* the handshake completed */
	int		 has_cert;
	time_t		 not_after;	/* the leaf's, when has_cert */
	int64_t		 duration_ms;
};

/* What one probe of a target found, kept until the next one. */
struct metrics_probe {
	int			 ok;		/* some address served a leaf */
	unsigned		 problems;	/* enum problem bits */
	struct metrics_addr	*addrs;		/* owned */
	size_t			 naddrs;
};
/* *out (overwritten) from a probe result; free with metrics_probe_free. */
void	 metrics_probe_from_result(struct metrics_probe *out,
	    const struct target_result *);
void	 metrics_probe_free(struct metrics_probe *);

/* One target's series. The pointers are borrowed. */
struct metrics_target {
	const char		*name;
	int			 watched;	/* 0: its state file cannot be
						 * read; nothing else is set */
	enum cycle_state	 state;
	int			 has_expiry;	/* a deadline date E is known */
	time_t			 lapse;		/* 00:00 JST after E */
	int			 days_left;	/* E minus today (Japan dates) */
	int			 has_apply_by;
	time_t			 apply_deadline;
	time_t			 last_probe;	/* 0: never */
	int			 last_probe_ok;
	time_t			 last_success;	/* 0: never */
	const struct metrics_probe *probe;	/* NULL: not probed since the
						 * daemon started */
};
/* Fill *out for target `tc` with state `st` (NULL: not watched) and its
 * last probe (may be NULL), at `now`. */
void	 metrics_target_fill(struct metrics_target *out,
	    const struct target_conf *tc, const struct cal_rules *,
	    const struct target_state *st, const struct metrics_probe *,
	    time_t now);

enum metrics_result {
	METRICS_OK,		/* probes: "success"; notices: "sent" */
	METRICS_FAILED,		/* "failure"; "failed" */
};

/* The daemon's own figures. */
struct metrics_global {
	const char	*version;
	size_t		 mail_queue_length;
	uint64_t	 probes[2];			/* [enum metrics_result] */
	uint64_t	 notices[NOTICE_KIND_COUNT][2];	/* [kind][result] */
};

/*
 * Write the whole exposition into `out` (appended). When `flush` is given
 * it is called with the text so far whenever more than about 64 KiB are
 * waiting, and at the end; `out` is emptied after each call. Work and
 * memory are linear in the number of targets and addresses.
 */
typedef void (*metrics_flush_cb)(const char *, size_t, void *arg);
void	 metrics_render(struct buf *out, const struct metrics_global *,
	    const struct metrics_target *, size_t ntargets,
	    metrics_flush_cb flush, void *arg);

#endif
