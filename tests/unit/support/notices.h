/*
 * notices.h — a configured target, its saved state (with a last good
 * observation of two addresses) and a notice of any kind, for the tests of
 * the mail, the outbox and the mailer (tests/unit/support/notices.c).
 */
#ifndef RENEWD_TEST_NOTICES_H
#define RENEWD_TEST_NOTICES_H

#include <time.h>

#include "config.h"
#include "mailmsg.h"
#include "policy.h"
#include "state.h"

struct fx {
	struct config		*cfg;
	const struct target_conf *tc;
	struct target_state	*st;
	struct policy_notice	 n;
	time_t			 now;
	struct mailmsg_in	 in;
	const char		*cn;	/* the leaf's, when set (borrowed) */
	const char		*org;
};

/*
 * `conf` is a whole renewd.conf; NULL gives the default one (lang en,
 * [mail] from renewd@example.jp, to ssl-admins@example.jp and
 * noc@example.jp, a target www.example.jp with names www.example.jp and
 * example.jp, notify web-team@example.jp and SSL-Admins@Example.jp). The
 * observation has both addresses serving one leaf (CN www.example.jp,
 * O 株式会社エグザンプル, L 千代田区, ST 東京都, C JP, no OU); the notice
 * is of `kind` for E = 2027-03-31 at now = 2026-12-31 09:00 JST.
 */
void	 fx_init(struct fx *, const char *conf, enum notice_kind kind);
void	 fx_free(struct fx *);
/* Both addresses' leaf subject O or CN (`o`, `cn` are kept: keep them
 * alive), or the second address a different leaf. */
void	 fx_set_org(struct fx *, const char *o);
void	 fx_set_cn(struct fx *, const char *cn);
void	 fx_mixed_leaves(struct fx *);
/* The default config text, with `extra` lines appended to [renewd] and
 * lang set (caller frees). */
char	*fx_conf(const char *lang, const char *charset, const char *mail_extra);

#endif
