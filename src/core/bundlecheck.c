/*
 * bundlecheck.c — a certificate bundle checked offline before step 5: does
 * the key belong to the certificate, did the intermediate sign it, is the
 * chain file the 3-tier one without cross-root, does it verify, is it valid
 * and for the right name. See bundlecheck.h for the list.
 *
 * Names, keys, validity and the verification come from inspect_chain(), as
 * for a served chain; what is particular to a bundle (the key, and which
 * certificate of the chain file is what) is worked out here.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "bundlecheck.h"
#include "calendar.h"
#include "check.h"
#include "inspect.h"
#include "util.h"

#define BUNDLE_3TIER	"install only the SureServer CA intermediate " \
			"(\"SureServer EV CA\" for EV)"

/* What a certificate of the chain file turned out to be. */
enum bundle_role {
	ROLE_UNRELATED,
	ROLE_ISSUER,		/* issued the leaf */
	ROLE_LEAF,		/* the leaf again */
	ROLE_DUPLICATE,		/* the issuer again */
	ROLE_ROOT,		/* self-signed */
	ROLE_CROSS,		/* a root's subject issued by another CA */
};

static int
bundle_contains(const char *data, size_t len, const char *needle)
{
	return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* "2027-03-31 23:59 JST" */
static void
bundle_when(time_t t, char out[32])
{
	char iso[32];

	time_format_jst(t, iso, sizeof(iso));
	snprintf(out, 32, "%.10s %.5s JST", iso, iso + 11);
}

/* A certificate's CN, else its whole subject, for messages. Caller frees. */
static char *
bundle_label(const X509 *x)
{
	struct subject_fields sf = { 0 };
	char *ret;

	inspect_name_fields(X509_get_subject_name(x), &sf);
	if (sf.cn != NULL && *sf.cn != '\0') {
		ret = sf.cn;
		sf.cn = NULL;
	} else
		ret = inspect_name_oneline(X509_get_subject_name(x));
	subject_fields_free(&sf);
	return ret;
}

static int
bundle_self_signed(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

static int
bundle_is_ca(X509 *x)
{
	return X509_check_ca(x) != 0;
}

/* Did `ca` sign `x`: names (and key identifiers) match and the signature
 * verifies with ca's key? */
static int
bundle_signed_by(X509 *x, X509 *ca)
{
	EVP_PKEY *pk;

	if (X509_check_issued(ca, x) != X509_V_OK)
		return 0;
	if ((pk = X509_get0_pubkey(ca)) == NULL)
		return 0;
	return X509_verify(x, pk) == 1;
}

/* Is `name` the subject of a self-signed certificate of the trust store or
 * of the chain file? */
static int
bundle_is_root_name(const X509_NAME *name, X509_STORE *trust,
    STACK_OF(X509) *chain)
{
	STACK_OF(X509_OBJECT) *objs;
	X509_OBJECT *obj;
	X509 *x;
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (bundle_self_signed(x) &&
		    X509_NAME_cmp(X509_get_subject_name(x), name) == 0)
			return 1;
	}
	if (trust == NULL || (objs = X509_STORE_get0_objects(trust)) == NULL)
		return 0;
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		obj = sk_X509_OBJECT_value(objs, i);
		if ((x = X509_OBJECT_get0_X509(obj)) == NULL)
			continue;
		if (bundle_self_signed(x) &&
		    X509_NAME_cmp(X509_get_subject_name(x), name) == 0)
			return 1;
	}
	return 0;
}

static void
bundle_check_key(X509 *leaf, EVP_PKEY *key, struct check_report *out)
{
	EVP_PKEY *pub = X509_get0_pubkey(leaf);

	if (key == NULL)
		return;
	if (pub != NULL && EVP_PKEY_eq(pub, key) == 1)
		check_add(out, CHECK_OK, "key-match", NULL,
		    "The private key belongs to the certificate");
	else
		check_add(out, CHECK_ERROR, "key-mismatch", NULL,
		    "The private key does not belong to this certificate: a "
		    "different server is active than the one that made the "
		    "CSR. Pick the private key made with the CSR (on the "
		    "server that made it); if it is lost, make a new CSR on the "
		    "server that will use the certificate and have it "
		    "reissued");
}

/*
 * Which certificate of the chain file is what, and the findings about the
 * chain file as a whole.
 */
static void
bundle_check_chain(X509 *leaf, STACK_OF(X509) *chain, X509_STORE *trust,
    struct check_report *out)
{
	enum bundle_role *role;
	X509 *x, *issuer = NULL, *namesake = NULL;
	char *label, *label2;
	int i, n = sk_X509_num(chain), bad = 0;

	if (n == 0) {
		label = inspect_name_oneline(X509_get_issuer_name(leaf));
		check_add(out, CHECK_ERROR, "missing-intermediate", NULL,
		    "The chain file holds no certificate: download the "
		    "intermediate CA certificate that issued this certificate "
		    "(%s) in PEM form, the 3-tier chain without cross-root, "
		    "and give it", label);
		free(label);
		return;
	}
	role = xcalloc((size_t)n, sizeof(*role));
	for (i = 0; i < n && issuer == NULL; i++)
		if (bundle_signed_by(leaf, sk_X509_value(chain, i))) {
			role[i] = ROLE_ISSUER;
			issuer = sk_X509_value(chain, i);
		}
	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (role[i] == ROLE_ISSUER)
			continue;
		if (issuer != NULL && X509_cmp(x, issuer) == 0)
			role[i] = ROLE_DUPLICATE;
		else if (X509_cmp(x, leaf) == 0)
			role[i] = ROLE_LEAF;
		else if (bundle_self_signed(x))
			role[i] = ROLE_ROOT;
		else if (issuer == NULL && namesake == NULL &&
		    X509_NAME_cmp(X509_get_subject_name(x),
		    X509_get_issuer_name(leaf)) == 0)
			namesake = x;	/* named as the issuer, did not sign */
	}
	/* A CA certificate, not self-signed, with a root's subject: either
	 * a root that is known as self-signed, or what issued the
	 * intermediate (in the 3-tier chain, that is the root). */
	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (role[i] != ROLE_UNRELATED || x == namesake ||
		    !bundle_is_ca(x))
			continue;
		if (bundle_is_root_name(X509_get_subject_name(x), trust,
		    chain) || (issuer != NULL && X509_NAME_cmp(
		    X509_get_subject_name(x),
		    X509_get_issuer_name(issuer)) == 0))
			role[i] = ROLE_CROSS;
	}

	if (issuer != NULL) {
		label = bundle_label(issuer);
		check_add(out, CHECK_OK, "intermediate-ok", NULL,
		    "The intermediate \"%s\" signed the certificate", label);
		free(label);
	} else if (namesake != NULL) {
		label = bundle_label(namesake);
		check_add(out, CHECK_ERROR, "intermediate-mismatch", NULL,
		    "The chain file's \"%s\" has the issuer's name but did not "
		    "sign this certificate (another key or generation): "
		    "download the intermediate that goes with this certificate "
		    "again", label);
		free(label);
	} else {
		label = inspect_name_oneline(X509_get_issuer_name(leaf));
		check_add(out, CHECK_ERROR, "missing-intermediate", NULL,
		    "The chain file does not hold the intermediate that issued "
		    "this certificate (%s): download it in PEM form, the "
		    "3-tier chain without cross-root, and give it instead",
		    label);
		free(label);
	}

	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (role[i] == ROLE_ISSUER || x == namesake)
			continue;
		bad = 1;
		label = bundle_label(x);
		switch (role[i]) {
		case ROLE_CROSS:
			label2 = inspect_name_oneline(X509_get_issuer_name(x));
			check_add(out, CHECK_ERROR, "cross-root", NULL,
			    "The chain file holds the cross-root certificate "
			    "\"%s\" (a root's name, issued by %s): remove the "
			    "cross-root certificate: " BUNDLE_3TIER, label,
			    label2);
			free(label2);
			break;
		case ROLE_ROOT:
			check_add(out, CHECK_WARNING, "root-in-chain", NULL,
			    "The chain file holds the root certificate \"%s\": "
			    "clients have their own roots; remove it and "
			    BUNDLE_3TIER, label);
			break;
		case ROLE_DUPLICATE:
			check_add(out, CHECK_WARNING, "duplicate-cert", NULL,
			    "The chain file holds the intermediate \"%s\" "
			    "more than once: keep one copy", label);
			break;
		case ROLE_LEAF:
			check_add(out, CHECK_WARNING, "leaf-in-chain", NULL,
			    "The chain file holds the server certificate "
			    "itself: remove it and " BUNDLE_3TIER);
			break;
		default:
			check_add(out, CHECK_WARNING, "unrelated-cert", NULL,
			    "The chain file holds \"%s\", which is not part of "
			    "this certificate's chain: remove it and "
			    BUNDLE_3TIER, label);
			break;
		}
		free(label);
	}
	if (issuer != NULL && !bad)
		check_add(out, CHECK_OK, "chain-3tier", NULL,
		    "The chain file holds exactly the one intermediate: the "
		    "3-tier chain without cross-root");
	free(role);
}

static void
bundle_check_trust(const struct cert_obs *obs, const X509_STORE *trust,
    struct check_report *out)
{
	if (trust == NULL)
		check_add(out, CHECK_WARNING, "trust-not-checked", NULL,
		    "No trust anchors were given (--ca-file): the chain was "
		    "not verified up to a root");
	else if (obs->verify_ok)
		check_add(out, CHECK_OK, "trusted", NULL,
		    "The chain verifies up to a root of the CA file");
	else if (obs->problems & PROB_UNTRUSTED)
		check_add(out, CHECK_ERROR, "untrusted", NULL,
		    "The chain does not verify up to a root of the CA file "
		    "(%s): give the intermediate that goes with this "
		    "certificate, and check that the CA file holds the CA's "
		    "root", obs->verify_error != NULL ? obs->verify_error :
		    "unknown error");
	else
		check_add(out, CHECK_OK, "trusted", NULL,
		    "The chain verifies up to a root of the CA file (the "
		    "certificate's own dates aside)");
}

static void
bundle_check_validity(const struct cert_obs *obs, time_t now,
    struct check_report *out)
{
	char when[32];

	if (obs->problems & PROB_NOT_YET_VALID) {
		bundle_when(obs->not_before, when);
		check_add(out, CHECK_ERROR, "not-yet-valid", NULL,
		    "The certificate is valid only from %s: check the clock "
		    "of this machine, or wait until then", when);
	}
	bundle_when(obs->not_after, when);
	if (obs->problems & PROB_EXPIRED)
		check_add(out, CHECK_ERROR, "expired", NULL,
		    "The certificate expired on %s: download the renewed "
		    "certificate (step 4)", when);
	else if (out->days_left < BUNDLE_SOON_DAYS)
		check_add(out, CHECK_WARNING, "expires-soon", NULL,
		    "The certificate ends on %s, in %d days: is it the "
		    "renewed one? A renewed certificate runs to the next "
		    "contract end date", when, out->days_left);
	else if (!(obs->problems & PROB_NOT_YET_VALID))
		check_add(out, CHECK_OK, "validity-ok", NULL,
		    "Valid until %s (%d days left)", when, out->days_left);
	(void)now;
}

static void
bundle_check_names(const struct cert_obs *obs, const char *name,
    struct check_report *out)
{
	struct buf b = { 0 };
	size_t i;

	/* The names were moved from obs to out. */
	for (i = 0; i < out->san.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", out->san.v[i]);
	if (name != NULL && (obs->problems & PROB_HOSTNAME_MISMATCH))
		check_add(out, CHECK_ERROR, "name-mismatch", NULL,
		    "The certificate does not cover %s (it covers: %s): check "
		    "that this is the certificate for %s", name,
		    b.len > 0 ? b.data : "no name", name);
	else if (name != NULL)
		check_add(out, CHECK_OK, "name-ok", NULL,
		    "The certificate covers %s", name);
	else if (b.len > 0)
		check_add(out, CHECK_OK, "names", NULL,
		    "The certificate covers: %s", b.data);
	if (out->san.n == 0)
		check_add(out, CHECK_WARNING, "no-san", NULL,
		    "The certificate has no subjectAltName: browsers do not "
		    "accept it for any name");
	buf_free(&b);
}

static void
bundle_check_leaf_key(const struct cert_obs *obs, struct check_report *out)
{
	if (obs->problems & PROB_WEAK_KEY)
		check_add(out, CHECK_ERROR, "weak-key", NULL,
		    "The certificate's %s key is too small and clients reject "
		    "it: make a new CSR with an RSA 2048-bit key and have the "
		    "certificate reissued", obs->key);
	else
		check_add(out, CHECK_OK, "key-ok", NULL, "%s key", obs->key);
}

static void
bundle_run(X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key,
    const struct bundle_args *args, int cert_extra, struct check_report *out)
{
	struct cert_obs obs;
	STACK_OF(X509) *served, *empty = NULL;
	char err[256];
	int i, n = chain != NULL ? sk_X509_num(chain) : 0;

	memset(out, 0, sizeof(*out));
	ERR_set_mark();
	/* Allocation failure aborts, as in xmalloc(). */
	if ((served = sk_X509_new_reserve(NULL, n + 1)) == NULL ||
	    (empty = sk_X509_new_null()) == NULL)
		abort();
	(void)sk_X509_push(served, leaf);
	for (i = 0; i < n; i++)
		(void)sk_X509_push(served, sk_X509_value(chain, i));
	if (inspect_chain(served, args->trust, args->name, NULL, args->now,
	    &obs, err, sizeof(err)) == -1) {
		check_add(out, CHECK_ERROR, "unreadable", NULL, "%s", err);
		sk_X509_free(served);
		sk_X509_free(empty);
		ERR_pop_to_mark();
		return;
	}

	out->have_subject = 1;
	out->subject = obs.subject;
	memset(&obs.subject, 0, sizeof(obs.subject));
	out->subject_line = inspect_name_oneline(X509_get_subject_name(leaf));
	out->san = obs.san;
	memset(&obs.san, 0, sizeof(obs.san));
	rd_strlcpy(out->key, obs.key, sizeof(out->key));
	out->key_bits = obs.key_bits;
	out->have_validity = 1;
	out->issuer = obs.issuer;
	obs.issuer = NULL;
	out->not_before = obs.not_before;
	out->not_after = obs.not_after;
	out->days_left = jday_from_time(obs.not_after) -
	    jday_from_time(args->now);

	if (cert_extra > 0)
		check_add(out, CHECK_WARNING, "cert-file-extra", NULL,
		    "The certificate file holds %d more certificate%s after "
		    "the server certificate: give only the server certificate "
		    "there, and the intermediate in its own field",
		    cert_extra, cert_extra == 1 ? "" : "s");
	bundle_check_key(leaf, key, out);
	bundle_check_chain(leaf, chain != NULL ? chain : empty, args->trust,
	    out);
	bundle_check_trust(&obs, args->trust, out);
	bundle_check_validity(&obs, args->now, out);
	bundle_check_names(&obs, args->name, out);
	bundle_check_leaf_key(&obs, out);

	cert_obs_free(&obs);
	sk_X509_free(served);
	sk_X509_free(empty);
	ERR_pop_to_mark();
}

void
bundlecheck(X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key,
    const struct bundle_args *args, struct check_report *out)
{
	bundle_run(leaf, chain, key, args, 0, out);
}

STACK_OF(X509) *
bundlecheck_read_certs(const char *data, size_t len, char *err, size_t errlen)
{
	STACK_OF(X509) *sk;
	const unsigned char *p;
	unsigned long e;
	X509 *x;
	BIO *bio;

	if ((sk = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (data == NULL || len == 0)
		return sk;
	if (len > INT_MAX) {
		snprintf(err, errlen, "the file is too large");
		goto fail;
	}
	ERR_set_mark();
	if (!bundle_contains(data, len, "-----BEGIN")) {
		p = (const unsigned char *)data;
		if ((x = d2i_X509(NULL, &p, (long)len)) != NULL &&
		    sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			goto oom;
		}
		ERR_pop_to_mark();
		return sk;
	}
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		goto oom;
	for (;;) {
		if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;		/* no more blocks */
			snprintf(err, errlen, "certificate %d is damaged: copy "
			    "the whole block again, from BEGIN to END",
			    sk_X509_num(sk) + 1);
			BIO_free(bio);
			ERR_pop_to_mark();
			goto fail;
		}
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			BIO_free(bio);
			goto oom;
		}
	}
	BIO_free(bio);
	ERR_pop_to_mark();
	return sk;
oom:
	ERR_pop_to_mark();
	snprintf(err, errlen, "out of memory");
fail:
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* No passphrase: never prompt. */
static int
bundle_no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *
bundlecheck_read_key(const char *data, size_t len, char *err, size_t errlen)
{
	const unsigned char *p;
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (data == NULL || len == 0) {
		snprintf(err, errlen, "the file is empty");
		return NULL;
	}
	if (len > INT_MAX) {
		snprintf(err, errlen, "the file is too large");
		return NULL;
	}
	ERR_set_mark();
	if (bundle_contains(data, len, "-----BEGIN")) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
			key = PEM_read_bio_PrivateKey(bio, NULL, bundle_no_pass,
			    NULL);
			BIO_free(bio);
		}
		if (key == NULL) {
			if (bundle_contains(data, len, "ENCRYPTED"))
				snprintf(err, errlen, "the private key is "
				    "encrypted: give it without a passphrase "
				    "(e.g. openssl pkey -in KEY -out PLAIN, "
				    "and keep PLAIN secret)");
			else if (bundle_contains(data, len,
			    "PRIVATE KEY-----"))
				snprintf(err, errlen, "the PRIVATE KEY block "
				    "is damaged");
			else
				snprintf(err, errlen, "no PRIVATE KEY block "
				    "in the file");
		}
	} else {
		p = (const unsigned char *)data;
		if ((key = d2i_AutoPrivateKey(NULL, &p, (long)len)) == NULL)
			snprintf(err, errlen, "not a private key: neither a "
			    "PEM PRIVATE KEY block nor DER");
	}
	ERR_pop_to_mark();
	return key;
}

int
bundlecheck_pem(const struct bundle_pem *in, const struct bundle_args *args,
    struct check_report *out, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	EVP_PKEY *key = NULL;
	char msg[256];
	int rv = -1;

	memset(out, 0, sizeof(*out));
	if ((certs = bundlecheck_read_certs(in->cert, in->cert_len, msg,
	    sizeof(msg))) == NULL) {
		snprintf(err, errlen, "--cert: %s", msg);
		goto out;
	}
	if (sk_X509_num(certs) == 0) {
		if (in->cert != NULL && bundle_contains(in->cert,
		    in->cert_len, "CERTIFICATE REQUEST-----"))
			snprintf(err, errlen, "--cert: this is a CSR, not the "
			    "issued certificate");
		else if (in->cert != NULL && bundle_contains(in->cert,
		    in->cert_len, "PRIVATE KEY-----"))
			snprintf(err, errlen, "--cert: this is a private key, "
			    "not the certificate");
		else
			snprintf(err, errlen, "--cert: no certificate in the "
			    "file");
		goto out;
	}
	if ((chain = bundlecheck_read_certs(in->chain, in->chain_len, msg,
	    sizeof(msg))) == NULL) {
		snprintf(err, errlen, "--chain: %s", msg);
		goto out;
	}
	if (in->key != NULL && (key = bundlecheck_read_key(in->key,
	    in->key_len, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "--key: %s", msg);
		goto out;
	}
	bundle_run(sk_X509_value(certs, 0), chain, key, args,
	    sk_X509_num(certs) - 1, out);
	rv = 0;
out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	return rv;
}
