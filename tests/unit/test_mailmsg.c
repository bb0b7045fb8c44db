/*
 * test_mailmsg.c — the notification mail (src/core/mailmsg.c): every kind
 * in English and Japanese, UTF-8 and ISO-2022-JP; the headers (present,
 * folded, ASCII, nothing from a certificate), the subject decoding back
 * from RFC 2047, the body decoding back to text with the facts the admin
 * needs, and the pieces (dates, ids, base64, recipients, the webhook).
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "calendar.h"
#include "mailmsg.h"
#include "support/notices.h"
#include "util.h"

/* --- a small MIME reader -------------------------------------------------- */

struct parsed {
	struct strlist	 names;		/* header names, in order */
	struct strlist	 values;	/* unfolded values */
	char		*body;		/* decoded to UTF-8 */
	size_t		 max_line;	/* longest physical header line */
	int		 header_8bit;
	int		 all_7bit;
};

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static char *
b64decode(const char *s, size_t n, size_t *outlen)
{
	struct buf b = { 0 };
	unsigned v = 0;
	int bits = 0;

	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		int d = b64val((unsigned char)s[i]);

		if (s[i] == '=' || s[i] == '\r' || s[i] == '\n')
			continue;
		assert_true(d >= 0);
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			char c = (char)((v >> (bits - 8)) & 0xff);

			buf_add(&b, &c, 1);
			bits -= 8;
		}
	}
	*outlen = b.len;
	return buf_steal(&b);
}

static char *
from_jis(const char *s, size_t n)
{
	iconv_t cd = iconv_open("UTF-8", "ISO-2022-JP");
	char *out = xcalloc(1, n * 4 + 16), *o = out, *in = (char *)(uintptr_t)s;
	size_t il = n, ol = n * 4 + 15;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &in, &il, &o, &ol) != (size_t)-1);
	iconv_close(cd);
	return out;
}

/* RFC 2047: =?charset?B?...?= words, whitespace between them dropped. */
static char *
rfc2047_decode(const char *v)
{
	struct buf b = { 0 };
	const char *p = v;
	int prev_word = 0;

	buf_adds(&b, "");
	while (*p != '\0') {
		if (strncmp(p, "=?", 2) == 0) {
			const char *cs = p + 2, *q = strchr(cs, '?'), *end;
			size_t len;
			char *raw, *txt;

			assert_non_null(q);
			assert_true(q[1] == 'B' && q[2] == '?');
			end = strstr(q + 3, "?=");
			assert_non_null(end);
			assert_true((size_t)(end + 2 - p) <= MAILMSG_WORD_MAX);
			raw = b64decode(q + 3, (size_t)(end - (q + 3)), &len);
			if (strncmp(cs, "ISO-2022-JP?", 12) == 0)
				txt = from_jis(raw, len);
			else {
				assert_memory_equal(cs, "UTF-8?", 6);
				txt = xstrndup(raw, len);
			}
			buf_adds(&b, txt);
			free(txt);
			free(raw);
			p = end + 2;
			prev_word = 1;
			continue;
		}
		if (*p == ' ' && prev_word) {
			const char *q = p + strspn(p, " ");

			if (strncmp(q, "=?", 2) == 0) {
				p = q;
				continue;
			}
		}
		buf_add(&b, p, 1);
		prev_word = 0;
		p++;
	}
	return buf_steal(&b);
}

static const char *
hdr(const struct parsed *m, const char *name)
{
	const char *v = NULL;
	int n = 0;

	for (size_t i = 0; i < m->names.n; i++)
		if (rd_strcaseeq(m->names.v[i], name)) {
			v = m->values.v[i];
			n++;
		}
	if (n > 1)
		fail_msg("header %s appears %d times", name, n);
	return v;
}

static void
parse(const char *data, size_t len, struct parsed *m)
{
	const char *p = data, *end = data + len, *hend;
	struct buf cur = { 0 };
	const char *ct, *cte;

	memset(m, 0, sizeof(*m));
	m->all_7bit = 1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] >= 0x80)
			m->all_7bit = 0;
	hend = strstr(data, "\r\n\r\n");
	assert_non_null(hend);
	while (p < hend + 2) {
		const char *eol = strstr(p, "\r\n");
		size_t l = (size_t)(eol - p);

		/* every line ends in CRLF: no bare CR or LF */
		assert_null(memchr(p, '\n', l));
		assert_null(memchr(p, '\r', l));
		if (l > m->max_line)
			m->max_line = l;
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)p[i] >= 0x80)
				m->header_8bit = 1;
		if (*p == ' ' || *p == '\t') {
			assert_true(cur.len > 0);
			buf_add(&cur, p, l);	/* unfold: drop the CRLF */
		} else {
			const char *colon = memchr(p, ':', l);

			if (cur.len > 0)
				strlist_add(&m->values, cur.data);
			buf_free(&cur);
			assert_non_null(colon);
			strlist_add_owned(&m->names, xstrndup(p,
			    (size_t)(colon - p)));
			buf_adds(&cur, "");
			buf_add(&cur, colon + 1, l - (size_t)(colon + 1 - p));
			/* values start after one space */
			if (cur.data[0] == ' ')
				memmove(cur.data, cur.data + 1, cur.len--);
		}
		p = eol + 2;
	}
	strlist_add(&m->values, cur.data);
	buf_free(&cur);
	assert_int_equal(m->names.n, m->values.n);
	p = hend + 4;
	ct = hdr(m, "Content-Type");
	cte = hdr(m, "Content-Transfer-Encoding");
	assert_non_null(ct);
	assert_non_null(cte);
	if (strcmp(cte, "base64") == 0) {
		size_t n;

		assert_string_equal(ct, "text/plain; charset=UTF-8");
		/* lines of at most 76 */
		for (const char *q = p; q < end;) {
			const char *eol = strstr(q, "\r\n");

			assert_non_null(eol);
			assert_true(eol - q <= MAILMSG_B64_LINE);
			q = eol + 2;
		}
		m->body = b64decode(p, (size_t)(end - p), &n);
	} else {
		assert_string_equal(cte, "7bit");
		assert_string_equal(ct, "text/plain; charset=ISO-2022-JP");
		m->body = from_jis(p, (size_t)(end - p));
	}
}

static void
parsed_free(struct parsed *m)
{
	strlist_free(&m->names);
	strlist_free(&m->values);
	free(m->body);
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL) {
		print_error("%s\n", hay);
		fail_msg("'%s' not found (text above)", needle);
	}
}

static char *
flat(const char *s)
{
	char *out = xstrdup(s), *w = out;

	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\n' && *s != '\r')
			*w++ = *s;
	*w = '\0';
	return out;
}

/* The same, ignoring where lines were wrapped (and all spaces). */
static void
assert_says(const char *hay, const char *needle)
{
	char *h = flat(hay), *n = flat(needle);

	if (strstr(h, n) == NULL) {
		print_error("%s\n", hay);
		fail_msg("'%s' not found (text above)", needle);
	}
	free(h);
	free(n);
}

/* --- every kind, both languages, both charsets ----------------------------- */

static const char *const kind_cmd[NOTICE_KIND_COUNT] = {
	[NOTICE_REMINDER] = "renewctl mark www.example.jp applied",
	[NOTICE_APPLY_BY] = "renewctl mark www.example.jp applied",
	[NOTICE_OVERDUE] = "renewctl mark www.example.jp applied",
	[NOTICE_LAPSED] = "renewctl reset www.example.jp",
	[NOTICE_INSTALL] = "renewctl mark www.example.jp issued",
	[NOTICE_RENEWED] = "renewctl status www.example.jp",
	[NOTICE_PROBLEM] = "renewctl probe www.example.jp",
};

static void
check_one(enum notice_kind kind, const char *lang, const char *charset)
{
	char *conf = fx_conf(lang, charset, NULL);
	struct fx fx;
	struct mailmsg m;
	struct mailmsg_text t;
	struct parsed p;
	char *subj;
	int ja = strcmp(lang, "ja") == 0;

	fx_init(&fx, conf, kind);
	mailmsg_text(&fx.in, &t);
	mailmsg_compose(&fx.in, &m);
	parse(m.data, m.len, &p);

	/* headers */
	assert_false(p.header_8bit);
	assert_true(p.max_line <= MAILMSG_LINE_MAX);
	assert_string_equal(hdr(&p, "From"), "renewd <renewd@example.jp>");
	assert_string_equal(hdr(&p, "To"), "web-team@example.jp, "
	    "SSL-Admins@Example.jp, noc@example.jp");
	assert_string_equal(hdr(&p, "Date"), "Thu, 31 Dec 2026 09:00:00 +0900");
	assert_string_equal(hdr(&p, "MIME-Version"), "1.0");
	assert_string_equal(hdr(&p, "Auto-Submitted"), "auto-generated");
	assert_string_equal(hdr(&p, "X-Renewd-Target"), "www.example.jp");
	assert_string_equal(hdr(&p, "X-Renewd-Kind"), notice_kind_name(kind));
	assert_string_equal(hdr(&p, "X-Renewd-Notice"), fx.n.id);
	assert_string_equal(hdr(&p, "Message-ID"), m.message_id);
	assert_true(strncmp(m.message_id, "<renewd.", 8) == 0);
	assert_true(strcmp(m.message_id + strlen(m.message_id) -
	    strlen("@example.jp>"), "@example.jp>") == 0);
	assert_null(hdr(&p, "Bcc"));
	assert_null(hdr(&p, "Cc"));
	subj = rfc2047_decode(hdr(&p, "Subject"));
	assert_string_equal(subj, t.subject);
	assert_string_equal(m.subject, t.subject);
	assert_true(strncmp(subj, "[renewd] www.example.jp: ", 25) == 0);
	if (ja)
		assert_true(strncmp(hdr(&p, "Subject"), "=?", 2) == 0);
	if (strcmp(charset, "iso-2022-jp") == 0) {
		assert_true(p.all_7bit);
		assert_false(m.charset_fallback);
	}

	/* envelope */
	assert_string_equal(m.from, "renewd@example.jp");
	assert_int_equal(m.rcpt.n, 3);

	/* body: the same text, with what the admin needs */
	{
		char *crlf_free = xstrdup(p.body), *w = crlf_free;

		for (const char *r = p.body; *r != '\0'; r++)
			if (*r != '\r')
				*w++ = *r;
		*w = '\0';
		assert_string_equal(crlf_free, t.body);
		free(crlf_free);
	}
	assert_contains(p.body, kind_cmd[kind]);
	assert_says(p.body, "\n    renewctl ");
	assert_contains(p.body, fx.n.id);
	assert_says(p.body, ja ? "2027年3月31日" : "2027-03-31");
	assert_says(p.body, "JST");
	/* step-1 fields of the live certificate, once (same leaf) */
	assert_says(p.body, "株式会社エグザンプル");
	assert_says(p.body, "千代田区");
	assert_says(p.body, "東京都");
	assert_says(p.body, "192.0.2.10:443, 192.0.2.11:443");
	assert_says(p.body, "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
	    "aa11aa11aa11aa11");
	assert_says(p.body, "CN=renewd Test SureServer CA");
	assert_says(p.body, "0a1b2c");
	assert_null(strstr(strstr(p.body, "0a1b2c") + 1, "0a1b2c"));
	assert_says(p.body, ja ? "2027年3月31日（水） 23:59:59 JST" :
	    "2027-03-31 (Wed) 23:59:59 JST");
	switch (kind) {
	case NOTICE_REMINDER:
		assert_says(p.body, ja ? "2027年3月23日（火） 23:59 JST" :
		    "2027-03-23 (Tue) 23:59 JST");
		assert_says(p.body, ja ? "あと90日" : "90 days left");
		assert_says(p.body, ja ? "受け付けています" :
		    "now accepting renewal applications");
		/* the next window, with the warning */
		assert_says(p.body, ja ? "2027年1月27日（水） 20:00 JST" :
		    "2027-01-27 (Wed) 20:00 JST");
		assert_says(p.body, ja ? "エラーになります" :
		    "Applications filed then fail");
		assert_says(p.body, ja ? "部門名（OU）が空" : "OU must be "
		    "empty");
		assert_says(p.body, "RSA 2048");
		assert_says(p.body, ja ? "グループアドレス" : "group "
		    "addresses");
		assert_says(p.body, ja ? "手順3" : "Step 3");
		break;
	case NOTICE_APPLY_BY:
	case NOTICE_OVERDUE:
		assert_says(p.body, ja ? "2027年3月23日" : "2027-03-23");
		assert_says(p.body, ja ? "手順1" : "Step 1");
		break;
	case NOTICE_INSTALL:
		assert_says(p.body, ja ? "クロスルートなしの3階層" :
		    "3-tier chain without cross-root");
		assert_says(p.body, ja ? "手順5" : "Step 5");
		break;
	case NOTICE_LAPSED:
		assert_says(p.body, ja ? "新規契約" : "new contract");
		break;
	case NOTICE_RENEWED:
		assert_says(p.body, ja ? "2028年3月31日" : "2028-03-31");
		break;
	case NOTICE_PROBLEM:
		assert_says(p.body, "resolve www.example.jp: timed out");
		break;
	}
	free(subj);
	parsed_free(&p);
	mailmsg_free(&m);
	mailmsg_text_free(&t);
	fx_free(&fx);
	free(conf);
}

static void
test_every_kind(void **state)
{
	static const char *const langs[] = { "en", "ja" };
	static const char *const charsets[] = { "utf-8", "iso-2022-jp" };

	(void)state;
	for (int k = 0; k < NOTICE_KIND_COUNT; k++)
		for (size_t l = 0; l < nitems(langs); l++)
			for (size_t c = 0; c < nitems(charsets); c++)
				check_one((enum notice_kind)k, langs[l],
				    charsets[c]);
}

/* --- the subject ------------------------------------------------------------ */

static void
test_subject_japanese(void **state)
{
	static const char *const expect[NOTICE_KIND_COUNT] = {
		[NOTICE_REMINDER] = "[renewd] www.example.jp: 証明書の更新申請の"
		    "受付が始まりました（契約終了まであと90日）",
		[NOTICE_LAPSED] = "[renewd] www.example.jp: 契約が自動解約され"
		    "ました（新規契約が必要です）",
	};
	static const char *const charsets[] = { "utf-8", "iso-2022-jp" };

	(void)state;
	for (size_t c = 0; c < nitems(charsets); c++)
		for (int k = 0; k < NOTICE_KIND_COUNT; k++) {
			char *conf = fx_conf("ja", charsets[c], NULL);
			struct fx fx;
			struct mailmsg m;
			struct parsed p;
			char *s;

			if (expect[k] == NULL) {
				free(conf);
				continue;
			}
			fx_init(&fx, conf, (enum notice_kind)k);
			mailmsg_compose(&fx.in, &m);
			parse(m.data, m.len, &p);
			assert_true(strncmp(hdr(&p, "Subject"), c == 0 ?
			    "=?UTF-8?B?" : "=?ISO-2022-JP?B?", c == 0 ? 10 : 16)
			    == 0);
			s = rfc2047_decode(hdr(&p, "Subject"));
			assert_string_equal(s, expect[k]);
			free(s);
			parsed_free(&p);
			mailmsg_free(&m);
			fx_free(&fx);
			free(conf);
		}
}

/* Encoded-words split between characters, never inside one; each fits. */
static void
test_header_text(void **state)
{
	static const char *const values[] = {
		"short",
		"[renewd] www.example.jp: renewal applications are now open, "
		"90 days left (ends 2027-03-31)",
		"あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむ"
		"めもやゆよらりるれろわをん",
		"a-very-long-word-without-any-spaces-that-cannot-be-folded-at-"
		"all-in-a-header-line-of-seventy-eight",
		"mixed 日本語 and English 𠮷野家 (a 4-byte character)",
	};

	(void)state;
	for (size_t i = 0; i < nitems(values); i++)
		for (int jis = 0; jis < 2; jis++) {
			char *h = mailmsg_header_text("Subject", values[i], jis);
			struct buf all = { 0 };
			struct parsed p;
			char *s;

			buf_adds(&all, h);
			buf_adds(&all, "Content-Type: text/plain; charset=UTF-8"
			    "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
			parse(all.data, all.len, &p);
			assert_false(p.header_8bit);
			assert_true(p.max_line <= MAILMSG_LINE_MAX);
			s = rfc2047_decode(hdr(&p, "Subject"));
			assert_string_equal(s, values[i]);
			free(s);
			parsed_free(&p);
			buf_free(&all);
			free(h);
		}
}

/* --- nothing from a certificate reaches a header ------------------------------ */

static void
test_header_injection(void **state)
{
	static const char *const langs[] = { "en", "ja" };

	(void)state;
	for (size_t l = 0; l < nitems(langs); l++)
		for (int k = 0; k < NOTICE_KIND_COUNT; k++) {
			char *conf = fx_conf(langs[l], "utf-8", NULL);
			struct fx fx;
			struct mailmsg m;
			struct parsed p;

			fx_init(&fx, conf, (enum notice_kind)k);
			/* raw, as if nothing had sanitised it before */
			fx_set_org(&fx, "Evil\r\nBcc: victim@example.com\r\n"
			    "\r\nInjected body");
			fx_set_cn(&fx, "x\nSubject: owned\x1b[31m");
			free(fx.st->last_error);
			fx.st->last_error = xstrdup("550\r\nBcc: a@b.example");
			mailmsg_compose(&fx.in, &m);
			parse(m.data, m.len, &p);
			assert_null(hdr(&p, "Bcc"));
			for (size_t i = 0; i < p.names.n; i++) {
				assert_false(rd_strcaseeq(p.names.v[i], "Bcc"));
				assert_null(strstr(p.values.v[i], "victim"));
				assert_null(strstr(p.values.v[i], "owned"));
			}
			assert_string_equal(hdr(&p, "X-Renewd-Target"),
			    "www.example.jp");
			/* neutralised in the body: no raw control byte */
			for (const char *c = p.body; *c != '\0'; c++)
				assert_true(*c == '\r' || *c == '\n' ||
				    (unsigned char)*c >= 0x20);
			assert_says(p.body, "Evil\\x0d\\x0aBcc: victim");
			assert_says(p.body, "x\\x0aSubject: owned\\x1b[31m");
			parsed_free(&p);
			mailmsg_free(&m);
			fx_free(&fx);
			free(conf);
		}
}

/* --- ISO-2022-JP -------------------------------------------------------------- */

static void
test_iso2022jp(void **state)
{
	char *conf = fx_conf("ja", "iso-2022-jp", NULL), *out;
	struct fx fx;
	struct mailmsg m;
	struct parsed p;
	size_t len;

	(void)state;
	/* each line ends in ASCII */
	assert_int_equal(mailmsg_to_iso2022jp("日本\nabc\n語", 14, &out, &len),
	    0);
	assert_string_equal(out, "\x1b$BF|K\\\x1b(B\nabc\n\x1b$B8l\x1b(B");
	free(out);
	/* a character outside JIS X 0208 */
	assert_int_equal(mailmsg_to_iso2022jp("𠮷", 4, &out, &len), -1);
	assert_null(out);

	/* the whole message falls back to UTF-8, nothing is lost */
	fx_init(&fx, conf, NOTICE_REMINDER);
	fx_set_org(&fx, "株式会社𠮷野家");
	mailmsg_compose(&fx.in, &m);
	assert_true(m.charset_fallback);
	parse(m.data, m.len, &p);
	assert_true(p.all_7bit);	/* base64 */
	assert_contains(p.body, "株式会社𠮷野家");
	parsed_free(&p);
	mailmsg_free(&m);
	fx_free(&fx);

	/* without such a character: ISO-2022-JP, 7bit, lines < 998 */
	fx_init(&fx, conf, NOTICE_OVERDUE);
	mailmsg_compose(&fx.in, &m);
	assert_false(m.charset_fallback);
	assert_non_null(strstr(m.data, "charset=ISO-2022-JP"));
	for (size_t i = 0, col = 0; i < m.len; i++) {
		assert_true((unsigned char)m.data[i] < 0x80);
		col = m.data[i] == '\n' ? 0 : col + 1;
		assert_true(col < 998);
	}
	mailmsg_free(&m);
	fx_free(&fx);
	free(conf);
}

/* --- what the certificate says: one leaf, or each --------------------------- */

static void
test_mixed_leaves(void **state)
{
	struct fx fx;
	struct mailmsg_text t;

	(void)state;
	fx_init(&fx, NULL, NOTICE_REMINDER);
	fx_mixed_leaves(&fx);
	mailmsg_text(&fx.in, &t);
	assert_contains(t.body, "different certificates");
	assert_contains(t.body, "Served at:                 192.0.2.10:443\n");
	assert_contains(t.body, "Served at:                 192.0.2.11:443\n");
	assert_contains(t.body, "0a1b2c");
	assert_contains(t.body, "0d0e0f");
	assert_contains(t.body, "bb22bb22");
	assert_contains(t.body, "mixed-certificates");
	assert_contains(t.body, "192.0.2.12:443: connect: Connection refused");
	mailmsg_text_free(&t);

	/* nothing seen yet */
	state_set_observation(fx.st, NULL);
	mailmsg_text(&fx.in, &t);
	assert_contains(t.body, "has not seen a certificate");
	mailmsg_text_free(&t);
	fx_free(&fx);
}

/* --- the pieces ------------------------------------------------------------- */

static void
test_pieces(void **state)
{
	char d[64], *s, *a, *b;
	struct fx fx;
	struct strlist r = { 0 };
	time_t t;

	(void)state;
	assert_int_equal(time_parse_iso("2026-11-23T15:00:00Z", &t), 0);
	mailmsg_date(t, d, sizeof(d));
	assert_string_equal(d, "Tue, 24 Nov 2026 00:00:00 +0900");
	assert_int_equal(time_parse_iso("2027-01-01T08:59:59+09:00", &t), 0);
	mailmsg_date(t, d, sizeof(d));
	assert_string_equal(d, "Fri, 1 Jan 2027 08:59:59 +0900");

	s = mailmsg_base64("", 0, 0);
	assert_string_equal(s, "");
	free(s);
	s = mailmsg_base64("foobar", 6, 0);
	assert_string_equal(s, "Zm9vYmFy");
	free(s);
	s = mailmsg_base64("fooba", 5, 4);
	assert_string_equal(s, "Zm9v\r\nYmE=\r\n");
	free(s);

	/* stable per (target, notice), different otherwise */
	a = mailmsg_message_id("www.example.jp", "2027-03-31/reminder-90",
	    "renewd@example.jp");
	b = mailmsg_message_id("www.example.jp", "2027-03-31/reminder-90",
	    "other@example.jp");
	assert_string_equal(a, b);
	free(b);
	b = mailmsg_message_id("mail.example.jp", "2027-03-31/reminder-90",
	    "renewd@example.jp");
	assert_string_not_equal(a, b);
	free(b);
	b = mailmsg_message_id("www.example.jp", "2027-03-31/reminder-60",
	    "renewd@example.jp");
	assert_string_not_equal(a, b);
	free(a);
	free(b);

	fx_init(&fx, NULL, NOTICE_REMINDER);
	mailmsg_recipients(fx.tc, &fx.cfg->mail, &r);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0], "web-team@example.jp");
	assert_string_equal(r.v[1], "SSL-Admins@Example.jp");
	assert_string_equal(r.v[2], "noc@example.jp");
	strlist_free(&r);
	fx_free(&fx);
}

/* Many recipients: To is folded after commas. */
static void
test_many_recipients(void **state)
{
	char *conf = fx_conf("en", "utf-8", NULL);
	struct buf c = { 0 };
	struct fx fx;
	struct mailmsg m;
	struct parsed p;

	(void)state;
	buf_adds(&c, conf);
	buf_adds(&c, "[target mail.example.jp]\nstarttls = smtp\nnotify = ");
	for (int i = 0; i < 20; i++)
		buf_printf(&c, "%sgroup-%02d@example.jp", i > 0 ? ", " : "", i);
	buf_adds(&c, "\n");
	fx_init(&fx, c.data, NOTICE_APPLY_BY);
	fx.tc = &fx.cfg->targets[1];
	fx.in.target = fx.tc;
	mailmsg_compose(&fx.in, &m);
	parse(m.data, m.len, &p);
	assert_int_equal(m.rcpt.n, 22);
	assert_true(p.max_line <= MAILMSG_LINE_MAX);
	assert_contains(hdr(&p, "To"), "group-19@example.jp, "
	    "ssl-admins@example.jp, noc@example.jp");
	parsed_free(&p);
	mailmsg_free(&m);
	fx_free(&fx);
	buf_free(&c);
	free(conf);
}

static void
test_webhook(void **state)
{
	struct fx fx;
	json_t *j, *f;
	json_error_t je;
	char *s;

	(void)state;
	fx_init(&fx, NULL, NOTICE_REMINDER);
	s = mailmsg_webhook(&fx.in);
	j = json_loads(s, 0, &je);
	assert_non_null(j);
	assert_true(strncmp(json_string_value(json_object_get(j, "text")),
	    "[renewd] www.example.jp: ", 25) == 0);
	assert_contains(json_string_value(json_object_get(j, "text")),
	    "renewctl mark www.example.jp applied");
	f = json_object_get(j, "renewd");
	assert_string_equal(json_string_value(json_object_get(f, "kind")),
	    "reminder");
	assert_string_equal(json_string_value(json_object_get(f, "expiry")),
	    "2027-03-31");
	assert_string_equal(json_string_value(json_object_get(f, "apply_by")),
	    "2027-03-23");
	assert_string_equal(json_string_value(json_object_get(f,
	    "apply_deadline")), "2027-03-23T23:59:59+09:00");
	assert_int_equal(json_integer_value(json_object_get(f, "days_left")),
	    90);
	assert_string_equal(json_string_value(json_object_get(f,
	    "window_start")), "2027-01-27T20:00:00+09:00");
	json_decref(j);
	free(s);
	fx_free(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_subject_japanese),
		cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_iso2022jp),
		cmocka_unit_test(test_mixed_leaves),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_webhook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
