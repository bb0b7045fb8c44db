/*
 * inspect.h — certificate inspection as pure functions over a served chain
 * (src/core/inspect.c). Nothing here touches the network: the probe engine
 * hands over what the server sent, tests hand over certificates they made.
 *
 * All text is UTF-8 exactly as in the certificate (Japanese organisation
 * names are normal); control characters are neutralised with rd_sanitize()
 * before they are stored here, so any field can be printed or mailed.
 */
#ifndef RENEWD_INSPECT_H
#define RENEWD_INSPECT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "util.h"

/*
 * Problem words of the Status JSON, as bits. The chain words, exactly:
 *   untrusted          verification at `now` fails for a reason other than
 *                      the leaf's own validity period (which is expired /
 *                      not-yet-valid): no path to an anchor of the store, a
 *                      bad signature, an expired or unusable CA certificate.
 *                      So verify_ok == 0 always comes with at least one of
 *                      untrusted, expired, not-yet-valid.
 *   chain-incomplete   the path needs a CA certificate below the anchor that
 *                      the server did not send. When it is nowhere (the chain
 *                      stops at an unknown issuer) untrusted is set too; when
 *                      the local store supplied it, the chain verifies here
 *                      and only chain-incomplete is set. A missing intermediate
 *                      and an unknown root that was (rightly) not sent look
 *                      the same and both read chain-incomplete + untrusted; a
 *                      chain ending at an unknown self-signed certificate
 *                      (self-signed leaf, private root sent along) is
 *                      untrusted only.
 *   cross-root-chain   the server sent a cross-signed CA certificate (subject
 *                      of the self-signed anchor the path ends at, issued by
 *                      another CA) that the path does not use. Not a trust
 *                      problem: such a chain normally verifies.
 *   weak-key           RSA or DSA below 2048 bits, EC below 256.
 *   expired            now >= notAfter (as X509_verify_cert() sees it);
 *   not-yet-valid      now < notBefore.
 *   hostname-mismatch  the leaf does not cover `host`; name-not-covered: it
 *                      does not cover another of `names`. Names are matched
 *                      against the SANs only (no CN fallback, no partial
 *                      wildcards), IP literals against IP SANs.
 */
enum problem {
	PROB_UNREACHABLE		= 1u << 0,
	PROB_HANDSHAKE_FAILED		= 1u << 1,
	PROB_UNTRUSTED			= 1u << 2,
	PROB_HOSTNAME_MISMATCH		= 1u << 3,
	PROB_NAME_NOT_COVERED		= 1u << 4,
	PROB_CHAIN_INCOMPLETE		= 1u << 5,
	PROB_CROSS_ROOT_CHAIN		= 1u << 6,
	PROB_EXPIRED			= 1u << 7,
	PROB_NOT_YET_VALID		= 1u << 8,
	PROB_WEAK_KEY			= 1u << 9,
	PROB_MIXED_CERTIFICATES		= 1u << 10,
	PROB_INTERMEDIATE_EXPIRING	= 1u << 11,
	PROB_SUBJECT_MISMATCH		= 1u << 12,
};
#define PROB_COUNT	13
/* "unreachable", "handshake-failed", ...; NULL for an unknown bit. */
const char	*problem_word(unsigned bit);

struct chain_cert {
	char	*subject;	/* RFC 2253 style, UTF-8 */
	char	*issuer;
	time_t	 not_after;
};

/*
 * Everything learnt from one served chain. Subject fields hold the first
 * value of each attribute (NULL: absent), converted to UTF-8 from whatever
 * string type the certificate used (BMPString too). Names are one line,
 * RFC 2253 order and escaping ("CN=...,O=...,C=JP"), UTF-8 left readable.
 */
struct cert_obs {
	struct subject_fields	 subject;	/* leaf CN, OU, O, L, ST, C */
	struct strlist		 san;		/* DNS names and IP addresses */
	char			*issuer;	/* leaf issuer, RFC 2253 style */
	char			*serial;	/* lower-case hex */
	/* "RSA-2048", "EC-256", "EC-384", "Ed25519", "DSA-1024", "unknown"
	 * (set whenever there is a leaf) */
	char			*key;
	char			*sig_alg;	/* "sha256WithRSAEncryption" */
	time_t			 not_before;
	time_t			 not_after;
	struct chain_cert	*chain;		/* served certs after the leaf */
	size_t			 nchain;
	/* NULL when verify_ok, else the first error with its depth:
	 * "certificate has expired (depth 0)" */
	char			*verify_error;
	char			 sha256[65];	/* lower-case hex of the DER */
	int			 key_bits;
	int			 verify_ok;
	int			 names_ok;	/* host and every name covered */
	unsigned		 problems;	/* enum problem bits */
};

/*
 * Inspect `served` (leaf first, as the server sent it) against the trust
 * anchors in `trust`, at time `now`. `host` is the target's own name (the SNI
 * name; an IP literal is checked as an address); `names` every name the leaf
 * must cover (may include host; NULL: none). Verification runs offline here
 * (purpose TLS server, the served certificates after the leaf as untrusted
 * helpers); a failure is recorded, never a reason to stop looking; a NULL
 * trust store makes the chain untrusted. `out` is overwritten; free it with
 * cert_obs_free(). Returns 0, or -1 with a message in err when there is no
 * leaf to inspect (out is then zeroed). The caller's OpenSSL error queue is
 * left as it was, except that a malformed certificate can raise more errors
 * than the queue holds (16), pushing the older ones out: nothing of its own
 * is left there either way.
 */
int	 inspect_chain(STACK_OF(X509) *served, X509_STORE *trust,
	    const char *host, const struct strlist *names, time_t now,
	    struct cert_obs *out, char *err, size_t errlen);
/* Target-level checks over all of a target's address observations (NULL
 * entries and observations without a leaf are skipped):
 * mixed-certificates (leaves with different SHA-256), intermediate-expiring
 * (a served chain certificate's notAfter falls on a Japan date before
 * `deadline_day`; deadline_day < 0: not checked), subject-mismatch against
 * `expect` (NULL: not checked; each non-NULL field must equal the leaf's
 * byte for byte, and "" means the leaf must not have that field).
 * Returns the extra problem bits. */
unsigned inspect_target(const struct cert_obs *const *obs, size_t nobs,
	    int deadline_day, const struct subject_fields *expect);
/* Free what the struct holds and zero it (safe on a zeroed struct). A
 * pointer added to struct cert_obs needs a copy in result_pool_keep()
 * (src/renewd/probe.c) as well. */
void	 cert_obs_free(struct cert_obs *);
void	 subject_fields_free(struct subject_fields *);

/* A trust store from a PEM bundle (the shell reads the file): every
 * certificate in it is a trust anchor; text around the PEM blocks is
 * ignored. NULL with a message in err when it holds no certificate. Build it
 * once and share it: inspect_chain() only reads it. */
X509_STORE *inspect_store_from_pem(const char *pem, size_t len, char *err,
	    size_t errlen);

/*
 * The pieces inspect_chain() is made of, for other checks of certificates
 * and requests (csrcheck.c, bundlecheck.c). Text is sanitised UTF-8 as in
 * struct cert_obs.
 */
/* The first CN, OU, O, L, ST and C of `name` (NULL: absent) into sf, which
 * the caller zeroed first; free with subject_fields_free(). */
void	 inspect_name_fields(const X509_NAME *name, struct subject_fields *sf);
/* `name` on one line, RFC 2253 order and escaping, UTF-8 kept; "" when it
 * cannot be printed. Caller frees. */
char	*inspect_name_oneline(const X509_NAME *name);
/* Append the DNS names and IP addresses of gens (NULL: none) to san. */
void	 inspect_general_names(const GENERAL_NAMES *gens, struct strlist *san);
/* "RSA-2048", "EC-256", "Ed25519", ... of a public key into desc, its size
 * in bits into *bits (0 when unknown). Returns 1 when the key is weak (RSA
 * or DSA below 2048 bits, EC below 256), else 0. */
int	 inspect_key_desc(const EVP_PKEY *pk, char *desc, size_t desclen,
	    int *bits);

#endif
