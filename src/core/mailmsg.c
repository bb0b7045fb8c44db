/*
 * mailmsg.c — the notification mail: its words in English or Japanese, and
 * the RFC 5322 / MIME message around them. Pure; see mailmsg.h.
 *
 * THE WORDS. Every mail has the same parts, in this order:
 *   1. a lead paragraph: what happened or is due, and by when;
 *   2. the deadline: E (and where it comes from), days left, A and its
 *      deadline time, the review days, for reminders the day the CA starts
 *      accepting applications (E - 90), and the next CA maintenance window
 *      when the policy says one starts before the apply deadline;
 *   3. what the certificate in service says (the last good observation):
 *      the step-1 fields, SANs, issuer, serial, SHA-256, notAfter — once
 *      when every address serves the same leaf, else per leaf with the
 *      addresses serving it — and the problems found;
 *   4. the next step(s) of the six, with what to check;
 *   5. the renewctl line that records it;
 *   6. a footer with the notice id.
 * All times are Japan time and say so (JST). Paragraphs are wrapped at 72
 * columns (a full-width character counts two). Certificate text goes
 * through rd_sanitize() again here, whatever the probe did.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "calendar.h"
#include "inspect.h"
#include "mailmsg.h"
#include "util.h"

#define WRAP		72	/* body paragraphs, in columns */
#define EN_LABEL	27	/* English field labels are padded to this */
#define DAY_SECS	86400
#define APPLY_OPEN_DAYS	90

/* --- small text helpers ------------------------------------------------- */

static size_t
u8len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Display columns: ASCII one, anything else two (Japanese text). */
static size_t
columns(const char *s)
{
	size_t n = 0;

	while (*s != '\0') {
		size_t l = u8len((unsigned char)*s);

		n += l == 1 ? 1 : 2;
		for (size_t i = 0; i < l && *s != '\0'; i++)
			s++;
	}
	return n;
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Japanese line breaking, the basic rules: no break before closing
 * punctuation, none after opening brackets. */
static int
starts_with_any(const char *p, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strncmp(p, *set, strlen(*set)) == 0)
			return 1;
	return 0;
}

static const char *const no_break_before[] = {
	"、", "。", "）", "」", "』", "】", "，", "．", "！", "？", "：", "ー",
	"・", ",", ".", ")", "]", ":", ";", "!", "?", NULL
};
static const char *const no_break_after[] = {
	"（", "「", "『", "【", "(", "[", NULL
};

/*
 * Append `text` wrapped at WRAP columns: the first line starts with
 * `first`, the others with `cont`. Breaks at spaces, and between
 * characters of Japanese text. A '\n' in text starts a new line (with
 * `cont`). Ends with a newline.
 */
static void
wrap(struct buf *b, const char *first, const char *cont, const char *text)
{
	const char *p = text;
	size_t col;
	int empty = 1, prev_wide = 0, prev_open = 0;

	buf_adds(b, first);
	col = columns(first);
	while (*p != '\0') {
		const char *q;
		size_t ulen, w;
		int wide, may_break;

		if (*p == '\n') {
			buf_adds(b, "\n");
			buf_adds(b, cont);
			col = columns(cont);
			empty = 1;
			prev_wide = prev_open = 0;
			p++;
			continue;
		}
		if (*p == ' ') {
			size_t nsp, nw;

			for (q = p; *q == ' '; q++)
				;
			nsp = (size_t)(q - p);
			/* the width of what follows up to the next space */
			nw = 0;
			for (const char *r = q; *r != '\0' && *r != ' ' &&
			    *r != '\n'; r += u8len((unsigned char)*r)) {
				nw += (unsigned char)*r < 0x80 ? 1 : 2;
				if ((unsigned char)*r >= 0x80)
					break;
			}
			if (!empty && col + nsp + nw > WRAP) {
				buf_adds(b, "\n");
				buf_adds(b, cont);
				col = columns(cont);
				empty = 1;
			} else {
				buf_add(b, p, nsp);
				col += nsp;
			}
			prev_wide = prev_open = 0;
			p = q;
			continue;
		}
		wide = (unsigned char)*p >= 0x80;
		if (wide) {
			ulen = u8len((unsigned char)*p);
			for (size_t i = 1; i < ulen; i++)
				if (p[i] == '\0') {
					ulen = i;
					break;
				}
			w = 2;
		} else {
			for (q = p; *q != '\0' && *q != ' ' && *q != '\n' &&
			    (unsigned char)*q < 0x80; q++)
				;
			ulen = (size_t)(q - p);
			w = ulen;
		}
		may_break = !empty && !prev_open &&
		    !starts_with_any(p, no_break_before) && (wide || prev_wide);
		if (may_break && col + w > WRAP) {
			buf_adds(b, "\n");
			buf_adds(b, cont);
			col = columns(cont);
		}
		buf_add(b, p, ulen);
		col += w;
		empty = 0;
		prev_wide = wide;
		prev_open = starts_with_any(p, no_break_after);
		p += ulen;
	}
	buf_adds(b, "\n");
}

/* --- dates and times in Japan time -------------------------------------- */

static const char *const wday_en[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const wday_ja[] = {
	"日", "月", "火", "水", "木", "金", "土"
};
static const char *const month_en[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
	"Oct", "Nov", "Dec"
};

static long
jst_secs_of_day(time_t t)
{
	long long s = ((long long)t + JST_OFFSET) % DAY_SECS;

	return (long)(s < 0 ? s + DAY_SECS : s);
}

/* "2027-03-31 (Wed)" or "2027年3月31日（水）" */
static void
fmt_day(int ja, int day, char *buf, size_t len)
{
	int y, m, d, wd = jday_wday(day);

	jday_to_ymd(day, &y, &m, &d);
	if (ja)
		snprintf(buf, len, "%04d年%d月%d日（%s）", y, m, d, wday_ja[wd]);
	else
		snprintf(buf, len, "%04d-%02d-%02d (%s)", y, m, d, wday_en[wd]);
}

/* "2027-03-31" or "2027年3月31日" */
static void
fmt_day_short(int ja, int day, char *buf, size_t len)
{
	int y, m, d;

	jday_to_ymd(day, &y, &m, &d);
	if (ja)
		snprintf(buf, len, "%04d年%d月%d日", y, m, d);
	else
		snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

/* "2027-03-23 (Tue) 23:59 JST", with seconds when `secs` */
static void
fmt_time(int ja, time_t t, int secs, char *buf, size_t len)
{
	char day[64];
	long s = jst_secs_of_day(t);

	fmt_day(ja, jday_from_time(t), day, sizeof(day));
	if (secs)
		snprintf(buf, len, "%s %02ld:%02ld:%02ld JST", day, s / 3600,
		    s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%s %02ld:%02ld JST", day, s / 3600,
		    s / 60 % 60);
}

/* "2026-12-30 08:00 JST" or "2026年12月30日 08:00 JST": for subjects */
static void
fmt_time_short(int ja, time_t t, char *buf, size_t len)
{
	char day[32];
	long s = jst_secs_of_day(t);

	fmt_day_short(ja, jday_from_time(t), day, sizeof(day));
	snprintf(buf, len, "%s %02ld:%02ld JST", day, s / 3600, s / 60 % 60);
}

static void
fmt_hhmm(int min, char *buf, size_t len)
{
	snprintf(buf, len, "%02d:%02d", min / 60, min % 60);
}

void
mailmsg_date(time_t t, char *buf, size_t len)
{
	int day = jday_from_time(t), y, m, d;
	long s = jst_secs_of_day(t);

	jday_to_ymd(day, &y, &m, &d);
	snprintf(buf, len, "%s, %d %s %04d %02ld:%02ld:%02ld +0900",
	    wday_en[jday_wday(day)], d, month_en[(m - 1) % 12], y, s / 3600,
	    s / 60 % 60, s % 60);
}

/* --- base64, identifiers ------------------------------------------------ */

char *
mailmsg_base64(const void *data, size_t len, size_t linelen)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	struct buf b = { 0 };
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? tab[v & 63] : '=';
		buf_add(&b, q, 4);
		col += 4;
		if (linelen > 0 && col >= linelen) {
			buf_adds(&b, "\r\n");
			col = 0;
		}
	}
	if (linelen > 0 && col > 0)
		buf_adds(&b, "\r\n");
	return buf_steal(&b);
}

char *
mailmsg_message_id(const char *target, const char *notice_id,
    const char *from)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf in = { 0 };
	char hex[41];
	const char *at = strrchr(from, '@');
	char *id;

	buf_adds(&in, target);
	buf_add(&in, "\n", 1);
	buf_adds(&in, notice_id);
	if (EVP_Digest(in.data, in.len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 20) {
		/* no digest: the bytes themselves, as hex (still stable) */
		memset(md, 0, sizeof(md));
		for (size_t i = 0; i < in.len; i++)
			md[i % 20] = (unsigned char)(md[i % 20] * 31u +
			    (unsigned char)in.data[i]);
	}
	for (size_t i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	buf_free(&in);
	id = xasprintf("<renewd.%s@%s>", hex,
	    at != NULL && at[1] != '\0' ? at + 1 : "localhost");
	return id;
}

void
mailmsg_recipients(const struct target_conf *tc, const struct mail_conf *mc,
    struct strlist *out)
{
	for (size_t i = 0; tc != NULL && i < tc->notify.n; i++)
		if (!strlist_contains_case(out, tc->notify.v[i]))
			strlist_add(out, tc->notify.v[i]);
	for (size_t i = 0; i < mc->to.n; i++)
		if (!strlist_contains_case(out, mc->to.v[i]))
			strlist_add(out, mc->to.v[i]);
}

/* --- ISO-2022-JP ---------------------------------------------------------- */

/* Convert one piece; the output ends in ASCII (iconv's reset). */
static int
iconv_piece(iconv_t cd, const char *s, size_t len, struct buf *out)
{
	char *in = (char *)(uintptr_t)s;
	size_t inleft = len;

	if (iconv(cd, NULL, NULL, NULL, NULL) == (size_t)-1)
		return -1;
	while (inleft > 0) {
		char tmp[256], *o = tmp;
		size_t oleft = sizeof(tmp);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);

		buf_add(out, tmp, sizeof(tmp) - oleft);
		if (r == (size_t)-1 && errno != E2BIG)
			return -1;
		if (r != (size_t)-1 && inleft == 0)
			break;
	}
	for (;;) {
		char tmp[16], *o = tmp;
		size_t oleft = sizeof(tmp);

		if (iconv(cd, NULL, NULL, &o, &oleft) == (size_t)-1)
			return -1;
		buf_add(out, tmp, sizeof(tmp) - oleft);
		return 0;
	}
}

int
mailmsg_to_iso2022jp(const char *utf8, size_t len, char **out, size_t *outlen)
{
	iconv_t cd = iconv_open("ISO-2022-JP", "UTF-8");
	struct buf b = { 0 };
	size_t i = 0;

	*out = NULL;
	*outlen = 0;
	if (cd == (iconv_t)-1)
		return -1;
	buf_adds(&b, "");
	while (i < len) {
		const char *nl = memchr(utf8 + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (utf8 + i)) : len - i;

		if (iconv_piece(cd, utf8 + i, n, &b) == -1) {
			iconv_close(cd);
			buf_free(&b);
			return -1;
		}
		i += n;
		if (i < len) {
			buf_add(&b, "\n", 1);
			i++;
		}
	}
	iconv_close(cd);
	for (size_t k = 0; k < b.len; k++)
		if ((unsigned char)b.data[k] >= 0x80) {
			buf_free(&b);
			return -1;
		}
	*outlen = b.len;
	*out = buf_steal(&b);
	return 0;
}

/* --- header fields ------------------------------------------------------ */

/* `value` as encoded-words after "Name: " (prefix columns used). */
static void
header_encoded(struct buf *b, size_t used, const char *value, int jis)
{
	const char *cs = jis ? "ISO-2022-JP" : "UTF-8";
	size_t overhead = strlen("=?") + strlen(cs) + strlen("?B?") + strlen("?=");
	const char *p = value;
	int first = 1;

	while (*p != '\0') {
		size_t room = MAILMSG_LINE_MAX - (first ? used : 1);
		size_t maxb64, take = 0, best = 0;
		char *enc = NULL, *b64;

		if (room > MAILMSG_WORD_MAX)
			room = MAILMSG_WORD_MAX;
		maxb64 = room > overhead ? (room - overhead) / 4 * 4 : 4;
		/* the longest run of whole characters that fits */
		for (;;) {
			size_t next = take + u8len((unsigned char)p[take]);
			size_t elen;
			char *e;

			for (size_t k = take; k < next; k++)
				if (p[k] == '\0') {
					next = k;
					break;
				}
			if (next == take)
				break;
			if (jis) {
				if (mailmsg_to_iso2022jp(p, next, &e,
				    &elen) == -1)
					break;
			} else {
				e = xstrndup(p, next);
				elen = next;
			}
			if ((elen + 2) / 3 * 4 > maxb64 && best > 0) {
				free(e);
				break;
			}
			free(enc);
			enc = e;
			best = elen;
			take = next;
			if (p[take] == '\0')
				break;
		}
		if (take == 0)	/* cannot happen: checked by the caller */
			break;
		b64 = mailmsg_base64(enc, best, 0);
		if (!first)
			buf_adds(b, "\r\n ");
		buf_printf(b, "=?%s?B?%s?=", cs, b64);
		free(b64);
		free(enc);
		p += take;
		first = 0;
	}
}

char *
mailmsg_header_text(const char *name, const char *value, int jis)
{
	struct buf b = { 0 };
	size_t used = strlen(name) + 2, col;
	int fits = 1;

	buf_printf(&b, "%s: ", name);
	if (is_ascii(value)) {
		/* fold at spaces; every word must fit on a line */
		const char *p = value;

		for (const char *w = value; *w != '\0';) {
			size_t n = strcspn(w, " ");

			if (n + 1 > MAILMSG_LINE_MAX - (w == value ? used : 0))
				fits = 0;
			w += n;
			w += strspn(w, " ");
		}
		if (fits) {
			col = used;
			while (*p != '\0') {
				size_t n = strcspn(p, " ");

				if (p != value) {
					if (col + 1 + n > MAILMSG_LINE_MAX) {
						buf_adds(&b, "\r\n ");
						col = 1;
					} else {
						buf_adds(&b, " ");
						col++;
					}
				}
				buf_add(&b, p, n);
				col += n;
				p += n;
				p += strspn(p, " ");
			}
			buf_adds(&b, "\r\n");
			return buf_steal(&b);
		}
	}
	if (jis) {
		char *t;
		size_t tl;

		if (mailmsg_to_iso2022jp(value, strlen(value), &t, &tl) == -1)
			jis = 0;
		else
			free(t);
	}
	header_encoded(&b, used, value, jis);
	buf_adds(&b, "\r\n");
	return buf_steal(&b);
}

/* An address list, folded after commas. */
static void
header_addresses(struct buf *b, const char *name, const struct strlist *l)
{
	size_t col = strlen(name) + 2;

	buf_printf(b, "%s: ", name);
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);

		if (i > 0) {
			buf_adds(b, ",");
			col++;
			if (col + 1 + n + 1 > MAILMSG_LINE_MAX) {
				buf_adds(b, "\r\n ");
				col = 1;
			} else {
				buf_adds(b, " ");
				col++;
			}
		}
		buf_adds(b, l->v[i]);
		col += n;
	}
	buf_adds(b, "\r\n");
}

/* A header whose value is one token (an address, a name): never split. */
static void
header_token(struct buf *b, const char *name, const char *value)
{
	if (strlen(name) + 2 + strlen(value) > MAILMSG_LINE_MAX)
		buf_printf(b, "%s:\r\n %s\r\n", name, value);
	else
		buf_printf(b, "%s: %s\r\n", name, value);
}

/* --- the words ------------------------------------------------------------ */

struct comp {
	const struct mailmsg_in		*in;
	const struct policy_notice	*n;
	const struct target_conf	*tc;
	const struct config		*cfg;
	const struct target_state	*st;	/* may be NULL */
	const char			*name;	/* the target */
	int				 ja;
	struct buf			 b;
};

static const char *
L(const struct comp *c, const char *en, const char *ja)
{
	return c->ja ? ja : en;
}

/* A wrapped paragraph, printf-style, followed by an empty line. */
static void
para(struct comp *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
para(struct comp *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	wrap(&c->b, "", "", s);
	buf_adds(&c->b, "\n");
	free(s);
}

/* A step of the six, with a hanging indent. */
static void
step(struct comp *c, int n, const char *title_en, const char *title_ja,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void
step(struct comp *c, int n, const char *title_en, const char *title_ja,
    const char *fmt, ...)
{
	va_list ap;
	char *s, first[128];

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->ja)
		snprintf(first, sizeof(first), "手順%d（%s）：", n, title_ja);
	else
		snprintf(first, sizeof(first), "Step %d - %s: ", n, title_en);
	wrap(&c->b, first, "    ", s);
	buf_adds(&c->b, "\n");
	free(s);
}

static void
heading(struct comp *c, const char *en, const char *ja)
{
	buf_printf(&c->b, "%s%s\n\n", c->ja ? "■ " : "== ", L(c, en, ja));
}

/* "  Label:      value" (en) or "・ラベル：value" (ja); value wrapped. */
static void
field(struct comp *c, const char *en, const char *ja, const char *value)
{
	char first[256], cont[64];
	size_t pad = strlen(en) + 1 < EN_LABEL ? EN_LABEL - strlen(en) - 1 : 1;

	if (c->ja) {
		snprintf(first, sizeof(first), "・%s：", ja);
		snprintf(cont, sizeof(cont), "    ");
	} else {
		snprintf(first, sizeof(first), "  %s:%*s", en, (int)pad, "");
		snprintf(cont, sizeof(cont), "%*s", EN_LABEL + 2, "");
	}
	wrap(&c->b, first, cont, value);
}

/* The same for text from a certificate or a server: neutralised again. */
static void
field_ext(struct comp *c, const char *en, const char *ja, const char *value)
{
	char *v;

	if (value == NULL) {
		field(c, en, ja, L(c, "(none)", "（なし）"));
		return;
	}
	v = rd_sanitize(value, strlen(value));
	field(c, en, ja, v[0] != '\0' ? v : L(c, "(empty)", "（空）"));
	free(v);
}

static void
command(struct comp *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
command(struct comp *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_printf(&c->b, "    renewctl %s\n\n", s);
	free(s);
}

static void
days_left_text(const struct comp *c, int days, char *buf, size_t len)
{
	if (days > 1)
		snprintf(buf, len, c->ja ? "あと%d日" : "%d days left", days);
	else if (days == 1)
		snprintf(buf, len, "%s", L(c, "1 day left", "あと1日"));
	else if (days == 0)
		snprintf(buf, len, "%s", L(c, "the last day", "本日が最終日"));
	else if (days == -1)
		snprintf(buf, len, "%s", L(c, "ended yesterday", "昨日終了"));
	else
		snprintf(buf, len, c->ja ? "%d日前に終了" : "ended %d days ago",
		    -days);
}

static int
review_days(const struct comp *c)
{
	return c->tc->product == PRODUCT_EV ? c->cfg->review_days_ev :
	    c->cfg->review_days_ssl;
}

static const char *
product_label(const struct comp *c)
{
	return c->tc->product == PRODUCT_EV ? "EV" : "SSL";
}

/* "the 4th Wednesday of every month, 20:00 until 08:00 the next day JST";
 * "" when there is no window. */
static void
maint_text(const struct comp *c, char *buf, size_t len)
{
	static const char *const nth_en[] = {
		"", "1st", "2nd", "3rd", "4th", "5th"
	};
	static const char *const wd_en[] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday"
	};
	const struct maint_rule *r = &c->cfg->maintenance;
	char from[16], to[16];
	int next_day = r->end_min <= r->start_min;

	buf[0] = '\0';
	if (r->nth < 1 || r->nth > 5 || r->wday < 0 || r->wday > 6)
		return;
	fmt_hhmm(r->start_min, from, sizeof(from));
	fmt_hhmm(r->end_min, to, sizeof(to));
	if (c->ja)
		snprintf(buf, len, "毎月第%d%s曜日 %s JST から%s %s JST まで",
		    r->nth, wday_ja[r->wday], from, next_day ? "翌日" : "", to);
	else
		snprintf(buf, len, "the %s %s of every month, %s until %s%s "
		    "JST", nth_en[r->nth], wd_en[r->wday], from, to,
		    next_day ? " the next day" : "");
}

/* Dates every part needs, formatted once. */
struct dates {
	char	e[64];		/* E */
	char	left[64];	/* days left */
	char	a[64];		/* A */
	char	adl[96];	/* the apply deadline */
	char	open[64];	/* E - 90 */
	char	ws[96], we[96];	/* the window */
	char	es[32];		/* E, short: for subjects */
};

static void
dates_init(const struct comp *c, struct dates *d)
{
	const struct policy_notice *n = c->n;

	memset(d, 0, sizeof(*d));
	if (n->expiry < 0)
		return;
	fmt_day(c->ja, n->expiry, d->e, sizeof(d->e));
	fmt_day_short(c->ja, n->expiry, d->es, sizeof(d->es));
	days_left_text(c, n->days_left, d->left, sizeof(d->left));
	fmt_day(c->ja, n->apply_by, d->a, sizeof(d->a));
	fmt_time(c->ja, n->apply_deadline, 0, d->adl, sizeof(d->adl));
	fmt_day(c->ja, n->expiry - APPLY_OPEN_DAYS, d->open, sizeof(d->open));
	if (n->has_window) {
		fmt_time(c->ja, n->window.start, 0, d->ws, sizeof(d->ws));
		fmt_time(c->ja, n->window.end, 0, d->we, sizeof(d->we));
	}
}

/* 1. What happened or is due. */
static void
lead(struct comp *c, const struct dates *d)
{
	const struct policy_notice *n = c->n;
	const struct target_state *st = c->st;
	char t1[96], t2[96];

	if (c->ja) {
		buf_adds(&c->b, "ご担当者様\n\n");
		para(c, "renewd（SSL サーバー証明書の更新管理）からのお知らせです。");
	}
	switch (n->kind) {
	case NOTICE_REMINDER:
		if (c->ja) {
			para(c, "%s の証明書の契約は%sに終了します（%s）。"
			    "終了日までに更新申請（手順3）を行わないと、契約は"
			    "自動的に解約されます。", c->name, d->e, d->left);
			if (n->applications_open)
				para(c, "現在、認証局で更新申請を受け付けています。");
			else
				para(c, "更新申請は%s（終了日の90日前）から受け付け"
				    "られます。", d->open);
			para(c, "審査から発行までに最大%d営業日かかります。新しい"
			    "証明書をインストールする時間を確保するため、%s まで"
			    "に申請してください。", review_days(c), d->adl);
		} else {
			para(c, "The certificate contract for %s ends on %s "
			    "(%s). If the renewal application (step 3) has not "
			    "been filed by the end of that day, the contract is "
			    "cancelled automatically.", c->name, d->e, d->left);
			if (n->applications_open)
				para(c, "The CA is now accepting renewal "
				    "applications for it.");
			else
				para(c, "The CA accepts renewal applications "
				    "from %s (90 days before the end date).",
				    d->open);
			para(c, "Review and issuance take up to %d business "
			    "days, so apply by %s to leave time to install "
			    "the new certificate.", review_days(c), d->adl);
		}
		break;
	case NOTICE_APPLY_BY:
		if (c->ja)
			para(c, "本日%sは、%s の証明書の更新申請の期限日です。"
			    "審査から発行までに最大%d営業日かかり、契約は%sに"
			    "終了します（%s）。%s までに申請してください。申請が"
			    "ない場合、契約は自動的に解約されます。", d->a,
			    c->name, review_days(c), d->e, d->left, d->adl);
		else
			para(c, "Today, %s, is the last day to apply for the "
			    "renewal of the certificate contract for %s. Review "
			    "and issuance take up to %d business days and the "
			    "contract ends on %s (%s). Apply by %s. Without an "
			    "application the contract is cancelled "
			    "automatically.", d->a, c->name, review_days(c),
			    d->e, d->left, d->adl);
		break;
	case NOTICE_OVERDUE:
		if (c->ja) {
			para(c, "【至急】%s の更新申請の期限（%s）を過ぎましたが、"
			    "更新申請の記録がありません。契約は%sに終了し（%s）、"
			    "それまでに申請しないと自動的に解約されます。", c->name,
			    d->a, d->e, d->left);
			para(c, "新しい証明書の発行が終了日に間に合わない可能性が"
			    "ありますが、契約を継続するため、本日中に申請して"
			    "ください。すでに申請済みの場合は、下記のコマンドで"
			    "記録してください。この通知が止まります。");
		} else {
			para(c, "URGENT: the apply-by date for %s, %s, has "
			    "passed and no renewal application has been "
			    "recorded. The contract ends on %s (%s) and is "
			    "cancelled automatically unless the application is "
			    "filed by then.", c->name, d->a, d->e, d->left);
			para(c, "Apply today: the new certificate may not be "
			    "issued before the end date, but the contract is "
			    "kept. If you have already applied, record it with "
			    "the command below and these notices stop.");
		}
		break;
	case NOTICE_LAPSED:
		if (c->ja) {
			para(c, "%s の証明書の契約は、更新申請の記録がないまま"
			    "%sに終了したため、自動的に解約されました。この契約"
			    "は更新できません。新規契約が必要ですので、販売代理店"
			    "にお問い合わせください。", c->name, d->e);
			para(c, "この期限についての通知はこれが最後です。新しい"
			    "契約の証明書がインストールされると、renewd が自動的に"
			    "検知します。実際には期限内に申請していた場合は、認証局"
			    "にご確認ください（解約済みの契約に対する renewctl mark "
			    "applied は受け付けられません）。");
		} else {
			para(c, "The certificate contract for %s ended on %s "
			    "without a recorded renewal application, so it has "
			    "been cancelled automatically. It can no longer be "
			    "renewed: a new contract is needed (contact the "
			    "reseller).", c->name, d->e);
			para(c, "This is the last notice for this date. When "
			    "the certificate of a new contract is installed, "
			    "renewd notices it by itself. If the application "
			    "was in fact filed in time, check with the CA "
			    "(renewctl mark applied is refused for a lapsed "
			    "contract).");
		}
		break;
	case NOTICE_INSTALL: {
		int issued = st != NULL && st->cycle.state == CYCLE_ISSUED;
		time_t when = st == NULL ? 0 : issued ? st->cycle.issued_at :
		    st->cycle.applied_at;

		if (when > 0)
			fmt_time(c->ja, when, 0, t1, sizeof(t1));
		else
			rd_strlcpy(t1, "?", sizeof(t1));
		if (c->ja)
			para(c, "%s の更新は %s に%sとして記録されていますが、"
			    "まだ古い証明書が使われています。現在の証明書の期限は"
			    "%sです（%s）。それまでに新しい証明書をダウンロードし"
			    "てインストールしてください。", c->name, t1,
			    issued ? "発行済み" : "申請済み", d->e, d->left);
		else
			para(c, "The renewal of %s was recorded as %s on %s, "
			    "but the old certificate is still being served, and "
			    "its deadline is %s (%s). Download the new "
			    "certificate and install it before then.", c->name,
			    issued ? "issued" : "applied for", t1, d->e,
			    d->left);
		break;
	}
	case NOTICE_RENEWED:
		fmt_time(c->ja, n->new_not_after, 1, t1, sizeof(t1));
		if (c->ja)
			para(c, "%s の更新後の証明書が稼働していることを確認しま"
			    "した。すべてのアドレスで新しい証明書（有効期限 %s）が"
			    "使われ、証明書チェーンは正しく、設定されたすべての名前"
			    "が含まれています。手順6（確認）は完了です。", c->name,
			    t1);
		else
			para(c, "The renewed certificate for %s is in service: "
			    "every address now serves the new certificate "
			    "(valid until %s) with a valid chain, and it covers "
			    "every configured name. Step 6 (verification) is "
			    "done.", c->name, t1);
		if (n->new_expiry >= 0 && n->source == EXPIRY_CONTRACT) {
			fmt_day(c->ja, n->new_expiry, t2, sizeof(t2));
			para(c, "%s", L(c, "The contract end date comes from "
			    "contract_end in the configuration. Set it to the "
			    "new contract's end date so that renewd can track "
			    "the next renewal.", "契約終了日は設定ファイルの "
			    "contract_end によるものです。次の renewd による"
			    "管理のため、新しい契約の終了日を contract_end に設定"
			    "してください。"));
		} else if (n->new_expiry >= 0) {
			fmt_day(c->ja, n->new_expiry, t2, sizeof(t2));
			if (c->ja)
				para(c, "次の契約終了日は%sです。これまでどおり "
				    "renewd がお知らせします。", t2);
			else
				para(c, "The next deadline is %s; renewd will "
				    "remind you as before.", t2);
		}
		break;
	case NOTICE_PROBLEM:
		fmt_time(c->ja, n->outage_since, 0, t1, sizeof(t1));
		if (c->ja)
			para(c, "%s から証明書を取得できない状態が %s から続いて"
			    "います。サーバーが稼働していること、renewd の動作して"
			    "いるホストから接続できることを確認してください。この"
			    "お知らせは障害1回につき1通だけ送信されます。",
			    c->name, t1);
		else
			para(c, "renewd has not been able to get a certificate "
			    "from %s since %s. Check that the server is up and "
			    "that this host can reach it. You get one such "
			    "notice per outage.", c->name, t1);
		if (n->last_success > 0)
			fmt_time(c->ja, n->last_success, 0, t2, sizeof(t2));
		else
			rd_strlcpy(t2, L(c, "never", "なし"), sizeof(t2));
		field(c, "Last good check", "最後に取得できた日時", t2);
		if (st != NULL && st->last_error != NULL)
			field_ext(c, "Last error", "直近のエラー",
			    st->last_error);
		buf_adds(&c->b, "\n");
		if (n->expiry >= 0)
			para(c, "%s", L(c, "The deadline below still comes "
			    "from the last certificate seen; reminders go on.",
			    "下記の期限は最後に確認できた証明書にもとづいています。"
			    "リマインダーは引き続き送信されます。"));
		break;
	}
}

/* 2. The deadline. */
static void
deadline(struct comp *c, const struct dates *d)
{
	const struct policy_notice *n = c->n;
	char v[512], m[160];

	if (n->expiry < 0 || n->kind == NOTICE_RENEWED)
		return;
	heading(c, "Deadline (Japan time, JST)", "期限（日本時間）");
	if (c->ja)
		snprintf(v, sizeof(v), "%s（%s、%s）", d->e, d->left,
		    n->source == EXPIRY_CONTRACT ? "設定ファイルの contract_end"
		    : "証明書の有効期限による");
	else
		snprintf(v, sizeof(v), "%s, %s (%s)", d->e, d->left,
		    n->source == EXPIRY_CONTRACT ? "contract_end in the "
		    "configuration" : "the certificate's notAfter");
	field(c, "Contract end date (E)", "契約終了日（E）", v);
	if (n->kind == NOTICE_LAPSED || n->kind == NOTICE_INSTALL) {
		buf_adds(&c->b, "\n");
		return;
	}
	snprintf(v, sizeof(v), c->ja ? "%s まで" : "%s", d->adl);
	field(c, "Apply by (A)", "申請期限（A）", v);
	if (c->ja)
		snprintf(v, sizeof(v), "審査に最大%d営業日（%s）、インストール"
		    "に%d営業日", review_days(c), product_label(c),
		    c->cfg->install_days);
	else
		snprintf(v, sizeof(v), "up to %d business days of review "
		    "(%s) + %d for installation", review_days(c),
		    product_label(c), c->cfg->install_days);
	field(c, "Time needed", "所要期間", v);
	if (n->kind == NOTICE_REMINDER) {
		snprintf(v, sizeof(v), c->ja ? "%sから%s" : "from %s%s",
		    d->open, n->applications_open ? L(c, " (now open)",
		    "（受付中）") : "");
		field(c, "Applications accepted", "更新申請の受付", v);
	}
	maint_text(c, m, sizeof(m));
	if (m[0] != '\0')
		field(c, "CA maintenance", "認証局のメンテナンス", m);
	if (n->has_window) {
		if (c->ja)
			snprintf(v, sizeof(v), "%s から %s まで。この時間帯の"
			    "申請はエラーになります。避けて申請してください。",
			    d->ws, d->we);
		else
			snprintf(v, sizeof(v), "%s until %s. Applications "
			    "filed then fail: do not apply during it.", d->ws,
			    d->we);
		field(c, "Next maintenance", "次回のメンテナンス", v);
	}
	buf_adds(&c->b, "\n");
}

/* One leaf's fields. */
static void
leaf_fields(struct comp *c, const struct cert_obs *o)
{
	struct buf san = { 0 };
	char t[96];

	field_ext(c, "Common Name (CN)", "コモンネーム（CN）", o->subject.cn);
	field_ext(c, "Organizational Unit (OU)", "部門名（OU）",
	    o->subject.ou);
	field_ext(c, "Organization (O)", "組織名（O）", o->subject.o);
	field_ext(c, "Locality (L)", "市区町村（L）", o->subject.l);
	field_ext(c, "State/Province (ST)", "都道府県（ST）", o->subject.st);
	field_ext(c, "Country (C)", "国（C）", o->subject.c);
	for (size_t i = 0; i < o->san.n; i++)
		buf_printf(&san, "%s%s", i > 0 ? ", " : "", o->san.v[i]);
	field_ext(c, "Names (SAN)", "サブジェクト代替名（SAN）",
	    o->san.n > 0 ? san.data : NULL);
	buf_free(&san);
	field_ext(c, "Issuer", "発行者", o->issuer);
	field_ext(c, "Serial number", "シリアル番号", o->serial);
	field_ext(c, "SHA-256 fingerprint", "SHA-256 フィンガープリント",
	    o->sha256);
	fmt_time(c->ja, o->not_after, 1, t, sizeof(t));
	field(c, "Valid until (notAfter)", "有効期限（notAfter）", t);
}

/* 3. What the certificate in service says. */
static void
certificate(struct comp *c)
{
	const struct target_result *r = c->st != NULL ? c->st->observation :
	    NULL;
	size_t nleaf = 0, first = 0;
	char t[96];

	if (c->n->kind == NOTICE_RENEWED)
		heading(c, "The certificate now in service",
		    "現在稼働中の証明書");
	else
		heading(c, "The certificate in service", "稼働中の証明書");
	if (r == NULL) {
		para(c, "%s", L(c, "renewd has not seen a certificate from "
		    "this target yet.", "この対象からはまだ証明書を取得できて"
		    "いません。"));
		return;
	}
	fmt_time(c->ja, r->started, 0, t, sizeof(t));
	field(c, "Checked", "確認日時", t);
	/* distinct leaves, by fingerprint */
	for (size_t i = 0; i < r->naddrs; i++) {
		int seen = 0;

		if (!r->addrs[i].has_cert)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = r->addrs[j].has_cert && strcmp(r->addrs[j].
			    cert.sha256, r->addrs[i].cert.sha256) == 0;
		if (!seen) {
			if (nleaf == 0)
				first = i;
			nleaf++;
		}
	}
	if (nleaf > 1) {
		buf_adds(&c->b, "\n");
		para(c, "%s", L(c, "The addresses serve different "
		    "certificates:", "アドレスによって異なる証明書が使われて"
		    "います。"));
	}
	for (size_t i = 0; i < r->naddrs; i++) {
		const struct addr_result *a = &r->addrs[i];
		struct buf at = { 0 };
		int seen = 0;

		if (!a->has_cert)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = r->addrs[j].has_cert && strcmp(r->addrs[j].
			    cert.sha256, a->cert.sha256) == 0;
		if (seen)
			continue;
		for (size_t j = i; j < r->naddrs; j++)
			if (r->addrs[j].has_cert && strcmp(r->addrs[j].cert.
			    sha256, a->cert.sha256) == 0)
				buf_printf(&at, "%s%s", at.len > 0 ? ", " : "",
				    r->addrs[j].address);
		if (i != first)
			buf_adds(&c->b, "\n");
		field_ext(c, "Served at", "接続先", at.data);
		buf_free(&at);
		leaf_fields(c, &a->cert);
	}
	for (size_t i = 0; i < r->naddrs; i++) {
		const struct addr_result *a = &r->addrs[i];
		char *e;

		if (a->has_cert)
			continue;
		e = xasprintf("%s%s%s", a->address, c->ja ? "：" : ": ",
		    a->error != NULL ? a->error : L(c, "no certificate",
		    "証明書を取得できませんでした"));
		field_ext(c, "Not answering", "応答なし", e);
		free(e);
	}
	if (r->problems != 0) {
		struct buf p = { 0 };

		for (unsigned i = 0; i < PROB_COUNT; i++) {
			const char *w = problem_word(1u << i);

			if ((r->problems & (1u << i)) != 0 && w != NULL)
				buf_printf(&p, "%s%s", p.len > 0 ? ", " : "",
				    w);
		}
		field(c, "Problems found", "検出された問題", p.data);
		buf_free(&p);
	}
	buf_adds(&c->b, "\n");
}

/* A "www.X" and "X" pair among the names, for the step-3 check box. */
static int
www_pair(const struct target_conf *tc, const char **www, const char **bare)
{
	for (size_t i = 0; i < tc->names.n; i++) {
		const char *w = tc->names.v[i];

		if (strncmp(w, "www.", 4) != 0)
			continue;
		for (size_t j = 0; j < tc->names.n; j++)
			if (strcmp(tc->names.v[j], w + 4) == 0) {
				*www = w;
				*bare = tc->names.v[j];
				return 1;
			}
	}
	return 0;
}

static void
steps_apply(struct comp *c)
{
	const struct target_result *r = c->st != NULL ? c->st->observation :
	    NULL;
	const char *www, *bare;
	char m[160], box[256] = "";

	heading(c, "What to do next: steps 1 to 3",
	    "次に行うこと：手順1〜3");
	if (c->ja)
		step(c, 1, "check the details", "内容の確認",
		    "上記の証明書の内容が契約どおりか確認してください。"
		    "コモンネーム（CN）、組織名（O）、市区町村（L）、都道府県"
		    "（ST）、国（C）が現在も正しいこと、部門名（OU）が空で"
		    "あることを確認します（2022年6月23日以降、OU は証明書に"
		    "記載されません）。%s",
		    !c->tc->has_expect ? "" : r != NULL && (r->problems &
		    PROB_SUBJECT_MISMATCH) != 0 ? "証明書の内容は設定ファイル"
		    "の expect と一致しません。契約内容または設定を見直して"
		    "ください。" : "設定ファイルの expect との照合では問題"
		    "ありません。");
	else
		step(c, 1, "check the details", "", "Compare the certificate "
		    "above with the contract: CN, O, L, ST and C must still "
		    "be right, and OU must be empty (since 2022-06-23 "
		    "certificates no longer carry an OU).%s",
		    !c->tc->has_expect ? "" : r != NULL && (r->problems &
		    PROB_SUBJECT_MISMATCH) != 0 ? " The certificate differs "
		    "from `expect` in the configuration: review the contract "
		    "or the configuration." : " They match `expect` in the "
		    "configuration.");
	if (c->ja)
		step(c, 2, "", "CSR の作成", "ホスティングサービスの管理画面"
		    "で、現在アクティブになっている、証明書を使うサーバー上で "
		    "CSR を作成してください（別のサーバーで作成すると、後で"
		    "秘密鍵が一致しません）。鍵は RSA 2048 ビット、CN は契約"
		    "しているホスト名（%s）、O は組織の正式名称、OU は空欄、"
		    "L と ST を入力し、C は JP とします。O、L、ST は日本語でも"
		    "かまいません。", c->name);
	else
		step(c, 2, "make the CSR", "", "In the hosting service's "
		    "admin console, on the server that is active now and "
		    "will use the certificate (otherwise the private key "
		    "will not match later): RSA 2048-bit key, CN the "
		    "contract's name (%s), O the organisation's official "
		    "name, OU empty, L and ST filled in, C = JP. O, L and ST "
		    "may be in Japanese.", c->name);
	maint_text(c, m, sizeof(m));
	if (www_pair(c->tc, &www, &bare))
		snprintf(box, sizeof(box), c->ja ? "%s と %s の両方で使うため、"
		    "該当するチェックボックスを選択してください。" : " Tick the "
		    "box for a site served both as %s and %s.", www, bare);
	if (c->ja)
		step(c, 3, "", "更新申請", "販売代理店のお客様ページで、CSR "
		    "全体（-----BEGIN CERTIFICATE REQUEST----- から -----END "
		    "CERTIFICATE REQUEST----- まで）を貼り付けて申請してください。"
		    "通知先メールアドレス（最大3件、後から変更できません）には、"
		    "担当者の不在で連絡が途切れないよう、グループアドレスを"
		    "指定してください。%s%s%s%s審査から発行までは最大%d営業日"
		    "です。", box, m[0] != '\0' ? "認証局のメンテナンス時間（" :
		    "", m, m[0] != '\0' ? "）の申請はエラーになりますので、"
		    "避けてください。" : "", review_days(c));
	else
		step(c, 3, "apply", "", "On the reseller's customer page, "
		    "paste the whole CSR, from -----BEGIN CERTIFICATE "
		    "REQUEST----- to -----END CERTIFICATE REQUEST-----. Give "
		    "group addresses as the notification addresses (up to "
		    "three; they cannot be changed later), so that nobody's "
		    "absence loses a mail.%s%s%s%s Review to issuance takes "
		    "up to %d business days.", box, m[0] != '\0' ? " Do not "
		    "apply during the CA's maintenance (" : "", m,
		    m[0] != '\0' ? "): applications filed then fail." : "",
		    review_days(c));
	heading(c, "Record it", "記録");
	para(c, "%s", L(c, "When you have applied, record it: the reminders "
	    "stop and renewd starts watching for the new certificate.",
	    "申請が済んだら、次のコマンドで記録してください。リマインダー"
	    "が止まり、新しい証明書の確認が始まります。"));
	command(c, "mark %s applied", c->name);
}

static void
steps_install(struct comp *c)
{
	int issued = c->st != NULL && c->st->cycle.state == CYCLE_ISSUED;
	const char *inter = c->tc->product == PRODUCT_EV ? "SureServer EV CA"
	    : "SureServer CA";

	heading(c, "What to do next: steps 4 to 6",
	    "次に行うこと：手順4〜6");
	if (c->ja) {
		step(c, 4, "", "ダウンロード", "「証明書発行」のメールが届いたら、"
		    "サーバー証明書と、対応する中間CA証明書をテキスト（PEM）"
		    "形式でダウンロードしてください。中間CA証明書はクロス"
		    "ルートなしの3階層のもの（%s）を選びます。別の中間CA証明書"
		    "を選ぶと、正しくインストールできません。", inter);
		step(c, 5, "", "インストール", "管理画面で、サーバー証明書と中間"
		    "CA証明書を貼り付け、CSR と一緒に作成した秘密鍵を選んで"
		    "ください。クロスルート用の中間CA証明書の欄は空欄のままに"
		    "します。CSR を作成したサーバーがアクティブになっている"
		    "ことを確認してください（別のサーバーでは鍵が一致しません）"
		    "。");
		step(c, 6, "", "確認", "renewd がすべてのアドレスを自動的に確認"
		    "し、新しい証明書が使われていることを確認できた時点で"
		    "お知らせします。");
	} else {
		step(c, 4, "download", "", "After the CA's \"certificate "
		    "issued\" mail, download the server certificate and the "
		    "matching intermediate CA certificate as PEM text: the "
		    "3-tier chain without cross-root (%s). Another "
		    "intermediate breaks the installation.", inter);
		step(c, 5, "install", "", "In the admin console, paste the "
		    "server certificate and the intermediate certificate, "
		    "choose the private key made with the CSR, and leave the "
		    "cross-root intermediate field empty. The server that "
		    "made the CSR must be the active one, or the key will "
		    "not match.");
		step(c, 6, "verify", "", "renewd checks every address by "
		    "itself and tells you when the new certificate is in "
		    "service.");
	}
	heading(c, "Record it", "記録");
	if (!issued) {
		para(c, "%s", L(c, "When the certificate has been issued you "
		    "may record it (optional):", "証明書が発行されたら、次の"
		    "コマンドで記録できます（任意）。"));
		command(c, "mark %s issued", c->name);
	}
	para(c, "%s", L(c, "If the renewal was recorded by mistake, start "
	    "over with:", "誤って記録した場合は、次のコマンドでやり直せます。"));
	command(c, "reset %s", c->name);
}

/* 4 and 5. The next step and the renewctl line. */
static void
next_steps(struct comp *c)
{
	switch (c->n->kind) {
	case NOTICE_REMINDER:
	case NOTICE_APPLY_BY:
	case NOTICE_OVERDUE:
		steps_apply(c);
		break;
	case NOTICE_INSTALL:
		steps_install(c);
		break;
	case NOTICE_LAPSED:
		heading(c, "What to do next", "次に行うこと");
		para(c, "%s", L(c, "Make a new contract with the reseller "
		    "and install its certificate (steps 2 to 5). To start "
		    "tracking this target afresh now:", "販売代理店で新規契約"
		    "を行い、その証明書をインストールしてください（手順2〜5）。"
		    "すぐにこの対象の管理をやり直す場合は、次のコマンドを実行"
		    "してください。"));
		command(c, "reset %s", c->name);
		break;
	case NOTICE_RENEWED:
		heading(c, "What to do next", "次に行うこと");
		para(c, "%s", L(c, "Nothing to record: renewd verified the "
		    "renewal by itself. You may also confirm the CN and the "
		    "new expiry date with the CA's online checker. The new "
		    "cycle is shown by:", "記録は不要です（renewd が自動的に"
		    "確認しました）。必要に応じて、認証局のオンラインチェッカー"
		    "でも CN と新しい有効期限をご確認ください。新しい期限は次の"
		    "コマンドで確認できます。"));
		command(c, "status %s", c->name);
		break;
	case NOTICE_PROBLEM:
		heading(c, "What to do next", "次に行うこと");
		para(c, "%s", L(c, "When the server answers again, check it "
		    "at once with:", "復旧したら、次のコマンドですぐに確認でき"
		    "ます。"));
		command(c, "probe %s", c->name);
		break;
	}
}

static const char *
subject_en(const struct comp *c, const struct dates *d, char *buf,
    size_t len)
{
	const struct policy_notice *n = c->n;
	char t[96];

	switch (n->kind) {
	case NOTICE_REMINDER:
		if (n->applications_open && n->threshold_days >= APPLY_OPEN_DAYS)
			snprintf(buf, len, "renewal applications are now open, "
			    "%s (ends %s)", d->left, d->es);
		else
			snprintf(buf, len, "certificate renewal due, %s (ends "
			    "%s)", d->left, d->es);
		break;
	case NOTICE_APPLY_BY:
		fmt_hhmm((int)(jst_secs_of_day(n->apply_deadline) / 60), t,
		    sizeof(t));
		snprintf(buf, len, "apply for renewal today, by %s JST", t);
		break;
	case NOTICE_OVERDUE:
		snprintf(buf, len, "URGENT: renewal not applied, contract "
		    "ends %s", d->es);
		break;
	case NOTICE_LAPSED:
		snprintf(buf, len, "contract lapsed on %s, a new contract is "
		    "needed", d->es);
		break;
	case NOTICE_INSTALL:
		snprintf(buf, len, "install the renewed certificate (old one "
		    "ends %s)", d->es);
		break;
	case NOTICE_RENEWED:
		fmt_day_short(0, jday_from_time(n->new_not_after), t, sizeof(t));
		snprintf(buf, len, "renewed certificate verified, valid until "
		    "%s", t);
		break;
	case NOTICE_PROBLEM:
		fmt_time_short(0, n->outage_since, t, sizeof(t));
		snprintf(buf, len, "no certificate can be fetched since %s", t);
		break;
	}
	return buf;
}

static const char *
subject_ja(const struct comp *c, const struct dates *d, char *buf,
    size_t len)
{
	const struct policy_notice *n = c->n;
	char t[96];

	switch (n->kind) {
	case NOTICE_REMINDER:
		if (n->applications_open && n->threshold_days >= APPLY_OPEN_DAYS)
			snprintf(buf, len, "証明書の更新申請の受付が始まりました"
			    "（契約終了まで%s）", d->left);
		else
			snprintf(buf, len, "証明書の更新期限が近づいています"
			    "（%s、契約終了 %s）", d->left, d->es);
		break;
	case NOTICE_APPLY_BY:
		fmt_hhmm((int)(jst_secs_of_day(n->apply_deadline) / 60), t,
		    sizeof(t));
		snprintf(buf, len, "本日が更新申請の期限です（%s JST まで）", t);
		break;
	case NOTICE_OVERDUE:
		snprintf(buf, len, "【至急】更新申請の期限を過ぎています（契約"
		    "終了 %s）", d->es);
		break;
	case NOTICE_LAPSED:
		snprintf(buf, len, "契約が自動解約されました（新規契約が必要"
		    "です）");
		break;
	case NOTICE_INSTALL:
		snprintf(buf, len, "更新した証明書をインストールしてください"
		    "（現在の証明書の期限 %s）", d->es);
		break;
	case NOTICE_RENEWED:
		fmt_day_short(1, jday_from_time(n->new_not_after), t, sizeof(t));
		snprintf(buf, len, "更新後の証明書を確認しました（有効期限 %s）",
		    t);
		break;
	case NOTICE_PROBLEM:
		fmt_time_short(1, n->outage_since, t, sizeof(t));
		snprintf(buf, len, "証明書を取得できません（%s から）", t);
		break;
	}
	return buf;
}

void
mailmsg_text(const struct mailmsg_in *in, struct mailmsg_text *out)
{
	struct comp c;
	struct dates d;
	char s[512];

	memset(&c, 0, sizeof(c));
	c.in = in;
	c.n = in->notice;
	c.tc = in->target;
	c.cfg = in->cfg;
	c.st = in->state;
	c.name = in->target->name;
	c.ja = in->cfg->lang == LANG_JA;
	dates_init(&c, &d);

	if (c.ja)
		subject_ja(&c, &d, s, sizeof(s));
	else
		subject_en(&c, &d, s, sizeof(s));
	out->subject = xasprintf("[renewd] %s: %s", c.name, s);

	lead(&c, &d);
	deadline(&c, &d);
	certificate(&c);
	next_steps(&c);
	buf_printf(&c.b, "-- \n%s\n", L(&c, "This mail was sent automatically "
	    "by renewd; replies are not read.", "このメールは renewd が自動送信"
	    "しています。返信はできません。"));
	buf_printf(&c.b, "%s%s\n", L(&c, "Notice: ", "通知ID："), c.n->id);
	out->body = buf_steal(&c.b);
}

void
mailmsg_text_free(struct mailmsg_text *t)
{
	free(t->subject);
	free(t->body);
	t->subject = t->body = NULL;
}

/* --- the message ---------------------------------------------------------- */

static char *
crlf(const char *s, size_t *lenp)
{
	struct buf b = { 0 };

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_add(&b, "\r", 1);
		buf_add(&b, s, 1);
	}
	*lenp = b.len;
	return buf_steal(&b);
}

void
mailmsg_compose(const struct mailmsg_in *in, struct mailmsg *out)
{
	struct mailmsg_text t;
	struct buf b = { 0 };
	char date[64], *jis = NULL, *h;
	size_t jlen = 0;
	int want_jis = rd_strcaseeq(in->cfg->mail.charset, "iso-2022-jp");
	int use_jis = 0;

	memset(out, 0, sizeof(*out));
	mailmsg_text(in, &t);
	out->from = xstrdup(in->cfg->mail.from);
	mailmsg_recipients(in->target, &in->cfg->mail, &out->rcpt);
	out->message_id = mailmsg_message_id(in->target->name,
	    in->notice->id, in->cfg->mail.from);
	out->subject = xstrdup(t.subject);
	if (want_jis) {
		if (mailmsg_to_iso2022jp(t.body, strlen(t.body), &jis,
		    &jlen) == 0)
			use_jis = 1;
		else
			out->charset_fallback = 1;
	}

	buf_printf(&b, "From: renewd <%s>\r\n", out->from);
	if (out->rcpt.n > 0)
		header_addresses(&b, "To", &out->rcpt);
	else
		buf_adds(&b, "To: undisclosed-recipients:;\r\n");
	h = mailmsg_header_text("Subject", t.subject, use_jis);
	buf_adds(&b, h);
	free(h);
	mailmsg_date(in->now, date, sizeof(date));
	buf_printf(&b, "Date: %s\r\n", date);
	header_token(&b, "Message-ID", out->message_id);
	buf_adds(&b, "MIME-Version: 1.0\r\n");
	if (use_jis)
		buf_adds(&b, "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n");
	else
		buf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n");
	buf_adds(&b, "Auto-Submitted: auto-generated\r\n");
	buf_adds(&b, "X-Auto-Response-Suppress: All\r\n");
	header_token(&b, "X-Renewd-Target", in->target->name);
	buf_printf(&b, "X-Renewd-Kind: %s\r\n",
	    notice_kind_name(in->notice->kind));
	header_token(&b, "X-Renewd-Notice", in->notice->id);
	buf_adds(&b, "\r\n");
	if (use_jis) {
		size_t n;
		char *body = crlf(jis, &n);

		buf_add(&b, body, n);
		free(body);
	} else {
		size_t n;
		char *body = crlf(t.body, &n), *b64;

		b64 = mailmsg_base64(body, n, MAILMSG_B64_LINE);
		buf_adds(&b, b64);
		free(b64);
		free(body);
	}
	free(jis);
	mailmsg_text_free(&t);
	out->len = b.len;
	out->data = buf_steal(&b);
}

void
mailmsg_free(struct mailmsg *m)
{
	free(m->from);
	strlist_free(&m->rcpt);
	free(m->message_id);
	free(m->subject);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

/* --- the webhook ---------------------------------------------------------- */

static void
json_day(json_t *o, const char *key, int day)
{
	char d[16];

	if (day < 0 || day == CAL_NO_DAY)
		return;
	jday_format(day, d);
	json_object_set_new(o, key, json_string(d));
}

static void
json_time(json_t *o, const char *key, time_t t)
{
	char s[32];

	if (t <= 0)
		return;
	time_format_jst(t, s, sizeof(s));
	json_object_set_new(o, key, json_string(s));
}

char *
mailmsg_webhook(const struct mailmsg_in *in)
{
	const struct policy_notice *n = in->notice;
	struct mailmsg_text t;
	json_t *root, *f;
	char *text, *out;

	mailmsg_text(in, &t);
	text = xasprintf("%s\n\n%s", t.subject, t.body);
	root = json_object();
	f = json_object();
	json_object_set_new(root, "text", json_string(text));
	json_object_set_new(f, "target", json_string(in->target->name));
	json_object_set_new(f, "kind", json_string(notice_kind_name(n->kind)));
	json_object_set_new(f, "id", json_string(n->id));
	json_object_set_new(f, "subject", json_string(t.subject));
	if (n->expiry >= 0) {
		json_day(f, "expiry", n->expiry);
		json_object_set_new(f, "days_left", json_integer(n->days_left));
		json_day(f, "apply_by", n->apply_by);
		json_time(f, "apply_deadline", n->apply_deadline);
	}
	json_time(f, "due", n->due);
	if (n->kind == NOTICE_REMINDER)
		json_object_set_new(f, "threshold_days",
		    json_integer(n->threshold_days));
	if (n->has_window) {
		json_time(f, "window_start", n->window.start);
		json_time(f, "window_end", n->window.end);
	}
	if (n->kind == NOTICE_RENEWED) {
		json_day(f, "new_expiry", n->new_expiry);
		json_time(f, "new_not_after", n->new_not_after);
	}
	if (n->kind == NOTICE_PROBLEM)
		json_time(f, "outage_since", n->outage_since);
	json_object_set_new(root, "renewd", f);
	out = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(root);
	free(text);
	mailmsg_text_free(&t);
	if (out == NULL)
		abort();	/* only on allocation failure */
	return out;
}
