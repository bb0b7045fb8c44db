/*
 * renewd.h — the daemon's own modes (src/renewd/).
 */
#ifndef RENEWD_RENEWD_H
#define RENEWD_RENEWD_H

#include "config.h"

#define RENEWD_CA_FILE_MAX	(64u * 1024 * 1024)

/* once.c: probe every target once, print the report; returns the exit code
 * (0 OK, 1 warning, 2 critical, 3 unknown). */
int	once_run(const struct config *, int json);

#endif
