/*
 * config.h — renewd.conf as plain data (src/core/config.c parses a string,
 * src/common/config_file.c reads the file). See renewd.conf(5).
 *
 * Times: durations in seconds (poll_interval) or milliseconds (timeouts);
 * Japan dates as day numbers (days since 1970-01-01, see calendar.h); times
 * of day as minutes after midnight, Japan time.
 *
 * Optional text values that are not set are NULL (metrics_listen, webhook_url,
 * mail.username, mail.password_file, mail.ca_file); every other string is
 * always set.
 * Target names, `names` and `addresses` are normalised: host names in lower
 * case, IP literals in their inet_ntop form (IPv6 without brackets).
 * A parsed config is read-only: config_find_target relies on an index built
 * while parsing (it falls back to a linear search when ntargets changed).
 */
#ifndef RENEWD_CONFIG_H
#define RENEWD_CONFIG_H

#include <stdint.h>

#include "util.h"

#define CONFIG_DEFAULT_PATH	"/etc/renewd/renewd.conf"
#define CONFIG_MAX_SIZE		(16 * 1024 * 1024)	/* bytes per file */
#define CONFIG_LINE_MAX		16384			/* bytes per line */

enum starttls {
	STARTTLS_NONE,
	STARTTLS_SMTP,
	STARTTLS_IMAP,
	STARTTLS_POP3,
};

enum product {
	PRODUCT_SSL,
	PRODUCT_EV,
};

enum lang {
	LANG_EN,
	LANG_JA,
};

/* A reminder threshold: `value` days before the deadline, or, when `percent`
 * is set, `value` percent of the leaf's lifetime before it. */
struct threshold {
	int	value;
	int	percent;
};

/* The step-1 subject fields, UTF-8. In a certificate: NULL means absent. In
 * `expect`: NULL means not checked, "" means the field must be absent. */
struct subject_fields {
	char	*cn;
	char	*ou;
	char	*o;
	char	*l;
	char	*st;
	char	*c;
};

/* A yearly closed range, e.g. 12-29..01-03 (may wrap the new year). */
struct day_range {
	int	from_month, from_day;
	int	to_month, to_day;
};

/* The CA's maintenance window: the nth given weekday of every month, from
 * start_min (minutes after 00:00 JST) until end_min on the next day when
 * end_min <= start_min. nth == 0 means no maintenance window. */
struct maint_rule {
	int	nth;		/* 1..5, 0 = none */
	int	wday;		/* 0 = Sunday .. 6 = Saturday */
	int	start_min;
	int	end_min;
};

struct target_conf {
	char			*name;		/* the section's name: SNI, host check */
	int			 line;		/* where its section starts */
	uint16_t		 port;		/* 443, or 25/143/110 by starttls */
	struct strlist		 addresses;	/* IP literals to probe instead of DNS */
	struct strlist		 names;		/* names the leaf must cover; always
						 * includes `name` (first unless
						 * listed elsewhere) */
	enum starttls		 starttls;
	enum product		 product;
	int			 contract_end;	/* Japan day number, or -1 */
	int			 has_expect;	/* any field of expect given */
	struct subject_fields	 expect;
	struct strlist		 notify;
};

struct config_index;	/* private to config.c: target name -> index */

struct mail_conf {
	char		*url;		/* smtp://... or smtps://... */
	int		 require_tls;
	char		*from;
	struct strlist	 to;
	char		*username;	/* NULL: no SMTP AUTH */
	char		*password_file;	/* absolute, or NULL */
	char		*charset;	/* "utf-8" or "iso-2022-jp" */
	int64_t		 timeout_ms;
	char		*ca_file;	/* roots for the server's certificate,
					 * or NULL: the system's */
};

struct config {
	char			*path;

	/* [renewd] */
	char			*state_dir;
	char			*socket;
	char			*socket_group;
	char			*admin_group;
	int64_t			 poll_interval;		/* seconds */
	int			 concurrency;
	int64_t			 timeout_ms;
	char			*ca_file;
	struct strlist		 nameservers;		/* "ip", "ip:port", "[v6]:port"
							 * (port 53 is never written);
							 * empty: resolv.conf */
	char			*hosts_file;
	struct threshold	*thresholds;		/* as listed (>= 1) */
	size_t			 nthresholds;
	int			 remind_at;		/* minutes after 00:00 JST */
	enum lang		 lang;
	char			*metrics_listen;	/* "ip:port", "[v6]:port" or NULL */

	/* [ca] */
	struct maint_rule	 maintenance;
	int			 review_days_ssl;
	int			 review_days_ev;
	int			 install_days;
	struct day_range	*closed;
	size_t			 nclosed;

	/* [mail] */
	struct mail_conf	 mail;

	/* [webhook] */
	char			*webhook_url;		/* http(s)://..., or NULL */

	/* [target NAME] ... */
	struct target_conf	*targets;		/* in file order */
	size_t			 ntargets;

	struct config_index	*index;			/* for config_find_target */
};

/* A config holding every default (no targets, path NULL). Never NULL. */
struct config	*config_new(void);
/*
 * Parse `text` (the contents of `path`, used in messages) into `cfg`, which
 * holds defaults. Every problem is appended to `errors` as "PATH:LINE: what
 * is wrong (what was expected)"; parsing carries on to report them all.
 * Returns 0 when there were none, -1 otherwise (cfg is then only fit for
 * config_free). Sets cfg->path. Lines are at most CONFIG_LINE_MAX bytes,
 * UTF-8 without control characters; no continuation lines. Uses libinih,
 * whose settings are process-wide: not for concurrent use from threads.
 */
int		 config_parse(struct config *cfg, const char *path, const char *text,
		    struct strlist *errors);
/* The same for `len` bytes that may hold NUL bytes (reported as errors). */
int		 config_parse_len(struct config *cfg, const char *path,
		    const char *text, size_t len, struct strlist *errors);
void		 config_free(struct config *);
/* Normalised config text (every key, defaults included, no comments); the
 * result parses back to the same config, and dumps to the same text. */
char		*config_dump(const struct config *);
/* Every key with its type, default and a line of help, from the key table. */
char		*config_help(void);
/* The target of that name (case-insensitive; an IPv6 literal in the form
 * inet_ntop gives), or NULL. */
const struct target_conf *config_find_target(const struct config *, const char *);

const char	*starttls_name(enum starttls);
const char	*product_name(enum product);
const char	*lang_name(enum lang);

/*
 * Parsers for single values, shared with renewctl's options. 0 or -1.
 * Durations are one or more NUMBER UNIT groups with no spaces ("6h",
 * "1h30m"); a unit is required (a bare number is an error, so seconds and
 * milliseconds cannot be confused). Units: s m h d w, and for _ms also ms.
 * Times of day: H:MM or HH:MM, 00:00..23:59.
 */
int		 parse_duration(const char *, int64_t *seconds);	/* 90s 10m 6h 2d 1w */
int		 parse_duration_ms(const char *, int64_t *ms);		/* 500ms 10s 2m */
int		 parse_time_of_day(const char *, int *minutes);		/* HH:MM */
/* "192.0.2.1:53", "[2001:db8::1]:53", or, when default_port is nonzero, the
 * bare address; `host` gets the address without brackets. */
int		 parse_hostport(const char *, int default_port, char *host,
		    size_t hostlen, uint16_t *port);

/* src/common/config_file.c: read (at most CONFIG_MAX_SIZE bytes) and parse a
 * file. NULL on error, with the messages in `errors` ("PATH: cannot read:
 * REASON" or the parser's). */
struct config	*config_load(const char *path, struct strlist *errors);

#endif
