/*
 * timeheap.c — a binary min-heap of nodes ordered by their time; each node
 * knows its index, so that it can be moved or removed without a search.
 */
#include <stdlib.h>

#include "timeheap.h"
#include "util.h"

static void
heap_place(struct timeheap *h, size_t i, struct timeheap_node *n)
{
	h->v[i] = n;
	n->idx = i;
}

static void
heap_up(struct timeheap *h, size_t i)
{
	struct timeheap_node *n = h->v[i];

	while (i > 0 && h->v[(i - 1) / 2]->due > n->due) {
		heap_place(h, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(h, i, n);
}

static void
heap_down(struct timeheap *h, size_t i)
{
	struct timeheap_node *n = h->v[i];
	size_t c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->v[c + 1]->due < h->v[c]->due)
			c++;
		if (h->v[c]->due >= n->due)
			break;
		heap_place(h, i, h->v[c]);
		i = c;
	}
	heap_place(h, i, n);
}

void
timeheap_set(struct timeheap *h, struct timeheap_node *n, time_t due)
{
	if (n->idx == TIMEHEAP_NONE) {
		if (h->n == h->cap) {
			h->cap = h->cap > 0 ? h->cap * 2 : 64;
			h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
		}
		n->due = due;
		heap_place(h, h->n++, n);
		heap_up(h, n->idx);
		return;
	}
	n->due = due;
	heap_up(h, n->idx);
	heap_down(h, n->idx);
}

void
timeheap_del(struct timeheap *h, struct timeheap_node *n)
{
	struct timeheap_node *m;
	size_t i = n->idx;

	if (i == TIMEHEAP_NONE)
		return;
	n->idx = TIMEHEAP_NONE;
	if (--h->n == i)
		return;
	/* the last node fills the hole, then finds its place */
	m = h->v[h->n];
	heap_place(h, i, m);
	heap_up(h, i);
	heap_down(h, m->idx);
}

struct timeheap_node *
timeheap_top(const struct timeheap *h)
{
	return h->n > 0 ? h->v[0] : NULL;
}

struct timeheap_node *
timeheap_pop(struct timeheap *h)
{
	struct timeheap_node *n = timeheap_top(h);

	if (n != NULL)
		timeheap_del(h, n);
	return n;
}

void
timeheap_clear(struct timeheap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->idx = TIMEHEAP_NONE;
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
