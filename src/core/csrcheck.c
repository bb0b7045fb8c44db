/*
 * csrcheck.c — a CSR checked against step 2 of the renewal manual: RSA 2048,
 * a valid signature, OU left empty, C = JP, CN, O, ST and L filled in, text
 * that survived the copy and paste. See csrcheck.h for the rules.
 *
 * Every finding says what to do next; most problems of a CSR can only be
 * fixed by making a new one in the hosting service's admin console.
 */
#include <limits.h>
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
#include <openssl/x509v3.h>

#include "check.h"
#include "csrcheck.h"
#include "inspect.h"
#include "util.h"

#define CSR_MIN_RSA_BITS	2048
#define CSR_MIN_EC_BITS		256
#define CSR_BAD_STRING	"the CSR's subject holds text that is not valid " \
			"UTF-8: make a new CSR and type the values again " \
			"(Japanese is fine)"

static int
csr_contains(const char *data, size_t len, const char *needle)
{
	return memmem(data, len, needle, strlen(needle)) != NULL;
}

/*
 * Did OpenSSL refuse a subject string as invalid UTF-8 (or UTF-16)? It does
 * so while parsing, so such a CSR never gets to the checks. Looked up only
 * when the error queue held nothing of the caller's: reading it empties it.
 */
static int
csr_bad_string_error(int queue_was_empty)
{
	unsigned long e;
	int bad = 0;

	if (!queue_was_empty)
		return 0;
	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_ASN1 &&
		    (ERR_GET_REASON(e) == ASN1_R_INVALID_UTF8STRING ||
		    ERR_GET_REASON(e) == ASN1_R_INVALID_BMPSTRING_LENGTH ||
		    ERR_GET_REASON(e) == ASN1_R_INVALID_UNIVERSALSTRING_LENGTH))
			bad = 1;
	return bad;
}

X509_REQ *
csrcheck_parse(const char *data, size_t len, char *err, size_t errlen)
{
	const unsigned char *p;
	X509_REQ *req = NULL;
	BIO *bio;
	int empty_queue;

	if (data == NULL || len == 0) {
		snprintf(err, errlen, "the file is empty");
		return NULL;
	}
	if (len > INT_MAX) {
		snprintf(err, errlen, "the file is too large for a CSR");
		return NULL;
	}
	empty_queue = ERR_peek_error() == 0;
	ERR_set_mark();
	if (csr_contains(data, len, "-----BEGIN")) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (req != NULL)
			goto out;
		if (csr_bad_string_error(empty_queue))
			snprintf(err, errlen, CSR_BAD_STRING);
		else if (csr_contains(data, len, "CERTIFICATE REQUEST-----"))
			snprintf(err, errlen, "the CERTIFICATE REQUEST block is "
			    "damaged: copy the whole block again, from BEGIN "
			    "to END");
		else if (csr_contains(data, len, "BEGIN CERTIFICATE-----"))
			snprintf(err, errlen, "this is a certificate, not a "
			    "CSR: give the BEGIN CERTIFICATE REQUEST block");
		else if (csr_contains(data, len, "PRIVATE KEY-----"))
			snprintf(err, errlen, "this is a private key, not a "
			    "CSR: give the BEGIN CERTIFICATE REQUEST block (and "
			    "keep the key secret)");
		else
			snprintf(err, errlen, "no BEGIN CERTIFICATE REQUEST "
			    "block in the file");
		goto out;
	}
	p = (const unsigned char *)data;
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL)
		goto out;
	if (csr_bad_string_error(empty_queue))
		snprintf(err, errlen, CSR_BAD_STRING);
	else
		snprintf(err, errlen, "not a CSR: neither a PEM BEGIN "
		    "CERTIFICATE REQUEST block nor DER");
out:
	ERR_pop_to_mark();
	return req;
}

/* A host name as the CN of a server certificate: LDH labels, at least two,
 * an optional leading "*." and final dot. */
static int
csr_is_hostname(const char *s)
{
	size_t len = strlen(s), label = 0, labels = 0, i;

	if (strncmp(s, "*.", 2) == 0)
		s += 2, len -= 2;
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			labels++;
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
		if (label == 0 && s[i] == '-')
			return 0;
		label++;
	}
	return labels >= 2;
}

/* Host names equal, ignoring ASCII case and one final dot on either. */
static int
csr_same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return 0;
	for (i = 0; i < la; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];

		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return 0;
	}
	return 1;
}

/*
 * Did a directory string survive intact? A UTF8String must be valid UTF-8
 * (OpenSSL already refuses a CSR where it is not); the ASCII types must be
 * ASCII (Shift_JIS or Latin-1 bytes in them are mojibake); no type may hold
 * NUL, C0, DEL or C1 control characters.
 */
static int
csr_string_intact(const ASN1_STRING *s)
{
	unsigned char *utf8 = NULL;
	const unsigned char *p;
	char *clean;
	size_t n, i;
	int len, ok = 1, ascii = 0;

	switch (ASN1_STRING_type(s)) {
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_VISIBLESTRING:
	case V_ASN1_T61STRING:
		ascii = 1;
		/* FALLTHROUGH */
	case V_ASN1_UTF8STRING:
		p = ASN1_STRING_get0_data(s);
		len = ASN1_STRING_length(s);
		break;
	default:
		if ((len = ASN1_STRING_to_UTF8(&utf8, s)) < 0)
			return 0;
		p = utf8;
		break;
	}
	n = len > 0 ? (size_t)len : 0;
	/* No NUL, nothing but ASCII where ASCII is due, no C1 control
	 * (U+0080..U+009F: C2 80..C2 9F). */
	for (i = 0; i < n; i++)
		if (p[i] == '\0' || (ascii && p[i] >= 0x80) ||
		    (i + 1 < n && p[i] == 0xc2 && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f))
			ok = 0;
	if (ok) {
		/* rd_sanitize() changes invalid UTF-8 and C0/DEL only. */
		clean = rd_sanitize((const char *)p, n);
		ok = strlen(clean) == n && memcmp(clean, p, n) == 0;
		free(clean);
	}
	OPENSSL_free(utf8);
	return ok;
}

static const char *
csr_field_code(int nid)
{
	switch (nid) {
	case NID_commonName:
		return "cn";
	case NID_organizationalUnitName:
		return "ou";
	case NID_organizationName:
		return "o";
	case NID_localityName:
		return "l";
	case NID_stateOrProvinceName:
		return "st";
	case NID_countryName:
		return "c";
	default:
		return NULL;
	}
}

/* Every subject value that is damaged: one bad-encoding finding each. */
static void
csr_check_encoding(const X509_NAME *name, struct check_report *out)
{
	const X509_NAME_ENTRY *e;
	const char *sn;
	int i, nid;

	for (i = 0; i < X509_NAME_entry_count(name); i++) {
		if ((e = X509_NAME_get_entry(name, i)) == NULL ||
		    csr_string_intact(X509_NAME_ENTRY_get_data(e)))
			continue;
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		check_add(out, CHECK_ERROR, "bad-encoding", csr_field_code(nid),
		    "%s holds invalid UTF-8 or control characters: make a "
		    "new CSR and type the value again (Japanese is fine)",
		    sn != NULL ? sn : "a subject attribute");
	}
}

static void
csr_check_key(X509_REQ *req, struct check_report *out)
{
	EVP_PKEY *pk = X509_REQ_get0_pubkey(req);
	int weak, r;

	if (pk == NULL) {
		rd_strlcpy(out->key, "unknown", sizeof(out->key));
		check_add(out, CHECK_ERROR, "bad-key", NULL,
		    "The CSR holds no usable public key: make a new CSR");
		return;
	}
	r = X509_REQ_verify(req, pk);
	if (r == 1)
		check_add(out, CHECK_OK, "signature-ok", NULL,
		    "The CSR's signature is valid");
	else
		check_add(out, CHECK_ERROR, "bad-signature", NULL,
		    "The CSR's signature does not verify: it was damaged or "
		    "edited. Copy the whole BEGIN/END CERTIFICATE REQUEST "
		    "block again, or make a new CSR");

	weak = inspect_key_desc(pk, out->key, sizeof(out->key),
	    &out->key_bits);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (weak)
			check_add(out, CHECK_ERROR, "weak-key", NULL,
			    "%s key is too small: make a new CSR with an RSA "
			    "2048-bit key", out->key);
		else if (out->key_bits == CSR_MIN_RSA_BITS)
			check_add(out, CHECK_OK, "key-ok", NULL,
			    "%s key, as the manual asks", out->key);
		else
			check_add(out, CHECK_OK, "key-ok", NULL,
			    "%s key (the manual asks for RSA 2048; a larger "
			    "key is accepted)", out->key);
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		if (weak || out->key_bits < CSR_MIN_EC_BITS)
			check_add(out, CHECK_ERROR, "weak-key", NULL,
			    "%s key is too small: make a new CSR with an RSA "
			    "2048-bit key", out->key);
		else
			check_add(out, CHECK_WARNING, "ec-key", NULL,
			    "%s key: accepted here, but the manual asks for "
			    "RSA 2048. Check with the CA that it issues for an "
			    "EC key, or make a new CSR with an RSA 2048-bit "
			    "key", out->key);
	} else
		check_add(out, CHECK_ERROR, "unsupported-key", NULL,
		    "%s key: the manual asks for RSA 2048. Make a new CSR "
		    "with an RSA 2048-bit key", out->key);
}

static void
csr_check_cn(const char *cn, const char *name, struct check_report *out)
{
	if (cn == NULL || *cn == '\0') {
		check_add(out, CHECK_ERROR, "missing-field", "cn",
		    "CN is missing: make a new CSR with CN = %s",
		    name != NULL ? name : "the host name of the contract "
		    "(e.g. www.example.jp)");
		return;
	}
	if (name != NULL) {
		if (csr_same_host(cn, name))
			check_add(out, CHECK_OK, "cn-ok", "cn",
			    "CN is %s, as --name asks", cn);
		else
			check_add(out, CHECK_ERROR, "cn-mismatch", "cn",
			    "CN is %s, not %s: make a new CSR with CN = %s "
			    "(a name of the contract)", cn, name, name);
		return;
	}
	if (csr_is_hostname(cn))
		check_add(out, CHECK_OK, "cn-ok", "cn",
		    "CN is %s: check that it is a name of the contract", cn);
	else
		check_add(out, CHECK_WARNING, "cn-not-hostname", "cn",
		    "CN \"%s\" is not a host name: the CN must be a name of "
		    "the contract (e.g. www.example.jp); make a new CSR with "
		    "it", cn);
}

static void
csr_check_present(const char *value, const char *field, const char *label,
    const char *hint, struct check_report *out)
{
	if (value == NULL || *value == '\0')
		check_add(out, CHECK_ERROR, "missing-field", field,
		    "%s is missing: make a new CSR with %s filled in (%s)",
		    label, label, hint);
	else
		check_add(out, CHECK_OK, "field-ok", field, "%s is %s", label,
		    value);
}

static void
csr_check_subject(const char *name, struct check_report *out)
{
	const struct subject_fields *sf = &out->subject;

	csr_check_cn(sf->cn, name, out);
	if (sf->ou != NULL && *sf->ou != '\0')
		check_add(out, CHECK_ERROR, "ou-present", "ou",
		    "OU is set (\"%s\"), but since 2022-06-23 OU no longer "
		    "appears in certificates (CA/Browser Forum baseline "
		    "requirements): make a new CSR with OU left empty", sf->ou);
	else
		check_add(out, CHECK_OK, "ou-empty", "ou",
		    "OU is empty, as required");
	csr_check_present(sf->o, "o", "O",
	    "the organisation's official name; Japanese is fine", out);
	csr_check_present(sf->st, "st", "ST",
	    "the prefecture, e.g. Tokyo or 東京都", out);
	csr_check_present(sf->l, "l", "L",
	    "the city or ward, e.g. Chiyoda-ku or 千代田区", out);
	if (sf->c == NULL || *sf->c == '\0')
		check_add(out, CHECK_ERROR, "missing-field", "c",
		    "C is missing: make a new CSR with C = JP");
	else if (strcmp(sf->c, "JP") == 0)
		check_add(out, CHECK_OK, "country-ok", "c", "C is JP");
	else
		check_add(out, CHECK_WARNING, "country-not-jp", "c",
		    "C is %s, not JP: the manual is for organisations in "
		    "Japan. If yours is, make a new CSR with C = JP", sf->c);
}

static void
csr_check_san(X509_REQ *req, struct check_report *out)
{
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens = NULL;
	struct buf b = { 0 };
	size_t i;
	int crit = -1;

	if ((exts = X509_REQ_get_extensions(req)) == NULL)
		return;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (gens == NULL) {
		if (crit >= 0 || crit == -2)	/* there, but unreadable */
			check_add(out, CHECK_WARNING, "san", NULL,
			    "The requested subjectAltName cannot be read: the "
			    "CA may ignore it");
		return;
	}
	inspect_general_names(gens, &out->san);
	GENERAL_NAMES_free(gens);
	for (i = 0; i < out->san.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", out->san.v[i]);
	check_add(out, CHECK_OK, "san", NULL,
	    "The CSR also asks for these names (subjectAltName): %s",
	    b.len > 0 ? b.data : "none");
	buf_free(&b);
}

void
csrcheck_req(X509_REQ *req, const char *name, struct check_report *out)
{
	const X509_NAME *subj;

	memset(out, 0, sizeof(*out));
	ERR_set_mark();
	if ((subj = X509_REQ_get_subject_name(req)) != NULL) {
		out->have_subject = 1;
		inspect_name_fields(subj, &out->subject);
		out->subject_line = inspect_name_oneline(subj);
	}
	csr_check_key(req, out);
	if (subj != NULL)
		csr_check_encoding(subj, out);
	csr_check_subject(name, out);
	csr_check_san(req, out);
	ERR_pop_to_mark();
}

int
csrcheck_data(const char *data, size_t len, const char *name,
    struct check_report *out, char *err, size_t errlen)
{
	X509_REQ *req;

	memset(out, 0, sizeof(*out));
	if ((req = csrcheck_parse(data, len, err, errlen)) == NULL)
		return -1;
	csrcheck_req(req, name, out);
	X509_REQ_free(req);
	return 0;
}
