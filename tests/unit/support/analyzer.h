/*
 * Read by scripts/check-static only (clang-tidy's -include for the unit
 * tests): cmocka 1.1.5 does not declare _fail(), which fail() and
 * fail_msg() call, as not returning, though it longjmps out of the test.
 * Said here, the analyzer stops following a test past a failed check
 * (a NULL that was just reported, then dereferenced).
 */
#ifndef ANALYZER_H
#define ANALYZER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* NOLINTNEXTLINE(readability-redundant-declaration): the point */
void	_fail(const char * const, const int) __attribute__((noreturn));

#endif
