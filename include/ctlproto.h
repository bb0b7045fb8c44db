/*
 * ctlproto.h — the control protocol between renewd and renewctl
 * (src/core/ctlproto.c): newline-delimited JSON over a Unix stream socket.
 * Pure: it decodes and encodes bytes; the server (src/renewd/control.c) and
 * the client (src/renewctl/) do the I/O. doc/PROTOCOL.md is the reference.
 *
 *	request:  {"v":1,"cmd":"status","args":{"target":"www.example.jp"}}\n
 *	success:  {"v":1,"ok":true,"result":...}\n
 *	failure:  {"v":1,"ok":false,"error":{"code":"unknown-target",
 *		   "message":"..."}}\n
 *
 * A request is checked in one fixed order, and the first failed check
 * decides the error:
 *	1. size: at most CTLPROTO_REQUEST_MAX bytes (the newline excluded)
 *						-> bad-request
 *	2. one JSON object (UTF-8, no duplicate keys, nothing after it)
 *						-> bad-request
 *	3. "v" present and the integer 1	-> version-mismatch
 *	4. "cmd" a string naming a command	-> unknown-command
 *	5. no other top-level member but "args"; "args" absent or an object
 *	   whose members are the command's arguments, each of its type and
 *	   within its bounds, the required ones present
 *						-> bad-request
 * Then the server checks the peer's right to the command (not-permitted)
 * and runs it (unknown-target, refused, busy, internal).
 *
 * VERSION HISTORY
 *	1	the first version: status, show, history, queue, version,
 *		probe, mark, reset, reload.
 */
#ifndef RENEWD_CTLPROTO_H
#define RENEWD_CTLPROTO_H

#include <stddef.h>

#include <jansson.h>

#define CTLPROTO_VERSION	1
#define CTLPROTO_REQUEST_MAX	(64 * 1024)	/* bytes of one request line */
#define CTLPROTO_TARGET_MAX	1024		/* bytes of a target name */
#define CTLPROTO_NOTE_MAX	1024		/* bytes of a note */

/* The stable error codes (their words are in ctlproto_error_word). */
enum ctlproto_error {
	CTLERR_NONE,
	CTLERR_BAD_REQUEST,	/* too big, not JSON, bad arguments */
	CTLERR_UNKNOWN_COMMAND,
	CTLERR_UNKNOWN_TARGET,
	CTLERR_NOT_PERMITTED,	/* the peer may not run this command */
	CTLERR_VERSION_MISMATCH,
	CTLERR_REFUSED,		/* the policy said no (the message says why) */
	CTLERR_BUSY,		/* too many clients, or a reload in progress */
	CTLERR_INTERNAL,
};
#define CTLERR_COUNT		9

const char	*ctlproto_error_word(enum ctlproto_error);
/* The code of a word, or CTLERR_INTERNAL for a word this version does
 * not know (a newer daemon). */
enum ctlproto_error ctlproto_error_parse(const char *);

enum ctlproto_cmd {
	CTLCMD_STATUS,
	CTLCMD_SHOW,
	CTLCMD_HISTORY,
	CTLCMD_QUEUE,
	CTLCMD_VERSION,
	CTLCMD_PROBE,
	CTLCMD_MARK,
	CTLCMD_RESET,
	CTLCMD_RELOAD,
};
#define CTLCMD_COUNT		9

enum ctlproto_argtype {
	CTLARG_STRING,
	CTLARG_BOOL,
};

struct ctlproto_arg {
	const char		*name;
	enum ctlproto_argtype	 type;
	int			 required;
	size_t			 max;		/* strings: bytes */
};

#define CTLPROTO_ARGS_MAX	4

/* One command: its word, whether only an admin may run it, its arguments.
 * The server's dispatch table (control.c) adds a handler per command. */
struct ctlproto_cmd_info {
	enum ctlproto_cmd	 cmd;
	const char		*name;
	int			 admin;
	struct ctlproto_arg	 args[CTLPROTO_ARGS_MAX];	/* name NULL ends */
};

/* The table, in enum order; NULL for an unknown name. */
const struct ctlproto_cmd_info *ctlproto_cmd_info(enum ctlproto_cmd);
const struct ctlproto_cmd_info *ctlproto_cmd_lookup(const char *name);

enum ctlproto_step {
	CTLSTEP_APPLIED,
	CTLSTEP_ISSUED,
};

/* A decoded request. Strings are owned (ctlproto_request_free). */
struct ctlproto_request {
	enum ctlproto_cmd	 cmd;
	char			*target;	/* status (optional), show,
						 * history, probe, mark, reset */
	int			 all;		/* probe: every target */
	int			 wait;		/* probe: answer when done */
	enum ctlproto_step	 step;		/* mark */
	char			*note;		/* mark, reset (optional) */
};

/*
 * Decode one request line of `len` bytes (without its newline; a trailing
 * CR is ignored). 0 and *req filled, or the error code with a message for
 * the client in `msg`. `len` may exceed CTLPROTO_REQUEST_MAX (that is the
 * first check).
 */
enum ctlproto_error ctlproto_request_decode(const char *line, size_t len,
		    struct ctlproto_request *req, char *msg, size_t msglen);
void		 ctlproto_request_free(struct ctlproto_request *);
/* The request line for `req` (with its newline); caller frees. */
char		*ctlproto_request_encode(const struct ctlproto_request *);

/* Response lines (each ends with a newline; caller frees). _ok takes the
 * reference to `result` (NULL: null). */
char		*ctlproto_ok(json_t *result);
char		*ctlproto_error(enum ctlproto_error, const char *message);
/* A streamed success: the prefix, then the result's text, then the
 * suffix. */
#define CTLPROTO_OK_PREFIX	"{\"v\":1,\"ok\":true,\"result\":"
#define CTLPROTO_OK_SUFFIX	"}\n"
/* A list of targets (status, probe), as the daemon writes it: the prefix,
 * the targets' objects separated by commas, the suffix. */
#define CTLPROTO_LIST_PREFIX	CTLPROTO_OK_PREFIX "{\"targets\":["
#define CTLPROTO_LIST_SUFFIX	"]}" CTLPROTO_OK_SUFFIX

/*
 * Reading such a list as it arrives, one target at a time, so that a
 * client holds one target's text, not the whole answer.
 *
 * ctlproto_list_start(): 1 when `p` (the first `len` bytes of the answer)
 * begins with CTLPROTO_LIST_PREFIX, 0 when it does not (an error, or
 * another form: read the whole line), -1 when more bytes are needed to
 * tell.
 *
 * ctlproto_list_next(): `p` holds the `len` bytes that follow the prefix
 * or the last item returned (`nitems` so far). CTLLIST_ITEM: one target's
 * object is p[*start, *end); CTLLIST_END: the list's suffix, *end bytes
 * (the answer is complete); CTLLIST_MORE: read more, then call again with
 * the same bytes at the front; CTLLIST_BAD: not a list of objects.
 * Strings are skipped as JSON escapes them; the objects themselves are not
 * checked (decode each one).
 */
enum ctlproto_list_rc {
	CTLLIST_ITEM,
	CTLLIST_END,
	CTLLIST_MORE,
	CTLLIST_BAD,
};
int		 ctlproto_list_start(const char *p, size_t len);
enum ctlproto_list_rc ctlproto_list_next(const char *p, size_t len,
		    size_t nitems, size_t *start, size_t *end);

/* A decoded response. */
struct ctlproto_response {
	int			 ok;
	json_t			*result;	/* owned; ok only */
	enum ctlproto_error	 error;		/* !ok only */
	char			*code;		/* the error word as sent */
	char			*message;
};
/*
 * Decode one response line (without its newline). 0, or -1 with the reason
 * in msg (not JSON, not an object, a version this client does not speak,
 * "ok" missing, an error without code).
 */
int		 ctlproto_response_decode(const char *line, size_t len,
		    struct ctlproto_response *resp, char *msg, size_t msglen);
void		 ctlproto_response_free(struct ctlproto_response *);

#endif
