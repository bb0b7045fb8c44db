/*
 * test_inspect.c — certificate inspection over chains made at test time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "inspect.h"
#include "support/pki.h"

#define DAY	86400
/* 2026-11-24T03:00:00Z (12:00 JST). */
#define NOW	((time_t)1795489200)

/* ---- the fixture: CAs shared by every case ------------------------------ */

enum fx {
	FX_NONE,		/* none: self-signed leaf, end of a list */
	FX_ROOT,		/* trusted root R2 */
	FX_OLDROOT,		/* trusted older root R1 */
	FX_CROSS,		/* R2's subject and key, issued by R1 */
	FX_INTER,		/* issuing CA under R2 */
	FX_INTER_SHORT,		/* issuing CA under R2 that ends in 30 days */
	FX_INTER_EXPIRED,	/* issuing CA under R2 that ended yesterday */
	FX_INTER_JA,		/* issuing CA under R2 with a Japanese name */
	FX_INTER_EVIL,		/* issuing CA under R2, control chars in O */
	FX_UNKNOWN_ROOT,	/* a root no store knows */
	FX_UNKNOWN_INTER,	/* issuing CA under the unknown root */
	FX_COUNT
};

enum store {
	ST_DEFAULT,		/* R2 + R1 */
	ST_WITH_INTER,		/* R2 + the issuing CA itself */
	ST_OLD_ONLY,		/* R1 only */
	ST_NONE,		/* no trust anchors at all */
	ST_COUNT
};

struct fx_def {
	struct pki_spec	 spec;
	enum fx		 issuer;
};

#define CA_NAME(cn_)	{ .c = "JP", .o = "Renewd Test Trust", .cn = (cn_) }

static const struct fx_def fx_defs[FX_COUNT] = {
	[FX_ROOT] = { { .subject = CA_NAME("Renewd Test Root R2"),
	    .key = PKI_EC256, .slot = 1, .ca = 1,
	    .not_before = NOW - 3000 * DAY, .not_after = NOW + 5000 * DAY },
	    FX_NONE },
	[FX_OLDROOT] = { { .subject = CA_NAME("Renewd Test Root R1"),
	    .key = PKI_EC256, .slot = 2, .ca = 1,
	    .not_before = NOW - 6000 * DAY, .not_after = NOW + 3000 * DAY },
	    FX_NONE },
	[FX_CROSS] = { { .subject = CA_NAME("Renewd Test Root R2"),
	    .key = PKI_EC256, .slot = 1, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_OLDROOT },
	[FX_INTER] = { { .subject = CA_NAME("Renewd Test CA"),
	    .key = PKI_EC256, .slot = 3, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_ROOT },
	[FX_INTER_SHORT] = { { .subject = CA_NAME("Renewd Short CA"),
	    .key = PKI_EC256, .slot = 4, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 30 * DAY },
	    FX_ROOT },
	[FX_INTER_EXPIRED] = { { .subject = CA_NAME("Renewd Old CA"),
	    .key = PKI_EC256, .slot = 5, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW - DAY },
	    FX_ROOT },
	[FX_INTER_JA] = { { .subject = { .c = "JP",
	    .o = "日本テスト認証局株式会社",
	    .cn = "テスト認証局 G3" },
	    .key = PKI_EC256, .slot = 3, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_ROOT },
	[FX_INTER_EVIL] = { { .subject = { .c = "JP",
	    .o = "Evil\r\nBcc: victim@example.jp\x1b[2J", .cn = "Evil CA" },
	    .key = PKI_EC256, .slot = 3, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_ROOT },
	[FX_UNKNOWN_ROOT] = { { .subject = CA_NAME("Unknown Root"),
	    .key = PKI_EC256, .slot = 6, .ca = 1,
	    .not_before = NOW - 3000 * DAY, .not_after = NOW + 5000 * DAY },
	    FX_NONE },
	[FX_UNKNOWN_INTER] = { { .subject = CA_NAME("Unknown CA"),
	    .key = PKI_EC256, .slot = 7, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_UNKNOWN_ROOT },
};

static X509		*fx[FX_COUNT];
static X509_STORE	*stores[ST_COUNT];

static X509_STORE *
store_of(const char *what, char *pem)
{
	char err[256] = "";
	X509_STORE *st;

	st = inspect_store_from_pem(pem, strlen(pem), err, sizeof(err));
	if (st == NULL)
		print_error("%s: %s\n", what, err);
	assert_non_null(st);
	free(pem);
	return st;
}

static int
fixture_setup(void **state)
{
	const struct fx_def *d;
	int i;

	(void)state;
	/* Issuers come before what they issue in the enum. */
	for (i = 1; i < FX_COUNT; i++) {
		d = &fx_defs[i];
		fx[i] = pki_cert(&d->spec, d->issuer ? fx[d->issuer] : NULL,
		    d->issuer ? pki_key(fx_defs[d->issuer].spec.key,
		    fx_defs[d->issuer].spec.slot) : NULL);
	}
	stores[ST_DEFAULT] = store_of("default",
	    pki_pem(fx[FX_ROOT], fx[FX_OLDROOT], NULL));
	stores[ST_WITH_INTER] = store_of("with intermediate",
	    pki_pem(fx[FX_ROOT], fx[FX_INTER], NULL));
	stores[ST_OLD_ONLY] = store_of("old root only",
	    pki_pem(fx[FX_OLDROOT], NULL));
	stores[ST_NONE] = NULL;
	return 0;
}

static int
fixture_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < FX_COUNT; i++) {
		X509_free(fx[i]);
		fx[i] = NULL;
	}
	for (i = 0; i < ST_COUNT; i++) {
		X509_STORE_free(stores[i]);
		stores[i] = NULL;
	}
	pki_cleanup();
	return 0;
}

/* A leaf as the spec says, issued by a fixture CA (or self-signed). */
static X509 *
make_leaf(const struct pki_spec *spec, enum fx issuer)
{
	if (issuer == FX_NONE)
		return pki_cert(spec, NULL, NULL);
	return pki_cert(spec, fx[issuer], pki_key(fx_defs[issuer].spec.key,
	    fx_defs[issuer].spec.slot));
}

static STACK_OF(X509) *
make_served(X509 *leaf, const enum fx *chain, size_t n)
{
	STACK_OF(X509) *sk = pki_chain(leaf, NULL);
	size_t i;

	for (i = 0; i < n && chain[i] != FX_NONE; i++) {
		assert_int_equal(X509_up_ref(fx[chain[i]]), 1);
		assert_true(sk_X509_push(sk, fx[chain[i]]) > 0);
	}
	return sk;
}

static void
names_of(struct strlist *sl, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && v[i] != NULL; i++)
		strlist_add(sl, v[i]);
}

static char *
problems_text(unsigned bits)
{
	struct buf b = { 0 };
	unsigned i;

	for (i = 0; i < PROB_COUNT; i++)
		if (bits & (1u << i))
			buf_printf(&b, "%s%s", b.len ? " " : "",
			    problem_word(1u << i));
	return buf_steal(&b);
}

static void
check_problems(const char *what, unsigned want, unsigned have)
{
	char *w, *h;

	if (want == have)
		return;
	w = problems_text(want);
	h = problems_text(have);
	print_error("%s: problems: want [%s], have [%s]\n", what, w, h);
	free(w);
	free(h);
	fail();
}

static void
check_str(const char *what, const char *field, const char *want,
    const char *have)
{
	if (want == NULL && have == NULL)
		return;
	if (want != NULL && have != NULL && strcmp(want, have) == 0)
		return;
	print_error("%s: %s: want \"%s\", have \"%s\"\n", what, field,
	    want ? want : "(null)", have ? have : "(null)");
	fail();
}

static void
check_int(const char *what, const char *field, long long want,
    long long have)
{
	if (want == have)
		return;
	print_error("%s: %s: want %lld, have %lld\n", what, field, want, have);
	fail();
}

/* ---- problem_word ------------------------------------------------------ */

static void
test_problem_words(void **state)
{
	static const char *const words[PROB_COUNT] = {
		"unreachable", "handshake-failed", "untrusted",
		"hostname-mismatch", "name-not-covered", "chain-incomplete",
		"cross-root-chain", "expired", "not-yet-valid", "weak-key",
		"mixed-certificates", "intermediate-expiring",
		"subject-mismatch",
	};
	unsigned i;

	(void)state;
	for (i = 0; i < PROB_COUNT; i++)
		check_str("problem_word", words[i], words[i],
		    problem_word(1u << i));
	assert_string_equal(problem_word(PROB_CROSS_ROOT_CHAIN),
	    "cross-root-chain");
	assert_null(problem_word(0));
	assert_null(problem_word(1u << PROB_COUNT));
	assert_null(problem_word(PROB_EXPIRED | PROB_WEAK_KEY));
}

/* ---- chains and their problems ----------------------------------------- */

#define LEAF_NAME	{ .c = "JP", .o = "Example KK", .cn = "www.example.jp" }
#define LEAF_SAN	"DNS:www.example.jp,DNS:example.jp"
#define LEAF(k_, nb_, na_) { .subject = LEAF_NAME, .san = LEAF_SAN, \
	.key = (k_), .not_before = (nb_), .not_after = (na_) }
#define GOOD_LEAF	LEAF(PKI_EC256, NOW - 10 * DAY, NOW + 300 * DAY)
#define WWW		"www.example.jp"

struct chain_case {
	const char	*what;
	struct pki_spec	 leaf;
	enum fx		 issuer;
	enum fx		 chain[4];	/* served after the leaf */
	enum store	 store;
	const char	*host;
	const char	*names[4];
	unsigned	 problems;	/* exactly these */
	int		 verify_ok;
	const char	*verify_error;	/* exactly, when verification fails */
	const char	*key;		/* when set */
};

static const struct chain_case chain_cases[] = {
	{ "EC P-256 leaf, good 3-tier chain: no problems", GOOD_LEAF,
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW, "example.jp" },
	    0, 1, NULL, "EC-256" },
	{ "RSA-2048 leaf, good chain",
	    LEAF(PKI_RSA2048, NOW - 10 * DAY, NOW + 300 * DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL,
	    "RSA-2048" },
	{ "EC P-384 leaf", LEAF(PKI_EC384, NOW - DAY, NOW + DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL,
	    "EC-384" },
	{ "Ed25519 leaf", LEAF(PKI_ED25519, NOW - DAY, NOW + DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL,
	    "Ed25519" },
	{ "RSA-1024 leaf is weak (and still verifies)",
	    LEAF(PKI_RSA1024, NOW - DAY, NOW + DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, PROB_WEAK_KEY, 1,
	    NULL, "RSA-1024" },
	{ "DSA-1024 leaf is weak", LEAF(PKI_DSA1024, NOW - DAY, NOW + DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, PROB_WEAK_KEY, 1,
	    NULL, "DSA-1024" },
	{ "expired leaf", LEAF(PKI_EC256, NOW - 400 * DAY, NOW - 1),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, PROB_EXPIRED, 0,
	    "certificate has expired (depth 0)", NULL },
	{ "leaf valid up to the second before notAfter",
	    LEAF(PKI_EC256, NOW - 400 * DAY, NOW + 1),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL,
	    NULL },
	{ "leaf expired at notAfter itself, as OpenSSL sees it",
	    LEAF(PKI_EC256, NOW - 400 * DAY, NOW),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, PROB_EXPIRED, 0,
	    "certificate has expired (depth 0)", NULL },
	{ "leaf valid from notBefore itself",
	    LEAF(PKI_EC256, NOW, NOW + DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL,
	    NULL },
	{ "leaf not yet valid", LEAF(PKI_EC256, NOW + 1, NOW + 400 * DAY),
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW },
	    PROB_NOT_YET_VALID, 0, "certificate is not yet valid (depth 0)",
	    NULL },
	{ "leaf only, intermediate not sent: chain-incomplete + untrusted",
	    GOOD_LEAF, FX_INTER, { FX_NONE }, ST_DEFAULT, WWW, { WWW },
	    PROB_CHAIN_INCOMPLETE | PROB_UNTRUSTED, 0,
	    "unable to get local issuer certificate (depth 0)", NULL },
	{ "intermediate found only in the local store: chain-incomplete, "
	    "verifies", GOOD_LEAF, FX_INTER, { FX_NONE }, ST_WITH_INTER, WWW,
	    { WWW }, PROB_CHAIN_INCOMPLETE, 1, NULL, NULL },
	{ "self-signed leaf: untrusted only", GOOD_LEAF, FX_NONE, { FX_NONE },
	    ST_DEFAULT, WWW, { WWW }, PROB_UNTRUSTED, 0,
	    "self-signed certificate (depth 0)", NULL },
	{ "expired self-signed leaf", LEAF(PKI_EC256, NOW - 9 * DAY,
	    NOW - 2 * DAY), FX_NONE, { FX_NONE }, ST_DEFAULT, WWW, { WWW },
	    PROB_UNTRUSTED | PROB_EXPIRED, 0,
	    "self-signed certificate (depth 0)", NULL },
	{ "chain ending at an unknown self-signed root: untrusted only",
	    GOOD_LEAF, FX_UNKNOWN_INTER, { FX_UNKNOWN_INTER, FX_UNKNOWN_ROOT },
	    ST_DEFAULT, WWW, { WWW }, PROB_UNTRUSTED, 0,
	    "self-signed certificate in certificate chain (depth 2)", NULL },
	{ "unknown root not sent: indistinguishable from a missing "
	    "intermediate", GOOD_LEAF, FX_UNKNOWN_INTER, { FX_UNKNOWN_INTER },
	    ST_DEFAULT, WWW, { WWW }, PROB_UNTRUSTED | PROB_CHAIN_INCOMPLETE,
	    0, "unable to get local issuer certificate (depth 1)", NULL },
	{ "4-tier chain with a cross-signed root: cross-root-chain, verifies",
	    GOOD_LEAF, FX_INTER, { FX_INTER, FX_CROSS }, ST_DEFAULT, WWW,
	    { WWW }, PROB_CROSS_ROOT_CHAIN, 1, NULL, NULL },
	{ "cross certificate needed when only the old root is trusted",
	    GOOD_LEAF, FX_INTER, { FX_INTER, FX_CROSS }, ST_OLD_ONLY, WWW,
	    { WWW }, 0, 1, NULL, NULL },
	{ "4-tier chain, old root only, cross not sent",
	    GOOD_LEAF, FX_INTER, { FX_INTER }, ST_OLD_ONLY, WWW, { WWW },
	    PROB_UNTRUSTED | PROB_CHAIN_INCOMPLETE, 0,
	    "unable to get local issuer certificate (depth 1)", NULL },
	{ "root sent along: harmless", GOOD_LEAF, FX_INTER,
	    { FX_INTER, FX_ROOT }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL, NULL },
	{ "chain sent out of order", GOOD_LEAF, FX_INTER,
	    { FX_ROOT, FX_INTER }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL, NULL },
	{ "unrelated extra root: not a cross-root chain", GOOD_LEAF, FX_INTER,
	    { FX_INTER, FX_UNKNOWN_ROOT }, ST_DEFAULT, WWW, { WWW }, 0, 1, NULL,
	    NULL },
	{ "expired intermediate: untrusted", GOOD_LEAF, FX_INTER_EXPIRED,
	    { FX_INTER_EXPIRED }, ST_DEFAULT, WWW, { WWW }, PROB_UNTRUSTED, 0,
	    "certificate has expired (depth 1)", NULL },
	{ "no trust anchors at all", GOOD_LEAF, FX_INTER, { FX_INTER },
	    ST_NONE, WWW, { WWW }, PROB_UNTRUSTED, 0, "no trust anchors",
	    NULL },
	{ "wrong name: hostname-mismatch", GOOD_LEAF, FX_INTER, { FX_INTER },
	    ST_DEFAULT, "shop.example.jp", { "shop.example.jp" },
	    PROB_HOSTNAME_MISMATCH, 1, NULL, NULL },
	{ "one of two names not covered", GOOD_LEAF, FX_INTER, { FX_INTER },
	    ST_DEFAULT, WWW, { WWW, "mail.example.jp" },
	    PROB_NAME_NOT_COVERED, 1, NULL, NULL },
	{ "names compared without case", GOOD_LEAF, FX_INTER, { FX_INTER },
	    ST_DEFAULT, "WWW.Example.JP", { "www.example.jp", "EXAMPLE.jp" },
	    0, 1, NULL, NULL },
	{ "wildcard covers one label only", { .subject = LEAF_NAME,
	    .san = "DNS:*.example.jp", .key = PKI_EC256,
	    .not_before = NOW - DAY, .not_after = NOW + DAY },
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW,
	    { WWW, "mail.example.jp", "a.b.example.jp" },
	    PROB_NAME_NOT_COVERED, 1, NULL, NULL },
	{ "subject CN alone covers nothing", { .subject = LEAF_NAME,
	    .key = PKI_EC256, .not_before = NOW - DAY, .not_after = NOW + DAY },
	    FX_INTER, { FX_INTER }, ST_DEFAULT, WWW, { WWW },
	    PROB_HOSTNAME_MISMATCH, 1, NULL, NULL },
	{ "IP literal target covered by an IP SAN", { .subject = LEAF_NAME,
	    .san = "DNS:www.example.jp,IP:127.0.0.1,IP:::1", .key = PKI_EC256,
	    .not_before = NOW - DAY, .not_after = NOW + DAY },
	    FX_INTER, { FX_INTER }, ST_DEFAULT, "127.0.0.1",
	    { "127.0.0.1", "::1", WWW }, 0, 1, NULL, NULL },
	{ "IP literal target not covered", GOOD_LEAF, FX_INTER, { FX_INTER },
	    ST_DEFAULT, "127.0.0.2", { "127.0.0.2" },
	    PROB_HOSTNAME_MISMATCH, 1, NULL, NULL },
	{ "everything wrong at once", LEAF(PKI_RSA1024, NOW - 9 * DAY,
	    NOW - DAY), FX_NONE, { FX_NONE }, ST_DEFAULT, "shop.example.jp",
	    { "shop.example.jp", "mail.example.jp" },
	    PROB_UNTRUSTED | PROB_EXPIRED | PROB_WEAK_KEY |
	    PROB_HOSTNAME_MISMATCH | PROB_NAME_NOT_COVERED, 0,
	    "self-signed certificate (depth 0)", "RSA-1024" },
};

static void
test_chains(void **state)
{
	const struct chain_case *c;
	struct strlist names;
	struct cert_obs obs;
	STACK_OF(X509) *served;
	X509 *leaf;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(chain_cases); i++) {
		c = &chain_cases[i];
		memset(&names, 0, sizeof(names));
		names_of(&names, c->names, nitems(c->names));
		leaf = make_leaf(&c->leaf, c->issuer);
		served = make_served(leaf, c->chain, nitems(c->chain));
		X509_free(leaf);

		err[0] = '\0';
		if (inspect_chain(served, stores[c->store], c->host, &names,
		    NOW, &obs, err, sizeof(err)) != 0) {
			print_error("%s: inspect_chain: %s\n", c->what, err);
			fail();
		}
		check_problems(c->what, c->problems, obs.problems);
		check_int(c->what, "verify_ok", c->verify_ok, obs.verify_ok);
		check_str(c->what, "verify_error", c->verify_error,
		    obs.verify_error);
		check_int(c->what, "names_ok", (c->problems &
		    (PROB_HOSTNAME_MISMATCH | PROB_NAME_NOT_COVERED)) == 0,
		    obs.names_ok);
		if (c->key != NULL)
			check_str(c->what, "key", c->key, obs.key);
		check_int(c->what, "not_before", c->leaf.not_before,
		    obs.not_before);
		check_int(c->what, "not_after", c->leaf.not_after,
		    obs.not_after);

		cert_obs_free(&obs);
		pki_chain_free(served);
		strlist_free(&names);
	}
}

/* ---- what is read from the leaf ---------------------------------------- */

struct field_case {
	const char		*what;
	struct pki_spec		 leaf;
	enum fx			 issuer;
	struct subject_fields	 want;		/* all six, NULL = absent */
	const char		*san;		/* SANs joined with "," */
	const char		*issuer_line;
	const char		*key;
	int			 key_bits;
	const char		*sig_alg;
};

static const struct field_case field_cases[] = {
	{ "plain ASCII subject, EC P-256",
	    { .subject = { .c = "JP", .st = "Tokyo", .l = "Chiyoda-ku",
	    .o = "Example KK", .cn = "www.example.jp" },
	    .san = "DNS:www.example.jp,DNS:example.jp", .key = PKI_EC256,
	    .serial = 0x0a1b2c, .not_before = NOW - DAY,
	    .not_after = NOW + DAY }, FX_INTER,
	    { .cn = "www.example.jp", .o = "Example KK", .l = "Chiyoda-ku",
	    .st = "Tokyo", .c = "JP" }, "www.example.jp,example.jp",
	    "CN=Renewd Test CA,O=Renewd Test Trust,C=JP", "EC-256", 256,
	    "ecdsa-with-SHA256" },
	{ "Japanese UTF8String O/L/ST come back byte-exact",
	    { .subject = { .c = "JP", .st = "東京都", .l = "千代田区",
	    .o = "日本語テスト株式会社", .cn = "www.example.jp" },
	    .san = "DNS:www.example.jp", .key = PKI_RSA2048,
	    .not_before = NOW - DAY, .not_after = NOW + DAY }, FX_INTER,
	    { .cn = "www.example.jp", .o = "日本語テスト株式会社",
	    .l = "千代田区", .st = "東京都", .c = "JP" }, "www.example.jp",
	    "CN=Renewd Test CA,O=Renewd Test Trust,C=JP", "RSA-2048", 2048,
	    "ecdsa-with-SHA256" },
	{ "Japanese BMPString subject comes out as UTF-8",
	    { .subject = { .c = "JP", .st = "大阪府", .l = "大阪市北区",
	    .o = "株式会社テスト", .ou = "情報システム部",
	    .cn = "www.example.jp",
	    .bmp = 1 }, .key = PKI_EC256, .not_before = NOW - DAY,
	    .not_after = NOW + DAY }, FX_INTER,
	    { .cn = "www.example.jp", .ou = "情報システム部",
	    .o = "株式会社テスト", .l = "大阪市北区", .st = "大阪府",
	    .c = "JP" }, "",
	    "CN=Renewd Test CA,O=Renewd Test Trust,C=JP", "EC-256", 256,
	    "ecdsa-with-SHA256" },
	{ "OU present", { .subject = { .c = "JP", .o = "Example KK",
	    .ou = "Web Team", .cn = "www.example.jp" }, .key = PKI_EC256,
	    .not_before = NOW - DAY, .not_after = NOW + DAY }, FX_INTER,
	    { .cn = "www.example.jp", .ou = "Web Team", .o = "Example KK",
	    .c = "JP" }, "", "CN=Renewd Test CA,O=Renewd Test Trust,C=JP",
	    "EC-256", 256, "ecdsa-with-SHA256" },
	{ "Japanese issuer name stays readable",
	    { .subject = LEAF_NAME, .san = "DNS:www.example.jp,IP:127.0.0.1,"
	    "IP:2001:db8::1", .key = PKI_EC384, .not_before = NOW - DAY,
	    .not_after = NOW + DAY }, FX_INTER_JA,
	    { .cn = "www.example.jp", .o = "Example KK", .c = "JP" },
	    "www.example.jp,127.0.0.1,2001:db8::1",
	    "CN=テスト認証局 G3,O=日本テスト認証局株式会社,C=JP", "EC-384", 384,
	    "ecdsa-with-SHA256" },
	{ "self-signed RSA leaf: RSA signature algorithm",
	    { .subject = { .cn = "self.example.jp" }, .key = PKI_RSA2048,
	    .not_before = NOW - DAY, .not_after = NOW + DAY }, FX_NONE,
	    { .cn = "self.example.jp" }, "", "CN=self.example.jp", "RSA-2048",
	    2048, "sha256WithRSAEncryption" },
	{ "Ed25519 self-signed leaf", { .subject = { .cn = "ed.example.jp" },
	    .key = PKI_ED25519, .not_before = NOW - DAY,
	    .not_after = NOW + DAY }, FX_NONE, { .cn = "ed.example.jp" }, "",
	    "CN=ed.example.jp", "Ed25519", 256, "ED25519" },
	{ "CR/LF/ESC and a Bcc: header in the subject come out neutralised",
	    { .subject = { .c = "JP",
	    .o = "Evil\r\nBcc: victim@example.jp\x1b[2J",
	    .cn = "www.example.jp\n\x7f" },
	    .san = "DNS:www.example.jp,DNS:evil\x1b[2J\x07.example.jp",
	    .key = PKI_EC256,
	    .not_before = NOW - DAY, .not_after = NOW + DAY }, FX_INTER_EVIL,
	    { .cn = "www.example.jp\\x0a\\x7f",
	    .o = "Evil\\x0d\\x0aBcc: victim@example.jp\\x1b[2J", .c = "JP" },
	    "www.example.jp,evil\\x1b[2J\\x07.example.jp",
	    "CN=Evil CA,O=Evil\\0D\\0ABcc: victim@example.jp\\1B[2J,C=JP",
	    "EC-256", 256, "ecdsa-with-SHA256" },
};

static char *
join(const struct strlist *sl)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < sl->n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", sl->v[i]);
	return buf_steal(&b);
}

static int
has_control(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

static void
test_fields(void **state)
{
	const struct field_case *c;
	struct cert_obs obs;
	STACK_OF(X509) *served;
	X509 *leaf;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen, j;
	char err[256], hex[65], *san;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(field_cases); i++) {
		c = &field_cases[i];
		leaf = make_leaf(&c->leaf, c->issuer);
		served = make_served(leaf, (const enum fx[]){ c->issuer }, 1);
		assert_int_equal(inspect_chain(served, stores[ST_DEFAULT],
		    "www.example.jp", NULL, NOW, &obs, err, sizeof(err)), 0);

		check_str(c->what, "CN", c->want.cn, obs.subject.cn);
		check_str(c->what, "OU", c->want.ou, obs.subject.ou);
		check_str(c->what, "O", c->want.o, obs.subject.o);
		check_str(c->what, "L", c->want.l, obs.subject.l);
		check_str(c->what, "ST", c->want.st, obs.subject.st);
		check_str(c->what, "C", c->want.c, obs.subject.c);
		san = join(&obs.san);
		check_str(c->what, "san", c->san, san);
		free(san);
		check_str(c->what, "issuer", c->issuer_line, obs.issuer);
		check_str(c->what, "key", c->key, obs.key);
		check_int(c->what, "key_bits", c->key_bits, obs.key_bits);
		check_str(c->what, "sig_alg", c->sig_alg, obs.sig_alg);

		/* Fingerprint and serial against OpenSSL's own view. */
		assert_int_equal(X509_digest(leaf, EVP_sha256(), md, &mdlen),
		    1);
		for (j = 0; j < mdlen; j++)
			snprintf(hex + 2 * j, 3, "%02x", md[j]);
		check_str(c->what, "sha256", hex, obs.sha256);
		if (c->leaf.serial != 0) {
			snprintf(hex, sizeof(hex), "%06llx",
			    (unsigned long long)c->leaf.serial);
			check_str(c->what, "serial", hex, obs.serial);
		}
		assert_non_null(obs.serial);
		assert_true(strspn(obs.serial, "0123456789abcdef") ==
		    strlen(obs.serial));
		check_int(c->what, "not_before", c->leaf.not_before,
		    obs.not_before);
		check_int(c->what, "not_after", c->leaf.not_after,
		    obs.not_after);

		/* The chain as served, after the leaf. */
		check_int(c->what, "nchain", c->issuer != FX_NONE,
		    (long long)obs.nchain);
		if (obs.nchain == 1) {
			check_str(c->what, "chain issuer", obs.issuer,
			    obs.chain[0].subject);
			check_str(c->what, "chain issuer's issuer",
			    "CN=Renewd Test Root R2,O=Renewd Test Trust,C=JP",
			    obs.chain[0].issuer);
			check_int(c->what, "chain not_after",
			    fx_defs[c->issuer].spec.not_after,
			    obs.chain[0].not_after);
			assert_false(has_control(obs.chain[0].subject));
		}
		assert_false(has_control(obs.issuer));
		assert_false(has_control(obs.subject.o));
		assert_false(has_control(obs.subject.cn));
		for (j = 0; j < obs.san.n; j++)
			assert_false(has_control(obs.san.v[j]));

		cert_obs_free(&obs);
		pki_chain_free(served);
		X509_free(leaf);
	}
}

/* Validity dates far from the epoch convert exactly (no mktime, no TZ). */
static void
test_times(void **state)
{
	static const time_t when[][2] = {
		{ 0, 86399 },				/* 1970-01-01 */
		{ 951782400, 951868799 },		/* 2000-02-29 */
		{ 2524607999, 2556143999 },		/* 2049-12-31, 2050 */
		{ 4102444800, 253402300799 },		/* 2100-01-01, 9999 */
	};
	struct pki_spec spec = { .subject = { .cn = "t.example.jp" },
	    .key = PKI_EC256 };
	struct cert_obs obs;
	STACK_OF(X509) *served;
	X509 *leaf;
	char err[64];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(when); i++) {
		spec.not_before = when[i][0];
		spec.not_after = when[i][1];
		leaf = pki_cert(&spec, NULL, NULL);
		served = pki_chain(leaf, NULL);
		assert_int_equal(inspect_chain(served, NULL, NULL, NULL, NOW,
		    &obs, err, sizeof(err)), 0);
		check_int("times", "not_before", when[i][0], obs.not_before);
		check_int("times", "not_after", when[i][1], obs.not_after);
		cert_obs_free(&obs);
		pki_chain_free(served);
		X509_free(leaf);
	}
}

/* ---- target-level checks ----------------------------------------------- */

struct target_case {
	const char		*what;
	int			 nobs;
	struct pki_spec		 leaf[2];	/* one leaf per address */
	enum fx			 issuer[2];
	int			 same_leaf;	/* address 2 serves leaf 1 */
	int			 deadline;	/* Japan day number, or -1 */
	const struct subject_fields *expect;
	unsigned		 problems;
};

/* NOW + 300 days is 2027-09-20 (JST 12:00): Japan day 21081; the short
 * intermediate ends on 2026-12-24 JST, day 20811. */
#define E_DAY		21081
#define SHORT_DAY	20811
#define JA_LEAF	{ .subject = { .c = "JP", .st = "東京都", .l = "千代田区", \
	.o = "日本語テスト株式会社", .cn = "www.example.jp" }, \
	.san = LEAF_SAN, .key = PKI_EC256, .not_before = NOW - DAY, \
	.not_after = NOW + 300 * DAY }
#define JA_LEAF_OU { .subject = { .c = "JP", .st = "東京都", .l = "千代田区", \
	.o = "日本語テスト株式会社", .ou = "Web", .cn = "www.example.jp" }, \
	.san = LEAF_SAN, .key = PKI_EC256, .not_before = NOW - DAY, \
	.not_after = NOW + 300 * DAY }

static const struct subject_fields expect_ja = {
	.cn = "www.example.jp", .o = "日本語テスト株式会社", .l = "千代田区",
	.st = "東京都", .c = "JP",
};
static const struct subject_fields expect_ja_no_ou = {
	.cn = "www.example.jp", .ou = "", .o = "日本語テスト株式会社",
	.c = "JP",
};
static const struct subject_fields expect_other_o = {
	.o = "日本語テスト株式会社 ", .c = "JP",
};
static const struct subject_fields expect_cn_case = {
	.cn = "WWW.example.jp",
};
static const struct subject_fields expect_missing_st = {
	.st = "大阪府",
};

static const struct target_case target_cases[] = {
	{ "one address, nothing to say", 1, { JA_LEAF }, { FX_INTER }, 0,
	    E_DAY, NULL, 0 },
	{ "two addresses, same leaf", 2, { JA_LEAF }, { FX_INTER, FX_INTER },
	    1, E_DAY, NULL, 0 },
	{ "two addresses, different leaves: mixed-certificates", 2,
	    { JA_LEAF, JA_LEAF }, { FX_INTER, FX_INTER }, 0, E_DAY, NULL,
	    PROB_MIXED_CERTIFICATES },
	{ "intermediate ends 30 days out, before E: intermediate-expiring",
	    1, { JA_LEAF }, { FX_INTER_SHORT }, 0, E_DAY, NULL,
	    PROB_INTERMEDIATE_EXPIRING },
	{ "intermediate ends on the day before E", 1, { JA_LEAF },
	    { FX_INTER_SHORT }, 0, SHORT_DAY + 1, NULL,
	    PROB_INTERMEDIATE_EXPIRING },
	{ "intermediate ends on E itself: fine", 1, { JA_LEAF },
	    { FX_INTER_SHORT }, 0, SHORT_DAY, NULL, 0 },
	{ "the second address serves the short intermediate", 2,
	    { JA_LEAF }, { FX_INTER, FX_INTER_SHORT }, 1, E_DAY, NULL,
	    PROB_INTERMEDIATE_EXPIRING },
	{ "no deadline: intermediate not checked", 1, { JA_LEAF },
	    { FX_INTER_SHORT }, 0, -1, NULL, 0 },
	{ "subject matches expect exactly (Japanese)", 1, { JA_LEAF },
	    { FX_INTER }, 0, E_DAY, &expect_ja, 0 },
	{ "expect OU empty, leaf has none", 1, { JA_LEAF }, { FX_INTER }, 0,
	    E_DAY, &expect_ja_no_ou, 0 },
	{ "expect OU empty, leaf has one: subject-mismatch", 1,
	    { JA_LEAF_OU }, { FX_INTER }, 0, E_DAY, &expect_ja_no_ou,
	    PROB_SUBJECT_MISMATCH },
	{ "O differs by a trailing space: subject-mismatch", 1, { JA_LEAF },
	    { FX_INTER }, 0, E_DAY, &expect_other_o, PROB_SUBJECT_MISMATCH },
	{ "CN compared exactly, case too", 1, { JA_LEAF }, { FX_INTER }, 0,
	    E_DAY, &expect_cn_case, PROB_SUBJECT_MISMATCH },
	{ "expected ST missing from the leaf", 1,
	    { { .subject = LEAF_NAME, .key = PKI_EC256,
	    .not_before = NOW - DAY, .not_after = NOW + DAY } },
	    { FX_INTER }, 0, E_DAY, &expect_missing_st,
	    PROB_SUBJECT_MISMATCH },
	{ "one of two addresses differs from expect", 2,
	    { JA_LEAF, JA_LEAF_OU }, { FX_INTER, FX_INTER }, 0, E_DAY,
	    &expect_ja_no_ou,
	    PROB_SUBJECT_MISMATCH | PROB_MIXED_CERTIFICATES },
};

static void
test_targets(void **state)
{
	const struct target_case *c;
	struct cert_obs obs[2];
	const struct cert_obs *ptrs[2];
	STACK_OF(X509) *served;
	X509 *leaf = NULL;
	char err[256];
	unsigned got;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < nitems(target_cases); i++) {
		c = &target_cases[i];
		for (k = 0; k < c->nobs; k++) {
			if (k == 0 || !c->same_leaf) {
				X509_free(leaf);
				leaf = make_leaf(&c->leaf[k], c->issuer[k]);
			}
			served = make_served(leaf, &c->issuer[k], 1);
			assert_int_equal(inspect_chain(served,
			    stores[ST_DEFAULT], "www.example.jp", NULL, NOW,
			    &obs[k], err, sizeof(err)), 0);
			ptrs[k] = &obs[k];
			pki_chain_free(served);
		}
		X509_free(leaf);
		leaf = NULL;
		got = inspect_target(ptrs, (size_t)c->nobs, c->deadline,
		    c->expect);
		check_problems(c->what, c->problems, got);
		for (k = 0; k < c->nobs; k++)
			cert_obs_free(&obs[k]);
	}
	assert_int_equal(inspect_target(NULL, 0, E_DAY, &expect_ja), 0);
}

/* ---- what cannot be inspected ------------------------------------------ */

static void
test_no_leaf(void **state)
{
	struct cert_obs obs;
	STACK_OF(X509) *empty;
	char err[128];

	(void)state;
	err[0] = '\0';
	assert_int_equal(inspect_chain(NULL, stores[ST_DEFAULT], WWW, NULL,
	    NOW, &obs, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	cert_obs_free(&obs);	/* zeroed: safe */

	empty = pki_chain(NULL);
	err[0] = '\0';
	assert_int_equal(inspect_chain(empty, stores[ST_DEFAULT], WWW, NULL,
	    NOW, &obs, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_null(obs.issuer);
	cert_obs_free(&obs);
	pki_chain_free(empty);
}

/* A certificate with nothing in it: inspected without crashing. */
static void
test_blank_cert(void **state)
{
	struct cert_obs obs;
	STACK_OF(X509) *served;
	X509 *blank;
	char err[128];

	(void)state;
	assert_non_null(blank = X509_new());
	served = pki_chain(blank, blank, NULL);
	assert_int_equal(inspect_chain(served, stores[ST_DEFAULT], WWW, NULL,
	    NOW, &obs, err, sizeof(err)), 0);
	assert_false(obs.verify_ok);
	assert_non_null(obs.verify_error);
	assert_true(obs.problems & PROB_UNTRUSTED);
	assert_true(obs.problems & PROB_HOSTNAME_MISMATCH);
	assert_string_equal(obs.key, "unknown");
	assert_null(obs.subject.cn);
	assert_int_equal(obs.nchain, 1);
	cert_obs_free(&obs);
	pki_chain_free(served);
	X509_free(blank);
}

struct pem_case {
	const char	*what;
	const char	*pem;
};

static const struct pem_case bad_pems[] = {
	{ "empty bundle", "" },
	{ "garbage", "\x01\x02garbage\r\n\x1b" },
	{ "PEM armour around nothing",
	    "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" },
	{ "broken base64",
	    "-----BEGIN CERTIFICATE-----\nMII!!!!\n"
	    "-----END CERTIFICATE-----\n" },
	{ "no certificate, only a CRL-less text", "hello\nworld\n" },
};

static void
test_store(void **state)
{
	X509_STORE *st;
	char err[256], *pem, *noisy;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad_pems); i++) {
		err[0] = '\0';
		st = inspect_store_from_pem(bad_pems[i].pem,
		    strlen(bad_pems[i].pem), err, sizeof(err));
		if (st != NULL) {
			print_error("%s: accepted\n", bad_pems[i].what);
			X509_STORE_free(st);
			fail();
		}
		if (err[0] == '\0') {
			print_error("%s: no message\n", bad_pems[i].what);
			fail();
		}
	}
	err[0] = '\0';
	assert_null(inspect_store_from_pem(NULL, 0, err, sizeof(err)));
	assert_true(err[0] != '\0');

	/* Comments around the certificates, as in ca-certificates. */
	pem = pki_pem(fx[FX_ROOT], fx[FX_OLDROOT], fx[FX_ROOT], NULL);
	noisy = xasprintf("# Renewd Test Root R2\n%s\n# end\n", pem);
	st = inspect_store_from_pem(noisy, strlen(noisy), err, sizeof(err));
	assert_non_null(st);
	X509_STORE_free(st);
	free(noisy);
	free(pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problem_words),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_no_leaf),
		cmocka_unit_test(test_blank_cert),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
