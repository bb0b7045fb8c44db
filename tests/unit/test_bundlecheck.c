/*
 * test_bundlecheck.c — step-5 bundles made at test time (the server
 * certificate, the chain file, the private key) checked offline: good ones,
 * a key from another server, a missing or wrong intermediate, the
 * cross-root chain, expired and weak leaves.
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
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bundlecheck.h"
#include "check.h"
#include "inspect.h"
#include "support/pki.h"
#include "util.h"

#define DAY	86400
/* 2026-11-24T03:00:00Z (12:00 JST). */
#define NOW	((time_t)1795489200)
#define HOST	"www.renewd.test"
#define SANS	"DNS:www.renewd.test,DNS:renewd.test"

/* ---- the fixture: CAs shared by every case ------------------------------ */

enum fx {
	FX_NONE,
	FX_ROOT_A,		/* the older root */
	FX_ROOT_B,		/* the current root */
	FX_INTER,		/* "SureServer CA" under root B */
	FX_CROSS,		/* root B's subject and key, issued by root A */
	FX_INTER_TWIN,		/* the intermediate's name, another key */
	FX_OTHER_ROOT,		/* a root of another CA */
	FX_OTHER_INTER,		/* an intermediate of that CA */
	FX_COUNT
};

struct fx_def {
	struct pki_spec	 spec;
	enum fx		 issuer;
};

#define CA(cn_)	{ .c = "JP", .o = "Renewd Test Trust", .cn = (cn_) }

static const struct fx_def fx_defs[FX_COUNT] = {
	[FX_ROOT_A] = { { .subject = CA("Renewd Test Root A"),
	    .key = PKI_EC256, .slot = 1, .ca = 1,
	    .not_before = NOW - 6000 * DAY, .not_after = NOW + 3000 * DAY },
	    FX_NONE },
	[FX_ROOT_B] = { { .subject = CA("Renewd Test Root B"),
	    .key = PKI_EC256, .slot = 2, .ca = 1,
	    .not_before = NOW - 3000 * DAY, .not_after = NOW + 5000 * DAY },
	    FX_NONE },
	[FX_INTER] = { { .subject = CA("Renewd Test SureServer CA"),
	    .key = PKI_EC256, .slot = 3, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_ROOT_B },
	[FX_CROSS] = { { .subject = CA("Renewd Test Root B"),
	    .key = PKI_EC256, .slot = 2, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_ROOT_A },
	[FX_INTER_TWIN] = { { .subject = CA("Renewd Test SureServer CA"),
	    .key = PKI_EC256, .slot = 4, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_ROOT_B },
	[FX_OTHER_ROOT] = { { .subject = CA("Other Test Root"),
	    .key = PKI_EC256, .slot = 5, .ca = 1,
	    .not_before = NOW - 3000 * DAY, .not_after = NOW + 5000 * DAY },
	    FX_NONE },
	[FX_OTHER_INTER] = { { .subject = CA("Other Test CA"),
	    .key = PKI_EC256, .slot = 6, .ca = 1,
	    .not_before = NOW - 1000 * DAY, .not_after = NOW + 2000 * DAY },
	    FX_OTHER_ROOT },
};

enum store {
	ST_NONE,		/* no --ca-file at all */
	ST_AB,			/* roots A and B (as a system store has) */
	ST_A,			/* the old root only */
	ST_OTHER,		/* another CA's root only */
	ST_COUNT
};

static X509		*fx[FX_COUNT];
static X509_STORE	*stores[ST_COUNT];

static X509_STORE *
store_of(char *pem)
{
	char err[256] = "";
	X509_STORE *st;

	st = inspect_store_from_pem(pem, strlen(pem), err, sizeof(err));
	if (st == NULL)
		fail_msg("store: %s", err);
	free(pem);
	return st;
}

static int
fixture_setup(void **state)
{
	const struct fx_def *d;
	int i;

	(void)state;
	for (i = 1; i < FX_COUNT; i++) {
		d = &fx_defs[i];
		fx[i] = pki_cert(&d->spec, d->issuer ? fx[d->issuer] : NULL,
		    d->issuer ? pki_key(fx_defs[d->issuer].spec.key,
		    fx_defs[d->issuer].spec.slot) : NULL);
	}
	stores[ST_NONE] = NULL;
	stores[ST_AB] = store_of(pki_pem(fx[FX_ROOT_A], fx[FX_ROOT_B], NULL));
	stores[ST_A] = store_of(pki_pem(fx[FX_ROOT_A], NULL));
	stores[ST_OTHER] = store_of(pki_pem(fx[FX_OTHER_ROOT], NULL));
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

/* ---- the cases ------------------------------------------------------------ */

enum leaf_kind {
	LEAF_GOOD,		/* RSA 2048 (server 1), 200 days left */
	LEAF_EXPIRED,		/* ended yesterday */
	LEAF_FUTURE,		/* valid from tomorrow */
	LEAF_SOON,		/* 10 days left: the old certificate? */
	LEAF_RSA1024,		/* a 1024-bit key (server 1) */
	LEAF_NO_SAN,		/* CN only */
	LEAF_SELF,		/* self-signed */
};

/* The key file: none, the leaf's own, another server's. */
enum key_kind {
	KEY_NONE,
	KEY_OWN,
	KEY_OTHER_SERVER,	/* RSA 2048, another slot */
	KEY_OTHER_TYPE,		/* EC */
};

#define MAXCHAIN	4
#define MAXCODES	6

struct bundle_case {
	const char	*what;
	enum leaf_kind	 leaf;
	enum fx		 chain[MAXCHAIN];	/* FX_NONE ends; LEAF_IN: leaf */
	enum key_kind	 key;
	const char	*name;
	enum store	 store;
	enum check_severity worst;
	const char	*want[MAXCODES];
	const char	*not[MAXCODES];
};

/* In a chain list: the leaf itself. */
#define LEAF_IN		FX_COUNT

static const struct bundle_case cases[] = {
	{ "good", LEAF_GOOD, { FX_INTER }, KEY_OWN, HOST, ST_AB, CHECK_OK,
	    { "key-match", "intermediate-ok", "chain-3tier", "trusted",
	    "validity-ok", "name-ok" },
	    { "cross-root", "untrusted", "key-mismatch" } },
	{ "good, no key, no name", LEAF_GOOD, { FX_INTER }, KEY_NONE, NULL,
	    ST_AB, CHECK_OK, { "names", "key-ok", "chain-3tier" },
	    { "key-match", "key-mismatch", "name-ok" } },
	{ "good, the name in capitals", LEAF_GOOD, { FX_INTER }, KEY_OWN,
	    "RENEWD.TEST", ST_AB, CHECK_OK, { "name-ok" }, { NULL } },
	{ "a key from another server", LEAF_GOOD, { FX_INTER },
	    KEY_OTHER_SERVER, HOST, ST_AB, CHECK_ERROR, { "key-mismatch",
	    "chain-3tier", "trusted" }, { "key-match" } },
	{ "a key of another type", LEAF_GOOD, { FX_INTER }, KEY_OTHER_TYPE,
	    HOST, ST_AB, CHECK_ERROR, { "key-mismatch" }, { "key-match" } },
	{ "empty chain file", LEAF_GOOD, { FX_NONE }, KEY_OWN, HOST, ST_AB,
	    CHECK_ERROR, { "missing-intermediate", "untrusted", "key-match" },
	    { "chain-3tier", "intermediate-ok", "trusted" } },
	{ "only an unrelated intermediate", LEAF_GOOD, { FX_OTHER_INTER },
	    KEY_OWN, HOST, ST_AB, CHECK_ERROR, { "missing-intermediate",
	    "unrelated-cert", "untrusted" }, { "chain-3tier", "cross-root" } },
	{ "the intermediate's name, another key", LEAF_GOOD,
	    { FX_INTER_TWIN }, KEY_OWN, HOST, ST_AB, CHECK_ERROR,
	    { "intermediate-mismatch", "untrusted" },
	    { "missing-intermediate", "unrelated-cert", "chain-3tier" } },
	{ "cross-signed chain", LEAF_GOOD, { FX_INTER, FX_CROSS }, KEY_OWN,
	    HOST, ST_AB, CHECK_ERROR, { "cross-root", "intermediate-ok",
	    "trusted" }, { "chain-3tier", "unrelated-cert" } },
	{ "cross-signed chain, cross first", LEAF_GOOD, { FX_CROSS, FX_INTER },
	    KEY_OWN, HOST, ST_AB, CHECK_ERROR, { "cross-root",
	    "intermediate-ok" }, { "chain-3tier" } },
	{ "cross-signed chain, old root only", LEAF_GOOD,
	    { FX_INTER, FX_CROSS }, KEY_OWN, HOST, ST_A, CHECK_ERROR,
	    { "cross-root", "trusted" }, { "chain-3tier" } },
	{ "cross-signed chain, no trust store", LEAF_GOOD,
	    { FX_INTER, FX_CROSS }, KEY_OWN, HOST, ST_NONE, CHECK_ERROR,
	    { "cross-root", "trust-not-checked" }, { "chain-3tier" } },
	{ "the root sent along", LEAF_GOOD, { FX_INTER, FX_ROOT_B }, KEY_OWN,
	    HOST, ST_AB, CHECK_WARNING, { "root-in-chain", "trusted" },
	    { "chain-3tier", "cross-root" } },
	{ "the leaf again in the chain file", LEAF_GOOD, { LEAF_IN, FX_INTER },
	    KEY_OWN, HOST, ST_AB, CHECK_WARNING, { "leaf-in-chain",
	    "intermediate-ok" }, { "chain-3tier" } },
	{ "the intermediate twice", LEAF_GOOD, { FX_INTER, FX_INTER },
	    KEY_OWN, HOST, ST_AB, CHECK_WARNING, { "duplicate-cert",
	    "intermediate-ok" }, { "chain-3tier", "unrelated-cert" } },
	{ "the intermediate and its twin", LEAF_GOOD,
	    { FX_INTER_TWIN, FX_INTER }, KEY_OWN, HOST, ST_AB, CHECK_WARNING,
	    { "unrelated-cert", "intermediate-ok" },
	    { "chain-3tier", "intermediate-mismatch" } },
	{ "an unrelated certificate too", LEAF_GOOD,
	    { FX_INTER, FX_OTHER_INTER }, KEY_OWN, HOST, ST_AB, CHECK_WARNING,
	    { "unrelated-cert", "intermediate-ok" }, { "chain-3tier" } },
	{ "expired leaf", LEAF_EXPIRED, { FX_INTER }, KEY_OWN, HOST, ST_AB,
	    CHECK_ERROR, { "expired", "trusted", "chain-3tier" },
	    { "validity-ok", "untrusted" } },
	{ "leaf not yet valid", LEAF_FUTURE, { FX_INTER }, KEY_OWN, HOST,
	    ST_AB, CHECK_ERROR, { "not-yet-valid", "trusted" },
	    { "validity-ok" } },
	{ "leaf ends in 10 days", LEAF_SOON, { FX_INTER }, KEY_OWN, HOST,
	    ST_AB, CHECK_WARNING, { "expires-soon" }, { "validity-ok" } },
	{ "1024-bit leaf", LEAF_RSA1024, { FX_INTER }, KEY_OWN, HOST, ST_AB,
	    CHECK_ERROR, { "weak-key", "key-match" }, { "key-ok" } },
	{ "name not covered", LEAF_GOOD, { FX_INTER }, KEY_OWN,
	    "mail.renewd.test", ST_AB, CHECK_ERROR, { "name-mismatch" },
	    { "name-ok" } },
	{ "no subjectAltName", LEAF_NO_SAN, { FX_INTER }, KEY_OWN, HOST,
	    ST_AB, CHECK_ERROR, { "no-san", "name-mismatch" }, { NULL } },
	{ "no trust store", LEAF_GOOD, { FX_INTER }, KEY_OWN, HOST, ST_NONE,
	    CHECK_WARNING, { "trust-not-checked", "chain-3tier" },
	    { "trusted", "untrusted" } },
	{ "another CA's root only", LEAF_GOOD, { FX_INTER }, KEY_OWN, HOST,
	    ST_OTHER, CHECK_ERROR, { "untrusted", "chain-3tier" },
	    { "trusted" } },
	{ "self-signed leaf", LEAF_SELF, { FX_NONE }, KEY_OWN, HOST, ST_AB,
	    CHECK_ERROR, { "missing-intermediate", "untrusted" }, { NULL } },
};

static X509 *
make_leaf(enum leaf_kind kind)
{
	struct pki_spec spec = { .subject = { .cn = HOST,
	    .o = "株式会社レニューテスト", .l = "千代田区", .st = "東京都",
	    .c = "JP" }, .san = SANS, .key = PKI_RSA2048, .slot = 0,
	    .not_before = NOW - 10 * DAY, .not_after = NOW + 200 * DAY };

	switch (kind) {
	case LEAF_EXPIRED:
		spec.not_before = NOW - 400 * DAY;
		spec.not_after = NOW - DAY;
		break;
	case LEAF_FUTURE:
		spec.not_before = NOW + DAY;
		break;
	case LEAF_SOON:
		spec.not_after = NOW + 10 * DAY;
		break;
	case LEAF_RSA1024:
		spec.key = PKI_RSA1024;
		break;
	case LEAF_NO_SAN:
		spec.san = NULL;
		break;
	case LEAF_SELF:
		return pki_cert(&spec, NULL, NULL);
	default:
		break;
	}
	return pki_cert(&spec, fx[FX_INTER],
	    pki_key(fx_defs[FX_INTER].spec.key, fx_defs[FX_INTER].spec.slot));
}

static EVP_PKEY *
key_of(enum key_kind kind, enum leaf_kind leaf)
{
	switch (kind) {
	case KEY_OWN:
		return pki_key(leaf == LEAF_RSA1024 ? PKI_RSA1024 :
		    PKI_RSA2048, 0);
	case KEY_OTHER_SERVER:
		return pki_key(PKI_RSA2048, 1);
	case KEY_OTHER_TYPE:
		return pki_key(PKI_EC256, 7);
	default:
		return NULL;
	}
}

static void
dump(const char *what, const struct check_report *r)
{
	size_t i;

	print_error("%s: subject %s\n", what,
	    r->subject_line != NULL ? r->subject_line : "(none)");
	for (i = 0; i < r->nfindings; i++)
		print_error("  %-7s %-20s %s\n",
		    check_severity_name(r->findings[i].severity),
		    r->findings[i].code, r->findings[i].message);
}

static void
expect_report(const char *what, const struct check_report *r,
    enum check_severity worst, const char *const *want,
    const char *const *not)
{
	size_t j;

	if (check_worst(r) != worst) {
		dump(what, r);
		fail_msg("%s: worst %s, want %s", what,
		    check_severity_name(check_worst(r)),
		    check_severity_name(worst));
	}
	for (j = 0; j < MAXCODES && want[j] != NULL; j++)
		if (check_find(r, want[j]) == NULL) {
			dump(what, r);
			fail_msg("%s: no %s", what, want[j]);
		}
	for (j = 0; j < MAXCODES && not[j] != NULL; j++)
		if (check_find(r, not[j]) != NULL) {
			dump(what, r);
			fail_msg("%s: unexpected %s", what, not[j]);
		}
}

static void
test_cases(void **state)
{
	const struct bundle_case *c;
	struct bundle_args args;
	struct check_report r;
	STACK_OF(X509) *chain;
	X509 *leaf;
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		c = &cases[i];
		leaf = make_leaf(c->leaf);
		chain = pki_chain(NULL);
		for (j = 0; j < MAXCHAIN && c->chain[j] != FX_NONE; j++) {
			X509 *x = c->chain[j] == LEAF_IN ? leaf :
			    fx[c->chain[j]];

			assert_int_equal(X509_up_ref(x), 1);
			assert_true(sk_X509_push(chain, x) > 0);
		}
		args.trust = stores[c->store];
		args.name = c->name;
		args.now = NOW;
		bundlecheck(leaf, chain, key_of(c->key, c->leaf), &args, &r);
		expect_report(c->what, &r, c->worst, c->want, c->not);
		assert_true(r.have_subject);
		assert_true(r.have_validity);
		check_report_free(&r);
		pki_chain_free(chain);
		X509_free(leaf);
	}
}

/* What the report says about the leaf, and the manual's words. */
static void
test_details(void **state)
{
	struct bundle_args args = { stores[ST_AB], HOST, NOW };
	struct check_report r;
	STACK_OF(X509) *chain;
	X509 *leaf;

	(void)state;
	leaf = make_leaf(LEAF_GOOD);
	chain = pki_chain(fx[FX_INTER], fx[FX_CROSS], NULL);
	bundlecheck(leaf, chain, pki_key(PKI_RSA2048, 1), &args, &r);
	assert_string_equal(r.subject.cn, HOST);
	assert_string_equal(r.subject.o, "株式会社レニューテスト");
	assert_string_equal(r.subject.st, "東京都");
	assert_non_null(strstr(r.issuer, "CN=Renewd Test SureServer CA"));
	assert_string_equal(r.key, "RSA-2048");
	assert_int_equal(r.san.n, 2);
	assert_int_equal(r.not_after, NOW + 200 * DAY);
	assert_int_equal(r.days_left, 200);
	assert_non_null(strstr(check_find(&r, "key-mismatch")->message,
	    "a different server is active than the one that made the CSR"));
	assert_non_null(strstr(check_find(&r, "cross-root")->message,
	    "remove the cross-root certificate: install only the "
	    "SureServer CA intermediate"));
	assert_non_null(strstr(check_find(&r, "cross-root")->message,
	    "Renewd Test Root B"));
	assert_non_null(strstr(check_find(&r, "intermediate-ok")->message,
	    "Renewd Test SureServer CA"));
	check_report_free(&r);
	pki_chain_free(chain);

	chain = pki_chain(fx[FX_INTER], NULL);
	args.now = NOW + 199 * DAY;
	bundlecheck(leaf, chain, NULL, &args, &r);
	assert_int_equal(r.days_left, 1);
	assert_non_null(strstr(check_find(&r, "expires-soon")->message,
	    "in 1 days"));
	check_report_free(&r);
	args.now = NOW + 200 * DAY;	/* notAfter itself: over */
	bundlecheck(leaf, chain, NULL, &args, &r);
	assert_non_null(check_find(&r, "expired"));
	assert_non_null(strstr(check_find(&r, "expired")->message,
	    "2027-06-12 12:00 JST"));
	check_report_free(&r);
	pki_chain_free(chain);
	X509_free(leaf);
}

/* ---- the files as read ----------------------------------------------------- */

static int
pem_check(const char *cert, const char *chain, const char *key,
    struct check_report *r, char *err, size_t errlen)
{
	struct bundle_args args = { stores[ST_AB], HOST, NOW };
	struct bundle_pem in = { cert, cert != NULL ? strlen(cert) : 0,
	    chain, chain != NULL ? strlen(chain) : 0,
	    key, key != NULL ? strlen(key) : 0 };

	err[0] = '\0';
	return bundlecheck_pem(&in, &args, r, err, errlen);
}

static void
expect_fail(const char *what, const char *cert, const char *chain,
    const char *key, const char *want)
{
	struct check_report r;
	char err[256];

	if (pem_check(cert, chain, key, &r, err, sizeof(err)) != -1) {
		dump(what, &r);
		fail_msg("%s: accepted", what);
	}
	assert_int_equal(r.nfindings, 0);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\", want \"%s\"", what, err, want);
}

static void
test_pem(void **state)
{
	struct pki_csr_spec csr = { { .cn = HOST, .c = "JP" }, NULL,
	    PKI_RSA2048, 0 };
	struct check_report r;
	X509_REQ *req;
	X509 *leaf;
	EVP_PKEY *enc;
	BIO *bio;
	unsigned char *der = NULL;
	char err[256], *cert, *chain, *cross, *key, *other, *both, *csrpem,
	    *bad, *enckey, *p;
	long n;
	int dlen;

	(void)state;
	leaf = make_leaf(LEAF_GOOD);
	cert = pki_pem(leaf, NULL);
	chain = pki_pem(fx[FX_INTER], NULL);
	cross = pki_pem(fx[FX_INTER], fx[FX_CROSS], NULL);
	key = pki_key_pem(pki_key(PKI_RSA2048, 0));
	other = pki_key_pem(pki_key(PKI_RSA2048, 1));

	assert_int_equal(pem_check(cert, chain, key, &r, err, sizeof(err)), 0);
	expect_report("pem good", &r, CHECK_OK,
	    (const char *[MAXCODES]){ "key-match", "chain-3tier" },
	    (const char *[MAXCODES]){ NULL });
	check_report_free(&r);

	assert_int_equal(pem_check(cert, cross, other, &r, err, sizeof(err)),
	    0);
	expect_report("pem cross, other key", &r, CHECK_ERROR,
	    (const char *[MAXCODES]){ "key-mismatch", "cross-root" },
	    (const char *[MAXCODES]){ "chain-3tier" });
	check_report_free(&r);

	/* An empty chain file is a finding, not a failure. */
	assert_int_equal(pem_check(cert, "", NULL, &r, err, sizeof(err)), 0);
	assert_non_null(check_find(&r, "missing-intermediate"));
	check_report_free(&r);
	assert_int_equal(pem_check(cert, "just some text\n", NULL, &r, err,
	    sizeof(err)), 0);
	assert_non_null(check_find(&r, "missing-intermediate"));
	check_report_free(&r);

	/* The whole chain in the certificate file. */
	both = xasprintf("%s%s", cert, chain);
	assert_int_equal(pem_check(both, chain, key, &r, err, sizeof(err)), 0);
	expect_report("pem cert+chain", &r, CHECK_WARNING,
	    (const char *[MAXCODES]){ "cert-file-extra", "key-match" },
	    (const char *[MAXCODES]){ NULL });
	check_report_free(&r);
	free(both);

	/* The key file holding the certificate too. */
	both = xasprintf("%s%s", cert, key);
	assert_int_equal(pem_check(cert, chain, both, &r, err, sizeof(err)),
	    0);
	assert_non_null(check_find(&r, "key-match"));
	check_report_free(&r);
	free(both);

	/* A DER certificate. */
	dlen = i2d_X509(leaf, &der);
	assert_true(dlen > 0);
	{
		struct bundle_args args = { stores[ST_AB], HOST, NOW };
		struct bundle_pem in = { (char *)der, (size_t)dlen,
		    chain, strlen(chain), key, strlen(key) };

		assert_int_equal(bundlecheck_pem(&in, &args, &r, err,
		    sizeof(err)), 0);
		assert_int_equal(check_worst(&r), CHECK_OK);
		check_report_free(&r);
	}
	OPENSSL_free(der);

	/* Files that are not what they should be. */
	req = pki_csr(&csr);
	csrpem = pki_csr_pem(req);
	X509_REQ_free(req);
	expect_fail("a CSR as --cert", csrpem, chain, key,
	    "--cert: this is a CSR");
	expect_fail("a key as --cert", key, chain, key,
	    "--cert: this is a private key");
	expect_fail("nothing as --cert", "", chain, key, "--cert: no cert");
	expect_fail("the certificate as --key", cert, chain, cert,
	    "--key: no PRIVATE KEY");
	expect_fail("garbage --key", cert, chain, "\x01\x02garbage", "--key:");
	bad = xstrdup(chain);
	p = strstr(bad, "\n") + 5;
	memset(p, '!', 8);
	expect_fail("damaged --chain", cert, bad, key,
	    "--chain: certificate 1 is damaged");
	free(bad);
	bad = xstrdup(cert);
	p = strstr(bad, "\n") + 5;
	memset(p, '!', 8);
	expect_fail("damaged --cert", bad, chain, key, "--cert: certificate 1");
	free(bad);

	/* An encrypted key: never a prompt, a clear message. */
	enc = pki_key(PKI_RSA2048, 0);
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, enc,
	    EVP_aes_128_cbc(), "secret", 6, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &p);
	assert_true(n > 0);
	enckey = xstrndup(p, (size_t)n);
	BIO_free(bio);
	expect_fail("encrypted --key", cert, chain, enckey, "encrypted");
	free(enckey);

	free(csrpem);
	free(cert);
	free(chain);
	free(cross);
	free(key);
	free(other);
	X509_free(leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_pem),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
