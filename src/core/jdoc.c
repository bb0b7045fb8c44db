/*
 * jdoc.c — a read-only JSON document (jdoc.h). The parser is one recursive
 * descent over the text; it never reports an error of its own: anything it
 * does not take (invalid JSON, or what it leaves to jansson) is NULL, and
 * the caller asks jansson, whose messages the state files' errors use.
 *
 * Memory: one allocation holds the document, its first block of nodes and
 * a buffer for every decoded string (a decoded string and its NUL never
 * take more bytes than its quoted form did); larger documents chain more
 * node blocks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "util.h"

#define JDOC_BLOCK	128	/* nodes per block */

struct jblock {
	struct jblock	*next;
	size_t		 used;
	struct jval	 v[JDOC_BLOCK];
};

struct jdoc {
	struct jval	*root;
	struct jblock	*blocks;	/* the first one is `first` */
	json_t		*json;		/* jdoc_from_json(): the tree */
	struct jblock	 first;
	char		 strings[];	/* jdoc_parse(): decoded strings */
};

struct jparse {
	struct jdoc	*doc;
	const unsigned char *p, *end;
	char		*out;		/* next free byte in doc->strings */
	int		 depth;
};

static struct jval *
jdoc_node(struct jdoc *doc)
{
	struct jblock *b = doc->blocks;
	struct jval *v;

	if (b->used == JDOC_BLOCK) {
		b = xcalloc(1, sizeof(*b));
		b->next = doc->blocks;
		doc->blocks = b;
	}
	v = &b->v[b->used++];
	memset(v, 0, sizeof(*v));
	return v;
}

void
jdoc_free(struct jdoc *doc)
{
	struct jblock *b, *next;

	if (doc == NULL)
		return;
	for (b = doc->blocks; b != NULL && b != &doc->first; b = next) {
		next = b->next;
		free(b);
	}
	if (doc->json != NULL)
		json_decref(doc->json);
	free(doc);
}

const struct jval *
jdoc_root(const struct jdoc *doc)
{
	return doc->root;
}

const struct jval *
jdoc_get(const struct jval *obj, const char *key)
{
	if (obj == NULL || obj->type != JV_OBJECT)
		return NULL;
	for (const struct jval *m = obj->u.first; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

/* ---- parsing ------------------------------------------------------------ */

static void
jp_ws(struct jparse *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\n' ||
	    *jp->p == '\r' || *jp->p == '\t'))
		jp->p++;
}

static int
jp_hex4(struct jparse *jp, unsigned *out)
{
	unsigned v = 0;

	if (jp->end - jp->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = *jp->p++;

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void
jp_put_utf8(struct jparse *jp, unsigned cp)
{
	if (cp < 0x80)
		*jp->out++ = (char)cp;
	else if (cp < 0x800) {
		*jp->out++ = (char)(0xc0 | (cp >> 6));
		*jp->out++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*jp->out++ = (char)(0xe0 | (cp >> 12));
		*jp->out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*jp->out++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*jp->out++ = (char)(0xf0 | (cp >> 18));
		*jp->out++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*jp->out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*jp->out++ = (char)(0x80 | (cp & 0x3f));
	}
}

/* One escape after the backslash. \u0000 and lone surrogates are given up,
 * as jansson refuses them. */
static int
jp_escape(struct jparse *jp)
{
	unsigned cp, lo;

	if (jp->p >= jp->end)
		return -1;
	switch (*jp->p++) {
	case '"':	*jp->out++ = '"'; return 0;
	case '\\':	*jp->out++ = '\\'; return 0;
	case '/':	*jp->out++ = '/'; return 0;
	case 'b':	*jp->out++ = '\b'; return 0;
	case 'f':	*jp->out++ = '\f'; return 0;
	case 'n':	*jp->out++ = '\n'; return 0;
	case 'r':	*jp->out++ = '\r'; return 0;
	case 't':	*jp->out++ = '\t'; return 0;
	case 'u':
		break;
	default:
		return -1;
	}
	if (jp_hex4(jp, &cp) == -1 || cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (jp->end - jp->p < 6 || jp->p[0] != '\\' || jp->p[1] != 'u')
			return -1;
		jp->p += 2;
		if (jp_hex4(jp, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	/* "\uXXXX" is 6 bytes, its UTF-8 at most 3; a pair 12 and 4. */
	jp_put_utf8(jp, cp);
	return 0;
}

/* A string at the opening quote: decoded into the buffer; *s its start. */
static int
jp_string(struct jparse *jp, const char **s, size_t *len)
{
	char *start = jp->out;

	jp->p++;	/* '"' */
	for (;;) {
		const unsigned char *q = jp->p;
		size_t n;

		/* the plain run */
		while (q < jp->end && *q != '"' && *q != '\\' && *q >= 0x20 &&
		    *q < 0x80)
			q++;
		memcpy(jp->out, jp->p, (size_t)(q - jp->p));
		jp->out += q - jp->p;
		jp->p = q;
		if (jp->p >= jp->end)
			return -1;
		if (*jp->p == '"') {
			jp->p++;
			break;
		}
		if (*jp->p == '\\') {
			jp->p++;
			if (jp_escape(jp) == -1)
				return -1;
			continue;
		}
		if (*jp->p < 0x20 || (n = utf8_len(jp->p,
		    (size_t)(jp->end - jp->p))) == 0)
			return -1;
		memcpy(jp->out, jp->p, n);
		jp->out += n;
		jp->p += n;
	}
	*jp->out++ = '\0';
	*s = start;
	*len = (size_t)(jp->out - start - 1);
	return 0;
}

/* An integer; a fraction, an exponent or an overflow are given up. */
static int
jp_number(struct jparse *jp, int64_t *out)
{
	int neg = 0;
	uint64_t v = 0, max;

	if (*jp->p == '-') {
		neg = 1;
		jp->p++;
	}
	if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
		return -1;
	max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*jp->p == '0')
		jp->p++;
	else
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9') {
			unsigned d = (unsigned)(*jp->p - '0');

			if (v > (max - d) / 10)
				return -1;
			v = v * 10 + d;
			jp->p++;
		}
	if (jp->p < jp->end && (*jp->p == '.' || *jp->p == 'e' ||
	    *jp->p == 'E' || (*jp->p >= '0' && *jp->p <= '9')))
		return -1;
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static int
jp_word(struct jparse *jp, const char *w, size_t n)
{
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, w, n) != 0)
		return -1;
	jp->p += n;
	/* "truex": jansson reads a whole word */
	if (jp->p < jp->end && ((*jp->p >= 'a' && *jp->p <= 'z') ||
	    (*jp->p >= 'A' && *jp->p <= 'Z')))
		return -1;
	return 0;
}

static int	jp_value(struct jparse *, struct jval *);

static int
jp_container(struct jparse *jp, struct jval *v, int object)
{
	struct jval **tail = &v->u.first;
	unsigned char close = object ? '}' : ']';

	if (++jp->depth > JDOC_DEPTH_MAX)
		return -1;
	v->type = object ? JV_OBJECT : JV_ARRAY;
	jp->p++;
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		jp->depth--;
		return 0;
	}
	for (;;) {
		struct jval *e = jdoc_node(jp->doc);
		size_t klen;

		if (object) {
			if (jp->p >= jp->end || *jp->p != '"' ||
			    jp_string(jp, &e->key, &klen) == -1)
				return -1;
			if (v->n >= JDOC_KEYS_MAX)
				return -1;
			for (const struct jval *m = v->u.first; m != NULL;
			    m = m->next)
				if (strcmp(m->key, e->key) == 0)
					return -1;	/* duplicate */
			jp_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':')
				return -1;
			jp->p++;
			jp_ws(jp);
		}
		if (jp_value(jp, e) == -1)
			return -1;
		/* tail is &v->u.first or the last element's &next, never
		 * NULL: the analyzer loses it across the recursion */
		*tail = e;	/* NOLINT(clang-analyzer-core.NullDereference) */
		tail = &e->next;
		v->n++;
		jp_ws(jp);
		if (jp->p >= jp->end)
			return -1;
		if (*jp->p == close) {
			jp->p++;
			break;
		}
		if (*jp->p != ',')
			return -1;
		jp->p++;
		jp_ws(jp);
	}
	jp->depth--;
	return 0;
}

static int
jp_value(struct jparse *jp, struct jval *v)
{
	if (jp->p >= jp->end)
		return -1;
	switch (*jp->p) {
	case '{':
		return jp_container(jp, v, 1);
	case '[':
		return jp_container(jp, v, 0);
	case '"':
		v->type = JV_STRING;
		return jp_string(jp, &v->u.s, &v->n);
	case 't':
		v->type = JV_TRUE;
		return jp_word(jp, "true", 4);
	case 'f':
		v->type = JV_FALSE;
		return jp_word(jp, "false", 5);
	case 'n':
		v->type = JV_NULL;
		return jp_word(jp, "null", 4);
	default:
		v->type = JV_INTEGER;
		return jp_number(jp, &v->u.i);
	}
}

struct jdoc *
jdoc_parse(const char *text, size_t len)
{
	struct jparse jp;
	struct jdoc *doc;

	if (len > SIZE_MAX - sizeof(*doc) - 1)
		return NULL;
	doc = xmalloc(sizeof(*doc) + len + 1);
	doc->json = NULL;
	doc->first.next = NULL;
	doc->first.used = 0;
	doc->blocks = &doc->first;
	doc->root = jdoc_node(doc);
	jp.doc = doc;
	jp.p = (const unsigned char *)text;
	jp.end = jp.p + len;
	jp.out = doc->strings;
	jp.depth = 0;
	jp_ws(&jp);
	if (jp.p >= jp.end || (*jp.p != '{' && *jp.p != '[') ||
	    jp_value(&jp, doc->root) == -1)
		goto fail;
	jp_ws(&jp);
	if (jp.p != jp.end)
		goto fail;
	return doc;
fail:
	jdoc_free(doc);
	return NULL;
}

/* ---- from jansson ------------------------------------------------------- */

static void
jdoc_conv(struct jdoc *doc, json_t *j, struct jval *v)
{
	struct jval **tail = &v->u.first;

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *m;

		v->type = JV_OBJECT;
		json_object_foreach(j, key, m) {
			struct jval *e = jdoc_node(doc);

			e->key = key;
			jdoc_conv(doc, m, e);
			*tail = e;
			tail = &e->next;
			v->n++;
		}
		break;
	}
	case JSON_ARRAY:
		v->type = JV_ARRAY;
		for (size_t i = 0; i < json_array_size(j); i++) {
			struct jval *e = jdoc_node(doc);

			jdoc_conv(doc, json_array_get(j, i), e);
			*tail = e;
			tail = &e->next;
			v->n++;
		}
		break;
	case JSON_STRING:
		v->type = JV_STRING;
		v->u.s = json_string_value(j);
		v->n = json_string_length(j);
		break;
	case JSON_INTEGER:
		v->type = JV_INTEGER;
		v->u.i = (int64_t)json_integer_value(j);
		break;
	case JSON_REAL:
		v->type = JV_REAL;
		break;
	case JSON_TRUE:
		v->type = JV_TRUE;
		break;
	case JSON_FALSE:
		v->type = JV_FALSE;
		break;
	case JSON_NULL:
		v->type = JV_NULL;
		break;
	}
}

struct jdoc *
jdoc_from_json(json_t *j)
{
	struct jdoc *doc = xmalloc(sizeof(*doc));

	doc->json = json_incref(j);
	doc->first.next = NULL;
	doc->first.used = 0;
	doc->blocks = &doc->first;
	doc->root = jdoc_node(doc);
	jdoc_conv(doc, j, doc->root);
	return doc;
}
