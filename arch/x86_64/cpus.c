/**
 * @file cpus.c
 * @brief The CPUs the ACPI MADT lists. So far only the boot CPU runs on
 *        x86_64: starting the others (INIT-SIPI-SIPI through the local
 *        APIC, a real-mode trampoline to long mode) is still to be written,
 *        so they are listed and reported as left out.
 */
#include "arch.h"
#include "x86.h"

/* CPU i is cpus[i]; the first nr_cpus are those found (at most
 * ARCH_MAX_CPUS), CPU 0 being the boot CPU. */
static struct arch_cpu cpus[ARCH_MAX_CPUS];
static unsigned nr_cpus;

/* The local APIC id of the CPU running this: CPUID leaf 1, EBX bits 31..24. */
static unsigned own_apic_id(void)
{
	unsigned eax = 1, ebx, ecx = 0, edx;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	return ebx >> 24;
}

void cpu_init_boot(void)
{
	cpus[0] = (struct arch_cpu){ own_apic_id(), ARCH_CPU_RUNNING, NULL, 0 };
	nr_cpus = 1;
}

void cpu_found(unsigned apic_id)
{
	if (apic_id == cpus[0].hw_id || nr_cpus == ARCH_MAX_CPUS)
		return;
	cpus[nr_cpus++] = (struct arch_cpu){ apic_id, ARCH_CPU_LEFT_OUT,
					     "x86_64 starts only its boot CPU so far", 0 };
}

unsigned arch_cpus_start(void)
{
	return nr_cpus;
}

int arch_cpu_info(unsigned id, struct arch_cpu *out)
{
	if (id >= nr_cpus)
		return -1;
	*out = cpus[id];
	return 0;
}

const char *arch_cpu_hw_name(void)
{
	return "APIC id";
}

unsigned arch_cpu_id(void)
{
	return 0; /* the only CPU that runs */
}
