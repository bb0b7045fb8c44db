/*
 * statewriter.c — state files written by one thread beside the event loop.
 *
 * WHY. Replacing a file durably (temp file, fsync, rename, fsync of the
 * directory) costs a millisecond or more on a journalling file system, so
 * a sweep of 100,000 targets that saved each state in the loop spent over
 * a minute blocked in fsync: probes, timers and renewctl all waited. Here
 * the loop only encodes the text (microseconds) and hands it over; one
 * thread writes what has piled up as one batch (file_write_atomic_batch:
 * temp files, one syncfs() — or an fsync each for a handful —, renames in
 * order, one fsync of the directory), so a batch of a few hundred files
 * costs about as much as a few single writes did, and the loop never
 * waits on the disk.
 *
 * Why a thread rather than batching on the loop: a batch still waits on
 * the disk for tens of milliseconds (longer on a busy disk), which would
 * land on every renewctl answer and probe behind it. Why one thread: the
 * disk, not the CPU, is the limit, and one writer keeps every file's
 * writes in order with no locking per file.
 *
 * What stays as it was (watch.c relies on it): each file is replaced
 * atomically and durably before its write is reported done; a failed write
 * leaves the old file whole and is reported with its errno (the caller
 * logs it and retries); texts are written in the order they were put; the
 * outbox, written on the loop before the state that records a notice is
 * even encoded, is durable first. The thread never logs and never touches
 * libevent: it reports through a pipe the loop watches.
 *
 * Memory: only what was put and not yet reported is held here; watch.c
 * hands over at most about two batches at a time and keeps the rest as a
 * list of targets, encoding each from its newest state when its turn
 * comes (so a state that changes again meanwhile is written once).
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fileio.h"
#include "log.h"
#include "statewriter.h"
#include "util.h"

struct swjob {
	void			*key;	/* NULL: forgotten */
	unsigned long		 seq;
	char			*path;
	char			*text;
	int			 error;
	TAILQ_ENTRY(swjob)	 entry;
};
TAILQ_HEAD(swjob_list, swjob);

struct statewriter {
	struct event_base	*base;
	char			*dir;
	statewriter_done_cb	 done_cb;
	void			*arg;
	size_t			 inflight;	/* the loop's count */
	int			 pipe[2];	/* thread -> loop */
	struct event		*ev;

	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* to the thread */
	pthread_cond_t		 idle;		/* to statewriter_wait() */
	/* under mu: */
	struct swjob_list	 queue;		/* put, not taken yet */
	struct swjob_list	 batch;		/* being written */
	struct swjob_list	 done;		/* written, not reported */
	int			 notified;	/* a byte is in the pipe */
	int			 stop;
};

static void
swjob_free(struct swjob *j)
{
	free(j->path);
	free(j->text);
	free(j);
}

static void *
statewriter_main(void *arg)
{
	struct statewriter *sw = arg;
	struct file_batch_item items[STATEWRITER_BATCH];
	struct swjob *j;
	size_t n;

	pthread_mutex_lock(&sw->mu);
	for (;;) {
		while (TAILQ_EMPTY(&sw->queue) && !sw->stop)
			pthread_cond_wait(&sw->work, &sw->mu);
		if (TAILQ_EMPTY(&sw->queue))
			break;
		for (n = 0; n < STATEWRITER_BATCH &&
		    (j = TAILQ_FIRST(&sw->queue)) != NULL; n++) {
			TAILQ_REMOVE(&sw->queue, j, entry);
			TAILQ_INSERT_TAIL(&sw->batch, j, entry);
			items[n].path = j->path;
			items[n].data = j->text;
			items[n].len = strlen(j->text);
		}
		/* The jobs in the batch are not changed by the loop while
		 * unlocked, except for their key, which this thread does not
		 * read. */
		pthread_mutex_unlock(&sw->mu);
		file_write_atomic_batch(sw->dir, items, n, 0600);
		pthread_mutex_lock(&sw->mu);
		n = 0;
		while ((j = TAILQ_FIRST(&sw->batch)) != NULL) {
			TAILQ_REMOVE(&sw->batch, j, entry);
			j->error = items[n++].error;
			free(j->text);
			j->text = NULL;
			TAILQ_INSERT_TAIL(&sw->done, j, entry);
		}
		if (!sw->notified) {
			/* Cannot fail short of a full pipe, which means a
			 * byte is already there. */
			if (write(sw->pipe[1], "", 1) == 1)
				sw->notified = 1;
		}
		pthread_cond_broadcast(&sw->idle);
	}
	pthread_mutex_unlock(&sw->mu);
	return NULL;
}

/* Report every written job on the loop, one at a time: a callback may
 * put new jobs or forget keys whose reports are still to come. */
static void
statewriter_report(struct statewriter *sw)
{
	struct swjob *j;
	char drain[64];

	while (read(sw->pipe[0], drain, sizeof(drain)) > 0)
		;
	for (;;) {
		pthread_mutex_lock(&sw->mu);
		if ((j = TAILQ_FIRST(&sw->done)) != NULL)
			TAILQ_REMOVE(&sw->done, j, entry);
		else
			sw->notified = 0;
		pthread_mutex_unlock(&sw->mu);
		if (j == NULL)
			break;
		sw->inflight--;
		if (j->key != NULL)
			sw->done_cb(sw->arg, j->key, j->seq, j->error, j->path);
		swjob_free(j);
	}
}

static void
statewriter_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	statewriter_report(arg);
}

struct statewriter *
statewriter_new(struct event_base *base, const char *dir,
    statewriter_done_cb cb, void *arg)
{
	struct statewriter *sw = xcalloc(1, sizeof(*sw));
	sigset_t all, old;
	int rc;

	sw->base = base;
	sw->dir = xstrdup(dir);
	sw->done_cb = cb;
	sw->arg = arg;
	TAILQ_INIT(&sw->queue);
	TAILQ_INIT(&sw->batch);
	TAILQ_INIT(&sw->done);
	if (pipe2(sw->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("%s: pipe2", __func__);
	if ((sw->ev = event_new(base, sw->pipe[0], EV_READ | EV_PERSIST,
	    statewriter_wake, sw)) == NULL || event_add(sw->ev, NULL) == -1)
		fatalx("%s: cannot watch the state writer's pipe", __func__);
	if ((rc = pthread_mutex_init(&sw->mu, NULL)) != 0 ||
	    (rc = pthread_cond_init(&sw->work, NULL)) != 0 ||
	    (rc = pthread_cond_init(&sw->idle, NULL)) != 0)
		fatalx("%s: %s", __func__, strerror(rc));
	/* Signals are the loop's business: the thread takes none. */
	sigfillset(&all);
	if ((rc = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0)
		fatalx("%s: pthread_sigmask: %s", __func__, strerror(rc));
	rc = pthread_create(&sw->thread, NULL, statewriter_main, sw);
	if (rc != 0)
		fatalx("cannot start the state writer: %s", strerror(rc));
	if ((rc = pthread_sigmask(SIG_SETMASK, &old, NULL)) != 0)
		fatalx("%s: pthread_sigmask: %s", __func__, strerror(rc));
	return sw;
}

void
statewriter_put(struct statewriter *sw, void *key, char *path, char *text,
    unsigned long seq)
{
	struct swjob *j = xcalloc(1, sizeof(*j));

	j->key = key;
	j->seq = seq;
	j->path = path;
	j->text = text;
	sw->inflight++;
	pthread_mutex_lock(&sw->mu);
	TAILQ_INSERT_TAIL(&sw->queue, j, entry);
	pthread_cond_signal(&sw->work);
	pthread_mutex_unlock(&sw->mu);
}

size_t
statewriter_inflight(const struct statewriter *sw)
{
	return sw->inflight;
}

void
statewriter_wait(struct statewriter *sw)
{
	pthread_mutex_lock(&sw->mu);
	while (!TAILQ_EMPTY(&sw->queue) || !TAILQ_EMPTY(&sw->batch))
		pthread_cond_wait(&sw->idle, &sw->mu);
	pthread_mutex_unlock(&sw->mu);
	statewriter_report(sw);
}

void
statewriter_forget(struct statewriter *sw, const void *key)
{
	struct swjob *j;

	pthread_mutex_lock(&sw->mu);
	TAILQ_FOREACH(j, &sw->queue, entry)
		if (j->key == key)
			j->key = NULL;
	TAILQ_FOREACH(j, &sw->batch, entry)
		if (j->key == key)
			j->key = NULL;
	TAILQ_FOREACH(j, &sw->done, entry)
		if (j->key == key)
			j->key = NULL;
	pthread_mutex_unlock(&sw->mu);
}

void
statewriter_free(struct statewriter *sw)
{
	struct swjob *j;
	int rc;

	if (sw == NULL)
		return;
	pthread_mutex_lock(&sw->mu);
	sw->stop = 1;
	pthread_cond_signal(&sw->work);
	pthread_mutex_unlock(&sw->mu);
	if ((rc = pthread_join(sw->thread, NULL)) != 0)
		fatalx("%s: pthread_join: %s", __func__, strerror(rc));
	while ((j = TAILQ_FIRST(&sw->done)) != NULL) {
		TAILQ_REMOVE(&sw->done, j, entry);
		swjob_free(j);
	}
	event_free(sw->ev);
	close(sw->pipe[0]);
	close(sw->pipe[1]);
	pthread_cond_destroy(&sw->idle);
	pthread_cond_destroy(&sw->work);
	pthread_mutex_destroy(&sw->mu);
	free(sw->dir);
	free(sw);
}
