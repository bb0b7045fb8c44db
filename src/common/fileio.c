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
	char *tmp;
	int fd, saved;

	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd == -1)
		goto fail_free;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail_free;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail_free;
	}
	free(tmp);
	return file_sync_parent(path);
fail_free:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
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
