/*
 * test_jdoc.c — the fast JSON document (jdoc.h) against jansson: every text
 * it takes, jansson takes too and reads the same; every text jansson
 * refuses, it refuses. Fixed cases for the edges (escapes, surrogates,
 * UTF-8, numbers, duplicates, nesting), then many mutations of a state
 * file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jdoc.h"
#include "util.h"

/* 1 when v reads as j. */
static int
same(const struct jval *v, json_t *j)
{
	const struct jval *e;

	switch (v->type) {
	case JV_NULL:
		return json_is_null(j);
	case JV_TRUE:
		return json_is_true(j);
	case JV_FALSE:
		return json_is_false(j);
	case JV_INTEGER:
		return json_is_integer(j) && json_integer_value(j) == v->u.i;
	case JV_REAL:
		return json_is_real(j);
	case JV_STRING:
		return json_is_string(j) && json_string_length(j) == v->n &&
		    memcmp(json_string_value(j), v->u.s, v->n) == 0 &&
		    v->u.s[v->n] == '\0';
	case JV_ARRAY:
		if (!json_is_array(j) || json_array_size(j) != v->n)
			return 0;
		e = v->u.first;
		for (size_t i = 0; i < v->n; i++, e = e->next)
			if (e == NULL || !same(e, json_array_get(j, i)))
				return 0;
		return e == NULL;
	case JV_OBJECT:
		if (!json_is_object(j) || json_object_size(j) != v->n)
			return 0;
		for (e = v->u.first; e != NULL; e = e->next) {
			json_t *m = json_object_get(j, e->key);

			if (m == NULL || jdoc_get(v, e->key) != e || !same(e, m))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* jdoc agrees with jansson on `len` bytes of `text`; returns 1 when
 * jdoc took it. */
static int
check(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	struct jdoc *doc = jdoc_parse(text, len);
	int took = doc != NULL;

	if (doc != NULL) {
		if (j == NULL)
			fail_msg("jdoc took what jansson refuses (%s): %.*s",
			    jerr.text, (int)len, text);
		if (!same(jdoc_root(doc), j))
			fail_msg("jdoc reads differently: %.*s", (int)len, text);
	}
	if (j != NULL) {
		/* the fallback: jansson's tree as a jdoc */
		struct jdoc *conv = jdoc_from_json(j);

		assert_true(same(jdoc_root(conv), j));
		jdoc_free(conv);
	}
	jdoc_free(doc);
	json_decref(j);
	return took;
}

static int
check_str(const char *s)
{
	return check(s, strlen(s));
}

static void
test_cases(void **state)
{
	static const char *const taken[] = {
		"{}", "[]", " \t\r\n{ } \n",
		/* one literal in two pieces */
		"[1,-2,0,-0,9223372036854775807," /* NOLINT(bugprone-suspicious-missing-comma) */
		"-9223372036854775808]", "{\"a\":{\"b\":[true,false,null]}}",
		"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "[\"\\u00e9\\u65e5\"]",
		"[\"\\ud83d\\ude00\"]", "[\"\xe6\x97\xa5\xe6\x9c\xac\"]",
		"[\"\xf0\x9f\x98\x80\", \"\xc3\xa9\"]", "{\"\":1, \"a\":2}",
		"{\"x\":\"\"}", "[[[[[[[[]]]]]]]]",
	};
	static const char *const refused[] = {
		"", " ", "1", "\"a\"", "null", "{", "[", "[1,]", "{\"a\"}",
		"{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":1,\"a\":2}", "[01]",
		"[1.5]", "[1e3]", "[-]", "[9223372036854775808]",
		"[-9223372036854775809]", "[tru]", "[truex]", "[nul]",
		"[\"\\u0000\"]", "[\"\\ud83d\"]", "[\"\\ude00\"]",
		"[\"\\ud83dx\"]", "[\"\\x\"]", "[\"\\u12g4\"]", "[\"a\nb\"]",
		"[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
		"[\"\xe6\x97\"]", "[\"\x80\"]", "[\"\xff\"]", "{} {}", "[] x",
		"['a']", "{a:1}", "[\"abc", "\xef\xbb\xbf{}",
	};
	char deep[2 * (JDOC_DEPTH_MAX + 2) + 1];
	struct buf b = { 0 };

	(void)state;
	for (size_t i = 0; i < nitems(taken); i++)
		if (!check_str(taken[i]))
			fail_msg("not taken: %s", taken[i]);
	for (size_t i = 0; i < nitems(refused); i++)
		if (check_str(refused[i]))
			fail_msg("taken: %s", refused[i]);
	/* NUL bytes */
	assert_false(check("[\"a\0\"]", 5));
	assert_false(check("[1]\0", 4));
	/* left to jansson: deeper than JDOC_DEPTH_MAX, more keys than
	 * JDOC_KEYS_MAX */
	memset(deep, '[', JDOC_DEPTH_MAX + 1);
	memset(deep + JDOC_DEPTH_MAX + 1, ']', JDOC_DEPTH_MAX + 1);
	deep[2 * (JDOC_DEPTH_MAX + 1)] = '\0';
	assert_false(check_str(deep));
	memset(deep, '[', JDOC_DEPTH_MAX);
	memset(deep + JDOC_DEPTH_MAX, ']', JDOC_DEPTH_MAX);
	deep[2 * JDOC_DEPTH_MAX] = '\0';
	assert_true(check_str(deep));
	buf_adds(&b, "{");
	for (int i = 0; i <= JDOC_KEYS_MAX; i++) {
		char k[32];

		snprintf(k, sizeof(k), "%s\"k%d\":%d", i > 0 ? "," : "", i, i);
		buf_adds(&b, k);
	}
	buf_adds(&b, "}");
	assert_false(check(b.data, b.len));
	free(b.data);
	/* more nodes than one block */
	b = (struct buf){ 0 };
	buf_adds(&b, "[");
	for (int i = 0; i < 1000; i++)
		buf_adds(&b, i > 0 ? ",\"x\"" : "\"x\"");
	buf_adds(&b, "]");
	assert_true(check(b.data, b.len));
	free(b.data);
}

static const char sample[] =
    "{\"v\":1,\"target\":\"www.example.jp\",\"cycle\":{\"expiry\":"
    "\"2027-12-27\",\"source\":\"certificate\",\"state\":\"waiting\","
    "\"started\":\"2026-11-24T17:03:54Z\",\"leaf\":{\"sha256\":\"cda2a475dc"
    "3b50a4f04082131de0b0266c67367cd75c71d50ece21c7ba1994ce\"},\"sent\":[]},"
    "\"last_probe_ok\":true,\"last_error\":null,\"observation\":{"
    "\"problems\":0,\"addresses\":[{\"address\":\"[2001:db8::1]:443\","
    "\"duration_ms\":227,\"cert\":{\"subject\":{\"CN\":\"www.example.jp\","
    "\"O\":\"\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe\\u30c6\","
    "\"C\":\"JP\"},\"san\":[\"www.example.jp\",\"192.0.2.1\"],"
    "\"key_bits\":-2048}}]},\"history\":[{\"at\":\"2026-11-24T17:03:54Z\","
    "\"note\":\"a \\\"quoted\\\" line\\n\"}]}\n";

static void
test_mutations(void **state)
{
	static const char bytes[] = "{}[]\",:\\u0123456789-+.eEtrnf \n\x80"
	    "\xc3\xe6\xed\xf0\xff\x00";
	char text[sizeof(sample) + 8];
	unsigned seed = 12345;
	size_t taken = 0;

	(void)state;
	assert_true(check(sample, sizeof(sample) - 1));
	for (int round = 0; round < 20000; round++) {
		size_t len = sizeof(sample) - 1;
		int edits = 1 + round % 3;

		memcpy(text, sample, len);
		for (int k = 0; k < edits && len > 1; k++) {
			size_t at;

			seed = seed * 1103515245u + 12345u;
			at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 8) % 3) {
			case 0:	/* replace */
				text[at] = bytes[(seed >> 12) % (sizeof(bytes) - 1)];
				break;
			case 1:	/* delete */
				memmove(text + at, text + at + 1, len - at - 1);
				len--;
				break;
			default:	/* cut */
				len = at + 1;
				break;
			}
		}
		taken += (size_t)check(text, len);
	}
	/* the mutations hit both sides */
	assert_true(taken > 100);
	assert_true(taken < 20000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
