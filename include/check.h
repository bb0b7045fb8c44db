/*
 * check.h — the report of an offline check (src/core/check.c): what was
 * looked at and a list of findings, each with a severity, a stable code for
 * scripts and a message that says what to do next. Filled in by
 * csrcheck_*() and bundlecheck_*(), printed by renewctl.
 */
#ifndef RENEWD_CHECK_H
#define RENEWD_CHECK_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "util.h"

enum check_severity {
	CHECK_OK,		/* a check that passed, or plain information */
	CHECK_WARNING,		/* works, but look at it */
	CHECK_ERROR,		/* will fail at the CA or on the server */
};

struct check_finding {
	enum check_severity	 severity;
	const char		*code;		/* static: "weak-key", ... */
	const char		*field;		/* static: "cn", ... or NULL */
	char			*message;	/* valid UTF-8, one line */
};

struct check_report {
	/* What the file says (a CSR's, or the leaf's) */
	int			 have_subject;
	struct subject_fields	 subject;	/* NULL: absent */
	char			*subject_line;	/* RFC 2253 style, or NULL */
	struct strlist		 san;		/* DNS names and addresses */
	char			 key[32];	/* "RSA-2048", "" unknown */
	int			 key_bits;
	/* A certificate only (have_validity) */
	int			 have_validity;
	char			*issuer;	/* RFC 2253 style */
	time_t			 not_before;
	time_t			 not_after;
	int			 days_left;	/* Japan dates: E - today */

	struct check_finding	*findings;
	size_t			 nfindings;
	size_t			 cap;
};

/* Append a finding; the message is printf-formatted, then passed through
 * rd_sanitize(). `code` and `field` must be static strings. */
void	 check_add(struct check_report *, enum check_severity,
	    const char *code, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* The worst severity of the findings (CHECK_OK when there is none). */
enum check_severity check_worst(const struct check_report *);
/* How many findings of one severity. */
size_t	 check_count(const struct check_report *, enum check_severity);
/* The finding with `code`, or NULL (the first one when several). */
const struct check_finding *check_find(const struct check_report *,
	    const char *code);
/* "ok", "warning", "error". */
const char *check_severity_name(enum check_severity);
/* Free what the report holds and zero it (safe on a zeroed report). */
void	 check_report_free(struct check_report *);

#endif
