/*
 * probe.h — the probe engine (src/renewd/probe.c): asynchronous DNS, connect,
 * optional STARTTLS, TLS handshake with SNI, all on one libevent loop; the
 * served chain goes to inspect_chain(). Nothing here blocks.
 */
#ifndef RENEWD_PROBE_H
#define RENEWD_PROBE_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "inspect.h"

struct event_base;
struct probe_engine;

/* What one address said. */
struct addr_result {
	char		 address[64];	/* "192.0.2.10:443", "[2001:db8::1]:443" */
	int		 ok;		/* a handshake completed, a leaf was seen */
	char		*error;		/* why not, or NULL */
	char		 tls_version[16];	/* "TLSv1.3" */
	int64_t		 duration_ms;
	int		 has_cert;
	struct cert_obs	 cert;
};

/* What one probe of one target found. */
struct target_result {
	const struct target_conf *conf;
	time_t			  started;	/* when the probe began */
	struct addr_result	 *addrs;
	size_t			  naddrs;
	char			 *error;	/* resolution failed etc., or NULL */
	unsigned		  problems;	/* union over addresses + target checks */
};

typedef void (*probe_done_cb)(struct target_result *, void *arg);

struct probe_engine *probe_engine_new(struct event_base *,
		    const struct config *, X509_STORE *trust);
/* Replace the config (after a reload); probes in flight finish with the old. */
void		 probe_engine_set_config(struct probe_engine *, const struct config *);
/* Probe one target. `done` is called exactly once, from the loop, with a
 * result the callee then owns (free with target_result_free). */
int		 probe_target(struct probe_engine *, const struct target_conf *,
		    probe_done_cb done, void *arg);
size_t		 probe_engine_inflight(const struct probe_engine *);
void		 probe_engine_free(struct probe_engine *);
void		 target_result_free(struct target_result *);

#endif
