/*
 * tmpdir.h — a scratch directory for a test (tests/unit/support/tmpdir.c).
 *
 *	static char dir[TMPDIR_MAX];
 *	setup:    return tmpdir_make(dir, "test_x");	// /tmp/test_x.XXXXXX
 *	teardown: return tmpdir_remove(dir);	// its files and subdirectories
 *						// (one level), then itself
 */
#ifndef RENEWD_TEST_TMPDIR_H
#define RENEWD_TEST_TMPDIR_H

#include <stddef.h>

#define TMPDIR_MAX	128

/* 0, or -1 (errno set). */
int	tmpdir_make(char dir[TMPDIR_MAX], const char *name);
int	tmpdir_remove(const char *dir);

#endif
