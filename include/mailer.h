/*
 * mailer.h — sending what the outbox holds (src/renewd/mailer.c): libcurl's
 * multi interface on a sender thread of its own (libcurl's SMTP code waits
 * for some replies blocking), SMTP for mail entries and an HTTP POST for
 * webhook entries; everything else, the outbox included, stays on the
 * daemon's loop. One transfer of each type at a time, oldest entry first.
 * Before each attempt the delivery record is prepared
 * (outbox_record_prepare: an outbox that cannot be written holds the
 * entry back); the sender makes it the moment the server accepts.
 *
 * SMTP: smtp:// uses STARTTLS when the server offers it (require_tls = yes:
 * only then; a server without STARTTLS gets nothing and the entry waits),
 * smtps:// is TLS from the start. The server's certificate is verified
 * against the system's roots, or [mail] ca_file. AUTH with [mail] username
 * and the password from password_file (read at each attempt; a file others
 * may read is warned about). Every recipient the server accepts gets the
 * message (a refused recipient does not hold back the others).
 *
 * Outcomes: accepted (250 after DATA; for a webhook any 2xx) -> delivered;
 * a 5xx reply (a webhook's 4xx other than 408/429) -> failed, kept, logged
 * loudly, not retried until outbox_retry(); anything else (4xx, connection
 * or TLS failure, timeout) -> retried with the outbox's backoff.
 *
 * Use: m = mailer_new(base, ob, cfg) once the outbox is open (it registers
 * itself as the outbox's hook, so outbox_submit starts a transfer at once);
 * mailer_set_config(m, cfg) after a reload; mailer_free(m) before
 * outbox_close() (transfers in flight are abandoned, their entries stay
 * queued and go out after the next start; a transfer stuck in one of
 * libcurl's blocking waits is given 5 s, then left to the process's end).
 */
#ifndef RENEWD_MAILER_H
#define RENEWD_MAILER_H

#include <stddef.h>

#include "config.h"
#include "outbox.h"

struct event_base;
struct mailer;

/* NULL when libcurl cannot be set up (logged). */
struct mailer	*mailer_new(struct event_base *, struct outbox *,
		    const struct config *);
/* Take the [mail] and [webhook] settings from `cfg` (copied). */
void		 mailer_set_config(struct mailer *, const struct config *);
/* Look at the outbox now (also done by the outbox's hook). */
void		 mailer_kick(struct mailer *);
/* Transfers in flight. */
size_t		 mailer_inflight(const struct mailer *);
/* Called after each attempt's outcome was recorded in the outbox. */
void		 mailer_set_hook(struct mailer *, void (*)(void *), void *);
void		 mailer_free(struct mailer *);

#endif
