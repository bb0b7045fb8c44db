/*
 * term.h — terminal decisions shared by renewd and renewctl
 * (src/common/term.c).
 */
#ifndef RENEWD_TERM_H
#define RENEWD_TERM_H

#include <stdio.h>

/* Colour only on a terminal, never with NO_COLOR set or TERM unset/dumb. */
int	term_want_color(FILE *);

#endif
