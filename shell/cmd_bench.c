/**
 * @file cmd_bench.c
 * @brief bench: the page manager's hot paths timed in the kernel, one line
 *        per workload, to compare with `make bench` on the host.
 */
#include "arch.h"
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "pmm_bench.h"

#define DEFAULT_PAIRS 10000
#define MAX_PAIRS 100000000ull

void cmd_bench(int argc, char **argv)
{
	uint64_t pairs = DEFAULT_PAIRS;
	struct pmm_bench_result r[PMM_BENCH_WORKLOADS];
	size_t pool;

	if (argc == 2 && (!parse_number(argv[1], &pairs) || pairs == 0 || pairs > MAX_PAIRS)) {
		shell_error("'%s' is not a number of pairs from 1 to %llu", argv[1], MAX_PAIRS);
		return;
	}
	if (pmm_poison_enabled()) {
		shell_error("poisoning is on and would be timed too: 'poison off' first");
		return;
	}
	int err = pmm_bench_run((size_t)pairs, arch_time_ns, r, &pool);
	if (err == PMM_ERR_NO_MEMORY) {
		shell_error("bench needs a free 1 MiB block and there is none");
		return;
	}
	if (err == PMM_ERR_INTERRUPTED) {
		shell_error("bench interrupted; the page manager is as it was");
		return;
	}
	if (err != PMM_OK) {
		shell_error("bench: %s", pmm_strerror(err));
		return;
	}
	kprintf("bench: %lu alloc+free pairs per workload, pool of %lu free 1 MiB block%s\n",
		(unsigned long)pairs, (unsigned long)pool, plural(pool));
	for (unsigned i = 0; i < PMM_BENCH_WORKLOADS; i++) {
		if (r[i].pairs == 0) {
			kprintf("bench: %s skipped: no two adjacent free 1 MiB blocks\n", r[i].name);
			continue;
		}
		/* ns per pair with one decimal, in integers */
		uint64_t tenths = r[i].ns * 10 / r[i].pairs;
		kprintf("bench: %s %lu pairs in %lu ns: %lu.%lu ns/op\n", r[i].name,
			(unsigned long)r[i].pairs, (unsigned long)r[i].ns,
			(unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
	}
	kprintf("bench: ok, the page manager is as it was\n");
}
