/*
 * fileio.c — whole-file reads and atomic replacement of files.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

char *
file_read(const char *path, size_t max, size_t *lenp)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0, cap;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	/* Room for the NUL and one more byte, so that EOF needs no growth. */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ?
	    (size_t)st.st_size + 2 : 65536;
	data = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len == cap - 1) {
			if (len > max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			data = xreallocarray(data, cap, 1);
		}
		n = read(fd, data + len, cap - 1 - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	data[len] = '\0';
	*lenp = len;
	return data;
fail:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return NULL;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace files of one directory, each atomically: every item's data goes
 * to a temp file beside it (PATH.tmp.PID), the temp files are made durable,
 * renamed over their targets in order, and the directory is fsync'ed once.
 * A small batch fsyncs each temp file; from FILE_BATCH_SYNCFS items on, one
 * syncfs() of the file system replaces them (one journal commit instead of
 * one per file: writing a few hundred small files then costs tens of
 * milliseconds instead of a millisecond or more each). An item that fails
 * leaves its old file whole and its temp file removed.
 */
void
file_write_atomic_batch(const char *dir, struct file_batch_item *items,
    size_t n, unsigned int mode)
{
	char **tmp;
	size_t i, written = 0, renamed = 0;
	int dfd, fd, many = n >= FILE_BATCH_SYNCFS;

	for (i = 0; i < n; i++)
		items[i].error = 0;
	if (n == 0)
		return;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		int saved = errno;

		for (i = 0; i < n; i++)
			items[i].error = saved;
		return;
	}
	tmp = xcalloc(n, sizeof(*tmp));
	for (i = 0; i < n; i++) {
		struct file_batch_item *it = &items[i];

		tmp[i] = xasprintf("%s.tmp.%ld", it->path, (long)getpid());
		fd = open(tmp[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    (mode_t)mode);
		if (fd == -1) {
			it->error = errno;
			continue;
		}
		if (write_all(fd, it->data, it->len) == -1 ||
		    (!many && fsync(fd) == -1)) {
			it->error = errno;
			close(fd);
			unlink(tmp[i]);
			continue;
		}
		if (close(fd) == -1) {
			it->error = errno;
			unlink(tmp[i]);
			continue;
		}
		written++;
	}
	if (many && written > 0 && syncfs(dfd) == -1) {
		int saved = errno;

		for (i = 0; i < n; i++)
			if (items[i].error == 0) {
				items[i].error = saved;
				unlink(tmp[i]);
			}
	}
	for (i = 0; i < n; i++) {
		if (items[i].error != 0)
			continue;
		if (rename(tmp[i], items[i].path) == -1) {
			items[i].error = errno;
			unlink(tmp[i]);
			continue;
		}
		renamed++;
	}
	/* Renamed but not durably so: reported as failed, to be written
	 * again (the new file is already in place). */
	if (renamed > 0 && fsync(dfd) == -1) {
		int saved = errno;

		for (i = 0; i < n; i++)
			if (items[i].error == 0)
				items[i].error = saved;
	}
	close(dfd);
	for (i = 0; i < n; i++)
		free(tmp[i]);
	free(tmp);
}

int
file_sync_parent(const char *path)
{
	char *dircopy = xstrdup(path);
	int dfd, saved;

	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dircopy);
	if (dfd == -1)
		return -1;
	if (fsync(dfd) == -1) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	close(dfd);
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    unsigned int mode)
{
	struct file_batch_item it = { .path = path, .data = data, .len = len };
	char *dircopy = xstrdup(path);

	file_write_atomic_batch(dirname(dircopy), &it, 1, mode);
	free(dircopy);
	if (it.error != 0) {
		errno = it.error;
		return -1;
	}
	return 0;
}

int
file_create_now(const char *path, const void *data, size_t len,
    unsigned int mode)
{
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    (mode_t)mode);
	if (fd == -1)
		return -1;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1)
		return -1;
	return file_sync_parent(path);
}
