/*
 * renewctl.c — the control client's entry point: global options, the
 * command table (which also drives the help and the "ambiguous command"
 * errors), and dispatch.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "renewctl.h"
#include "term.h"
#include "util.h"

static int	cmd_help(struct ctl *, const struct ctl_cmd *, int, char **);

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", "[TARGET]", "show every target, or one, with its deadline",
	    "  -s SOCKET         the daemon's control socket\n", cmd_status, 1 },
	{ "show", "TARGET", "show everything known about one target",
	    "  -s SOCKET         the daemon's control socket\n", cmd_show, 1 },
	{ "history", "TARGET", "show a target's workflow history",
	    "  -s SOCKET         the daemon's control socket\n", cmd_history, 1 },
	{ "probe", "TARGET | --all [--no-wait]",
	    "probe now instead of waiting for the poll",
	    "  --all             every target\n"
	    "  --no-wait         queue the probe and return at once\n"
	    "  -s SOCKET         the daemon's control socket\n", cmd_probe, 1 },
	{ "mark", "TARGET applied|issued [--note TEXT]",
	    "record a renewal step done by hand",
	    "  --note TEXT       a line for the history (an order number, ...)\n"
	    "  -s SOCKET         the daemon's control socket\n", cmd_mark, 1 },
	{ "reset", "TARGET [--note TEXT]",
	    "start tracking a target afresh (after a lapse)",
	    "  --note TEXT       a line for the history\n"
	    "  -s SOCKET         the daemon's control socket\n", cmd_reset, 1 },
	{ "reload", "", "make the daemon read its config again",
	    "  -s SOCKET         the daemon's control socket\n", cmd_reload, 1 },
	{ "queue", "", "list the notifications waiting to be sent",
	    "  -s SOCKET         the daemon's control socket\n", cmd_queue, 1 },
	{ "maintenance", "[--after ISO-8601] [--count N]",
	    "list the CA's maintenance windows",
	    "  --after ISO-8601  windows ending after this time (default: now);\n"
	    "                    a bare date or time is Japan time\n"
	    "  --count N         how many windows (default 12, at most 1000)\n"
	    "  -c FILE           take the rule from FILE's [ca] maintenance\n",
	    cmd_maintenance, 0 },
	{ "plan", "--expiry YYYY-MM-DD [--product ssl|ev] [--lifetime DAYS]",
	    "reminders, apply-by date and lapse for an expiry date",
	    "  --expiry DATE     the deadline date E (Japan date)\n"
	    "  --product P       ssl (default) or ev: the CA's review days\n"
	    "  --lifetime DAYS   the leaf's lifetime: resolves thresholds given\n"
	    "                    as a percentage and skips day thresholds that\n"
	    "                    are not shorter than it\n"
	    "  -c FILE           thresholds, remind_at and [ca] from FILE\n"
	    "                    (default: the built-in defaults)\n",
	    cmd_plan, 0 },
	{ "check-csr", "FILE [--name HOST]",
	    "lint a certificate signing request (step 2)",
	    "  FILE              the CSR, PEM or DER; - reads standard input\n"
	    "  --name HOST       the CN must be this host name\n",
	    cmd_check_csr, 0 },
	{ "check-bundle",
	    "--cert F --chain F [--key F] [--ca-file F] [--name HOST]",
	    "check a certificate bundle before installing it (step 5)",
	    "  --cert F          the server certificate (PEM or DER)\n"
	    "  --chain F         the intermediate CA certificate (PEM): the\n"
	    "                    3-tier chain without cross-root\n"
	    "  --key F           the private key made with the CSR (PEM or\n"
	    "                    DER, not encrypted): must match the cert\n"
	    "  --ca-file F       trust anchors (default\n"
	    "                    " CHECK_CA_FILE_DEFAULT ")\n"
	    "  --name HOST       the certificate must cover this host name\n",
	    cmd_check_bundle, 0 },
	{ "version", "", "print the versions of renewctl and the daemon",
	    "  -s SOCKET         the daemon's control socket\n", cmd_version,
	    0 },
	{ "help", "[COMMAND]", "show this help, or a command's", NULL,
	    cmd_help, 0 },
};

static void
usage_all(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: renewctl [-s SOCKET] [-c FILE] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "Commands (any unambiguous prefix will do):\n");
	for (i = 0; i < nitems(ctl_cmds); i++)
		fprintf(f, "  %-13s %s\n", ctl_cmds[i].name, ctl_cmds[i].help);
	fprintf(f,
	    "\n"
	    "Options:\n"
	    "  -s SOCKET   the daemon's control socket (default: $RENEWD_SOCKET,\n"
	    "              else the -c file's socket, else %s)\n"
	    "  -c FILE     the config file, for commands that read it\n"
	    "  --json      print JSON for scripts instead of tables\n"
	    "  -h, --help  this help; `renewctl help COMMAND` for one command\n"
	    "\n"
	    "Times are shown in Japan time (JST, UTC+09:00) whatever TZ says.\n"
	    "Colour only on a terminal, never with NO_COLOR set.\n"
	    "\n"
	    "Exit status (as for `renewd --once`): 0 ok, 1 warning, 2 critical,\n"
	    "3 unknown. status, show and probe exit with the worst target's\n"
	    "severity, check-csr and check-bundle with the worst finding's;\n"
	    "other commands 0 when done. 2 also when the daemon refuses\n"
	    "(refused, not-permitted); 3 for a usage error, a bad config,\n"
	    "a file that cannot be read, an unknown target, or the daemon\n"
	    "out of reach.\n",
	    CTL_SOCKET_DEFAULT);
}

void
ctl_command_help(FILE *f, const struct ctl_cmd *cmd)
{
	/* cppcheck-suppress ctunullpointer ; main() answers -h itself before
	 * a command is known */
	fprintf(f, "usage: renewctl %s%s%s\n", cmd->name,
	    cmd->args[0] != '\0' ? " " : "", cmd->args);
	fprintf(f, "\n%c%s%s.\n", toupper((unsigned char)cmd->help[0]),
	    cmd->help + 1, cmd->needs_daemon ? " (asks the daemon)" : "");
	fprintf(f, "\nOptions:\n%s", cmd->details != NULL ? cmd->details : "");
	fprintf(f, "  --json            print JSON for scripts\n"
	    "  -h, --help        this help\n");
}

int
ctl_usage_error(struct ctl *ctl, const struct ctl_cmd *cmd, const char *fmt,
    ...)
{
	va_list ap;
	char *msg;

	(void)ctl;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (cmd != NULL) {
		fprintf(stderr, "renewctl: %s: %s\n", cmd->name, msg);
		fprintf(stderr, "usage: renewctl %s%s%s\n", cmd->name,
		    cmd->args[0] != '\0' ? " " : "", cmd->args);
	} else {
		fprintf(stderr, "renewctl: %s\n", msg);
		fprintf(stderr, "usage: renewctl [-s SOCKET] [-c FILE] [--json] "
		    "COMMAND [ARGS]\n"
		    "       renewctl --help\n");
	}
	free(msg);
	return EXIT_UNKNOWN;
}

int
ctl_common_option(struct ctl *ctl, const struct ctl_cmd *cmd, int ch,
    char **argv)
{
	switch (ch) {
	case 'c':
		ctl->config_path = optarg;
		return CTL_CONTINUE;
	case 's':
		ctl->socket = optarg;
		return CTL_CONTINUE;
	case CTL_OPT_JSON:
		ctl->json = 1;
		return CTL_CONTINUE;
	case 'h':
		ctl_command_help(stdout, cmd);
		return EXIT_OK;
	case ':':
		if (optopt != 0 && optopt < 0x100)
			return ctl_usage_error(ctl, cmd,
			    "option -%c needs an argument", optopt);
		return ctl_usage_error(ctl, cmd, "option %s needs an argument",
		    argv[optind - 1]);
	default:
		if (optopt != 0 && optopt < 0x100)
			return ctl_usage_error(ctl, cmd, "unknown option -%c",
			    optopt);
		return ctl_usage_error(ctl, cmd, "unknown option %s",
		    argv[optind - 1]);
	}
}

void
ctl_set_output(struct ctl *ctl)
{
	ctl->output = ctl->json ? &output_json : &output_human;
	ctl->color = !ctl->json && term_want_color(ctl->out);
}

struct config *
ctl_load_config(struct ctl *ctl)
{
	struct strlist errors = { 0 };
	struct config *cfg;
	size_t i;

	if (ctl->config_path == NULL)
		cfg = config_new();
	else if ((cfg = config_load(ctl->config_path, &errors)) == NULL) {
		for (i = 0; i < errors.n; i++)
			fprintf(stderr, "%s\n", errors.v[i]);
		if (errors.n == 0)
			fprintf(stderr, "renewctl: %s: cannot load the config\n",
			    ctl->config_path);
	}
	strlist_free(&errors);
	if (cfg != NULL)
		ctl->lang = cfg->lang;
	return cfg;
}

/*
 * The command named `word`: an exact name, or the one command it is a
 * prefix of. NULL after reporting "unknown" or "ambiguous".
 */
static const struct ctl_cmd *
ctl_lookup(struct ctl *ctl, const char *word)
{
	const struct ctl_cmd *match = NULL;
	struct buf names = { 0 };
	size_t i, len = strlen(word), n = 0;

	for (i = 0; i < nitems(ctl_cmds); i++)
		if (strcmp(ctl_cmds[i].name, word) == 0)
			return &ctl_cmds[i];
	for (i = 0; len > 0 && i < nitems(ctl_cmds); i++) {
		if (strncmp(ctl_cmds[i].name, word, len) != 0)
			continue;
		buf_printf(&names, "%s%s", n > 0 ? ", " : "",
		    ctl_cmds[i].name);
		match = &ctl_cmds[i];
		n++;
	}
	if (n == 1) {
		buf_free(&names);
		return match;
	}
	if (n == 0)
		ctl_usage_error(ctl, NULL, "unknown command \"%s\"", word);
	else
		ctl_usage_error(ctl, NULL,
		    "ambiguous command \"%s\": %s", word, names.data);
	buf_free(&names);
	return NULL;
}

/* Commands with no options of their own. */
int
ctl_no_args(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { CTL_LONGOPTS, { 0 } };
	int ch, rv;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, CTL_SHORTOPTS, longopts,
	    NULL)) != -1)
		if ((rv = ctl_common_option(ctl, cmd, ch, argv)) !=
		    CTL_CONTINUE)
			return rv;
	if (optind < argc)
		return ctl_usage_error(ctl, cmd, "unexpected argument \"%s\"",
		    argv[optind]);
	return CTL_CONTINUE;
}

static int
cmd_help(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	const struct ctl_cmd *which;

	if (argc > 2)
		return ctl_usage_error(ctl, cmd, "one command at a time");
	if (argc == 2 && strcmp(argv[1], "--help") != 0 &&
	    strcmp(argv[1], "-h") != 0) {
		if ((which = ctl_lookup(ctl, argv[1])) == NULL)
			return EXIT_UNKNOWN;
		ctl_command_help(stdout, which);
		return EXIT_OK;
	}
	usage_all(stdout);
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CTL_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ 0 },
	};
	struct ctl ctl;
	const struct ctl_cmd *cmd;
	int ch;

	log_init("renewctl", 0);
	memset(&ctl, 0, sizeof(ctl));
	ctl.socket = NULL;
	ctl.out = stdout;
	ctl.lang = LANG_EN;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:s:c:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			ctl.socket = optarg;
			break;
		case 'c':
			ctl.config_path = optarg;
			break;
		case CTL_OPT_JSON:
			ctl.json = 1;
			break;
		case 'h':
			usage_all(stdout);
			return EXIT_OK;
		case 'V':
			printf("renewctl version %s\n", RENEWD_VERSION);
			return EXIT_OK;
		default:
			return ctl_common_option(&ctl, NULL, ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return ctl_usage_error(&ctl, NULL, "no command given");
	if ((cmd = ctl_lookup(&ctl, argv[0])) == NULL)
		return EXIT_UNKNOWN;
	return cmd->handler(&ctl, cmd, argc, argv);
}
