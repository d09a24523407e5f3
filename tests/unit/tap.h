/*
 * tap.h: a few macros that print TAP, for the unit test programs.
 * plan(n) first; ok(cond, name...); is_str/is_num compare and show both
 * values on failure; done() returns the exit status for main (1 when a
 * check failed or the number run is not the number planned).
 */
#ifndef TAP_H
#define TAP_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail, tap_planned = -1;

#define plan(n) (setvbuf(stdout, NULL, _IOLBF, 0), tap_planned = (n), printf("1..%d\n", (n)))

#define ok(cond, ...) do { \
	int ok_ = (cond) ? 1 : 0; \
	printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_) { \
		tap_fail++; \
		printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
	} \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	ok(same_, __VA_ARGS__); \
	if (!same_) \
		printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define is_num(got, want, ...) do { \
	double g_ = (got), w_ = (want); \
	int same_ = g_ == w_ || (isnan(g_) && isnan(w_)); \
	ok(same_, __VA_ARGS__); \
	if (!same_) \
		printf("#   got:  %.17g\n#   want: %.17g\n", g_, w_); \
} while (0)

#define near(got, want, tol, ...) do { \
	double g_ = (got), w_ = (want); \
	int same_ = fabs(g_ - w_) <= (tol); \
	ok(same_, __VA_ARGS__); \
	if (!same_) \
		printf("#   got:  %.17g\n#   want: %.17g (+-%g)\n", g_, w_, (double)(tol)); \
} while (0)

/* A program that ran other than the tests it planned fails here too, not
 * only under prove: a check skipped by a branch is a check that cannot fail. */
#define done() (tap_planned >= 0 && tap_n != tap_planned ? \
	(printf("# planned %d tests, ran %d\n", tap_planned, tap_n), fflush(stdout), 1) : \
	(fflush(stdout), tap_fail ? 1 : 0))

#endif
