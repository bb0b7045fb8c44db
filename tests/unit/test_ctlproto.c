/*
 * test_ctlproto.c — the control protocol: every check of a request in its
 * order, the command table, response lines both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctlproto.h"
#include "util.h"

static void
test_request_decode(void **unused)
{
	static const struct {
		const char		*what;
		const char		*line;
		enum ctlproto_error	 want;
		const char		*msg;	/* a part of the message */
		enum ctlproto_cmd	 cmd;
		const char		*target;
		int			 all, wait;
		enum ctlproto_step	 step;
		const char		*note;
	} cases[] = {
		/* well-formed */
		{ "status", "{\"v\":1,\"cmd\":\"status\"}", CTLERR_NONE, "",
		    CTLCMD_STATUS, NULL, 0, 0, 0, NULL },
		{ "status, empty args",
		    "{\"v\":1,\"cmd\":\"status\",\"args\":{}}", CTLERR_NONE, "",
		    CTLCMD_STATUS, NULL, 0, 0, 0, NULL },
		{ "status of one", "{\"v\":1,\"cmd\":\"status\",\"args\":"
		    "{\"target\":\"www.example.jp\"}}", CTLERR_NONE, "",
		    CTLCMD_STATUS, "www.example.jp", 0, 0, 0, NULL },
		{ "trailing CR", "{\"v\":1,\"cmd\":\"version\"}\r",
		    CTLERR_NONE, "", CTLCMD_VERSION, NULL, 0, 0, 0, NULL },
		{ "white space", " { \"cmd\" : \"queue\" , \"v\" : 1 } ",
		    CTLERR_NONE, "", CTLCMD_QUEUE, NULL, 0, 0, 0, NULL },
		{ "show", "{\"v\":1,\"cmd\":\"show\",\"args\":{\"target\":"
		    "\"a\"}}", CTLERR_NONE, "", CTLCMD_SHOW, "a", 0, 0, 0,
		    NULL },
		{ "history", "{\"v\":1,\"cmd\":\"history\",\"args\":"
		    "{\"target\":\"a\"}}", CTLERR_NONE, "", CTLCMD_HISTORY, "a",
		    0, 0, 0, NULL },
		{ "probe one, wait", "{\"v\":1,\"cmd\":\"probe\",\"args\":"
		    "{\"target\":\"a\",\"wait\":true}}", CTLERR_NONE, "",
		    CTLCMD_PROBE, "a", 0, 1, 0, NULL },
		{ "probe all", "{\"v\":1,\"cmd\":\"probe\",\"args\":"
		    "{\"all\":true,\"wait\":false}}", CTLERR_NONE, "",
		    CTLCMD_PROBE, NULL, 1, 0, 0, NULL },
		{ "mark applied", "{\"v\":1,\"cmd\":\"mark\",\"args\":"
		    "{\"target\":\"a\",\"step\":\"applied\"}}", CTLERR_NONE, "",
		    CTLCMD_MARK, "a", 0, 0, CTLSTEP_APPLIED, NULL },
		{ "mark issued, note", "{\"v\":1,\"cmd\":\"mark\",\"args\":"
		    "{\"target\":\"a\",\"step\":\"issued\",\"note\":"
		    "\"\\u65e5 order 42\"}}", CTLERR_NONE, "", CTLCMD_MARK, "a",
		    0, 0, CTLSTEP_ISSUED, "\xe6\x97\xa5 order 42" },
		{ "reset", "{\"v\":1,\"cmd\":\"reset\",\"args\":{\"target\":"
		    "\"a\",\"note\":\"new contract\"}}", CTLERR_NONE, "",
		    CTLCMD_RESET, "a", 0, 0, 0, "new contract" },
		{ "reload", "{\"v\":1,\"cmd\":\"reload\"}", CTLERR_NONE, "",
		    CTLCMD_RELOAD, NULL, 0, 0, 0, NULL },

		/* 2. not one JSON object */
		{ "empty", "", CTLERR_BAD_REQUEST, "not JSON", 0, NULL, 0, 0,
		    0, NULL },
		{ "garbage", "hello", CTLERR_BAD_REQUEST, "not JSON", 0, NULL,
		    0, 0, 0, NULL },
		{ "truncated", "{\"v\":1,\"cmd\":\"sta", CTLERR_BAD_REQUEST,
		    "not JSON", 0, NULL, 0, 0, 0, NULL },
		{ "array", "[1,2]", CTLERR_BAD_REQUEST, "JSON object", 0, NULL,
		    0, 0, 0, NULL },
		{ "a number", "1", CTLERR_BAD_REQUEST, "not JSON", 0, NULL, 0,
		    0, 0, NULL },
		{ "two objects", "{\"v\":1,\"cmd\":\"status\"}{}",
		    CTLERR_BAD_REQUEST, "not JSON", 0, NULL, 0, 0, 0, NULL },
		{ "duplicate key", "{\"v\":1,\"v\":1,\"cmd\":\"status\"}",
		    CTLERR_BAD_REQUEST, "not JSON", 0, NULL, 0, 0, 0, NULL },
		{ "invalid UTF-8", "{\"v\":1,\"cmd\":\"st\xff\"}",
		    CTLERR_BAD_REQUEST, "not JSON", 0, NULL, 0, 0, 0, NULL },
		{ "NUL escape", "{\"v\":1,\"cmd\":\"status\",\"args\":"
		    "{\"target\":\"a\\u0000b\"}}", CTLERR_BAD_REQUEST,
		    "not JSON", 0, NULL, 0, 0, 0, NULL },

		/* 3. the version, before the command */
		{ "no v", "{\"cmd\":\"status\"}", CTLERR_VERSION_MISMATCH,
		    "missing", 0, NULL, 0, 0, 0, NULL },
		{ "v 2", "{\"v\":2,\"cmd\":\"status\"}",
		    CTLERR_VERSION_MISMATCH, "version 1", 0, NULL, 0, 0, 0,
		    NULL },
		{ "v string", "{\"v\":\"1\",\"cmd\":\"status\"}",
		    CTLERR_VERSION_MISMATCH, "version 1", 0, NULL, 0, 0, 0,
		    NULL },
		{ "v real", "{\"v\":1.0,\"cmd\":\"status\"}",
		    CTLERR_VERSION_MISMATCH, "version 1", 0, NULL, 0, 0, 0,
		    NULL },
		{ "v 2 and unknown command",
		    "{\"v\":2,\"cmd\":\"frobnicate\"}",
		    CTLERR_VERSION_MISMATCH, "", 0, NULL, 0, 0, 0, NULL },

		/* 4. the command, before the arguments */
		{ "no cmd", "{\"v\":1}", CTLERR_UNKNOWN_COMMAND, "\"cmd\"", 0,
		    NULL, 0, 0, 0, NULL },
		{ "cmd not a string", "{\"v\":1,\"cmd\":7}",
		    CTLERR_UNKNOWN_COMMAND, "\"cmd\"", 0, NULL, 0, 0, 0, NULL },
		{ "unknown cmd", "{\"v\":1,\"cmd\":\"frobnicate\"}",
		    CTLERR_UNKNOWN_COMMAND, "frobnicate", 0, NULL, 0, 0, 0,
		    NULL },
		{ "cmd case", "{\"v\":1,\"cmd\":\"STATUS\"}",
		    CTLERR_UNKNOWN_COMMAND, "STATUS", 0, NULL, 0, 0, 0, NULL },
		{ "cmd prefix", "{\"v\":1,\"cmd\":\"stat\"}",
		    CTLERR_UNKNOWN_COMMAND, "stat", 0, NULL, 0, 0, 0, NULL },
		{ "unknown cmd, bad args",
		    "{\"v\":1,\"cmd\":\"nope\",\"args\":3}",
		    CTLERR_UNKNOWN_COMMAND, "nope", 0, NULL, 0, 0, 0, NULL },
		{ "control characters quoted safely",
		    "{\"v\":1,\"cmd\":\"a\\u001bb\"}", CTLERR_UNKNOWN_COMMAND,
		    "a\\x1bb", 0, NULL, 0, 0, 0, NULL },

		/* 5. the arguments */
		{ "unknown member", "{\"v\":1,\"cmd\":\"status\",\"x\":1}",
		    CTLERR_BAD_REQUEST, "unknown member \"x\"", 0, NULL, 0, 0, 0,
		    NULL },
		{ "args not an object",
		    "{\"v\":1,\"cmd\":\"status\",\"args\":[]}",
		    CTLERR_BAD_REQUEST, "\"args\" must be an object", 0, NULL,
		    0, 0, 0, NULL },
		{ "args null", "{\"v\":1,\"cmd\":\"status\",\"args\":null}",
		    CTLERR_BAD_REQUEST, "\"args\" must be an object", 0, NULL,
		    0, 0, 0, NULL },
		{ "unknown argument",
		    "{\"v\":1,\"cmd\":\"status\",\"args\":{\"all\":true}}",
		    CTLERR_BAD_REQUEST, "unknown argument \"all\"", 0, NULL, 0,
		    0, 0, NULL },
		{ "argument to version",
		    "{\"v\":1,\"cmd\":\"version\",\"args\":{\"target\":\"a\"}}",
		    CTLERR_BAD_REQUEST, "unknown argument", 0, NULL, 0, 0, 0,
		    NULL },
		{ "target not a string",
		    "{\"v\":1,\"cmd\":\"show\",\"args\":{\"target\":1}}",
		    CTLERR_BAD_REQUEST, "must be a string", 0, NULL, 0, 0, 0,
		    NULL },
		{ "target empty",
		    "{\"v\":1,\"cmd\":\"show\",\"args\":{\"target\":\"\"}}",
		    CTLERR_BAD_REQUEST, "1 to 1024 bytes", 0, NULL, 0, 0, 0,
		    NULL },
		{ "target missing", "{\"v\":1,\"cmd\":\"show\"}",
		    CTLERR_BAD_REQUEST, "\"target\" is required", 0, NULL, 0,
		    0, 0, NULL },
		{ "history without target",
		    "{\"v\":1,\"cmd\":\"history\",\"args\":{}}",
		    CTLERR_BAD_REQUEST, "\"target\" is required", 0, NULL, 0,
		    0, 0, NULL },
		{ "wait not a bool", "{\"v\":1,\"cmd\":\"probe\",\"args\":"
		    "{\"all\":true,\"wait\":1}}", CTLERR_BAD_REQUEST,
		    "true or false", 0, NULL, 0, 0, 0, NULL },
		{ "probe neither", "{\"v\":1,\"cmd\":\"probe\"}",
		    CTLERR_BAD_REQUEST, "either", 0, NULL, 0, 0, 0, NULL },
		{ "probe all false", "{\"v\":1,\"cmd\":\"probe\",\"args\":"
		    "{\"all\":false}}", CTLERR_BAD_REQUEST, "either", 0, NULL,
		    0, 0, 0, NULL },
		{ "probe both", "{\"v\":1,\"cmd\":\"probe\",\"args\":"
		    "{\"all\":true,\"target\":\"a\"}}", CTLERR_BAD_REQUEST,
		    "either", 0, NULL, 0, 0, 0, NULL },
		{ "mark without step", "{\"v\":1,\"cmd\":\"mark\",\"args\":"
		    "{\"target\":\"a\"}}", CTLERR_BAD_REQUEST,
		    "\"step\" is required", 0, NULL, 0, 0, 0, NULL },
		{ "mark bad step", "{\"v\":1,\"cmd\":\"mark\",\"args\":"
		    "{\"target\":\"a\",\"step\":\"verified\"}}",
		    CTLERR_BAD_REQUEST, "\"applied\" or \"issued\"", 0, NULL, 0,
		    0, 0, NULL },
		{ "mark step too long", "{\"v\":1,\"cmd\":\"mark\",\"args\":"
		    "{\"target\":\"a\",\"step\":\"appliedappliedapplied\"}}",
		    CTLERR_BAD_REQUEST, "1 to 16 bytes", 0, NULL, 0, 0, 0,
		    NULL },
		{ "note not a string", "{\"v\":1,\"cmd\":\"reset\",\"args\":"
		    "{\"target\":\"a\",\"note\":false}}", CTLERR_BAD_REQUEST,
		    "must be a string", 0, NULL, 0, 0, 0, NULL },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		struct ctlproto_request req;
		char msg[512];
		enum ctlproto_error e;

		e = ctlproto_request_decode(cases[i].line,
		    strlen(cases[i].line), &req, msg, sizeof(msg));
		if (e != cases[i].want)
			fail_msg("%s: got %s (%s), want %s", cases[i].what,
			    ctlproto_error_word(e), msg,
			    ctlproto_error_word(cases[i].want));
		if (strstr(msg, cases[i].msg) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"",
			    cases[i].what, msg, cases[i].msg);
		if (e != CTLERR_NONE) {
			assert_null(req.target);
			assert_null(req.note);
			continue;
		}
		if (req.cmd != cases[i].cmd || req.all != cases[i].all ||
		    req.wait != cases[i].wait || req.step != cases[i].step)
			fail_msg("%s: decoded wrong", cases[i].what);
		if (cases[i].target == NULL)
			assert_null(req.target);
		else
			assert_string_equal(req.target, cases[i].target);
		if (cases[i].note == NULL)
			assert_null(req.note);
		else
			assert_string_equal(req.note, cases[i].note);
		ctlproto_request_free(&req);
	}
}

/* 1. size comes before everything: a huge line is never parsed. */
static void
test_request_size(void **unused)
{
	struct ctlproto_request req;
	char msg[256], *line;
	const char *head = "{\"v\":1,\"cmd\":\"status\",\"args\":{\"target\":\"";
	size_t len;
	(void)unused;

	/* Exactly the limit: accepted up to the argument bounds. */
	len = CTLPROTO_REQUEST_MAX;
	line = xmalloc(len + 2);
	memset(line, ' ', len);
	memcpy(line, "{\"v\":1,\"cmd\":\"status\"}",
	    strlen("{\"v\":1,\"cmd\":\"status\"}"));
	assert_int_equal(ctlproto_request_decode(line, len, &req, msg,
	    sizeof(msg)), CTLERR_NONE);
	ctlproto_request_free(&req);
	/* With its CR the line may be one byte longer. */
	line[len] = '\r';
	assert_int_equal(ctlproto_request_decode(line, len + 1, &req, msg,
	    sizeof(msg)), CTLERR_NONE);
	ctlproto_request_free(&req);
	/* One byte more. */
	line[len] = ' ';
	assert_int_equal(ctlproto_request_decode(line, len + 1, &req, msg,
	    sizeof(msg)), CTLERR_BAD_REQUEST);
	assert_non_null(strstr(msg, "longer than 65536 bytes"));
	free(line);

	/* Too big beats every other error, even a wrong version. */
	line = xmalloc(len * 2);
	memset(line, 'x', len * 2);
	assert_int_equal(ctlproto_request_decode(line, len * 2, &req, msg,
	    sizeof(msg)), CTLERR_BAD_REQUEST);
	free(line);

	/* A target of 1025 bytes in a small request. */
	line = xasprintf("%s%0*d\"}}", head, CTLPROTO_TARGET_MAX + 1, 0);
	assert_int_equal(ctlproto_request_decode(line, strlen(line), &req,
	    msg, sizeof(msg)), CTLERR_BAD_REQUEST);
	assert_non_null(strstr(msg, "1 to 1024 bytes"));
	free(line);
	line = xasprintf("%s%0*d\"}}", head, CTLPROTO_TARGET_MAX, 0);
	assert_int_equal(ctlproto_request_decode(line, strlen(line), &req,
	    msg, sizeof(msg)), CTLERR_NONE);
	assert_int_equal(strlen(req.target), CTLPROTO_TARGET_MAX);
	ctlproto_request_free(&req);
	free(line);

	/* Deep nesting is an error, not a crash. */
	line = xmalloc(200001);
	memset(line, '[', 200000);
	assert_int_equal(ctlproto_request_decode(line, 200000, &req, msg,
	    sizeof(msg)), CTLERR_BAD_REQUEST);
	memset(line, '[', 60000);
	assert_int_equal(ctlproto_request_decode(line, 60000, &req, msg,
	    sizeof(msg)), CTLERR_BAD_REQUEST);
	free(line);
}

static void
test_table(void **unused)
{
	static const struct {
		const char		*name;
		enum ctlproto_cmd	 cmd;
		int			 admin;
	} cases[] = {
		{ "status", CTLCMD_STATUS, 0 },
		{ "show", CTLCMD_SHOW, 0 },
		{ "history", CTLCMD_HISTORY, 0 },
		{ "queue", CTLCMD_QUEUE, 0 },
		{ "version", CTLCMD_VERSION, 0 },
		{ "probe", CTLCMD_PROBE, 1 },
		{ "mark", CTLCMD_MARK, 1 },
		{ "reset", CTLCMD_RESET, 1 },
		{ "reload", CTLCMD_RELOAD, 1 },
	};
	(void)unused;

	assert_int_equal(nitems(cases), CTLCMD_COUNT);
	for (size_t i = 0; i < nitems(cases); i++) {
		const struct ctlproto_cmd_info *ci;

		ci = ctlproto_cmd_lookup(cases[i].name);
		assert_non_null(ci);
		assert_int_equal(ci->cmd, cases[i].cmd);
		assert_ptr_equal(ctlproto_cmd_info(cases[i].cmd), ci);
		if (ci->admin != cases[i].admin)
			fail_msg("%s: admin %d", cases[i].name, ci->admin);
	}
	assert_null(ctlproto_cmd_lookup("nope"));
	assert_null(ctlproto_cmd_info((enum ctlproto_cmd)CTLCMD_COUNT));

	for (unsigned e = CTLERR_BAD_REQUEST; e < CTLERR_COUNT; e++)
		assert_int_equal(ctlproto_error_parse(ctlproto_error_word(e)),
		    e);
	assert_int_equal(ctlproto_error_parse("from-the-future"),
	    CTLERR_INTERNAL);
	assert_string_equal(ctlproto_error_word(CTLERR_REFUSED), "refused");
	assert_string_equal(ctlproto_error_word(CTLERR_NOT_PERMITTED),
	    "not-permitted");
	assert_string_equal(ctlproto_error_word(CTLERR_VERSION_MISMATCH),
	    "version-mismatch");
}

/* What the client encodes, the server decodes to the same request. */
static void
test_request_round_trip(void **unused)
{
	static const struct ctlproto_request cases[] = {
		{ CTLCMD_STATUS, NULL, 0, 0, 0, NULL },
		{ CTLCMD_STATUS, "www.example.jp", 0, 0, 0, NULL },
		{ CTLCMD_PROBE, NULL, 1, 1, 0, NULL },
		{ CTLCMD_PROBE, "x", 0, 1, 0, NULL },
		{ CTLCMD_MARK, "x", 0, 0, CTLSTEP_ISSUED, "line \"quoted\"\n" },
		{ CTLCMD_RESET, "x", 0, 0, 0, NULL },
		{ CTLCMD_RELOAD, NULL, 0, 0, 0, NULL },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		struct ctlproto_request got;
		char msg[256], *line = ctlproto_request_encode(&cases[i]);
		size_t len = strlen(line);

		assert_true(len > 1 && line[len - 1] == '\n');
		assert_null(memchr(line, '\n', len - 1));
		assert_int_equal(ctlproto_request_decode(line, len - 1, &got,
		    msg, sizeof(msg)), CTLERR_NONE);
		assert_int_equal(got.cmd, cases[i].cmd);
		assert_int_equal(got.all, cases[i].all);
		assert_int_equal(got.wait, cases[i].wait);
		assert_int_equal(got.step, cases[i].step);
		if (cases[i].target != NULL)
			assert_string_equal(got.target, cases[i].target);
		if (cases[i].note != NULL)
			assert_string_equal(got.note, cases[i].note);
		ctlproto_request_free(&got);
		free(line);
	}
}

static void
test_responses(void **unused)
{
	struct ctlproto_response r;
	char msg[256], *line;
	(void)unused;

	line = ctlproto_ok(json_pack("{s:i}", "n", 3));
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":{\"n\":3}}\n");
	assert_int_equal(ctlproto_response_decode(line, strlen(line) - 1, &r,
	    msg, sizeof(msg)), 0);
	assert_true(r.ok);
	assert_int_equal(json_integer_value(json_object_get(r.result, "n")),
	    3);
	ctlproto_response_free(&r);
	free(line);

	line = ctlproto_ok(NULL);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":null}\n");
	free(line);

	/* A streamed answer is the same document. */
	line = xasprintf("%s%s%s", CTLPROTO_OK_PREFIX, "{\"targets\":[]}",
	    CTLPROTO_OK_SUFFIX);
	assert_int_equal(ctlproto_response_decode(line, strlen(line) - 1, &r,
	    msg, sizeof(msg)), 0);
	assert_true(r.ok && json_is_array(json_object_get(r.result,
	    "targets")));
	ctlproto_response_free(&r);
	free(line);

	/* Errors: one line even with a newline and invalid UTF-8 inside. */
	line = ctlproto_error(CTLERR_REFUSED, "two\nlines \xff");
	assert_null(memchr(line, '\n', strlen(line) - 1));
	assert_int_equal(ctlproto_response_decode(line, strlen(line) - 1, &r,
	    msg, sizeof(msg)), 0);
	assert_false(r.ok);
	assert_int_equal(r.error, CTLERR_REFUSED);
	assert_string_equal(r.code, "refused");
	assert_non_null(strstr(r.message, "two\\x0alines"));
	ctlproto_response_free(&r);
	free(line);

	for (unsigned e = CTLERR_BAD_REQUEST; e < CTLERR_COUNT; e++) {
		line = ctlproto_error(e, "m");
		assert_int_equal(ctlproto_response_decode(line, strlen(line),
		    &r, msg, sizeof(msg)), 0);
		assert_int_equal(r.error, e);
		ctlproto_response_free(&r);
		free(line);
	}
}

static void
test_response_decode_errors(void **unused)
{
	static const struct {
		const char	*what;
		const char	*line;
		const char	*msg;
	} cases[] = {
		{ "empty", "", "not JSON" },
		{ "garbage", "HTTP/1.0 400", "not JSON" },
		{ "array", "[]", "not a JSON object" },
		{ "no version", "{\"ok\":true}", "protocol version" },
		{ "version 2", "{\"v\":2,\"ok\":true}", "protocol version" },
		{ "no ok", "{\"v\":1}", "no \"ok\"" },
		{ "ok not a bool", "{\"v\":1,\"ok\":1}", "no \"ok\"" },
		{ "error without code", "{\"v\":1,\"ok\":false}",
		    "no error code" },
		{ "code not a string",
		    "{\"v\":1,\"ok\":false,\"error\":{\"code\":3}}",
		    "no error code" },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		struct ctlproto_response r;
		char msg[256];

		if (ctlproto_response_decode(cases[i].line,
		    strlen(cases[i].line), &r, msg, sizeof(msg)) != -1)
			fail_msg("%s: accepted", cases[i].what);
		if (strstr(msg, cases[i].msg) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].what, msg,
			    cases[i].msg);
		assert_null(r.result);
		assert_null(r.code);
	}
}

/* Error messages quote what the peer sent; they stay one printable line
 * (found by fuzz/fuzz_ctlproto.c). */
static void
test_messages_printable(void **unused)
{
	static const char *lines[] = {
		"{\"v\":1,\"cmd\":\"probe\",\"args\":{\"\002all\":true}}",
		"{\"v\":1,\"cmd\":\"st\033[31matus\"}",
		"{\"v\":1,\"cmd\"\001:1}",
	};
	(void)unused;

	for (size_t i = 0; i < nitems(lines); i++) {
		struct ctlproto_request req;
		char msg[256];

		memset(&req, 0, sizeof(req));
		assert_int_not_equal(ctlproto_request_decode(lines[i],
		    strlen(lines[i]), &req, msg, sizeof(msg)), CTLERR_NONE);
		for (const char *p = msg; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fail_msg("line %zu: control character in \"%s\"",
				    i, msg);
		ctlproto_request_free(&req);
	}
}

/* Split a whole list answer fed in pieces of `step` bytes, as a client
 * reading a socket would; the items' texts joined by '|'. */
static char *
split_list(const char *answer, size_t step, int *rc)
{
	struct buf got = { 0 }, in = { 0 };
	size_t fed = 0, off, start, end, n = 0, total = strlen(answer);
	int begun = -1;

	*rc = -1;
	while (begun == -1) {
		if (fed == total)
			return buf_steal(&got);
		size_t k = total - fed < step ? total - fed : step;

		buf_add(&in, answer + fed, k);
		fed += k;
		begun = ctlproto_list_start(in.data, in.len);
	}
	if (begun == 0) {
		*rc = 0;
		buf_free(&in);
		return buf_steal(&got);
	}
	off = strlen(CTLPROTO_LIST_PREFIX);
	for (;;) {
		switch (ctlproto_list_next(in.data + off, in.len - off, n,
		    &start, &end)) {
		case CTLLIST_ITEM:
			if (n > 0)
				buf_adds(&got, "|");
			buf_add(&got, in.data + off + start, end - start);
			off += end;
			n++;
			continue;
		case CTLLIST_END:
			*rc = off + end == in.len && fed == total ? 1 : -2;
			buf_free(&in);
			return buf_steal(&got);
		case CTLLIST_BAD:
			*rc = -3;
			buf_free(&in);
			return buf_steal(&got);
		case CTLLIST_MORE:
			break;
		}
		if (fed == total) {
			*rc = -4;
			buf_free(&in);
			return buf_steal(&got);
		}
		size_t k = total - fed < step ? total - fed : step;

		buf_add(&in, answer + fed, k);
		fed += k;
	}
}

static void
test_list_split(void **unused)
{
	static const struct {
		const char	*answer;
		int		 rc;	/* 1 whole list, 0 not a list, < 0 bad */
		const char	*items;
	} cases[] = {
		{ CTLPROTO_LIST_PREFIX CTLPROTO_LIST_SUFFIX, 1, "" },
		{ CTLPROTO_LIST_PREFIX "{\"target\":\"a\"}" CTLPROTO_LIST_SUFFIX,
		    1, "{\"target\":\"a\"}" },
		/* braces, brackets, quotes and backslashes inside strings */
		{ CTLPROTO_LIST_PREFIX "{\"t\":\"}]{[\",\"u\":\"\\\"}\\\\\"},"
		    "{\"a\":[{\"b\":[]}],\"c\":null}" CTLPROTO_LIST_SUFFIX, 1,
		    "{\"t\":\"}]{[\",\"u\":\"\\\"}\\\\\"}|"
		    "{\"a\":[{\"b\":[]}],\"c\":null}" },
		/* an error, and a result of another form: read whole */
		{ "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\"}}\n", 0, "" },
		{ "{\"v\":1,\"ok\":true,\"result\":{\"queued\":1}}\n", 0, "" },
		/* broken lists */
		{ CTLPROTO_LIST_PREFIX "{\"a\":1}{\"b\":2}" CTLPROTO_LIST_SUFFIX,
		    -3, "{\"a\":1}" },
		{ CTLPROTO_LIST_PREFIX "1,2" CTLPROTO_LIST_SUFFIX, -3, "" },
		{ CTLPROTO_LIST_PREFIX "{\"a\":\"x\ny\"}" CTLPROTO_LIST_SUFFIX,
		    -3, "" },
		{ CTLPROTO_LIST_PREFIX "{\"a\":1}]}}\r\n", -3, "{\"a\":1}" },
		{ CTLPROTO_LIST_PREFIX "{\"a\":1},{\"b\":", -4, "{\"a\":1}" },
	};
	(void)unused;

	for (size_t i = 0; i < nitems(cases); i++) {
		static const size_t steps[] = { 1, 2, 3, 7, 64, 100000 };

		for (size_t j = 0; j < nitems(steps); j++) {
			int rc;
			char *items = split_list(cases[i].answer, steps[j], &rc);

			if (rc != cases[i].rc || strcmp(items,
			    cases[i].items) != 0)
				fail_msg("case %zu, %zu bytes at a time: rc %d "
				    "items \"%s\"", i, steps[j], rc, items);
			free(items);
		}
	}
}

/* What the daemon streams is what the client splits. */
static void
test_list_matches_ok(void **unused)
{
	json_t *t = json_pack("{s:[{s:s},{s:s}]}", "targets", "target", "a",
	    "target", "b");
	char *line = ctlproto_ok(t);
	int rc;
	char *items;
	(void)unused;

	assert_non_null(line);
	items = split_list(line, 5, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(items, "{\"target\":\"a\"}|{\"target\":\"b\"}");
	free(items);
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_decode),
		cmocka_unit_test(test_request_size),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_response_decode_errors),
		cmocka_unit_test(test_messages_printable),
		cmocka_unit_test(test_list_split),
		cmocka_unit_test(test_list_matches_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
