/*
 * jsonutil.c — shared JSON value forms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "jsonutil.h"
#include "util.h"

json_t *
json_str_or_null(const char *s)
{
	json_t *j;
	char *clean;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	clean = rd_sanitize(s, strlen(s));
	j = json_string(clean);
	free(clean);
	return j != NULL ? j : json_null();
}

json_t *
json_time_utc(time_t t)
{
	char buf[32];

	time_format_utc(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
json_time_jst(time_t t)
{
	char buf[32];

	time_format_jst(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
json_day(int day)
{
	char buf[16];

	jday_format(day, buf);
	return json_string(buf);
}

json_t *
json_threshold(const struct threshold *t)
{
	char pct[16];

	if (!t->percent)
		return json_integer(t->value);
	snprintf(pct, sizeof(pct), "%d%%", t->value);
	return json_string(pct);
}

/* ---- JSON text ---------------------------------------------------------- */

static void
json_text_newline(struct buf *b, int indent, int depth)
{
	static const char spaces[] = "                                ";
	size_t n = (size_t)indent * (size_t)depth, k;

	buf_add(b, "\n", 1);
	while (n > 0) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		buf_add(b, spaces, k);
		n -= k;
	}
}

static void
json_text_integer(struct buf *b, json_int_t v)
{
	char digits[24];
	size_t i = sizeof(digits);
	unsigned long long u;

	/* Negate in unsigned arithmetic: the most negative value has no
	 * positive counterpart. */
	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		digits[--i] = '-';
	buf_add(b, digits + i, sizeof(digits) - i);
}

/*
 * Quotes and escapes as jansson does without JSON_ENSURE_ASCII and
 * JSON_ESCAPE_SLASH: a jansson string is valid UTF-8, so only '"', '\' and
 * the bytes below 0x20 need a look; everything else goes out as it is.
 */
static void
json_text_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;
	char esc[6];
	size_t elen;

	buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		if (i > run)
			buf_add(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		elen = 2;
		switch (p[i]) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\f':	esc[1] = 'f'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 0xf];
			elen = 6;
			break;
		}
		buf_add(b, esc, elen);
	}
	if (len > run)
		buf_add(b, s + run, len - run);
	buf_add(b, "\"", 1);
}

static void
json_text_value(struct buf *b, const json_t *j, int indent, int depth)
{
	const char *key;
	json_t *v;
	void *it;
	size_t i, n;
	char *text;

	switch (json_typeof(j)) {
	case JSON_NULL:
		buf_add(b, "null", 4);
		return;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		return;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		return;
	case JSON_INTEGER:
		json_text_integer(b, json_integer_value(j));
		return;
	case JSON_STRING:
		json_text_string(b, json_string_value(j), json_string_length(j));
		return;
	case JSON_REAL:
		/* Rare here: let jansson pick the digits. */
		if ((text = json_dumps(j, JSON_ENCODE_ANY)) != NULL) {
			buf_adds(b, text);
			free(text);
		}
		return;
	case JSON_ARRAY:
		if ((n = json_array_size(j)) == 0) {
			buf_add(b, "[]", 2);
			return;
		}
		buf_add(b, "[", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_add(b, ",", 1);
			json_text_newline(b, indent, depth + 1);
			json_text_value(b, json_array_get(j, i), indent,
			    depth + 1);
		}
		json_text_newline(b, indent, depth);
		buf_add(b, "]", 1);
		return;
	case JSON_OBJECT:
		if ((it = json_object_iter((json_t *)j)) == NULL) {
			buf_add(b, "{}", 2);
			return;
		}
		buf_add(b, "{", 1);
		for (i = 0; it != NULL; i++) {
			key = json_object_iter_key(it);
			v = json_object_iter_value(it);
			if (i > 0)
				buf_add(b, ",", 1);
			json_text_newline(b, indent, depth + 1);
			json_text_string(b, key, json_object_iter_key_len(it));
			buf_add(b, ": ", 2);
			json_text_value(b, v, indent, depth + 1);
			it = json_object_iter_next((json_t *)j, it);
		}
		json_text_newline(b, indent, depth);
		buf_add(b, "}", 1);
		return;
	}
}

void
json_text_append(struct buf *b, const json_t *j, int indent)
{
	if (j == NULL)
		return;
	if (indent < 1)
		indent = 1;
	if (indent > 31)
		indent = 31;
	json_text_value(b, j, indent, 0);
}
