/**
 * @file labhost.h
 * @brief The command line every lab's host test program shares:
 *        `<program> <test> <seed>`, its last line `ok` or a failure.
 */
#ifndef PAGODA_LABHOST_H
#define PAGODA_LABHOST_H

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

#endif
