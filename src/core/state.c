/*
 * state.c — a target's remembered state as plain data, and its on-disk
 * form: JSON, version 1 (see state.h). Encoding and decoding are pure;
 * statefile.c does the file work.
 *
 * The format, in short (times are UTC "2027-03-31T00:00:00Z" or null for
 * "never", dates are Japan dates "YYYY-MM-DD"):
 *
 *   {"v": 1, "target": "www.example.jp",
 *    "cycle": null | {"expiry": DATE, "source": "certificate"|"contract",
 *      "state": "waiting"|"notified"|"applied"|"issued"|"verified"|"lapsed",
 *      "started": TIME, "leaf": null | {"sha256", "not_before", "not_after"},
 *      "applied_at", "issued_at", "verified_at", "lapsed_at": TIME|null,
 *      "sent": [{"kind": KIND, "threshold": 90 | "33%" | null,
 *                "day": DATE|null, "due": TIME, "at": TIME,
 *                "skipped": bool}]},
 *    "last_probe": TIME|null, "last_probe_ok": bool, "last_error": s|null,
 *    "last_success": TIME|null,
 *    "outage": null | {"since": TIME, "notified": bool},
 *    "observation": null | {"at": TIME, "error": s|null, "problems": BITS,
 *      "addresses": [{"address", "ok", "error", "tls_version", "duration_ms",
 *        "cert": null | {"subject": {"CN","OU","O","L","ST","C"}, "san",
 *          "issuer", "serial", "sha256", "key", "key_bits", "sig_alg",
 *          "not_before", "not_after", "chain": [{"subject", "issuer",
 *          "not_after"}], "verify_ok", "verify_error", "names_ok",
 *          "problems": BITS}}]},
 *    "history": [{"at": TIME, "event": WORD, "note": s}]}
 *
 * Written compact, on one line with a final newline; read in any layout
 * (files written indented by older versions load as they are), through
 * jdoc.h's fast parser, or jansson when that one gives up.
 *
 * BITS are the enum problem values of inspect.h; they are part of the
 * format. Unknown keys are ignored (fields may be added within a version);
 * every known key must be present with the right type and range.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"
#include "intern.h"
#include "jdoc.h"
#include "jsonutil.h"
#include "state.h"
#include "util.h"

/* --- plain data ---------------------------------------------------------- */

/* Text held through intern.h: the name, history notes and the strings of
 * the observation. Not to be changed or freed but with intern_put(). */
static char *
shared(const char *s)
{
	return (char *)(uintptr_t)intern_get(s);
}

struct target_state *
state_new(const char *target)
{
	struct target_state *st = xcalloc(1, sizeof(*st));

	/* shared with the daemon's own copy of the name (intern.h) */
	st->target = shared(target);
	return st;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
state_leaf_set_hex(struct cycle *c, const char *hex)
{
	unsigned char b[sizeof(c->leaf_sha256)];

	if (strlen(hex) != 2 * sizeof(b))
		return -1;
	for (size_t i = 0; i < sizeof(b); i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(c->leaf_sha256, b, sizeof(b));
	return 0;
}

void
state_leaf_hex(const struct cycle *c, char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < sizeof(c->leaf_sha256); i++) {
		hex[2 * i] = digits[c->leaf_sha256[i] >> 4];
		hex[2 * i + 1] = digits[c->leaf_sha256[i] & 15];
	}
	hex[64] = '\0';
}

void
state_cycle_clear(struct cycle *c)
{
	free(c->sent);
	memset(c, 0, sizeof(*c));
}

static void
state_history_free(struct target_state *st)
{
	for (size_t i = 0; i < st->nhistory; i++)
		intern_put(st->history[i].note);
	free(st->history);
	st->history = NULL;
	st->nhistory = 0;
}

void
state_free(struct target_state *st)
{
	if (st == NULL)
		return;
	intern_put(st->target);
	state_cycle_clear(&st->cycle);
	free(st->last_error);
	state_result_free(st->observation);
	state_history_free(st);
	free(st);
}

void
state_history_add(struct target_state *st, time_t at, const char *event,
    const char *note)
{
	struct state_event *e;

	if (st->nhistory == STATE_HISTORY_MAX) {
		intern_put(st->history[0].note);
		memmove(st->history, st->history + 1,
		    (st->nhistory - 1) * sizeof(*st->history));
		st->nhistory--;
	} else
		st->history = xreallocarray(st->history, st->nhistory + 1,
		    sizeof(*st->history));
	e = &st->history[st->nhistory++];
	e->at = at;
	rd_strlcpy(e->event, event, sizeof(e->event));
	/* many targets have the same lines (one certificate, one deadline) */
	e->note = shared(note != NULL ? note : "");
}

void
state_sent_add(struct cycle *c, const struct sent_notice *n)
{
	if (c->nsent == STATE_SENT_MAX) {
		memmove(c->sent, c->sent + 1, (c->nsent - 1) * sizeof(*c->sent));
		c->nsent--;
	} else
		c->sent = xreallocarray(c->sent, c->nsent + 1, sizeof(*c->sent));
	c->sent[c->nsent++] = *n;
}

/*
 * The observations a state keeps are packed: the result, its addresses and
 * their SAN lists and chains in one allocation, every string shared with
 * the other targets' (intern.h), and read only from then on. A probe
 * result is some 25 allocations; with 100,000 targets their headers and
 * slack, and the same issuer and chain text over and over, cost more than
 * the rest.
 */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
subject_share(struct subject_fields *d, const struct subject_fields *s)
{
	d->cn = shared(s->cn);
	d->ou = shared(s->ou);
	d->o = shared(s->o);
	d->l = shared(s->l);
	d->st = shared(s->st);
	d->c = shared(s->c);
}

static void
subject_unshare(const struct subject_fields *f)
{
	intern_put(f->cn);
	intern_put(f->ou);
	intern_put(f->o);
	intern_put(f->l);
	intern_put(f->st);
	intern_put(f->c);
}

/* Free a decoded result whose strings were borrowed from the document:
 * its arrays only. */
static void
result_borrowed_free(struct target_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->naddrs; i++) {
		free(r->addrs[i].cert.san.v);
		free(r->addrs[i].cert.chain);
	}
	free(r->addrs);
	free(r);
}

void
state_result_free(struct target_result *r)
{
	if (r == NULL)
		return;
	intern_put(r->error);
	for (size_t i = 0; i < r->naddrs; i++) {
		const struct addr_result *a = &r->addrs[i];
		const struct cert_obs *c = &a->cert;

		intern_put(a->error);
		intern_put(a->tls_version);
		if (!a->has_cert)
			continue;
		subject_unshare(&c->subject);
		for (size_t j = 0; j < c->san.n; j++)
			intern_put(c->san.v[j]);
		intern_put(c->issuer);
		intern_put(c->serial);
		intern_put(c->key);
		intern_put(c->sig_alg);
		for (size_t j = 0; j < c->nchain; j++) {
			intern_put(c->chain[j].subject);
			intern_put(c->chain[j].issuer);
		}
		intern_put(c->verify_error);
	}
	free(r);	/* the rest is one block */
}

struct target_result *
state_result_copy(const struct target_result *s)
{
	struct target_result *r;
	size_t size, fixed;
	char *p, *text;

	/* every size but the addresses' text at the end is a multiple of
	 * 8: each part stays aligned */
	size = sizeof(*r) + s->naddrs * sizeof(*r->addrs);
	for (size_t i = 0; i < s->naddrs; i++) {
		const struct cert_obs *sc = &s->addrs[i].cert;

		if (s->addrs[i].has_cert)
			size += sc->san.n * sizeof(*sc->san.v) +
			    sc->nchain * sizeof(*sc->chain);
	}
	fixed = size;
	for (size_t i = 0; i < s->naddrs; i++)
		size += strlen(s->addrs[i].address) + 1;
	p = xcalloc(1, size);
	r = (struct target_result *)(void *)p;
	text = p + fixed;
	p += sizeof(*r);

	r->conf = s->conf;
	r->started = s->started;
	r->error = shared(s->error);
	r->problems = s->problems;
	r->naddrs = s->naddrs;
	if (s->naddrs > 0) {
		r->addrs = (struct addr_result *)(void *)p;
		p += s->naddrs * sizeof(*r->addrs);
	}
	for (size_t i = 0; i < s->naddrs; i++) {
		const struct addr_result *sa = &s->addrs[i];
		struct addr_result *a = &r->addrs[i];
		const struct cert_obs *sc = &sa->cert;
		struct cert_obs *c = &a->cert;

		/* mostly one of its own: exact size, in the block */
		a->address = text;
		text = stpcpy(text, sa->address) + 1;
		a->ok = sa->ok;
		a->error = shared(sa->error);
		a->tls_version = shared(sa->tls_version);
		a->duration_ms = sa->duration_ms;
		a->has_cert = sa->has_cert;
		if (!sa->has_cert)
			continue;
		subject_share(&c->subject, &sc->subject);
		if (sc->san.n > 0) {
			c->san.v = (char **)(void *)p;
			p += sc->san.n * sizeof(*c->san.v);
		}
		c->san.n = c->san.cap = sc->san.n;
		for (size_t j = 0; j < sc->san.n; j++)
			c->san.v[j] = shared(sc->san.v[j]);
		c->issuer = shared(sc->issuer);
		c->serial = shared(sc->serial);
		memcpy(c->sha256, sc->sha256, sizeof(c->sha256));
		c->sha256[sizeof(c->sha256) - 1] = '\0';
		c->key = shared(sc->key);
		c->key_bits = sc->key_bits;
		c->sig_alg = shared(sc->sig_alg);
		c->not_before = sc->not_before;
		c->not_after = sc->not_after;
		if (sc->nchain > 0) {
			c->chain = (struct chain_cert *)(void *)p;
			p += sc->nchain * sizeof(*c->chain);
		}
		c->nchain = sc->nchain;
		for (size_t j = 0; j < sc->nchain; j++) {
			c->chain[j].subject = shared(sc->chain[j].subject);
			c->chain[j].issuer = shared(sc->chain[j].issuer);
			c->chain[j].not_after = sc->chain[j].not_after;
		}
		c->verify_ok = sc->verify_ok;
		c->verify_error = shared(sc->verify_error);
		c->names_ok = sc->names_ok;
		c->problems = sc->problems;
	}
	return r;
}

void
state_set_observation(struct target_state *st, const struct target_result *res)
{
	state_result_free(st->observation);
	st->observation = NULL;
	if (res != NULL) {
		st->observation = state_result_copy(res);
		st->observation->conf = NULL;
	}
}

/* --- words --------------------------------------------------------------- */

static const char *const cycle_state_words[] = {
	[CYCLE_WAITING] = "waiting",
	[CYCLE_NOTIFIED] = "notified",
	[CYCLE_APPLIED] = "applied",
	[CYCLE_ISSUED] = "issued",
	[CYCLE_VERIFIED] = "verified",
	[CYCLE_LAPSED] = "lapsed",
};

static const char *const notice_kind_words[] = {
	[NOTICE_REMINDER] = "reminder",
	[NOTICE_APPLY_BY] = "apply-by",
	[NOTICE_OVERDUE] = "overdue",
	[NOTICE_LAPSED] = "lapsed",
	[NOTICE_INSTALL] = "install",
	[NOTICE_RENEWED] = "renewed",
	[NOTICE_PROBLEM] = "problem",
};

const char *
cycle_state_name(enum cycle_state s)
{
	if ((size_t)s >= nitems(cycle_state_words))
		return "unknown";
	return cycle_state_words[s];
}

const char *
expiry_source_name(enum expiry_source s)
{
	return s == EXPIRY_CONTRACT ? "contract" : "certificate";
}

const char *
notice_kind_name(enum notice_kind k)
{
	if ((size_t)k >= nitems(notice_kind_words))
		return "unknown";
	return notice_kind_words[k];
}

int
cycle_state_parse(const char *s, enum cycle_state *out)
{
	for (size_t i = 0; i < nitems(cycle_state_words); i++)
		if (strcmp(s, cycle_state_words[i]) == 0) {
			*out = (enum cycle_state)i;
			return 0;
		}
	return -1;
}

int
notice_kind_parse(const char *s, enum notice_kind *out)
{
	for (size_t i = 0; i < nitems(notice_kind_words); i++)
		if (strcmp(s, notice_kind_words[i]) == 0) {
			*out = (enum notice_kind)i;
			return 0;
		}
	return -1;
}

/* --- encoding ------------------------------------------------------------ */

static json_t *
enc_time(time_t t)
{
	return t == 0 ? json_null() : json_time_utc(t);
}

static json_t *
enc_cycle(const struct cycle *c)
{
	json_t *o, *sent, *leaf;
	char hex[65];

	if (!c->active)
		return json_null();
	sent = json_array();
	for (size_t i = 0; i < c->nsent; i++) {
		const struct sent_notice *n = &c->sent[i];

		json_array_append_new(sent, json_pack("{s:s, s:o, s:o, s:o, s:o, s:b}",
		    "kind", notice_kind_name(n->kind),
		    "threshold", n->kind == NOTICE_REMINDER ?
		    json_threshold(&n->threshold) : json_null(),
		    "day", n->day >= 0 ? json_day(n->day) : json_null(),
		    "due", enc_time(n->due),
		    "at", enc_time(n->at),
		    "skipped", n->skipped));
	}
	state_leaf_hex(c, hex);
	leaf = c->has_leaf ? json_pack("{s:s, s:o, s:o}",
	    "sha256", hex,
	    "not_before", enc_time(c->leaf_not_before),
	    "not_after", enc_time(c->leaf_not_after)) : json_null();
	o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "expiry", json_day(c->expiry),
	    "source", expiry_source_name(c->source),
	    "state", cycle_state_name(c->state),
	    "started", enc_time(c->started),
	    "leaf", leaf,
	    "applied_at", enc_time(c->applied_at),
	    "issued_at", enc_time(c->issued_at),
	    "verified_at", enc_time(c->verified_at),
	    "lapsed_at", enc_time(c->lapsed_at),
	    "sent", sent);
	return o;
}

static json_t *
enc_cert(const struct cert_obs *c)
{
	json_t *san = json_array(), *chain = json_array(), *o;

	for (size_t i = 0; i < c->san.n; i++)
		json_array_append_new(san, json_str_or_null(c->san.v[i]));
	for (size_t i = 0; i < c->nchain; i++)
		json_array_append_new(chain, json_pack("{s:o, s:o, s:o}",
		    "subject", json_str_or_null(c->chain[i].subject),
		    "issuer", json_str_or_null(c->chain[i].issuer),
		    "not_after", enc_time(c->chain[i].not_after)));
	o = json_object();
	json_object_set_new(o, "subject", json_pack(
	    "{s:o, s:o, s:o, s:o, s:o, s:o}",
	    "CN", json_str_or_null(c->subject.cn), "OU", json_str_or_null(c->subject.ou),
	    "O", json_str_or_null(c->subject.o), "L", json_str_or_null(c->subject.l),
	    "ST", json_str_or_null(c->subject.st), "C", json_str_or_null(c->subject.c)));
	json_object_set_new(o, "san", san);
	json_object_set_new(o, "issuer", json_str_or_null(c->issuer));
	json_object_set_new(o, "serial", json_str_or_null(c->serial));
	json_object_set_new(o, "sha256", json_str_or_null(c->sha256));
	json_object_set_new(o, "key", json_str_or_null(c->key));
	json_object_set_new(o, "key_bits", json_integer(c->key_bits));
	json_object_set_new(o, "sig_alg", json_str_or_null(c->sig_alg));
	json_object_set_new(o, "not_before", enc_time(c->not_before));
	json_object_set_new(o, "not_after", enc_time(c->not_after));
	json_object_set_new(o, "chain", chain);
	json_object_set_new(o, "verify_ok", json_boolean(c->verify_ok));
	json_object_set_new(o, "verify_error", json_str_or_null(c->verify_error));
	json_object_set_new(o, "names_ok", json_boolean(c->names_ok));
	json_object_set_new(o, "problems", json_integer(c->problems));
	return o;
}

static json_t *
enc_observation(const struct target_result *r)
{
	json_t *o, *addrs;

	if (r == NULL)
		return json_null();
	addrs = json_array();
	for (size_t i = 0; i < r->naddrs; i++) {
		const struct addr_result *a = &r->addrs[i];
		json_t *ao = json_object();

		json_object_set_new(ao, "address", json_str_or_null(a->address));
		json_object_set_new(ao, "ok", json_boolean(a->ok));
		json_object_set_new(ao, "error", json_str_or_null(a->error));
		json_object_set_new(ao, "tls_version",
		    json_string(a->tls_version != NULL ? a->tls_version : ""));
		json_object_set_new(ao, "duration_ms",
		    json_integer(a->duration_ms));
		json_object_set_new(ao, "cert", a->has_cert ?
		    enc_cert(&a->cert) : json_null());
		json_array_append_new(addrs, ao);
	}
	o = json_object();
	json_object_set_new(o, "at", enc_time(r->started));
	json_object_set_new(o, "error", json_str_or_null(r->error));
	json_object_set_new(o, "problems", json_integer(r->problems));
	json_object_set_new(o, "addresses", addrs);
	return o;
}

char *
state_encode(const struct target_state *st)
{
	json_t *root = json_object(), *hist = json_array();
	char *text, *out;

	json_object_set_new(root, "v", json_integer(STATE_VERSION));
	json_object_set_new(root, "target", json_str_or_null(st->target));
	json_object_set_new(root, "cycle", enc_cycle(&st->cycle));
	json_object_set_new(root, "last_probe", enc_time(st->last_probe));
	json_object_set_new(root, "last_probe_ok",
	    json_boolean(st->last_probe_ok));
	json_object_set_new(root, "last_error", json_str_or_null(st->last_error));
	json_object_set_new(root, "last_success", enc_time(st->last_success));
	json_object_set_new(root, "outage", st->outage_since != 0 ?
	    json_pack("{s:o, s:b}", "since", enc_time(st->outage_since),
	    "notified", st->outage_notified) : json_null());
	json_object_set_new(root, "observation",
	    enc_observation(st->observation));
	for (size_t i = 0; i < st->nhistory; i++)
		json_array_append_new(hist, json_pack("{s:o, s:o, s:o}",
		    "at", enc_time(st->history[i].at),
		    "event", json_str_or_null(st->history[i].event),
		    "note", json_str_or_null(st->history[i].note)));
	json_object_set_new(root, "history", hist);
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		abort();	/* out of memory: as xmalloc does */
	out = xasprintf("%s\n", text);
	free(text);
	return out;
}

/* --- decoding ------------------------------------------------------------ */

struct dec {
	char	*err;
	size_t	 errlen;
	int	 failed;
};

static void dec_record(struct dec *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* The first failure's reason. dec_fail(...) is -1, visibly so to the
 * static analyzer, which does not follow variadic calls. */
#define dec_fail(...)	(dec_record(__VA_ARGS__), -1)

static void
dec_record(struct dec *d, const char *path, const char *fmt, ...)
{
	char msg[256], *safe;
	va_list ap;

	if (d->failed)
		return;
	d->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote values from the file; the reason is logged. */
	safe = rd_sanitize(msg, strlen(msg));
	snprintf(d->err, d->errlen, "%s: %s", path, safe);
	free(safe);
}

static void
path_join(char *buf, size_t len, const char *path, const char *key)
{
	size_t n;

	/* Without snprintf: this runs for every member of every state file
	 * read at start-up. */
	if ((n = rd_strlcpy(buf, path, len)) >= len)
		return;
	if (n > 0 && n + 1 < len) {
		buf[n++] = '.';
		buf[n] = '\0';
	}
	if (n < len)
		rd_strlcpy(buf + n, key, len - n);
}

/* The member `key` of `obj`, which must exist. */
static const struct jval *
dec_member(struct dec *d, const struct jval *obj, const char *path, const char *key,
    char *sub, size_t sublen)
{
	const struct jval *v;

	path_join(sub, sublen, path, key);
	if ((v = jdoc_get(obj, key)) == NULL)
		dec_record(d, sub, "missing");
	return v;
}

static int
dec_object(struct dec *d, const struct jval *v, const char *path)
{
	if (v->type != JV_OBJECT)
		return dec_fail(d, path, "not an object");
	return 0;
}

/* A string (or null when nullable: *out NULL). *out is borrowed. */
static int
dec_str(struct dec *d, const struct jval *obj, const char *path, const char *key,
    int nullable, const char **out)
{
	char sub[256];
	const struct jval *v;

	*out = NULL;
	if ((v = dec_member(d, obj, path, key, sub, sizeof(sub))) == NULL)
		return -1;
	if ((v->type == JV_NULL) && nullable)
		return 0;
	if (v->type != JV_STRING)
		return dec_fail(d, sub, nullable ? "not a string or null" :
		    "not a string");
	if (strlen(v->u.s) != v->n)
		return dec_fail(d, sub, "contains a NUL byte");
	*out = v->u.s;
	return 0;
}

static int
dec_strdup(struct dec *d, const struct jval *obj, const char *path, const char *key,
    char **out)
{
	const char *s;

	*out = NULL;
	if (dec_str(d, obj, path, key, 1, &s) == -1)
		return -1;
	*out = dup_or_null(s);
	return 0;
}

/* A string into a fixed buffer, which it must fit. */
static int
dec_strbuf(struct dec *d, const struct jval *obj, const char *path, const char *key,
    char *buf, size_t len)
{
	const char *s;

	if (dec_str(d, obj, path, key, 0, &s) == -1)
		return -1;
	if (strlen(s) >= len) {
		char sub[256];

		path_join(sub, sizeof(sub), path, key);
		return dec_fail(d, sub, "longer than %zu bytes", len - 1);
	}
	rd_strlcpy(buf, s, len);
	return 0;
}

/* A string or null, borrowed from the document (the observation's
 * strings: state_result_copy() shares them before the document goes). */
static int
dec_strref(struct dec *d, const struct jval *obj, const char *path,
    const char *key, char **out)
{
	const char *s;

	*out = NULL;
	if (dec_str(d, obj, path, key, 1, &s) == -1)
		return -1;
	*out = (char *)(uintptr_t)s;
	return 0;
}

/* A string of at most `max` bytes, borrowed as by dec_strref(). */
static int
dec_strmax(struct dec *d, const struct jval *obj, const char *path,
    const char *key, size_t max, char **out)
{
	const char *s;

	*out = NULL;
	if (dec_str(d, obj, path, key, 0, &s) == -1)
		return -1;
	if (strlen(s) > max) {
		char sub[256];

		path_join(sub, sizeof(sub), path, key);
		return dec_fail(d, sub, "longer than %zu bytes", max);
	}
	*out = (char *)(uintptr_t)s;
	return 0;
}

static int
dec_bool(struct dec *d, const struct jval *obj, const char *path, const char *key,
    int *out)
{
	char sub[256];
	const struct jval *v;

	*out = 0;
	if ((v = dec_member(d, obj, path, key, sub, sizeof(sub))) == NULL)
		return -1;
	if (v->type != JV_TRUE && v->type != JV_FALSE)
		return dec_fail(d, sub, "not true or false");
	*out = (v->type == JV_TRUE);
	return 0;
}

static int
dec_int(struct dec *d, const struct jval *obj, const char *path, const char *key,
    int64_t min, int64_t max, int64_t *out)
{
	char sub[256];
	const struct jval *v;

	if ((v = dec_member(d, obj, path, key, sub, sizeof(sub))) == NULL)
		return -1;
	if (v->type != JV_INTEGER)
		return dec_fail(d, sub, "not an integer");
	*out = v->u.i;
	if (*out < min || *out > max)
		return dec_fail(d, sub, "out of range");
	return 0;
}

/* "2027-03-31T00:00:00Z", or null (0) when nullable. */
static int
dec_time(struct dec *d, const struct jval *obj, const char *path, const char *key,
    int nullable, time_t *out)
{
	char sub[256];
	const char *s;

	*out = 0;
	if (dec_str(d, obj, path, key, nullable, &s) == -1)
		return -1;
	if (s == NULL)
		return 0;
	path_join(sub, sizeof(sub), path, key);
	if (time_parse_iso(s, out) == -1)
		return dec_fail(d, sub, "not a time: \"%.40s\"", s);
	if (*out <= 0)
		return dec_fail(d, sub, "before 1970");
	return 0;
}

/* "YYYY-MM-DD" (a Japan date), or null (-1) when nullable. */
static int
dec_day(struct dec *d, const struct jval *obj, const char *path, const char *key,
    int nullable, int *out)
{
	char sub[256];
	const char *s;
	int y, m, dd;

	*out = -1;
	if (dec_str(d, obj, path, key, nullable, &s) == -1)
		return -1;
	if (s == NULL)
		return 0;
	path_join(sub, sizeof(sub), path, key);
	if (jday_parse(s, out) == -1)
		return dec_fail(d, sub, "not a date: \"%.40s\"", s);
	jday_to_ymd(*out, &y, &m, &dd);
	if (y < 1970 || y > 9999)
		return dec_fail(d, sub, "year out of range");
	return 0;
}

static int
dec_sha256(struct dec *d, const struct jval *obj, const char *path, const char *key,
    char out[65])
{
	char sub[256];

	if (dec_strbuf(d, obj, path, key, out, 65) == -1)
		return -1;
	path_join(sub, sizeof(sub), path, key);
	if (strlen(out) != 64 || strspn(out, "0123456789abcdef") != 64)
		return dec_fail(d, sub, "not a lower-case hex SHA-256");
	return 0;
}

/* An array member with at most `max` elements. */
static const struct jval *
dec_array(struct dec *d, const struct jval *obj, const char *path, const char *key,
    size_t max, char *sub, size_t sublen)
{
	const struct jval *v;

	if ((v = dec_member(d, obj, path, key, sub, sublen)) == NULL)
		return NULL;
	if (v->type != JV_ARRAY) {
		dec_record(d, sub, "not an array");
		return NULL;
	}
	if (v->n > max) {
		dec_record(d, sub, "more than %zu entries", max);
		return NULL;
	}
	return v;
}

static int
dec_threshold(struct dec *d, const struct jval *v, const char *path, struct threshold *t)
{
	memset(t, 0, sizeof(*t));
	if (v->type == JV_INTEGER) {
		int64_t n = v->u.i;

		if (n < 0 || n > 3650)
			return dec_fail(d, path, "out of range");
		t->value = (int)n;
		return 0;
	}
	if (v->type == JV_STRING) {
		const char *s = v->u.s;
		char *end;
		long n = strtol(s, &end, 10);

		if (end == s || strcmp(end, "%") != 0 || s[0] < '0' ||
		    s[0] > '9' || n < 1 || n > 100)
			return dec_fail(d, path, "not a share such as \"33%%\"");
		t->value = (int)n;
		t->percent = 1;
		return 0;
	}
	return dec_fail(d, path, "not a number of days or a share");
}

static int
dec_sent(struct dec *d, const struct jval *o, const char *path, struct sent_notice *n)
{
	const char *kind;
	char sub[256];
	const struct jval *th;

	memset(n, 0, sizeof(*n));
	if (dec_object(d, o, path) == -1 ||
	    dec_str(d, o, path, "kind", 0, &kind) == -1)
		return -1;
	if (notice_kind_parse(kind, &n->kind) == -1) {
		snprintf(sub, sizeof(sub), "%s.kind", path);
		return dec_fail(d, sub, "unknown kind \"%.40s\"", kind);
	}
	if ((th = dec_member(d, o, path, "threshold", sub, sizeof(sub))) == NULL)
		return -1;
	if (n->kind == NOTICE_REMINDER) {
		if (dec_threshold(d, th, sub, &n->threshold) == -1)
			return -1;
	} else if (th->type != JV_NULL)
		return dec_fail(d, sub, "only reminders have a threshold");
	if (dec_day(d, o, path, "day", 1, &n->day) == -1)
		return -1;
	if ((n->kind == NOTICE_OVERDUE || n->kind == NOTICE_INSTALL) &&
	    n->day < 0) {
		snprintf(sub, sizeof(sub), "%s.day", path);
		return dec_fail(d, sub, "missing for %s", kind);
	}
	if (dec_time(d, o, path, "due", 0, &n->due) == -1 ||
	    dec_time(d, o, path, "at", 0, &n->at) == -1 ||
	    dec_bool(d, o, path, "skipped", &n->skipped) == -1)
		return -1;
	return 0;
}

static int
dec_cycle(struct dec *d, const struct jval *o, struct cycle *c)
{
	const char *path = "cycle", *s;
	char sub[256];
	const struct jval *leaf, *sent, *e;

	memset(c, 0, sizeof(*c));
	if (o->type == JV_NULL)
		return 0;
	if (dec_object(d, o, path) == -1)
		return -1;
	c->active = 1;
	if (dec_day(d, o, path, "expiry", 0, &c->expiry) == -1)
		return -1;
	if (dec_str(d, o, path, "source", 0, &s) == -1)
		return -1;
	if (strcmp(s, "certificate") == 0)
		c->source = EXPIRY_CERTIFICATE;
	else if (strcmp(s, "contract") == 0)
		c->source = EXPIRY_CONTRACT;
	else
		return dec_fail(d, "cycle.source", "not \"certificate\" or "
		    "\"contract\"");
	if (dec_str(d, o, path, "state", 0, &s) == -1)
		return -1;
	if (cycle_state_parse(s, &c->state) == -1)
		return dec_fail(d, "cycle.state", "unknown state \"%.40s\"", s);
	if (dec_time(d, o, path, "started", 0, &c->started) == -1)
		return -1;
	if ((leaf = dec_member(d, o, path, "leaf", sub, sizeof(sub))) == NULL)
		return -1;
	if (leaf->type != JV_NULL) {
		char hex[65];

		if (dec_object(d, leaf, sub) == -1 ||
		    dec_sha256(d, leaf, sub, "sha256", hex) == -1 ||
		    state_leaf_set_hex(c, hex) == -1 ||
		    dec_time(d, leaf, sub, "not_before", 0,
		    &c->leaf_not_before) == -1 ||
		    dec_time(d, leaf, sub, "not_after", 0,
		    &c->leaf_not_after) == -1)
			return -1;
		c->has_leaf = 1;
	}
	if (dec_time(d, o, path, "applied_at", 1, &c->applied_at) == -1 ||
	    dec_time(d, o, path, "issued_at", 1, &c->issued_at) == -1 ||
	    dec_time(d, o, path, "verified_at", 1, &c->verified_at) == -1 ||
	    dec_time(d, o, path, "lapsed_at", 1, &c->lapsed_at) == -1)
		return -1;
	if ((c->state == CYCLE_APPLIED && c->applied_at == 0) ||
	    (c->state == CYCLE_ISSUED && c->issued_at == 0) ||
	    (c->state == CYCLE_LAPSED && c->lapsed_at == 0))
		return dec_fail(d, "cycle.state", "\"%s\" without its time",
		    cycle_state_name(c->state));
	if ((sent = dec_array(d, o, path, "sent", STATE_SENT_MAX, sub,
	    sizeof(sub))) == NULL)
		return -1;
	if (sent->n > 0)
		c->sent = xcalloc(sent->n, sizeof(*c->sent));
	e = sent->u.first;
	for (size_t i = 0; i < sent->n; i++, e = e->next) {
		char ep[64];

		snprintf(ep, sizeof(ep), "cycle.sent[%zu]", i);
		if (dec_sent(d, e, ep, &c->sent[i]) == -1)
			return -1;
		c->nsent++;
	}
	return 0;
}

static int
dec_subject(struct dec *d, const struct jval *o, const char *path,
    struct subject_fields *s)
{
	if (dec_object(d, o, path) == -1 ||
	    dec_strref(d, o, path, "CN", &s->cn) == -1 ||
	    dec_strref(d, o, path, "OU", &s->ou) == -1 ||
	    dec_strref(d, o, path, "O", &s->o) == -1 ||
	    dec_strref(d, o, path, "L", &s->l) == -1 ||
	    dec_strref(d, o, path, "ST", &s->st) == -1 ||
	    dec_strref(d, o, path, "C", &s->c) == -1)
		return -1;
	return 0;
}

static int
dec_cert(struct dec *d, const struct jval *o, const char *path, struct cert_obs *c)
{
	char sub[256];
	int64_t n;
	const struct jval *v, *e;

	if (dec_object(d, o, path) == -1)
		return -1;
	if ((v = dec_member(d, o, path, "subject", sub, sizeof(sub))) == NULL ||
	    dec_subject(d, v, sub, &c->subject) == -1)
		return -1;
	if ((v = dec_array(d, o, path, "san", 100000, sub, sizeof(sub))) == NULL)
		return -1;
	e = v->u.first;
	for (size_t i = 0; i < v->n; i++, e = e->next) {
		if (e->type != JV_STRING) {
			char ep[300];

			snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
			return dec_fail(d, ep, "not a string");
		}
		strlist_add_owned(&c->san, (char *)(uintptr_t)e->u.s);
	}
	if (dec_strref(d, o, path, "issuer", &c->issuer) == -1 ||
	    dec_strref(d, o, path, "serial", &c->serial) == -1 ||
	    dec_sha256(d, o, path, "sha256", c->sha256) == -1 ||
	    dec_strmax(d, o, path, "key", 31, &c->key) == -1 ||
	    dec_int(d, o, path, "key_bits", 0, 1 << 20, &n) == -1)
		return -1;
	c->key_bits = (int)n;
	if (dec_strref(d, o, path, "sig_alg", &c->sig_alg) == -1 ||
	    dec_time(d, o, path, "not_before", 0, &c->not_before) == -1 ||
	    dec_time(d, o, path, "not_after", 0, &c->not_after) == -1)
		return -1;
	if ((v = dec_array(d, o, path, "chain", 64, sub, sizeof(sub))) == NULL)
		return -1;
	if (v->n > 0)
		c->chain = xcalloc(v->n, sizeof(*c->chain));
	e = v->u.first;
	for (size_t i = 0; i < v->n; i++, e = e->next) {
		char ep[300];

		snprintf(ep, sizeof(ep), "%s[%zu]", sub, i);
		c->nchain++;
		if (dec_object(d, e, ep) == -1 ||
		    dec_strref(d, e, ep, "subject", &c->chain[i].subject) == -1 ||
		    dec_strref(d, e, ep, "issuer", &c->chain[i].issuer) == -1 ||
		    dec_time(d, e, ep, "not_after", 0,
		    &c->chain[i].not_after) == -1)
			return -1;
	}
	if (dec_bool(d, o, path, "verify_ok", &c->verify_ok) == -1 ||
	    dec_strref(d, o, path, "verify_error", &c->verify_error) == -1 ||
	    dec_bool(d, o, path, "names_ok", &c->names_ok) == -1 ||
	    dec_int(d, o, path, "problems", 0, (1 << PROB_COUNT) - 1, &n) == -1)
		return -1;
	c->problems = (unsigned)n;
	return 0;
}

static int	dec_observation_tree(struct dec *, const struct jval *, const char *,
		    struct target_result *);

static int
dec_observation(struct dec *d, const struct jval *o, struct target_result **out)
{
	const char *path = "observation";
	struct target_result *r;

	*out = NULL;
	if (o->type == JV_NULL)
		return 0;
	if (dec_object(d, o, path) == -1)
		return -1;
	r = xcalloc(1, sizeof(*r));
	if (dec_observation_tree(d, o, path, r) == -1) {
		result_borrowed_free(r);
		return -1;
	}
	*out = state_result_copy(r);
	result_borrowed_free(r);
	return 0;
}

/* The observation's members into r, every part allocated on its own. */
static int
dec_observation_tree(struct dec *d, const struct jval *o, const char *path,
    struct target_result *r)
{
	char sub[256];
	int64_t n;
	const struct jval *addrs, *e;

	if (dec_time(d, o, path, "at", 0, &r->started) == -1 ||
	    dec_strref(d, o, path, "error", &r->error) == -1 ||
	    dec_int(d, o, path, "problems", 0, (1 << PROB_COUNT) - 1, &n) == -1)
		return -1;
	r->problems = (unsigned)n;
	if ((addrs = dec_array(d, o, path, "addresses", 4096, sub,
	    sizeof(sub))) == NULL)
		return -1;
	if (addrs->n > 0)
		r->addrs = xcalloc(addrs->n, sizeof(*r->addrs));
	e = addrs->u.first;
	for (size_t i = 0; i < addrs->n; i++, e = e->next) {
		const struct jval *cert;
		struct addr_result *a = &r->addrs[i];
		char ep[64], cp[80];

		snprintf(ep, sizeof(ep), "observation.addresses[%zu]", i);
		r->naddrs++;
		if (dec_object(d, e, ep) == -1 ||
		    dec_strmax(d, e, ep, "address", 63, &a->address) == -1 ||
		    dec_bool(d, e, ep, "ok", &a->ok) == -1 ||
		    dec_strref(d, e, ep, "error", &a->error) == -1 ||
		    dec_strmax(d, e, ep, "tls_version", 15,
		    &a->tls_version) == -1 ||
		    dec_int(d, e, ep, "duration_ms", 0, INT64_C(1) << 40,
		    &n) == -1)
			return -1;
		a->duration_ms = (int64_t)n;
		if ((cert = dec_member(d, e, ep, "cert", cp, sizeof(cp))) == NULL)
			return -1;
		if (cert->type == JV_NULL)
			continue;
		a->has_cert = 1;
		if (dec_cert(d, cert, cp, &a->cert) == -1)
			return -1;
	}
	return 0;
}

static int
dec_history(struct dec *d, const struct jval *root, struct target_state *st)
{
	char sub[256];
	const struct jval *h, *e;

	if ((h = dec_array(d, root, "", "history", STATE_HISTORY_MAX, sub,
	    sizeof(sub))) == NULL)
		return -1;
	if (h->n > 0)
		st->history = xcalloc(h->n, sizeof(*st->history));
	e = h->u.first;
	for (size_t i = 0; i < h->n; i++, e = e->next) {
		struct state_event *ev = &st->history[i];
		const char *s;
		char ep[64];

		snprintf(ep, sizeof(ep), "history[%zu]", i);
		st->nhistory++;
		if (dec_object(d, e, ep) == -1 ||
		    dec_time(d, e, ep, "at", 0, &ev->at) == -1 ||
		    dec_strbuf(d, e, ep, "event", ev->event,
		    sizeof(ev->event)) == -1 ||
		    dec_str(d, e, ep, "note", 0, &s) == -1)
			return -1;
		if (ev->event[0] == '\0' ||
		    strspn(ev->event, "abcdefghijklmnopqrstuvwxyz-") !=
		    strlen(ev->event)) {
			snprintf(sub, sizeof(sub), "%s.event", ep);
			return dec_fail(d, sub, "not an event word");
		}
		ev->note = shared(s);
	}
	return 0;
}

struct target_state *
state_decode(const char *text, size_t len, char *err, size_t errlen)
{
	struct dec d = { err, errlen, 0 };
	struct target_state *st = NULL;
	struct jdoc *doc;
	const struct jval *root, *v;
	int64_t version;
	const char *target;
	char sub[256];

	if (errlen > 0)
		err[0] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "empty file");
		return NULL;
	}
	/* The fast parser takes every state file renewd writes; jansson
	 * the rest, and says what is wrong with a text that is not JSON. */
	if ((doc = jdoc_parse(text, len)) == NULL) {
		json_error_t jerr;
		json_t *j;

		if ((j = json_loadb(text, len, JSON_REJECT_DUPLICATES,
		    &jerr)) == NULL) {
			/* jansson quotes the bytes near the error: made
			 * safe, as the reason reaches the log. */
			char *safe = rd_sanitize(jerr.text, strlen(jerr.text));

			snprintf(err, errlen, "not JSON: line %d column %d: %s",
			    jerr.line, jerr.column, safe);
			free(safe);
			return NULL;
		}
		doc = jdoc_from_json(j);
		json_decref(j);
	}
	root = jdoc_root(doc);
	if (dec_object(&d, root, "(top)") == -1)
		goto fail;
	if ((v = dec_member(&d, root, "", "v", sub, sizeof(sub))) == NULL)
		goto fail;
	if (v->type != JV_INTEGER) {
		dec_record(&d, "v", "not an integer");
		goto fail;
	}
	version = v->u.i;
	if (version != STATE_VERSION) {
		dec_record(&d, "v", "version %lld is not supported (expected %d)",
		    (long long)version, STATE_VERSION);
		goto fail;
	}
	if (dec_str(&d, root, "", "target", 0, &target) == -1)
		goto fail;
	if (*target == '\0') {
		dec_record(&d, "target", "empty");
		goto fail;
	}
	st = state_new(target);
	if ((v = dec_member(&d, root, "", "cycle", sub, sizeof(sub))) == NULL ||
	    dec_cycle(&d, v, &st->cycle) == -1)
		goto fail;
	if (dec_time(&d, root, "", "last_probe", 1, &st->last_probe) == -1 ||
	    dec_bool(&d, root, "", "last_probe_ok", &st->last_probe_ok) == -1 ||
	    dec_strdup(&d, root, "", "last_error", &st->last_error) == -1 ||
	    dec_time(&d, root, "", "last_success", 1, &st->last_success) == -1)
		goto fail;
	if ((v = dec_member(&d, root, "", "outage", sub, sizeof(sub))) == NULL)
		goto fail;
	if (v->type != JV_NULL) {
		if (dec_object(&d, v, "outage") == -1 ||
		    dec_time(&d, v, "outage", "since", 0,
		    &st->outage_since) == -1 ||
		    dec_bool(&d, v, "outage", "notified",
		    &st->outage_notified) == -1)
			goto fail;
	}
	if ((v = dec_member(&d, root, "", "observation", sub,
	    sizeof(sub))) == NULL ||
	    dec_observation(&d, v, &st->observation) == -1)
		goto fail;
	if (dec_history(&d, root, st) == -1)
		goto fail;
	jdoc_free(doc);
	return st;
fail:
	jdoc_free(doc);
	state_free(st);
	return NULL;
}
