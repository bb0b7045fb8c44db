/*
 * test_jsontext.c — json_text_append() writes exactly what jansson's
 * json_dumps() writes with JSON_INDENT(n) | JSON_PRESERVE_ORDER.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonutil.h"
#include "util.h"

/* Compare with jansson at a few indents; consumes j. */
static void
check_same(const char *what, json_t *j)
{
	static const int indents[] = { 1, 2, 4, 31 };

	assert_non_null(j);
	for (size_t i = 0; i < nitems(indents); i++) {
		struct buf b = { 0 };
		char *want = json_dumps(j, JSON_INDENT(indents[i]) |
		    JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

		assert_non_null(want);
		json_text_append(&b, j, indents[i]);
		if (b.data == NULL || strcmp(b.data, want) != 0)
			fail_msg("%s, indent %d:\n got: %s\nwant: %s", what,
			    indents[i], b.data ? b.data : "(nothing)", want);
		free(want);
		buf_free(&b);
	}
	json_decref(j);
}

static void
test_scalars(void **unused)
{
	(void)unused;
	check_same("null", json_null());
	check_same("true", json_true());
	check_same("false", json_false());
	check_same("zero", json_integer(0));
	check_same("negative", json_integer(-42));
	check_same("max", json_integer(INT64_MAX));
	check_same("min", json_integer(INT64_MIN));
	check_same("real", json_real(0.1));
	check_same("real big", json_real(1e300));
	check_same("real integral", json_real(3.0));
	check_same("empty string", json_string(""));
	check_same("plain", json_string("www.example.jp"));
	check_same("japanese", json_string("日本語株式会社"));
	check_same("4-byte utf-8", json_string("\xf0\x9f\x94\x92 lock"));
	check_same("escapes", json_string("a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f"));
	check_same("embedded nul", json_stringn("a\0b", 3));
}

static void
test_containers(void **unused)
{
	(void)unused;
	check_same("empty array", json_array());
	check_same("empty object", json_object());
	check_same("nested empties", json_pack("{s:[], s:{}, s:[[], {}]}",
	    "a", "b", "c"));
	check_same("status-like", json_pack("{s:s, s:b, s:n, s:I, s:[s, s], "
	    "s:[{s:s, s:o}], s:{s:s, s:n}}",
	    "target", "www.example.jp", "ok", 1, "error", "duration_ms",
	    (json_int_t)12, "san", "a.example.jp", "b.example.jp", "chain",
	    "subject", "CN=x", "not_after", json_string("2027-03-31T14:59:59Z"),
	    "subject", "CN", "x", "OU"));
	check_same("order kept", json_pack("{s:i, s:i, s:i, s:i}", "z", 1,
	    "a", 2, "m", 3, "b", 4));
	check_same("odd keys", json_pack("{s:i, s:i}", "ke\"y\n", 1, "", 2));
}

/* A small deterministic generator (xorshift). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static json_t *
random_string(void)
{
	static const char *const pieces[] = { "a", "Z", " ", "\"", "\\", "/",
	    "\n", "\t", "\x01", "\x1f", "\x7f", "é", "日本", "\xf0\x9f\x98\x80",
	    "{", "]", ":" };
	char s[64];
	size_t n = rng() % 8, len = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = pieces[rng() % nitems(pieces)];
		size_t l = strlen(p);

		memcpy(s + len, p, l);
		len += l;
	}
	if (rng() % 7 == 0)
		s[len++] = '\0';
	return json_stringn(s, len);
}

static json_t *
random_value(int depth)
{
	json_t *j;
	size_t n;
	char key[16];

	switch (depth > 3 ? rng() % 6 : rng() % 8) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rng() % 2);
	case 2:
		return json_integer((json_int_t)rng());
	case 3:
		return json_integer((json_int_t)(rng() % 2000) - 1000);
	case 4:
	case 5:
		return random_string();
	case 6:
		j = json_array();
		n = rng() % 5;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(j, random_value(depth + 1));
		return j;
	default:
		j = json_object();
		n = rng() % 5;
		for (size_t i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "k%u", (unsigned)(rng() % 50));
			json_object_set_new(j, key, random_value(depth + 1));
		}
		return j;
	}
}

static void
test_random(void **unused)
{
	char what[32];

	(void)unused;
	for (int i = 0; i < 2000; i++) {
		snprintf(what, sizeof(what), "random %d", i);
		check_same(what, random_value(0));
	}
}

static void
test_appends(void **unused)
{
	struct buf b = { 0 };
	json_t *j = json_pack("{s:[i]}", "a", 1);

	(void)unused;
	buf_adds(&b, "x: ");
	json_text_append(&b, j, 2);
	json_text_append(&b, NULL, 2);
	assert_string_equal(b.data, "x: {\n  \"a\": [\n    1\n  ]\n}");
	json_decref(j);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
