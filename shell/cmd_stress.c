/**
 * @file cmd_stress.c
 * @brief stress: a random workout of every memory layer, inside the kernel.
 */
#include "arch.h"
#include "commands.h"
#include "kprintf.h"
#include "stress.h"

#define MAX_OPS 100000000ull

void cmd_stress(int argc, char **argv)
{
	uint64_t ops, seed;
	struct stress_result r;

	if (!parse_number(argv[1], &ops) || ops == 0 || ops > MAX_OPS) {
		shell_error("'%s' is not a number of operations from 1 to %llu", argv[1], MAX_OPS);
		return;
	}
	if (argc == 3 && (!parse_number(argv[2], &seed) || seed == 0)) {
		/* The generator (xorshift) has no seed 0. */
		shell_error("'%s' is not a seed (a number from 1)", argv[2]);
		return;
	}
	if (argc == 2) /* a new run each time; printed to replay it */
		seed = arch_time_ns() % 1000000 + 1;
	kprintf("stress: %lu operation%s, seed %lu (replay: stress %lu %lu)\n", (unsigned long)ops,
		plural(ops), (unsigned long)seed, (unsigned long)ops, (unsigned long)seed);
	stress_run((size_t)ops, seed, &r);

	uint64_t ms = r.ns / 1000000;
	kprintf("stress: %lu operation%s in %lu.%03lu s (%lu ops/s), peak %lu pages in use, "
		"%lu check%s\n", (unsigned long)r.ops, plural(r.ops), (unsigned long)(ms / 1000),
		(unsigned long)(ms % 1000), (unsigned long)(ms ? r.ops * 1000 / ms : r.ops),
		(unsigned long)r.peak_used, (unsigned long)r.checks, plural(r.checks));
	if (r.failure)
		shell_error("stress failed after operation %lu: %s (at 0x%lx)",
			    (unsigned long)r.failed_at, r.failure, (unsigned long)r.where);
	else if (r.interrupted)
		shell_error("stress interrupted after %lu of %lu operations; all it held is back",
			    (unsigned long)r.ops, (unsigned long)ops);
	else
		kprintf("stress: ok\n");
}
