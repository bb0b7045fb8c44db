/*
 * test_statewriter.c — file_write_atomic_batch() (fileio.h) and the state
 * writer thread (statewriter.h): every file replaced whole, failures
 * reported per file with the old file left as it was, no temp file left
 * behind, every job reported once and in order, forgotten keys not at all.
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
#include <event2/event.h>

#include "fileio.h"
#include "statewriter.h"
#include "support/tmpdir.h"
#include "util.h"

static char tmpdir[TMPDIR_MAX];

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static char *
slurp(const char *name)
{
	char *p = path_of(name), *text;
	size_t len;

	text = file_read(p, 1 << 20, &len);
	free(p);
	return text;
}

/* Entries of tmpdir whose name contains ".tmp." */
static int
temp_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp.") != NULL)
			n++;
	closedir(d);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	return tmpdir_make(tmpdir, "test_statewriter");
}

static int
teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

/* n files, one of which is a directory: it fails alone. */
static void
batch_of(size_t n)
{
	struct file_batch_item *items = xcalloc(n, sizeof(*items));
	char **paths = xcalloc(n, sizeof(*paths));
	char **texts = xcalloc(n, sizeof(*texts));
	char *bad = path_of("bad.json");
	size_t badi = n / 2;

	assert_int_equal(mkdir(bad, 0700), 0);
	for (size_t i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%zu.json", i);
		paths[i] = i == badi ? xstrdup(bad) : path_of(name);
		/* the old file, replaced whole */
		assert_int_equal(file_write_atomic(paths[i] , "old old old",
		    11, 0600) == 0, i != badi);
		texts[i] = xasprintf("{\"n\": %zu}", i);
		items[i].path = paths[i];
		items[i].data = texts[i];
		items[i].len = strlen(texts[i]);
	}
	file_write_atomic_batch(tmpdir, items, n, 0600);
	for (size_t i = 0; i < n; i++) {
		char name[32], *got;
		struct stat sb;

		if (i == badi) {
			assert_int_equal(items[i].error, EISDIR);
			assert_int_equal(stat(bad, &sb), 0);
			assert_true(S_ISDIR(sb.st_mode));
			continue;
		}
		assert_int_equal(items[i].error, 0);
		snprintf(name, sizeof(name), "f%zu.json", i);
		got = slurp(name);
		assert_non_null(got);
		assert_string_equal(got, texts[i]);
		free(got);
		assert_int_equal(stat(paths[i], &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	assert_int_equal(temp_files(), 0);
	for (size_t i = 0; i < n; i++) {
		if (i != badi)
			unlink(paths[i]);
		free(paths[i]);
		free(texts[i]);
	}
	rmdir(bad);
	free(bad);
	free(items);
	free(paths);
	free(texts);
}

static void
test_batch_small(void **state)
{
	(void)state;
	batch_of(3);		/* an fsync each */
}

static void
test_batch_large(void **state)
{
	(void)state;
	batch_of(FILE_BATCH_SYNCFS * 4);	/* one syncfs */
}

static void
test_batch_no_dir(void **state)
{
	struct file_batch_item items[2] = {
		{ .path = "x", .data = "1", .len = 1 },
		{ .path = "y", .data = "2", .len = 1 },
	};
	char *notdir = path_of("plain");

	(void)state;
	assert_int_equal(file_write_atomic(notdir, "x", 1, 0600), 0);
	file_write_atomic_batch(notdir, items, 2, 0600);
	assert_int_equal(items[0].error, ENOTDIR);
	assert_int_equal(items[1].error, ENOTDIR);
	unlink(notdir);
	free(notdir);
	file_write_atomic_batch(tmpdir, items, 0, 0600);	/* nothing */
}

/* ---- the thread ---------------------------------------------------------- */

#define NJOBS	(STATEWRITER_BATCH * 2 + 37)

struct reports {
	size_t		 n;
	unsigned long	 seq[NJOBS + 8];
	int		 error[NJOBS + 8];
	void		*key[NJOBS + 8];
};

static void
on_done(void *arg, void *key, unsigned long seq, int error, const char *path)
{
	struct reports *r = arg;

	assert_non_null(path);
	assert_true(r->n < nitems(r->seq));
	r->key[r->n] = key;
	r->seq[r->n] = seq;
	r->error[r->n] = error;
	r->n++;
}

static void
test_writer(void **state)
{
	struct event_base *base = event_base_new();
	struct reports r = { 0 };
	struct statewriter *sw;
	static int keys[NJOBS + 2];
	char *got;

	(void)state;
	assert_non_null(base);
	sw = statewriter_new(base, tmpdir, on_done, &r);
	for (size_t i = 0; i < NJOBS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%zu.json", i);
		statewriter_put(sw, &keys[i], path_of(name),
		    xasprintf("{\"t\": %zu}", i), i + 1);
	}
	/* one into a directory that does not exist: reported failed */
	statewriter_put(sw, &keys[NJOBS], path_of("none/t.json"),
	    xstrdup("{}"), 7);
	assert_int_equal(statewriter_inflight(sw), NJOBS + 1);
	statewriter_wait(sw);
	assert_int_equal(statewriter_inflight(sw), 0);
	assert_int_equal(r.n, NJOBS + 1);
	for (size_t i = 0; i < NJOBS; i++) {
		assert_ptr_equal(r.key[i], &keys[i]);	/* in order */
		assert_int_equal(r.seq[i], i + 1);
		assert_int_equal(r.error[i], 0);
	}
	assert_ptr_equal(r.key[NJOBS], &keys[NJOBS]);
	assert_int_equal(r.error[NJOBS], ENOENT);
	got = slurp("t5.json");
	assert_string_equal(got, "{\"t\": 5}");
	free(got);
	assert_int_equal(temp_files(), 0);

	/* reported on the loop when the loop runs; a forgotten key is
	 * written but not reported */
	r.n = 0;
	statewriter_put(sw, &keys[0], path_of("t0.json"), xstrdup("{\"a\":1}"),
	    100);
	statewriter_put(sw, &keys[1], path_of("t1.json"), xstrdup("{\"b\":2}"),
	    101);
	statewriter_forget(sw, &keys[0]);
	while (statewriter_inflight(sw) > 0)
		assert_int_not_equal(event_base_loop(base, EVLOOP_ONCE), -1);
	assert_int_equal(r.n, 1);
	assert_ptr_equal(r.key[0], &keys[1]);
	assert_int_equal(r.seq[0], 101);
	got = slurp("t0.json");
	assert_string_equal(got, "{\"a\":1}");
	free(got);

	/* what is queued at free is written, not reported */
	r.n = 0;
	statewriter_put(sw, &keys[2], path_of("t2.json"), xstrdup("{\"c\":3}"),
	    102);
	statewriter_free(sw);
	assert_int_equal(r.n, 0);
	got = slurp("t2.json");
	assert_string_equal(got, "{\"c\":3}");
	free(got);
	event_base_free(base);
	for (size_t i = 0; i < NJOBS; i++) {
		char *p, name[32];

		snprintf(name, sizeof(name), "t%zu.json", i);
		p = path_of(name);
		unlink(p);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_small, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_no_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
