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

/*
 * The writer appends to b->data directly: one capacity check and one copy
 * a token, where buf_add() would also write a NUL after each. The NUL goes
 * in once, at the end (json_text_append).
 */
static char *
json_text_room(struct buf *b, size_t n)
{
	size_t cap;

	if (b->data == NULL || b->cap - b->len <= n) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len <= n)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	return b->data + b->len;
}

static void
json_text_put(struct buf *b, const char *s, size_t n)
{
	memcpy(json_text_room(b, n), s, n);
	b->len += n;
}

/* A newline and the indentation of `depth`, after a comma if `comma`. */
static void
json_text_newline(struct buf *b, int comma, int indent, int depth)
{
	static const char lead[] = ",\n"
	    "                                                                ";
	size_t n = (size_t)indent * (size_t)depth, k;

	k = n < sizeof(lead) - 3 ? n : sizeof(lead) - 3;
	json_text_put(b, lead + !comma, (size_t)(2 - !comma) + k);
	for (n -= k; n > 0; n -= k) {
		k = n < sizeof(lead) - 3 ? n : sizeof(lead) - 3;
		json_text_put(b, lead + 2, k);
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
	json_text_put(b, digits + i, sizeof(digits) - i);
}

/*
 * Quotes and escapes as jansson does without JSON_ENSURE_ASCII and
 * JSON_ESCAPE_SLASH: a jansson string is valid UTF-8, so only '"', '\' and
 * the bytes below 0x20 need a look; everything else goes out as it is.
 * `tail` (a ": " after a key) follows the closing quote.
 */
static void
json_text_string(struct buf *b, const char *s, size_t len, const char *tail,
    size_t taillen)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;
	char esc[6], *d;
	size_t elen;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
			break;
	if (i == len) {
		/* The usual case: nothing to escape. */
		d = json_text_room(b, len + 2 + taillen);
		d[0] = '"';
		memcpy(d + 1, s, len);
		d[len + 1] = '"';
		memcpy(d + len + 2, tail, taillen);
		b->len += len + 2 + taillen;
		return;
	}
	json_text_put(b, "\"", 1);
	for (; i < len; i++) {
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		if (i > run)
			json_text_put(b, s + run, i - run);
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
		json_text_put(b, esc, elen);
	}
	if (len > run)
		json_text_put(b, s + run, len - run);
	json_text_put(b, "\"", 1);
	json_text_put(b, tail, taillen);
}

static void
json_text_value(struct buf *b, const json_t *j, int indent, int depth)
{
	json_t *v;
	void *it;
	size_t i, n;
	char *text;

	switch (json_typeof(j)) {
	case JSON_NULL:
		json_text_put(b, "null", 4);
		return;
	case JSON_TRUE:
		json_text_put(b, "true", 4);
		return;
	case JSON_FALSE:
		json_text_put(b, "false", 5);
		return;
	case JSON_INTEGER:
		json_text_integer(b, json_integer_value(j));
		return;
	case JSON_STRING:
		json_text_string(b, json_string_value(j), json_string_length(j),
		    "", 0);
		return;
	case JSON_REAL:
		/* Rare here: let jansson pick the digits. */
		if ((text = json_dumps(j, JSON_ENCODE_ANY)) != NULL) {
			json_text_put(b, text, strlen(text));
			free(text);
		}
		return;
	case JSON_ARRAY:
		if ((n = json_array_size(j)) == 0) {
			json_text_put(b, "[]", 2);
			return;
		}
		json_text_put(b, "[", 1);
		for (i = 0; i < n; i++) {
			json_text_newline(b, i > 0, indent, depth + 1);
			json_text_value(b, json_array_get(j, i), indent,
			    depth + 1);
		}
		json_text_newline(b, 0, indent, depth);
		json_text_put(b, "]", 1);
		return;
	case JSON_OBJECT:
		if ((it = json_object_iter((json_t *)j)) == NULL) {
			json_text_put(b, "{}", 2);
			return;
		}
		json_text_put(b, "{", 1);
		for (i = 0; it != NULL; i++) {
			v = json_object_iter_value(it);
			json_text_newline(b, i > 0, indent, depth + 1);
			json_text_string(b, json_object_iter_key(it),
			    json_object_iter_key_len(it), ": ", 2);
			json_text_value(b, v, indent, depth + 1);
			it = json_object_iter_next((json_t *)j, it);
		}
		json_text_newline(b, 0, indent, depth);
		json_text_put(b, "}", 1);
		return;
	}
}

void
json_text_append(struct buf *b, const json_t *j, int indent)
{
	if (indent < 1)
		indent = 1;
	if (indent > 31)
		indent = 31;
	if (j != NULL)
		json_text_value(b, j, indent, 0);
	/* The NUL buf promises. */
	*json_text_room(b, 0) = '\0';
}
