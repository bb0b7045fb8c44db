/*
 * outbox.c — the durable notification queue; see outbox.h for the rules
 * and the file formats.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "calendar.h"
#include "fileio.h"
#include "log.h"
#include "mailmsg.h"
#include "outbox.h"
#include "util.h"

#define NAME_MAX_READABLE	160
#define SENT_SUFFIX		".sent"
#define SENDING_SUFFIX		".sending"

struct sent_rec {
	char	*name;		/* "NAME.TYPE" */
	time_t	 at;
};

struct outbox {
	char			 *dir;
	struct outbox_entry	**v;
	size_t			  n;
	struct sent_rec		 *sent;
	size_t			  nsent;
	void			(*hook)(void *);
	void			 *hook_arg;
};

static const char *const type_names[] = { "mail", "webhook" };

const char *
outbox_type_name(enum outbox_type t)
{
	return (unsigned)t < nitems(type_names) ? type_names[t] : "?";
}

time_t
outbox_backoff(int attempts)
{
	time_t d = OUTBOX_BACKOFF_MIN;

	for (int i = 1; i < attempts && d < OUTBOX_BACKOFF_MAX; i++)
		d *= 2;
	return d > OUTBOX_BACKOFF_MAX ? OUTBOX_BACKOFF_MAX : d;
}

/* --- names ------------------------------------------------------------------ */

static void
escape_into(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || (c == '.' &&
		    b->len > 0))
			buf_add(b, s, 1);
		else
			buf_printf(b, "%%%02x", c);
	}
}

/* The base name of (target, notice id), without the type suffix. */
static char *
entry_base(const char *target, const char *id)
{
	struct buf b = { 0 };

	escape_into(&b, target);
	buf_adds(&b, "=");
	escape_into(&b, id);
	if (b.len > NAME_MAX_READABLE) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char *in = xasprintf("%s\n%s", target, id);

		buf_free(&b);
		buf_adds(&b, "h");
		if (EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha256(),
		    NULL) != 1)
			fatalx("%s: SHA-256 unavailable", __func__);
		for (unsigned i = 0; i < mdlen; i++)
			buf_printf(&b, "%02x", md[i]);
		free(in);
	}
	return buf_steal(&b);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static char *
path_of(const struct outbox *ob, const char *name)
{
	return xasprintf("%s/%s", ob->dir, name);
}

/* --- entries ---------------------------------------------------------------- */

static void
entry_free(struct outbox_entry *e)
{
	if (e == NULL)
		return;
	free(e->file);
	free(e->target);
	free(e->notice_id);
	free(e->message_id);
	free(e->subject);
	free(e->from);
	strlist_free(&e->rcpt);
	free(e->data);
	free(e->last_error);
	free(e);
}

static json_t *
jtime(time_t t)
{
	char s[32];

	if (t <= 0)
		return json_null();
	time_format_utc(t, s, sizeof(s));
	return json_string(s);
}

static char *
entry_encode(const struct outbox_entry *e)
{
	json_t *o = json_object(), *r = json_array();
	char *s;

	for (size_t i = 0; i < e->rcpt.n; i++)
		json_array_append_new(r, json_string(e->rcpt.v[i]));
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "type", json_string(outbox_type_name(e->type)));
	json_object_set_new(o, "target", json_string(e->target));
	json_object_set_new(o, "notice", json_string(e->notice_id));
	json_object_set_new(o, "kind", json_string(notice_kind_name(e->kind)));
	json_object_set_new(o, "message_id", json_string(e->message_id));
	json_object_set_new(o, "subject", json_string(e->subject));
	json_object_set_new(o, "from", json_string(e->from));
	json_object_set_new(o, "rcpt", r);
	json_object_set_new(o, "created", jtime(e->created));
	json_object_set_new(o, "attempts", json_integer(e->attempts));
	json_object_set_new(o, "next_attempt", jtime(e->next_attempt));
	json_object_set_new(o, "last_attempt", jtime(e->last_attempt));
	json_object_set_new(o, "last_error", e->last_error != NULL ?
	    json_string(e->last_error) : json_null());
	json_object_set_new(o, "failed", json_boolean(e->failed));
	json_object_set_new(o, "data", json_stringn(e->data, e->len));
	s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		fatalx("%s: out of memory", __func__);
	return s;
}

static int
get_str(json_t *o, const char *key, int nullable, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (nullable && (v == NULL || json_is_null(v)))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return strlen(*out) == json_string_length(v) ? 0 : -1;
}

static int
get_time(json_t *o, const char *key, time_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || time_parse_iso(json_string_value(v),
	    out) != 0)
		return -1;
	return 0;
}

static struct outbox_entry *
entry_decode(const char *text, size_t len, const char *file, char *err,
    size_t errlen)
{
	struct outbox_entry *e = xcalloc(1, sizeof(*e));
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *v;
	char *type = NULL, *kind = NULL;
	const char *bad = NULL;

	e->file = xstrdup(file);
	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "not JSON: %s", o == NULL ? je.text :
		    "not an object");
		goto fail;
	}
	v = json_object_get(o, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		bad = "v";
	else if (get_str(o, "type", 0, &type) != 0 ||
	    (strcmp(type, "mail") != 0 && strcmp(type, "webhook") != 0))
		bad = "type";
	else if (get_str(o, "target", 0, &e->target) != 0)
		bad = "target";
	else if (get_str(o, "notice", 0, &e->notice_id) != 0)
		bad = "notice";
	else if (get_str(o, "kind", 0, &kind) != 0 ||
	    notice_kind_parse(kind, &e->kind) != 0)
		bad = "kind";
	else if (get_str(o, "message_id", 0, &e->message_id) != 0)
		bad = "message_id";
	else if (get_str(o, "subject", 0, &e->subject) != 0)
		bad = "subject";
	else if (get_str(o, "from", 0, &e->from) != 0)
		bad = "from";
	else if (get_time(o, "created", &e->created) != 0)
		bad = "created";
	else if (get_time(o, "next_attempt", &e->next_attempt) != 0)
		bad = "next_attempt";
	else if (get_time(o, "last_attempt", &e->last_attempt) != 0)
		bad = "last_attempt";
	else if (get_str(o, "last_error", 1, &e->last_error) != 0)
		bad = "last_error";
	else if (!json_is_boolean(json_object_get(o, "failed")))
		bad = "failed";
	else if (!json_is_integer(json_object_get(o, "attempts")) ||
	    json_integer_value(json_object_get(o, "attempts")) < 0 ||
	    json_integer_value(json_object_get(o, "attempts")) > 1000000)
		bad = "attempts";
	else if (!json_is_string(v = json_object_get(o, "data")))
		bad = "data";
	if (bad == NULL) {
		e->type = strcmp(type, "mail") == 0 ? OUTBOX_MAIL :
		    OUTBOX_WEBHOOK;
		e->failed = json_is_true(json_object_get(o, "failed"));
		e->attempts = (int)json_integer_value(json_object_get(o,
		    "attempts"));
		e->len = json_string_length(v);
		e->data = xmalloc(e->len + 1);
		memcpy(e->data, json_string_value(v), e->len);
		e->data[e->len] = '\0';
		v = json_object_get(o, "rcpt");
		if (!json_is_array(v))
			bad = "rcpt";
		for (size_t i = 0; bad == NULL && i < json_array_size(v); i++) {
			json_t *a = json_array_get(v, i);

			if (!json_is_string(a))
				bad = "rcpt";
			else
				strlist_add(&e->rcpt, json_string_value(a));
		}
		if (bad == NULL && e->type == OUTBOX_MAIL && e->rcpt.n == 0)
			bad = "rcpt";
	}
	if (bad != NULL) {
		snprintf(err, errlen, "%s: missing or not valid", bad);
		goto fail;
	}
	json_decref(o);
	free(type);
	free(kind);
	return e;
fail:
	json_decref(o);
	free(type);
	free(kind);
	entry_free(e);
	return NULL;
}

/* Write an entry's file; -1 with errno set (not logged). */
static int
entry_write_file(const struct outbox *ob, const struct outbox_entry *e)
{
	char *text = entry_encode(e), *path = path_of(ob, e->file);
	int rc = file_write_atomic(path, text, strlen(text), 0600), saved;

	saved = errno;
	free(text);
	free(path);
	errno = saved;
	return rc;
}

static int
entry_write(const struct outbox *ob, const struct outbox_entry *e)
{
	int rc = entry_write_file(ob, e);

	if (rc == -1)
		log_warn("%s: cannot write %s/%s", __func__, ob->dir, e->file);
	return rc;
}

/* --- the directory ------------------------------------------------------------ */

static int
entry_cmp(const void *a, const void *b)
{
	const struct outbox_entry *x = *(struct outbox_entry *const *)a;
	const struct outbox_entry *y = *(struct outbox_entry *const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->file, y->file);
}

static void
add_entry(struct outbox *ob, struct outbox_entry *e)
{
	ob->v = xreallocarray(ob->v, ob->n + 1, sizeof(*ob->v));
	ob->v[ob->n++] = e;
	qsort(ob->v, ob->n, sizeof(*ob->v), entry_cmp);
}

static struct outbox_entry *
find_entry(const struct outbox *ob, const char *file)
{
	for (size_t i = 0; i < ob->n; i++)
		if (strcmp(ob->v[i]->file, file) == 0)
			return ob->v[i];
	return NULL;
}

static struct sent_rec *
find_sent(const struct outbox *ob, const char *name)
{
	for (size_t i = 0; i < ob->nsent; i++)
		if (strcmp(ob->sent[i].name, name) == 0)
			return &ob->sent[i];
	return NULL;
}

static void
add_sent(struct outbox *ob, const char *name, time_t at)
{
	struct sent_rec *s = find_sent(ob, name);

	if (s != NULL) {
		s->at = at;
		return;
	}
	ob->sent = xreallocarray(ob->sent, ob->nsent + 1, sizeof(*ob->sent));
	ob->sent[ob->nsent].name = xstrdup(name);
	ob->sent[ob->nsent].at = at;
	ob->nsent++;
}

static void
unlink_name(const struct outbox *ob, const char *name)
{
	char *p = path_of(ob, name);

	if (unlink(p) == -1 && errno != ENOENT)
		log_warn("%s: cannot remove %s", __func__, p);
	free(p);
}

static void
prune_sent(struct outbox *ob, time_t now)
{
	size_t j = 0;

	for (size_t i = 0; i < ob->nsent; i++) {
		struct sent_rec *s = &ob->sent[i];

		if (now - s->at > OUTBOX_SENT_KEEP || s->at > now + 86400) {
			char *f = xasprintf("%s%s", s->name, SENT_SUFFIX);

			unlink_name(ob, f);
			free(f);
			free(s->name);
			continue;
		}
		ob->sent[j++] = *s;
	}
	ob->nsent = j;
}

static void
move_aside(const struct outbox *ob, const char *name, const char *why)
{
	char *from = path_of(ob, name);
	char *to = xasprintf("%s.corrupt", from);

	log_warnx("outbox: %s cannot be read (%s); moved aside to %s", from,
	    why, to);
	if (rename(from, to) == -1)
		log_warn("%s: rename %s", __func__, from);
	free(from);
	free(to);
}

static void
load_one(struct outbox *ob, const char *name, time_t now)
{
	char *path = path_of(ob, name), *text, err[256];
	size_t len;

	text = file_read(path, OUTBOX_FILE_MAX, &len);
	if (text == NULL) {
		log_warn("outbox: cannot read %s", path);
		free(path);
		return;
	}
	free(path);
	if (has_suffix(name, SENT_SUFFIX)) {
		char *end;
		long long at = strtoll(text, &end, 10);
		char *base = xstrndup(name, strlen(name) - strlen(SENT_SUFFIX));

		/* cut short by a crash (outbox_delivered): sent, at about now */
		if (end == text || (*end != '\n' && *end != '\0') || at <= 0)
			at = now;
		add_sent(ob, base, (time_t)at);
		free(base);
	} else {
		struct outbox_entry *e = entry_decode(text, len, name, err,
		    sizeof(err));

		if (e == NULL)
			move_aside(ob, name, err);
		else {
			if (e->next_attempt == 0)
				e->next_attempt = now;
			add_entry(ob, e);
		}
	}
	free(text);
}

struct outbox *
outbox_open(const char *dir, time_t now, char *err, size_t errlen)
{
	struct outbox *ob;
	DIR *d;
	struct dirent *de;
	struct strlist names = { 0 };

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	ob = xcalloc(1, sizeof(*ob));
	ob->dir = xstrdup(dir);
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (n[0] == '.')
			continue;
		if (strstr(n, ".tmp.") != NULL) {
			log_info("outbox: removing %s/%s, an interrupted write",
			    dir, n);
			unlink_name(ob, n);
		} else if (has_suffix(n, SENDING_SUFFIX)) {
			/* not accepted as far as anyone knows: sent again */
			log_info("outbox: removing %s/%s, an attempt cut short",
			    dir, n);
			unlink_name(ob, n);
		} else if (has_suffix(n, ".mail") || has_suffix(n,
		    ".webhook") || has_suffix(n, SENT_SUFFIX))
			strlist_add(&names, n);
	}
	closedir(d);
	for (size_t i = 0; i < names.n; i++)
		load_one(ob, names.v[i], now);
	strlist_free(&names);
	/* an entry with a sent record was delivered before a crash */
	for (size_t i = 0; i < ob->n;) {
		struct outbox_entry *e = ob->v[i];

		if (find_sent(ob, e->file) != NULL) {
			unlink_name(ob, e->file);
			entry_free(e);
			memmove(&ob->v[i], &ob->v[i + 1],
			    (ob->n - i - 1) * sizeof(*ob->v));
			ob->n--;
		} else
			i++;
	}
	prune_sent(ob, now);
	if (ob->n > 0)
		log_info("outbox: %zu message%s waiting in %s", ob->n,
		    ob->n == 1 ? "" : "s", dir);
	return ob;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	for (size_t i = 0; i < ob->n; i++)
		entry_free(ob->v[i]);
	for (size_t i = 0; i < ob->nsent; i++)
		free(ob->sent[i].name);
	free(ob->v);
	free(ob->sent);
	free(ob->dir);
	free(ob);
}

const char *
outbox_dir(const struct outbox *ob)
{
	return ob->dir;
}

void
outbox_set_hook(struct outbox *ob, void (*fn)(void *), void *arg)
{
	ob->hook = fn;
	ob->hook_arg = arg;
}

/* --- submit ----------------------------------------------------------------- */

/* Queue one entry unless its name is known; 1, 0 or -1. */
static int
queue(struct outbox *ob, struct outbox_entry *e, char *err, size_t errlen)
{
	if (find_entry(ob, e->file) != NULL || find_sent(ob, e->file) != NULL) {
		log_debug("outbox: %s %s for %s is already queued or sent",
		    outbox_type_name(e->type), e->notice_id, e->target);
		entry_free(e);
		return 0;
	}
	/* the caller reports the failure, with err */
	if (entry_write_file(ob, e) == -1) {
		snprintf(err, errlen, "cannot write %s/%s: %s", ob->dir,
		    e->file, strerror(errno));
		entry_free(e);
		return -1;
	}
	log_info("outbox: queued %s %s for %s: %s", outbox_type_name(e->type),
	    e->notice_id, e->target, e->subject);
	add_entry(ob, e);
	return 1;
}

static struct outbox_entry *
entry_new(enum outbox_type type, const char *base, const char *target,
    const struct policy_notice *n, time_t now)
{
	struct outbox_entry *e = xcalloc(1, sizeof(*e));

	e->type = type;
	e->file = xasprintf("%s.%s", base, outbox_type_name(type));
	e->target = xstrdup(target);
	e->notice_id = xstrdup(n->id);
	e->kind = n->kind;
	e->created = now;
	e->next_attempt = now;
	return e;
}

int
outbox_submit(struct outbox *ob, const struct config *cfg,
    const struct target_conf *tc, const struct target_state *st,
    const struct policy_notice *n, time_t now, char *err, size_t errlen)
{
	struct mailmsg_in in = { n, tc, cfg, st, now };
	char *base = entry_base(tc->name, n->id);
	int queued = 0, rc = 0, any = 0;
	struct strlist rcpt = { 0 };

	mailmsg_recipients(tc, &cfg->mail, &rcpt);
	if (rcpt.n > 0) {
		struct outbox_entry *e = entry_new(OUTBOX_MAIL, base, tc->name,
		    n, now);
		struct mailmsg m;

		any = 1;
		if (find_entry(ob, e->file) == NULL &&
		    find_sent(ob, e->file) == NULL) {
			mailmsg_compose(&in, &m);
			if (m.charset_fallback)
				log_info("outbox: %s for %s: the certificate "
				    "text has characters ISO-2022-JP cannot "
				    "carry; sending it in UTF-8", n->id,
				    tc->name);
			e->message_id = m.message_id;
			e->subject = m.subject;
			e->from = m.from;
			e->rcpt = m.rcpt;
			e->data = m.data;
			e->len = m.len;
			memset(&m, 0, sizeof(m));
		}
		rc = queue(ob, e, err, errlen);
		if (rc == 1)
			queued = 1;
	}
	strlist_free(&rcpt);
	if (rc != -1 && cfg->webhook_url != NULL) {
		struct outbox_entry *e = entry_new(OUTBOX_WEBHOOK, base,
		    tc->name, n, now);
		struct mailmsg_text t;

		any = 1;
		if (find_entry(ob, e->file) == NULL &&
		    find_sent(ob, e->file) == NULL) {
			mailmsg_text(&in, &t);
			e->subject = t.subject;
			t.subject = NULL;
			mailmsg_text_free(&t);
			e->message_id = xstrdup("");
			e->from = xstrdup("");
			e->data = mailmsg_webhook(&in);
			e->len = strlen(e->data);
		}
		rc = queue(ob, e, err, errlen);
		if (rc == 1)
			queued = 1;
	}
	free(base);
	if (!any)
		log_warnx("outbox: %s for %s goes nowhere: no recipients "
		    "([mail] to, notify) and no [webhook] url", n->id,
		    tc->name);
	if (rc == -1)
		return -1;
	if (queued && ob->hook != NULL)
		ob->hook(ob->hook_arg);
	return queued;
}

/* --- listing and the mailer's side -------------------------------------------- */

struct outbox_entry *const *
outbox_entries(const struct outbox *ob, size_t *n)
{
	*n = ob->n;
	return ob->v;
}

void
outbox_counts(const struct outbox *ob, struct outbox_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ob->n; i++) {
		const struct outbox_entry *e = ob->v[i];

		if (e->failed)
			c->failed[e->type]++;
		else
			c->queued[e->type]++;
		if (c->oldest == 0 || e->created < c->oldest)
			c->oldest = e->created;
	}
}

struct outbox_entry *
outbox_next_due(struct outbox *ob, enum outbox_type type, time_t now)
{
	for (size_t i = 0; i < ob->n; i++) {
		struct outbox_entry *e = ob->v[i];

		if (e->type == type && !e->busy && !e->failed &&
		    e->next_attempt <= now)
			return e;
	}
	return NULL;
}

time_t
outbox_next_time(const struct outbox *ob, enum outbox_type type)
{
	time_t t = 0;

	for (size_t i = 0; i < ob->n; i++) {
		const struct outbox_entry *e = ob->v[i];

		if (e->type == type && !e->busy && !e->failed &&
		    (t == 0 || e->next_attempt < t))
			t = e->next_attempt;
	}
	return t;
}

static void
remove_entry(struct outbox *ob, struct outbox_entry *e)
{
	for (size_t i = 0; i < ob->n; i++)
		if (ob->v[i] == e) {
			memmove(&ob->v[i], &ob->v[i + 1],
			    (ob->n - i - 1) * sizeof(*ob->v));
			ob->n--;
			break;
		}
	entry_free(e);
}

int
outbox_record_prepare(struct outbox *ob, const struct outbox_entry *e,
    time_t now, char **sendingp, char **sentp, char *err, size_t errlen)
{
	char *name = xasprintf("%s%s", e->file, SENDING_SUFFIX);
	char *path = path_of(ob, name), *text;
	int rc = 0;

	free(name);
	text = xasprintf("%lld\n", (long long)now);
	if (file_write_atomic(path, text, strlen(text), 0600) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		free(path);
		rc = -1;
	} else {
		name = xasprintf("%s%s", e->file, SENT_SUFFIX);
		*sendingp = path;
		*sentp = path_of(ob, name);
		free(name);
	}
	free(text);
	return rc;
}

void
outbox_record_drop(struct outbox *ob, const struct outbox_entry *e)
{
	char *name = xasprintf("%s%s", e->file, SENDING_SUFFIX);

	unlink_name(ob, name);
	free(name);
}

int
outbox_delivered(struct outbox *ob, struct outbox_entry *e, time_t now)
{
	char *name = xasprintf("%s%s", e->file, SENT_SUFFIX);
	char *path = path_of(ob, name), *text;
	struct stat sb;
	int rc = 0;

	/*
	 * The record first: a crash before the unlink must not resend. The
	 * mailer made it already when the server accepted (a rename of the
	 * prepared record); otherwise it is made here, in place, so that it
	 * exists from the first system call on; one cut short by a crash is
	 * read as "sent" all the same (load_one).
	 */
	if (stat(path, &sb) == -1) {
		text = xasprintf("%lld\n", (long long)now);
		if (file_create_now(path, text, strlen(text), 0600) == -1) {
			log_warn("%s: cannot write %s", __func__, path);
			rc = -1;
		}
		free(text);
	}
	free(path);
	free(name);
	outbox_record_drop(ob, e);
	add_sent(ob, e->file, now);
	unlink_name(ob, e->file);
	prune_sent(ob, now);
	remove_entry(ob, e);
	return rc;
}

static void
set_error(struct outbox_entry *e, time_t now, const char *error)
{
	free(e->last_error);
	e->last_error = error != NULL ? rd_sanitize(error, strlen(error)) :
	    NULL;
	e->last_attempt = now;
	e->attempts++;
}

int
outbox_retry_later(struct outbox *ob, struct outbox_entry *e, time_t now,
    const char *error)
{
	set_error(e, now, error);
	e->next_attempt = now + outbox_backoff(e->attempts);
	return entry_write(ob, e);
}

int
outbox_failed(struct outbox *ob, struct outbox_entry *e, time_t now,
    const char *error)
{
	set_error(e, now, error);
	e->failed = 1;
	return entry_write(ob, e);
}

size_t
outbox_retry(struct outbox *ob, time_t now)
{
	size_t nfailed = 0;

	for (size_t i = 0; i < ob->n; i++) {
		struct outbox_entry *e = ob->v[i];

		if (e->busy || (!e->failed && e->next_attempt <= now))
			continue;
		if (e->failed)
			nfailed++;
		e->failed = 0;
		e->next_attempt = now;
		(void)entry_write(ob, e);
	}
	if (ob->n > 0 && ob->hook != NULL)
		ob->hook(ob->hook_arg);
	return nfailed;
}
