/*
 * test_util.c — strings, lists, buffers and the sanitiser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
test_strlist_split(void **unused)
{
	static const struct {
		const char	*what;
		const char	*in;
		size_t		 n;
		const char	*items[4];
	} cases[] = {
		{ "empty", "", 0, { NULL } },
		{ "one", "a", 1, { "a" } },
		{ "trimmed", "  a ,b  ", 2, { "a", "b" } },
		{ "empty items skipped", ",a,,b,", 2, { "a", "b" } },
		{ "spaces only", " , ", 0, { NULL } },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		struct strlist l = { 0 };

		strlist_split(&l, cases[i].in);
		if (l.n != cases[i].n)
			fail_msg("%s: %zu items, want %zu", cases[i].what, l.n,
			    cases[i].n);
		for (size_t j = 0; j < l.n; j++)
			assert_string_equal(l.v[j], cases[i].items[j]);
		strlist_free(&l);
	}
}

static void
test_sanitize(void **unused)
{
	static const struct {
		const char	*what;
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "plain", "www.example.jp", "www.example.jp" },
		{ "japanese kept", "日本語株式会社", "日本語株式会社" },
		{ "CR LF escaped", "a\r\nBcc: x", "a\\x0d\\x0aBcc: x" },
		{ "ESC escaped", "\033[31mred", "\\x1b[31mred" },
		{ "DEL escaped", "a\177b", "a\\x7fb" },
		{ "invalid utf-8", "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "overlong", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "C1 control", "a\xc2\x85" "b", "a\xef\xbf\xbd\xef\xbf\xbd" "b" },
		{ "truncated sequence", "\xe6\x97", "\xef\xbf\xbd\xef\xbf\xbd" },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		char *s = rd_sanitize(cases[i].in, strlen(cases[i].in));

		if (strcmp(s, cases[i].out) != 0)
			fail_msg("%s: got \"%s\"", cases[i].what, s);
		free(s);
	}
}

static void
test_buf(void **unused)
{
	struct buf b = { 0 };
	char *s;
	(void)unused;

	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	s = buf_steal(&b);
	assert_non_null(strstr(s, ",999,"));
	assert_null(b.data);
	free(s);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
}

static void
test_strings(void **unused)
{
	char small[4], t[] = "  x y \t\n";
	(void)unused;

	assert_int_equal(rd_strlcpy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
	assert_true(rd_strcaseeq("WWW.Example.JP", "www.example.jp"));
	assert_false(rd_strcaseeq("www", "wwww"));
	assert_string_equal(rd_trim(t), "x y");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlist_split),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
