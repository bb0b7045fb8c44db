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

#include <openssl/x509.h>

#include "config.h"
#include "util.h"

/* Problem words of the Status JSON, as bits. */
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

/* Everything learnt from one served chain. */
struct cert_obs {
	struct subject_fields	 subject;	/* leaf CN, OU, O, L, ST, C */
	struct strlist		 san;		/* DNS names and IP addresses */
	char			*issuer;	/* leaf issuer, RFC 2253 style */
	char			*serial;	/* lower-case hex */
	char			 sha256[65];	/* lower-case hex of the DER */
	char			 key[32];	/* "RSA-2048", "EC-256", "Ed25519" */
	int			 key_bits;
	char			*sig_alg;	/* "sha256WithRSAEncryption" */
	time_t			 not_before;
	time_t			 not_after;
	struct chain_cert	*chain;		/* served certs after the leaf */
	size_t			 nchain;
	int			 verify_ok;
	char			*verify_error;	/* NULL when verify_ok */
	int			 names_ok;	/* every configured name covered */
	unsigned		 problems;	/* enum problem bits */
};

/*
 * Inspect `served` (leaf first, as the server sent it) against the trust
 * anchors in `trust`, at time `now`. `host` is the target's own name (the SNI
 * name; an IP literal is checked as an address); `names` every name the leaf
 * must cover. Verification runs offline here; a failure is recorded, never a
 * reason to stop looking. Returns 0, or -1 with a message in err when there is
 * no leaf to inspect.
 */
int	 inspect_chain(STACK_OF(X509) *served, X509_STORE *trust,
	    const char *host, const struct strlist *names, time_t now,
	    struct cert_obs *out, char *err, size_t errlen);
/* Target-level checks over all of a target's address observations:
 * mixed-certificates, intermediate-expiring (a chain certificate ends before
 * the deadline date, Japan day `deadline_day`), subject-mismatch against
 * `expect` (NULL: not checked). Returns the extra problem bits. */
unsigned inspect_target(const struct cert_obs *const *obs, size_t nobs,
	    int deadline_day, const struct subject_fields *expect);
void	 cert_obs_free(struct cert_obs *);
void	 subject_fields_free(struct subject_fields *);

/* A trust store from a PEM bundle (the shell reads the file). NULL on error. */
X509_STORE *inspect_store_from_pem(const char *pem, size_t len, char *err,
	    size_t errlen);

#endif
