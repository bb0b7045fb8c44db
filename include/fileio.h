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

/*
 * Replace several files of directory `dir` (every path is in it), each
 * atomically: temp files beside them, made durable (fsync each; one
 * syncfs() from FILE_BATCH_SYNCFS items on), renamed in order, then one
 * fsync of the directory. Each item's `error` gets 0 or the errno of its
 * failure; a failed item's old file is untouched (or, when only the
 * directory's fsync failed, already replaced but not known to be durable).
 * Two items must not name the same file.
 */
#define FILE_BATCH_SYNCFS	8
struct file_batch_item {
	const char	*path;
	const void	*data;
	size_t		 len;
	int		 error;		/* out */
};
void	 file_write_atomic_batch(const char *dir, struct file_batch_item *,
	    size_t n, unsigned int mode);

#endif
