/**
 * @file labhost.h
 * @brief The command line every lab's host test program shares:
 *        `<program> <test> <seed>`, its last line `ok` or a failure,
 *        and the observations the class grader judges.
 *
 * A host test program links the student's code, so the student's code runs
 * in its process and can print anything, `ok` included. `make grade` trusts
 * the last line (a student only fools themself); the class grader
 * (tools/grade-class) trusts none of it: it reads the `obs: ` lines, the
 * values the test saw the student's code produce, and compares them with
 * the lines the reference solution gives for the same test and seed
 * (tools/lab/observations.py). To pass there, code must produce every
 * observed value right, which is the lab's work.
 */
#ifndef PAGODA_LABHOST_H
#define PAGODA_LABHOST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** @brief One test of a host program: its name on the command line. */
struct lab_test {
	const char *name;  /**< as the grader names it */
	void (*run)(void); /**< fails by printing `FAIL: ...` and exiting */
};

/**
 * @brief Read `<test> <seed>` from the command line.
 * @return the test named, with @p seed set; NULL (after saying why on
 *         stderr) for a wrong command line or an unknown test
 */
static inline const struct lab_test *lab_test_chosen(int argc, char **argv,
						     const struct lab_test *tests, size_t n,
						     uint64_t *seed)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s <test> <seed>\n", argv[0]);
		return NULL;
	}
	*seed = strtoull(argv[2], NULL, 10);
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], tests[i].name) == 0)
			return &tests[i];
	fprintf(stderr, "no test '%s'\n", argv[1]);
	return NULL;
}

/**
 * @brief Report one value the test saw the student's code produce: a line
 *        `obs: <text>` on standard output.
 *
 * Observe the value itself (a return value, a field, a list in order), not
 * whether it was right: the class grader judges the values. The text must
 * be the same on every run and machine for the same seed: offsets from the
 * test's own memory or page indexes, never a host address.
 */
static inline void __attribute__((format(printf, 1, 2))) lab_observe(const char *fmt, ...)
{
	va_list ap;
	fputs("obs: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/**
 * @brief The end of a test that saw everything it expected: the last
 *        observation (`obs: end`) and the last line, `ok`.
 */
static inline void lab_test_passed(void)
{
	lab_observe("end");
	printf("ok\n");
	fflush(stdout);
}

#endif
