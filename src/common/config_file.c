/*
 * config_file.c — read renewd.conf and hand it to the pure parser.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

/* At most `max` bytes; more is EFBIG. Reads pipes and FIFOs too. */
static char *
config_file_read(const char *path, size_t max, size_t *lenp)
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

struct config *
config_load(const char *path, struct strlist *errors)
{
	struct config *cfg;
	size_t len;
	char *text;

	if ((text = config_file_read(path, CONFIG_MAX_SIZE, &len)) == NULL) {
		if (errno == EFBIG)
			strlist_add_owned(errors, xasprintf("%s: cannot read: "
			    "larger than %d MiB (a smaller file expected)",
			    path, CONFIG_MAX_SIZE / (1024 * 1024)));
		else
			strlist_add_owned(errors, xasprintf("%s: cannot read: "
			    "%s", path, strerror(errno)));
		return NULL;
	}
	cfg = config_new();
	if (config_parse_len(cfg, path, text, len, errors) == -1) {
		config_free(cfg);
		cfg = NULL;
	}
	free(text);
	return cfg;
}
