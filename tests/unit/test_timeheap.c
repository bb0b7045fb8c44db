/*
 * test_timeheap.c — the timers' min-heap (timeheap.h) against a plain
 * array: after any mix of sets, moves, removals and pops the earliest
 * node is on top, every node knows its place, and pops come in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timeheap.h"
#include "util.h"

#define N	500

static void
check(const struct timeheap *h, struct timeheap_node *nodes, const int *in)
{
	size_t count = 0;
	time_t min = 0;

	for (size_t i = 0; i < N; i++) {
		if (!in[i]) {
			assert_int_equal(nodes[i].idx, TIMEHEAP_NONE);
			continue;
		}
		assert_true(nodes[i].idx < h->n);
		assert_ptr_equal(h->v[nodes[i].idx], &nodes[i]);
		if (count == 0 || nodes[i].due < min)
			min = nodes[i].due;
		count++;
	}
	assert_int_equal(h->n, count);
	for (size_t i = 1; i < h->n; i++)
		assert_true(h->v[(i - 1) / 2]->due <= h->v[i]->due);
	if (count > 0)
		assert_int_equal(timeheap_top(h)->due, min);
	else
		assert_null(timeheap_top(h));
}

static void
test_model(void **state)
{
	static struct timeheap_node nodes[N];
	static int in[N];
	struct timeheap h = { 0 };
	uint32_t seed = 7;

	(void)state;
	for (size_t i = 0; i < N; i++)
		nodes[i].idx = TIMEHEAP_NONE;
	for (int r = 0; r < 20000; r++) {
		size_t i;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % N;
		switch ((seed >> 20) % 4) {
		case 0:
		case 1:
			timeheap_set(&h, &nodes[i], (time_t)((seed >> 3) % 1000));
			in[i] = 1;
			break;
		case 2:
			timeheap_del(&h, &nodes[i]);
			in[i] = 0;
			break;
		case 3: {
			struct timeheap_node *top = timeheap_top(&h), *p;

			p = timeheap_pop(&h);
			assert_ptr_equal(p, top);
			if (p != NULL)
				in[p - nodes] = 0;
			break;
		}
		}
		if (r % 97 == 0)
			check(&h, nodes, in);
	}
	check(&h, nodes, in);
	/* the rest comes out in order */
	{
		time_t last = 0;
		struct timeheap_node *p;

		while ((p = timeheap_pop(&h)) != NULL) {
			assert_true(p->due >= last);
			last = p->due;
			in[p - nodes] = 0;
		}
	}
	check(&h, nodes, in);
	timeheap_set(&h, &nodes[0], 5);
	timeheap_clear(&h);
	assert_int_equal(nodes[0].idx, TIMEHEAP_NONE);
	assert_null(timeheap_top(&h));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
