/**
 * @file pmm_bench.h
 * @brief The page manager's hot paths timed inside the kernel (the shell's
 *        `bench` command), to set beside `make bench`'s host figures.
 *
 * It first takes every free block aside (allocating them, smallest order
 * first, list heads first), so the lists below order 8 are empty as in the
 * host benchmark's fully merged pool; it gives a few free 1 MiB blocks back
 * as the pool the workloads use; and at the end it takes the pool again and
 * frees everything it took in the reverse order, which puts every block back
 * on its list at its old place: the page manager is exactly as it was.
 */
#ifndef PAGODA_PMM_BENCH_H
#define PAGODA_PMM_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define PMM_BENCH_WORKLOADS 4 /**< order0-hot, order3-hot, order0-cold, run512 */

/** @brief The time one workload took. */
struct pmm_bench_result {
	const char *name; /**< the workload, named as `make bench` names it */
	size_t pairs;     /**< allocation + free pairs done; 0 if skipped */
	uint64_t ns;      /**< time they took (arch_time_ns) */
};

/**
 * @brief Run each workload @p pairs times.
 *
 * order0-hot: one page is held, so each pair takes and puts back its buddy
 * (no split, no merge); order3-hot: the same with 8 pages; order0-cold:
 * nothing held, each page splits a 1 MiB block 8 times and merges it back;
 * run512: 512 pages, the large path (lowest run of free pages), skipped if
 * the pool has no two adjacent 1 MiB blocks.
 * Poisoning must be off (it would be timed too). Progress is reported as
 * "bench" (progress.h); if the handler says stop, everything is put back.
 * @param pool_blocks receives the number of 1 MiB blocks in the pool
 * @return PMM_OK; PMM_ERR_INVALID (poisoning is on, or @p pairs is 0);
 *         PMM_ERR_NO_MEMORY (no free 1 MiB block); PMM_ERR_INTERRUPTED;
 *         memory is as it was in every case
 */
int pmm_bench_run(size_t pairs, struct pmm_bench_result results[PMM_BENCH_WORKLOADS],
		  size_t *pool_blocks);

#endif
