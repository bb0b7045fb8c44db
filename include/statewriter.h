/*
 * statewriter.h — the daemon's state files written off the event loop
 * (src/renewd/statewriter.c): one thread takes the texts the loop hands
 * over and writes them in batches (file_write_atomic_batch: every file
 * replaced atomically and durably), then reports each one back on the
 * loop. Which text to write, and when, is the caller's business (watch.c:
 * one write in flight per target, encoded from the newest state when it
 * is handed over).
 *
 *	sw = statewriter_new(base, dir, done, arg);
 *	statewriter_put(sw, key, path, text, seq);	(both taken)
 *	... done(arg, key, seq, 0 or errno, path) on the loop, later ...
 *	statewriter_wait(sw);	(blocks: everything put is written and
 *				 reported before it returns)
 *	statewriter_free(sw);	(writes what is left; no more reports)
 *
 * Not more than one job per key may be in flight (put and not yet
 * reported): two writes of one file in a batch would share a temp file.
 */
#ifndef RENEWD_STATEWRITER_H
#define RENEWD_STATEWRITER_H

#include <stddef.h>

#define STATEWRITER_BATCH	256	/* files written per batch, at most */

struct event_base;
struct statewriter;

/* A job is written (error 0) or failed (its errno); `path` is valid during
 * the call only. */
typedef void (*statewriter_done_cb)(void *arg, void *key, unsigned long seq,
    int error, const char *path);

/* Exits (fatalx) when the thread or its wake-up pipe cannot be made. */
struct statewriter *statewriter_new(struct event_base *, const char *dir,
		    statewriter_done_cb, void *arg);
/* Queue `text` for the file `path` under `dir` (both taken). */
void		 statewriter_put(struct statewriter *, void *key,
		    char *path, char *text, unsigned long seq);
/* Jobs put and not yet reported. */
size_t		 statewriter_inflight(const struct statewriter *);
/* Block until every job put so far is written, then report them all. */
void		 statewriter_wait(struct statewriter *);
/* `key` goes away: its jobs are still written, but not reported. */
void		 statewriter_forget(struct statewriter *, const void *key);
/* Write what is queued, stop the thread; nothing more is reported. */
void		 statewriter_free(struct statewriter *);

#endif
