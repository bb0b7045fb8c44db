/*
 * inspect.c — what a served certificate chain says, as plain data.
 *
 * inspect_chain() turns the chain a server sent into a struct cert_obs: the
 * leaf's subject fields, names, issuer, serial, fingerprint, key, signature
 * algorithm and validity, the other served certificates, an offline
 * verification against the configured trust anchors at `now`, and the
 * problem bits that follow from all of it. inspect_target() adds the checks
 * that need every address of a target at once.
 *
 * How the chain problems are told apart (see also inspect.h):
 *
 *   untrusted         verification fails for a reason other than the leaf's
 *                     own validity period: no path to an anchor of the store
 *                     (unknown or self-signed root, missing intermediate), a
 *                     bad signature, an expired CA certificate, a CA that may
 *                     not issue, ... The leaf's own dates have their own words.
 *   chain-incomplete  the path needs a CA certificate below the anchor that
 *                     the server did not send: either it is nowhere (the chain
 *                     stops at a certificate whose issuer is unknown; then the
 *                     chain is also untrusted) or it was found only among the
 *                     local trust anchors (verification passes here, but a
 *                     client with a roots-only store fails). A missing
 *                     intermediate cannot be told apart from an unknown root
 *                     that was rightly not sent: both read chain-incomplete +
 *                     untrusted. A chain that ends at a self-signed certificate
 *                     the store does not know (self-signed leaf, private root
 *                     sent along) is untrusted only.
 *   cross-root-chain  the server sent a cross-signed CA certificate (not
 *                     self-signed, with the subject of the self-signed anchor
 *                     the path ends at) that the path does not use. It says
 *                     nothing about trust: such a chain usually verifies.
 *
 * Everything here is pure: no clock (now is passed in), no I/O, no global
 * state; the trust store is built once by inspect_store_from_pem() and only
 * read afterwards, so calls may run in parallel.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "inspect.h"

/* One line, RFC 2253 order and escaping, UTF-8 kept as it is. */
#define INSPECT_NAME_FLAGS	(XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)
/* As browsers match: no "w*.example.jp", no fallback to the subject CN. */
#define INSPECT_HOST_FLAGS	(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | \
				 X509_CHECK_FLAG_NEVER_CHECK_SUBJECT)

static const char *const problem_words[PROB_COUNT] = {
	"unreachable",
	"handshake-failed",
	"untrusted",
	"hostname-mismatch",
	"name-not-covered",
	"chain-incomplete",
	"cross-root-chain",
	"expired",
	"not-yet-valid",
	"weak-key",
	"mixed-certificates",
	"intermediate-expiring",
	"subject-mismatch",
};

/* What the verification callback saw; reached via the context's app data. */
struct verify_state {
	int	nerr;
	int	first_err;
	int	first_depth;
	int	not_leaf_time;	/* an error other than the leaf's dates */
	int	no_issuer;	/* the chain stops at an unknown issuer */
};

const char *
problem_word(unsigned bit)
{
	unsigned i;

	for (i = 0; i < PROB_COUNT; i++)
		if (bit == 1u << i)
			return problem_words[i];
	return NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
static int64_t
inspect_civil_days(int64_t year, int month, int day)
{
	int64_t cycle, yoc, doy, doc;
	int mp;

	/* Count years from March so that the leap day comes last. */
	if (month <= 2)
		year--;
	mp = month > 2 ? month - 3 : month + 9;
	cycle = (year >= 0 ? year : year - 399) / 400;
	yoc = year - cycle * 400;			/* 0..399 */
	doy = (153 * mp + 2) / 5 + day - 1;		/* 0..365 */
	doc = yoc * 365 + yoc / 4 - yoc / 100 + doy;	/* 0..146096 */
	return cycle * 146097 + doc - 719468;
}

/* An ASN1_TIME as seconds since the epoch; -1 when it cannot be read. */
static int
inspect_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	int64_t days;

	*out = 0;
	/* ASN1_TIME_to_tm() reads the clock when given NULL: never do that. */
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	days = inspect_civil_days((int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
	*out = (time_t)(days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
	    tm.tm_sec);
	return 0;
}

/* The Japan date (UTC+9, no DST) of t, as a day number. */
static int64_t
inspect_jst_day(time_t t)
{
	int64_t s = (int64_t)t + 9 * 3600;

	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

static void
inspect_hex(char *dst, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = digits[p[i] >> 4];
		dst[2 * i + 1] = digits[p[i] & 0xf];
	}
	dst[2 * n] = '\0';
}

/* A directory string as sanitised UTF-8, whatever its ASN.1 type. */
static char *
inspect_string(const ASN1_STRING *s)
{
	unsigned char *utf8 = NULL;
	char *ret;
	int len;

	switch (ASN1_STRING_type(s)) {
	case V_ASN1_UTF8STRING:
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_VISIBLESTRING:
		/* Already UTF-8 (or ASCII): no conversion, no copy. Invalid
		 * sequences become U+FFFD in rd_sanitize(). */
		return rd_sanitize((const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s));
	default:
		break;
	}
	/* BMPString (UTF-16), UniversalString, T61String (as Latin-1). */
	len = ASN1_STRING_to_UTF8(&utf8, s);
	if (len < 0)
		return rd_sanitize((const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s));
	ret = rd_sanitize((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return ret;
}

/* The first value of one attribute in a name, or NULL when absent. */
static char *
inspect_name_field(const X509_NAME *name, int nid)
{
	const X509_NAME_ENTRY *e;
	int i;

	if ((i = X509_NAME_get_index_by_NID(name, nid, -1)) < 0)
		return NULL;
	if ((e = X509_NAME_get_entry(name, i)) == NULL)
		return NULL;
	return inspect_string(X509_NAME_ENTRY_get_data(e));
}

/* A name on one line through `bio` (a memory BIO, emptied first). */
static char *
inspect_name_line(BIO *bio, const X509_NAME *name)
{
	char *p = NULL;
	long n;

	if (name == NULL || BIO_reset(bio) < 0 ||
	    X509_NAME_print_ex(bio, name, 0, INSPECT_NAME_FLAGS) < 0 ||
	    (n = BIO_get_mem_data(bio, &p)) < 0 || (n > 0 && p == NULL))
		return xstrdup("");
	return rd_sanitize(p, (size_t)n);
}

char *
inspect_name_oneline(const X509_NAME *name)
{
	BIO *bio;
	char *ret;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return xstrdup("");
	ret = inspect_name_line(bio, name);
	BIO_free(bio);
	return ret;
}

void
inspect_name_fields(const X509_NAME *name, struct subject_fields *sf)
{
	if (name == NULL)
		return;
	sf->cn = inspect_name_field(name, NID_commonName);
	sf->ou = inspect_name_field(name, NID_organizationalUnitName);
	sf->o = inspect_name_field(name, NID_organizationName);
	sf->l = inspect_name_field(name, NID_localityName);
	sf->st = inspect_name_field(name, NID_stateOrProvinceName);
	sf->c = inspect_name_field(name, NID_countryName);
}

void
inspect_general_names(const GENERAL_NAMES *gens, struct strlist *san)
{
	const GENERAL_NAME *g;
	char addr[INET6_ADDRSTRLEN];
	const unsigned char *p;
	int i, n, len;

	if (gens == NULL)
		return;
	n = sk_GENERAL_NAME_num(gens);
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			strlist_add_owned(san, rd_sanitize(
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName)));
		} else if (g->type == GEN_IPADD) {
			p = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if ((len == 4 && inet_ntop(AF_INET, p, addr,
			    sizeof(addr)) != NULL) || (len == 16 &&
			    inet_ntop(AF_INET6, p, addr, sizeof(addr)) != NULL))
				strlist_add(san, addr);
		}
	}
}

static void
inspect_san(const X509 *leaf, struct strlist *san)
{
	GENERAL_NAMES *gens;

	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	inspect_general_names(gens, san);
	GENERAL_NAMES_free(gens);
}

static void
inspect_serial(const X509 *leaf, struct cert_obs *out)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(leaf);
	const unsigned char *p;
	size_t n, neg;

	if (sn == NULL || (n = (size_t)ASN1_STRING_length(sn)) == 0) {
		out->serial = xstrdup("00");
		return;
	}
	p = ASN1_STRING_get0_data(sn);
	neg = ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER;
	out->serial = xmalloc(neg + 2 * n + 1);
	if (neg)
		out->serial[0] = '-';
	inspect_hex(out->serial + neg, p, n);
}

int
inspect_key_desc(const EVP_PKEY *pk, char *desc, size_t desclen, int *bitsp)
{
	int bits, weak = 0;

	*bitsp = 0;
	if (pk == NULL) {
		rd_strlcpy(desc, "unknown", desclen);
		return 0;
	}
	bits = EVP_PKEY_get_bits(pk);
	*bitsp = bits > 0 ? bits : 0;
	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
		snprintf(desc, desclen, "RSA-%d", bits);
		weak = bits < 2048;
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		snprintf(desc, desclen, "EC-%d", bits);
		weak = bits < 256;
	} else if (EVP_PKEY_is_a(pk, "DSA")) {
		snprintf(desc, desclen, "DSA-%d", bits);
		weak = bits < 2048;
	} else if (EVP_PKEY_is_a(pk, "ED25519"))
		rd_strlcpy(desc, "Ed25519", desclen);
	else if (EVP_PKEY_is_a(pk, "ED448"))
		rd_strlcpy(desc, "Ed448", desclen);
	else
		snprintf(desc, desclen, "%s-%d",
		    EVP_PKEY_get0_type_name(pk) != NULL ?
		    EVP_PKEY_get0_type_name(pk) : "unknown", bits);
	return weak;
}

static void
inspect_key(const X509 *leaf, struct cert_obs *out)
{
	char desc[32];

	if (inspect_key_desc(X509_get0_pubkey(leaf), desc, sizeof(desc),
	    &out->key_bits))
		out->problems |= PROB_WEAK_KEY;
	free(out->key);
	out->key = xstrdup(desc);
}

static void
inspect_sig_alg(const X509 *leaf, struct cert_obs *out)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	char txt[128];

	X509_get0_signature(NULL, &alg, leaf);
	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(txt, sizeof(txt), obj, 0) <= 0)
		rd_strlcpy(txt, "unknown", sizeof(txt));
	out->sig_alg = rd_sanitize(txt, strlen(txt));
}

/* Does the leaf cover `name` (a DNS name, or an IP literal)? */
static int
inspect_covers(X509 *leaf, const char *name)
{
	int r;

	r = X509_check_ip_asc(leaf, name, 0);
	if (r == -2)	/* not an IP literal */
		r = X509_check_host(leaf, name, 0, INSPECT_HOST_FLAGS, NULL);
	return r == 1;
}

static void
inspect_names(X509 *leaf, const char *host, const struct strlist *names,
    struct cert_obs *out)
{
	size_t i;

	if (host != NULL && !inspect_covers(leaf, host))
		out->problems |= PROB_HOSTNAME_MISMATCH;
	for (i = 0; names != NULL && i < names->n; i++) {
		/* The target's own name is hostname-mismatch's business. */
		if (host != NULL && rd_strcaseeq(names->v[i], host))
			continue;
		if (!inspect_covers(leaf, names->v[i])) {
			out->problems |= PROB_NAME_NOT_COVERED;
			break;
		}
	}
	out->names_ok = (out->problems &
	    (PROB_HOSTNAME_MISMATCH | PROB_NAME_NOT_COVERED)) == 0;
}

static int
inspect_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_state *vs = X509_STORE_CTX_get_app_data(ctx);
	int err, depth;

	if (ok || vs == NULL)
		return ok;
	err = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	if (vs->nerr++ == 0) {
		vs->first_err = err;
		vs->first_depth = depth;
	}
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		if (depth != 0)
			vs->not_leaf_time = 1;
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		vs->no_issuer = 1;
		vs->not_leaf_time = 1;
		break;
	default:
		vs->not_leaf_time = 1;
		break;
	}
	/* Go on: every problem of the chain is worth knowing. */
	return 1;
}

static int
inspect_self_signed(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

/* Is x (by content) one of the certificates of sk? */
static int
inspect_in_stack(STACK_OF(X509) *sk, int from, X509 *x)
{
	int i, n = sk_X509_num(sk);

	for (i = from; i < n; i++)
		if (sk_X509_value(sk, i) != NULL &&
		    X509_cmp(sk_X509_value(sk, i), x) == 0)
			return 1;
	return 0;
}

/* Path problems: the path built and what the server sent compared. */
static void
inspect_path(STACK_OF(X509) *served, STACK_OF(X509) *path,
    const struct verify_state *vs, struct cert_obs *out)
{
	X509 *x, *anchor;
	int i, n;

	if (vs->no_issuer)
		out->problems |= PROB_CHAIN_INCOMPLETE;
	n = sk_X509_num(path);
	if (n < 2)
		return;
	/* A CA certificate below the anchor that came from the store. */
	for (i = 1; i < n - 1; i++) {
		x = sk_X509_value(path, i);
		if (!inspect_in_stack(served, 1, x))
			out->problems |= PROB_CHAIN_INCOMPLETE;
	}
	anchor = sk_X509_value(path, n - 1);
	if (!inspect_self_signed(anchor)) {
		if (!vs->no_issuer && !inspect_in_stack(served, 1, anchor))
			out->problems |= PROB_CHAIN_INCOMPLETE;
		return;
	}
	/* A served cross certificate for the anchor, not on the path. */
	for (i = 1; i < sk_X509_num(served); i++) {
		x = sk_X509_value(served, i);
		if (x == NULL || inspect_self_signed(x) ||
		    inspect_in_stack(path, 0, x))
			continue;
		if (X509_NAME_cmp(X509_get_subject_name(x),
		    X509_get_subject_name(anchor)) == 0)
			out->problems |= PROB_CROSS_ROOT_CHAIN;
	}
}

static void
inspect_verify(STACK_OF(X509) *served, X509_STORE *trust, time_t now,
    struct cert_obs *out)
{
	struct verify_state vs = { 0 };
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509 *leaf = sk_X509_value(served, 0);
	int i, r;

	if (trust == NULL) {
		out->verify_error = xstrdup("no trust anchors");
		out->problems |= PROB_UNTRUSTED;
		return;
	}
	if ((untrusted = sk_X509_new_reserve(NULL, sk_X509_num(served))) ==
	    NULL)
		goto fail;
	for (i = 1; i < sk_X509_num(served); i++)
		if (sk_X509_value(served, i) != NULL)
			(void)sk_X509_push(untrusted, sk_X509_value(served, i));
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, trust, leaf, untrusted) != 1)
		goto fail;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1 ||
	    X509_STORE_CTX_set_app_data(ctx, &vs) != 1)
		goto fail;
	X509_STORE_CTX_set_verify_cb(ctx, inspect_verify_cb);

	r = X509_verify_cert(ctx);
	if (r == 1 && vs.nerr == 0)
		out->verify_ok = 1;
	else if (vs.nerr > 0)
		out->verify_error = xasprintf("%s (depth %d)",
		    X509_verify_cert_error_string(vs.first_err),
		    vs.first_depth);
	else {
		/* Failed without telling the callback (e.g. no memory). */
		r = X509_STORE_CTX_get_error(ctx);
		out->verify_error = xasprintf("%s (depth %d)",
		    X509_verify_cert_error_string(r),
		    X509_STORE_CTX_get_error_depth(ctx));
		vs.not_leaf_time = 1;
	}
	if (vs.not_leaf_time)
		out->problems |= PROB_UNTRUSTED;
	inspect_path(served, X509_STORE_CTX_get0_chain(ctx), &vs, out);
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return;
fail:
	out->verify_ok = 0;
	out->verify_error = xstrdup("verification could not run");
	out->problems |= PROB_UNTRUSTED;
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
}

static void
inspect_chain_certs(STACK_OF(X509) *served, BIO *bio, struct cert_obs *out)
{
	struct chain_cert *cc;
	X509 *x;
	int i, n = sk_X509_num(served);

	if (n < 2)
		return;
	out->chain = xcalloc((size_t)n - 1, sizeof(*out->chain));
	for (i = 1; i < n; i++) {
		if ((x = sk_X509_value(served, i)) == NULL)
			continue;
		cc = &out->chain[out->nchain++];
		cc->subject = inspect_name_line(bio, X509_get_subject_name(x));
		cc->issuer = inspect_name_line(bio, X509_get_issuer_name(x));
		(void)inspect_asn1_time(X509_get0_notAfter(x), &cc->not_after);
	}
}

int
inspect_chain(STACK_OF(X509) *served, X509_STORE *trust, const char *host,
    const struct strlist *names, time_t now, struct cert_obs *out,
    char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *leaf;
	BIO *bio;

	memset(out, 0, sizeof(*out));
	if (served == NULL || sk_X509_num(served) < 1 ||
	    (leaf = sk_X509_value(served, 0)) == NULL) {
		snprintf(err, errlen, "no certificate was served");
		return -1;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Leave the caller's OpenSSL error queue as it was. */
	ERR_set_mark();

	inspect_name_fields(X509_get_subject_name(leaf), &out->subject);
	inspect_san(leaf, &out->san);
	out->issuer = inspect_name_line(bio, X509_get_issuer_name(leaf));
	inspect_serial(leaf, out);
	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		inspect_hex(out->sha256, md, mdlen);
	inspect_key(leaf, out);
	inspect_sig_alg(leaf, out);
	if (inspect_asn1_time(X509_get0_notBefore(leaf), &out->not_before) ==
	    -1 || now < out->not_before)
		out->problems |= PROB_NOT_YET_VALID;
	/* As X509_verify_cert(): valid from notBefore, up to notAfter. */
	if (inspect_asn1_time(X509_get0_notAfter(leaf), &out->not_after) ==
	    -1 || now >= out->not_after)
		out->problems |= PROB_EXPIRED;
	inspect_chain_certs(served, bio, out);
	inspect_names(leaf, host, names, out);
	inspect_verify(served, trust, now, out);

	ERR_pop_to_mark();
	BIO_free(bio);
	return 0;
}

/* Does the leaf's field `have` satisfy the expected `want`? */
static int
inspect_field_ok(const char *want, const char *have)
{
	if (want == NULL)
		return 1;
	if (*want == '\0')	/* the field must be absent */
		return have == NULL || *have == '\0';
	return have != NULL && strcmp(want, have) == 0;
}

unsigned
inspect_target(const struct cert_obs *const *obs, size_t nobs,
    int deadline_day, const struct subject_fields *expect)
{
	const struct cert_obs *o, *first = NULL;
	unsigned problems = 0;
	size_t i, j;

	for (i = 0; i < nobs; i++) {
		if ((o = obs[i]) == NULL || o->sha256[0] == '\0')
			continue;
		if (first == NULL)
			first = o;
		else if (strcmp(first->sha256, o->sha256) != 0)
			problems |= PROB_MIXED_CERTIFICATES;
		for (j = 0; deadline_day >= 0 && j < o->nchain; j++)
			if (inspect_jst_day(o->chain[j].not_after) <
			    deadline_day)
				problems |= PROB_INTERMEDIATE_EXPIRING;
		if (expect != NULL && (
		    !inspect_field_ok(expect->cn, o->subject.cn) ||
		    !inspect_field_ok(expect->ou, o->subject.ou) ||
		    !inspect_field_ok(expect->o, o->subject.o) ||
		    !inspect_field_ok(expect->l, o->subject.l) ||
		    !inspect_field_ok(expect->st, o->subject.st) ||
		    !inspect_field_ok(expect->c, o->subject.c)))
			problems |= PROB_SUBJECT_MISMATCH;
	}
	return problems;
}

void
subject_fields_free(struct subject_fields *sf)
{
	if (sf == NULL)
		return;
	free(sf->cn);
	free(sf->ou);
	free(sf->o);
	free(sf->l);
	free(sf->st);
	free(sf->c);
	memset(sf, 0, sizeof(*sf));
}

void
cert_obs_free(struct cert_obs *o)
{
	size_t i;

	if (o == NULL)
		return;
	subject_fields_free(&o->subject);
	strlist_free(&o->san);
	free(o->issuer);
	free(o->serial);
	free(o->key);
	free(o->sig_alg);
	for (i = 0; i < o->nchain; i++) {
		free(o->chain[i].subject);
		free(o->chain[i].issuer);
	}
	free(o->chain);
	free(o->verify_error);
	memset(o, 0, sizeof(*o));
}

X509_STORE *
inspect_store_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	STACK_OF(X509_INFO) *infos = NULL;
	X509_STORE *store = NULL;
	X509_INFO *xi;
	BIO *bio = NULL;
	unsigned long e;
	int i, ncert = 0;

	ERR_set_mark();
	if (pem == NULL || len == 0 || len > INT32_MAX) {
		snprintf(err, errlen, "no certificate in the trust bundle");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL) {
		e = ERR_peek_last_error();
		snprintf(err, errlen, "cannot read the trust bundle: %s",
		    e != 0 && ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "not PEM");
		goto fail;
	}
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 == NULL)
			continue;
		if (X509_STORE_add_cert(store, xi->x509) != 1) {
			snprintf(err, errlen, "cannot add certificate %d of "
			    "the trust bundle", ncert + 1);
			goto fail;
		}
		ncert++;
	}
	if (ncert == 0) {
		snprintf(err, errlen, "no certificate in the trust bundle");
		goto fail;
	}
	goto out;
fail:
	X509_STORE_free(store);
	store = NULL;
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	ERR_pop_to_mark();
	return store;
}
