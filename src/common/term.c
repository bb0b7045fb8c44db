/*
 * term.c — whether output may carry colour.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "term.h"

int
term_want_color(FILE *f)
{
	const char *term = getenv("TERM");

	if (getenv("NO_COLOR") != NULL)
		return 0;
	if (term == NULL || strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}
