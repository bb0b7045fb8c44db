/*
 * starttls.h — the plaintext part of SMTP, IMAP and POP3 STARTTLS as a pure
 * state machine (src/core/starttls.c). The probe engine reads bytes from the
 * socket, feeds them here and writes whatever the machine asks for; nothing
 * here touches the network.
 *
 *   SMTP: 220 greeting (multi-line "220-"), EHLO, 250 lines listing STARTTLS,
 *         STARTTLS, 220.
 *   IMAP: "* OK" greeting, "a1 STARTTLS", "a1 OK" (untagged lines skipped).
 *   POP3: "+OK" greeting, "STLS", "+OK".
 */
#ifndef RENEWD_STARTTLS_H
#define RENEWD_STARTTLS_H

#include <stddef.h>

#include "config.h"

#define STARTTLS_LINE_MAX	1024		/* one reply line, CRLF included */
#define STARTTLS_TOTAL_MAX	(16 * 1024)	/* all plaintext before TLS */

enum starttls_status {
	STARTTLS_NEED_MORE,	/* feed more bytes */
	STARTTLS_SEND,		/* send starttls_output(), then feed more */
	STARTTLS_PROCEED,	/* the server agreed: start the TLS handshake */
	STARTTLS_FAIL,		/* give up; starttls_error() says why */
};

struct starttls_parser {
	enum starttls	proto;
	int		stage;		/* file-local stages */
	int		offered;	/* SMTP: EHLO reply listed STARTTLS */
	int		code;		/* SMTP: code of the reply being read */
	size_t		total;		/* bytes fed so far */
	size_t		linelen;
	char		line[STARTTLS_LINE_MAX + 1];
	char		out[300];	/* the command to send, CRLF included */
	char		error[200];
};

/* Start a conversation; `ehlo_name` is the SMTP EHLO argument (a host name;
 * anything that is not one is replaced by "localhost"). */
void	 starttls_init(struct starttls_parser *, enum starttls proto,
	    const char *ehlo_name);
/*
 * Feed bytes received from the server. Lines are split here (CRLF or LF),
 * each at most STARTTLS_LINE_MAX bytes, STARTTLS_TOTAL_MAX in all. Stops at
 * the first line that decides something; `*used` says how many bytes were
 * consumed. After STARTTLS_SEND, feed the rest of the data (if any) again.
 * Bytes after the final reply are an error (nothing may precede TLS).
 */
enum starttls_status starttls_feed(struct starttls_parser *, const char *data,
	    size_t len, size_t *used);
/* Feed one complete line, without its line ending. */
enum starttls_status starttls_feed_line(struct starttls_parser *,
	    const char *line, size_t len);
const char	*starttls_output(const struct starttls_parser *);
const char	*starttls_error(const struct starttls_parser *);

#endif
