/*
 * fuzz_starttls.c — the STARTTLS state machine (starttls.h) on arbitrary
 * server bytes, for each protocol, fed in arbitrary chunks.
 *
 * Input: byte 0 picks the protocol (SMTP, IMAP, POP3) and byte 1 the number
 * k (0..7) of chunk sizes that follow (bytes 2..k+1, each 1..256, used in
 * turn; none: the data in one piece); then the EHLO name up to a NUL; the
 * rest is what the server sends.
 *
 * The driver behaves like the probe engine: feed, send what is asked for,
 * feed the rest, stop at PROCEED or FAIL. Checks: no crash, leak or
 * undefined behaviour; `used` never exceeds what was fed and is all of it
 * on NEED_MORE; the command to send is one CRLF-terminated line; the error
 * is printable and says "STARTTLS"; and the conversation does not depend on
 * the chunking: fed in chunks, the machine sends the same commands and ends
 * the same way as fed all at once (except that PROCEED at the end of a
 * chunk is final, where one piece sees the data after it and fails).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "starttls.h"
#include "util.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* How one conversation went. */
struct outcome {
	enum starttls_status	 st;		/* NEED_MORE: data ran out */
	size_t			 consumed;	/* bytes used in all */
	char			 sent[4][300];	/* the commands, in order */
	size_t			 nsent;
	char			 error[200];
};

static void
check_output(const struct starttls_parser *p)
{
	const char *out = starttls_output(p);
	size_t n = strlen(out);

	FUZZ_CHECK(n >= 2 && n < sizeof(p->out));
	FUZZ_CHECK(out[n - 2] == '\r' && out[n - 1] == '\n');
	FUZZ_CHECK(strcspn(out, "\r\n") == n - 2);
}

static void
check_error(const struct starttls_parser *p)
{
	const char *e = starttls_error(p);

	FUZZ_CHECK(strncmp(e, "STARTTLS: ", 10) == 0 && fuzz_printable(e));
}

/*
 * Feed `data` in chunks of sizes[0], sizes[1], ... (cycling; nsizes 0: all
 * at once), as the probe engine would.
 */
static void
converse(enum starttls proto, const char *ehlo, const char *data, size_t len,
    const uint8_t *sizes, size_t nsizes, struct outcome *o)
{
	struct starttls_parser p;
	size_t off = 0, k = 0;

	memset(o, 0, sizeof(*o));
	starttls_init(&p, proto, ehlo);
	if (proto == STARTTLS_SMTP) {
		check_output(&p);
		FUZZ_CHECK(strncmp(starttls_output(&p), "EHLO ", 5) == 0);
	}
	o->st = STARTTLS_NEED_MORE;
	while (off < len) {
		size_t chunk = len - off, pos = 0;

		if (nsizes > 0) {
			size_t want = (size_t)sizes[k++ % nsizes] + 1;

			if (want < chunk)
				chunk = want;
		}
		while (pos < chunk) {
			size_t used = (size_t)-1;
			enum starttls_status st;

			st = starttls_feed(&p, data + off + pos, chunk - pos,
			    &used);
			FUZZ_CHECK(used <= chunk - pos);
			pos += used;
			o->consumed = off + pos;
			switch (st) {
			case STARTTLS_NEED_MORE:
				FUZZ_CHECK(pos == chunk);
				break;
			case STARTTLS_SEND:
				check_output(&p);
				FUZZ_CHECK(o->nsent < nitems(o->sent));
				rd_strlcpy(o->sent[o->nsent++],
				    starttls_output(&p), sizeof(o->sent[0]));
				break;
			case STARTTLS_PROCEED:
			case STARTTLS_FAIL:
				if (st == STARTTLS_FAIL) {
					check_error(&p);
					rd_strlcpy(o->error, starttls_error(&p),
					    sizeof(o->error));
				}
				o->st = st;
				return;
			}
		}
		off += chunk;
	}
}

static int
limit_error(const char *e)
{
	return strstr(e, "longer than") != NULL ||
	    strstr(e, "bytes before the handshake") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const enum starttls protos[] = {
		STARTTLS_SMTP, STARTTLS_IMAP, STARTTLS_POP3
	};
	struct fuzz_input in = { data, len };
	struct outcome whole, chunked;
	enum starttls proto;
	const uint8_t *sizes;
	size_t nsizes, i;
	char *ehlo;

	if (len > STARTTLS_TOTAL_MAX + 4096)
		return 0;
	proto = protos[fuzz_byte(&in) % nitems(protos)];
	nsizes = fuzz_take(&in, fuzz_byte(&in) % 8, &sizes);
	ehlo = fuzz_next_string(&in);

	converse(proto, ehlo, (const char *)in.p, in.len, NULL, 0, &whole);
	converse(proto, ehlo, (const char *)in.p, in.len, sizes, nsizes,
	    &chunked);
	free(ehlo);

	FUZZ_CHECK(whole.nsent == chunked.nsent);
	for (i = 0; i < whole.nsent; i++)
		FUZZ_CHECK(strcmp(whole.sent[i], chunked.sent[i]) == 0);
	if (chunked.st == STARTTLS_PROCEED && chunked.consumed < in.len) {
		/* One piece also saw the bytes after the final reply. */
		FUZZ_CHECK(whole.st == STARTTLS_FAIL);
		FUZZ_CHECK(whole.consumed == chunked.consumed);
		FUZZ_CHECK(strstr(whole.error, "after the server's reply"));
		return 0;
	}
	FUZZ_CHECK(whole.st == chunked.st);
	if (whole.st == STARTTLS_PROCEED || whole.st == STARTTLS_NEED_MORE)
		FUZZ_CHECK(whole.consumed == chunked.consumed);
	if (whole.st == STARTTLS_FAIL && !limit_error(whole.error))
		FUZZ_CHECK(strcmp(whole.error, chunked.error) == 0);
	if (whole.st == STARTTLS_FAIL && limit_error(whole.error))
		FUZZ_CHECK(limit_error(chunked.error));
	return 0;
}
