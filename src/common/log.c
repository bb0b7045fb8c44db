/*
 * log.c — logging to stderr or, under systemd, to the journal with
 * structured fields (see log.h).
 */
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

#define LOG_MSG_MAX	2048		/* a formatted message, before escaping */
#define LOG_CLEAN_MAX	(4 * LOG_MSG_MAX + 1)	/* every byte may become \xNN */
#define LOG_FIELD_MAX	512		/* TARGET=, STATE=, KIND= ... */
#define LOG_NFIELDS	10

static const char *log_progname = "renewd";
static int log_verbose;
static int log_journal;
static int (*log_writer)(const struct iovec *, int) = sd_journal_sendv;

/* One message on its way out; every string is already escaped. */
struct log_entry {
	int		 priority;
	const char	*level;		/* stderr prefix: "", "debug: ", "fatal: " */
	const char	*msg;
	const char	*errstr;	/* NULL, or strerror(errnum) */
	int		 errnum;
	const char	*message_id;	/* these four: NULL when absent */
	const char	*target;
	const char	*state;
	const char	*kind;
	int		 days_left;	/* LOG_NO_DAYS when absent */
};

/* Is stderr the stream that systemd connected to the journal? */
static int
log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char *end;

	if (e == NULL || *e == '\0')
		return 0;
	errno = 0;
	dev = strtoumax(e, &end, 10);
	if (errno != 0 || end == e || *end != ':')
		return 0;
	e = end + 1;
	ino = strtoumax(e, &end, 10);
	if (errno != 0 || end == e || *end != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
log_init(const char *progname, int verbose)
{
	int saved = errno;

	log_progname = progname;
	log_verbose = verbose;
	log_journal = log_stderr_is_journal();
	errno = saved;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_set_journal(int on)
{
	log_journal = on != 0;
}

int
log_get_journal(void)
{
	return log_journal;
}

void
log_set_journal_writer(int (*writer)(const struct iovec *, int))
{
	log_writer = writer != NULL ? writer : sd_journal_sendv;
}

/*
 * Length of the valid, printable UTF-8 sequence at s (NUL-terminated), or 0
 * when the byte at s must be escaped: C0 controls, DEL, C1 controls, stray
 * continuation bytes, overlong forms, surrogates, code points past U+10FFFF.
 */
static size_t
log_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;

	if (c < 0x20 || c == 0x7f)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)		/* stops at the NUL too */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xc2 && s[1] < 0xa0) ||	/* U+0080..U+009F */
	    (c == 0xe0 && s[1] < 0xa0) ||
	    (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Copy src to dst (size dstsz > 0), escaping what log_utf8_len refuses. */
static void
log_clean(char *dst, size_t dstsz, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n;

	while (*s != '\0') {
		if ((n = log_utf8_len(s)) == 0) {
			if (o + 4 >= dstsz)
				break;
			snprintf(dst + o, dstsz - o, "\\x%02x", *s);
			o += 4;
			s++;
		} else {
			if (o + n >= dstsz)
				break;
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		}
	}
	dst[o] = '\0';
}

/* Append to buf (size sz) at *o, truncating; *o stays < sz. */
static void __attribute__((format(printf, 4, 5)))
log_append(char *buf, size_t sz, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o + 1 >= sz)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, sz - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o += (size_t)n < sz - *o ? (size_t)n : sz - *o - 1;
}

/* One line, written with one call so that lines do not interleave. */
static void
log_stderr(const struct log_entry *le)
{
	char line[LOG_CLEAN_MAX + 4 * LOG_FIELD_MAX + 512];
	char fields[4 * LOG_FIELD_MAX + 64];
	size_t o = 0, fo = 0;

	fields[0] = '\0';
	if (le->target != NULL)
		log_append(fields, sizeof(fields), &fo, " target=%s",
		    le->target);
	if (le->days_left != LOG_NO_DAYS)
		log_append(fields, sizeof(fields), &fo, " days_left=%d",
		    le->days_left);
	if (le->state != NULL)
		log_append(fields, sizeof(fields), &fo, " state=%s", le->state);
	if (le->kind != NULL)
		log_append(fields, sizeof(fields), &fo, " kind=%s", le->kind);

	log_append(line, sizeof(line), &o, "%s: %s%s", log_progname,
	    le->level, le->msg);
	if (le->errstr != NULL)
		log_append(line, sizeof(line), &o, ": %s", le->errstr);
	if (fo > 0)
		log_append(line, sizeof(line), &o, " (%s)", fields + 1);
	if (o + 1 >= sizeof(line))
		o--;		/* truncated: keep room for the newline */
	line[o++] = '\n';
	line[o] = '\0';
	fputs(line, stderr);
}

/* Send le to the journal; 0, or -1 when it must go to stderr instead. */
static int
log_send_journal(const struct log_entry *le)
{
	char msg[LOG_CLEAN_MAX + 256 + sizeof("MESSAGE=")];
	char f[LOG_NFIELDS][LOG_FIELD_MAX];
	struct iovec iov[LOG_NFIELDS + 1];
	int n = 0;

	snprintf(msg, sizeof(msg), "MESSAGE=%s%s%s", le->msg,
	    le->errstr != NULL ? ": " : "",
	    le->errstr != NULL ? le->errstr : "");
	iov[n].iov_base = msg;
	iov[n++].iov_len = strlen(msg);

#define FIELD(...) do {							\
	snprintf(f[n], sizeof(f[n]), __VA_ARGS__);			\
	iov[n].iov_base = f[n];						\
	iov[n].iov_len = strlen(f[n]);					\
	n++;								\
} while (0)
	FIELD("PRIORITY=%d", le->priority);
	FIELD("SYSLOG_IDENTIFIER=%s", log_progname);
	if (le->errstr != NULL)
		FIELD("ERRNO=%d", le->errnum);
	if (le->message_id != NULL)
		FIELD("MESSAGE_ID=%s", le->message_id);
	if (le->target != NULL)
		FIELD("TARGET=%s", le->target);
	if (le->days_left != LOG_NO_DAYS)
		FIELD("DAYS_LEFT=%d", le->days_left);
	if (le->state != NULL)
		FIELD("STATE=%s", le->state);
	if (le->kind != NULL)
		FIELD("KIND=%s", le->kind);
#undef FIELD
	return log_writer(iov, n) < 0 ? -1 : 0;
}

static void
log_emit(const struct log_entry *le)
{
	if (log_journal && log_send_journal(le) == 0)
		return;
	log_stderr(le);
}

static void vlog(int, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

/* Format, escape and emit one plain message; errnum < 0: no error text. */
static void
vlog(int priority, const char *level, int errnum, const char *fmt,
    va_list ap)
{
	char clean[LOG_CLEAN_MAX];
	char raw[LOG_MSG_MAX];
	struct log_entry le;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_clean(clean, sizeof(clean), raw);
	memset(&le, 0, sizeof(le));
	le.priority = priority;
	le.level = level;
	le.msg = clean;
	le.errnum = errnum;
	le.errstr = errnum >= 0 ? strerror(errnum) : NULL;
	le.days_left = LOG_NO_DAYS;
	log_emit(&le);
}

void
log_event(int priority, const char *message_id, const char *target,
    int days_left, const char *state, const char *kind, const char *fmt, ...)
{
	char clean[LOG_CLEAN_MAX];
	char raw[LOG_MSG_MAX], mid[LOG_FIELD_MAX], tgt[LOG_FIELD_MAX];
	char st[LOG_FIELD_MAX], kd[LOG_FIELD_MAX];
	struct log_entry le;
	int saved = errno;
	va_list ap;

	if (priority >= LOG_DEBUG && log_verbose < 1)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_clean(clean, sizeof(clean), raw);
	memset(&le, 0, sizeof(le));
	le.priority = priority;
	le.level = priority >= LOG_DEBUG ? "debug: " : "";
	le.msg = clean;
	le.errnum = -1;
	le.days_left = days_left;
	if (message_id != NULL) {
		log_clean(mid, sizeof(mid), message_id);
		le.message_id = mid;
	}
	if (target != NULL) {
		log_clean(tgt, sizeof(tgt), target);
		le.target = tgt;
	}
	if (state != NULL) {
		log_clean(st, sizeof(st), state);
		le.state = st;
	}
	if (kind != NULL) {
		log_clean(kd, sizeof(kd), kind);
		le.kind = kd;
	}
	log_emit(&le);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "", -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, "", -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug: ", -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal: ", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal: ", -1, fmt, ap);
	va_end(ap);
	exit(1);
}
