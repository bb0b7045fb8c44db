/*
 * csrcheck.h — lint a certificate signing request against step 2 of the
 * renewal manual, before it is pasted into the application (step 3)
 * (src/core/csrcheck.c). Pure: the caller reads the file.
 *
 * The rules, each a finding of the report (code in brackets):
 *   the file parses as a CSR, PEM or DER      (else csrcheck_data() fails)
 *   its signature verifies                    [signature-ok | bad-signature]
 *   RSA of at least 2048 bits                 [key-ok | weak-key]
 *   EC of at least 256 bits is accepted here, with a warning to check
 *   with the CA                               [ec-key | weak-key]
 *   other key types                           [unsupported-key]
 *   no public key that can be read            [bad-key]
 *   every subject value is valid UTF-8 without control characters
 *   (Japanese O, ST, L are fine)              [bad-encoding]
 *   CN present                                [missing-field]
 *   CN a host name                            [cn-ok | cn-not-hostname]
 *   CN equal to `name` when given, ignoring case and a final dot
 *                                             [cn-ok | cn-mismatch]
 *   OU absent or empty                        [ou-empty | ou-present]
 *   O, ST, L present                          [field-ok | missing-field]
 *   C = JP                                    [country-ok | missing-field |
 *                                              country-not-jp (a warning)]
 *   the requested subjectAltName, listed      [san]
 */
#ifndef RENEWD_CSRCHECK_H
#define RENEWD_CSRCHECK_H

#include <stddef.h>

#include <openssl/x509.h>

#include "check.h"

/* A CSR from PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"
 * block; text around it is ignored) or DER bytes. NULL with a message for
 * people in err when there is none (e.g. "this is a certificate, not a
 * CSR"). Caller frees with X509_REQ_free(). */
X509_REQ *csrcheck_parse(const char *data, size_t len, char *err,
	    size_t errlen);
/* Lint `req`; `name` is the host name the CN must be (NULL: any). `out` is
 * overwritten; free it with check_report_free(). */
void	 csrcheck_req(X509_REQ *req, const char *name,
	    struct check_report *out);
/* csrcheck_parse() and csrcheck_req(): 0, or -1 with err set and out
 * zeroed when the bytes hold no CSR. */
int	 csrcheck_data(const char *data, size_t len, const char *name,
	    struct check_report *out, char *err, size_t errlen);

#endif
