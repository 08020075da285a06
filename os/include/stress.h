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
 *
 * A run can be shared by several CPUs at once (`stress -j n`): each does
 * the same number of operations from its own seed (seed + its number),
 * holding its own things and mapping in a window of its own, while the
 * locks keep the shared structures whole. The checks at the end are made
 * once all have finished.
 */
#ifndef PAGODA_STRESS_H
#define PAGODA_STRESS_H

#include <stddef.h>
#include <stdint.h>

#define STRESS_CHECK_EVERY 1000 /**< operations between two full checks */
#define STRESS_REPORT_EVERY 64  /**< operations between two progress reports */

/** @brief What one CPU's share of a stress run did, and the first thing that went wrong. */
struct stress_result {
	size_t ops;           /**< operations done */
	size_t checks;        /**< full checks run */
	size_t peak_used;     /**< most pages in use at once (all owners, all CPUs) */
	uint64_t ns;          /**< time taken (CPU 0's: the whole run, to its last check) */
	int interrupted;      /**< stopped by the progress handler (Ctrl-C) */
	const char *failure;  /**< NULL if all went well, else what broke */
	size_t failed_at;     /**< the operation after which it was found */
	uintptr_t where;      /**< an address involved, or 0 */
};

/**
 * @brief Run @p ops random operations on each of CPUs 0 to @p cpus - 1
 *        (the caller is CPU 0; the others must be parked), CPU i drawing
 *        from seed @p seed + i, 1 or more (xorshift has no seed 0: seed 0 is
 *        refused, nothing runs). @p results has room for @p cpus.
 * @return 0 if every check passed and memory was returned exactly, -1 otherwise
 */
int stress_run(unsigned cpus, size_t ops, uint64_t seed, struct stress_result *results);

#endif
