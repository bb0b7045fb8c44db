/*
 * schedule.h — when to probe a target next (src/core/schedule.c). Pure.
 */
#ifndef RENEWD_SCHEDULE_H
#define RENEWD_SCHEDULE_H

#include <stdint.h>
#include <time.h>

/* While a renewal is applied/issued, look at least this often so the new
 * certificate is noticed the same day. */
#define SCHEDULE_RENEWING_INTERVAL	3600
/* Failed probes retry after 1, 2, 4 ... minutes, capped here (and by the
 * poll interval). */
#define SCHEDULE_RETRY_MIN		60
#define SCHEDULE_RETRY_MAX		3600

/* A stable pseudo-random value in [0, 1) for (name, salt): spreads targets
 * over the interval without a random source, identically across restarts. */
double	 schedule_jitter_unit(const char *name, uint64_t salt);
/*
 * The next probe of `name` after a probe at `last`:
 *   success: last + interval (1 h while renewing), minus up to 10 % jitter;
 *   failure number `failures` (1, 2, ...): exponential backoff from 1 min,
 *   capped at min(interval, 1 h), plus up to 10 % jitter.
 * Never earlier than `now`.
 */
time_t	 schedule_next_probe(const char *name, time_t last, time_t now,
	    int64_t interval, int renewing, unsigned failures);
/* The first probe after start-up: at once when never probed (last == 0) or
 * overdue, else when the normal schedule says. */
time_t	 schedule_first_probe(const char *name, time_t last, time_t now,
	    int64_t interval, int renewing);

#endif
