/*
 * queue.c — what `renewctl queue` lists: the notifications that the sink
 * holds and has not delivered yet, i.e. the mail outbox's entries (waiting
 * for their turn, retried with backoff while the server is away, or refused
 * and kept until a reload), oldest first.
 */
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "renewd.h"
#include "util.h"

int
queue_list(struct sink *sink, struct queue_item **items, size_t *n)
{
	struct outbox *ob = sink_outbox(sink);
	struct outbox_entry *const *e;
	size_t count;

	*items = NULL;
	*n = 0;
	if (ob == NULL)
		return 0;		/* a sink that keeps nothing */
	e = outbox_entries(ob, &count);
	if (count == 0)
		return 0;
	*items = xcalloc(count, sizeof(**items));
	for (size_t i = 0; i < count; i++) {
		struct queue_item *q = &(*items)[i];

		rd_strlcpy(q->id, e[i]->notice_id, sizeof(q->id));
		q->type = outbox_type_name(e[i]->type);
		q->target = xstrdup(e[i]->target);
		q->subject = e[i]->subject != NULL ?
		    xstrdup(e[i]->subject) : NULL;
		q->kind = e[i]->kind;
		q->due = e[i]->created;
		q->queued = e[i]->created;
		q->attempts = e[i]->attempts > 0 ? (unsigned)e[i]->attempts : 0;
		q->next_attempt = e[i]->failed ? 0 : e[i]->next_attempt;
		q->failed = e[i]->failed;
		q->last_error = e[i]->last_error != NULL ?
		    xstrdup(e[i]->last_error) : NULL;
	}
	*n = count;
	return 0;
}

void
queue_items_free(struct queue_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].target);
		free(items[i].subject);
		free(items[i].last_error);
	}
	free(items);
}
