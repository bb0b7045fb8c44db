/*
 * starttls.c — SMTP/IMAP/POP3 STARTTLS replies as a pure state machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starttls.h"
#include "util.h"

enum {
	STAGE_GREETING,		/* waiting for the server's greeting */
	STAGE_CAPA,		/* SMTP: waiting for the EHLO reply */
	STAGE_REPLY,		/* waiting for the reply to STARTTLS/STLS */
	STAGE_DONE,		/* proceeded or failed: nothing more to read */
};

#define ERROR_QUOTE_MAX	120	/* bytes of a server line quoted in an error */

static enum starttls_status
starttls_fail(struct starttls_parser *p, const char *msg)
{
	rd_strlcpy(p->error, msg, sizeof(p->error));
	p->stage = STAGE_DONE;
	return STARTTLS_FAIL;
}

/* "STARTTLS: unexpected reply: <line>", the line cut short and made safe. */
static enum starttls_status
starttls_unexpected(struct starttls_parser *p, const char *line, size_t len)
{
	char *safe;
	enum starttls_status st;

	if (len > ERROR_QUOTE_MAX)
		len = ERROR_QUOTE_MAX;
	safe = rd_sanitize(line, len);
	st = starttls_fail(p, "");
	snprintf(p->error, sizeof(p->error), "STARTTLS: unexpected reply: %s",
	    safe);
	free(safe);
	return st;
}

static enum starttls_status
starttls_send(struct starttls_parser *p, const char *cmd, int stage)
{
	rd_strlcpy(p->out, cmd, sizeof(p->out));
	p->stage = stage;
	return STARTTLS_SEND;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Does `line` start with the word `word` (case-insensitive), followed by the
 * end of the line or a space? */
static int
starts_with_word(const char *line, size_t len, const char *word)
{
	size_t i, wlen = strlen(word);

	if (len < wlen)
		return 0;
	for (i = 0; i < wlen; i++)
		if (to_upper(line[i]) != to_upper(word[i]))
			return 0;
	return len == wlen || line[wlen] == ' ' || line[wlen] == '\t';
}

/* A host name fit for EHLO: letters, digits, dots and dashes. */
static int
valid_ehlo_name(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!(is_digit(c) || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

void
starttls_init(struct starttls_parser *p, enum starttls proto,
    const char *ehlo_name)
{
	memset(p, 0, sizeof(*p));
	p->proto = proto;
	p->stage = STAGE_GREETING;
	if (proto == STARTTLS_SMTP)
		snprintf(p->out, sizeof(p->out), "EHLO %s\r\n",
		    valid_ehlo_name(ehlo_name) ? ehlo_name : "localhost");
}

/*
 * One SMTP reply line: "ddd", "ddd text" or "ddd-text". A multi-line reply
 * keeps its code. Sets *last when this line ends the reply.
 */
static int
smtp_line(struct starttls_parser *p, const char *line, size_t len, int *last)
{
	int code;

	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]))
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (p->code != 0 && code != p->code)
		return -1;
	p->code = code;
	*last = len == 3 || line[3] == ' ';
	if (*last)
		p->code = 0;
	return code;
}

static enum starttls_status
smtp_feed_line(struct starttls_parser *p, const char *line, size_t len)
{
	int code, last;

	if ((code = smtp_line(p, line, len, &last)) == -1)
		return starttls_unexpected(p, line, len);
	switch (p->stage) {
	case STAGE_GREETING:
		if (code != 220)
			return starttls_unexpected(p, line, len);
		if (!last)
			return STARTTLS_NEED_MORE;
		/* p->out already holds the EHLO command. */
		p->stage = STAGE_CAPA;
		return STARTTLS_SEND;
	case STAGE_CAPA:
		if (code != 250)
			return starttls_unexpected(p, line, len);
		if (len > 4) {
			const char *kw = line + 4;
			size_t kwlen = len - 4;

			while (kwlen > 0 && (*kw == ' ' || *kw == '\t')) {
				kw++;
				kwlen--;
			}
			while (kwlen > 0 && (kw[kwlen - 1] == ' ' ||
			    kw[kwlen - 1] == '\t'))
				kwlen--;
			if (starts_with_word(kw, kwlen, "STARTTLS"))
				p->offered = 1;
		}
		if (!last)
			return STARTTLS_NEED_MORE;
		if (!p->offered)
			return starttls_fail(p,
			    "STARTTLS: not offered by the server");
		return starttls_send(p, "STARTTLS\r\n", STAGE_REPLY);
	case STAGE_REPLY:
		if (code != 220)
			return starttls_unexpected(p, line, len);
		if (!last)
			return STARTTLS_NEED_MORE;
		p->stage = STAGE_DONE;
		return STARTTLS_PROCEED;
	}
	return starttls_fail(p, "STARTTLS: reply after the end");
}

static enum starttls_status
imap_feed_line(struct starttls_parser *p, const char *line, size_t len)
{
	switch (p->stage) {
	case STAGE_GREETING:
		if (len >= 2 && line[0] == '*' && line[1] == ' ' &&
		    starts_with_word(line + 2, len - 2, "OK"))
			return starttls_send(p, "a1 STARTTLS\r\n", STAGE_REPLY);
		return starttls_unexpected(p, line, len);
	case STAGE_REPLY:
		/* Untagged data (e.g. a CAPABILITY) may come first. */
		if (len >= 2 && line[0] == '*' && line[1] == ' ' &&
		    !starts_with_word(line + 2, len - 2, "BYE"))
			return STARTTLS_NEED_MORE;
		if (len >= 3 && memcmp(line, "a1 ", 3) == 0 &&
		    starts_with_word(line + 3, len - 3, "OK")) {
			p->stage = STAGE_DONE;
			return STARTTLS_PROCEED;
		}
		return starttls_unexpected(p, line, len);
	}
	return starttls_fail(p, "STARTTLS: reply after the end");
}

static enum starttls_status
pop3_feed_line(struct starttls_parser *p, const char *line, size_t len)
{
	switch (p->stage) {
	case STAGE_GREETING:
		if (starts_with_word(line, len, "+OK"))
			return starttls_send(p, "STLS\r\n", STAGE_REPLY);
		return starttls_unexpected(p, line, len);
	case STAGE_REPLY:
		if (starts_with_word(line, len, "+OK")) {
			p->stage = STAGE_DONE;
			return STARTTLS_PROCEED;
		}
		return starttls_unexpected(p, line, len);
	}
	return starttls_fail(p, "STARTTLS: reply after the end");
}

enum starttls_status
starttls_feed_line(struct starttls_parser *p, const char *line, size_t len)
{
	if (p->stage == STAGE_DONE)
		return starttls_fail(p, "STARTTLS: reply after the end");
	switch (p->proto) {
	case STARTTLS_SMTP:
		return smtp_feed_line(p, line, len);
	case STARTTLS_IMAP:
		return imap_feed_line(p, line, len);
	case STARTTLS_POP3:
		return pop3_feed_line(p, line, len);
	case STARTTLS_NONE:
		break;
	}
	return starttls_fail(p, "STARTTLS: no protocol chosen");
}

enum starttls_status
starttls_feed(struct starttls_parser *p, const char *data, size_t len,
    size_t *used)
{
	enum starttls_status st;
	size_t i = 0;

	*used = 0;
	if (p->stage == STAGE_DONE)
		return starttls_fail(p,
		    "STARTTLS: unexpected data after the server's reply");
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t take = nl != NULL ? (size_t)(nl - (data + i)) + 1 :
		    len - i;
		size_t n;

		if (p->total + take > STARTTLS_TOTAL_MAX) {
			*used = i;
			return starttls_fail(p, "STARTTLS: more than 16384 "
			    "bytes before the handshake");
		}
		if (p->linelen + take > STARTTLS_LINE_MAX) {
			*used = i;
			return starttls_fail(p, "STARTTLS: reply line longer "
			    "than 1024 bytes");
		}
		memcpy(p->line + p->linelen, data + i, take);
		p->linelen += take;
		p->total += take;
		i += take;
		if (nl == NULL)
			break;
		n = p->linelen - 1;		/* drop LF */
		if (n > 0 && p->line[n - 1] == '\r')
			n--;
		p->line[n] = '\0';
		p->linelen = 0;
		st = starttls_feed_line(p, p->line, n);
		if (st == STARTTLS_NEED_MORE)
			continue;
		*used = i;
		if (st == STARTTLS_PROCEED && i < len)
			return starttls_fail(p, "STARTTLS: unexpected data "
			    "after the server's reply");
		return st;
	}
	*used = i;
	return STARTTLS_NEED_MORE;
}

const char *
starttls_output(const struct starttls_parser *p)
{
	return p->out;
}

const char *
starttls_error(const struct starttls_parser *p)
{
	return p->error;
}
