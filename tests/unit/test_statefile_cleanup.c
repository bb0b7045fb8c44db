/*
 * test_statefile_cleanup.c — statefile_cleanup() removes exactly the temp
 * files a killed writer leaves (NAME.json.tmp.PID), nothing else.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"
#include "support/tmpdir.h"
#include "util.h"

static char tmpdir[TMPDIR_MAX];

static void
touch(const char *name)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs("{", fp);
	assert_int_equal(fclose(fp), 0);
	free(p);
}

static int
exists(const char *name)
{
	struct stat sb;
	char *p = xasprintf("%s/%s", tmpdir, name);
	int rc = lstat(p, &sb) == 0;

	free(p);
	return rc;
}

static int
setup(void **state)
{
	(void)state;
	return tmpdir_make(tmpdir, "test_statefile_cleanup");
}

static int
teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

static void
test_cleanup(void **state)
{
	static const char *const removed[] = {
		"www.example.jp.json.tmp.1234",
		"a_2fb.json.tmp.1",
	};
	static const char *const kept[] = {
		"www.example.jp.json",			/* the state itself */
		"www.example.jp.json.corrupt-20270331T000000Z",
		"www.example.jp.json.tmp.",		/* no pid */
		"www.example.jp.json.tmp.12a",		/* not a pid */
		".json.tmp.12",				/* no name */
		"notes.txt.tmp.12",			/* not a state file */
	};
	char err[256], *sub;

	(void)state;
	for (size_t i = 0; i < nitems(removed); i++)
		touch(removed[i]);
	for (size_t i = 0; i < nitems(kept); i++)
		touch(kept[i]);
	/* a directory with a temp file's name is not touched */
	sub = xasprintf("%s/dir.json.tmp.7", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	free(sub);

	assert_int_equal(statefile_cleanup(tmpdir, err, sizeof(err)),
	    (int)nitems(removed));
	for (size_t i = 0; i < nitems(removed); i++)
		assert_false(exists(removed[i]));
	for (size_t i = 0; i < nitems(kept); i++)
		assert_true(exists(kept[i]));
	assert_true(exists("dir.json.tmp.7"));
	assert_int_equal(statefile_cleanup(tmpdir, err, sizeof(err)), 0);
}

static void
test_missing_dir(void **state)
{
	char err[256], *nodir = xasprintf("%s/missing", tmpdir);

	(void)state;
	assert_int_equal(statefile_cleanup(nodir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing: No such file or directory"));
	free(nodir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
