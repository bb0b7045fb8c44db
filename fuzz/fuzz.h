/*
 * fuzz.h — what every libFuzzer harness under fuzz/ shares: the entry points
 * (declared here so that -Wmissing-prototypes holds) and a few helpers for
 * turning the fuzzer's bytes into the shapes the parsers take.
 *
 * A harness calls FUZZ_CHECK(cond) for each invariant it asserts: a failed
 * check prints the condition and aborts, which libFuzzer reports as a crash
 * and saves the input. See fuzz/README.md.
 */
#ifndef RENEWD_FUZZ_H
#define RENEWD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Whether s has no C0 control byte and no DEL: what every message the
 * parsers make (errors, reasons) must be, to reach a log or a terminal. */
static inline int
fuzz_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Bytes handed out from the front of the input, one field at a time. */
struct fuzz_input {
	const uint8_t	*p;
	size_t		 len;
};

/* One byte (0 once the input is used up). */
static inline uint8_t
fuzz_byte(struct fuzz_input *in)
{
	uint8_t b;

	if (in->len == 0)
		return 0;
	b = in->p[0];
	in->p++;
	in->len--;
	return b;
}

/* Up to `max` bytes (fewer at the end of the input); returns how many. */
static inline size_t
fuzz_take(struct fuzz_input *in, size_t max, const uint8_t **out)
{
	size_t n = max < in->len ? max : in->len;

	*out = in->p;
	in->p += n;
	in->len -= n;
	return n;
}

/* A NUL-terminated copy of `len` bytes (which may hold NUL bytes: the C
 * string then ends at the first). Caller frees. */
static inline char *
fuzz_strndup(const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* The next string: the bytes up to a NUL (or the end), the NUL consumed.
 * Lets one input carry several strings: "a\0b\0c". Caller frees. */
static inline char *
fuzz_next_string(struct fuzz_input *in)
{
	const uint8_t *nul;
	size_t n;
	char *s;

	if (in->len == 0)
		return fuzz_strndup(NULL, 0);
	nul = memchr(in->p, '\0', in->len);
	n = nul != NULL ? (size_t)(nul - in->p) : in->len;
	s = fuzz_strndup(in->p, n);

	in->p += n;
	in->len -= n;
	if (in->len > 0) {
		in->p++;
		in->len--;
	}
	return s;
}

#endif
