/*
 * test_starttls.c — the STARTTLS reply parsers, driven by whole server
 * transcripts fed in pieces of every size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "starttls.h"
#include "util.h"

/*
 * A conversation: what the server says at each step ("" between steps means
 * "after the client's command"), what the client must send, and the outcome.
 */
struct conv {
	const char	*what;
	enum starttls	 proto;
	const char	*server[4];	/* server data before each client step */
	const char	*client[3];	/* what the client sends, in order */
	enum starttls_status end;
	const char	*error;		/* substring of the error, when FAIL */
	int		 whole;		/* only fed in one piece per step */
};

static const struct conv convs[] = {
	{ "smtp plain", STARTTLS_SMTP,
	  { "220 mx.example ESMTP\r\n",
	    "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
	    "220 2.0.0 Ready to start TLS\r\n" },
	  { "EHLO probe.example\r\n", "STARTTLS\r\n" },
	  STARTTLS_PROCEED, NULL, 0 },
	{ "smtp multi-line greeting, LF only, lower case", STARTTLS_SMTP,
	  { "220-mx.example ESMTP\n220-more words\n220 ok\n",
	    "250-mx.example\n250 starttls\n",
	    "220 go ahead\n" },
	  { "EHLO probe.example\r\n", "STARTTLS\r\n" },
	  STARTTLS_PROCEED, NULL, 0 },
	{ "smtp bare codes", STARTTLS_SMTP,
	  { "220\r\n", "250-x\r\n250 STARTTLS\r\n", "220\r\n" },
	  { "EHLO probe.example\r\n", "STARTTLS\r\n" },
	  STARTTLS_PROCEED, NULL, 0 },
	{ "smtp no STARTTLS offered", STARTTLS_SMTP,
	  { "220 mx ESMTP\r\n", "250-mx\r\n250-STARTTLSX\r\n250 SIZE 10\r\n" },
	  { "EHLO probe.example\r\n" },
	  STARTTLS_FAIL, "not offered", 0 },
	{ "smtp refused greeting", STARTTLS_SMTP,
	  { "554 5.7.1 go away\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply: 554 5.7.1 go away", 0 },
	{ "smtp STARTTLS refused", STARTTLS_SMTP,
	  { "220 mx\r\n", "250 STARTTLS\r\n", "454 4.7.0 TLS not available\r\n" },
	  { "EHLO probe.example\r\n", "STARTTLS\r\n" },
	  STARTTLS_FAIL, "unexpected reply: 454 4.7.0", 0 },
	{ "smtp code changes mid reply", STARTTLS_SMTP,
	  { "220-mx\r\n221 bye\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply: 221", 0 },
	{ "smtp garbage", STARTTLS_SMTP,
	  { "HTTP/1.1 400 Bad Request\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply: HTTP/1.1", 0 },
	{ "smtp data after the 220", STARTTLS_SMTP,
	  { "220 mx\r\n", "250 STARTTLS\r\n", "220 go\r\nEXTRA" },
	  { "EHLO probe.example\r\n", "STARTTLS\r\n" },
	  STARTTLS_FAIL, "unexpected data after", 1 },
	{ "imap", STARTTLS_IMAP,
	  { "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
	    "* CAPABILITY IMAP4rev1\r\na1 OK Begin TLS negotiation now\r\n" },
	  { "a1 STARTTLS\r\n" },
	  STARTTLS_PROCEED, NULL, 0 },
	{ "imap refused", STARTTLS_IMAP,
	  { "* OK ready\r\n", "a1 BAD unknown command\r\n" },
	  { "a1 STARTTLS\r\n" },
	  STARTTLS_FAIL, "unexpected reply: a1 BAD", 0 },
	{ "imap bye", STARTTLS_IMAP,
	  { "* BYE too many connections\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply: * BYE", 0 },
	{ "imap preauth", STARTTLS_IMAP,
	  { "* PREAUTH hi\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply", 0 },
	{ "pop3", STARTTLS_POP3,
	  { "+OK POP3 ready\r\n", "+OK Begin TLS\r\n" },
	  { "STLS\r\n" },
	  STARTTLS_PROCEED, NULL, 0 },
	{ "pop3 refused", STARTTLS_POP3,
	  { "+OK POP3 ready\r\n", "-ERR no\r\n" },
	  { "STLS\r\n" },
	  STARTTLS_FAIL, "unexpected reply: -ERR no", 0 },
	{ "pop3 +OKAY is not +OK", STARTTLS_POP3,
	  { "+OKAY\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply", 0 },
	{ "control characters are neutralised", STARTTLS_POP3,
	  { "-ERR \x1b[31mred\r\n" }, { NULL },
	  STARTTLS_FAIL, "unexpected reply: -ERR ", 0 },
};

/* Run one conversation feeding `chunk` bytes at a time. */
static void
run_conv(const struct conv *c, size_t chunk)
{
	struct starttls_parser p;
	enum starttls_status st = STARTTLS_NEED_MORE;
	size_t step, sent = 0;

	starttls_init(&p, c->proto, "probe.example");
	for (step = 0; step < nitems(c->server) && c->server[step] != NULL;
	    step++) {
		const char *data = c->server[step];
		size_t len = strlen(data), off = 0;

		while (off < len) {
			size_t n = len - off < chunk ? len - off : chunk, used;

			st = starttls_feed(&p, data + off, n, &used);
			assert_true(used <= n);
			if (st == STARTTLS_SEND) {
				assert_non_null(c->client[sent]);
				assert_string_equal(starttls_output(&p),
				    c->client[sent]);
				sent++;
			}
			if (st == STARTTLS_FAIL || st == STARTTLS_PROCEED)
				break;
			off += used;
		}
		if (st == STARTTLS_FAIL || st == STARTTLS_PROCEED)
			break;
	}
	if (st != c->end)
		fail_msg("%s (chunk %zu): status %d, want %d (%s)", c->what,
		    chunk, st, c->end, starttls_error(&p));
	if (c->error != NULL && strstr(starttls_error(&p), c->error) == NULL)
		fail_msg("%s: error '%s' lacks '%s'", c->what,
		    starttls_error(&p), c->error);
	if (st == STARTTLS_FAIL)
		assert_null(strchr(starttls_error(&p), '\x1b'));
}

static void
test_conversations(void **state)
{
	size_t i, chunk;

	(void)state;
	for (i = 0; i < nitems(convs); i++) {
		run_conv(&convs[i], SIZE_MAX);
		if (convs[i].whole)
			continue;
		for (chunk = 1; chunk <= 64; chunk = chunk < 8 ? chunk + 1 :
		    chunk * 2)
			run_conv(&convs[i], chunk);
	}
}

static void
test_line_too_long(void **state)
{
	struct starttls_parser p;
	char *big = xmalloc(STARTTLS_LINE_MAX + 10);
	size_t used;

	(void)state;
	memset(big, 'x', STARTTLS_LINE_MAX + 10);
	memcpy(big, "220-", 4);
	starttls_init(&p, STARTTLS_SMTP, "probe.example");
	assert_int_equal(starttls_feed(&p, big, STARTTLS_LINE_MAX + 10, &used),
	    STARTTLS_FAIL);
	assert_non_null(strstr(starttls_error(&p), "longer than 1024"));
	free(big);
}

static void
test_total_cap(void **state)
{
	struct starttls_parser p;
	const char *line = "220-this server talks and talks and talks\r\n";
	enum starttls_status st = STARTTLS_NEED_MORE;
	size_t used, fed = 0;

	(void)state;
	starttls_init(&p, STARTTLS_SMTP, "probe.example");
	while (st == STARTTLS_NEED_MORE && fed < 2 * STARTTLS_TOTAL_MAX) {
		st = starttls_feed(&p, line, strlen(line), &used);
		fed += used;
	}
	assert_int_equal(st, STARTTLS_FAIL);
	assert_true(fed <= STARTTLS_TOTAL_MAX);
	assert_non_null(strstr(starttls_error(&p), "16384"));
}

static void
test_ehlo_name(void **state)
{
	struct starttls_parser p;
	size_t used;

	(void)state;
	starttls_init(&p, STARTTLS_SMTP, "bad name\r\nRCPT");
	assert_int_equal(starttls_feed(&p, "220 x\r\n", 7, &used),
	    STARTTLS_SEND);
	assert_string_equal(starttls_output(&p), "EHLO localhost\r\n");
	starttls_init(&p, STARTTLS_SMTP, NULL);
	assert_string_equal(starttls_output(&p), "EHLO localhost\r\n");
}

static void
test_feed_line(void **state)
{
	struct starttls_parser p;

	(void)state;
	starttls_init(&p, STARTTLS_POP3, NULL);
	assert_int_equal(starttls_feed_line(&p, "+OK", 3), STARTTLS_SEND);
	assert_string_equal(starttls_output(&p), "STLS\r\n");
	assert_int_equal(starttls_feed_line(&p, "+OK go", 6), STARTTLS_PROCEED);
	/* Anything after the end is an error. */
	assert_int_equal(starttls_feed_line(&p, "+OK", 3), STARTTLS_FAIL);
	starttls_init(&p, STARTTLS_NONE, NULL);
	assert_int_equal(starttls_feed_line(&p, "+OK", 3), STARTTLS_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversations),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_total_cap),
		cmocka_unit_test(test_ehlo_name),
		cmocka_unit_test(test_feed_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
