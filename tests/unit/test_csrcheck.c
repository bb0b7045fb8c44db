/*
 * test_csrcheck.c — CSRs made at test time, good and bad, linted against
 * step 2 of the renewal manual.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "csrcheck.h"
#include "support/pki.h"
#include "util.h"

#define HOST	"www.renewd.test"
/* The subject the manual asks for, in English and in Japanese. */
#define GOOD_EN	{ .cn = HOST, .o = "Renewd Test K.K.", .l = "Chiyoda-ku", \
		  .st = "Tokyo", .c = "JP" }
#define GOOD_JA	{ .cn = HOST, .o = "株式会社レニューテスト", \
		  .l = "千代田区", .st = "東京都", .c = "JP" }

struct csr_case {
	const char		*what;
	struct pki_csr_spec	 spec;
	const char		*name;		/* --name, or NULL */
	enum check_severity	 worst;
	/* findings that must be there: "code" or "code/field" */
	const char		*want[4];
	/* codes that must not be there */
	const char		*not[3];
};

static const struct csr_case cases[] = {
	{ "good, RSA 2048", { GOOD_EN, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_OK, { "signature-ok", "key-ok", "ou-empty", "country-ok" },
	    { "weak-key", "bad-encoding" } },
	{ "good, --name matches ignoring case",
	    { GOOD_EN, NULL, PKI_RSA2048, 0 }, "WWW.Renewd.TEST.",
	    CHECK_OK, { "cn-ok/cn", "field-ok/o", "field-ok/st", "field-ok/l" },
	    { "cn-mismatch" } },
	{ "good, Japanese O, ST and L", { GOOD_JA, NULL, PKI_RSA2048, 0 },
	    HOST, CHECK_OK, { "field-ok/o", "field-ok/l", "field-ok/st" },
	    { "bad-encoding" } },
	{ "good, Japanese as BMPString",
	    { { .cn = HOST, .o = "株式会社レニューテスト", .l = "千代田区",
	    .st = "東京都", .c = "JP", .bmp = 1 }, NULL, PKI_RSA2048, 0 },
	    HOST, CHECK_OK, { "field-ok/o" }, { "bad-encoding" } },
	{ "good, OU present but empty",
	    { { .cn = HOST, .ou = "", .o = "Renewd Test K.K.",
	    .l = "Chiyoda-ku", .st = "Tokyo", .c = "JP" }, NULL,
	    PKI_RSA2048, 0 }, NULL, CHECK_OK, { "ou-empty" },
	    { "ou-present" } },
	{ "good, SANs requested",
	    { GOOD_EN, "DNS:www.renewd.test,DNS:renewd.test", PKI_RSA2048, 0 },
	    HOST, CHECK_OK, { "san" }, { NULL } },
	{ "RSA 1024", { GOOD_EN, NULL, PKI_RSA1024, 0 }, NULL, CHECK_ERROR,
	    { "weak-key", "signature-ok" }, { "key-ok" } },
	{ "EC P-256: accepted, check with the CA",
	    { GOOD_EN, NULL, PKI_EC256, 0 }, NULL, CHECK_WARNING,
	    { "ec-key", "signature-ok" }, { "weak-key" } },
	{ "EC P-384", { GOOD_EN, NULL, PKI_EC384, 0 }, NULL, CHECK_WARNING,
	    { "ec-key" }, { "weak-key" } },
	{ "Ed25519", { GOOD_EN, NULL, PKI_ED25519, 0 }, NULL, CHECK_ERROR,
	    { "unsupported-key" }, { "key-ok" } },
	{ "OU present",
	    { { .cn = HOST, .ou = "Sales", .o = "Renewd Test K.K.",
	    .l = "Chiyoda-ku", .st = "Tokyo", .c = "JP" }, NULL,
	    PKI_RSA2048, 0 }, NULL, CHECK_ERROR, { "ou-present/ou" },
	    { "ou-empty" } },
	{ "C=US", { { .cn = HOST, .o = "Renewd Test Inc.", .l = "Austin",
	    .st = "Texas", .c = "US" }, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_WARNING, { "country-not-jp/c" }, { "country-ok" } },
	{ "C missing", { { .cn = HOST, .o = "Renewd Test K.K.",
	    .l = "Chiyoda-ku", .st = "Tokyo" }, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_ERROR, { "missing-field/c" }, { "country-ok" } },
	{ "CN missing", { { .o = "Renewd Test K.K.", .l = "Chiyoda-ku",
	    .st = "Tokyo", .c = "JP" }, NULL, PKI_RSA2048, 0 }, HOST,
	    CHECK_ERROR, { "missing-field/cn" }, { "cn-ok", "cn-mismatch" } },
	{ "CN is not --name", { GOOD_EN, NULL, PKI_RSA2048, 0 },
	    "mail.renewd.test", CHECK_ERROR, { "cn-mismatch/cn" },
	    { "cn-ok" } },
	{ "CN is not a host name",
	    { { .cn = "Renewd Test K.K.", .o = "Renewd Test K.K.",
	    .l = "Chiyoda-ku", .st = "Tokyo", .c = "JP" }, NULL,
	    PKI_RSA2048, 0 }, NULL, CHECK_WARNING, { "cn-not-hostname" },
	    { "cn-ok" } },
	{ "wildcard CN", { { .cn = "*.renewd.test", .o = "Renewd Test K.K.",
	    .l = "Chiyoda-ku", .st = "Tokyo", .c = "JP" }, NULL,
	    PKI_RSA2048, 0 }, NULL, CHECK_OK, { "cn-ok" },
	    { "cn-not-hostname" } },
	{ "O missing", { { .cn = HOST, .l = "Chiyoda-ku", .st = "Tokyo",
	    .c = "JP" }, NULL, PKI_RSA2048, 0 }, NULL, CHECK_ERROR,
	    { "missing-field/o", "field-ok/st", "field-ok/l" },
	    { NULL } },
	{ "ST missing", { { .cn = HOST, .o = "Renewd Test K.K.",
	    .l = "Chiyoda-ku", .c = "JP" }, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_ERROR, { "missing-field/st", "field-ok/o", "field-ok/l" },
	    { NULL } },
	{ "L missing", { { .cn = HOST, .o = "Renewd Test K.K.",
	    .st = "Tokyo", .c = "JP" }, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_ERROR, { "missing-field/l", "field-ok/o", "field-ok/st" },
	    { NULL } },
	{ "O, ST and L empty", { { .cn = HOST, .o = "", .l = "", .st = "",
	    .c = "JP" }, NULL, PKI_RSA2048, 0 }, NULL, CHECK_ERROR,
	    { "missing-field/o", "missing-field/st", "missing-field/l" },
	    { "field-ok" } },
	{ "Shift_JIS bytes in a T61String O (mojibake)",
	    { { .cn = HOST, .o = "\x8a\x94\x8e\xae\x89\xef\x8e\xd0",
	    .l = "Chiyoda-ku", .st = "Tokyo", .c = "JP",
	    .type = V_ASN1_T61STRING }, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_ERROR, { "bad-encoding/o" }, { NULL } },
	{ "Latin-1 bytes in a PrintableString L",
	    { { .cn = HOST, .o = "Renewd Test K.K.", .l = "Chiyoda-k\xfb",
	    .st = "Tokyo", .c = "JP", .type = V_ASN1_PRINTABLESTRING }, NULL,
	    PKI_RSA2048, 0 }, NULL, CHECK_ERROR, { "bad-encoding/l" },
	    { NULL } },
	{ "ASCII in PrintableStrings is fine",
	    { { .cn = HOST, .o = "Renewd Test K.K.", .l = "Chiyoda-ku",
	    .st = "Tokyo", .c = "JP", .type = V_ASN1_PRINTABLESTRING }, NULL,
	    PKI_RSA2048, 0 }, HOST, CHECK_OK, { "field-ok/o" },
	    { "bad-encoding" } },
	{ "control characters in L",
	    { { .cn = HOST, .o = "Renewd Test K.K.",
	    .l = "Chiyoda\r\n\x1b[2J", .st = "Tokyo", .c = "JP" }, NULL,
	    PKI_RSA2048, 0 }, NULL, CHECK_ERROR, { "bad-encoding/l" },
	    { NULL } },
	{ "a C1 control character in ST",
	    { { .cn = HOST, .o = "Renewd Test K.K.", .l = "Chiyoda-ku",
	    .st = "Tokyo\xc2\x9b", .c = "JP" }, NULL, PKI_RSA2048, 0 }, NULL,
	    CHECK_ERROR, { "bad-encoding/st" }, { NULL } },
};

static int
setup(void **state)
{
	(void)state;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pki_cleanup();
	return 0;
}

static void
dump(const char *what, const struct check_report *r)
{
	size_t i;

	print_error("%s: subject %s\n", what,
	    r->subject_line != NULL ? r->subject_line : "(none)");
	for (i = 0; i < r->nfindings; i++)
		print_error("  %-7s %-16s %s\n",
		    check_severity_name(r->findings[i].severity),
		    r->findings[i].code, r->findings[i].message);
}

/* Is there a finding "code" or "code/field"? */
static int
has(const struct check_report *r, const char *want)
{
	const char *slash = strchr(want, '/');
	size_t clen = slash != NULL ? (size_t)(slash - want) : strlen(want);
	const struct check_finding *f;
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		if (strlen(f->code) != clen || strncmp(f->code, want, clen) != 0)
			continue;
		if (slash == NULL || (f->field != NULL &&
		    strcmp(f->field, slash + 1) == 0))
			return 1;
	}
	return 0;
}

/* Every message is one line that a terminal can show as it is. */
static void
check_messages(const char *what, const struct check_report *r)
{
	const unsigned char *p;
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		for (p = (const unsigned char *)r->findings[i].message;
		    *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f) {
				dump(what, r);
				fail_msg("%s: control character in \"%s\"",
				    what, r->findings[i].code);
			}
		if (r->findings[i].message[0] == '\0')
			fail_msg("%s: empty message", what);
	}
}

static void
test_cases(void **state)
{
	const struct csr_case *c;
	struct check_report r;
	X509_REQ *req;
	char err[256], *pem;
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		c = &cases[i];
		req = pki_csr(&c->spec);
		pem = pki_csr_pem(req);
		X509_REQ_free(req);
		err[0] = '\0';
		if (csrcheck_data(pem, strlen(pem), c->name, &r, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", c->what, err);
		if (check_worst(&r) != c->worst) {
			dump(c->what, &r);
			fail_msg("%s: worst %s, want %s", c->what,
			    check_severity_name(check_worst(&r)),
			    check_severity_name(c->worst));
		}
		for (j = 0; j < nitems(c->want) && c->want[j] != NULL; j++)
			if (!has(&r, c->want[j])) {
				dump(c->what, &r);
				fail_msg("%s: no %s", c->what, c->want[j]);
			}
		for (j = 0; j < nitems(c->not) && c->not[j] != NULL; j++)
			if (has(&r, c->not[j])) {
				dump(c->what, &r);
				fail_msg("%s: unexpected %s", c->what,
				    c->not[j]);
			}
		check_messages(c->what, &r);
		assert_true(r.have_subject);
		assert_non_null(r.subject_line);
		check_report_free(&r);
		free(pem);
	}
}

static void
test_subject_and_key(void **state)
{
	struct pki_csr_spec spec = { GOOD_JA,
	    "DNS:www.renewd.test,DNS:renewd.test,IP:127.0.0.1", PKI_RSA2048,
	    0 };
	struct check_report r;
	X509_REQ *req;

	(void)state;
	req = pki_csr(&spec);
	csrcheck_req(req, HOST, &r);
	X509_REQ_free(req);
	assert_string_equal(r.subject.cn, HOST);
	assert_string_equal(r.subject.o, "株式会社レニューテスト");
	assert_string_equal(r.subject.l, "千代田区");
	assert_string_equal(r.subject.st, "東京都");
	assert_string_equal(r.subject.c, "JP");
	assert_null(r.subject.ou);
	assert_non_null(strstr(r.subject_line, "O=株式会社レニューテスト"));
	assert_string_equal(r.key, "RSA-2048");
	assert_int_equal(r.key_bits, 2048);
	assert_int_equal(r.san.n, 3);
	assert_string_equal(r.san.v[0], "www.renewd.test");
	assert_string_equal(r.san.v[1], "renewd.test");
	assert_string_equal(r.san.v[2], "127.0.0.1");
	assert_non_null(strstr(check_find(&r, "san")->message,
	    "www.renewd.test, renewd.test, 127.0.0.1"));
	assert_int_equal(r.have_validity, 0);
	check_report_free(&r);
}

/* The messages say what to do next. */
static void
test_messages(void **state)
{
	struct pki_csr_spec spec = { { .cn = HOST, .ou = "Sales",
	    .o = "Renewd Test K.K.", .l = "Chiyoda-ku", .st = "Tokyo",
	    .c = "US" }, NULL, PKI_RSA1024, 0 };
	struct check_report r;
	X509_REQ *req;

	(void)state;
	req = pki_csr(&spec);
	csrcheck_req(req, "mail.renewd.test", &r);
	X509_REQ_free(req);
	assert_non_null(strstr(check_find(&r, "ou-present")->message,
	    "make a new CSR with OU left empty"));
	assert_non_null(strstr(check_find(&r, "ou-present")->message,
	    "\"Sales\""));
	assert_non_null(strstr(check_find(&r, "weak-key")->message,
	    "RSA 2048-bit key"));
	assert_non_null(strstr(check_find(&r, "country-not-jp")->message,
	    "C = JP"));
	assert_non_null(strstr(check_find(&r, "cn-mismatch")->message,
	    "CN = mail.renewd.test"));
	assert_int_equal(check_count(&r, CHECK_ERROR), 3);
	assert_int_equal(check_count(&r, CHECK_WARNING), 1);
	check_report_free(&r);
}

/* Flip the last byte of the DER: the signature no longer verifies. */
static void
test_bad_signature(void **state)
{
	struct pki_csr_spec rsa = { GOOD_EN, NULL, PKI_RSA2048, 0 };
	struct pki_csr_spec ec = { GOOD_EN, NULL, PKI_EC256, 0 };
	const struct pki_csr_spec *specs[] = { &rsa, &ec };
	struct check_report r;
	const unsigned char *p;
	unsigned char *der;
	X509_REQ *req, *bad;
	char err[256], *pem;
	size_t len, i;

	(void)state;
	for (i = 0; i < nitems(specs); i++) {
		req = pki_csr(specs[i]);
		der = pki_csr_der(req, &len);
		X509_REQ_free(req);

		/* Intact DER is read as it is. */
		assert_int_equal(csrcheck_data((char *)der, len, HOST, &r,
		    err, sizeof(err)), 0);
		assert_non_null(check_find(&r, "signature-ok"));
		check_report_free(&r);

		der[len - 1] ^= 0x01;
		assert_int_equal(csrcheck_data((char *)der, len, HOST, &r,
		    err, sizeof(err)), 0);
		assert_non_null(check_find(&r, "bad-signature"));
		assert_null(check_find(&r, "signature-ok"));
		assert_int_equal(check_worst(&r), CHECK_ERROR);
		/* Everything else is still looked at. */
		assert_non_null(check_find(&r, "ou-empty"));
		check_report_free(&r);

		/* The same, pasted as PEM. */
		p = der;
		bad = d2i_X509_REQ(NULL, &p, (long)len);
		assert_non_null(bad);
		pem = pki_csr_pem(bad);
		X509_REQ_free(bad);
		assert_int_equal(csrcheck_data(pem, strlen(pem), NULL, &r,
		    err, sizeof(err)), 0);
		assert_non_null(check_find(&r, "bad-signature"));
		check_report_free(&r);
		free(pem);
		free(der);
	}
}

static void
expect_unreadable(const char *what, const char *data, size_t len,
    const char *want)
{
	struct check_report r;
	char err[256] = "";

	memset(&r, 0xa5, sizeof(r));
	if (csrcheck_data(data, len, NULL, &r, err, sizeof(err)) != -1)
		fail_msg("%s: read as a CSR", what);
	assert_int_equal(r.nfindings, 0);
	assert_null(r.findings);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\", want \"%s\"", what, err, want);
	check_report_free(&r);	/* zeroed: safe */
}

static void
test_unreadable(void **state)
{
	struct pki_spec cs = { .subject = { .cn = HOST }, .key = PKI_EC256,
	    .not_before = 0, .not_after = 86400 * 365 };
	struct pki_csr_spec spec = { GOOD_EN, NULL, PKI_RSA2048, 0 };
	X509_REQ *req;
	X509 *cert;
	char *pem, *cut, *key;
	const char *garbage = "-----BEGIN CERTIFICATE REQUEST-----\n"
	    "this is !! not base64 @@\n-----END CERTIFICATE REQUEST-----\n";

	(void)state;
	expect_unreadable("empty", "", 0, "empty");
	expect_unreadable("NULL", NULL, 0, "empty");
	expect_unreadable("text", "hello, world\n", 13, "not a CSR");
	expect_unreadable("garbage PEM", garbage, strlen(garbage), "damaged");
	expect_unreadable("binary", "\x30\x82\x01\x00\x01\x02", 6,
	    "not a CSR");

	/* A certificate or a key in place of the CSR. */
	cert = pki_cert(&cs, NULL, NULL);
	pem = pki_pem(cert, NULL);
	expect_unreadable("certificate", pem, strlen(pem),
	    "a certificate, not a CSR");
	free(pem);
	X509_free(cert);
	key = pki_key_pem(pki_key(PKI_EC256, 0));
	expect_unreadable("private key", key, strlen(key), "a private key");
	free(key);

	/* A UTF8String that is not UTF-8: OpenSSL refuses the whole CSR.
	 * Made from a good one by overwriting the bytes of O in the DER. */
	{
		struct pki_csr_spec o = { { .cn = HOST, .o = "QQQQQQQQ",
		    .l = "Chiyoda-ku", .st = "Tokyo", .c = "JP" }, NULL,
		    PKI_RSA2048, 0 };
		unsigned char *der, *at;
		size_t len;

		req = pki_csr(&o);
		der = pki_csr_der(req, &len);
		X509_REQ_free(req);
		at = memmem(der, len, "QQQQQQQQ", 8);
		assert_non_null(at);
		memcpy(at, "\x8a\x94\x8e\xae\x89\xef\x8e\xd0", 8);
		expect_unreadable("invalid UTF-8", (char *)der, len,
		    "not valid UTF-8");
		free(der);
	}

	/* A block cut short in the copy. */
	req = pki_csr(&spec);
	pem = pki_csr_pem(req);
	X509_REQ_free(req);
	cut = xstrdup(pem);
	memmove(cut + 200, cut + 300, strlen(cut + 300) + 1);
	expect_unreadable("cut short", cut, strlen(cut), "damaged");
	free(cut);
	free(pem);
}

/* Text around the block, CRLF lines, the old "NEW" header. */
static void
test_pasted(void **state)
{
	struct pki_csr_spec spec = { GOOD_EN, NULL, PKI_RSA2048, 0 };
	struct check_report r;
	struct buf b = { 0 };
	X509_REQ *req;
	char err[256], *pem, *p, *old;

	(void)state;
	req = pki_csr(&spec);
	pem = pki_csr_pem(req);
	X509_REQ_free(req);

	old = xasprintf("Here is the CSR:\n\n%s\nthanks\n", pem);
	assert_int_equal(csrcheck_data(old, strlen(old), HOST, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(check_worst(&r), CHECK_OK);
	check_report_free(&r);
	free(old);

	for (p = pem; *p != '\0'; p++) {
		if (*p == '\n')
			buf_adds(&b, "\r");
		buf_add(&b, p, 1);
	}
	assert_int_equal(csrcheck_data(b.data, b.len, HOST, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(check_worst(&r), CHECK_OK);
	check_report_free(&r);
	buf_free(&b);

	buf_adds(&b, "-----BEGIN NEW CERTIFICATE REQUEST-----");
	p = strchr(pem, '\n');
	buf_add(&b, p, (size_t)(strstr(pem, "-----END") - p));
	buf_adds(&b, "-----END NEW CERTIFICATE REQUEST-----\n");
	assert_int_equal(csrcheck_data(b.data, b.len, HOST, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(check_worst(&r), CHECK_OK);
	check_report_free(&r);
	buf_free(&b);
	free(pem);
}

static void
test_report(void **state)
{
	struct check_report r = { 0 };

	(void)state;
	assert_int_equal(check_worst(&r), CHECK_OK);
	assert_null(check_find(&r, "x"));
	check_add(&r, CHECK_OK, "a", NULL, "one %d", 1);
	check_add(&r, CHECK_WARNING, "b", "o", "two");
	assert_int_equal(check_worst(&r), CHECK_WARNING);
	check_add(&r, CHECK_ERROR, "c", NULL, "three");
	assert_int_equal(check_worst(&r), CHECK_ERROR);
	assert_int_equal(check_count(&r, CHECK_OK), 1);
	assert_string_equal(check_find(&r, "a")->message, "one 1");
	assert_string_equal(check_find(&r, "b")->field, "o");
	assert_string_equal(check_severity_name(CHECK_OK), "ok");
	assert_string_equal(check_severity_name(CHECK_WARNING), "warning");
	assert_string_equal(check_severity_name(CHECK_ERROR), "error");
	check_report_free(&r);
	assert_int_equal(r.nfindings, 0);
	check_report_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_subject_and_key),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_pasted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
