/*
 * when.h — dates and times written the readable way in the tests
 * (tests/unit/support/when.c). A string that does not parse fails the test.
 */
#ifndef RENEWD_TEST_WHEN_H
#define RENEWD_TEST_WHEN_H

#include <time.h>

/* A Japan date "YYYY-MM-DD" as a day number. */
int	D(const char *);
/* An ISO 8601 time (a bare one is Japan time) as an instant. */
time_t	T(const char *);

#endif
