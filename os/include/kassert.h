/**
 * @file kassert.h
 * @brief KASSERT(cond): a condition that only a bug in the kernel can break.
 *
 * For what the kernel itself guarantees (a fresh allocation can be handed
 * to a holder; a block the allocator just made has room for its header),
 * never for anything typed or passed in: bad input is an error value, not
 * an assertion. The condition is always evaluated (there is no NDEBUG), so
 * it may be the call whose result it checks.
 *
 * In the kernel a false condition panics with "file:line: assertion failed:
 * cond". In a hosted build (the host tests and fuzzers, where the C library
 * exists: __STDC_HOSTED__ is 1, while the kernel is built -ffreestanding)
 * it prints the same line on stderr and aborts, as assert() does.
 */
#ifndef PAGODA_KASSERT_H
#define PAGODA_KASSERT_H

#if __STDC_HOSTED__
#include <stdio.h>
#include <stdlib.h>
/** @brief Report a broken kernel assertion and abort (hosted builds). */
#define KASSERT_FAIL(text) (fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, \
				    __LINE__, text), abort())
#else
#include "kprintf.h"
/** @brief Report a broken kernel assertion and panic (the kernel). */
#define KASSERT_FAIL(text) panic("%s:%d: assertion failed: %s", __FILE__, __LINE__, text)
#endif

/** @brief Stop the kernel (abort on the host) if @p cond is false: a kernel bug. */
#define KASSERT(cond)                    \
	do {                             \
		if (!(cond))             \
			KASSERT_FAIL(#cond); \
	} while (0)

#endif
