/*
 * statefile.c — one state file per target under state_dir: loaded at
 * start-up, replaced atomically after every change. A file that does not
 * decode is never overwritten in place: it is moved aside with a time stamp
 * so the admin can look at it, and the loss is logged loudly.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "state.h"
#include "util.h"

static int
statefile_name_byte_ok(unsigned char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-')
		return 1;
	return c == '.' && !first;
}

char *
statefile_path(const char *dir, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	struct buf b = { 0 };

	buf_adds(&b, dir);
	if (b.len == 0 || b.data[b.len - 1] != '/')
		buf_adds(&b, "/");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (statefile_name_byte_ok(*p, p == (const unsigned char *)name))
			buf_add(&b, p, 1);
		else {
			char esc[3] = { '_', hex[*p >> 4], hex[*p & 15] };

			buf_add(&b, esc, 3);
		}
	}
	buf_adds(&b, ".json");
	return buf_steal(&b);
}

/* Move a bad file aside: PATH.corrupt-20270331T000000Z. */
static int
statefile_move_aside(const char *path, char *newpath, size_t len)
{
	struct tm tm;
	time_t now = time(NULL);
	char stamp[32];

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		rd_strlcpy(stamp, "unknown", sizeof(stamp));
	snprintf(newpath, len, "%s.corrupt-%s", path, stamp);
	return rename(path, newpath);
}

enum statefile_status
statefile_load(const char *dir, const char *name, struct target_state **out,
    char *err, size_t errlen)
{
	char *path, *text, reason[512], aside[1024];
	struct target_state *st;
	size_t len;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	path = statefile_path(dir, name);
	if ((text = file_read(path, STATE_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT) {
			free(path);
			*out = state_new(name);
			return STATEFILE_NEW;
		}
		if (errno != EFBIG) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			log_warnx("state of %s: %s (left alone)", name, err);
			free(path);
			return STATEFILE_ERROR;
		}
		snprintf(reason, sizeof(reason), "larger than %u bytes",
		    STATE_FILE_MAX);
		st = NULL;
	} else {
		st = state_decode(text, len, reason, sizeof(reason));
		free(text);
		if (st != NULL && strcmp(st->target, name) != 0) {
			char *clean = rd_sanitize(st->target,
			    strlen(st->target));

			snprintf(reason, sizeof(reason),
			    "it holds the state of \"%.200s\"", clean);
			free(clean);
			state_free(st);
			st = NULL;
		}
	}
	if (st != NULL) {
		free(path);
		*out = st;
		return STATEFILE_LOADED;
	}

	if (statefile_move_aside(path, aside, sizeof(aside)) == -1) {
		snprintf(err, errlen, "%s: unusable (%s) and cannot be moved "
		    "aside: %s", path, reason, strerror(errno));
		log_warnx("state of %s: %s", name, err);
		free(path);
		return STATEFILE_ERROR;
	}
	snprintf(err, errlen, "%s: unusable (%s); moved aside to %s, "
	    "tracking starts afresh", path, reason, aside);
	log_warnx("state of %s: %s", name, err);
	free(path);
	*out = state_new(name);
	return STATEFILE_CORRUPT;
}

int
statefile_save(const char *dir, const struct target_state *st, char *err,
    size_t errlen)
{
	char *path, *text;
	int rc = 0;

	path = statefile_path(dir, st->target);
	text = state_encode(st);
	if (file_write_atomic(path, text, strlen(text), 0600) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(text);
	free(path);
	return rc;
}

/* "NAME.json.tmp.1234": what file_write_atomic() leaves when killed. */
static int
statefile_is_temp(const char *name)
{
	const char *p = strstr(name, ".json.tmp.");

	if (p == NULL || p == name)
		return 0;
	p += strlen(".json.tmp.");
	if (*p == '\0')
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int
statefile_cleanup(const char *dir, char *err, size_t errlen)
{
	DIR *dp;
	struct dirent *de;
	int dfd, n = 0;

	if ((dp = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	dfd = dirfd(dp);
	for (;;) {
		struct stat sb;

		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;

		if (!statefile_is_temp(de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == -1)
			log_warn("%s: cannot remove %s/%s", __func__, dir,
			    de->d_name);
		else {
			log_debug("removed the unfinished state file %s/%s",
			    dir, de->d_name);
			n++;
		}
	}
	if (errno != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		closedir(dp);
		return -1;
	}
	closedir(dp);
	return n;
}
