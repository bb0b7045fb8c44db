/*
 * test_intern.c — shared strings (intern.h): one copy per distinct text,
 * freed with its last reference, and the table still finds every string
 * after removals in the middle of probe runs (checked against a model).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intern.h"
#include "util.h"

static void
test_shared(void **state)
{
	char a[] = "CN=renewd Test CA,O=renewd Test,C=JP";
	char b[] = "CN=renewd Test CA,O=renewd Test,C=JP";
	const char *x, *y, *z;

	(void)state;
	assert_null(intern_get(NULL));
	intern_put(NULL);
	x = intern_get(a);
	y = intern_get(b);
	assert_ptr_equal(x, y);
	assert_ptr_not_equal(x, a);
	assert_string_equal(x, a);
	z = intern_get("");
	assert_string_equal(z, "");
	assert_int_equal(intern_count(), 2);
	intern_put(x);
	assert_int_equal(intern_count(), 2);
	intern_put(y);
	assert_int_equal(intern_count(), 1);
	intern_put(z);
	assert_int_equal(intern_count(), 0);
}

/* Many strings, gets and puts in a scrambled order, against counts kept
 * here: every held string is still found (same pointer) and the table
 * empties at the end. */
static void
test_model(void **state)
{
	enum { N = 3000, ROUNDS = 40000 };
	static const char *ptr[N];
	static unsigned refs[N];
	uint32_t seed = 12345;
	char text[32];

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		size_t i;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % N;
		snprintf(text, sizeof(text), "s%zu-%zu", i, i * 7919 % 101);
		if (refs[i] > 0 && (seed >> 4) % 3 == 0) {
			intern_put(ptr[i]);
			if (--refs[i] == 0)
				ptr[i] = NULL;
			continue;
		}
		{
			const char *p = intern_get(text);

			if (refs[i] > 0)
				assert_ptr_equal(p, ptr[i]);
			assert_string_equal(p, text);
			ptr[i] = p;
			refs[i]++;
		}
	}
	{
		size_t live = 0;

		for (size_t i = 0; i < N; i++)
			live += refs[i] > 0;
		assert_int_equal(intern_count(), live);
	}
	for (size_t i = 0; i < N; i++) {
		if (refs[i] == 0)
			continue;
		snprintf(text, sizeof(text), "s%zu-%zu", i, i * 7919 % 101);
		assert_ptr_equal(intern_get(text), ptr[i]);
		intern_put(ptr[i]);
		while (refs[i]-- > 0)
			intern_put(ptr[i]);
	}
	assert_int_equal(intern_count(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
