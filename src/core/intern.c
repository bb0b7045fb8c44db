/*
 * intern.c — shared strings (intern.h): an open-addressing hash set with
 * linear probing (no tombstones: a removal shifts the entries after it
 * back), kept at most half full. Each entry is one allocation holding the
 * count, the hash and the text, so an interned string costs one header
 * however many hold it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "util.h"

struct istr {
	size_t		 refs;
	uint64_t	 hash;
	char		 s[];
};

static struct istr	**intern_slots;
static size_t		  intern_cap;	/* a power of 2, or 0 */
static size_t		  intern_n;

/* FNV-1a, 64 bits. */
static uint64_t
intern_hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static struct istr *
intern_entry(const char *s)
{
	return (struct istr *)(void *)(s - offsetof(struct istr, s));
}

static void
intern_grow(void)
{
	struct istr **old = intern_slots;
	size_t oldcap = intern_cap;

	intern_cap = oldcap > 0 ? oldcap * 2 : 64;
	intern_slots = xcalloc(intern_cap, sizeof(*intern_slots));
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i] == NULL)
			continue;
		for (j = old[i]->hash & (intern_cap - 1); intern_slots[j] != NULL;
		    j = (j + 1) & (intern_cap - 1))
			;
		intern_slots[j] = old[i];
	}
	free(old);
}

const char *
intern_get(const char *s)
{
	struct istr *e;
	uint64_t h;
	size_t i, len;

	if (s == NULL)
		return NULL;
	if ((intern_n + 1) * 2 > intern_cap)
		intern_grow();
	h = intern_hash(s);
	for (i = h & (intern_cap - 1); (e = intern_slots[i]) != NULL;
	    i = (i + 1) & (intern_cap - 1))
		if (e->hash == h && strcmp(e->s, s) == 0) {
			e->refs++;
			return e->s;
		}
	len = strlen(s);
	e = xmalloc(sizeof(*e) + len + 1);
	e->refs = 1;
	e->hash = h;
	memcpy(e->s, s, len + 1);
	intern_slots[i] = e;
	intern_n++;
	return e->s;
}

void
intern_put(const char *s)
{
	struct istr *e;
	size_t i, j, home, mask = intern_cap - 1;

	if (s == NULL)
		return;
	e = intern_entry(s);
	if (--e->refs > 0)
		return;
	for (i = e->hash & mask; intern_slots[i] != e; i = (i + 1) & mask)
		;
	intern_slots[i] = NULL;
	intern_n--;
	free(e);
	/* Move back the entries of the run after the hole that may not stay
	 * behind it (their home slot is not cyclically in (i, j]). */
	for (j = (i + 1) & mask; intern_slots[j] != NULL; j = (j + 1) & mask) {
		home = intern_slots[j]->hash & mask;
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		intern_slots[i] = intern_slots[j];
		intern_slots[j] = NULL;
		i = j;
	}
}

size_t
intern_count(void)
{
	return intern_n;
}
