/*
 * once.c — `renewd --once`: probe every target once, print the report (or
 * the Status JSON), send no mail, change no state, and exit with the
 * monitoring-plugins code of the worst target.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "calendar.h"
#include "inspect.h"
#include "jsonutil.h"
#include "log.h"
#include "probe.h"
#include "renewd.h"
#include "status.h"
#include "term.h"

struct once_slot {
	const struct target_result *result;
	struct result_pool	*pool;
	size_t			*pending;
	struct event_base	*base;
};

static void
once_done(struct target_result *res, void *arg)
{
	struct once_slot *slot = arg;

	slot->result = result_pool_keep(slot->pool, res);
	if (--*slot->pending == 0)
		event_base_loopexit(slot->base, NULL);
}

static enum severity
once_overall(const struct target_status *sts, size_t n)
{
	enum severity worst = SEV_OK;
	size_t unknown = 0;

	for (size_t i = 0; i < n; i++) {
		enum severity s = sts[i].severity;

		if (s == SEV_UNKNOWN) {
			unknown++;
			s = SEV_WARNING;
		}
		if (s > worst)
			worst = s;
	}
	return unknown == n ? SEV_UNKNOWN : worst;
}

/* Stream one target at a time: 100,000 targets must not need one giant
 * document in memory. The text is what json_dumpf(JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER) would write, made by json_text_append() into a
 * buffer that goes out in large writes. */
#define ONCE_JSON_FLUSH	(64 * 1024)

static void
once_json_flush(struct buf *out, int *failed)
{
	if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len &&
	    !*failed) {
		log_warnx("cannot write the report");
		*failed = 1;
	}
	out->len = 0;
	out->data[0] = '\0';
}

static void
once_print_json(const struct target_status *sts, size_t n)
{
	struct buf out = { 0 };
	int failed = 0;

	buf_adds(&out, "{\"targets\": [");
	for (size_t i = 0; i < n; i++) {
		json_t *t = status_target_json(&sts[i]);

		buf_adds(&out, i == 0 ? "\n" : ",\n");
		json_text_append(&out, t, 2);
		json_decref(t);
		if (out.len >= ONCE_JSON_FLUSH)
			once_json_flush(&out, &failed);
	}
	buf_adds(&out, "\n]}\n");
	once_json_flush(&out, &failed);
	buf_free(&out);
}

static void
once_print_text(const struct target_status *sts, size_t n, time_t now)
{
	int color = term_want_color(stdout);
	char *table = status_text_table(sts, n, now, color);

	fputs(table, stdout);
	free(table);
	for (size_t i = 0; i < n; i++) {
		char *d;

		if (sts[i].severity == SEV_OK)
			continue;
		d = status_text_details(&sts[i], color);
		fputc('\n', stdout);
		fputs(d, stdout);
		free(d);
	}
}

/*
 * With epoll, libevent turns every event_add and event_del into an
 * epoll_ctl call of its own, and an OpenSSL bufferevent turns its events
 * off and on several times during a handshake. The changelist keeps the
 * changes of one loop pass and applies only their net effect. Its one caveat, descriptors shared through dup(),
 * does not arise here: every socket is a new one.
 */
static struct event_base *
once_event_base(void)
{
	struct event_config *ec;
	struct event_base *base;

	if ((ec = event_config_new()) == NULL)
		return NULL;
	if (event_config_set_flag(ec,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == -1) {
		event_config_free(ec);
		return event_base_new();
	}
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base != NULL ? base : event_base_new();
}

int
once_run(const struct config *cfg, int json)
{
	struct event_base *base;
	struct probe_engine *engine;
	X509_STORE *trust;
	struct once_slot *slots;
	struct result_pool *pool;
	struct target_status *sts;
	struct cal_rules rules;
	size_t pending = cfg->ntargets;
	enum severity sev;
	time_t now;

	if (cfg->ntargets == 0) {
		log_warnx("%s: no [target] sections: nothing to probe", cfg->path);
		return SEV_UNKNOWN;
	}
	if ((trust = trust_load(cfg->ca_file)) == NULL)
		return SEV_UNKNOWN;
	evlog_init(1);
	if ((base = once_event_base()) == NULL)
		fatalx("event_base_new failed");
	if ((engine = probe_engine_new(base, cfg, trust)) == NULL)
		fatalx("cannot start the probe engine");

	slots = xcalloc(cfg->ntargets, sizeof(*slots));
	pool = result_pool_new();
	for (size_t i = 0; i < cfg->ntargets; i++) {
		slots[i].pool = pool;
		slots[i].pending = &pending;
		slots[i].base = base;
		if (probe_target(engine, &cfg->targets[i], once_done,
		    &slots[i]) == -1)
			fatalx("cannot probe %s", cfg->targets[i].name);
	}
	if (pending > 0 && event_base_dispatch(base) == -1)
		fatalx("event loop failed");

	now = time(NULL);
	cal_rules_from_config(&rules, cfg);
	sts = xcalloc(cfg->ntargets, sizeof(*sts));
	for (size_t i = 0; i < cfg->ntargets; i++)
		status_compute(cfg, &rules, &cfg->targets[i], slots[i].result,
		    now, &sts[i]);
	if (json)
		once_print_json(sts, cfg->ntargets);
	else
		once_print_text(sts, cfg->ntargets, now);
	if (fflush(stdout) == EOF)
		log_warn("stdout");
	sev = once_overall(sts, cfg->ntargets);

	result_pool_free(pool);
	free(sts);
	free(slots);
	probe_engine_free(engine);
	event_base_free(base);
	X509_STORE_free(trust);
	return (int)sev;
}
