/*
 * pki.h — certificates made at test time (tests/unit/support/pki.c).
 *
 * Keys are generated once per test binary and reused: pki_key(type, slot)
 * hands out the same key for the same type and slot, so a test may build as
 * many certificates as it likes without paying for RSA key generation again.
 * Different slots give different keys (a root and an intermediate must not
 * share one). The keys belong to this module; pki_cleanup() frees them.
 */
#ifndef RENEWD_TEST_PKI_H
#define RENEWD_TEST_PKI_H

#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum pki_key_type {
	PKI_EC256,
	PKI_EC384,
	PKI_RSA1024,
	PKI_RSA2048,
	PKI_ED25519,
	PKI_DSA1024,
	PKI_KEY_NTYPES
};
#define PKI_KEY_SLOTS	8

/* A cached key (borrowed: do not free). Aborts the test binary on failure. */
EVP_PKEY	*pki_key(enum pki_key_type, int slot);

/* Subject attributes, UTF-8; NULL leaves one out. `bmp` encodes CN, OU, O,
 * L and ST as BMPString (UTF-16) instead of UTF8String; `type` (e.g.
 * V_ASN1_PRINTABLESTRING, V_ASN1_T61STRING) stores their bytes as they are
 * in another string type. */
struct pki_name {
	const char	*cn;
	const char	*ou;
	const char	*o;
	const char	*l;
	const char	*st;
	const char	*c;
	int		 bmp;
	int		 type;
};

struct pki_spec {
	struct pki_name		 subject;
	const char		*san;	/* "DNS:a.example,IP:::1" or NULL */
	enum pki_key_type	 key;
	int			 slot;
	int			 ca;	/* a CA certificate (may sign others) */
	time_t			 not_before;
	time_t			 not_after;
	uint64_t		 serial; /* 0: the next of a counter */
};

/* A certificate as `spec` says, signed by issuer_key in the name of `issuer`;
 * self-signed when issuer is NULL. Caller frees with X509_free(). */
X509		*pki_cert(const struct pki_spec *spec, X509 *issuer,
		    EVP_PKEY *issuer_key);
/* A chain as a server sends it: the arguments up to NULL (references taken).
 * Free with pki_chain_free(). */
STACK_OF(X509)	*pki_chain(X509 *first, ...);
void		 pki_chain_free(STACK_OF(X509) *);
/* The arguments up to NULL as one PEM bundle (malloc'd, NUL-terminated). */
char		*pki_pem(X509 *first, ...);
/* A certificate signing request as the hosting service's console makes
 * one: the subject, the key of (key, slot), an optional subjectAltName
 * extension request. */
struct pki_csr_spec {
	struct pki_name		 subject;
	const char		*san;	/* "DNS:a.example,DNS:b.example" or NULL */
	enum pki_key_type	 key;
	int			 slot;
};
/* Caller frees with X509_REQ_free(). */
X509_REQ	*pki_csr(const struct pki_csr_spec *spec);
/* The request as PEM (malloc'd, NUL-terminated) or DER (malloc'd, *lenp). */
char		*pki_csr_pem(X509_REQ *);
unsigned char	*pki_csr_der(X509_REQ *, size_t *lenp);
/* A private key as unencrypted PKCS#8 PEM (malloc'd, NUL-terminated). */
char		*pki_key_pem(EVP_PKEY *);
/* Free the cached keys (at the end of a test binary, for leak checkers). */
void		 pki_cleanup(void);

#endif
