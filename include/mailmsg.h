/*
 * mailmsg.h — the notification mail (src/core/mailmsg.c): from a policy
 * notice, the target's config and what it was last seen serving, a complete
 * RFC 5322 / MIME message in the configured language and charset. Pure: the
 * time is an argument, nothing is read or sent from here (iconv converts
 * to ISO-2022-JP in memory).
 *
 * The message:
 *   From: renewd <[mail] from>
 *   To: the target's notify, then [mail] to (deduplicated, case-insensitive)
 *   Subject: the target's name (from the config: a host name or an IP
 *	literal) and fixed text; RFC 2047 B encoded-words when not ASCII
 *   Date: `now` in Japan time (+0900)
 *   Message-ID: <renewd.HASH@domain of from>, HASH from the target and the
 *	notice id, so the same notice always has the same id
 *   MIME-Version, Content-Type: text/plain (UTF-8 in base64, or
 *	ISO-2022-JP in 7bit), Auto-Submitted: auto-generated,
 *   X-Auto-Response-Suppress: All, X-Renewd-Target, X-Renewd-Kind,
 *   X-Renewd-Notice (the notice id).
 * Header lines are folded at 78 characters where they can be (a single
 * address or name longer than that stays whole). Lines end in CRLF. Text
 * from a certificate or a server appears only in the body, with its
 * control characters neutralised (rd_sanitize).
 *
 * With charset = iso-2022-jp, a body holding a character that ISO-2022-JP
 * cannot carry (a certificate's organisation name may) is sent in UTF-8
 * instead: nothing is lost or replaced; `charset_fallback` says so.
 */
#ifndef RENEWD_MAILMSG_H
#define RENEWD_MAILMSG_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "policy.h"
#include "state.h"
#include "util.h"

#define MAILMSG_LINE_MAX	78	/* header lines are folded at this */
#define MAILMSG_WORD_MAX	75	/* an RFC 2047 encoded-word */
#define MAILMSG_B64_LINE	76	/* base64 body lines */

/* Everything a notification is made from; the pointers are borrowed. */
struct mailmsg_in {
	const struct policy_notice	*notice;
	const struct target_conf	*target;
	const struct config		*cfg;	/* [mail], lang, [ca] */
	const struct target_state	*state;	/* the last good observation,
						 * the last error, the cycle;
						 * NULL: nothing known */
	time_t				 now;
};

/* The words of a notification, UTF-8, before any encoding. */
struct mailmsg_text {
	char	*subject;	/* one line */
	char	*body;		/* lines end in LF */
};
void	 mailmsg_text(const struct mailmsg_in *, struct mailmsg_text *out);
void	 mailmsg_text_free(struct mailmsg_text *);

struct mailmsg {
	char		*from;		/* envelope sender: [mail] from */
	struct strlist	 rcpt;		/* envelope recipients (= To:); may be
					 * empty when nobody is configured */
	char		*message_id;	/* "<renewd.HASH@domain>" */
	char		*subject;	/* UTF-8, for logs and listings */
	char		*data;		/* the whole message, CRLF lines */
	size_t		 len;
	int		 charset_fallback;	/* ISO-2022-JP asked, UTF-8 sent */
};
/* Compose the message; `out` is overwritten (free with mailmsg_free). */
void	 mailmsg_compose(const struct mailmsg_in *, struct mailmsg *out);
void	 mailmsg_free(struct mailmsg *);

/*
 * The same notice for a webhook: JSON text (caller frees), Slack-compatible
 * {"text": subject, empty line, body} with the facts as fields:
 * {"renewd": {"target", "kind", "id", "expiry", "days_left", "apply_by",
 * "apply_deadline", "due", "has_window", "window_start", "window_end",
 * "new_expiry", "outage_since"}} (dates YYYY-MM-DD, times ISO 8601 in
 * Japan time; absent facts are left out).
 */
char	*mailmsg_webhook(const struct mailmsg_in *);

/* --- pieces, also for tests and the webhook ------------------------------ */

/* The recipients: notify, then to, without repeats (case-insensitive). */
void	 mailmsg_recipients(const struct target_conf *, const struct mail_conf *,
	    struct strlist *out);
/* "<renewd.HASH@domain>" for (target, notice id) and the sender's domain. */
char	*mailmsg_message_id(const char *target, const char *notice_id,
	    const char *from);
/* "Tue, 24 Nov 2026 09:00:00 +0900" (buf >= 32). */
void	 mailmsg_date(time_t, char *buf, size_t len);
/* Base64 of `len` bytes; with linelen > 0, CRLF after every linelen
 * characters and at the end. */
char	*mailmsg_base64(const void *, size_t len, size_t linelen);
/*
 * A header field "Name: value", folded (CRLF + space) so that no line is
 * longer than MAILMSG_LINE_MAX. An ASCII value is folded at its spaces; a
 * value with other bytes (UTF-8), or an ASCII one with a word too long to
 * fold, becomes RFC 2047 B encoded-words of at most MAILMSG_WORD_MAX
 * characters, split between characters, in UTF-8 or (jis, when
 * every character converts) ISO-2022-JP. Ends in CRLF.
 */
char	*mailmsg_header_text(const char *name, const char *value,
	    int jis);
/* UTF-8 to ISO-2022-JP, each LF-terminated line ending in ASCII. 0, or -1
 * when a character has no ISO-2022-JP form (or iconv is unavailable). */
int	 mailmsg_to_iso2022jp(const char *utf8, size_t len, char **out,
	    size_t *outlen);

#endif
