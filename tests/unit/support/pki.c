/*
 * pki.c — certificates made at test time: roots, intermediates, cross
 * certificates and leaves with chosen names, keys and validity.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "util.h"

static EVP_PKEY	*pki_keys[PKI_KEY_NTYPES][PKI_KEY_SLOTS];
static uint64_t	 pki_next_serial = 0x1000;

static void __attribute__((noreturn))
pki_die(const char *what)
{
	fprintf(stderr, "pki: %s\n", what);
	ERR_print_errors_fp(stderr);
	abort();
}

static EVP_PKEY *
pki_dsa_keygen(int bits)
{
	EVP_PKEY_CTX *pctx, *kctx;
	EVP_PKEY *params = NULL, *key = NULL;

	if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL)) == NULL ||
	    EVP_PKEY_paramgen_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, bits) != 1 ||
	    EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pctx, 160) != 1 ||
	    EVP_PKEY_paramgen(pctx, &params) != 1)
		pki_die("DSA parameters");
	if ((kctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(kctx) != 1 ||
	    EVP_PKEY_keygen(kctx, &key) != 1)
		pki_die("DSA key");
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(params);
	return key;
}

EVP_PKEY *
pki_key(enum pki_key_type type, int slot)
{
	EVP_PKEY **k;

	if ((unsigned)type >= PKI_KEY_NTYPES || slot < 0 ||
	    slot >= PKI_KEY_SLOTS)
		pki_die("no such key");
	k = &pki_keys[type][slot];
	if (*k != NULL)
		return *k;
	switch (type) {
	case PKI_EC256:
		*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case PKI_EC384:
		*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case PKI_RSA1024:
		*k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
		break;
	case PKI_RSA2048:
		*k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case PKI_ED25519:
		*k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case PKI_DSA1024:
		*k = pki_dsa_keygen(1024);
		break;
	default:
		break;
	}
	if (*k == NULL)
		pki_die("key generation");
	return *k;
}

void
pki_cleanup(void)
{
	int t, s;

	for (t = 0; t < PKI_KEY_NTYPES; t++)
		for (s = 0; s < PKI_KEY_SLOTS; s++) {
			EVP_PKEY_free(pki_keys[t][s]);
			pki_keys[t][s] = NULL;
		}
}

static void
pki_name_add(X509_NAME *name, int nid, const char *value, int bmp, int type)
{
	ASN1_STRING *s = NULL;
	int ok;

	if (value == NULL)
		return;
	if (bmp && nid != NID_countryName) {
		if (ASN1_mbstring_copy(&s, (const unsigned char *)value, -1,
		    MBSTRING_UTF8, B_ASN1_BMPSTRING) < 0)
			pki_die("BMPString");
		ok = X509_NAME_add_entry_by_NID(name, nid, V_ASN1_BMPSTRING,
		    ASN1_STRING_get0_data(s), ASN1_STRING_length(s), -1, 0);
		ASN1_STRING_free(s);
	} else if (type != 0 && nid != NID_countryName) {
		ok = X509_NAME_add_entry_by_NID(name, nid, type,
		    (const unsigned char *)value, (int)strlen(value), -1, 0);
	} else if (nid == NID_countryName) {
		ok = X509_NAME_add_entry_by_NID(name, nid, MBSTRING_ASC,
		    (const unsigned char *)value, -1, -1, 0);
	} else {
		/* UTF8String whatever the content (control characters too). */
		ok = X509_NAME_add_entry_by_NID(name, nid, V_ASN1_UTF8STRING,
		    (const unsigned char *)value, (int)strlen(value), -1, 0);
	}
	if (ok != 1)
		pki_die("name attribute");
}

static X509_NAME *
pki_name(const struct pki_name *n)
{
	X509_NAME *name;

	if ((name = X509_NAME_new()) == NULL)
		pki_die("X509_NAME_new");
	/* Most general first, as CAs do. */
	pki_name_add(name, NID_countryName, n->c, 0, 0);
	pki_name_add(name, NID_stateOrProvinceName, n->st, n->bmp, n->type);
	pki_name_add(name, NID_localityName, n->l, n->bmp, n->type);
	pki_name_add(name, NID_organizationName, n->o, n->bmp, n->type);
	pki_name_add(name, NID_organizationalUnitName, n->ou, n->bmp, n->type);
	pki_name_add(name, NID_commonName, n->cn, n->bmp, n->type);
	return name;
}

static void
pki_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;

	if ((ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL)
		pki_die(value);
	if (X509_add_ext(x, ext, -1) != 1)
		pki_die("X509_add_ext");
	X509_EXTENSION_free(ext);
}

X509 *
pki_cert(const struct pki_spec *spec, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509V3_CTX v3;
	X509 *x;
	X509_NAME *name;
	EVP_PKEY *key = pki_key(spec->key, spec->slot);
	const EVP_MD *md;

	if ((x = X509_new()) == NULL)
		pki_die("X509_new");
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x),
	    spec->serial != 0 ? spec->serial : pki_next_serial++) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), spec->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), spec->not_after) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		pki_die("certificate fields");
	name = pki_name(&spec->subject);
	if (X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name) != 1)
		pki_die("certificate names");
	X509_NAME_free(name);
	if (issuer == NULL)
		issuer_key = key;

	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	pki_ext(x, &v3, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		pki_ext(x, &v3, NID_authority_key_identifier, "keyid:always");
	if (spec->ca) {
		pki_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE");
		pki_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		pki_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE");
		pki_ext(x, &v3, NID_key_usage, spec->key == PKI_RSA1024 ||
		    spec->key == PKI_RSA2048 ?
		    "critical,digitalSignature,keyEncipherment" :
		    "critical,digitalSignature");
		pki_ext(x, &v3, NID_ext_key_usage, "serverAuth");
	}
	if (spec->san != NULL)
		pki_ext(x, &v3, NID_subject_alt_name, spec->san);

	md = EVP_PKEY_is_a(issuer_key, "ED25519") ? NULL : EVP_sha256();
	if (X509_sign(x, issuer_key, md) <= 0)
		pki_die("X509_sign");
	return x;
}

STACK_OF(X509) *
pki_chain(X509 *first, ...)
{
	STACK_OF(X509) *sk;
	va_list ap;
	X509 *x;

	if ((sk = sk_X509_new_null()) == NULL)
		pki_die("sk_X509_new_null");
	va_start(ap, first);
	for (x = first; x != NULL; x = va_arg(ap, X509 *))
		if (X509_up_ref(x) != 1 || sk_X509_push(sk, x) <= 0)
			pki_die("sk_X509_push");
	va_end(ap);
	return sk;
}

void
pki_chain_free(STACK_OF(X509) *sk)
{
	sk_X509_pop_free(sk, X509_free);
}

char *
pki_pem(X509 *first, ...)
{
	BIO *bio;
	va_list ap;
	X509 *x;
	char *p, *ret;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		pki_die("BIO_new");
	va_start(ap, first);
	for (x = first; x != NULL; x = va_arg(ap, X509 *))
		if (PEM_write_bio_X509(bio, x) != 1)
			pki_die("PEM_write_bio_X509");
	va_end(ap);
	if ((n = BIO_get_mem_data(bio, &p)) < 0)
		pki_die("BIO_get_mem_data");
	ret = xstrndup(p, (size_t)n);
	BIO_free(bio);
	return ret;
}

X509_REQ *
pki_csr(const struct pki_csr_spec *spec)
{
	STACK_OF(X509_EXTENSION) *exts;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	X509_REQ *req;
	X509_NAME *name;
	EVP_PKEY *key = pki_key(spec->key, spec->slot);

	if ((req = X509_REQ_new()) == NULL)
		pki_die("X509_REQ_new");
	name = pki_name(&spec->subject);
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1)
		pki_die("request fields");
	X509_NAME_free(name);
	if (spec->san != NULL) {
		X509V3_set_ctx(&v3, NULL, NULL, req, NULL, 0);
		if ((exts = sk_X509_EXTENSION_new_null()) == NULL ||
		    (ext = X509V3_EXT_nconf_nid(NULL, &v3,
		    NID_subject_alt_name, spec->san)) == NULL ||
		    sk_X509_EXTENSION_push(exts, ext) <= 0 ||
		    X509_REQ_add_extensions(req, exts) != 1)
			pki_die("request extensions");
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	if (X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ? NULL :
	    EVP_sha256()) <= 0)
		pki_die("X509_REQ_sign");
	return req;
}

static char *
pki_bio_text(BIO *bio)
{
	char *p, *ret;
	long n;

	if ((n = BIO_get_mem_data(bio, &p)) < 0)
		pki_die("BIO_get_mem_data");
	ret = xstrndup(p, (size_t)n);
	BIO_free(bio);
	return ret;
}

char *
pki_csr_pem(X509_REQ *req)
{
	BIO *bio;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1)
		pki_die("PEM_write_bio_X509_REQ");
	return pki_bio_text(bio);
}

unsigned char *
pki_csr_der(X509_REQ *req, size_t *lenp)
{
	unsigned char *der = NULL, *ret;
	int n;

	if ((n = i2d_X509_REQ(req, &der)) <= 0)
		pki_die("i2d_X509_REQ");
	ret = xmalloc((size_t)n);
	memcpy(ret, der, (size_t)n);
	OPENSSL_free(der);
	*lenp = (size_t)n;
	return ret;
}

char *
pki_key_pem(EVP_PKEY *key)
{
	BIO *bio;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1)
		pki_die("PEM_write_bio_PrivateKey");
	return pki_bio_text(bio);
}
