/*
 * bundlecheck.h — check a certificate bundle offline before it is installed
 * (step 5 of the renewal manual): the server certificate, the intermediate
 * (chain) file and optionally the private key made with the CSR
 * (src/core/bundlecheck.c). Pure: the caller reads the files and passes
 * `now`.
 *
 * The checks, each a finding of the report (code in brackets):
 *   the key belongs to the certificate         [key-match | key-mismatch]
 *   a certificate of the chain file issued the leaf: names match and its
 *   key verifies the leaf's signature          [intermediate-ok |
 *                                               missing-intermediate |
 *                                               intermediate-mismatch]
 *   the chain file holds exactly that one intermediate, the 3-tier chain:
 *   no cross-root certificate (a root's subject issued by another CA), no
 *   root, no copy of the leaf or of the intermediate, nothing unrelated
 *                                              [chain-3tier | cross-root |
 *                                               root-in-chain |
 *                                               leaf-in-chain |
 *                                               duplicate-cert |
 *                                               unrelated-cert]
 *   the chain verifies to an anchor of the trust store at `now` (the leaf's
 *   own dates aside)                           [trusted | untrusted |
 *                                               trust-not-checked]
 *   the leaf is within its validity            [validity-ok | expires-soon |
 *                                               expired | not-yet-valid]
 *   it covers `name` (subjectAltName only, as browsers match)
 *                                              [name-ok | name-mismatch |
 *                                               names | no-san]
 *   its key is strong enough                   [key-ok | weak-key]
 *   the certificate file holds one certificate [cert-file-extra]
 */
#ifndef RENEWD_BUNDLECHECK_H
#define RENEWD_BUNDLECHECK_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"

/* A leaf that ends within this many days is probably not the renewed one. */
#define BUNDLE_SOON_DAYS	30

struct bundle_args {
	X509_STORE	*trust;	/* anchors; NULL: verification not checked */
	const char	*name;	/* host name to cover; NULL: not checked */
	time_t		 now;
};

/* The files as read: PEM text (the certificate may also be DER). */
struct bundle_pem {
	const char	*cert;
	size_t		 cert_len;
	const char	*chain;		/* may be empty: no intermediate */
	size_t		 chain_len;
	const char	*key;		/* NULL: the key is not checked */
	size_t		 key_len;
};

/*
 * Check `leaf` with the certificates of the chain file (in file order,
 * possibly none) and the private key (NULL: not checked). `out` is
 * overwritten; free it with check_report_free().
 */
void	 bundlecheck(X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key,
	    const struct bundle_args *, struct check_report *out);
/* Parse the files and check them: 0, or -1 with err set ("--cert: ...",
 * "--chain: ...", "--key: ...") and out zeroed when a file cannot be read
 * as what it should be. A chain file without any certificate is not an
 * error here: it is the missing-intermediate finding. */
int	 bundlecheck_pem(const struct bundle_pem *, const struct bundle_args *,
	    struct check_report *out, char *err, size_t errlen);

/* The certificates of a PEM text in order (text around the blocks is
 * ignored), or of one DER certificate. An empty stack when there is none;
 * NULL with err set when a CERTIFICATE block is damaged. Free with
 * sk_X509_pop_free(sk, X509_free). */
STACK_OF(X509) *bundlecheck_read_certs(const char *data, size_t len,
	    char *err, size_t errlen);
/* A private key, PEM (PKCS#8 or traditional, not encrypted) or DER. NULL
 * with err set. */
EVP_PKEY *bundlecheck_read_key(const char *data, size_t len, char *err,
	    size_t errlen);

#endif
