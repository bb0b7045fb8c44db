/*
 * fuzz_config.c — renewd.conf: config_parse_len() on arbitrary bytes.
 *
 * Checks: no crash, leak or undefined behaviour on any input; the return
 * value agrees with the error list (0 exactly when there are no errors);
 * every error is one line naming the file. When the input parses, the
 * round trip holds: config_dump() parses again without errors and dumps to
 * the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "util.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
fuzz_check_errors(int rc, const struct strlist *errors)
{
	size_t i;

	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK((rc == 0) == (errors->n == 0));
	for (i = 0; i < errors->n; i++) {
		FUZZ_CHECK(strncmp(errors->v[i], "f.conf:", 7) == 0);
		FUZZ_CHECK(strchr(errors->v[i], '\n') == NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct strlist errors = { 0 };
	struct config *cfg, *again;
	char *d1, *d2;
	int rc;

	if (len > 64 * 1024)		/* long inputs only slow the search */
		return 0;
	cfg = config_new();
	rc = config_parse_len(cfg, "f.conf", (const char *)data, len, &errors);
	fuzz_check_errors(rc, &errors);
	strlist_free(&errors);
	if (rc == -1) {
		config_free(cfg);
		return 0;
	}

	d1 = config_dump(cfg);
	again = config_new();
	rc = config_parse(again, "f.conf", d1, &errors);
	if (rc != 0) {
		size_t i;

		for (i = 0; i < errors.n; i++)
			fprintf(stderr, "%s\n", errors.v[i]);
		fprintf(stderr, "the dump that fails to parse:\n%s", d1);
	}
	FUZZ_CHECK(rc == 0);
	fuzz_check_errors(rc, &errors);
	strlist_free(&errors);
	d2 = config_dump(again);
	if (strcmp(d1, d2) != 0)
		fprintf(stderr, "first dump:\n%s\n---\nsecond dump:\n%s\n",
		    d1, d2);
	FUZZ_CHECK(strcmp(d1, d2) == 0);
	FUZZ_CHECK(again->ntargets == cfg->ntargets);
	free(d1);
	free(d2);
	config_free(again);
	config_free(cfg);
	return 0;
}
