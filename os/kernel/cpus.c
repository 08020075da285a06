/**
 * @file cpus.c
 * @brief cpus_init(): every CPU up at boot, and the boot log's word on them.
 *
 * The other CPUs park once started: nothing runs on them yet. A CPU that
 * did not start is left out and said so, never waited for.
 */
#include "cpus.h"
#include "kprintf.h"

static unsigned nr_cpus;

const char *cpu_state_name(enum arch_cpu_state state)
{
	switch (state) {
	case ARCH_CPU_STARTING:
		return "starting";
	case ARCH_CPU_RUNNING:
		return "running";
	case ARCH_CPU_PARKED:
		return "parked";
	case ARCH_CPU_LEFT_OUT:
		return "left out";
	}
	return "?";
}

void cpus_init(void)
{
	struct arch_cpu cpu;
	unsigned up = 0;
	nr_cpus = arch_cpus_start();
	for (unsigned i = 0; i < nr_cpus; i++)
		if (arch_cpu_info(i, &cpu) == 0 && cpu.state != ARCH_CPU_LEFT_OUT)
			up++;
	kprintf("cpus: %u found, %u up:", nr_cpus, up);
	const char *separator = " ";
	for (unsigned i = 0; i < nr_cpus; i++)
		if (arch_cpu_info(i, &cpu) == 0 && cpu.state != ARCH_CPU_LEFT_OUT) {
			kprintf("%scpu%u (%s %lu)", separator, i, arch_cpu_hw_name(), cpu.hw_id);
			separator = ", ";
		}
	kprintf("\n");
	for (unsigned i = 0; i < nr_cpus; i++)
		if (arch_cpu_info(i, &cpu) == 0 && cpu.state == ARCH_CPU_LEFT_OUT) {
			kprintf("cpus: cpu%u (%s %lu) left out: %s", i, arch_cpu_hw_name(), cpu.hw_id,
				cpu.why);
			kprintf(cpu.error ? " (error %ld)\n" : "\n", cpu.error);
		}
}

unsigned cpus_count(void)
{
	return nr_cpus;
}
