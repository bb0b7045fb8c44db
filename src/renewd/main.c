/*
 * main.c — renewd: command line, configuration, and the choice of mode
 * (the service, --once or -t).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "renewd.h"

#define OPT_JSON	0x100	/* --json has no short form */

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: renewd [-dhjtvV] [-c file] [--once [--json]]\n"
"\n"
"Watch TLS certificates under CA contracts so that none of them lapses.\n"
"Without --once or -t, run the service in the foreground: probe every\n"
"target on its schedule, mail the notifications that fall due, keep\n"
"each target's state in state_dir and answer renewctl on the control\n"
"socket. SIGHUP reloads the configuration, SIGTERM or SIGINT stops it.\n"
"\n"
"  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
"  -t, --test         check the configuration and exit (0 good, 1 bad);\n"
"                     with -v also print it, normalised\n"
"      --once         probe every target once, print a report and exit;\n"
"                     sends no mail and changes no state. Exit status:\n"
"                     0 OK, 1 warning, 2 critical, 3 unknown\n"
"      --json         with --once: print the Status JSON\n"
"  -d, --debug        log debug messages\n"
"  -j, --journal      log to the systemd journal with structured fields\n"
"                     (the default when stderr is the journal)\n"
"  -v, --verbose      more detail\n"
"  -h, --help         this help\n"
"  -V, --version      print the version\n"
"\n"
"See renewd(8) and renewd.conf(5).\n");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "debug",	no_argument,		NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "journal",	no_argument,		NULL, 'j' },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "once",	no_argument,		NULL, 'o' },
		{ "test",	no_argument,		NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	const char *path = CONFIG_DEFAULT_PATH;
	int ch, test = 0, once = 0, json = 0, verbose = 0, debug = 0, rc;
	int journal = 0;
	struct strlist errors = { 0 };
	struct config *cfg;

	while ((ch = getopt_long(argc, argv, "c:dhjtvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			journal = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("renewd %s\n", RENEWD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "renewd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (json && !once) {
		fprintf(stderr, "renewd: --json goes with --once\n");
		return 1;
	}
	log_init("renewd", debug ? 1 : 0);
	if (journal)
		log_set_journal(1);

	if ((cfg = config_load(path, &errors)) == NULL) {
		for (size_t i = 0; i < errors.n; i++)
			fprintf(stderr, "%s\n", errors.v[i]);
		strlist_free(&errors);
		/* For monitoring, a check that could not run is UNKNOWN. */
		return once ? 3 : 1;
	}
	strlist_free(&errors);

	if (test) {
		if (verbose) {
			char *dump = config_dump(cfg);

			fputs(dump, stdout);
			free(dump);
		} else
			fprintf(stderr, "renewd: configuration OK: %s, %zu "
			    "target%s\n", path, cfg->ntargets,
			    cfg->ntargets == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	if (once) {
		rc = once_run(cfg, json);
		config_free(cfg);
		return rc;
	}
	return daemon_run(path, cfg);
}
