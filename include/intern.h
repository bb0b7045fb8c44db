/*
 * intern.h — one shared, reference-counted copy of each distinct string
 * (src/core/intern.c), for text that many targets hold alike: the issuer,
 * chain and subject of their certificates (the same few CAs, and often
 * the same certificate on many names). The observations a state keeps
 * (state.c) hold their strings this way.
 *
 * A string from intern_get() must not be changed and is released with
 * intern_put() once per get. Not for use by two threads at once (the
 * daemon's states live on its event loop).
 */
#ifndef RENEWD_INTERN_H
#define RENEWD_INTERN_H

#include <stddef.h>

/* The shared copy of `s` (NULL: NULL), one more reference to it. */
const char	*intern_get(const char *s);
/* One reference fewer (NULL: nothing); freed with the last one. */
void		 intern_put(const char *s);
/* Distinct strings held (tests, statistics). */
size_t		 intern_count(void);

#endif
