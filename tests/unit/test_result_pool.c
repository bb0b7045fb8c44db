/*
 * test_result_pool.c — result_pool_keep() copies every field of a probe
 * result, frees the original, and the copies live until the pool goes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inspect.h"
#include "probe.h"
#include "util.h"

static char *
text(const char *what, int k)
{
	return xasprintf("%s-%d", what, k);
}

/* A result as the engine makes it, every pointer set; `k` varies the
 * text. Address 1 failed and has no certificate. */
static struct target_result *
make_result(int k, size_t nsan, size_t nchain)
{
	struct target_result *r = xcalloc(1, sizeof(*r));
	struct cert_obs *o;

	r->started = 1700000000 + k;
	r->error = k % 3 == 0 ? NULL : text("target error", k);
	r->problems = PROB_WEAK_KEY | PROB_UNREACHABLE;
	r->naddrs = 2;
	r->addrs = xcalloc(2, sizeof(*r->addrs));
	r->addrs[0].address = xasprintf("192.0.2.%d:443", k % 250);
	r->addrs[0].ok = 1;
	r->addrs[0].duration_ms = 12 + k;
	r->addrs[0].tls_version = xstrdup("TLSv1.3");
	r->addrs[0].has_cert = 1;
	o = &r->addrs[0].cert;
	o->subject.cn = text("cn", k);
	o->subject.ou = k % 2 ? text("ou", k) : NULL;
	o->subject.o = text("o", k);
	o->subject.l = text("l", k);
	o->subject.st = text("st", k);
	o->subject.c = xstrdup("JP");
	for (size_t i = 0; i < nsan; i++)
		strlist_add_owned(&o->san, text("san", k * 100 + (int)i));
	o->issuer = text("issuer", k);
	o->serial = text("0a1b", k);
	snprintf(o->sha256, sizeof(o->sha256), "%064d", k);
	o->key = xstrdup("RSA-2048");
	o->key_bits = 2048;
	o->sig_alg = xstrdup("sha256WithRSAEncryption");
	o->not_before = 1690000000 + k;
	o->not_after = 1790000000 + k;
	o->nchain = nchain;
	o->chain = nchain ? xcalloc(nchain, sizeof(*o->chain)) : NULL;
	for (size_t i = 0; i < nchain; i++) {
		o->chain[i].subject = text("chain subject", k * 10 + (int)i);
		o->chain[i].issuer = text("chain issuer", k * 10 + (int)i);
		o->chain[i].not_after = 1800000000 + k + (time_t)i;
	}
	o->verify_ok = k % 2;
	o->verify_error = o->verify_ok ? NULL : text("verify error", k);
	o->names_ok = 1;
	o->problems = PROB_WEAK_KEY;
	r->addrs[1].address = xasprintf("[2001:db8::%d]:443", k);
	r->addrs[1].error = text("connect: refused", k);
	r->addrs[1].duration_ms = 3;
	return r;
}

static void
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
same_result(const struct target_result *a, const struct target_result *b)
{
	assert_int_equal(a->started, b->started);
	same_str(a->error, b->error);
	assert_int_equal(a->problems, b->problems);
	assert_int_equal(a->naddrs, b->naddrs);
	for (size_t i = 0; i < a->naddrs; i++) {
		const struct addr_result *x = &a->addrs[i], *y = &b->addrs[i];
		const struct cert_obs *o = &x->cert, *p = &y->cert;

		assert_string_equal(x->address, y->address);
		assert_int_equal(x->ok, y->ok);
		same_str(x->error, y->error);
		same_str(x->tls_version, y->tls_version);
		assert_int_equal(x->duration_ms, y->duration_ms);
		assert_int_equal(x->has_cert, y->has_cert);
		if (!x->has_cert)
			continue;
		same_str(o->subject.cn, p->subject.cn);
		same_str(o->subject.ou, p->subject.ou);
		same_str(o->subject.o, p->subject.o);
		same_str(o->subject.l, p->subject.l);
		same_str(o->subject.st, p->subject.st);
		same_str(o->subject.c, p->subject.c);
		assert_int_equal(o->san.n, p->san.n);
		for (size_t j = 0; j < o->san.n; j++)
			assert_string_equal(o->san.v[j], p->san.v[j]);
		same_str(o->issuer, p->issuer);
		same_str(o->serial, p->serial);
		assert_string_equal(o->sha256, p->sha256);
		same_str(o->key, p->key);
		assert_int_equal(o->key_bits, p->key_bits);
		same_str(o->sig_alg, p->sig_alg);
		assert_int_equal(o->not_before, p->not_before);
		assert_int_equal(o->not_after, p->not_after);
		assert_int_equal(o->nchain, p->nchain);
		for (size_t j = 0; j < o->nchain; j++) {
			same_str(o->chain[j].subject, p->chain[j].subject);
			same_str(o->chain[j].issuer, p->chain[j].issuer);
			assert_int_equal(o->chain[j].not_after,
			    p->chain[j].not_after);
		}
		assert_int_equal(o->verify_ok, p->verify_ok);
		same_str(o->verify_error, p->verify_error);
		assert_int_equal(o->names_ok, p->names_ok);
		assert_int_equal(o->problems, p->problems);
	}
}

/* Many results, some large enough to need a block of their own; all are
 * compared after the last was kept (ASan sees any use of the originals). */
static void
test_keep(void **unused)
{
	enum { N = 3000 };
	struct result_pool *pool = result_pool_new();
	const struct target_result **kept = xcalloc(N, sizeof(*kept));

	(void)unused;
	for (int k = 0; k < N; k++)
		kept[k] = result_pool_keep(pool, make_result(k,
		    k % 500 == 7 ? 5000 : (size_t)k % 4, (size_t)k % 3));
	for (int k = 0; k < N; k++) {
		struct target_result *want = make_result(k,
		    k % 500 == 7 ? 5000 : (size_t)k % 4, (size_t)k % 3);

		same_result(kept[k], want);
		target_result_free(want);
	}
	assert_null(result_pool_keep(pool, NULL));
	free(kept);
	result_pool_free(pool);
	result_pool_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
