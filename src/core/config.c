/*
 * config.c — renewd.conf as plain data.
 *
 * One table of keys (keys[] below) says, for every key: its section, type,
 * bounds, default, where it lives in struct config / struct target_conf and
 * a line of help. config_new() applies the defaults through the same value
 * parsers the file goes through, config_dump() prints every key through the
 * type's printer, and config_help() prints the table. Adding a key is one
 * line in the table (plus its field).
 *
 * inih splits "key = value" lines and strips comments; our line reader in
 * front of it counts lines (Debian's inih gives the handler no line number),
 * rejects overlong lines, control characters and invalid UTF-8 instead of
 * letting them through, and reads section headers itself, so that long target
 * names are not truncated and empty or repeated sections are seen.
 *
 * Pure: parses a string. Every problem becomes "PATH:LINE: what is wrong
 * (what was expected)" and parsing carries on.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "util.h"

_Static_assert(sizeof(enum starttls) == sizeof(int), "enum size");
_Static_assert(sizeof(enum product) == sizeof(int), "enum size");
_Static_assert(sizeof(enum lang) == sizeof(int), "enum size");

#define QUOTE_MAX	64	/* bytes of a value quoted in a message */
#define LIST_MAX	4096	/* items in one list value */

/* ---- the key table ------------------------------------------------------ */

enum csect {
	CS_RENEWD,
	CS_CA,
	CS_MAIL,
	CS_WEBHOOK,
	CS_TARGET,
	CS_NSECT
};

static const char *const csect_names[CS_NSECT] = {
	"renewd", "ca", "mail", "webhook", "target"
};

enum ctype {
	CT_PATH,		/* absolute path */
	CT_WORD,		/* text without white space: group, user */
	CT_DURATION,		/* int64_t seconds */
	CT_DURATION_MS,		/* int64_t milliseconds */
	CT_INT,			/* int */
	CT_PORT,		/* uint16_t; 0 = by starttls */
	CT_BOOL,		/* int, yes | no */
	CT_ENUM,		/* an enum: index into choices */
	CT_CHOICE,		/* char *, one of choices */
	CT_TIME,		/* int minutes after midnight */
	CT_THRESHOLDS,		/* struct threshold * + size_t */
	CT_NAMESERVERS,		/* strlist of ip[:port] */
	CT_HOSTPORT,		/* char *, ip:port */
	CT_MAINT,		/* struct maint_rule */
	CT_CLOSED,		/* struct day_range * + size_t */
	CT_URL,			/* char *, scheme from choices */
	CT_EMAIL,		/* char * */
	CT_EMAILS,		/* strlist */
	CT_ADDRESSES,		/* strlist of IP literals */
	CT_NAMES,		/* strlist of host names / IP literals */
	CT_DATE,		/* int Japan day number, -1 = none */
	CT_EXPECT,		/* struct subject_fields + int has_expect */
	CT_NTYPES
};

#define CK_EMPTY	0x01	/* an empty value is allowed (means "none") */

struct ckey {
	enum csect		 sect;
	const char		*name;
	enum ctype		 type;
	int			 flags;
	int64_t			 min, max;
	const char		*def;		/* default, as config text */
	size_t			 off;		/* field in config / target_conf */
	size_t			 off2;		/* its count / flag, when any */
	const char *const	*choices;	/* CT_ENUM, CT_CHOICE, CT_URL */
	const char		*help;
};

static const char *const lang_choices[] = { "en", "ja", NULL };
static const char *const starttls_choices[] = {
	"none", "smtp", "imap", "pop3", NULL
};
static const char *const product_choices[] = { "ssl", "ev", NULL };
static const char *const charset_choices[] = { "utf-8", "iso-2022-jp", NULL };
static const char *const mail_schemes[] = { "smtp://", "smtps://", NULL };
static const char *const webhook_schemes[] = { "http://", "https://", NULL };

#define G(f)		offsetof(struct config, f)
#define T(f)		offsetof(struct target_conf, f)
#define SEC		INT64_C(1)
#define MIN		(60 * SEC)
#define HOUR		(60 * MIN)
#define DAY		(24 * HOUR)
#define MS		INT64_C(1)
#define MS_SEC		(1000 * MS)

static const struct ckey keys[] = {
	{ CS_RENEWD, "state_dir", CT_PATH, 0, 0, 0, "/var/lib/renewd",
	  G(state_dir), 0, NULL,
	  "directory for target state, history and the mail outbox" },
	{ CS_RENEWD, "socket", CT_PATH, 0, 0, 0, "/run/renewd/renewd.sock",
	  G(socket), 0, NULL,
	  "the control socket renewctl talks to (mode 0660)" },
	{ CS_RENEWD, "socket_group", CT_WORD, 0, 0, 0, "renewd",
	  G(socket_group), 0, NULL,
	  "group that owns the socket: its members may read status" },
	{ CS_RENEWD, "admin_group", CT_WORD, 0, 0, 0, "renewd-admin",
	  G(admin_group), 0, NULL,
	  "group whose members may also mark, reset, probe and reload" },
	{ CS_RENEWD, "poll_interval", CT_DURATION, 0, 1 * SEC, 30 * DAY, "6h",
	  G(poll_interval), 0, NULL,
	  "how often each target is probed (with jitter)" },
	{ CS_RENEWD, "concurrency", CT_INT, 0, 1, 100000, "64",
	  G(concurrency), 0, NULL,
	  "probes in flight at once" },
	{ CS_RENEWD, "timeout", CT_DURATION_MS, 0, 10 * MS, 600 * MS_SEC, "10s",
	  G(timeout_ms), 0, NULL,
	  "connect + STARTTLS + handshake, per address" },
	{ CS_RENEWD, "ca_file", CT_PATH, 0, 0, 0,
	  "/etc/ssl/certs/ca-certificates.crt", G(ca_file), 0, NULL,
	  "trusted roots (PEM) that served chains are verified against" },
	{ CS_RENEWD, "nameservers", CT_NAMESERVERS, CK_EMPTY, 0, 0, "",
	  G(nameservers), 0, NULL,
	  "DNS servers as ip[:port], [v6]:port; empty: /etc/resolv.conf" },
	{ CS_RENEWD, "hosts_file", CT_PATH, 0, 0, 0, "/etc/hosts",
	  G(hosts_file), 0, NULL,
	  "hosts file consulted before DNS" },
	{ CS_RENEWD, "thresholds", CT_THRESHOLDS, 0, 0, 0, "90, 60, 45, 30, 15",
	  G(thresholds), G(nthresholds), NULL,
	  "reminders: days (1..3650) before the deadline, or N% (1..99) "
	  "of the leaf's lifetime" },
	{ CS_RENEWD, "remind_at", CT_TIME, 0, 0, 0, "09:00",
	  G(remind_at), 0, NULL,
	  "Japan time of day at which reminders are mailed (HH:MM)" },
	{ CS_RENEWD, "lang", CT_ENUM, 0, 0, 0, "en",
	  G(lang), 0, lang_choices,
	  "language of mail and webhook text (and holiday names in renewctl): en | ja" },
	{ CS_RENEWD, "metrics_listen", CT_HOSTPORT, CK_EMPTY, 0, 0, "",
	  G(metrics_listen), 0, NULL,
	  "ip:port serving Prometheus /metrics; empty: off" },

	{ CS_CA, "maintenance", CT_MAINT, 0, 0, 0, "4th-wed 20:00-08:00",
	  G(maintenance), 0, NULL,
	  "the CA's monthly window (Japan time), e.g. 4th-wed 20:00-08:00, "
	  "or none" },
	{ CS_CA, "review_days_ssl", CT_INT, 0, 0, 365, "5",
	  G(review_days_ssl), 0, NULL,
	  "worst-case business days from application to issue (ssl)" },
	{ CS_CA, "review_days_ev", CT_INT, 0, 0, 365, "10",
	  G(review_days_ev), 0, NULL,
	  "worst-case business days from application to issue (ev)" },
	{ CS_CA, "install_days", CT_INT, 0, 0, 365, "1",
	  G(install_days), 0, NULL,
	  "business days kept for download and install" },
	{ CS_CA, "closed", CT_CLOSED, CK_EMPTY, 0, 0, "12-29..01-03",
	  G(closed), G(nclosed), NULL,
	  "yearly closed days (MM-DD..MM-DD, comma-separated) besides "
	  "weekends and holidays" },

	{ CS_MAIL, "url", CT_URL, 0, 0, 0, "smtp://127.0.0.1:25",
	  G(mail.url), 0, mail_schemes,
	  "smtp:// (STARTTLS when offered) or smtps://" },
	{ CS_MAIL, "require_tls", CT_BOOL, 0, 0, 0, "no",
	  G(mail.require_tls), 0, NULL,
	  "yes: never send mail over an unencrypted connection" },
	{ CS_MAIL, "from", CT_EMAIL, 0, 0, 0, "renewd@localhost",
	  G(mail.from), 0, NULL,
	  "sender address (set it: the default suits a local MTA only)" },
	{ CS_MAIL, "to", CT_EMAILS, CK_EMPTY, 0, 0, "",
	  G(mail.to), 0, NULL,
	  "default recipients, comma-separated (group addresses)" },
	{ CS_MAIL, "username", CT_WORD, CK_EMPTY, 0, 0, "",
	  G(mail.username), 0, NULL,
	  "SMTP AUTH user; empty: no authentication" },
	{ CS_MAIL, "password_file", CT_PATH, CK_EMPTY, 0, 0, "",
	  G(mail.password_file), 0, NULL,
	  "file holding the SMTP AUTH password (absolute path)" },
	{ CS_MAIL, "charset", CT_CHOICE, 0, 0, 0, "utf-8",
	  G(mail.charset), 0, charset_choices,
	  "mail body charset: utf-8 | iso-2022-jp" },
	{ CS_MAIL, "timeout", CT_DURATION_MS, 0, 10 * MS, 600 * MS_SEC, "30s",
	  G(mail.timeout_ms), 0, NULL,
	  "per SMTP transaction" },
	{ CS_MAIL, "ca_file", CT_PATH, CK_EMPTY, 0, 0, "",
	  G(mail.ca_file), 0, NULL,
	  "roots (PEM) the mail server's certificate is verified against; "
	  "empty: the system's" },

	{ CS_WEBHOOK, "url", CT_URL, CK_EMPTY, 0, 0, "",
	  G(webhook_url), 0, webhook_schemes,
	  "http:// or https:// URL notifications are also POSTed to; "
	  "empty: off" },

	{ CS_TARGET, "port", CT_PORT, CK_EMPTY, 1, 65535, NULL,
	  T(port), 0, NULL,
	  "TCP port; default 443, or 25 / 143 / 110 with starttls "
	  "smtp / imap / pop3" },
	{ CS_TARGET, "addresses", CT_ADDRESSES, CK_EMPTY, 0, 0, "",
	  T(addresses), 0, NULL,
	  "IP addresses to probe instead of the DNS answer (comma-separated)" },
	{ CS_TARGET, "names", CT_NAMES, CK_EMPTY, 0, 0, "",
	  T(names), 0, NULL,
	  "names the certificate must cover; the target's own name is "
	  "always one" },
	{ CS_TARGET, "starttls", CT_ENUM, 0, 0, 0, "none",
	  T(starttls), 0, starttls_choices,
	  "none | smtp | imap | pop3" },
	{ CS_TARGET, "product", CT_ENUM, 0, 0, 0, "ssl",
	  T(product), 0, product_choices,
	  "the CA product: ssl | ev (sets the review days)" },
	{ CS_TARGET, "contract_end", CT_DATE, CK_EMPTY, 0, 0, "",
	  T(contract_end), 0, NULL,
	  "YYYY-MM-DD deadline instead of the leaf's notAfter; empty: none" },
	{ CS_TARGET, "expect", CT_EXPECT, CK_EMPTY, 0, 0, "",
	  T(expect), T(has_expect), NULL,
	  "subject the leaf must carry: CN=, OU=, O=, L=, ST=, C= "
	  "(comma-separated, \\, for a comma; OU= means absent)" },
	{ CS_TARGET, "notify", CT_EMAILS, CK_EMPTY, 0, 0, "",
	  T(notify), 0, NULL,
	  "recipients added to [mail] to for this target" },
};

#define NKEYS	nitems(keys)

/* ---- small helpers ------------------------------------------------------ */

static void *
field(void *base, size_t off)
{
	return (char *)base + off;
}

static const void *
cfield(const void *base, size_t off)
{
	return (const char *)base + off;
}

static int
get_int(const void *base, size_t off)
{
	int v;

	memcpy(&v, cfield(base, off), sizeof(v));
	return v;
}

static void
set_int(void *base, size_t off, int v)
{
	memcpy(field(base, off), &v, sizeof(v));
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t';
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)to_lower((unsigned char)*s);
}

/* A value for a message: at most QUOTE_MAX bytes (cut at a character
 * boundary), control characters shown as '?'. */
static const char *
quote(char *q, size_t len, const char *v)
{
	size_t i = 0, n = 0;

	while (v[i] != '\0' && n + 4 < len) {
		unsigned char c = (unsigned char)v[i];

		if (i >= QUOTE_MAX && (c & 0xc0) != 0x80) {
			memcpy(q + n, "...", 3);
			n += 3;
			break;
		}
		q[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		i++;
	}
	q[n] = '\0';
	return q;
}

#define QBUF	(QUOTE_MAX + 8)

static int
fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal digits only, at most `max`. */
static int
parse_uint(const char *s, size_t len, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		if (v > (max - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Split a comma-separated list into trimmed items. An empty item (",,", a
 * trailing comma) is an error; an empty or blank value is the empty list.
 */
static int
split_list(const char *v, struct strlist *out, char **err)
{
	const char *p = v;

	while (is_space((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *s = p;

		while (len > 0 && is_space((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len > 0 && is_space((unsigned char)s[len - 1]))
			len--;
		if (len == 0) {
			strlist_free(out);
			return fail(err, "empty item in the list "
			    "(comma-separated values expected)");
		}
		if (out->n >= LIST_MAX) {
			strlist_free(out);
			return fail(err, "too many items in the list "
			    "(at most %d expected)", LIST_MAX);
		}
		strlist_add_owned(out, xstrndup(s, len));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

/* A duplicate in a list of normalised items, or NULL. Lists are short. */
static const char *
list_duplicate(const struct strlist *l)
{
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->v[i], l->v[j]) == 0)
				return l->v[i];
	return NULL;
}

/* ---- dates -------------------------------------------------------------- */

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && is_leap(y))
		return 29;
	return mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1). */
static int
ymd_to_days(int y, int m, int d)
{
	int era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
days_to_ymd(int days, int *y, int *m, int *d)
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int
two_digits(const char *s, int *v)
{
	if (!is_digit((unsigned char)s[0]) || !is_digit((unsigned char)s[1]))
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

/* "MM-DD" (Feb 29 allowed) in exactly 5 bytes. */
static int
parse_month_day(const char *s, size_t len, int *m, int *d)
{
	if (len != 5 || s[2] != '-' || two_digits(s, m) == -1 ||
	    two_digits(s + 3, d) == -1)
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > month_days(2000, *m))
		return -1;
	return 0;
}

/* "YYYY-MM-DD", a real date in 1970..9999. */
static int
parse_date(const char *s, int *days)
{
	int y, c, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    two_digits(s, &c) == -1 || two_digits(s + 2, &y) == -1 ||
	    two_digits(s + 5, &m) == -1 || two_digits(s + 8, &d) == -1)
		return -1;
	y += c * 100;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	*days = ymd_to_days(y, m, d);
	return 0;
}

/* ---- single values (public) -------------------------------------------- */

struct unit {
	const char	*name;
	int64_t		 mult;
};

/* Largest first: the printer picks the first one that divides. */
static const struct unit units_s[] = {
	{ "w", 7 * DAY }, { "d", DAY }, { "h", HOUR }, { "m", MIN },
	{ "s", SEC }, { NULL, 0 }
};
static const struct unit units_ms[] = {
	{ "w", 7 * DAY * 1000 }, { "d", DAY * 1000 }, { "h", HOUR * 1000 },
	{ "m", MIN * 1000 }, { "s", MS_SEC }, { "ms", MS }, { NULL, 0 }
};

/*
 * One or more NUMBER UNIT groups ("6h", "1h30m"); the unit is required, so
 * seconds and milliseconds are never confused.
 */
static int
duration_parse(const char *s, const struct unit *units, int64_t *out)
{
	int64_t total = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		const char *num = s, *u;
		int64_t v;
		size_t ulen;
		const struct unit *un;

		while (is_digit((unsigned char)*s))
			s++;
		if (parse_uint(num, (size_t)(s - num), INT64_MAX, &v) == -1)
			return -1;
		u = s;
		while (is_alpha((unsigned char)*s))
			s++;
		ulen = (size_t)(s - u);
		for (un = units; un->name != NULL; un++)
			if (strlen(un->name) == ulen &&
			    memcmp(un->name, u, ulen) == 0)
				break;
		if (un->name == NULL)
			return -1;
		if (v > (INT64_MAX - total) / un->mult)
			return -1;
		total += v * un->mult;
	}
	*out = total;
	return 0;
}

static void
duration_print(struct buf *b, int64_t v, const struct unit *units)
{
	const struct unit *un;

	for (un = units; un->name != NULL; un++)
		if (v != 0 && v % un->mult == 0)
			break;
	if (un->name == NULL)
		for (un = units; un[1].name != NULL; un++)
			;	/* the smallest unit */
	buf_printf(b, "%lld%s", (long long)(v / un->mult), un->name);
}

int
parse_duration(const char *s, int64_t *seconds)
{
	return duration_parse(s, units_s, seconds);
}

int
parse_duration_ms(const char *s, int64_t *ms)
{
	return duration_parse(s, units_ms, ms);
}

int
parse_time_of_day(const char *s, int *minutes)
{
	size_t hlen;
	int64_t h;
	int m;

	for (hlen = 0; is_digit((unsigned char)s[hlen]); hlen++)
		;
	if (hlen < 1 || hlen > 2 || s[hlen] != ':' ||
	    parse_uint(s, hlen, 99, &h) == -1 ||
	    two_digits(s + hlen + 1, &m) == -1 || s[hlen + 3] != '\0')
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*minutes = (int)h * 60 + m;
	return 0;
}

/* An IP literal in its inet_ntop form, or -1. */
static int
ip_normalise(const char *s, char *out, size_t outlen)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)outlen) ? 0 : -1;
	return -1;
}

int
parse_hostport(const char *s, int default_port, char *host, size_t hostlen,
    uint16_t *port)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *p, *end;
	size_t alen;
	int64_t v;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		p = end[1] == ':' ? end + 2 : (end[1] == '\0' ? NULL : s);
		if (p == s)
			return -1;
		s++;
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':')) {
		end = s + strlen(s);	/* a bare IPv6 address */
		p = NULL;
	} else {
		p = end ? end + 1 : NULL;
		if (end == NULL)
			end = s + strlen(s);
	}
	alen = (size_t)(end - s);
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (p == NULL) {
		if (default_port <= 0 || default_port > 65535)
			return -1;
		v = default_port;
	} else if (parse_uint(p, strlen(p), 65535, &v) == -1 || v == 0)
		return -1;
	if (ip_normalise(addr, host, hostlen) == -1)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

const char *
starttls_name(enum starttls s)
{
	if ((unsigned int)s < nitems(starttls_choices) - 1)
		return starttls_choices[s];
	return "?";
}

const char *
product_name(enum product p)
{
	if ((unsigned int)p < nitems(product_choices) - 1)
		return product_choices[p];
	return "?";
}

const char *
lang_name(enum lang l)
{
	if ((unsigned int)l < nitems(lang_choices) - 1)
		return lang_choices[l];
	return "?";
}

/* ---- names and addresses ------------------------------------------------ */

/* A DNS host name: LDH (and '_') labels of 1..63, at most 253 bytes, the
 * last label not all digits. */
static int
hostname_ok(const char *s)
{
	size_t len = strlen(s), label = 0;
	int digits = 1;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		int c = (unsigned char)s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			if (c == '\0')
				break;
			label = 0;
			digits = 1;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (!is_digit(c))
			digits = 0;
		label++;
	}
	return !digits;
}

/* A host name (lowercased) or an IP literal (inet_ntop form), or NULL. */
static char *
host_normalise(const char *s)
{
	char ip[INET6_ADDRSTRLEN + 1];
	char *h;

	if (ip_normalise(s, ip, sizeof(ip)) == 0)
		return xstrdup(ip);
	if (!hostname_ok(s))
		return NULL;
	h = xstrdup(s);
	str_lower(h);
	return h;
}

/* local@domain: a dot-atom local part, a host name as the domain. */
static int
email_ok(const char *s)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *at = strchr(s, '@');
	size_t llen;

	if (at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	llen = (size_t)(at - s);
	if (llen == 0 || llen > 64 || s[0] == '.' || at[-1] == '.')
		return 0;
	for (size_t i = 0; i < llen; i++) {
		int c = (unsigned char)s[i];

		if (c == '.' && s[i + 1] == '.')
			return 0;
		if (!is_alpha(c) && !is_digit(c) && c != '.' &&
		    strchr(atext, c) == NULL)
			return 0;
	}
	return hostname_ok(at + 1);
}

/* ---- value types -------------------------------------------------------- */

struct ctype_ops {
	const char	*expected;	/* what a good value looks like */
	int		(*parse)(const struct ckey *, void *, const char *,
			    char **);
	void		(*print)(const struct ckey *, const void *,
			    struct buf *);
	void		(*release)(const struct ckey *, void *);
};

static void
release_str(const struct ckey *k, void *base)
{
	char **p = field(base, k->off);

	free(*p);
	*p = NULL;
}

static void
release_list(const struct ckey *k, void *base)
{
	strlist_free(field(base, k->off));
}

static void
release_none(const struct ckey *k, void *base)
{
	(void)k;
	(void)base;
}

static void
set_str(const struct ckey *k, void *base, char *v)
{
	release_str(k, base);
	*(char **)field(base, k->off) = v;
}

static void
set_list(const struct ckey *k, void *base, const struct strlist *l)
{
	struct strlist *dst = field(base, k->off);

	strlist_free(dst);
	*dst = *l;
}

static void
print_str(const struct ckey *k, const void *base, struct buf *b)
{
	const char *s = *(char *const *)cfield(base, k->off);

	if (s != NULL)
		buf_adds(b, s);
}

static void
print_list(const struct ckey *k, const void *base, struct buf *b)
{
	const struct strlist *l = cfield(base, k->off);

	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		buf_adds(b, l->v[i]);
	}
}

/* path: absolute */
static int
parse_path(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];

	if (*v == '\0') {
		set_str(k, base, NULL);
		return 0;
	}
	if (v[0] != '/')
		return fail(err, "'%s' is not an absolute path "
		    "(a path starting with / expected)", quote(q, sizeof(q), v));
	set_str(k, base, xstrdup(v));
	return 0;
}

/* word: group or user names */
static int
parse_word(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];

	if (*v == '\0') {
		set_str(k, base, NULL);
		return 0;
	}
	for (const char *p = v; *p != '\0'; p++)
		if (is_space((unsigned char)*p) || *p == ',')
			return fail(err, "'%s' contains a space or a comma "
			    "(a single name expected)", quote(q, sizeof(q), v));
	set_str(k, base, xstrdup(v));
	return 0;
}

static int
parse_dur_common(const struct ckey *k, void *base, const char *v,
    char **err, const struct unit *units, const char *example)
{
	struct buf lo = { 0 }, hi = { 0 };
	char q[QBUF];
	int64_t d;
	int rc;

	if (duration_parse(v, units, &d) == -1)
		return fail(err, "'%s' is not a duration (a number and a unit, "
		    "%s, expected)", quote(q, sizeof(q), v), example);
	if (d < k->min || d > k->max) {
		duration_print(&lo, k->min, units);
		duration_print(&hi, k->max, units);
		rc = fail(err, "%s is out of range (%s..%s expected)",
		    quote(q, sizeof(q), v), lo.data, hi.data);
		buf_free(&lo);
		buf_free(&hi);
		return rc;
	}
	*(int64_t *)field(base, k->off) = d;
	return 0;
}

static int
parse_dur(const struct ckey *k, void *base, const char *v, char **err)
{
	return parse_dur_common(k, base, v, err, units_s,
	    "e.g. 90s, 10m, 6h, 2d, 1w");
}

static void
print_dur(const struct ckey *k, const void *base, struct buf *b)
{
	duration_print(b, *(const int64_t *)cfield(base, k->off), units_s);
}

static int
parse_dur_ms(const struct ckey *k, void *base, const char *v, char **err)
{
	return parse_dur_common(k, base, v, err, units_ms,
	    "e.g. 500ms, 10s, 2m");
}

static void
print_dur_ms(const struct ckey *k, const void *base, struct buf *b)
{
	duration_print(b, *(const int64_t *)cfield(base, k->off), units_ms);
}

static int
parse_int_key(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];
	int64_t n;

	if (parse_uint(v, strlen(v), INT64_MAX, &n) == -1)
		return fail(err, "'%s' is not a number (%lld..%lld expected)",
		    quote(q, sizeof(q), v), (long long)k->min,
		    (long long)k->max);
	if (n < k->min || n > k->max)
		return fail(err, "%s is out of range (%lld..%lld expected)",
		    quote(q, sizeof(q), v), (long long)k->min,
		    (long long)k->max);
	set_int(base, k->off, (int)n);
	return 0;
}

static void
print_int(const struct ckey *k, const void *base, struct buf *b)
{
	buf_printf(b, "%d", get_int(base, k->off));
}

static int
parse_port(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];
	int64_t n;

	if (*v == '\0') {
		*(uint16_t *)field(base, k->off) = 0;
		return 0;
	}
	if (parse_uint(v, strlen(v), INT64_MAX, &n) == -1 || n < 1 ||
	    n > 65535)
		return fail(err, "'%s' is not a port (1..65535 expected)",
		    quote(q, sizeof(q), v));
	*(uint16_t *)field(base, k->off) = (uint16_t)n;
	return 0;
}

static void
print_port(const struct ckey *k, const void *base, struct buf *b)
{
	buf_printf(b, "%u", (unsigned int)*(const uint16_t *)cfield(base,
	    k->off));
}

static int
parse_bool(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];

	if (strcmp(v, "yes") == 0)
		set_int(base, k->off, 1);
	else if (strcmp(v, "no") == 0)
		set_int(base, k->off, 0);
	else
		return fail(err, "'%s' is not yes or no (yes or no expected)",
		    quote(q, sizeof(q), v));
	return 0;
}

static void
print_bool(const struct ckey *k, const void *base, struct buf *b)
{
	buf_adds(b, get_int(base, k->off) ? "yes" : "no");
}

static void
choices_text(struct buf *b, const char *const *choices)
{
	for (size_t i = 0; choices[i] != NULL; i++) {
		if (i > 0)
			buf_adds(b, choices[i + 1] ? ", " : " or ");
		buf_adds(b, choices[i]);
	}
}

static int
choice_index(const char *const *choices, const char *v)
{
	for (int i = 0; choices[i] != NULL; i++)
		if (rd_strcaseeq(choices[i], v))
			return i;
	return -1;
}

static int
choice_fail(const struct ckey *k, const char *v, char **err)
{
	struct buf b = { 0 };
	char q[QBUF];
	int rc;

	choices_text(&b, k->choices);
	rc = fail(err, "unknown value '%s' (%s expected)",
	    quote(q, sizeof(q), v), b.data);
	buf_free(&b);
	return rc;
}

static int
parse_enum(const struct ckey *k, void *base, const char *v, char **err)
{
	int i;

	if ((i = choice_index(k->choices, v)) == -1)
		return choice_fail(k, v, err);
	set_int(base, k->off, i);
	return 0;
}

static void
print_enum(const struct ckey *k, const void *base, struct buf *b)
{
	int i = get_int(base, k->off), n = 0;

	while (k->choices[n] != NULL)
		n++;
	buf_adds(b, i >= 0 && i < n ? k->choices[i] : "?");
}

static int
parse_choice(const struct ckey *k, void *base, const char *v, char **err)
{
	int i;

	if ((i = choice_index(k->choices, v)) == -1)
		return choice_fail(k, v, err);
	set_str(k, base, xstrdup(k->choices[i]));
	return 0;
}

static int
parse_time_key(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];
	int m;

	if (parse_time_of_day(v, &m) == -1)
		return fail(err, "'%s' is not a time of day "
		    "(HH:MM from 00:00 to 23:59 expected)",
		    quote(q, sizeof(q), v));
	set_int(base, k->off, m);
	return 0;
}

static void
print_time(const struct ckey *k, const void *base, struct buf *b)
{
	int m = get_int(base, k->off);

	buf_printf(b, "%02d:%02d", m / 60, m % 60);
}

static int
parse_thresholds(const struct ckey *k, void *base, const char *v, char **err)
{
	struct strlist items = { 0 };
	struct threshold *t;
	char q[QBUF];

	if (split_list(v, &items, err) == -1)
		return -1;
	if (items.n == 0) {
		strlist_free(&items);
		return fail(err, "no thresholds (days like 90, 60, 30 or "
		    "shares like 33%% expected)");
	}
	t = xcalloc(items.n, sizeof(*t));
	for (size_t i = 0; i < items.n; i++) {
		const char *s = items.v[i];
		size_t len = strlen(s);
		int64_t n;

		t[i].percent = len > 0 && s[len - 1] == '%';
		if (t[i].percent)
			len--;
		if (parse_uint(s, len, INT64_MAX, &n) == -1) {
			fail(err, "'%s' is not a threshold (days 1..3650 or "
			    "a share 1%%..99%% expected)",
			    quote(q, sizeof(q), s));
			goto bad;
		}
		if (t[i].percent ? (n < 1 || n > 99) : (n < 1 || n > 3650)) {
			fail(err, "threshold %s is out of range (%s expected)",
			    quote(q, sizeof(q), s), t[i].percent ?
			    "1%..99%" : "1..3650 days");
			goto bad;
		}
		t[i].value = (int)n;
		for (size_t j = 0; j < i; j++)
			if (t[j].value == t[i].value &&
			    t[j].percent == t[i].percent) {
				fail(err, "threshold %s is listed twice "
				    "(each threshold once expected)",
				    quote(q, sizeof(q), s));
				goto bad;
			}
	}
	free(*(struct threshold **)field(base, k->off));
	*(struct threshold **)field(base, k->off) = t;
	*(size_t *)field(base, k->off2) = items.n;
	strlist_free(&items);
	return 0;
bad:
	free(t);
	strlist_free(&items);
	return -1;
}

static void
print_thresholds(const struct ckey *k, const void *base, struct buf *b)
{
	const struct threshold *t =
	    *(struct threshold *const *)cfield(base, k->off);
	size_t n = *(const size_t *)cfield(base, k->off2);

	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%d%s", i > 0 ? ", " : "", t[i].value,
		    t[i].percent ? "%" : "");
}

static void
release_thresholds(const struct ckey *k, void *base)
{
	free(*(struct threshold **)field(base, k->off));
	*(struct threshold **)field(base, k->off) = NULL;
	*(size_t *)field(base, k->off2) = 0;
}

/* A list whose items each map to a normalised form, or fail. */
static int
parse_mapped_list(const struct ckey *k, void *base, const char *v, char **err,
    char *(*map)(const char *), const char *what, const char *expected)
{
	struct strlist items = { 0 }, out = { 0 };
	const char *dup;
	char q[QBUF];

	if (split_list(v, &items, err) == -1)
		return -1;
	for (size_t i = 0; i < items.n; i++) {
		char *s;

		if ((s = map(items.v[i])) == NULL) {
			fail(err, "'%s' is not %s (%s expected)",
			    quote(q, sizeof(q), items.v[i]), what, expected);
			goto bad;
		}
		strlist_add_owned(&out, s);
	}
	if ((dup = list_duplicate(&out)) != NULL) {
		fail(err, "'%s' is listed twice (each one once expected)",
		    quote(q, sizeof(q), dup));
		goto bad;
	}
	strlist_free(&items);
	set_list(k, base, &out);
	return 0;
bad:
	strlist_free(&items);
	strlist_free(&out);
	return -1;
}

static char *
map_nameserver(const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	uint16_t port;

	if (parse_hostport(s, 53, host, sizeof(host), &port) == -1)
		return NULL;
	if (port == 53)
		return xstrdup(host);
	if (strchr(host, ':') != NULL)
		return xasprintf("[%s]:%u", host, (unsigned int)port);
	return xasprintf("%s:%u", host, (unsigned int)port);
}

static int
parse_nameservers(const struct ckey *k, void *base, const char *v, char **err)
{
	return parse_mapped_list(k, base, v, err, map_nameserver,
	    "a name server", "ip[:port] or [ipv6]:port");
}

static char *
map_hostport(const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	uint16_t port;

	if (parse_hostport(s, 0, host, sizeof(host), &port) == -1)
		return NULL;
	if (strchr(host, ':') != NULL)
		return xasprintf("[%s]:%u", host, (unsigned int)port);
	return xasprintf("%s:%u", host, (unsigned int)port);
}

static int
parse_hostport_key(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];
	char *s;

	if (*v == '\0') {
		set_str(k, base, NULL);
		return 0;
	}
	if ((s = map_hostport(v)) == NULL)
		return fail(err, "'%s' is not an address and port "
		    "(ip:port or [ipv6]:port, e.g. 127.0.0.1:9793, expected)",
		    quote(q, sizeof(q), v));
	set_str(k, base, s);
	return 0;
}

static char *
map_ip(const char *s)
{
	char ip[INET6_ADDRSTRLEN + 1];

	if (ip_normalise(s, ip, sizeof(ip)) == -1)
		return NULL;
	return xstrdup(ip);
}

static int
parse_addresses(const struct ckey *k, void *base, const char *v, char **err)
{
	return parse_mapped_list(k, base, v, err, map_ip, "an IP address",
	    "IPv4 or IPv6 addresses, comma-separated");
}

static int
parse_names(const struct ckey *k, void *base, const char *v, char **err)
{
	return parse_mapped_list(k, base, v, err, host_normalise,
	    "a host name", "host names or IP addresses, comma-separated; "
	    "no wildcards");
}

static char *
map_email(const char *s)
{
	return email_ok(s) ? xstrdup(s) : NULL;
}

static int
parse_emails(const struct ckey *k, void *base, const char *v, char **err)
{
	return parse_mapped_list(k, base, v, err, map_email,
	    "an e-mail address", "local@domain, comma-separated");
}

static int
parse_email(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];

	if (!email_ok(v))
		return fail(err, "'%s' is not an e-mail address "
		    "(one local@domain expected)", quote(q, sizeof(q), v));
	set_str(k, base, xstrdup(v));
	return 0;
}

static const char *const wdays[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};
static const char *const nths[5] = { "1st", "2nd", "3rd", "4th", "5th" };

/* "4th-wed 20:00-08:00" or "none" */
static int
parse_maint(const struct ckey *k, void *base, const char *v, char **err)
{
	struct maint_rule r = { 0, 0, 0, 0 };
	char q[QBUF], day[8], t1[6], t2[6];
	const char *sp, *dash, *times;
	size_t len;
	int i;

	if (rd_strcaseeq(v, "none")) {
		*(struct maint_rule *)field(base, k->off) = r;
		return 0;
	}
	if ((sp = strchr(v, ' ')) == NULL && (sp = strchr(v, '\t')) == NULL)
		goto bad;
	len = (size_t)(sp - v);
	if (len != 7 || v[3] != '-')
		goto bad;
	memcpy(day, v, 7);
	day[3] = '\0';
	day[7] = '\0';
	for (r.nth = 0, i = 0; i < 5; i++)
		if (rd_strcaseeq(day, nths[i]))
			r.nth = i + 1;
	for (r.wday = -1, i = 0; i < 7; i++)
		if (rd_strcaseeq(day + 4, wdays[i]))
			r.wday = i;
	if (r.nth == 0 || r.wday == -1)
		goto bad;
	times = sp;
	while (is_space((unsigned char)*times))
		times++;
	if ((dash = strchr(times, '-')) == NULL ||
	    (size_t)(dash - times) >= sizeof(t1) || strlen(dash + 1) >= sizeof(t2))
		goto bad;
	memcpy(t1, times, (size_t)(dash - times));
	t1[dash - times] = '\0';
	memcpy(t2, dash + 1, strlen(dash + 1) + 1);
	if (parse_time_of_day(t1, &r.start_min) == -1 ||
	    parse_time_of_day(t2, &r.end_min) == -1)
		goto bad;
	if (r.start_min == r.end_min)
		return fail(err, "'%s' is an empty window (different start and "
		    "end times expected)", quote(q, sizeof(q), v));
	*(struct maint_rule *)field(base, k->off) = r;
	return 0;
bad:
	return fail(err, "'%s' is not a monthly window (NTH-DAY HH:MM-HH:MM "
	    "such as 4th-wed 20:00-08:00, with 1st..5th and mon..sun, or none "
	    "expected)", quote(q, sizeof(q), v));
}

static void
print_maint(const struct ckey *k, const void *base, struct buf *b)
{
	const struct maint_rule *r = cfield(base, k->off);

	if (r->nth < 1 || r->nth > 5 || r->wday < 0 || r->wday > 6) {
		buf_adds(b, "none");
		return;
	}
	buf_printf(b, "%s-%s %02d:%02d-%02d:%02d", nths[r->nth - 1],
	    wdays[r->wday], r->start_min / 60, r->start_min % 60,
	    r->end_min / 60, r->end_min % 60);
}

/* "12-29..01-03, 05-03..05-05, 08-15" */
static int
parse_closed(const struct ckey *k, void *base, const char *v, char **err)
{
	struct strlist items = { 0 };
	struct day_range *r;
	char q[QBUF];

	if (split_list(v, &items, err) == -1)
		return -1;
	r = xcalloc(items.n, sizeof(*r));
	for (size_t i = 0; i < items.n; i++) {
		const char *s = items.v[i], *dots = strstr(s, "..");

		if (dots == NULL) {
			if (parse_month_day(s, strlen(s), &r[i].from_month,
			    &r[i].from_day) == 0) {
				r[i].to_month = r[i].from_month;
				r[i].to_day = r[i].from_day;
				continue;
			}
		} else if (parse_month_day(s, (size_t)(dots - s),
		    &r[i].from_month, &r[i].from_day) == 0 &&
		    parse_month_day(dots + 2, strlen(dots + 2), &r[i].to_month,
		    &r[i].to_day) == 0)
			continue;
		fail(err, "'%s' is not a day range (MM-DD..MM-DD, e.g. "
		    "12-29..01-03, or one MM-DD expected)",
		    quote(q, sizeof(q), s));
		free(r);
		strlist_free(&items);
		return -1;
	}
	free(*(struct day_range **)field(base, k->off));
	*(struct day_range **)field(base, k->off) = items.n ? r : NULL;
	if (items.n == 0)
		free(r);
	*(size_t *)field(base, k->off2) = items.n;
	strlist_free(&items);
	return 0;
}

static void
print_closed(const struct ckey *k, const void *base, struct buf *b)
{
	const struct day_range *r =
	    *(struct day_range *const *)cfield(base, k->off);
	size_t n = *(const size_t *)cfield(base, k->off2);

	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "%s%02d-%02d", i > 0 ? ", " : "",
		    r[i].from_month, r[i].from_day);
		if (r[i].to_month != r[i].from_month ||
		    r[i].to_day != r[i].from_day)
			buf_printf(b, "..%02d-%02d", r[i].to_month,
			    r[i].to_day);
	}
}

static void
release_closed(const struct ckey *k, void *base)
{
	free(*(struct day_range **)field(base, k->off));
	*(struct day_range **)field(base, k->off) = NULL;
	*(size_t *)field(base, k->off2) = 0;
}

static int
parse_url(const struct ckey *k, void *base, const char *v, char **err)
{
	struct buf b = { 0 };
	const char *rest = NULL;
	char q[QBUF];
	char *s;
	int i, rc, web;

	if (*v == '\0') {
		set_str(k, base, NULL);
		return 0;
	}
	for (i = 0; k->choices[i] != NULL; i++) {
		size_t n = strlen(k->choices[i]);

		if (strlen(v) > n && strncasecmp(v, k->choices[i], n) == 0) {
			rest = v + n;
			break;
		}
	}
	if (rest != NULL && *rest != '/' && *rest != ':' && *rest != '?' &&
	    *rest != '#' && strpbrk(rest, " \t") == NULL) {
		s = xasprintf("%s%s", k->choices[i], rest);
		set_str(k, base, s);
		return 0;
	}
	choices_text(&b, k->choices);
	/* Every URL key has a scheme: choices[0] is never NULL. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	web = strcmp(k->choices[0], "http://") == 0;
	rc = fail(err, "'%s' is not a URL starting %s with a host "
	    "(e.g. %s%s expected)", quote(q, sizeof(q), v), b.data,
	    k->choices[0], web ? "127.0.0.1:8080/hook" : "127.0.0.1:25");
	buf_free(&b);
	return rc;
}

static int
parse_date_key(const struct ckey *k, void *base, const char *v, char **err)
{
	char q[QBUF];
	int d;

	if (*v == '\0') {
		set_int(base, k->off, -1);
		return 0;
	}
	if (parse_date(v, &d) == -1)
		return fail(err, "'%s' is not a date (a real date YYYY-MM-DD "
		    "expected)", quote(q, sizeof(q), v));
	set_int(base, k->off, d);
	return 0;
}

static void
print_date(const struct ckey *k, const void *base, struct buf *b)
{
	int d = get_int(base, k->off), y, m, dd;

	if (d < 0)
		return;
	days_to_ymd(d, &y, &m, &dd);
	buf_printf(b, "%04d-%02d-%02d", y, m, dd);
}

/* expect: the subject fields in their printed order */
static const struct {
	const char	*name;
	size_t		 off;
} subject_keys[] = {
	{ "CN", offsetof(struct subject_fields, cn) },
	{ "OU", offsetof(struct subject_fields, ou) },
	{ "O", offsetof(struct subject_fields, o) },
	{ "L", offsetof(struct subject_fields, l) },
	{ "ST", offsetof(struct subject_fields, st) },
	{ "C", offsetof(struct subject_fields, c) },
};

static void
subject_release(struct subject_fields *f)
{
	for (size_t i = 0; i < nitems(subject_keys); i++) {
		char **p = field(f, subject_keys[i].off);

		free(*p);
		*p = NULL;
	}
}

static int
expect_item(struct subject_fields *f, char *item, char **err)
{
	char q[QBUF];
	char *eq, *key, *val;
	size_t i;

	if ((eq = strchr(item, '=')) == NULL)
		return fail(err, "'%s' has no '=' (KEY=VALUE with CN, OU, O, "
		    "L, ST or C expected; \\, for a comma in a value)",
		    quote(q, sizeof(q), item));
	*eq = '\0';
	key = rd_trim(item);
	val = rd_trim(eq + 1);
	for (i = 0; i < nitems(subject_keys); i++)
		if (rd_strcaseeq(key, subject_keys[i].name))
			break;
	if (i == nitems(subject_keys))
		return fail(err, "'%s' is not a subject field "
		    "(CN, OU, O, L, ST or C expected)", quote(q, sizeof(q), key));
	if (*(char **)field(f, subject_keys[i].off) != NULL)
		return fail(err, "%s is given twice (each field once "
		    "expected)", subject_keys[i].name);
	if (strcmp(subject_keys[i].name, "C") == 0 && *val != '\0' &&
	    (strlen(val) != 2 || !is_alpha((unsigned char)val[0]) ||
	    !is_alpha((unsigned char)val[1])))
		return fail(err, "C='%s' is not a country code (two letters "
		    "such as JP expected)", quote(q, sizeof(q), val));
	if (strcmp(subject_keys[i].name, "C") == 0)
		for (char *p = val; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	*(char **)field(f, subject_keys[i].off) = xstrdup(val);
	return 0;
}

/* "O=Example\, Inc., ST=Tokyo, OU=": ',' separates, "\," and "\\" escape. */
static int
parse_expect(const struct ckey *k, void *base, const char *v, char **err)
{
	struct subject_fields f = { 0 }, *dst = field(base, k->off);
	struct buf item = { 0 };
	int any = 0;

	for (const char *p = v;; p++) {
		if (*p == '\\') {
			if (p[1] != ',' && p[1] != '\\') {
				fail(err, "'\\%c' is not an escape (\\, for a "
				    "comma or \\\\ for a backslash expected)",
				    p[1] >= 0x20 ? p[1] : '?');
				goto bad;
			}
			buf_add(&item, ++p, 1);
			continue;
		}
		if (*p != ',' && *p != '\0') {
			buf_add(&item, p, 1);
			continue;
		}
		buf_add(&item, "", 0);
		rd_trim(item.data);
		if (item.data[0] == '\0') {
			if (*p == '\0' && !any)
				break;	/* an empty value: no check */
			fail(err, "empty item in the list (comma-separated "
			    "KEY=VALUE expected)");
			goto bad;
		}
		if (expect_item(&f, item.data, err) == -1)
			goto bad;
		any = 1;
		item.len = 0;
		item.data[0] = '\0';
		if (*p == '\0')
			break;
	}
	buf_free(&item);
	subject_release(dst);
	*dst = f;
	set_int(base, k->off2, any);
	return 0;
bad:
	buf_free(&item);
	subject_release(&f);
	return -1;
}

static void
print_expect(const struct ckey *k, const void *base, struct buf *b)
{
	const struct subject_fields *f = cfield(base, k->off);
	int first = 1;

	for (size_t i = 0; i < nitems(subject_keys); i++) {
		const char *s = *(char *const *)cfield(f, subject_keys[i].off);

		if (s == NULL)
			continue;
		buf_printf(b, "%s%s=", first ? "" : ", ", subject_keys[i].name);
		for (; *s != '\0'; s++) {
			if (*s == ',' || *s == '\\')
				buf_add(b, "\\", 1);
			buf_add(b, s, 1);
		}
		first = 0;
	}
}

static void
release_expect(const struct ckey *k, void *base)
{
	subject_release(field(base, k->off));
	set_int(base, k->off2, 0);
}

static const struct ctype_ops ctypes[CT_NTYPES] = {
	[CT_PATH] = { "an absolute path", parse_path, print_str, release_str },
	[CT_WORD] = { "a name", parse_word, print_str, release_str },
	[CT_DURATION] = { "a duration such as 6h", parse_dur, print_dur,
	    release_none },
	[CT_DURATION_MS] = { "a duration such as 10s", parse_dur_ms,
	    print_dur_ms, release_none },
	[CT_INT] = { "a number", parse_int_key, print_int, release_none },
	[CT_PORT] = { "a port 1..65535", parse_port, print_port,
	    release_none },
	[CT_BOOL] = { "yes or no", parse_bool, print_bool, release_none },
	[CT_ENUM] = { "one of the listed words", parse_enum, print_enum,
	    release_none },
	[CT_CHOICE] = { "one of the listed words", parse_choice, print_str,
	    release_str },
	[CT_TIME] = { "a time of day HH:MM", parse_time_key, print_time,
	    release_none },
	[CT_THRESHOLDS] = { "days such as 90, 60, 30 or shares such as 33%",
	    parse_thresholds, print_thresholds, release_thresholds },
	[CT_NAMESERVERS] = { "ip[:port] addresses", parse_nameservers,
	    print_list, release_list },
	[CT_HOSTPORT] = { "ip:port", parse_hostport_key, print_str,
	    release_str },
	[CT_MAINT] = { "a window such as 4th-wed 20:00-08:00, or none",
	    parse_maint, print_maint, release_none },
	[CT_CLOSED] = { "day ranges such as 12-29..01-03", parse_closed,
	    print_closed, release_closed },
	[CT_URL] = { "a URL", parse_url, print_str, release_str },
	[CT_EMAIL] = { "an e-mail address", parse_email, print_str,
	    release_str },
	[CT_EMAILS] = { "e-mail addresses", parse_emails, print_list,
	    release_list },
	[CT_ADDRESSES] = { "IP addresses", parse_addresses, print_list,
	    release_list },
	[CT_NAMES] = { "host names", parse_names, print_list, release_list },
	[CT_DATE] = { "a date YYYY-MM-DD", parse_date_key, print_date,
	    release_none },
	[CT_EXPECT] = { "KEY=VALUE subject fields", parse_expect,
	    print_expect, release_expect },
};

/* ---- the target index ----------------------------------------------------- */

struct config_index {
	uint32_t *slots;	/* target index + 1; 0 = empty (a config
				 * file cannot hold 2^32 targets) */
	size_t	 cap;		/* a power of two */
	size_t	 n;
};

static uint64_t
name_hash(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s != '\0'; s++) {
		h ^= (uint64_t)to_lower((unsigned char)*s);
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static uint32_t *
index_slot(const struct config_index *ix, const struct config *cfg,
    const char *name)
{
	size_t i = (size_t)name_hash(name) & (ix->cap - 1);

	for (;; i = (i + 1) & (ix->cap - 1)) {
		size_t t = ix->slots[i];

		if (t == 0 || rd_strcaseeq(cfg->targets[t - 1].name, name))
			return &ix->slots[i];
	}
}

static void
index_add(struct config *cfg, size_t t)
{
	struct config_index *ix = cfg->index;

	if (ix == NULL)
		ix = cfg->index = xcalloc(1, sizeof(*ix));
	if ((ix->n + 1) * 2 > ix->cap) {
		struct config_index old = *ix;

		ix->cap = ix->cap ? ix->cap * 2 : 64;
		ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
		ix->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i] != 0) {
				*index_slot(ix, cfg,
				    cfg->targets[old.slots[i] - 1].name) =
				    old.slots[i];
				ix->n++;
			}
		free(old.slots);
	}
	*index_slot(ix, cfg, cfg->targets[t].name) = (uint32_t)(t + 1);
	ix->n++;
}

const struct target_conf *
config_find_target(const struct config *cfg, const char *name)
{
	const struct config_index *ix = cfg->index;
	size_t t;

	if (ix != NULL && ix->n == cfg->ntargets && ix->cap > 0) {
		t = *index_slot(ix, cfg, name);
		return t ? &cfg->targets[t - 1] : NULL;
	}
	for (t = 0; t < cfg->ntargets; t++)
		if (rd_strcaseeq(cfg->targets[t].name, name))
			return &cfg->targets[t];
	return NULL;
}

/* ---- config objects ------------------------------------------------------- */

static void
key_default(const struct ckey *k, void *base)
{
	char *err = NULL;

	if (k->def == NULL)
		return;
	if (ctypes[k->type].parse(k, base, k->def, &err) == -1)
		abort();	/* a bad default in the table */
}

static void
target_init(struct target_conf *t, const char *name, int line)
{
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->line = line;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sect == CS_TARGET)
			key_default(&keys[i], t);
}

static void
target_release(struct target_conf *t)
{
	/* names[0] may be the name itself (target_finish) */
	int shared = t->names.n > 0 && t->names.v[0] == t->name;

	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sect == CS_TARGET)
			ctypes[keys[i].type].release(&keys[i], t);
	if (!shared)
		free(t->name);
	t->name = NULL;
}

/* Drop a list's spare room: 100,000 targets keep theirs for good. */
static void
strlist_fit(struct strlist *l)
{
	if (l->n == l->cap)
		return;
	if (l->n == 0) {
		free(l->v);
		l->v = NULL;
	} else
		l->v = xreallocarray(l->v, l->n, sizeof(*l->v));
	l->cap = l->n;
}

/* The defaults that depend on other keys: port by starttls, names. */
static void
target_finish(struct target_conf *t)
{
	if (t->port == 0) {
		switch (t->starttls) {
		case STARTTLS_SMTP:
			t->port = 25;
			break;
		case STARTTLS_IMAP:
			t->port = 143;
			break;
		case STARTTLS_POP3:
			t->port = 110;
			break;
		default:
			t->port = 443;
			break;
		}
	}
	if (!strlist_contains(&t->names, t->name)) {
		struct strlist l = { 0 };

		/* the name's own string, not a copy: target_release frees
		 * it once */
		strlist_add_owned(&l, t->name);
		for (size_t i = 0; i < t->names.n; i++)
			strlist_add(&l, t->names.v[i]);
		strlist_free(&t->names);
		t->names = l;
	}
	strlist_fit(&t->addresses);
	strlist_fit(&t->names);
	strlist_fit(&t->notify);
}

struct config *
config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sect != CS_TARGET)
			key_default(&keys[i], cfg);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sect != CS_TARGET)
			ctypes[keys[i].type].release(&keys[i], cfg);
	for (size_t i = 0; i < cfg->ntargets; i++)
		target_release(&cfg->targets[i]);
	free(cfg->targets);
	if (cfg->index != NULL)
		free(cfg->index->slots);
	free(cfg->index);
	free(cfg->path);
	free(cfg);
}

/* ---- the parser ------------------------------------------------------------ */

enum pstate {
	PS_NONE,		/* before the first section */
	PS_IGNORE,		/* inside a bad section: its error is out */
	PS_GLOBAL,
	PS_TARGET,
};

struct parser {
	struct config		*cfg;
	const char		*path;
	const char		*pos, *end;
	int			 lineno;
	struct strlist		*errors;
	size_t			 nerrors;

	enum pstate		 state;
	enum csect		 sect;
	int			 sect_line[CS_NSECT];
	int			 seen[NKEYS];	/* line a key was set on */
	struct target_conf	*target;	/* current target */
	int			 discard;	/* target is `scratch` */
	struct target_conf	 scratch;
	size_t			 targets_cap;	/* allocated cfg->targets */
};

static void
perror_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perror_at(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		strlist_add_owned(p->errors, xasprintf("%s:%d: %s", p->path,
		    line, msg));
	else
		strlist_add_owned(p->errors, xasprintf("%s: %s", p->path, msg));
	free(msg);
	p->nerrors++;
}

/* Control characters, NUL and invalid UTF-8; 0 when the text is clean. */
static int
check_text(struct parser *p, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned int c = s[i];
		size_t n;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				perror_at(p, p->lineno, "%s 0x%02x at column "
				    "%zu (printable text expected)", c == 0 ?
				    "NUL byte" : "control character", c, i + 1);
				return -1;
			}
			i++;
			continue;
		}
		if ((n = utf8_len(s + i, len - i)) == 0) {
			perror_at(p, p->lineno, "invalid UTF-8 at column %zu "
			    "(UTF-8 text expected)", i + 1);
			return -1;
		}
		if (UTF8_IS_C1(s + i, n)) {
			perror_at(p, p->lineno, "control character U+%04X at "
			    "column %zu (printable text expected)", s[i + 1],
			    i + 1);
			return -1;
		}
		i += n;
	}
	return 0;
}

static void
finish_target(struct parser *p)
{
	if (p->state != PS_TARGET)
		return;
	if (p->discard)
		target_release(&p->scratch);
	else
		target_finish(p->target);
	p->target = NULL;
	p->discard = 0;
}

static void
section_target(struct parser *p, const char *raw)
{
	struct config *cfg = p->cfg;
	const struct target_conf *old;
	char q[QBUF];
	char *name, *tmp = NULL;
	size_t len = strlen(raw);

	if (len >= 2 && raw[0] == '[' && raw[len - 1] == ']')
		raw = tmp = xstrndup(raw + 1, len - 2);
	name = host_normalise(raw);
	if (name == NULL) {
		perror_at(p, p->lineno, "[target %s]: not a host name or IP "
		    "address (a DNS name such as www.example.jp or an IP "
		    "literal expected)", quote(q, sizeof(q), raw));
		free(tmp);
		p->state = PS_IGNORE;
		return;
	}
	free(tmp);
	p->state = PS_TARGET;
	p->sect = CS_TARGET;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sect == CS_TARGET)
			p->seen[i] = 0;
	if ((old = config_find_target(cfg, name)) != NULL) {
		perror_at(p, p->lineno, "duplicate target '%s' (first at line "
		    "%d; each target once expected)", quote(q, sizeof(q), name),
		    old->line);
		target_init(&p->scratch, name, p->lineno);
		p->target = &p->scratch;
		p->discard = 1;
		free(name);
		return;
	}
	if (cfg->ntargets == p->targets_cap) {
		/* Grow geometrically: 100,000 targets must parse in linear time. */
		p->targets_cap = p->targets_cap ? p->targets_cap * 2 : 16;
		cfg->targets = xreallocarray(cfg->targets, p->targets_cap,
		    sizeof(*cfg->targets));
	}
	target_init(&cfg->targets[cfg->ntargets], name, p->lineno);
	p->target = &cfg->targets[cfg->ntargets];
	cfg->ntargets++;
	index_add(cfg, cfg->ntargets - 1);
	free(name);
}

/* A line whose first non-blank character is '['. */
static void
section_line(struct parser *p, const char *s, size_t len)
{
	char q[QBUF];
	char *hdr, *inner, *c;
	size_t n;
	int i;

	finish_target(p);
	p->state = PS_IGNORE;
	hdr = xstrndup(s, len);
	/* An inline comment: ';' after white space, as inih does. */
	for (c = hdr + 1; *c != '\0'; c++)
		if (*c == ';' && is_space((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	rd_trim(hdr);
	n = strlen(hdr);
	if (n < 2 || hdr[n - 1] != ']') {
		perror_at(p, p->lineno, "'%s' is not a section header "
		    "([NAME] expected)", quote(q, sizeof(q), hdr));
		free(hdr);
		return;
	}
	hdr[n - 1] = '\0';
	inner = rd_trim(hdr + 1);
	for (i = 0; i < CS_TARGET; i++)
		if (strcmp(inner, csect_names[i]) == 0)
			break;
	if (i < CS_TARGET) {
		if (p->sect_line[i] != 0)
			perror_at(p, p->lineno, "duplicate section [%s] (first "
			    "at line %d; each section once expected)",
			    csect_names[i], p->sect_line[i]);
		else
			p->sect_line[i] = p->lineno;
		p->state = PS_GLOBAL;
		p->sect = (enum csect)i;
	} else if (strncmp(inner, "target", 6) == 0 &&
	    (inner[6] == '\0' || is_space((unsigned char)inner[6]))) {
		char *name = rd_trim(inner + 6);

		if (*name == '\0')
			perror_at(p, p->lineno, "[target] has no name "
			    "([target NAME] expected)");
		else if (strpbrk(name, " \t") != NULL)
			perror_at(p, p->lineno, "[target %s]: the name "
			    "contains a space ([target NAME] with one name "
			    "expected)", quote(q, sizeof(q), name));
		else
			section_target(p, name);
	} else
		perror_at(p, p->lineno, "unknown section [%s] ([renewd], "
		    "[ca], [mail], [webhook] or [target NAME] expected)",
		    quote(q, sizeof(q), inner));
	free(hdr);
}

/* inih's reader: hand it one line at a time, keeping count. */
static char *
parser_reader(char *line, int num, void *arg)
{
	struct parser *p = arg;
	const char *s, *nl;
	size_t len;

	if (p->pos >= p->end || num < 3)
		return NULL;
	s = p->pos;
	nl = memchr(s, '\n', (size_t)(p->end - s));
	len = nl ? (size_t)(nl - s) : (size_t)(p->end - s);
	p->pos = nl ? nl + 1 : p->end;
	p->lineno++;
	/* cppcheck-suppress knownConditionTrueFalse ; an empty line: 0 */
	if (len > 0 && s[len - 1] == '\r')
		len--;		/* CRLF line ends are fine */
	if (p->lineno == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;		/* a UTF-8 byte order mark */
		len -= 3;
	}
	if (len > CONFIG_LINE_MAX || len + 2 > (size_t)num) {
		perror_at(p, p->lineno, "line is %zu bytes long (at most %d "
		    "bytes per line expected)", len, CONFIG_LINE_MAX);
		goto blank;
	}
	if (check_text(p, (const unsigned char *)s, len) == -1)
		goto blank;
	for (size_t i = 0; i < len; i++) {
		if (is_space((unsigned char)s[i]))
			continue;
		if (s[i] == '[') {
			section_line(p, s + i, len - i);
			goto blank;
		}
		break;
	}
	memcpy(line, s, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
blank:
	line[0] = '\n';
	line[1] = '\0';
	return line;
}

static void
unknown_key(struct parser *p, const char *name)
{
	struct buf b = { 0 };
	char q[QBUF];
	int first = 1;

	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].sect != p->sect)
			continue;
		buf_printf(&b, "%s%s", first ? "" : ", ", keys[i].name);
		first = 0;
	}
	if (p->sect == CS_TARGET)
		perror_at(p, p->lineno, "unknown key '%s' in [target %s] "
		    "(one of %s expected)", quote(q, sizeof(q), name),
		    p->target->name, b.data);
	else
		perror_at(p, p->lineno, "unknown key '%s' in [%s] (one of %s "
		    "expected)", quote(q, sizeof(q), name),
		    csect_names[p->sect], b.data);
	buf_free(&b);
}

static int
parser_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct parser *p = arg;
	const struct ckey *k = NULL;
	char q[QBUF];
	char *err = NULL;
	void *base;
	size_t i;

	(void)section;		/* section headers are read by parser_reader */
	if (value == NULL) {
		perror_at(p, p->lineno, "'%s' is not a setting (key = value "
		    "expected)", quote(q, sizeof(q), name));
		return 1;
	}
	if (*name == '\0') {
		perror_at(p, p->lineno, "no key before '=' (key = value "
		    "expected)");
		return 1;
	}
	switch (p->state) {
	case PS_NONE:
		perror_at(p, p->lineno, "'%s' is outside any section "
		    "([renewd], [ca], [mail], [webhook] or [target NAME] "
		    "expected before it)", quote(q, sizeof(q), name));
		return 1;
	case PS_IGNORE:
		return 1;
	case PS_GLOBAL:
		base = p->cfg;
		break;
	case PS_TARGET:
	default:
		base = p->target;
		break;
	}
	for (i = 0; i < NKEYS; i++)
		if (keys[i].sect == p->sect && strcmp(keys[i].name, name) == 0) {
			k = &keys[i];
			break;
		}
	if (k == NULL) {
		unknown_key(p, name);
		return 1;
	}
	if (p->seen[i] != 0) {
		perror_at(p, p->lineno, "duplicate key '%s' (first at line %d; "
		    "each key once expected)", k->name, p->seen[i]);
		return 1;
	}
	p->seen[i] = p->lineno;
	if (*value == ';') {
		/* "key =;x": inih keeps ";x", but "key = ;x" is a comment. */
		perror_at(p, p->lineno, "%s: the value starts with ';' (%s "
		    "expected; white space before ';' starts a comment)",
		    k->name, ctypes[k->type].expected);
		return 1;
	}
	if (*value == '\0' && !(k->flags & CK_EMPTY)) {
		perror_at(p, p->lineno, "%s: empty value (%s expected)",
		    k->name, ctypes[k->type].expected);
		return 1;
	}
	if (ctypes[k->type].parse(k, base, value, &err) == -1) {
		perror_at(p, p->lineno, "%s: %s", k->name, err);
		free(err);
	}
	return 1;
}

int
config_parse_len(struct config *cfg, const char *path, const char *text,
    size_t len, struct strlist *errors)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.path = path;
	p.pos = text;
	p.end = text + len;
	p.errors = errors;
	p.state = PS_NONE;
	p.targets_cap = cfg->ntargets;
	free(cfg->path);
	cfg->path = xstrdup(path);

	/*
	 * Debian's inih has these as run-time knobs. One heap buffer, large
	 * enough for any line we pass on (the reader rejects longer ones, so
	 * inih never truncates); no continuation lines (an indented "key =
	 * value" would otherwise extend the previous key); lines without '='
	 * reach the handler (value NULL) so that each one is reported.
	 */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = CONFIG_LINE_MAX + 3;
	ini_initial_alloc = CONFIG_LINE_MAX + 3;
	ini_allow_multiline = false;
	ini_allow_no_value = true;
	ini_allow_bom = false;		/* the reader strips it */
	ini_stop_on_first_error = false;
	ini_allow_inline_comments = true;

	rc = ini_parse_stream(parser_reader, &p, parser_handler, &p);
	finish_target(&p);
	/* The targets array grew by doubling: give the spare room back. */
	if (cfg->ntargets > 0 && cfg->ntargets < p.targets_cap) {
		cfg->targets = xreallocarray(cfg->targets, cfg->ntargets,
		    sizeof(*cfg->targets));
		p.targets_cap = cfg->ntargets;
	}
	if (rc == -2)
		perror_at(&p, 0, "out of memory");
	else if (rc != 0 && p.nerrors == 0)
		perror_at(&p, rc, "cannot parse this line (key = value "
		    "expected)");
	return p.nerrors == 0 ? 0 : -1;
}

int
config_parse(struct config *cfg, const char *path, const char *text,
    struct strlist *errors)
{
	return config_parse_len(cfg, path, text, strlen(text), errors);
}

/* ---- printing ------------------------------------------------------------ */

static void
dump_keys(struct buf *b, enum csect sect, const void *base)
{
	for (size_t i = 0; i < NKEYS; i++) {
		size_t mark;

		if (keys[i].sect != sect)
			continue;
		buf_printf(b, "%s = ", keys[i].name);
		mark = b->len;
		ctypes[keys[i].type].print(&keys[i], base, b);
		if (b->len == mark) {
			b->len--;	/* "key =" without a trailing blank */
			b->data[b->len] = '\0';
		}
		buf_adds(b, "\n");
	}
}

char *
config_dump(const struct config *cfg)
{
	struct buf b = { 0 };

	for (int s = 0; s < CS_TARGET; s++) {
		buf_printf(&b, "%s[%s]\n", s > 0 ? "\n" : "", csect_names[s]);
		dump_keys(&b, (enum csect)s, cfg);
	}
	for (size_t i = 0; i < cfg->ntargets; i++) {
		buf_printf(&b, "\n[target %s]\n", cfg->targets[i].name);
		dump_keys(&b, CS_TARGET, &cfg->targets[i]);
	}
	return buf_steal(&b);
}

char *
config_help(void)
{
	struct buf b = { 0 };
	int last = -1;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];

		if ((int)k->sect != last) {
			buf_printf(&b, "%s[%s%s]\n", last >= 0 ? "\n" : "",
			    csect_names[k->sect],
			    k->sect == CS_TARGET ? " NAME" : "");
			last = (int)k->sect;
		}
		buf_printf(&b, "%s =%s%s\n\t%s (%s%s)\n", k->name,
		    k->def && *k->def ? " " : "", k->def ? k->def : "",
		    k->help, ctypes[k->type].expected,
		    k->flags & CK_EMPTY ? "; may be empty" : "");
	}
	return buf_steal(&b);
}
