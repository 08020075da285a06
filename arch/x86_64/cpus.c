/**
 * @file cpus.c
 * @brief Every CPU up on a PC: the ACPI MADT lists them (acpi.c), and the
 *        boot CPU starts each other one (an AP) with INIT, then two
 *        start-up IPIs through its local APIC, as Intel's SDM (volume 3,
 *        "MP initialization") and xv6's lapicstartap() do.
 *
 * The start-up IPI starts an AP in real mode at a page below 1 MiB: boot.S's
 * ap_trampoline, copied to AP_TRAMPOLINE, takes it to long mode and to
 * x86_ap_start() on its own stack. One AP starts at a time, because they
 * share the trampoline and ap_starting. Each CPU's struct x86_cpu is its GS
 * base, so arch_cpu_id() is one load.
 */
#include <stddef.h>

#include "arch.h"
#include "io.h"
#include "kstring.h"
#include "x86.h"

#define AP_TRAMPOLINE 0x8000 /* boot.S: the page the trampoline runs from */
#define MSR_GS_BASE 0xc0000101
#define NS_PER_US 1000ull
#define START_TIMEOUT_NS 500000000ull /* QEMU's and Bochs' APs need far less */

/** @brief One CPU's own data; GS base points at it on that CPU. */
struct x86_cpu {
	uintptr_t stack_top; /**< first: ap_long_mode loads rsp from it */
	unsigned id;         /**< the kernel's number: 0 for the boot CPU */
	unsigned apic_id;    /**< its local APIC's id (the MADT's) */
	int state;           /**< enum arch_cpu_state, written by either CPU */
	const char *why;     /**< why it was left out, or NULL */
};

_Static_assert(offsetof(struct x86_cpu, stack_top) == 0, "boot.S's ap_long_mode");

extern char ap_trampoline[], ap_trampoline_end[];

/** @brief The AP being started: boot.S's ap_long_mode reads it. */
struct x86_cpu *volatile ap_starting;

/* CPU i is cpus[i]; the first nr_cpus are those found (at most
 * ARCH_MAX_CPUS), CPU 0 being the boot CPU. */
static struct x86_cpu cpus[ARCH_MAX_CPUS];
static unsigned nr_cpus;
static uint64_t kernel_cr3;      /* the page tables every AP turns to */

/* The local APIC id of the CPU running this: CPUID leaf 1, EBX bits 31..24. */
static unsigned own_apic_id(void)
{
	unsigned eax = 1, ebx, ecx = 0, edx;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	return ebx >> 24;
}

void cpu_init_boot(void)
{
	cpus[0] = (struct x86_cpu){ arch_stack_slot(1), 0, own_apic_id(), ARCH_CPU_RUNNING, NULL };
	nr_cpus = 1;
	write_msr(MSR_GS_BASE, (uintptr_t)&cpus[0]);
}

void cpu_found(unsigned apic_id)
{
	if (apic_id == cpus[0].apic_id || nr_cpus == ARCH_MAX_CPUS)
		return;
	cpus[nr_cpus] = (struct x86_cpu){ arch_stack_slot(nr_cpus + 1), nr_cpus, apic_id,
					  ARCH_CPU_STARTING, NULL };
	nr_cpus++;
}

/* Move @cpu from STARTING to @state, unless the other side did first
 * (an AP arriving just as the boot CPU gives up on it). */
static int leave_starting(struct x86_cpu *cpu, int state)
{
	int starting = ARCH_CPU_STARTING;
	return __atomic_compare_exchange_n(&cpu->state, &starting, state, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

_Noreturn void x86_ap_start(struct x86_cpu *cpu);

_Noreturn void x86_ap_start(struct x86_cpu *cpu)
{
	write_msr(MSR_GS_BASE, (uintptr_t)cpu);
	write_cr0(read_cr0() | CR0_WP); /* as x86_paging_init() on the boot CPU */
	__asm__ volatile("mov %0, %%cr3" : : "r"(kernel_cr3) : "memory");
	idt_load(cpu->id);
	lapic_enable(); /* for arch_cpu_wake()'s IPI */
	if (!leave_starting(cpu, ARCH_CPU_PARKED))
		for (;;) /* too late: the INIT that follows stops it */
			__asm__ volatile("cli; hlt");
	cpu_park();
}

static void spin_ns(uint64_t ns)
{
	uint64_t until = arch_time_ns() + ns;
	while (arch_time_ns() < until)
		__asm__ volatile("pause");
}

unsigned arch_cpus_start(void)
{
	if (nr_cpus == 1)
		return 1;
	__asm__ volatile("mov %%cr3, %0" : "=r"(kernel_cr3));
	memcpy((void *)AP_TRAMPOLINE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	for (unsigned i = 1; i < nr_cpus; i++) {
		struct x86_cpu *cpu = &cpus[i];
		ap_starting = cpu;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* INIT, wait 10 ms, then the start-up IPI twice, 200 us apart
		 * (the SDM's delays; Bochs needs them, QEMU does not). */
		lapic_send_init(cpu->apic_id);
		spin_ns(10000 * NS_PER_US);
		for (int n = 0; n < 2; n++) {
			lapic_send_startup(cpu->apic_id, AP_TRAMPOLINE);
			spin_ns(200 * NS_PER_US);
		}
		uint64_t deadline = arch_time_ns() + START_TIMEOUT_NS;
		while (__atomic_load_n(&cpu->state, __ATOMIC_ACQUIRE) == ARCH_CPU_STARTING &&
		       arch_time_ns() < deadline)
			__asm__ volatile("pause");
		if (leave_starting(cpu, ARCH_CPU_LEFT_OUT)) {
			/* INIT puts it back to waiting, so it cannot run on
			 * with the next AP's ap_starting. */
			lapic_send_init(cpu->apic_id);
			cpu->why = "it did not arrive within half a second";
		}
	}
	return nr_cpus;
}

int arch_cpu_info(unsigned id, struct arch_cpu *out)
{
	if (id >= nr_cpus)
		return -1;
	const struct x86_cpu *cpu = &cpus[id];
	int state = __atomic_load_n(&cpu->state, __ATOMIC_ACQUIRE);
	*out = (struct arch_cpu){ cpu->apic_id, (enum arch_cpu_state)state, cpu->why, 0 };
	return 0;
}

const char *arch_cpu_hw_name(void)
{
	return "APIC id";
}

void arch_cpu_wake(unsigned id)
{
	lapic_send_wake(cpus[id].apic_id);
}

unsigned arch_cpu_id(void)
{
	unsigned id;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(offsetof(struct x86_cpu, id)));
	return id;
}
