/*
 * tmpdir.c — a scratch directory for a test (see tmpdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"
#include "util.h"

int
tmpdir_make(char dir[TMPDIR_MAX], const char *name)
{
	int n = snprintf(dir, TMPDIR_MAX, "/tmp/%s.XXXXXX", name);

	if (n < 0 || n >= TMPDIR_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Empty `dir`, its subdirectories one level down included. */
static int
empty(const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (unlink(p) == -1 && depth > 0 && empty(p, depth - 1) == 0)
			(void)rmdir(p);
		free(p);
	}
	return closedir(d);
}

int
tmpdir_remove(const char *dir)
{
	if (empty(dir, 1) == -1)
		return -1;
	return rmdir(dir);
}
