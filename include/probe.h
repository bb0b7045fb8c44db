/*
 * probe.h — the probe engine (src/renewd/probe.c): asynchronous DNS, connect,
 * optional STARTTLS, TLS handshake with SNI, all on one libevent loop; the
 * served chain goes to inspect_chain(). Nothing here blocks.
 *
 * Every address of a target is probed (A and AAAA, deduplicated, or the
 * target's `addresses`); at most cfg->concurrency connections are open at
 * once, the rest wait in FIFO order, and DNS lookups are bounded as well.
 * One deadline of cfg->timeout_ms covers connect + STARTTLS + handshake of
 * one address. Plaintext before TLS is capped at 16 KiB, the handshake at
 * 256 KiB read. No session is resumed, no connection reused; an IP-literal
 * target name sends no SNI.
 *
 * The engine ignores SIGPIPE (if its disposition was the default): OpenSSL
 * writes with write(2) and a server may reset the connection at any time.
 */
#ifndef RENEWD_PROBE_H
#define RENEWD_PROBE_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "inspect.h"

struct event_base;
struct probe_engine;

/*
 * What one address said. error examples: "connect: Connection refused",
 * "connect: timed out after 10s", "timed out after 10s during handshake",
 * "STARTTLS: unexpected reply: 554 ...", "TLS handshake failed: <reason>".
 */
struct addr_result {
	char		*address;	/* "192.0.2.10:443", "[2001:db8::1]:443";
					 * always set */
	char		*error;		/* why not, or NULL */
	char		*tls_version;	/* "TLSv1.3"; NULL (read as ""): no
					 * handshake */
	int64_t		 duration_ms;
	int		 ok;		/* a handshake completed, a leaf was seen */
	int		 has_cert;
	struct cert_obs	 cert;
};

/* (A pointer added here needs a copy in result_pool_keep().) */

/* What one probe of one target found. The strings of a result from the
 * engine are allocated on their own (target_result_free); a state's kept
 * copy packs them (state.h). */
struct target_result {
	const struct target_conf *conf;
	time_t			  started;	/* when the probe began */
	struct addr_result	 *addrs;
	size_t			  naddrs;
	char			 *error;	/* "resolve NAME: NXDOMAIN" (or "no
						 * addresses", "timed out", "server
						 * failure"), or NULL */
	unsigned		  problems;	/* union over addresses (their cert
						 * problems, unreachable: connect failed
						 * or timed out, handshake-failed), the
						 * inspect_target() bits, unreachable
						 * when resolution failed */
};

typedef void (*probe_done_cb)(struct target_result *, void *arg);

/* The engine copies what it needs from `cfg` (it is not kept). NULL when
 * TLS cannot be set up. */
struct probe_engine *probe_engine_new(struct event_base *,
		    const struct config *, X509_STORE *trust);
/* Replace the config (after a reload); probes in flight finish with the old. */
void		 probe_engine_set_config(struct probe_engine *, const struct config *);
/* Probe one target. `done` is called exactly once, from the loop (never
 * from inside probe_target), with a result the callee then owns (free with
 * target_result_free). `target` is used until then: keep the config it
 * belongs to alive until its probes are done (probe_engine_inflight()). */
int		 probe_target(struct probe_engine *, const struct target_conf *,
		    probe_done_cb done, void *arg);
/* Targets given to probe_target whose `done` has not been called yet. */
size_t		 probe_engine_inflight(const struct probe_engine *);
/* Cancel everything; no `done` is called. Not from a `done` callback. With
 * DNS lookups in flight it runs the loop once (EVLOOP_NONBLOCK) so that
 * libevent can release them; call it after the loop has returned. */
void		 probe_engine_free(struct probe_engine *);
void		 target_result_free(struct target_result *);

/*
 * Somewhere to keep many results for long (renewd --once keeps every
 * target's until it prints them all). A result is some twenty small
 * allocations made while other handshakes' short-lived ones are live; kept
 * as they are, 10,000 of them riddle the heap with holes that malloc then
 * walks on every call, costing more CPU than the results' own work. The
 * pool copies each result into large blocks of its own instead.
 */
struct result_pool;

struct result_pool *result_pool_new(void);
/* Take `res` (freed here) and return its copy in the pool, valid until
 * result_pool_free(); never target_result_free() it. */
const struct target_result *result_pool_keep(struct result_pool *,
		    struct target_result *res);
void		 result_pool_free(struct result_pool *);

#endif
