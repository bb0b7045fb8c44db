/*
 * jdoc.h — a read-only JSON document for decoders that read many small
 * files (src/core/jdoc.c): the state files, 100,000 of them at start-up.
 *
 * jdoc_parse() is a fast path: one pass over the text into nodes taken from
 * a few blocks, strings decoded into one buffer. It takes only texts that
 * jansson's json_loadb(JSON_REJECT_DUPLICATES) takes, and reads them the
 * same (tests/unit/test_jdoc.c checks both): RFC 8259 JSON with an object
 * or array at the top, strict UTF-8, no \u0000, no duplicate keys. It
 * gives up (NULL) on any other text and on what state files never hold:
 * real numbers, integers beyond int64, nesting deeper than JDOC_DEPTH_MAX,
 * objects of more than JDOC_KEYS_MAX members. On NULL the caller parses
 * with jansson, which reports the error (or, for a text it accepts,
 * jdoc_from_json() turns its tree into a jdoc).
 */
#ifndef RENEWD_JDOC_H
#define RENEWD_JDOC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JDOC_DEPTH_MAX	64
#define JDOC_KEYS_MAX	64

enum jval_type {
	JV_NULL,
	JV_FALSE,
	JV_TRUE,
	JV_INTEGER,
	JV_REAL,	/* only from jdoc_from_json() */
	JV_STRING,
	JV_ARRAY,
	JV_OBJECT,
};

struct jval {
	const char	*key;		/* the member's name in an object */
	struct jval	*next;		/* the next element or member */
	union {
		int64_t		 i;	/* JV_INTEGER */
		const char	*s;	/* JV_STRING, NUL-terminated */
		struct jval	*first;	/* JV_ARRAY, JV_OBJECT: NULL when
					 * empty */
	} u;
	size_t		 n;		/* string length in bytes, or the
					 * number of elements or members */
	enum jval_type	 type;
};

struct jdoc;

/* The document of `len` bytes of `text`, or NULL (see above). */
struct jdoc	*jdoc_parse(const char *text, size_t len);
/* The same document from jansson's tree, which it keeps (one reference
 * taken) until jdoc_free. */
struct jdoc	*jdoc_from_json(json_t *);
void		 jdoc_free(struct jdoc *);
const struct jval *jdoc_root(const struct jdoc *);
/* The member `key` of an object, or NULL (also for a non-object). */
const struct jval *jdoc_get(const struct jval *obj, const char *key);

#endif
