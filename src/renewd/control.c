/*
 * control.c — the control socket: renewctl's requests (ctlproto.h,
 * doc/PROTOCOL.md) served on the daemon's event loop.
 *
 * THE SOCKET. A Unix stream socket at `socket`, made with umask 0117 and
 * chmod 0660, its group set to `socket_group` (logged when that group does
 * not exist or cannot be given). At start-up a socket file that accepts a
 * connection belongs to a live renewd: this one refuses to start; one that
 * refuses connections is stale and replaced. At shutdown the file is
 * removed if it is still the one bound here.
 *
 * WHO MAY DO WHAT. The peer's credentials come from the kernel at
 * connect() time: SO_PEERCRED (uid, gid, pid) and SO_PEERGROUPS (its
 * supplementary groups; Linux 4.13 and later). Reading commands (status,
 * show, history, queue, version) are for anyone who can open the socket,
 * which its mode and group decide. mark, reset, probe and reload are for
 * uid 0, the daemon's own uid, and processes whose gid or one of whose
 * supplementary groups is `admin_group`. The kernel's group list is used
 * rather than /proc/PID/status (a PID can be reused) or getgrouplist()
 * (NSS lookups may block the loop and describe the user, not the process).
 * If SO_PEERGROUPS is not available only the primary gid counts. The
 * admin group's gid is looked up once per value of `admin_group` (at
 * start-up and after a reload that changes it).
 *
 * LIMITS. A request line is at most CTLPROTO_REQUEST_MAX bytes: a longer
 * one gets a bad-request error and the connection is closed. At most
 * CONTROL_CLIENTS_MAX clients at once: when they are all connected, a new
 * connection takes the place of the oldest one that is not being answered
 * (so idle connections cannot lock renewctl out); when every one is being
 * answered, the new one gets one `busy` line and is closed. A client that has not sent a complete request
 * within CONTROL_IDLE seconds is closed, and so is one that does not read
 * its answer for CONTROL_WRITE_STALL seconds. When accept() runs out of
 * file descriptors the socket is not watched for CONTROL_BACKOFF seconds.
 * Requests on one connection are answered in order, one at a time; the
 * next is not read while an answer is being written.
 *
 * STREAMING. `status` of every target writes one target at a time as the
 * client reads: at most about CONTROL_CHUNK bytes wait in the output
 * buffer, whatever the number of targets. A reload during the listing
 * carries on after the last target written, in the new config's order.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "ctlproto.h"
#include "jsonutil.h"
#include "log.h"
#include "renewd.h"
#include "sdnotify.h"
#include "status.h"
#include "util.h"

#define CONTROL_CLIENTS_MAX	256
#define CONTROL_IDLE		10	/* seconds for a complete request */
#define CONTROL_WRITE_STALL	30	/* seconds without writing progress */
#define CONTROL_BACKOFF		1	/* seconds without accept() */
#define CONTROL_CHUNK		(64 * 1024)	/* streamed bytes in flight */
#define CONTROL_ACCEPT_BATCH	64
#define CONTROL_BACKLOG		128
#define CONTROL_GROUPS_MAX	65536

struct control;

struct client {
	struct control		*c;
	struct bufferevent	*bev;
	struct event		*idle;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	gid_t			*groups;	/* supplementary, from the kernel */
	size_t			 ngroups;
	int			 busy;		/* answering a request */
	int			 eof;		/* the client sent all it will */
	int			 closing;	/* free once the output is out */

	/* a streamed list of targets ("status", "probe --all --wait") */
	int			 streaming;
	size_t			 next;		/* index of the next target */
	unsigned long		 generation;	/* of the watch's config */
	char			*last;		/* the last target written */
	size_t			 nwritten;
	time_t			 now;		/* one time for the listing */

	/* probe --wait */
	struct watch_waiter	**waiters;
	size_t			 nwaiters;
	size_t			 remaining;
	char			*probed;	/* the one target, or NULL: all */

	TAILQ_ENTRY(client)	 entry;
};

struct control {
	struct event_base	*base;
	char			*path;
	int			 fd;
	int			 inherited;	/* passed by systemd: not ours
						 * to remove */
	dev_t			 dev;		/* of the socket file bound */
	ino_t			 ino;
	struct event		*ev_accept;
	struct event		*ev_backoff;
	int			 backing_off;
	struct watch		*watch;
	struct sink		*sink;
	control_reload_cb	 reload;
	void			*reload_arg;
	TAILQ_HEAD(, client)	 clients;
	size_t			 nclients;
	uid_t			 self;
	char			*admin_group;	/* the name looked up */
	int			 admin_known;	/* admin_gid is valid */
	gid_t			 admin_gid;
};

static void	client_free(struct client *);
static void	client_done(struct client *);
static void	client_next(struct client *);
static void	client_stream(struct client *);

/* ---- answers ------------------------------------------------------------ */

/* Queue one line (taken) for the client. */
static void
client_send(struct client *cl, char *line)
{
	if (line == NULL) {
		log_warnx("%s: cannot encode an answer", __func__);
		line = xstrdup("{\"v\":1,\"ok\":false,\"error\":{\"code\":"
		    "\"internal\",\"message\":\"cannot encode the answer\"}}\n");
	}
	if (evbuffer_add(bufferevent_get_output(cl->bev), line,
	    strlen(line)) == -1)
		log_warnx("%s: cannot queue an answer", __func__);
	free(line);
}

static void client_error(struct client *, enum ctlproto_error, const char *,
    ...) __attribute__((format(printf, 3, 4)));

static void
client_error(struct client *cl, enum ctlproto_error e, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	client_send(cl, ctlproto_error(e, msg));
	free(msg);
}

static void
client_ok(struct client *cl, json_t *result)
{
	client_send(cl, ctlproto_ok(result));
}

/* ---- what is known of a target ----------------------------------------- */

/* The Status JSON object of target `index`; *sev gets its severity. */
static json_t *
control_target_json(struct control *c, size_t index, time_t now,
    enum severity *sev)
{
	struct watch_view v;
	struct target_status ts;
	json_t *o;

	watch_view(c->watch, index, &v);
	if (v.st != NULL)
		status_compute_from_state(v.cfg, v.rules, v.tc, v.st, now, &ts);
	else {
		status_compute(v.cfg, v.rules, v.tc, NULL, now, &ts);
		ts.error = "not watched: its state file cannot be read "
		    "(tried again at the next reload)";
	}
	if (sev != NULL)
		*sev = ts.severity;
	o = status_target_json(&ts);
	return o;
}

/* Find the target named in the request; answers unknown-target itself. */
static int
control_find(struct client *cl, const char *name, size_t *index)
{
	char *clean;

	if (watch_find(cl->c->watch, name, index) == 0)
		return 0;
	clean = rd_sanitize(name, strlen(name) > 256 ? 256 : strlen(name));
	client_error(cl, CTLERR_UNKNOWN_TARGET, "no target \"%s\" in the "
	    "configuration", clean);
	free(clean);
	return -1;
}

/* ---- streamed lists ---------------------------------------------------- */

/* Start {"targets":[ ... ]} of every target, written as the client reads. */
static void
client_stream_start(struct client *cl)
{
	evbuffer_add(bufferevent_get_output(cl->bev), CTLPROTO_LIST_PREFIX,
	    strlen(CTLPROTO_LIST_PREFIX));
	cl->streaming = 1;
	cl->next = 0;
	cl->nwritten = 0;
	cl->generation = watch_generation(cl->c->watch);
	cl->now = time(NULL);
	free(cl->last);
	cl->last = NULL;
	client_stream(cl);
}

static void
client_stream(struct client *cl)
{
	struct control *c = cl->c;
	struct evbuffer *out = bufferevent_get_output(cl->bev);
	size_t index;
	json_t *o;
	char *text;

	while (cl->streaming && evbuffer_get_length(out) < CONTROL_CHUNK) {
		if (cl->generation != watch_generation(c->watch)) {
			/* A reload: go on after the last target written. */
			cl->generation = watch_generation(c->watch);
			if (cl->last != NULL && watch_find(c->watch, cl->last,
			    &index) == 0)
				cl->next = index + 1;
			else if (cl->next > watch_ntargets(c->watch))
				cl->next = watch_ntargets(c->watch);
		}
		if (cl->next >= watch_ntargets(c->watch)) {
			evbuffer_add(out, CTLPROTO_LIST_SUFFIX,
			    strlen(CTLPROTO_LIST_SUFFIX));
			cl->streaming = 0;
			client_done(cl);
			return;
		}
		o = control_target_json(c, cl->next, cl->now, NULL);
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (text == NULL) {
			/* Cannot happen short of memory: end the document
			 * so that the client is not left waiting. */
			log_warnx("%s: cannot encode a target", __func__);
			cl->next = watch_ntargets(c->watch);
			continue;
		}
		if (cl->nwritten > 0)
			evbuffer_add(out, ",", 1);
		evbuffer_add(out, text, strlen(text));
		free(text);
		free(cl->last);
		cl->last = xstrdup(watch_config(c->watch)->targets[cl->next].name);
		cl->next++;
		cl->nwritten++;
	}
}

/* ---- commands ------------------------------------------------------------ */

static void
control_status(struct client *cl, const struct ctlproto_request *req)
{
	size_t index;

	if (req->target == NULL) {
		client_stream_start(cl);
		return;
	}
	if (control_find(cl, req->target, &index) == 0)
		client_ok(cl, json_pack("{s:[o]}", "targets",
		    control_target_json(cl->c, index, time(NULL), NULL)));
	client_done(cl);
}

static void
control_show(struct client *cl, const struct ctlproto_request *req)
{
	struct watch_view v;
	json_t *o, *names;
	size_t index;

	if (control_find(cl, req->target, &index) == -1) {
		client_done(cl);
		return;
	}
	o = control_target_json(cl->c, index, time(NULL), NULL);
	watch_view(cl->c->watch, index, &v);
	names = json_array();
	for (size_t i = 0; i < v.tc->names.n; i++)
		json_array_append_new(names, json_str_or_null(v.tc->names.v[i]));
	json_object_set_new(o, "config", json_pack("{s:i, s:o, s:s, s:o}",
	    "port", (int)v.tc->port, "names", names, "starttls",
	    starttls_name(v.tc->starttls), "contract_end",
	    v.tc->contract_end >= 0 ? json_day(v.tc->contract_end) :
	    json_null()));
	json_object_set_new(o, "watched", json_boolean(v.st != NULL));
	json_object_set_new(o, "probing", json_boolean(v.probing ||
	    v.queued));
	json_object_set_new(o, "next_probe", v.next_probe != 0 ?
	    json_time_utc(v.next_probe) : json_null());
	json_object_set_new(o, "failures", json_integer(v.failures));
	if (v.st != NULL) {
		json_object_set_new(o, "cycle", status_cycle_json(&v.st->cycle));
		json_object_set_new(o, "steps", status_steps_json(&v.st->cycle));
		json_object_set_new(o, "outage_since", v.st->outage_since != 0 ?
		    json_time_utc(v.st->outage_since) : json_null());
		json_object_set_new(o, "history", status_history_json(v.st));
	} else {
		struct cycle none;

		memset(&none, 0, sizeof(none));
		json_object_set_new(o, "cycle", json_null());
		json_object_set_new(o, "steps", status_steps_json(&none));
		json_object_set_new(o, "outage_since", json_null());
		json_object_set_new(o, "history", json_array());
	}
	client_ok(cl, o);
	client_done(cl);
}

static void
control_history(struct client *cl, const struct ctlproto_request *req)
{
	struct watch_view v;
	size_t index;

	if (control_find(cl, req->target, &index) == 0) {
		watch_view(cl->c->watch, index, &v);
		client_ok(cl, json_pack("{s:s, s:o}", "target", v.name,
		    "history", v.st != NULL ? status_history_json(v.st) :
		    json_array()));
	}
	client_done(cl);
}

static void
control_queue(struct client *cl, const struct ctlproto_request *req)
{
	struct queue_item *items;
	json_t *a;
	size_t n;

	(void)req;
	if (queue_list(cl->c->sink, &items, &n) == -1) {
		client_error(cl, CTLERR_INTERNAL, "the outbox cannot be read");
		client_done(cl);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct queue_item *q = &items[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:s, s:o, "
		    "s:o, s:o, s:i, s:o, s:b, s:o}", "id", q->id, "type",
		    q->type, "target", json_str_or_null(q->target), "kind",
		    notice_kind_name(q->kind), "subject",
		    json_str_or_null(q->subject), "due", json_time_jst(q->due),
		    "queued", json_time_utc(q->queued), "attempts",
		    (int)q->attempts, "next_attempt", q->next_attempt != 0 ?
		    json_time_utc(q->next_attempt) : json_null(), "failed",
		    q->failed, "last_error", json_str_or_null(q->last_error)));
	}
	queue_items_free(items, n);
	client_ok(cl, json_pack("{s:o}", "notices", a));
	client_done(cl);
}

static void
control_version(struct client *cl, const struct ctlproto_request *req)
{
	(void)req;
	client_ok(cl, json_pack("{s:s, s:s, s:i}", "program", "renewd",
	    "version", RENEWD_VERSION, "protocol", CTLPROTO_VERSION));
	client_done(cl);
}

static void
client_waiters_cancel(struct client *cl)
{
	for (size_t i = 0; i < cl->nwaiters; i++)
		watch_waiter_cancel(cl->waiters[i]);
	free(cl->waiters);
	cl->waiters = NULL;
	cl->nwaiters = cl->remaining = 0;
	free(cl->probed);
	cl->probed = NULL;
}

/* A probe a client waits for has ended (or its target went away). */
static void
control_probed(void *arg, size_t slot, int outcome)
{
	struct client *cl = arg;
	size_t index;

	cl->waiters[slot] = NULL;	/* the watch frees it */
	if (--cl->remaining > 0)
		return;
	free(cl->waiters);
	cl->waiters = NULL;
	cl->nwaiters = 0;
	if (cl->probed == NULL) {
		client_stream_start(cl);
		return;
	}
	if (outcome == WATCH_GONE || watch_find(cl->c->watch, cl->probed,
	    &index) != 0)
		client_error(cl, CTLERR_UNKNOWN_TARGET, "%s: removed from the "
		    "configuration before its probe ended", cl->probed);
	else
		client_ok(cl, json_pack("{s:[o]}", "targets",
		    control_target_json(cl->c, index, time(NULL), NULL)));
	free(cl->probed);
	cl->probed = NULL;
	client_done(cl);
}

static void
control_probe(struct client *cl, const struct ctlproto_request *req)
{
	struct control *c = cl->c;
	size_t index, n = watch_ntargets(c->watch), queued = 0;

	if (req->target != NULL) {
		if (control_find(cl, req->target, &index) == -1) {
			client_done(cl);
			return;
		}
		if (req->wait) {
			cl->waiters = xcalloc(1, sizeof(*cl->waiters));
			cl->probed = xstrdup(watch_config(c->watch)->
			    targets[index].name);
		}
		if (watch_probe_now(c->watch, index, req->wait ?
		    control_probed : NULL, cl, 0, req->wait ? &cl->waiters[0] :
		    NULL) == -1) {
			client_waiters_cancel(cl);
			client_error(cl, CTLERR_REFUSED, "%s: not watched: its "
			    "state file cannot be read", req->target);
			client_done(cl);
			return;
		}
		watch_probe_kick(c->watch);
		if (req->wait) {
			cl->nwaiters = cl->remaining = 1;
			return;
		}
		client_ok(cl, json_pack("{s:i}", "queued", 1));
		client_done(cl);
		return;
	}

	if (req->wait)
		cl->waiters = xcalloc(n > 0 ? n : 1, sizeof(*cl->waiters));
	for (index = 0; index < n; index++) {
		if (watch_probe_now(c->watch, index, req->wait ? control_probed :
		    NULL, cl, index, req->wait ? &cl->waiters[index] : NULL) ==
		    0)
			queued++;
	}
	watch_probe_kick(c->watch);
	log_info("control: a probe of every target (%zu) was asked for",
	    queued);
	if (!req->wait) {
		client_ok(cl, json_pack("{s:i}", "queued", (int)queued));
		client_done(cl);
		return;
	}
	cl->nwaiters = n;
	cl->remaining = queued;
	if (queued == 0) {
		free(cl->waiters);
		cl->waiters = NULL;
		cl->nwaiters = 0;
		client_stream_start(cl);
	}
}

static void
control_mark(struct client *cl, const struct ctlproto_request *req)
{
	struct watch_view v;
	char err[1024];
	size_t index;
	int changed;
	enum policy_mark m = req->step == CTLSTEP_ISSUED ?
	    POLICY_MARK_ISSUED : POLICY_MARK_APPLIED;

	if (control_find(cl, req->target, &index) == -1) {
		client_done(cl);
		return;
	}
	if (watch_mark(cl->c->watch, index, m, req->note, time(NULL),
	    &changed, err, sizeof(err)) == -1) {
		log_info("control: mark %s %s refused: %s",
		    watch_config(cl->c->watch)->targets[index].name,
		    req->step == CTLSTEP_ISSUED ? "issued" : "applied", err);
		client_error(cl, CTLERR_REFUSED, "%s", err);
		client_done(cl);
		return;
	}
	watch_view(cl->c->watch, index, &v);
	client_ok(cl, json_pack("{s:s, s:s, s:b, s:b, s:o}", "target", v.name,
	    "step", req->step == CTLSTEP_ISSUED ? "issued" : "applied",
	    "changed", changed, "saved", v.saved, "status",
	    control_target_json(cl->c, index, time(NULL), NULL)));
	client_done(cl);
}

static void
control_reset(struct client *cl, const struct ctlproto_request *req)
{
	struct watch_view v;
	char err[1024];
	size_t index;

	if (control_find(cl, req->target, &index) == -1) {
		client_done(cl);
		return;
	}
	if (watch_reset(cl->c->watch, index, req->note, time(NULL), err,
	    sizeof(err)) == -1) {
		client_error(cl, CTLERR_REFUSED, "%s", err);
		client_done(cl);
		return;
	}
	watch_view(cl->c->watch, index, &v);
	client_ok(cl, json_pack("{s:s, s:b, s:b, s:o}", "target", v.name,
	    "saved", v.saved, "probe_queued", 1, "status",
	    control_target_json(cl->c, index, time(NULL), NULL)));
	client_done(cl);
}

static void
control_reload(struct client *cl, const struct ctlproto_request *req)
{
	struct control *c = cl->c;
	struct strlist errors = { 0 };
	struct buf msg = { 0 };
	json_t *list, *root;
	char *text, *line;

	(void)req;
	log_info("control: reload asked for (uid %u)", (unsigned)cl->uid);
	if (c->reload(c->reload_arg, &errors) == 0) {
		const struct config *cfg = watch_config(c->watch);

		client_ok(cl, json_pack("{s:s, s:i}", "config", cfg->path,
		    "targets", (int)cfg->ntargets));
		strlist_free(&errors);
		client_done(cl);
		return;
	}
	/* An error with every message of the config, as one line each. */
	list = json_array();
	buf_printf(&msg, "the configuration has %zu error%s; the one in use "
	    "is kept", errors.n, errors.n == 1 ? "" : "s");
	for (size_t i = 0; i < errors.n; i++) {
		buf_printf(&msg, "\n%s", errors.v[i]);
		json_array_append_new(list, json_str_or_null(errors.v[i]));
	}
	root = json_pack("{s:i, s:b, s:{s:s, s:o, s:o}}", "v",
	    CTLPROTO_VERSION, "ok", 0, "error", "code",
	    ctlproto_error_word(CTLERR_REFUSED), "message",
	    json_str_or_null(msg.data), "errors", list);
	text = root != NULL ? json_dumps(root, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;
	line = text != NULL ? xasprintf("%s\n", text) : NULL;
	client_send(cl, line);
	free(text);
	json_decref(root);
	buf_free(&msg);
	strlist_free(&errors);
	client_done(cl);
}

/* The server's dispatch: the protocol's table (name, admin) plus a
 * handler, in the protocol's order. Every handler answers exactly once and
 * then calls client_done(), at once or when its answer is complete. */
static const struct control_cmd {
	/* cppcheck-suppress unusedStructMember ; each row's command, read
	 * by people: the table is indexed by it */
	enum ctlproto_cmd	 cmd;
	void			(*handler)(struct client *,
				    const struct ctlproto_request *);
} control_cmds[CTLCMD_COUNT] = {
	{ CTLCMD_STATUS, control_status },
	{ CTLCMD_SHOW, control_show },
	{ CTLCMD_HISTORY, control_history },
	{ CTLCMD_QUEUE, control_queue },
	{ CTLCMD_VERSION, control_version },
	{ CTLCMD_PROBE, control_probe },
	{ CTLCMD_MARK, control_mark },
	{ CTLCMD_RESET, control_reset },
	{ CTLCMD_RELOAD, control_reload },
};

/* ---- permissions --------------------------------------------------------- */

static void
control_admin_lookup(struct control *c)
{
	const struct config *cfg = watch_config(c->watch);
	const char *name = cfg->admin_group;
	struct group *gr;

	if (c->admin_group != NULL && strcmp(c->admin_group, name) == 0)
		return;
	free(c->admin_group);
	c->admin_group = xstrdup(name);
	c->admin_known = 0;
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		if (errno != 0)
			log_warn("admin_group %s", name);
		else
			log_warnx("admin_group %s does not exist: only root and "
			    "the daemon's user may mark, reset, probe and "
			    "reload", name);
		return;
	}
	c->admin_gid = gr->gr_gid;
	c->admin_known = 1;
}

static int
client_is_admin(struct client *cl)
{
	struct control *c = cl->c;

	if (cl->uid == 0 || cl->uid == c->self)
		return 1;
	control_admin_lookup(c);
	if (!c->admin_known)
		return 0;
	if (cl->gid == c->admin_gid)
		return 1;
	for (size_t i = 0; i < cl->ngroups; i++)
		if (cl->groups[i] == c->admin_gid)
			return 1;
	return 0;
}

/* ---- connections --------------------------------------------------------- */

static void
client_request(struct client *cl, const char *line, size_t len)
{
	const struct ctlproto_cmd_info *ci;
	struct ctlproto_request req;
	enum ctlproto_error e;
	char msg[512];

	cl->busy = 1;
	if ((e = ctlproto_request_decode(line, len, &req, msg,
	    sizeof(msg))) != CTLERR_NONE) {
		log_debug("control: uid %u: %s: %s", (unsigned)cl->uid,
		    ctlproto_error_word(e), msg);
		client_error(cl, e, "%s", msg);
		client_done(cl);
		return;
	}
	ci = ctlproto_cmd_info(req.cmd);
	if (log_getverbose()) {
		char *clean = req.target != NULL ? rd_sanitize(req.target,
		    strlen(req.target)) : NULL;

		log_debug("control: uid %u pid %d: %s%s%s", (unsigned)cl->uid,
		    (int)cl->pid, ci->name, clean != NULL ? " " : "",
		    clean != NULL ? clean : "");
		free(clean);
	}
	if (ci->admin && !client_is_admin(cl)) {
		log_info("control: %s refused to uid %u pid %d: not root, "
		    "the daemon's user or a member of admin_group %s",
		    ci->name, (unsigned)cl->uid, (int)cl->pid,
		    cl->c->admin_group);
		client_error(cl, CTLERR_NOT_PERMITTED, "%s: only root, the "
		    "daemon's user and members of admin_group %s may do "
		    "this", ci->name, cl->c->admin_group);
		client_done(cl);
	} else
		control_cmds[req.cmd].handler(cl, &req);
	ctlproto_request_free(&req);
}

/* After a complete request: the idle clock runs again, and the next
 * request is read once the answer is on its way. */
static void
client_done(struct client *cl)
{
	struct timeval tv = { CONTROL_IDLE, 0 };
	struct evbuffer *in = bufferevent_get_input(cl->bev);

	cl->busy = 0;
	if (cl->closing)
		return;
	if (evbuffer_get_length(in) > 0) {
		/* Another request may be waiting: read it from the loop,
		 * not from here (no recursion through pipelined requests). */
		bufferevent_trigger(cl->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	} else if (cl->eof) {
		/* Freed from the write callback, never under a caller that
		 * may still use cl (client_event_cb after client_next). */
		cl->closing = 1;
		if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
			bufferevent_trigger(cl->bev, EV_WRITE,
			    BEV_TRIG_IGNORE_WATERMARKS |
			    BEV_TRIG_DEFER_CALLBACKS);
		return;
	}
	if (!cl->eof)
		bufferevent_enable(cl->bev, EV_READ);
	evtimer_add(cl->idle, &tv);
}

/* Say why, and close once that is written. */
static void
client_close_with(struct client *cl, enum ctlproto_error e, const char *msg)
{
	client_send(cl, ctlproto_error(e, msg));
	bufferevent_disable(cl->bev, EV_READ);
	evtimer_del(cl->idle);
	cl->closing = 1;
}

/* Take the next complete request from the input, if any. */
static void
client_next(struct client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	struct evbuffer_ptr eol;
	size_t n;
	char *line;

	if (cl->busy || cl->closing)
		return;
	/* A client that does not read its answers is not served more. */
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) >=
	    CONTROL_CHUNK) {
		bufferevent_disable(cl->bev, EV_READ);
		return;
	}
	eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) > CTLPROTO_REQUEST_MAX + 1)
			client_close_with(cl, CTLERR_BAD_REQUEST, "the request "
			    "is longer than 65536 bytes");
		else if (cl->eof && evbuffer_get_length(in) > 0)
			client_close_with(cl, CTLERR_BAD_REQUEST, "the request "
			    "ends without a newline");
		return;
	}
	n = (size_t)eol.pos;
	if (n > CTLPROTO_REQUEST_MAX + 1) {
		client_close_with(cl, CTLERR_BAD_REQUEST, "the request is "
		    "longer than 65536 bytes");
		return;
	}
	evtimer_del(cl->idle);
	line = xmalloc(n + 1);
	if (evbuffer_remove(in, line, n) != (int)n ||
	    evbuffer_drain(in, 1) == -1) {
		free(line);
		client_close_with(cl, CTLERR_INTERNAL, "cannot read the "
		    "request");
		return;
	}
	line[n] = '\0';
	client_request(cl, line, n);
	free(line);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_next(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	if (cl->closing) {
		if (left == 0)
			client_free(cl);
		return;
	}
	if (cl->streaming)
		client_stream(cl);
	else if (!cl->busy && left < CONTROL_CHUNK / 2) {
		if (!cl->eof)
			bufferevent_enable(bev, EV_READ);
		client_next(cl);
	}
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client *cl = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		/* A client may shut down its side after its request: it
		 * still gets the answer. */
		cl->eof = 1;
		if (cl->busy || cl->closing)
			return;
		client_next(cl);
		if (cl->busy)
			return;
		if (!cl->closing)
			cl->closing = 1;
		if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
			client_free(cl);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: uid %u pid %d does not read its answer: "
		    "closed", (unsigned)cl->uid, (int)cl->pid);
	else if (what & BEV_EVENT_ERROR)
		log_debug("control: uid %u pid %d: %s", (unsigned)cl->uid,
		    (int)cl->pid, strerror(EVUTIL_SOCKET_ERROR()));
	client_free(cl);
}

static void
client_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	static const char msg[] = "{\"v\":1,\"ok\":false,\"error\":{\"code\":"
	    "\"bad-request\",\"message\":\"no complete request within "
	    "10 seconds\"}}\n";

	(void)fd;
	(void)what;
	log_debug("control: uid %u pid %d sent no complete request in %ds: "
	    "closed", (unsigned)cl->uid, (int)cl->pid, CONTROL_IDLE);
	/* One try, never waiting: the client may not be reading. */
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0 &&
	    write(bufferevent_getfd(cl->bev), msg, sizeof(msg) - 1) == -1)
		log_debug("control: %s", strerror(errno));
	client_free(cl);
}

static void
client_free(struct client *cl)
{
	struct control *c = cl->c;

	client_waiters_cancel(cl);
	TAILQ_REMOVE(&c->clients, cl, entry);
	c->nclients--;
	if (cl->idle != NULL)
		event_free(cl->idle);
	bufferevent_free(cl->bev);
	free(cl->groups);
	free(cl->last);
	free(cl);
}

/* The peer's supplementary groups as the kernel saw them at connect(). */
static void
client_groups(struct client *cl, int fd)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *g = xmalloc(len);

	for (;;) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
			break;
		if (errno == ERANGE && len > 0 &&
		    len <= CONTROL_GROUPS_MAX * sizeof(gid_t)) {
			g = xreallocarray(g, len, 1);
			continue;
		}
		log_debug("control: SO_PEERGROUPS: %s: only the primary "
		    "group counts", strerror(errno));
		len = 0;
		break;
	}
	cl->groups = g;
	cl->ngroups = len / sizeof(gid_t);
}

static void
client_new(struct control *c, int fd)
{
	struct timeval tv_idle = { CONTROL_IDLE, 0 };
	struct timeval tv_write = { CONTROL_WRITE_STALL, 0 };
	struct client *cl;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->c = c;
	cl->uid = cred.uid;
	cl->gid = cred.gid;
	cl->pid = cred.pid;
	client_groups(cl, fd);
	if ((cl->bev = bufferevent_socket_new(c->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("control: cannot make a buffer for a client");
		close(fd);
		free(cl->groups);
		free(cl);
		return;
	}
	if ((cl->idle = evtimer_new(c->base, client_idle_cb, cl)) == NULL) {
		log_warnx("control: cannot make a timer for a client");
		bufferevent_free(cl->bev);
		free(cl->groups);
		free(cl);
		return;
	}
	/* Before the probes (renewd.h); a loop without priorities (tests)
	 * has only this one. */
	(void)bufferevent_priority_set(cl->bev, RENEWD_PRIO_CONTROL);
	(void)event_priority_set(cl->idle, RENEWD_PRIO_CONTROL);
	TAILQ_INSERT_TAIL(&c->clients, cl, entry);
	c->nclients++;
	bufferevent_setcb(cl->bev, client_read_cb, client_write_cb,
	    client_event_cb, cl);
	/* Read no more than one request and its newline ahead. */
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CTLPROTO_REQUEST_MAX + 2);
	bufferevent_setwatermark(cl->bev, EV_WRITE, CONTROL_CHUNK / 2, 0);
	bufferevent_set_timeouts(cl->bev, NULL, &tv_write);
	bufferevent_enable(cl->bev, EV_READ);
	evtimer_add(cl->idle, &tv_idle);
	log_debug("control: client uid %u gid %u pid %d connected (%zu)",
	    (unsigned)cl->uid, (unsigned)cl->gid, (int)cl->pid, c->nclients);
}

/* Make room: close the oldest client that is not being answered. */
static int
control_evict(struct control *c)
{
	static const char msg[] = "{\"v\":1,\"ok\":false,\"error\":{\"code\":"
	    "\"busy\",\"message\":\"closed to make room for another "
	    "client\"}}\n";
	struct client *cl;

	TAILQ_FOREACH(cl, &c->clients, entry) {
		/* The analyzer loses TAILQ_REMOVE's write through tqe_prev
		 * to the head, and takes a freed client for the first. */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (cl->busy || cl->streaming || cl->nwaiters > 0 ||
		    evbuffer_get_length(bufferevent_get_output(cl->bev)) > 0)
			continue;
		log_debug("control: %zu clients: uid %u pid %d, idle, closed "
		    "to make room", c->nclients, (unsigned)cl->uid,
		    (int)cl->pid);
		if (write(bufferevent_getfd(cl->bev), msg, sizeof(msg) - 1) ==
		    -1)
			log_debug("control: %s", strerror(errno));
		client_free(cl);
		return 0;
	}
	return -1;
}

/* Out of file descriptors: stop accepting for a while. */
static void
control_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;

	(void)fd;
	(void)what;
	c->backing_off = 0;
	if (event_add(c->ev_accept, NULL) == -1)
		log_warnx("control: cannot watch the socket again");
}

static void
control_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	static const char busy[] = "{\"v\":1,\"ok\":false,\"error\":{\"code\":"
	    "\"busy\",\"message\":\"too many clients; try again later\"}}\n";
	struct control *c = arg;
	struct timeval tv = { CONTROL_BACKOFF, 0 };
	int fd;

	(void)what;
	for (int i = 0; i < CONTROL_ACCEPT_BATCH; i++) {
		/* cppcheck-suppress nullPointer ; accept4() takes NULL */
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
			case EINTR:
			case ECONNABORTED:
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				log_warn("control: accept (not accepting for "
				    "%ds)", CONTROL_BACKOFF);
				event_del(c->ev_accept);
				c->backing_off = 1;
				evtimer_add(c->ev_backoff, &tv);
				return;
			default:
				log_warn("control: accept");
				return;
			}
		}
		if (c->nclients >= CONTROL_CLIENTS_MAX &&
		    control_evict(c) == -1) {
			if (write(fd, busy, sizeof(busy) - 1) == -1)
				log_debug("control: %s", strerror(errno));
			close(fd);
			continue;
		}
		client_new(c, fd);
	}
}

/* ---- the socket ---------------------------------------------------------- */

/*
 * Is a renewd listening on `path`? 1 yes, 0 no (nothing there, or a stale
 * socket, which is removed), -1 on error (logged).
 */
static int
control_claim(const char *path, const struct sockaddr_un *sun)
{
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("control socket %s", path);
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		log_warnx("control socket %s: the file exists and is not a "
		    "socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		log_warnx("another renewd is running on %s", path);
		return 1;
	}
	close(fd);
	if (errno != ECONNREFUSED) {
		log_warn("control socket %s", path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("cannot remove the stale control socket %s", path);
		return -1;
	}
	log_info("removed a stale control socket %s", path);
	return 0;
}

static void
control_set_group(const char *path, const char *group)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(group)) == NULL) {
		if (errno != 0)
			log_warn("socket_group %s", group);
		else
			log_warnx("socket_group %s does not exist: the control "
			    "socket %s keeps the daemon's group", group, path);
		return;
	}
	if (chown(path, (uid_t)-1, gr->gr_gid) == -1)
		log_warn("cannot give the control socket %s to group %s",
		    path, group);
}

static struct control *control_make(struct event_base *, int, const char *,
		    int, dev_t, ino_t);

struct control *
control_new(struct event_base *base, const struct config *cfg)
{
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old;
	int fd;

	/* Socket activation (renewd.socket): systemd made, owns and removes
	 * the socket; use it as it is. */
	if ((fd = sdnotify_listen_fd()) != -1) {
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			log_warn("%s: the socket passed by systemd", __func__);
			return NULL;
		}
		log_info("control socket passed by systemd (%s in the "
		    "configuration is not used)", cfg->socket);
		return control_make(base, fd, cfg->socket, 1, 0, 0);
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (rd_strlcpy(sun.sun_path, cfg->socket, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket %s: the path is longer than %zu "
		    "bytes", cfg->socket, sizeof(sun.sun_path) - 1);
		return NULL;
	}
	if (control_claim(cfg->socket, &sun) != 0)
		return NULL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("%s: socket", __func__);
		return NULL;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("cannot bind the control socket %s", cfg->socket);
		umask(old);
		close(fd);
		return NULL;
	}
	umask(old);
	if (chmod(cfg->socket, 0660) == -1 || lstat(cfg->socket, &sb) == -1) {
		log_warn("control socket %s", cfg->socket);
		unlink(cfg->socket);
		close(fd);
		return NULL;
	}
	control_set_group(cfg->socket, cfg->socket_group);
	if (listen(fd, CONTROL_BACKLOG) == -1) {
		log_warn("control socket %s: listen", cfg->socket);
		unlink(cfg->socket);
		close(fd);
		return NULL;
	}

	return control_make(base, fd, cfg->socket, 0, sb.st_dev, sb.st_ino);
}

/* The control around a listening socket; `inherited`: systemd's, which is
 * never removed. */
static struct control *
control_make(struct event_base *base, int fd, const char *path,
    int inherited, dev_t dev, ino_t ino)
{
	struct control *c;

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->path = xstrdup(path);
	c->fd = fd;
	c->inherited = inherited;
	c->dev = dev;
	c->ino = ino;
	c->self = geteuid();
	TAILQ_INIT(&c->clients);
	if ((c->ev_accept = event_new(base, fd, EV_READ | EV_PERSIST,
	    control_accept_cb, c)) == NULL ||
	    (c->ev_backoff = evtimer_new(base, control_backoff_cb, c)) ==
	    NULL) {
		log_warnx("control: cannot make the socket's events");
		control_free(c);
		return NULL;
	}
	(void)event_priority_set(c->ev_accept, RENEWD_PRIO_CONTROL);
	log_debug("control socket %s ready", c->path);
	return c;
}

void
control_start(struct control *c, struct watch *w, struct sink *sink,
    control_reload_cb reload, void *arg)
{
	c->watch = w;
	c->sink = sink;
	c->reload = reload;
	c->reload_arg = arg;
	control_admin_lookup(c);
	if (event_add(c->ev_accept, NULL) == -1)
		log_warnx("control: cannot watch the socket %s", c->path);
}

void
control_free(struct control *c)
{
	struct client *cl;
	struct stat sb;

	if (c == NULL)
		return;
	/* As in control_evict(): TAILQ_REMOVE does update the head. */
	while ((cl = TAILQ_FIRST(&c->clients)) != NULL)
		client_free(cl);	/* NOLINT(clang-analyzer-unix.Malloc) */
	if (c->ev_accept != NULL)
		event_free(c->ev_accept);
	if (c->ev_backoff != NULL)
		event_free(c->ev_backoff);
	close(c->fd);
	/* Remove the file only if it is still ours (not a successor's, and
	 * not systemd's). */
	if (!c->inherited && lstat(c->path, &sb) == 0 && sb.st_dev == c->dev &&
	    sb.st_ino == c->ino && unlink(c->path) == -1)
		log_warn("cannot remove the control socket %s", c->path);
	free(c->admin_group);
	free(c->path);
	free(c);
}
