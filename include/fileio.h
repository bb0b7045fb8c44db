/*
 * fileio.h — whole-file reads and atomic writes (src/common/fileio.c).
 */
#ifndef RENEWD_FILEIO_H
#define RENEWD_FILEIO_H

#include <stddef.h>

/* Read a whole file (pipes and FIFOs too) of at most `max` bytes into a
 * NUL-terminated buffer (caller frees). NULL with errno set on error: EFBIG
 * when larger, EISDIR for a directory. */
char	*file_read(const char *path, size_t max, size_t *lenp);
/* Replace `path` atomically: write a temp file beside it, fsync, rename,
 * fsync the directory. 0, or -1 with errno set; the old file is untouched on
 * failure. */
int	 file_write_atomic(const char *path, const void *data, size_t len,
	    unsigned int mode);
/* fsync the directory that holds `path`, so that a new name in it (a
 * create or rename) lasts. 0, or -1 with errno set. */
int	 file_sync_parent(const char *path);
/* Create (or truncate) `path` in place with one open(), then write, fsync
 * it and its directory. For a record whose existence is what counts and
 * must exist as early as possible: a crash can leave it short or empty,
 * never absent once open() returned. 0, or -1 with errno set. */
int	 file_create_now(const char *path, const void *data, size_t len,
	    unsigned int mode);

#endif
