/*
 * util.h — small helpers shared by every part of renewd: allocation that
 * cannot fail silently, bounded string copies, growable string lists.
 * Pure: no I/O. Allocation failure aborts (there is nothing sane to do).
 */
#ifndef RENEWD_UTIL_H
#define RENEWD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* Copy with truncation, always NUL-terminated; returns strlen(src). */
size_t	 rd_strlcpy(char *, const char *, size_t);
/* Case-insensitive ASCII comparison. */
int	 rd_strcaseeq(const char *, const char *);
/* Trim ASCII white space at both ends, in place; returns its argument. */
char	*rd_trim(char *);

/* A growable list of owned strings. Zero-initialise to start. */
struct strlist {
	char	**v;
	size_t	  n;
	size_t	  cap;
};
void	 strlist_add(struct strlist *, const char *);	/* copies */
void	 strlist_add_owned(struct strlist *, char *);	/* takes ownership */
int	 strlist_contains(const struct strlist *, const char *);
int	 strlist_contains_case(const struct strlist *, const char *);
void	 strlist_copy(struct strlist *dst, const struct strlist *src);
void	 strlist_free(struct strlist *);
/* Split a comma-separated list, trimming each item; empty items are skipped. */
void	 strlist_split(struct strlist *, const char *);

/* A growable byte buffer, always NUL-terminated. Zero-initialise to start. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*buf_steal(struct buf *);	/* returns data (never NULL), resets */
void	 buf_free(struct buf *);

/*
 * The length of the valid UTF-8 sequence at s, n >= 1 bytes left (a
 * NUL-terminated string may pass 4: a NUL ends a sequence): 1 for ASCII;
 * 0 when invalid, cut short, overlong, a surrogate or above U+10FFFF.
 * UTF8_IS_C1: such a sequence of `len` bytes is a C1 control (U+0080..9F).
 */
size_t	 utf8_len(const unsigned char *s, size_t n);
#define UTF8_IS_C1(s, len)	((len) == 2 && (s)[0] == 0xc2 && (s)[1] <= 0x9f)

/*
 * Replace control characters (C0, DEL, C1 in UTF-8) and invalid UTF-8 in text
 * that came from the outside (certificates, servers) so that it can reach a
 * terminal, a log or a mail body safely. Valid UTF-8 (e.g. Japanese) is kept.
 * Returns a newly allocated string.
 */
char	*rd_sanitize(const char *, size_t);

#endif
