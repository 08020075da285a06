/**
 * @file stress.h
 * @brief A seeded random workout of every memory layer, run inside the
 *        kernel (the shell's `stress` command).
 *
 * It mixes contiguous, single-page and scattered allocations, kmalloc and
 * kfree, and map/unmap in the demonstration window, writes a pattern into
 * everything it holds and checks it before giving it back, runs every
 * invariant checker every STRESS_CHECK_EVERY operations, and at the end
 * gives everything back, so memory is exactly as it was found.
 */
#ifndef PAGODA_STRESS_H
#define PAGODA_STRESS_H

#include <stddef.h>
#include <stdint.h>

#define STRESS_CHECK_EVERY 1000 /**< operations between two full checks */
#define STRESS_REPORT_EVERY 64  /**< operations between two progress reports */

/** @brief What a stress run did, and the first thing that went wrong. */
struct stress_result {
	size_t ops;           /**< operations done */
	size_t checks;        /**< full checks run */
	size_t peak_used;     /**< most pages in use at once (all owners) */
	uint64_t ns;          /**< time taken */
	int interrupted;      /**< stopped by the progress handler (Ctrl-C) */
	const char *failure;  /**< NULL if all went well, else what broke */
	size_t failed_at;     /**< the operation after which it was found */
	uintptr_t where;      /**< an address involved, or 0 */
};

/**
 * @brief Run @p ops random operations drawn from @p seed, 1 or more
 *        (xorshift has no seed 0: seed 0 is refused, nothing runs).
 * @return 0 if every check passed and memory was returned exactly, -1 otherwise
 */
int stress_run(size_t ops, uint64_t seed, struct stress_result *result);

#endif
