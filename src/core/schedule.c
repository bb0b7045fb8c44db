/*
 * schedule.c — probe timing: the poll interval with a stable per-target
 * jitter, an hourly look while a renewal is in progress, and exponential
 * backoff after failures.
 */
#include <string.h>

#include "schedule.h"

/* FNV-1a, then a final avalanche, over the name and the salt. */
double
schedule_jitter_unit(const char *name, uint64_t salt)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	h ^= salt;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (double)(h >> 11) / (double)(1ULL << 53);
}

static int64_t
schedule_period(int64_t interval, int renewing)
{
	if (interval < 1)
		interval = 1;
	if (renewing && interval > SCHEDULE_RENEWING_INTERVAL)
		interval = SCHEDULE_RENEWING_INTERVAL;
	return interval;
}

time_t
schedule_next_probe(const char *name, time_t last, time_t now,
    int64_t interval, int renewing, unsigned failures)
{
	int64_t period = schedule_period(interval, renewing);
	int64_t delay;
	double j = schedule_jitter_unit(name, (uint64_t)last);
	time_t next;

	if (failures == 0) {
		delay = period - (int64_t)(j * 0.1 * (double)period);
	} else {
		int64_t cap = period < SCHEDULE_RETRY_MAX ?
		    period : SCHEDULE_RETRY_MAX;
		unsigned shift = failures - 1 > 20 ? 20 : failures - 1;

		delay = (int64_t)SCHEDULE_RETRY_MIN << shift;
		if (delay > cap)
			delay = cap;
		delay += (int64_t)(j * 0.1 * (double)delay);
	}
	if (delay < 1)
		delay = 1;
	next = last + (time_t)delay;
	return next < now ? now : next;
}

time_t
schedule_first_probe(const char *name, time_t last, time_t now,
    int64_t interval, int renewing)
{
	if (last <= 0 || last > now)
		return now;
	return schedule_next_probe(name, last, now, interval, renewing, 0);
}
