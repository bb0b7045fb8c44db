/*
 * renewctl.h — the control client: its command table, the per-command
 * handlers and the output backends (one per format).
 */
#ifndef RENEWCTL_H
#define RENEWCTL_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "calendar.h"
#include "check.h"
#include "config.h"

/* Exit status, as for `renewd --once` (the monitoring-plugins convention). */
#define EXIT_OK		0
#define EXIT_WARNING	1
#define EXIT_CRITICAL	2
#define EXIT_UNKNOWN	3	/* usage errors, bad config, no daemon, ... */

#define CTL_SOCKET_DEFAULT	"/run/renewd/renewd.sock"

struct ctl;

struct ctl_cmd {
	const char	*name;
	const char	*args;		/* synopsis of the arguments */
	const char	*help;		/* one line */
	const char	*details;	/* options, one per line; may be NULL */
	int		(*handler)(struct ctl *, const struct ctl_cmd *,
			    int, char **);
	int		 needs_daemon;
};

/* One reminder threshold resolved for a plan. */
struct plan_reminder {
	struct threshold th;
	int		 days;		/* before E; -1: no due time */
	time_t		 nominal;	/* remind_at on E - days */
	time_t		 due;		/* nominal, deferred out of a window */
};

struct plan {
	int			 expiry;
	enum product		 product;
	int			 lifetime;	/* days, 0 when not given */
	int			 apply_by;
	time_t			 apply_deadline;
	time_t			 lapse;
	int			 remind_at;
	const struct cal_rules	*rules;
	struct plan_reminder	*reminders;
	size_t			 nreminders;
};

#define CHECK_CA_FILE_DEFAULT	"/etc/ssl/certs/ca-certificates.crt"

/* What check-csr and check-bundle looked at, and what they found. */
struct check_view {
	const char			*command;	/* "check-csr", ... */
	const char			*file;		/* the CSR, or --cert */
	const char			*chain;		/* --chain, or NULL */
	const char			*key;		/* --key, or NULL */
	const char			*ca_file;	/* anchors used, or NULL */
	const char			*name;		/* --name, or NULL */
	const struct check_report	*report;	/* NULL: unreadable */
	const char			*error;		/* why, when unreadable */
};

/* An output format: every command prints through one of these. */
struct output {
	void	(*version)(struct ctl *, const char *);
	void	(*windows)(struct ctl *, const struct maint_rule *,
		    const struct window *, size_t, time_t after);
	void	(*plan)(struct ctl *, const struct plan *);
	void	(*check)(struct ctl *, const struct check_view *);
};

struct ctl {
	const char		*socket;	/* -s, or NULL: $RENEWD_SOCKET,
						 * -c's socket, the default */
	const char		*config_path;	/* -c, or NULL */
	int			 json;
	int			 color;
	enum lang		 lang;
	FILE			*out;
	const struct output	*output;
};

/* renewctl.c */
/* getopt_long() options every command takes: -c FILE, --json, -h/--help. */
#define CTL_OPT_JSON		0x100
#define CTL_SHORTOPTS		"+:c:s:h"
#define CTL_LONGOPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "socket", required_argument, NULL, 's' }, \
	{ "json", no_argument, NULL, CTL_OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }
#define CTL_CONTINUE		(-1)
/* Handle one of the common options or a getopt error: CTL_CONTINUE, or the
 * exit status to return at once. */
int	 ctl_common_option(struct ctl *, const struct ctl_cmd *, int ch,
	    char **argv);
/* Report a usage error for `cmd` on stderr; returns EXIT_UNKNOWN. */
int	 ctl_usage_error(struct ctl *, const struct ctl_cmd *, const char *,
	    ...) __attribute__((format(printf, 3, 4)));
void	 ctl_command_help(FILE *, const struct ctl_cmd *);
/* For commands with no options of their own: CTL_CONTINUE, or the exit
 * status to return at once. */
int	 ctl_no_args(struct ctl *, const struct ctl_cmd *, int, char **);
/* The config of -c (errors reported, NULL) or the defaults. */
struct config	*ctl_load_config(struct ctl *);
/* Pick the output backend once the options are known. */
void	 ctl_set_output(struct ctl *);

/* cmd_calendar.c */
int	 cmd_maintenance(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_plan(struct ctl *, const struct ctl_cmd *, int, char **);

/* cmd_check.c */
int	 cmd_check_csr(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_check_bundle(struct ctl *, const struct ctl_cmd *, int, char **);

/* client.c: the control socket. Each prints why it failed on stderr. */
struct ctlproto_request;
struct ctlproto_response;
/* -s, $RENEWD_SOCKET, -c's socket or the default; NULL: bad -c file. */
const char *ctl_socket_path(struct ctl *);
/* A connected socket, or -1 (said why, unless `quiet`). */
int	 ctl_connect(struct ctl *, int quiet);
/* One request and its answer (timeout_sec 0: wait as long as it takes).
 * 0, or -1: no answer (the exit status is then EXIT_UNKNOWN). */
int	 ctl_call(struct ctl *, const struct ctlproto_request *,
	    int timeout_sec, struct ctlproto_response *);
/* The same for an answer that lists targets (status, probe): each
 * target's object goes to `cb` as it arrives (borrowed), so that the whole
 * list is never held. 0 with resp->ok set and resp->result NULL (or the
 * result, when the daemon answered in another form), or resp->ok 0 and
 * the daemon's error; -1: no complete answer (said why; some targets may
 * have gone to cb). timeout_sec bounds the wait for each read. */
typedef void (*ctl_item_cb)(void *arg, json_t *target);
int	 ctl_call_list(struct ctl *, const struct ctlproto_request *,
	    int timeout_sec, ctl_item_cb, void *arg,
	    struct ctlproto_response *);
/* Print a daemon's error answer; its exit status (EXIT_CRITICAL for
 * refused and not-permitted, else EXIT_UNKNOWN). */
int	 ctl_daemon_error(struct ctl *, const struct ctl_cmd *,
	    const struct ctlproto_response *);

/* cmd_daemon.c: the commands that ask the daemon (status, show, history,
 * probe, mark, reset, reload, queue; version asks it too). */
int	 cmd_status(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_show(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_history(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_probe(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_mark(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_reset(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_reload(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_queue(struct ctl *, const struct ctl_cmd *, int, char **);
int	 cmd_version(struct ctl *, const struct ctl_cmd *, int, char **);

/* daemon_human.c: the daemon's answers for people. The JSON is the
 * daemon's result (see doc/PROTOCOL.md); text from certificates is made
 * safe for the terminal. */
/* status and probe: the table of targets, one at a time: _add each (the
 * JSON is not kept), then _print (sorts, prints and frees) or _free. */
struct status_table;
struct status_table *daemon_status_table_new(void);
void	 daemon_status_table_add(struct ctl *, struct status_table *,
	    json_t *target);
void	 daemon_status_table_print(struct ctl *, struct status_table *);
void	 daemon_status_table_free(struct status_table *);
void	 daemon_human_show(struct ctl *, json_t *target);
/* `last` > 0: only the last ones. */
void	 daemon_human_history(struct ctl *, json_t *result, size_t last);
void	 daemon_human_mark(struct ctl *, json_t *result);
void	 daemon_human_reset(struct ctl *, json_t *result);
void	 daemon_human_queue(struct ctl *, json_t *notices);

/* output.c */
extern const struct output output_human;
extern const struct output output_json;

#endif
