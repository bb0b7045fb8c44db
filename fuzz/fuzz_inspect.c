/*
 * fuzz_inspect.c — certificate inspection: inspect_chain() on arbitrary
 * DER, inspect_target() and inspect_store_from_pem() on what it finds.
 *
 * Input:
 *   byte 0      bits 0-1: the trust store: 0 none (NULL), 1 empty, 2 a
 *               root generated at start-up (that signed nothing here),
 *               3 the last certificate of the input, as PEM through
 *               inspect_store_from_pem();
 *               bits 2-3: `now`: 0 2026-01-01, 1 2020-01-01, 2 2040-01-01,
 *               3 the next 5 bytes (a signed 40-bit count of seconds).
 *   [5 bytes]   now, when bits 2-3 are 3
 *   host NUL    the host name (empty: NULL)
 *   names NUL   the other names, comma-separated (empty: NULL)
 *   DER...      1..4 certificates back to back (d2i_X509 until it fails)
 *
 * Checks: no crash, leak or undefined behaviour; the caller's OpenSSL error
 * queue is left as it was (or, after a flood of errors, empty: OpenSSL's
 * queue holds 16); every text field is free of control characters; the
 * serial (signed when negative) and the hash are lower-case hex; verify_ok
 * comes without an error and a failure with one of untrusted, expired or
 * not-yet-valid; names_ok agrees with the name problems; one chain entry
 * per served certificate after the leaf;
 * inspect_target() finds no mismatch between the leaf and its own subject.
 *
 * With RENEWD_FUZZ_SEEDS=DIR in the environment it writes a few seed inputs
 * (chains made on the spot: certificates are never committed) and exits;
 * fuzz/run does that before each run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fuzz.h"
#include "inspect.h"
#include "util.h"

#define MAX_CERTS	4
#define T_2020		((time_t)1577836800)	/* 2020-01-01T00:00:00Z */
#define T_2025		((time_t)1735689600)
#define T_2025_06	((time_t)1748736000)
#define T_2026		((time_t)1767225600)
#define T_2026_06	((time_t)1780272000)
#define T_2027		((time_t)1798761600)
#define T_2040		((time_t)2208988800)

static X509_STORE	*fuzz_empty_store;
static X509_STORE	*fuzz_root_store;

/* ---- making certificates (the root, and the seeds) ----------------------- */

static EVP_PKEY *
fuzz_key(int rsa_bits)
{
	EVP_PKEY *k;

	k = rsa_bits ? EVP_RSA_gen((unsigned int)rsa_bits) :
	    EVP_EC_gen("P-256");
	if (k == NULL)
		abort();
	return k;
}

static void
fuzz_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL ||
	    X509_add_ext(x, ext, -1) != 1)
		abort();
	X509_EXTENSION_free(ext);
}

/* A certificate for `key` named CN=cn, signed by issuer/ikey (NULL: self). */
static X509 *
fuzz_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    time_t from, time_t until, const char *san, int ca, long serial)
{
	X509 *x;
	X509_NAME *name;

	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		abort();
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"renewd fuzz", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), from) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), until) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		abort();
	X509_NAME_free(name);
	if (ca) {
		fuzz_ext(x, issuer != NULL ? issuer : x,
		    NID_basic_constraints, "critical,CA:TRUE");
		fuzz_ext(x, issuer != NULL ? issuer : x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		fuzz_ext(x, issuer != NULL ? issuer : x, NID_ext_key_usage,
		    "serverAuth");
	}
	if (san != NULL)
		fuzz_ext(x, issuer != NULL ? issuer : x, NID_subject_alt_name,
		    san);
	if (X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) == 0)
		abort();
	return x;
}

static void
fuzz_put_der(struct buf *b, X509 *x)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_X509(x, &der)) <= 0)
		abort();
	buf_add(b, der, (size_t)n);
	OPENSSL_free(der);
}

static void
fuzz_write_seed(const char *dir, const char *name, uint8_t flags,
    const char *host, const char *names, X509 *const *certs, size_t ncerts)
{
	struct buf b = { 0 };
	char *path;
	FILE *f;
	size_t i;

	buf_add(&b, &flags, 1);
	buf_add(&b, host, strlen(host) + 1);
	buf_add(&b, names, strlen(names) + 1);
	for (i = 0; i < ncerts; i++)
		fuzz_put_der(&b, certs[i]);
	path = xasprintf("%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(path);
	buf_free(&b);
}

/* Seeds: a chain that verifies, the same at other times and with less
 * sent, a self-signed leaf with a weak RSA key. */
static void
fuzz_make_seeds(const char *dir)
{
	EVP_PKEY *rk = fuzz_key(0), *ik = fuzz_key(0), *lk = fuzz_key(0);
	EVP_PKEY *wk = fuzz_key(1024);
	X509 *root, *inter, *leaf, *weak, *c[3];

	root = fuzz_cert("Fuzz Root", rk, NULL, NULL, T_2025, T_2027 + 86400,
	    NULL, 1, 1);
	inter = fuzz_cert("Fuzz Intermediate", ik, root, rk, T_2025, T_2027,
	    NULL, 1, 2);
	leaf = fuzz_cert("www.example.jp", lk, inter, ik, T_2025_06, T_2026_06,
	    "DNS:www.example.jp,DNS:*.example.jp,IP:127.0.0.1", 0, 3);
	weak = fuzz_cert("weak.example.jp", wk, NULL, NULL, T_2025, T_2027,
	    "DNS:weak.example.jp", 0, 4);
	c[0] = leaf;
	c[1] = inter;
	c[2] = root;
	/* flags: trust (bits 0-1), now (bits 2-3) */
	fuzz_write_seed(dir, "chain-ok", 3, "www.example.jp",
	    "shop.example.jp,127.0.0.1", c, 3);
	fuzz_write_seed(dir, "chain-expired", 3 | 2 << 2, "www.example.jp",
	    "", c, 3);
	fuzz_write_seed(dir, "chain-early", 3 | 1 << 2, "127.0.0.1",
	    "other.example.jp", c, 3);
	fuzz_write_seed(dir, "chain-incomplete", 2, "www.example.jp", "",
	    c, 2);
	fuzz_write_seed(dir, "leaf-only", 0, "mail.example.jp", "", c, 1);
	fuzz_write_seed(dir, "self-signed-weak", 1, "weak.example.jp", "",
	    &weak, 1);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(weak);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(wk);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("RENEWD_FUZZ_SEEDS");
	EVP_PKEY *k;
	X509 *root;

	(void)argc;
	(void)argv;
	if (seeds != NULL && *seeds != '\0') {
		fuzz_make_seeds(seeds);
		exit(0);
	}
	k = fuzz_key(0);
	root = fuzz_cert("Fuzz Store Root", k, NULL, NULL, T_2020, T_2040,
	    NULL, 1, 1);
	if ((fuzz_empty_store = X509_STORE_new()) == NULL ||
	    (fuzz_root_store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(fuzz_root_store, root) != 1)
		abort();
	X509_free(root);
	EVP_PKEY_free(k);
	return 0;
}

/* ---- checks -------------------------------------------------------------- */

static void
check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return;
	FUZZ_CHECK(fuzz_printable(s));
	/* C1 controls as UTF-8: C2 80..C2 9F */
	for (; *p != '\0'; p++)
		FUZZ_CHECK(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
}

static void
check_hex(const char *s)
{
	FUZZ_CHECK(s != NULL && *s != '\0');
	for (; *s != '\0'; s++)
		FUZZ_CHECK((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'));
}

static void
check_fields(const struct subject_fields *sf)
{
	check_text(sf->cn);
	check_text(sf->ou);
	check_text(sf->o);
	check_text(sf->l);
	check_text(sf->st);
	check_text(sf->c);
}

static void
check_obs(const struct cert_obs *o, int ncerts)
{
	const unsigned chain_bits = PROB_UNTRUSTED | PROB_HOSTNAME_MISMATCH |
	    PROB_NAME_NOT_COVERED | PROB_CHAIN_INCOMPLETE |
	    PROB_CROSS_ROOT_CHAIN | PROB_EXPIRED | PROB_NOT_YET_VALID |
	    PROB_WEAK_KEY;
	size_t i;

	check_fields(&o->subject);
	for (i = 0; i < o->san.n; i++)
		check_text(o->san.v[i]);
	FUZZ_CHECK(o->issuer != NULL);
	check_text(o->issuer);
	FUZZ_CHECK(o->serial != NULL);
	check_hex(o->serial[0] == '-' ? o->serial + 1 : o->serial);
	FUZZ_CHECK(strlen(o->sha256) == 64);
	check_hex(o->sha256);
	FUZZ_CHECK(o->key != NULL);
	check_text(o->key);
	FUZZ_CHECK(o->key[0] != '\0');
	FUZZ_CHECK(o->sig_alg != NULL);
	check_text(o->sig_alg);
	FUZZ_CHECK(o->nchain == (size_t)ncerts - 1);
	for (i = 0; i < o->nchain; i++) {
		FUZZ_CHECK(o->chain[i].subject != NULL);
		FUZZ_CHECK(o->chain[i].issuer != NULL);
		check_text(o->chain[i].subject);
		check_text(o->chain[i].issuer);
	}
	FUZZ_CHECK(o->verify_ok == 0 || o->verify_ok == 1);
	if (o->verify_ok)
		FUZZ_CHECK(o->verify_error == NULL);
	else {
		FUZZ_CHECK(o->verify_error != NULL);
		check_text(o->verify_error);
		FUZZ_CHECK(o->problems & (PROB_UNTRUSTED | PROB_EXPIRED |
		    PROB_NOT_YET_VALID));
	}
	FUZZ_CHECK(o->names_ok == ((o->problems & (PROB_HOSTNAME_MISMATCH |
	    PROB_NAME_NOT_COVERED)) == 0));
	FUZZ_CHECK((o->problems & ~chain_bits) == 0);
	if (o->problems & PROB_WEAK_KEY)
		FUZZ_CHECK(o->key_bits > 0);
}

/* ---- the harness --------------------------------------------------------- */

static X509_STORE *
store_from_cert(X509 *x)
{
	X509_STORE *store;
	BIO *bio;
	BUF_MEM *mem;
	char err[200];

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		abort();
	if (PEM_write_bio_X509(bio, x) != 1) {
		/* Not every parsed certificate can be written again. */
		BIO_free(bio);
		ERR_clear_error();
		return NULL;
	}
	BIO_get_mem_ptr(bio, &mem);
	err[0] = '\0';
	store = inspect_store_from_pem(mem->data, mem->length, err,
	    sizeof(err));
	if (store == NULL)
		FUZZ_CHECK(err[0] != '\0');
	BIO_free(bio);
	return store;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const time_t nows[] = { T_2026, T_2020, T_2040 };
	struct fuzz_input in = { data, len };
	STACK_OF(X509) *served;
	X509_STORE *store = NULL, *own = NULL;
	struct strlist names = { 0 };
	const struct cert_obs *obs[2];
	struct cert_obs o;
	char *host, *namestr, err[200];
	uint8_t flags;
	time_t now;
	int ncerts, rc;
	unsigned extra;

	if (len > 16 * 1024)
		return 0;
	flags = fuzz_byte(&in);
	if (((flags >> 2) & 3) == 3) {
		int64_t v = 0;
		int i;

		for (i = 0; i < 5; i++)
			v = v << 8 | fuzz_byte(&in);
		v -= (int64_t)1 << 39;
		now = (time_t)v;
	} else
		now = nows[(flags >> 2) & 3];
	host = fuzz_next_string(&in);
	namestr = fuzz_next_string(&in);
	strlist_split(&names, namestr);

	if ((served = sk_X509_new_null()) == NULL)
		abort();
	while (sk_X509_num(served) < MAX_CERTS && in.len > 0) {
		const unsigned char *p = in.p;
		X509 *x;

		if ((x = d2i_X509(NULL, &p, (long)in.len)) == NULL)
			break;
		if (sk_X509_push(served, x) == 0)
			abort();
		in.len -= (size_t)(p - in.p);
		in.p = p;
	}
	ERR_clear_error();
	ncerts = sk_X509_num(served);

	switch (flags & 3) {
	case 0:
		break;
	case 1:
		store = fuzz_empty_store;
		break;
	case 2:
		store = fuzz_root_store;
		break;
	case 3:
		if (ncerts > 0)
			store = own = store_from_cert(sk_X509_value(served,
			    ncerts - 1));
		break;
	}

	FUZZ_CHECK(ERR_peek_error() == 0);	/* nothing from the store */
	/* A mark the inspection must leave in place. */
	ERR_raise_data(ERR_LIB_USER, 42, "fuzz mark");
	err[0] = '\0';
	rc = inspect_chain(served, store, *host != '\0' ? host : NULL,
	    names.n > 0 ? &names : NULL, now, &o, err, sizeof(err));
	/* The mark is there, or (after more errors than the queue holds)
	 * nothing is. */
	if (ERR_peek_last_error() != 0) {
		FUZZ_CHECK(ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_USER &&
		    ERR_GET_REASON(ERR_peek_last_error()) == 42);
		(void)ERR_get_error();
		FUZZ_CHECK(ERR_peek_error() == 0);
	}
	if (ncerts == 0) {
		FUZZ_CHECK(rc == -1 && err[0] != '\0');
	} else {
		FUZZ_CHECK(rc == 0);
		check_obs(&o, ncerts);
		/* The leaf against its own subject: no mismatch. One
		 * observation twice: the same leaf. */
		obs[0] = obs[1] = &o;
		extra = inspect_target(obs, 2, -1, &o.subject);
		FUZZ_CHECK((extra & (PROB_SUBJECT_MISMATCH |
		    PROB_MIXED_CERTIFICATES)) == 0);
		(void)inspect_target(obs, 1, 25000, NULL);
	}
	cert_obs_free(&o);
	FUZZ_CHECK(o.issuer == NULL && o.nchain == 0);

	X509_STORE_free(own);
	sk_X509_pop_free(served, X509_free);
	strlist_free(&names);
	free(host);
	free(namestr);
	return 0;
}
