/*
 * ctlproto.c — decode and encode the control protocol's lines (see
 * ctlproto.h and doc/PROTOCOL.md). Requests are validated in one fixed
 * order; the first failed check decides the error code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "util.h"

static const char *const ctlproto_error_words[CTLERR_COUNT] = {
	[CTLERR_NONE] = "none",
	[CTLERR_BAD_REQUEST] = "bad-request",
	[CTLERR_UNKNOWN_COMMAND] = "unknown-command",
	[CTLERR_UNKNOWN_TARGET] = "unknown-target",
	[CTLERR_NOT_PERMITTED] = "not-permitted",
	[CTLERR_VERSION_MISMATCH] = "version-mismatch",
	[CTLERR_REFUSED] = "refused",
	[CTLERR_BUSY] = "busy",
	[CTLERR_INTERNAL] = "internal",
};

#define ARG_TARGET(req)	{ "target", CTLARG_STRING, req, CTLPROTO_TARGET_MAX }
#define ARG_NOTE	{ "note", CTLARG_STRING, 0, CTLPROTO_NOTE_MAX }

static const struct ctlproto_cmd_info ctlproto_cmds[CTLCMD_COUNT] = {
	{ CTLCMD_STATUS, "status", 0, { ARG_TARGET(0) } },
	{ CTLCMD_SHOW, "show", 0, { ARG_TARGET(1) } },
	{ CTLCMD_HISTORY, "history", 0, { ARG_TARGET(1) } },
	{ CTLCMD_QUEUE, "queue", 0, { { NULL, CTLARG_STRING, 0, 0 } } },
	{ CTLCMD_VERSION, "version", 0, { { NULL, CTLARG_STRING, 0, 0 } } },
	{ CTLCMD_PROBE, "probe", 1, { ARG_TARGET(0),
	    { "all", CTLARG_BOOL, 0, 0 }, { "wait", CTLARG_BOOL, 0, 0 } } },
	{ CTLCMD_MARK, "mark", 1, { ARG_TARGET(1),
	    { "step", CTLARG_STRING, 1, 16 }, ARG_NOTE } },
	{ CTLCMD_RESET, "reset", 1, { ARG_TARGET(1), ARG_NOTE } },
	{ CTLCMD_RELOAD, "reload", 1, { { NULL, CTLARG_STRING, 0, 0 } } },
};

const char *
ctlproto_error_word(enum ctlproto_error e)
{
	if ((unsigned)e >= CTLERR_COUNT)
		return "internal";
	return ctlproto_error_words[e];
}

enum ctlproto_error
ctlproto_error_parse(const char *word)
{
	for (unsigned i = CTLERR_BAD_REQUEST; i < CTLERR_COUNT; i++)
		if (strcmp(ctlproto_error_words[i], word) == 0)
			return (enum ctlproto_error)i;
	return CTLERR_INTERNAL;
}

const struct ctlproto_cmd_info *
ctlproto_cmd_info(enum ctlproto_cmd cmd)
{
	if ((unsigned)cmd >= CTLCMD_COUNT)
		return NULL;
	return &ctlproto_cmds[cmd];
}

const struct ctlproto_cmd_info *
ctlproto_cmd_lookup(const char *name)
{
	for (size_t i = 0; i < nitems(ctlproto_cmds); i++)
		if (strcmp(ctlproto_cmds[i].name, name) == 0)
			return &ctlproto_cmds[i];
	return NULL;
}

/* --- requests ------------------------------------------------------------ */

static enum ctlproto_error ctlproto_fail(char *, size_t, enum ctlproto_error,
    const char *, ...) __attribute__((format(printf, 4, 5)));

/* Messages quote what the peer sent (names, jansson's excerpts): keep
 * them one printable line for whoever shows them on a terminal. */
static void
ctlproto_clean(char *msg, size_t msglen)
{
	char *clean;

	if (msglen == 0)
		return;
	clean = rd_sanitize(msg, strlen(msg));
	rd_strlcpy(msg, clean, msglen);
	free(clean);
}

static enum ctlproto_error
ctlproto_fail(char *msg, size_t msglen, enum ctlproto_error e,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	ctlproto_clean(msg, msglen);
	return e;
}

static const struct ctlproto_arg *
ctlproto_arg_find(const struct ctlproto_cmd_info *ci, const char *name)
{
	for (size_t i = 0; i < CTLPROTO_ARGS_MAX && ci->args[i].name != NULL;
	    i++)
		if (strcmp(ci->args[i].name, name) == 0)
			return &ci->args[i];
	return NULL;
}

/* Step 5: every member of "args" is one of the command's arguments, of
 * its type and size; every required one is there. */
static enum ctlproto_error
ctlproto_check_args(const struct ctlproto_cmd_info *ci, json_t *args,
    char *msg, size_t msglen)
{
	const struct ctlproto_arg *a;
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		if ((a = ctlproto_arg_find(ci, key)) == NULL)
			return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
			    "%s: unknown argument \"%.64s\"", ci->name, key);
		switch (a->type) {
		case CTLARG_STRING:
			if (!json_is_string(v))
				return ctlproto_fail(msg, msglen,
				    CTLERR_BAD_REQUEST, "%s: argument \"%s\" "
				    "must be a string", ci->name, key);
			if (json_string_length(v) == 0 ||
			    json_string_length(v) > a->max)
				return ctlproto_fail(msg, msglen,
				    CTLERR_BAD_REQUEST, "%s: argument \"%s\" "
				    "must be 1 to %zu bytes long", ci->name,
				    key, a->max);
			if (strlen(json_string_value(v)) !=
			    json_string_length(v))
				return ctlproto_fail(msg, msglen,
				    CTLERR_BAD_REQUEST, "%s: argument \"%s\" "
				    "holds a NUL character", ci->name, key);
			break;
		case CTLARG_BOOL:
			if (!json_is_boolean(v))
				return ctlproto_fail(msg, msglen,
				    CTLERR_BAD_REQUEST, "%s: argument \"%s\" "
				    "must be true or false", ci->name, key);
			break;
		}
	}
	for (size_t i = 0; i < CTLPROTO_ARGS_MAX && ci->args[i].name != NULL;
	    i++)
		if (ci->args[i].required &&
		    json_object_get(args, ci->args[i].name) == NULL)
			return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
			    "%s: argument \"%s\" is required", ci->name,
			    ci->args[i].name);
	return CTLERR_NONE;
}

static char *
ctlproto_arg_string(json_t *args, const char *name)
{
	json_t *v = json_object_get(args, name);

	return v != NULL ? xstrdup(json_string_value(v)) : NULL;
}

/* What the arguments mean together, once each is well-formed. */
static enum ctlproto_error
ctlproto_fill(struct ctlproto_request *req, json_t *args, char *msg,
    size_t msglen)
{
	const char *step;

	req->target = ctlproto_arg_string(args, "target");
	req->note = ctlproto_arg_string(args, "note");
	req->all = json_is_true(json_object_get(args, "all"));
	req->wait = json_is_true(json_object_get(args, "wait"));
	switch (req->cmd) {
	case CTLCMD_PROBE:
		if ((req->target != NULL) == req->all)
			return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
			    "probe: give either \"target\" or \"all\": true");
		break;
	case CTLCMD_MARK:
		step = json_string_value(json_object_get(args, "step"));
		if (strcmp(step, "applied") == 0)
			req->step = CTLSTEP_APPLIED;
		else if (strcmp(step, "issued") == 0)
			req->step = CTLSTEP_ISSUED;
		else
			return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
			    "mark: \"step\" must be \"applied\" or "
			    "\"issued\"");
		break;
	default:
		break;
	}
	return CTLERR_NONE;
}

enum ctlproto_error
ctlproto_request_decode(const char *line, size_t len,
    struct ctlproto_request *req, char *msg, size_t msglen)
{
	const struct ctlproto_cmd_info *ci;
	json_error_t jerr;
	json_t *root, *v, *args;
	const char *key;
	enum ctlproto_error e;

	memset(req, 0, sizeof(*req));
	msg[0] = '\0';

	/* 1. size */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CTLPROTO_REQUEST_MAX)
		return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
		    "the request is longer than %d bytes",
		    CTLPROTO_REQUEST_MAX);

	/* 2. one JSON object */
	if ((root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
		    "not JSON: %s at byte %d", jerr.text, jerr.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
		    "the request must be a JSON object");
	}

	/* 3. the version */
	v = json_object_get(root, "v");
	if (v == NULL || !json_is_integer(v) ||
	    json_integer_value(v) != CTLPROTO_VERSION) {
		e = ctlproto_fail(msg, msglen, CTLERR_VERSION_MISMATCH,
		    v == NULL ? "\"v\" is missing: this daemon speaks "
		    "protocol version %d" : "this daemon speaks protocol "
		    "version %d only", CTLPROTO_VERSION);
		goto fail;
	}

	/* 4. the command */
	v = json_object_get(root, "cmd");
	if (v == NULL || !json_is_string(v)) {
		e = ctlproto_fail(msg, msglen, CTLERR_UNKNOWN_COMMAND,
		    "\"cmd\" must be a command's name");
		goto fail;
	}
	if ((ci = ctlproto_cmd_lookup(json_string_value(v))) == NULL) {
		char *clean = rd_sanitize(json_string_value(v),
		    json_string_length(v) > 64 ? 64 : json_string_length(v));

		e = ctlproto_fail(msg, msglen, CTLERR_UNKNOWN_COMMAND,
		    "unknown command \"%s\"", clean);
		free(clean);
		goto fail;
	}
	req->cmd = ci->cmd;

	/* 5. the arguments */
	json_object_foreach(root, key, v)
		if (strcmp(key, "v") != 0 && strcmp(key, "cmd") != 0 &&
		    strcmp(key, "args") != 0) {
			char *clean = rd_sanitize(key,
			    strlen(key) > 64 ? 64 : strlen(key));

			e = ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
			    "unknown member \"%s\"", clean);
			free(clean);
			goto fail;
		}
	args = json_object_get(root, "args");
	if (args != NULL && !json_is_object(args)) {
		e = ctlproto_fail(msg, msglen, CTLERR_BAD_REQUEST,
		    "\"args\" must be an object");
		goto fail;
	}
	if (args == NULL)
		args = json_object();
	else
		json_incref(args);
	if ((e = ctlproto_check_args(ci, args, msg, msglen)) == CTLERR_NONE)
		e = ctlproto_fill(req, args, msg, msglen);
	json_decref(args);
	if (e != CTLERR_NONE)
		goto fail;
	json_decref(root);
	return CTLERR_NONE;
fail:
	json_decref(root);
	ctlproto_request_free(req);
	return e;
}

void
ctlproto_request_free(struct ctlproto_request *req)
{
	free(req->target);
	free(req->note);
	req->target = req->note = NULL;
}

static char *
ctlproto_line(json_t *root)
{
	char *text, *line;

	if ((text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		return NULL;
	line = xasprintf("%s\n", text);
	free(text);
	return line;
}

char *
ctlproto_request_encode(const struct ctlproto_request *req)
{
	const struct ctlproto_cmd_info *ci = ctlproto_cmd_info(req->cmd);
	json_t *root, *args;
	char *line;

	if (ci == NULL)
		return NULL;
	args = json_object();
	if (req->target != NULL)
		json_object_set_new(args, "target", json_string(req->target));
	if (req->cmd == CTLCMD_PROBE) {
		if (req->all)
			json_object_set_new(args, "all", json_true());
		if (req->wait)
			json_object_set_new(args, "wait", json_true());
	}
	if (req->cmd == CTLCMD_MARK)
		json_object_set_new(args, "step", json_string(req->step ==
		    CTLSTEP_ISSUED ? "issued" : "applied"));
	if (req->note != NULL)
		json_object_set_new(args, "note", json_string(req->note));
	root = json_pack("{s:i, s:s, s:o}", "v", CTLPROTO_VERSION, "cmd",
	    ci->name, "args", args);
	if (root == NULL)
		return NULL;
	line = ctlproto_line(root);
	json_decref(root);
	return line;
}

/* --- responses ----------------------------------------------------------- */

char *
ctlproto_ok(json_t *result)
{
	json_t *root;
	char *line;

	root = json_pack("{s:i, s:b, s:o}", "v", CTLPROTO_VERSION, "ok", 1,
	    "result", result != NULL ? result : json_null());
	if (root == NULL)
		return NULL;
	line = ctlproto_line(root);
	json_decref(root);
	return line;
}

char *
ctlproto_error(enum ctlproto_error e, const char *message)
{
	json_t *root, *m;
	char *line;

	/* Messages may quote what a client sent: keep them valid UTF-8. */
	if ((m = json_string(message)) == NULL) {
		char *clean = rd_sanitize(message, strlen(message));

		m = json_string(clean);
		free(clean);
	}
	root = json_pack("{s:i, s:b, s:{s:s, s:o}}", "v", CTLPROTO_VERSION,
	    "ok", 0, "error", "code", ctlproto_error_word(e), "message",
	    m != NULL ? m : json_string("?"));
	if (root == NULL)
		return NULL;
	line = ctlproto_line(root);
	json_decref(root);
	return line;
}

int
ctlproto_response_decode(const char *line, size_t len,
    struct ctlproto_response *resp, char *msg, size_t msglen)
{
	json_error_t jerr;
	json_t *root, *v, *err;

	memset(resp, 0, sizeof(resp[0]));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if ((root = json_loadb(line, len, 0, &jerr)) == NULL) {
		snprintf(msg, msglen, "the answer is not JSON: %s", jerr.text);
		ctlproto_clean(msg, msglen);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(msg, msglen, "the answer is not a JSON object");
		goto fail;
	}
	v = json_object_get(root, "v");
	if (!json_is_integer(v) || json_integer_value(v) != CTLPROTO_VERSION) {
		snprintf(msg, msglen, "the daemon speaks another protocol "
		    "version (this client speaks %d)", CTLPROTO_VERSION);
		goto fail;
	}
	v = json_object_get(root, "ok");
	if (!json_is_boolean(v)) {
		snprintf(msg, msglen, "the answer has no \"ok\"");
		goto fail;
	}
	resp->ok = json_is_true(v);
	if (resp->ok) {
		v = json_object_get(root, "result");
		resp->result = json_incref(v != NULL ? v : json_null());
		json_decref(root);
		return 0;
	}
	err = json_object_get(root, "error");
	v = json_object_get(err, "code");
	if (!json_is_object(err) || !json_is_string(v)) {
		snprintf(msg, msglen, "the answer has no error code");
		goto fail;
	}
	resp->code = xstrdup(json_string_value(v));
	resp->error = ctlproto_error_parse(resp->code);
	v = json_object_get(err, "message");
	resp->message = xstrdup(json_is_string(v) ? json_string_value(v) :
	    resp->code);
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

void
ctlproto_response_free(struct ctlproto_response *resp)
{
	json_decref(resp->result);
	free(resp->code);
	free(resp->message);
	memset(resp, 0, sizeof(*resp));
}

/* ---- lists read as they arrive ------------------------------------------ */

int
ctlproto_list_start(const char *p, size_t len)
{
	size_t plen = strlen(CTLPROTO_LIST_PREFIX);

	if (memcmp(p, CTLPROTO_LIST_PREFIX, len < plen ? len : plen) != 0)
		return 0;
	return len >= plen ? 1 : -1;
}

enum ctlproto_list_rc
ctlproto_list_next(const char *p, size_t len, size_t nitems, size_t *start,
    size_t *end)
{
	size_t slen = strlen(CTLPROTO_LIST_SUFFIX), i = 0, depth = 0;
	int in_string = 0, escaped = 0;

	if (len == 0)
		return CTLLIST_MORE;
	if (p[0] == ']') {
		if (memcmp(p, CTLPROTO_LIST_SUFFIX, len < slen ? len : slen) !=
		    0)
			return CTLLIST_BAD;
		if (len < slen)
			return CTLLIST_MORE;
		*end = slen;
		return CTLLIST_END;
	}
	if (nitems > 0) {
		if (p[0] != ',')
			return CTLLIST_BAD;
		i = 1;
	}
	if (i >= len)
		return CTLLIST_MORE;
	if (p[i] != '{')
		return CTLLIST_BAD;
	*start = i;
	for (; i < len; i++) {
		char c = p[i];

		if (c == '\n' || c == '\0')
			return CTLLIST_BAD;
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0) {
				*end = i + 1;
				return CTLLIST_ITEM;
			}
		}
	}
	return CTLLIST_MORE;
}
