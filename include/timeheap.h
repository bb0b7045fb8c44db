/*
 * timeheap.h — a min-heap of times (src/core/timeheap.c): the daemon's
 * timers, one node per target embedded in the target, under one libevent
 * timer for the earliest (a libevent timer is 128 bytes; a node is 16).
 * Setting, removing and taking the earliest node are O(log n).
 */
#ifndef RENEWD_TIMEHEAP_H
#define RENEWD_TIMEHEAP_H

#include <stddef.h>
#include <time.h>

#define TIMEHEAP_NONE	((size_t)-1)

struct timeheap_node {
	time_t	 due;
	size_t	 idx;		/* its place in the heap; TIMEHEAP_NONE: out
				 * (set that before the first use) */
};

struct timeheap {
	struct timeheap_node	**v;
	size_t			  n;
	size_t			  cap;
};

/* Put the node in the heap at `due`, or move it there. */
void	 timeheap_set(struct timeheap *, struct timeheap_node *, time_t due);
/* Take it out (nothing when it is out). */
void	 timeheap_del(struct timeheap *, struct timeheap_node *);
/* The earliest node (NULL: empty); _pop takes it out. */
struct timeheap_node *timeheap_top(const struct timeheap *);
struct timeheap_node *timeheap_pop(struct timeheap *);
/* Take every node out and free the heap's array (not the nodes). */
void	 timeheap_clear(struct timeheap *);

#endif
