/*
 * log.h — the one logging family of renewd and renewctl (src/common/log.c).
 * log_warn appends strerror(errno); log_warnx does not. fatal/fatalx exit(1).
 * Daemon code logs with __func__ and returns -1; err()-style exits only in the
 * client or before start-up.
 */
#ifndef RENEWD_LOG_H
#define RENEWD_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int verbose);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
