/*
 * client.c — renewctl's side of the control socket: which socket, connect,
 * one request, one answer line (ctlproto.h).
 *
 * The socket is -s SOCKET, else $RENEWD_SOCKET, else the `socket` of the
 * -c file, else /run/renewd/renewd.sock.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "renewctl.h"
#include "util.h"

#define CTL_ANSWER_MAX	(1024u * 1024 * 1024)	/* bytes of one answer */

static char *ctl_socket_from_config;

const char *
ctl_socket_path(struct ctl *ctl)
{
	const char *env;
	struct config *cfg;

	if (ctl->socket != NULL)
		return ctl->socket;
	if ((env = getenv("RENEWD_SOCKET")) != NULL && *env != '\0')
		return ctl->socket = env;
	if (ctl->config_path != NULL) {
		if ((cfg = ctl_load_config(ctl)) == NULL)
			return NULL;
		free(ctl_socket_from_config);
		ctl_socket_from_config = xstrdup(cfg->socket);
		config_free(cfg);
		return ctl->socket = ctl_socket_from_config;
	}
	return ctl->socket = CTL_SOCKET_DEFAULT;
}

int
ctl_connect(struct ctl *ctl, int quiet)
{
	struct sockaddr_un sun;
	const char *path, *hint;
	int fd, saved;

	if ((path = ctl_socket_path(ctl)) == NULL)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (rd_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "renewctl: %s: the socket path is too long\n",
		    path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "renewctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	saved = errno;
	close(fd);
	if (quiet)
		return -1;
	if (saved == EACCES || saved == EPERM)
		hint = "only root and the members of the daemon's socket_group "
		    "may use it";
	else
		hint = "is renewd running? (systemctl status renewd)";
	fprintf(stderr, "renewctl: cannot connect to %s: %s \xe2\x80\x94 %s\n",
	    path, strerror(saved), hint);
	return -1;
}

static int
ctl_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Milliseconds left until `end` (CLOCK_MONOTONIC), at least 0. */
static int
ctl_left_ms(const struct timespec *end)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* Connect and send the request: the socket, or -1 (said why). */
static int
ctl_send(struct ctl *ctl, const struct ctlproto_request *req)
{
	char *line;
	int fd, rc;

	if ((fd = ctl_connect(ctl, 0)) == -1)
		return -1;
	if ((line = ctlproto_request_encode(req)) == NULL) {
		fprintf(stderr, "renewctl: cannot encode the request\n");
		close(fd);
		return -1;
	}
	rc = ctl_write_all(fd, line, strlen(line));
	free(line);
	if (rc == -1) {
		fprintf(stderr, "renewctl: %s: %s\n", ctl->socket,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Append what the daemon sends next to `in`, waiting until `end` (NULL:
 * as long as it takes). The bytes read, or -1 (said why: the time ran
 * out, the connection closed, a read error).
 */
static ssize_t
ctl_read_more(struct ctl *ctl, int fd, struct buf *in,
    const struct timespec *end, int timeout_sec)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char chunk[65536];
	ssize_t n;
	int rc;

	for (;;) {
		rc = poll(&pfd, 1, end != NULL ? ctl_left_ms(end) : -1);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == 0) {
			fprintf(stderr, "renewctl: no answer from renewd on %s "
			    "within %d seconds\n", ctl->socket, timeout_sec);
			return -1;
		}
		if (rc == -1 || (n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "renewctl: %s: %s\n", ctl->socket,
			    strerror(errno));
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "renewctl: renewd closed the connection "
			    "on %s without a complete answer\n", ctl->socket);
			return -1;
		}
		buf_add(in, chunk, (size_t)n);
		return n;
	}
}

static void
ctl_deadline(struct timespec *end, int timeout_sec)
{
	clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += timeout_sec;
}

/* Read up to the answer's newline (`in` may hold its start already) and
 * decode it. */
static int
ctl_read_answer(struct ctl *ctl, int fd, struct buf *in, int timeout_sec,
    struct timespec *end, struct ctlproto_response *resp)
{
	char msg[512], *nl;
	size_t scanned = 0;

	while ((nl = (in->len > 0 && in->data != NULL) ?
	    memchr(in->data + scanned, '\n', in->len - scanned) : NULL) ==
	    NULL) {
		scanned = in->len;
		if (in->len > CTL_ANSWER_MAX) {
			fprintf(stderr, "renewctl: the answer is longer than "
			    "%u bytes\n", CTL_ANSWER_MAX);
			return -1;
		}
		if (ctl_read_more(ctl, fd, in, timeout_sec > 0 ? end : NULL,
		    timeout_sec) == -1)
			return -1;
	}
	if (ctlproto_response_decode(in->data, (size_t)(nl - in->data), resp,
	    msg, sizeof(msg)) == -1) {
		fprintf(stderr, "renewctl: %s: %s\n", ctl->socket, msg);
		return -1;
	}
	return 0;
}

int
ctl_call(struct ctl *ctl, const struct ctlproto_request *req,
    int timeout_sec, struct ctlproto_response *resp)
{
	struct buf in = { 0 };
	struct timespec end;
	int fd, rc;

	if ((fd = ctl_send(ctl, req)) == -1)
		return -1;
	ctl_deadline(&end, timeout_sec);
	rc = ctl_read_answer(ctl, fd, &in, timeout_sec, &end, resp);
	close(fd);
	buf_free(&in);
	return rc;
}

int
ctl_call_list(struct ctl *ctl, const struct ctlproto_request *req,
    int timeout_sec, ctl_item_cb cb, void *arg,
    struct ctlproto_response *resp)
{
	struct buf in = { 0 };
	struct timespec end;
	size_t off, start, stop, nitems = 0;
	json_error_t jerr;
	json_t *item, *targets;
	int fd, rc = -1, begun;

	memset(resp, 0, sizeof(*resp));
	if ((fd = ctl_send(ctl, req)) == -1)
		return -1;
	/* The time limit is for the first byte and then for each read: a
	 * long list takes as long as it takes while it keeps coming. */
	ctl_deadline(&end, timeout_sec);
	while ((begun = in.len > 0 ? ctlproto_list_start(in.data, in.len) :
	    -1) == -1 && memchr(in.data != NULL ? in.data : "", '\n',
	    in.len) == NULL) {
		if (ctl_read_more(ctl, fd, &in, timeout_sec > 0 ? &end : NULL,
		    timeout_sec) == -1)
			goto done;
	}
	if (begun != 1) {
		/* An error, or an answer of another form: the whole line. */
		if (ctl_read_answer(ctl, fd, &in, timeout_sec, &end,
		    resp) == -1)
			goto done;
		rc = 0;
		if (!resp->ok || !json_is_array(targets = json_object_get(
		    resp->result, "targets")))
			goto done;
		for (off = 0; off < json_array_size(targets); off++)
			cb(arg, json_array_get(targets, off));
		goto done;
	}
	off = strlen(CTLPROTO_LIST_PREFIX);
	for (;;) {
		switch (ctlproto_list_next(in.data + off, in.len - off, nitems,
		    &start, &stop)) {
		case CTLLIST_ITEM:
			item = json_loadb(in.data + off + start, stop - start,
			    JSON_REJECT_DUPLICATES, &jerr);
			if (item == NULL || !json_is_object(item)) {
				fprintf(stderr, "renewctl: %s: target %zu of the "
				    "answer: %s\n", ctl->socket, nitems + 1,
				    item == NULL ? jerr.text : "not an object");
				json_decref(item);
				goto done;
			}
			cb(arg, item);
			json_decref(item);
			nitems++;
			off += stop;
			continue;
		case CTLLIST_END:
			resp->ok = 1;
			rc = 0;
			goto done;
		case CTLLIST_MORE:
			break;
		case CTLLIST_BAD:
			fprintf(stderr, "renewctl: %s: the answer is not a list "
			    "of targets\n", ctl->socket);
			goto done;
		}
		/* Keep only what is not used yet, then read on. */
		memmove(in.data, in.data + off, in.len - off);
		in.len -= off;
		off = 0;
		if (in.len > CTL_ANSWER_MAX) {
			fprintf(stderr, "renewctl: one target of the answer is "
			    "longer than %u bytes\n", CTL_ANSWER_MAX);
			goto done;
		}
		if (timeout_sec > 0)
			ctl_deadline(&end, timeout_sec);
		if (ctl_read_more(ctl, fd, &in, timeout_sec > 0 ? &end : NULL,
		    timeout_sec) == -1)
			goto done;
	}
done:
	close(fd);
	buf_free(&in);
	return rc;
}

int
ctl_daemon_error(struct ctl *ctl, const struct ctl_cmd *cmd,
    const struct ctlproto_response *resp)
{
	const char *p = resp->message, *nl;
	char *clean;

	(void)ctl;
	/* One line per line of the message (reload lists the config's
	 * errors so), each made safe for the terminal. */
	do {
		nl = strchr(p, '\n');
		clean = rd_sanitize(p, nl != NULL ? (size_t)(nl - p) :
		    strlen(p));
		if (p == resp->message)
			fprintf(stderr, "renewctl: %s: %s (%s)\n", cmd->name,
			    clean, resp->code);
		else
			fprintf(stderr, "%s\n", clean);
		free(clean);
		p = nl + 1;
	} while (nl != NULL);
	switch (resp->error) {
	case CTLERR_REFUSED:
	case CTLERR_NOT_PERMITTED:
		return EXIT_CRITICAL;
	default:
		return EXIT_UNKNOWN;
	}
}
