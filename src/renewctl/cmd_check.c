/*
 * cmd_check.c — the offline file checks: `check-csr` lints a CSR against
 * step 2 before it is pasted into the application, `check-bundle` checks
 * the certificate, intermediate and key before they are installed (step 5).
 * The files are read here; the checks themselves are csrcheck.c and
 * bundlecheck.c in the core.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundlecheck.h"
#include "check.h"
#include "csrcheck.h"
#include "fileio.h"
#include "inspect.h"
#include "renewctl.h"
#include "util.h"

#define CHECK_FILE_MAX		(1024 * 1024)
#define CHECK_CA_FILE_MAX	(16 * 1024 * 1024)

/* getopt_long() permutes: options may come after the file. */
#define CHECK_SHORTOPTS		":c:h"

/*
 * A whole file, or standard input for "-". NULL after writing why into err.
 */
static char *
check_read(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	struct buf b = { 0 };
	char chunk[8192];
	size_t n;
	char *data;

	if (strcmp(path, "-") != 0) {
		if ((data = file_read(path, max, lenp)) == NULL)
			snprintf(err, errlen, "%s: %s", path, errno == EFBIG ?
			    "too large" : strerror(errno));
		return data;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (b.len + n > max) {
			snprintf(err, errlen, "standard input: too large");
			buf_free(&b);
			return NULL;
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(stdin)) {
		snprintf(err, errlen, "standard input: %s", strerror(errno));
		buf_free(&b);
		return NULL;
	}
	*lenp = b.len;
	return buf_steal(&b);
}

static int
check_exit(const struct check_report *r)
{
	switch (check_worst(r)) {
	case CHECK_OK:
		return EXIT_OK;
	case CHECK_WARNING:
		return EXIT_WARNING;
	default:
		return EXIT_CRITICAL;
	}
}

/* The file cannot be read as what it should be: say why, exit 3. */
static int
check_unreadable(struct ctl *ctl, const struct ctl_cmd *cmd,
    struct check_view *v, const char *why)
{
	v->report = NULL;
	v->error = why;
	if (ctl->json)
		ctl->output->check(ctl, v);
	fprintf(stderr, "renewctl: %s: %s\n", cmd->name, why);
	return EXIT_UNKNOWN;
}

int
cmd_check_csr(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	enum { OPT_NAME = 0x200 };
	static const struct option longopts[] = {
		CTL_LONGOPTS,
		{ "name", required_argument, NULL, OPT_NAME },
		{ 0 },
	};
	struct check_view v;
	struct check_report r;
	char err[512], why[640], *data;
	size_t len = 0;
	int ch, rv;

	memset(&v, 0, sizeof(v));
	v.command = cmd->name;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, CHECK_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_NAME:
			if (*optarg == '\0')
				return ctl_usage_error(ctl, cmd,
				    "--name: an empty name");
			v.name = optarg;
			break;
		default:
			if ((rv = ctl_common_option(ctl, cmd, ch, argv)) !=
			    CTL_CONTINUE)
				return rv;
		}
	}
	if (optind >= argc)
		return ctl_usage_error(ctl, cmd, "no CSR file given");
	if (argc - optind > 1)
		return ctl_usage_error(ctl, cmd, "unexpected argument \"%s\"",
		    argv[optind + 1]);
	v.file = argv[optind];
	ctl_set_output(ctl);

	if ((data = check_read(v.file, CHECK_FILE_MAX, &len, err,
	    sizeof(err))) == NULL)
		return check_unreadable(ctl, cmd, &v, err);
	if (csrcheck_data(data, len, v.name, &r, err, sizeof(err)) == -1) {
		free(data);
		snprintf(why, sizeof(why), "%s: %s", v.file, err);
		return check_unreadable(ctl, cmd, &v, why);
	}
	free(data);
	v.report = &r;
	ctl->output->check(ctl, &v);
	rv = check_exit(&r);
	check_report_free(&r);
	return rv;
}

/* The trust store of --ca-file; NULL with *fatal set when it was named
 * explicitly and cannot be used, NULL alone when the default is missing. */
static X509_STORE *
check_trust(const char *path, int explicit, char *err, size_t errlen,
    int *fatal)
{
	X509_STORE *store;
	char msg[256];
	char *pem;
	size_t len = 0;

	*fatal = 0;
	if ((pem = check_read(path, CHECK_CA_FILE_MAX, &len, err,
	    errlen)) == NULL) {
		*fatal = explicit;
		return NULL;
	}
	store = inspect_store_from_pem(pem, len, msg, sizeof(msg));
	free(pem);
	if (store == NULL) {
		snprintf(err, errlen, "%s: %s", path, msg);
		*fatal = 1;
	}
	return store;
}

int
cmd_check_bundle(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	enum { OPT_CERT = 0x200, OPT_CHAIN, OPT_KEY, OPT_CA_FILE, OPT_NAME };
	static const struct option longopts[] = {
		CTL_LONGOPTS,
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "chain", required_argument, NULL, OPT_CHAIN },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ 0 },
	};
	struct check_view v;
	struct check_report r;
	struct bundle_pem in;
	struct bundle_args args;
	X509_STORE *trust = NULL;
	char err[512], why[640], *cert = NULL, *chain = NULL, *key = NULL;
	int ch, rv, fatal, ca_explicit = 0;

	memset(&v, 0, sizeof(v));
	memset(&in, 0, sizeof(in));
	v.command = cmd->name;
	v.ca_file = CHECK_CA_FILE_DEFAULT;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, CHECK_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_CERT:
			v.file = optarg;
			break;
		case OPT_CHAIN:
			v.chain = optarg;
			break;
		case OPT_KEY:
			v.key = optarg;
			break;
		case OPT_CA_FILE:
			v.ca_file = optarg;
			ca_explicit = 1;
			break;
		case OPT_NAME:
			if (*optarg == '\0')
				return ctl_usage_error(ctl, cmd,
				    "--name: an empty name");
			v.name = optarg;
			break;
		default:
			if ((rv = ctl_common_option(ctl, cmd, ch, argv)) !=
			    CTL_CONTINUE)
				return rv;
		}
	}
	if (optind < argc)
		return ctl_usage_error(ctl, cmd, "unexpected argument \"%s\"",
		    argv[optind]);
	if (v.file == NULL)
		return ctl_usage_error(ctl, cmd, "--cert is required");
	if (v.chain == NULL)
		return ctl_usage_error(ctl, cmd, "--chain is required");
	if (strcmp(v.file, "-") == 0 || strcmp(v.chain, "-") == 0 ||
	    (v.key != NULL && strcmp(v.key, "-") == 0) ||
	    strcmp(v.ca_file, "-") == 0)
		return ctl_usage_error(ctl, cmd, "files only, not standard "
		    "input");
	ctl_set_output(ctl);

	if ((cert = check_read(v.file, CHECK_FILE_MAX, &in.cert_len, err,
	    sizeof(err))) == NULL ||
	    (chain = check_read(v.chain, CHECK_FILE_MAX, &in.chain_len, err,
	    sizeof(err))) == NULL ||
	    (v.key != NULL && (key = check_read(v.key, CHECK_FILE_MAX,
	    &in.key_len, err, sizeof(err))) == NULL)) {
		rv = check_unreadable(ctl, cmd, &v, err);
		goto out;
	}
	trust = check_trust(v.ca_file, ca_explicit, err, sizeof(err), &fatal);
	if (fatal) {
		rv = check_unreadable(ctl, cmd, &v, err);
		goto out;
	}
	if (trust == NULL)
		v.ca_file = NULL;	/* the default is not there */
	in.cert = cert;
	in.chain = chain;
	in.key = key;
	args.trust = trust;
	args.name = v.name;
	args.now = time(NULL);
	if (bundlecheck_pem(&in, &args, &r, err, sizeof(err)) == -1) {
		snprintf(why, sizeof(why), "%s", err);
		rv = check_unreadable(ctl, cmd, &v, why);
		goto out;
	}
	v.report = &r;
	ctl->output->check(ctl, &v);
	rv = check_exit(&r);
	check_report_free(&r);
out:
	X509_STORE_free(trust);
	free(cert);
	free(chain);
	if (key != NULL) {
		explicit_bzero(key, in.key_len);
		free(key);
	}
	return rv;
}
