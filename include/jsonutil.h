/*
 * jsonutil.h — the JSON value forms every renewd document shares
 * (src/core/jsonutil.c): strings that survive invalid UTF-8, UTC and Japan
 * times, Japan dates.
 */
#ifndef RENEWD_JSONUTIL_H
#define RENEWD_JSONUTIL_H

#include <time.h>

#include <jansson.h>

#include "config.h"
#include "util.h"

/* A string, or null for NULL; text that is not valid UTF-8 is sanitised
 * (jansson refuses it) rather than dropped. */
json_t	*json_str_or_null(const char *);
/* "2026-11-24T03:00:00Z" */
json_t	*json_time_utc(time_t);
/* "2026-12-31T09:00:00+09:00" */
json_t	*json_time_jst(time_t);
/* A Japan day number as "YYYY-MM-DD". */
json_t	*json_day(int);
/* A reminder threshold: 45 (days), or "33%" (a share of the lifetime). */
json_t	*json_threshold(const struct threshold *);

/*
 * Append `j` to `b` as JSON text indented by `indent` spaces a level (1 to
 * 31): byte for byte what json_dumps(j, JSON_INDENT(indent) |
 * JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) returns, at a fraction of its
 * cost (no callback per token, no bookkeeping per container). `j` must hold
 * no cycle, which a value built once and never spliced into itself cannot.
 */
void	 json_text_append(struct buf *b, const json_t *j, int indent);

#endif
