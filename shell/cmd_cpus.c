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

int shell_cpus_ready(const char *command, unsigned cpus)
{
	struct arch_cpu info;
	for (unsigned i = 1; i < cpus; i++) {
		if (arch_cpu_info(i, &info) != 0) {
			shell_error("%s -j %u needs %u CPUs; this machine has %u (make run SMP=%u)",
				    command, cpus, cpus, cpus_count(), cpus);
			return 0;
		}
		if (info.state != ARCH_CPU_PARKED) {
			shell_error("%s -j %u needs cpu%u, which is %s", command, cpus, i,
				    cpu_state_name(info.state));
			return 0;
		}
	}
	return 1;
}
