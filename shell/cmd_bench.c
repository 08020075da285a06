/**
 * @file cmd_bench.c
 * @brief bench: the page manager's hot paths timed in the kernel, one line
 *        per workload, to compare with `make bench` on the host.
 */
#include "arch.h"
#include "bench_cpus.h"
#include "commands.h"
#include "cpus.h"
#include "kprintf.h"
#include "kstring.h"
#include "pmm.h"
#include "pmm_bench.h"
#include "spinlock.h"

#define DEFAULT_PAIRS 10000
#define MAX_PAIRS 100000000ull

/* One run of bench -j, with the page caches @on or off: a line of results. */
static int bench_cpus_line(unsigned cpus, size_t pairs, int on)
{
	static struct bench_cpus_result r[ARCH_MAX_CPUS];
	const struct spinlock *lock = &pmm_lock;
	uint64_t acquires = lock->acquires, failed = lock->failed_spins;
	pmm_pcp_set(on);
	int err = bench_cpus_run(cpus, pairs, r);
	acquires = lock->acquires - acquires;
	failed = lock->failed_spins - failed;
	if (err) {
		for (unsigned i = 0; i < cpus; i++)
			if (r[i].failed)
				shell_error("bench: cpu%u: a single-page alloc or free failed", i);
		return -1;
	}
	uint64_t all = 0;
	kprintf("bench: pcp %s:", on ? "on" : "off");
	for (unsigned i = 0; i < cpus; i++) {
		uint64_t per_s = r[i].ns ? r[i].pairs * 1000000000ull / r[i].ns : 0;
		all += per_s;
		kprintf(" cpu%u %lu,", i, (unsigned long)per_s);
	}
	kprintf(" all %lu pairs/s; pmm lock %lu acquire%s, %lu failed spin%s\n", (unsigned long)all,
		(unsigned long)acquires, plural(acquires), (unsigned long)failed, plural(failed));
	return 0;
}

/* bench -j <cpus> [pairs]: single pages on that many CPUs at once, with
 * the page caches off, then on; they are left as they were found. */
static void bench_cpus(int argc, char **argv)
{
	uint64_t cpus, pairs = DEFAULT_PAIRS;
	if (argc < 3) {
		shell_usage("bench");
		return;
	}
	if (!parse_number(argv[2], &cpus) || cpus == 0 || cpus > ARCH_MAX_CPUS) {
		shell_error("'%s' is not a number of CPUs from 1 to %u", argv[2], ARCH_MAX_CPUS);
		return;
	}
	if (argc == 4 && (!parse_number(argv[3], &pairs) || pairs == 0 || pairs > MAX_PAIRS)) {
		shell_error("'%s' is not a number of pairs from 1 to %llu", argv[3], MAX_PAIRS);
		return;
	}
	if (!shell_cpus_ready("bench", (unsigned)cpus))
		return;
	if (pmm_poison_enabled()) {
		shell_error("poisoning is on and would be timed too: 'poison off' first");
		return;
	}
	int was_on = pmm_pcp_enabled();
	kprintf("bench: %lu CPU%s, %lu single-page alloc+free pairs each, page caches off then "
		"on\n", (unsigned long)cpus, plural(cpus), (unsigned long)pairs);
	int err = bench_cpus_line((unsigned)cpus, (size_t)pairs, 0);
	if (err == 0)
		err = bench_cpus_line((unsigned)cpus, (size_t)pairs, 1);
	pmm_pcp_set(was_on);
	if (err == 0)
		kprintf("bench: ok, the page manager is as it was (pcp %s)\n", was_on ? "on" : "off");
	else if (shell_interrupted())
		shell_error("bench interrupted; the page manager is as it was");
}

void cmd_bench(int argc, char **argv)
{
	uint64_t pairs = DEFAULT_PAIRS;
	struct pmm_bench_result r[PMM_BENCH_WORKLOADS];
	size_t pool;

	if (argc > 1 && strcmp(argv[1], "-j") == 0) {
		bench_cpus(argc, argv);
		return;
	}
	if (argc == 3) {
		shell_usage("bench");
		return;
	}
	if (argc == 2 && (!parse_number(argv[1], &pairs) || pairs == 0 || pairs > MAX_PAIRS)) {
		shell_error("'%s' is not a number of pairs from 1 to %llu", argv[1], MAX_PAIRS);
		return;
	}
	if (pmm_poison_enabled()) {
		shell_error("poisoning is on and would be timed too: 'poison off' first");
		return;
	}
	/* The workloads time the buddy lists, and set their pool aside block
	 * by block: a cache refilling in the middle would take from the pool.
	 * Off for the run (their pages go back), then as they were. */
	int caches_were_on = pmm_pcp_enabled();
	pmm_pcp_set(0);
	int err = pmm_bench_run((size_t)pairs, arch_time_ns, r, &pool);
	pmm_pcp_set(caches_were_on);
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
