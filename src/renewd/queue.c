/*
 * queue.c — what `renewctl queue` lists: the notifications that the sink
 * holds and has not delivered yet (the mail outbox: waiting for their
 * turn, or retried with backoff while the server is away).
 *
 * This is the whole interface between the control socket and the outbox.
 * The log sink delivers every notice at once (it writes it to the log), so
 * nothing ever waits and the list is empty. A sink that keeps notices
 * (the durable outbox) fills the list here from its own records: one
 * queue_item per notice not yet accepted by the mail server, oldest first.
 */
#include <stdlib.h>

#include "renewd.h"

int
queue_list(struct sink *sink, struct queue_item **items, size_t *n)
{
	(void)sink;
	*items = NULL;
	*n = 0;
	return 0;
}

void
queue_items_free(struct queue_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].target);
		free(items[i].last_error);
	}
	free(items);
}
