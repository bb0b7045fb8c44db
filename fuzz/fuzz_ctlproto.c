/*
 * fuzz_ctlproto.c — the control protocol's decoders on arbitrary lines:
 * ctlproto_request_decode (what the daemon reads from any local user) and
 * ctlproto_response_decode (what renewctl reads from the daemon).
 *
 * Input: byte 0 picks the decoder (even: request, odd: response); the rest
 * is the line, which may hold NULs and be of any length.
 *
 * Checks, beyond no crash, leak or undefined behaviour: a request either
 * decodes (and then encodes to a line that decodes to the same request) or
 * fails with a known error code and a one-line message without control
 * characters; a response either decodes or fails with a one-line reason,
 * and a decoded error response carries a known code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
fuzz_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
fuzz_request(const char *line, size_t len)
{
	struct ctlproto_request req, again;
	enum ctlproto_error e;
	char msg[256], *enc;

	memset(&req, 0, sizeof(req));
	msg[0] = '\0';
	e = ctlproto_request_decode(line, len, &req, msg, sizeof(msg));
	if (e != CTLERR_NONE) {
		FUZZ_CHECK((int)e > 0 && (int)e < CTLERR_COUNT);
		FUZZ_CHECK(msg[0] != '\0' && fuzz_printable(msg));
		ctlproto_request_free(&req);
		return;
	}
	enc = ctlproto_request_encode(&req);
	FUZZ_CHECK(enc != NULL);
	FUZZ_CHECK(strlen(enc) > 0 && enc[strlen(enc) - 1] == '\n');
	FUZZ_CHECK(strchr(enc, '\n') == enc + strlen(enc) - 1);
	memset(&again, 0, sizeof(again));
	FUZZ_CHECK(ctlproto_request_decode(enc, strlen(enc) - 1, &again, msg,
	    sizeof(msg)) == CTLERR_NONE);
	FUZZ_CHECK(again.cmd == req.cmd && again.all == req.all &&
	    again.wait == req.wait && again.step == req.step);
	FUZZ_CHECK(fuzz_same(again.target, req.target));
	FUZZ_CHECK(fuzz_same(again.note, req.note));
	ctlproto_request_free(&again);
	ctlproto_request_free(&req);
	free(enc);
}

static void
fuzz_response(const char *line, size_t len)
{
	struct ctlproto_response resp;
	char msg[256];

	memset(&resp, 0, sizeof(resp));
	msg[0] = '\0';
	if (ctlproto_response_decode(line, len, &resp, msg, sizeof(msg)) ==
	    -1) {
		FUZZ_CHECK(msg[0] != '\0' && strchr(msg, '\n') == NULL);
		ctlproto_response_free(&resp);
		return;
	}
	if (!resp.ok)
		FUZZ_CHECK((int)resp.error > 0 &&
		    (int)resp.error < CTLERR_COUNT);
	ctlproto_response_free(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line;

	if (size == 0)
		return 0;
	/* A copy, so that reading past the line is caught. */
	line = malloc(size - 1 + 1);
	FUZZ_CHECK(line != NULL);
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	if (data[0] % 2 == 0)
		fuzz_request(line, size - 1);
	else
		fuzz_response(line, size - 1);
	free(line);
	return 0;
}
