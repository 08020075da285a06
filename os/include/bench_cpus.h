/**
 * @file bench_cpus.h
 * @brief Single pages allocated and freed on several CPUs at once: how the
 *        page manager's lock, and the per-CPU page caches, scale (the
 *        shell's `bench -j`).
 */
#ifndef PAGODA_BENCH_CPUS_H
#define PAGODA_BENCH_CPUS_H

#include <stddef.h>
#include <stdint.h>

/** @brief What one CPU did. */
struct bench_cpus_result {
	size_t pairs; /**< alloc+free pairs done */
	uint64_t ns;  /**< time it took them */
	int failed;   /**< an allocation or a free failed */
};

/**
 * @brief @p pairs single-page alloc+free pairs (each page written once) on
 *        each of CPUs 0 to @p cpus - 1 at once; the caller is CPU 0, the
 *        others must be parked. CPU 0 reports progress; stopped, every CPU
 *        ends its pair and stops. @p results has room for @p cpus.
 * @return 0, or -1 if a CPU failed or the run was stopped
 */
int bench_cpus_run(unsigned cpus, size_t pairs, struct bench_cpus_result *results);

#endif
