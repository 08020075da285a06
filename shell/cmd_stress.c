/**
 * @file cmd_stress.c
 * @brief stress: a random workout of every memory layer, inside the kernel,
 *        on one CPU or on several at once (-j).
 */
#include "arch.h"
#include "commands.h"
#include "cpus.h"
#include "kprintf.h"
#include "kstring.h"
#include "spinlock.h"
#include "stress.h"

#define MAX_OPS 100000000ull
#define MAX_LOCKS 16 /* locks whose counters a run reports */

/* Each lock's counters before the run, to report what the run added. */
static struct lock_count {
	const struct spinlock *lock;
	uint64_t acquires, failed_spins;
} before[MAX_LOCKS];
static unsigned nr_before;

static void count_locks(void)
{
	nr_before = 0;
	for (const struct spinlock *l = spinlock_list(); l && nr_before < MAX_LOCKS; l = l->next)
		before[nr_before++] = (struct lock_count){ l, l->acquires, l->failed_spins };
}

/* What the run added to each lock's counters (a lock first taken in the run counts from 0). */
static void report_locks(void)
{
	for (const struct spinlock *l = spinlock_next(NULL); l; l = spinlock_next(l)) {
		uint64_t acquires = l->acquires, failed = l->failed_spins;
		for (unsigned i = 0; i < nr_before; i++)
			if (before[i].lock == l) {
				acquires -= before[i].acquires;
				failed -= before[i].failed_spins;
			}
		kprintf("stress: lock %s: %lu acquire%s, %lu failed spin%s\n", l->name,
			(unsigned long)acquires, plural(acquires), (unsigned long)failed, plural(failed));
	}
}

static void print_time(const char *who, const struct stress_result *r)
{
	uint64_t ms = r->ns / 1000000;
	kprintf("stress: %s%lu operation%s in %lu.%03lu s (%lu ops/s)", who, (unsigned long)r->ops,
		plural(r->ops), (unsigned long)(ms / 1000), (unsigned long)(ms % 1000),
		(unsigned long)(ms ? r->ops * 1000 / ms : r->ops));
}

void cmd_stress(int argc, char **argv)
{
	uint64_t ops, seed, cpus = 1;
	static struct stress_result r[ARCH_MAX_CPUS];

	if (strcmp(argv[1], "-j") == 0) {
		if (argc < 4) {
			shell_error("usage: stress -j <cpus> <operations> [seed]");
			return;
		}
		if (!parse_number(argv[2], &cpus) || cpus == 0 || cpus > ARCH_MAX_CPUS) {
			shell_error("'%s' is not a number of CPUs from 1 to %u", argv[2], ARCH_MAX_CPUS);
			return;
		}
		argc -= 2;
		argv += 2;
	} else if (argc == 4) {
		shell_error("usage: stress [-j <cpus>] <operations> [seed]");
		return;
	}
	if (!parse_number(argv[1], &ops) || ops == 0 || ops > MAX_OPS) {
		shell_error("'%s' is not a number of operations from 1 to %llu", argv[1], MAX_OPS);
		return;
	}
	if (argc == 3 && (!parse_number(argv[2], &seed) || seed == 0)) {
		/* The generator (xorshift) has no seed 0. */
		shell_error("'%s' is not a seed (a number from 1)", argv[2]);
		return;
	}
	if (!shell_cpus_ready("stress", (unsigned)cpus))
		return;
	if (argc == 2) /* a new run each time; printed to replay it */
		seed = arch_time_ns() % 1000000 + 1;
	if (cpus == 1)
		kprintf("stress: %lu operation%s, seed %lu (replay: stress %lu %lu)\n",
			(unsigned long)ops, plural(ops), (unsigned long)seed, (unsigned long)ops,
			(unsigned long)seed);
	else
		kprintf("stress: %lu CPUs, %lu operation%s each, seeds %lu to %lu (the same "
			"seeds: stress -j %lu %lu %lu; the CPUs interleave anew each run)\n",
			(unsigned long)cpus, (unsigned long)ops, plural(ops), (unsigned long)seed,
			(unsigned long)(seed + cpus - 1), (unsigned long)cpus, (unsigned long)ops,
			(unsigned long)seed);
	count_locks();
	stress_run((unsigned)cpus, (size_t)ops, seed, r);

	struct stress_result all = r[0];
	unsigned failed_cpu = 0; /* the first CPU whose share failed */
	for (unsigned i = 1; i < cpus; i++) {
		all.ops += r[i].ops;
		all.checks += r[i].checks;
		if (r[i].peak_used > all.peak_used)
			all.peak_used = r[i].peak_used;
		if (all.failure == NULL && r[i].failure) {
			all.failure = r[i].failure, all.failed_at = r[i].failed_at, all.where = r[i].where;
			failed_cpu = i;
		}
	}
	if (cpus > 1)
		for (unsigned i = 0; i < cpus; i++) {
			char who[16];
			ksnprintf(who, sizeof(who), "cpu%u: ", i);
			print_time(who, &r[i]);
			kprintf("\n");
		}
	print_time("", &all);
	kprintf(", peak %lu pages in use, %lu check%s\n", (unsigned long)all.peak_used,
		(unsigned long)all.checks, plural(all.checks));
	if (cpus > 1)
		report_locks();
	if (all.failure && cpus > 1)
		shell_error("stress failed on cpu%u (seed %lu) after its operation %lu: %s (at 0x%lx)",
			    failed_cpu, (unsigned long)(seed + failed_cpu), (unsigned long)all.failed_at,
			    all.failure, (unsigned long)all.where);
	else if (all.failure)
		shell_error("stress failed after operation %lu: %s (at 0x%lx)",
			    (unsigned long)all.failed_at, all.failure, (unsigned long)all.where);
	else if (all.interrupted)
		shell_error("stress interrupted after %lu of %lu operations; all it held is back",
			    (unsigned long)all.ops, (unsigned long)(ops * cpus));
	else
		kprintf("stress: ok\n");
}
