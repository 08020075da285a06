/**
 * @file cmd_cpus.c
 * @brief cpus: one line per CPU, as the machine started it.
 */
#include "arch.h"
#include "commands.h"
#include "cpus.h"
#include "kprintf.h"
#include "pmm.h"

void cmd_cpus(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct arch_cpu cpu;
	unsigned self = arch_cpu_id();
	for (unsigned i = 0; i < cpus_count(); i++) {
		if (arch_cpu_info(i, &cpu) != 0)
			continue;
		kprintf("cpu%u %s %lu %s", i, arch_cpu_hw_name(), cpu.hw_id,
			cpu_state_name(cpu.state));
		if (i == self)
			kprintf(" (the shell)");
		if (cpu.state == ARCH_CPU_LEFT_OUT)
			kprintf(cpu.error ? ": %s (error %ld)" : ": %s", cpu.why, cpu.error);
		else if (pmm_pcp_enabled()) {
			struct pmm_pcp_info cache;
			pmm_pcp_info(i, &cache);
			kprintf(", %lu page%s in its cache", (unsigned long)cache.pages,
				plural(cache.pages));
		}
		kprintf("\n");
	}
}
