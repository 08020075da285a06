/**
 * @file pmm_bench.h
 * @brief The page manager's hot paths timed inside the kernel (the shell's
 *        `bench` command), to set beside `make bench`'s host figures.
 *
 * The workloads run in a pool of one or two free 1 MiB blocks: the lowest
 * two adjacent ones, else the lowest one. Every other free block is taken
 * aside first (allocated, smallest order first, list heads first), so the
 * pool is all that is free, fully merged, as in the host benchmark. At the
 * end the pool is taken again and everything taken is freed in the reverse
 * order, which puts every block back on its list at its old place: the page
 * manager is exactly as it was.
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
	uint64_t ns;      /**< time they took, by the caller's clock */
};

/**
 * @brief Run each workload @p pairs times.
 *
 * order0-hot: one page is held, so each pair takes and puts back its buddy
 * (no split, no merge); order3-hot: the same with 8 pages; order0-cold:
 * nothing held, each page splits a 1 MiB block 8 times and merges it back;
 * run512: 512 pages, the large path (the lowest run of free pages, found by
 * walking the blocks below it), skipped if no two free 1 MiB blocks are
 * adjacent.
 * Poisoning must be off (it would be timed too). Progress is reported as
 * "bench" (progress.h); if the handler says stop, everything is put back.
 * @param pairs how many times each workload runs, at least 1
 * @param now_ns the clock to time them with (the kernel's arch_time_ns)
 * @param results receives each workload's figures, in the order above
 * @param pool_blocks receives the number of 1 MiB blocks in the pool (1 or 2)
 * @return PMM_OK; PMM_ERR_INVALID (poisoning is on, @p pairs is 0, no clock);
 *         PMM_ERR_NO_MEMORY (no free 1 MiB block); PMM_ERR_INTERRUPTED;
 *         memory is as it was in every case
 */
int pmm_bench_run(size_t pairs, uint64_t (*now_ns)(void),
		  struct pmm_bench_result results[PMM_BENCH_WORKLOADS], size_t *pool_blocks);

#endif
