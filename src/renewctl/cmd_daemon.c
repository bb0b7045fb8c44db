/*
 * cmd_daemon.c — the commands that ask the running daemon: status, show,
 * history, probe, mark, reset, reload, queue, and the daemon's half of
 * version. With --json each prints the daemon's result as it came; else
 * a view for people (daemon_human.c).
 *
 * Exit status: status, show and probe exit with the worst severity among
 * the targets shown, as `renewd --once` does (unknown counts as a warning
 * unless every target is unknown); the other commands 0 when done. An
 * answer that refuses (refused, not-permitted) exits 2; an unknown target,
 * a daemon out of reach or any other failure 3.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctlproto.h"
#include "log.h"
#include "renewctl.h"
#include "util.h"

#define CTL_TIMEOUT	60	/* seconds for an answer; probe waits on */

/* Options: the common ones, plus --all, --no-wait, --note TEXT where the
 * command takes them; then the positional arguments (at most `maxpos`). */
struct daemon_args {
	int		 all;
	int		 no_wait;
	const char	*note;
	char		*pos[3];
	int		 npos;
};

enum {
	OPT_ALL = 0x200,
	OPT_NO_WAIT,
	OPT_NOTE,
};

static int
daemon_args(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv, const char *takes, int minpos, int maxpos,
    struct daemon_args *a)
{
	static const struct option longopts[] = {
		CTL_LONGOPTS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ 0 },
	};
	int ch, rv;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	/* Options may follow the arguments: renewctl mark T applied --note X */
	while ((ch = getopt_long(argc, argv, &CTL_SHORTOPTS[1], longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ALL:
		case OPT_NO_WAIT:
		case OPT_NOTE:
			if (strchr(takes, ch == OPT_ALL ? 'a' :
			    ch == OPT_NO_WAIT ? 'w' : 'n') == NULL)
				return ctl_usage_error(ctl, cmd,
				    "unknown option %s", argv[optind - 1]);
			if (ch == OPT_ALL)
				a->all = 1;
			else if (ch == OPT_NO_WAIT)
				a->no_wait = 1;
			else
				a->note = optarg;
			break;
		default:
			if ((rv = ctl_common_option(ctl, cmd, ch, argv)) !=
			    CTL_CONTINUE)
				return rv;
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == maxpos)
			return ctl_usage_error(ctl, cmd,
			    "unexpected argument \"%s\"", argv[optind]);
		a->pos[a->npos++] = argv[optind];
	}
	if (a->npos < minpos)
		return ctl_usage_error(ctl, cmd, "%s",
		    minpos == 1 ? "a target is needed" :
		    "a target and a step are needed");
	if (a->note != NULL && (strlen(a->note) == 0 ||
	    strlen(a->note) > CTLPROTO_NOTE_MAX))
		return ctl_usage_error(ctl, cmd, "--note: 1 to %d bytes",
		    CTLPROTO_NOTE_MAX);
	for (int i = 0; i < a->npos && i < 1; i++)
		if (strlen(a->pos[i]) > CTLPROTO_TARGET_MAX)
			return ctl_usage_error(ctl, cmd, "the target name is "
			    "too long");
	ctl_set_output(ctl);
	return CTL_CONTINUE;
}

/* --json: the daemon's result, as it came, on one line. */
static void
daemon_print_json(struct ctl *ctl, json_t *result)
{
	if (json_dumpf(result, ctl->out, JSON_COMPACT | JSON_PRESERVE_ORDER)
	    == -1)
		log_warnx("cannot write JSON");
	fputc('\n', ctl->out);
}

/* The severity word of a Status JSON target, as an exit status. */
static int
daemon_severity(json_t *t)
{
	const char *s = json_string_value(json_object_get(t, "severity"));

	if (s == NULL)
		return EXIT_UNKNOWN;
	if (strcmp(s, "ok") == 0)
		return EXIT_OK;
	if (strcmp(s, "warning") == 0)
		return EXIT_WARNING;
	if (strcmp(s, "critical") == 0)
		return EXIT_CRITICAL;
	return EXIT_UNKNOWN;
}

/* Send the request; print an error answer. 0 with the result in resp, or
 * the exit status. */
static int
daemon_ask(struct ctl *ctl, const struct ctl_cmd *cmd,
    const struct ctlproto_request *req, int timeout,
    struct ctlproto_response *resp)
{
	int rv;

	if (ctl_call(ctl, req, timeout, resp) == -1)
		return EXIT_UNKNOWN;
	if (!resp->ok) {
		rv = ctl_daemon_error(ctl, cmd, resp);
		ctlproto_response_free(resp);
		return rv;
	}
	return EXIT_OK;
}

/* The result's "targets", or NULL after saying so. */
static json_t *
daemon_targets(const struct ctl_cmd *cmd, json_t *result)
{
	json_t *t = json_object_get(result, "targets");

	if (!json_is_array(t)) {
		fprintf(stderr, "renewctl: %s: the answer has no targets\n",
		    cmd->name);
		return NULL;
	}
	return t;
}

/*
 * A list of targets (status, probe), read as it arrives: --json prints each
 * target as it comes (the same line as the daemon's result), the table
 * keeps a small row per target. The exit status is the worst severity, as
 * renewd --once: unknown counts as a warning unless every target is
 * unknown (or there is none).
 */
struct daemon_list {
	struct ctl		*ctl;
	struct status_table	*table;		/* NULL with --json */
	size_t			 n;
	size_t			 unknown;
	int			 worst;
};

static void
daemon_list_item(void *arg, json_t *t)
{
	struct daemon_list *dl = arg;
	int s = daemon_severity(t);

	if (s == EXIT_UNKNOWN) {
		dl->unknown++;
		s = EXIT_WARNING;
	}
	if (s > dl->worst)
		dl->worst = s;
	if (dl->table != NULL)
		daemon_status_table_add(dl->ctl, dl->table, t);
	else {
		fputs(dl->n == 0 ? "{\"targets\":[" : ",", dl->ctl->out);
		if (json_dumpf(t, dl->ctl->out, JSON_COMPACT |
		    JSON_PRESERVE_ORDER) == -1)
			log_warnx("cannot write JSON");
	}
	dl->n++;
}

static int
daemon_ask_list(struct ctl *ctl, const struct ctl_cmd *cmd,
    const struct ctlproto_request *req, int timeout)
{
	struct ctlproto_response resp;
	struct daemon_list dl = { .ctl = ctl, .worst = EXIT_OK };
	int rv, failed;

	if (!ctl->json)
		dl.table = daemon_status_table_new();
	failed = ctl_call_list(ctl, req, timeout, daemon_list_item, &dl,
	    &resp) == -1;
	if (!failed && !resp.ok)
		rv = ctl_daemon_error(ctl, cmd, &resp);
	else if (failed || (resp.result != NULL &&
	    daemon_targets(cmd, resp.result) == NULL))
		rv = -1;
	else
		rv = dl.unknown == dl.n ? EXIT_UNKNOWN : dl.worst;
	if (rv == -1 || !resp.ok) {
		/* Nothing for a failed answer; a list cut short is left
		 * unterminated, so that no reader takes it for whole. */
		daemon_status_table_free(dl.table);
		if (dl.table == NULL && dl.n > 0)
			fputc('\n', ctl->out);
		rv = rv == -1 ? EXIT_UNKNOWN : rv;
	} else if (dl.table != NULL)
		daemon_status_table_print(ctl, dl.table);
	else
		fputs(dl.n == 0 ? "{\"targets\":[]}\n" : "]}\n", ctl->out);
	ctlproto_response_free(&resp);
	return rv;
}

int
cmd_status(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_STATUS };
	struct daemon_args a;
	int rv;

	if ((rv = daemon_args(ctl, cmd, argc, argv, "", 0, 1, &a)) !=
	    CTL_CONTINUE)
		return rv;
	req.target = a.pos[0];
	return daemon_ask_list(ctl, cmd, &req, CTL_TIMEOUT);
}

int
cmd_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_SHOW };
	struct ctlproto_response resp;
	struct daemon_args a;
	int rv;

	if ((rv = daemon_args(ctl, cmd, argc, argv, "", 1, 1, &a)) !=
	    CTL_CONTINUE)
		return rv;
	req.target = a.pos[0];
	if ((rv = daemon_ask(ctl, cmd, &req, CTL_TIMEOUT, &resp)) != EXIT_OK)
		return rv;
	if (ctl->json)
		daemon_print_json(ctl, resp.result);
	else
		daemon_human_show(ctl, resp.result);
	rv = daemon_severity(resp.result);
	ctlproto_response_free(&resp);
	return rv;
}

int
cmd_history(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_HISTORY };
	struct ctlproto_response resp;
	struct daemon_args a;
	int rv;

	if ((rv = daemon_args(ctl, cmd, argc, argv, "", 1, 1, &a)) !=
	    CTL_CONTINUE)
		return rv;
	req.target = a.pos[0];
	if ((rv = daemon_ask(ctl, cmd, &req, CTL_TIMEOUT, &resp)) != EXIT_OK)
		return rv;
	if (ctl->json)
		daemon_print_json(ctl, resp.result);
	else
		daemon_human_history(ctl, resp.result, 0);
	ctlproto_response_free(&resp);
	return EXIT_OK;
}

int
cmd_probe(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_PROBE };
	struct ctlproto_response resp;
	struct daemon_args a;
	int rv;

	if ((rv = daemon_args(ctl, cmd, argc, argv, "aw", 0, 1, &a)) !=
	    CTL_CONTINUE)
		return rv;
	if ((a.npos == 1) == a.all)
		return ctl_usage_error(ctl, cmd, "give a target or --all");
	req.target = a.pos[0];
	req.all = a.all;
	req.wait = !a.no_wait;
	if (req.wait)
		return daemon_ask_list(ctl, cmd, &req, 0);
	if ((rv = daemon_ask(ctl, cmd, &req, CTL_TIMEOUT, &resp)) != EXIT_OK)
		return rv;
	if (ctl->json)
		daemon_print_json(ctl, resp.result);
	else
		fprintf(ctl->out, "%lld probe%s queued.\n",
		    json_integer_value(json_object_get(resp.result, "queued")),
		    json_integer_value(json_object_get(resp.result,
		    "queued")) == 1 ? "" : "s");
	ctlproto_response_free(&resp);
	return EXIT_OK;
}

/* Ask for a change of a target's workflow (mark, reset) and print the
 * answer; a change the daemon could not save yet is a warning. */
static int
daemon_change(struct ctl *ctl, const struct ctl_cmd *cmd,
    const struct ctlproto_request *req, void (*human)(struct ctl *, json_t *))
{
	struct ctlproto_response resp;
	int rv;

	if ((rv = daemon_ask(ctl, cmd, req, CTL_TIMEOUT, &resp)) != EXIT_OK)
		return rv;
	if (ctl->json)
		daemon_print_json(ctl, resp.result);
	else
		human(ctl, resp.result);
	rv = json_is_false(json_object_get(resp.result, "saved")) ?
	    EXIT_WARNING : EXIT_OK;
	ctlproto_response_free(&resp);
	return rv;
}

int
cmd_mark(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_MARK };
	struct daemon_args a;
	int rv;

	if ((rv = daemon_args(ctl, cmd, argc, argv, "n", 2, 2, &a)) !=
	    CTL_CONTINUE)
		return rv;
	if (strcmp(a.pos[1], "applied") == 0)
		req.step = CTLSTEP_APPLIED;
	else if (strcmp(a.pos[1], "issued") == 0)
		req.step = CTLSTEP_ISSUED;
	else
		return ctl_usage_error(ctl, cmd, "the step is \"applied\" or "
		    "\"issued\", not \"%s\"", a.pos[1]);
	req.target = a.pos[0];
	req.note = (char *)a.note;
	return daemon_change(ctl, cmd, &req, daemon_human_mark);
}

int
cmd_reset(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_RESET };
	struct daemon_args a;
	int rv;

	if ((rv = daemon_args(ctl, cmd, argc, argv, "n", 1, 1, &a)) !=
	    CTL_CONTINUE)
		return rv;
	req.target = a.pos[0];
	req.note = (char *)a.note;
	return daemon_change(ctl, cmd, &req, daemon_human_reset);
}

/* A command without arguments whose answer is printed as JSON or by
 * `human`; 0 once the daemon has answered. */
static int
daemon_plain(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv, enum ctlproto_cmd which, void (*human)(struct ctl *, json_t *))
{
	struct ctlproto_request req = { .cmd = which };
	struct ctlproto_response resp;
	int rv;

	if ((rv = ctl_no_args(ctl, cmd, argc, argv)) != CTL_CONTINUE)
		return rv;
	ctl_set_output(ctl);
	if ((rv = daemon_ask(ctl, cmd, &req, CTL_TIMEOUT, &resp)) != EXIT_OK)
		return rv;
	if (ctl->json)
		daemon_print_json(ctl, resp.result);
	else
		human(ctl, resp.result);
	ctlproto_response_free(&resp);
	return EXIT_OK;
}

static void
daemon_human_reload(struct ctl *ctl, json_t *result)
{
	json_int_t n = json_integer_value(json_object_get(result, "targets"));

	fprintf(ctl->out, "renewd reloaded %s: %lld target%s.\n",
	    json_string_value(json_object_get(result, "config")), (long long)n,
	    n == 1 ? "" : "s");
}

static void
daemon_human_queue_result(struct ctl *ctl, json_t *result)
{
	daemon_human_queue(ctl, json_object_get(result, "notices"));
}

int
cmd_reload(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return daemon_plain(ctl, cmd, argc, argv, CTLCMD_RELOAD,
	    daemon_human_reload);
}

int
cmd_queue(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return daemon_plain(ctl, cmd, argc, argv, CTLCMD_QUEUE,
	    daemon_human_queue_result);
}

/*
 * renewctl's version, and the daemon's when one answers. It works without
 * a daemon (exit 0, a note on stderr): the client's version is the answer
 * asked for first.
 */
int
cmd_version(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctlproto_request req = { .cmd = CTLCMD_VERSION };
	struct ctlproto_response resp;
	json_t *root, *dv = NULL;
	const char *path;
	int fd, rv;

	if ((rv = ctl_no_args(ctl, cmd, argc, argv)) != CTL_CONTINUE)
		return rv;
	ctl_set_output(ctl);
	if ((path = ctl_socket_path(ctl)) != NULL &&
	    (fd = ctl_connect(ctl, 1)) != -1) {
		close(fd);
		if (ctl_call(ctl, &req, CTL_TIMEOUT, &resp) == 0) {
			if (resp.ok)
				dv = json_incref(resp.result);
			else
				(void)ctl_daemon_error(ctl, cmd, &resp);
			ctlproto_response_free(&resp);
		}
	} else if (path != NULL)
		fprintf(stderr, "renewctl: no renewd answers on %s\n", path);
	if (ctl->json) {
		root = json_pack("{s:s}", "version", RENEWD_VERSION);
		if (dv != NULL)
			json_object_set(root, "daemon", dv);
		daemon_print_json(ctl, root);
		json_decref(root);
	} else {
		ctl->output->version(ctl, RENEWD_VERSION);
		if (dv != NULL)
			fprintf(ctl->out, "renewd version %s (control "
			    "protocol %lld)\n", json_string_value(
			    json_object_get(dv, "version")),
			    json_integer_value(json_object_get(dv,
			    "protocol")));
	}
	json_decref(dv);
	return EXIT_OK;
}
