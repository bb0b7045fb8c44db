/*
 * check.c — the findings list shared by the offline checks.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "inspect.h"
#include "util.h"

void
check_add(struct check_report *r, enum check_severity sev, const char *code,
    const char *field, const char *fmt, ...)
{
	struct check_finding *f;
	va_list ap;
	char *msg;

	if (r->nfindings == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->findings = xreallocarray(r->findings, r->cap,
		    sizeof(*r->findings));
	}
	f = &r->findings[r->nfindings++];
	f->severity = sev;
	f->code = code;
	f->field = field;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* Values from the outside (names given, file contents) go into
	 * messages: keep every message one line of valid UTF-8. */
	f->message = rd_sanitize(msg, strlen(msg));
	free(msg);
}

enum check_severity
check_worst(const struct check_report *r)
{
	enum check_severity worst = CHECK_OK;
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].severity > worst)
			worst = r->findings[i].severity;
	return worst;
}

size_t
check_count(const struct check_report *r, enum check_severity sev)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].severity == sev)
			n++;
	return n;
}

const struct check_finding *
check_find(const struct check_report *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].code, code) == 0)
			return &r->findings[i];
	return NULL;
}

const char *
check_severity_name(enum check_severity sev)
{
	switch (sev) {
	case CHECK_OK:
		return "ok";
	case CHECK_WARNING:
		return "warning";
	case CHECK_ERROR:
		return "error";
	}
	return "error";
}

void
check_report_free(struct check_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	subject_fields_free(&r->subject);
	free(r->subject_line);
	strlist_free(&r->san);
	free(r->issuer);
	for (i = 0; i < r->nfindings; i++)
		free(r->findings[i].message);
	free(r->findings);
	memset(r, 0, sizeof(*r));
}
