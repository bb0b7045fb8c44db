/*
 * fuzz_state.c — the state file: state_decode() on arbitrary bytes.
 *
 * Checks: no crash, leak or undefined behaviour on any input; a refusal
 * always says why (err is set, free of control characters: it is logged);
 * and when the input decodes, the round trip holds: state_encode() gives
 * text that decodes again and encodes to the same text, for the same
 * target. The fast JSON parser (jdoc.h) takes nothing that jansson
 * refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "jdoc.h"
#include "state.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
check_err(const char *err)
{
	FUZZ_CHECK(err[0] != '\0' && fuzz_printable(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct target_state *st, *again;
	struct jdoc *doc;
	char err[256], *e1, *e2;

	if (len > 256 * 1024)
		return 0;
	if ((doc = jdoc_parse((const char *)data, len)) != NULL) {
		json_error_t jerr;
		json_t *j = json_loadb((const char *)data, len,
		    JSON_REJECT_DUPLICATES, &jerr);

		FUZZ_CHECK(j != NULL);
		FUZZ_CHECK(jdoc_root(doc)->n == (json_is_object(j) ?
		    json_object_size(j) : json_array_size(j)));
		json_decref(j);
		jdoc_free(doc);
	}
	err[0] = '\0';
	st = state_decode((const char *)data, len, err, sizeof(err));
	if (st == NULL) {
		check_err(err);
		return 0;
	}
	FUZZ_CHECK(st->target != NULL);
	FUZZ_CHECK(st->nhistory <= STATE_HISTORY_MAX);
	FUZZ_CHECK(st->cycle.nsent <= STATE_SENT_MAX);

	e1 = state_encode(st);
	FUZZ_CHECK(e1 != NULL);
	err[0] = '\0';
	again = state_decode(e1, strlen(e1), err, sizeof(err));
	if (again == NULL)
		fprintf(stderr, "re-decoding failed: %s\n%s\n", err, e1);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(strcmp(again->target, st->target) == 0);
	e2 = state_encode(again);
	if (strcmp(e1, e2) != 0)
		fprintf(stderr, "first encoding:\n%s\n---\nsecond:\n%s\n",
		    e1, e2);
	FUZZ_CHECK(strcmp(e1, e2) == 0);
	free(e1);
	free(e2);
	state_free(again);
	state_free(st);
	return 0;
}
