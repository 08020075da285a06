/**
 * @file cpus.c
 * @brief Every hart up: the device tree lists them, the SBI HSM extension
 *        starts them, each on its own stack and trap stack with its
 *        struct riscv_cpu in tp; then they park.
 *
 * OpenSBI picks one hart to boot the kernel (any of them: hart 0 is not
 * promised) and keeps the others stopped until hart_start names them. A
 * started hart begins at secondary_entry (entry.S) in S-mode with paging
 * off, sets stvec and turns on the boot hart's page tables; it goes on
 * running at the same addresses because the kernel maps itself at
 * virtual == physical. Then it says it arrived, and parks.
 */
#include <stddef.h>

#include "arch.h"
#include "cpu.h"
#include "riscv.h"
#include "sbi.h"

#define SBI_EXT_HSM 0x48534d /* "HSM" */
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_EXT_IPI 0x735049 /* "sPI" */
#define SBI_IPI_SEND 0
#define START_TIMEOUT_NS 500000000ull /* QEMU's harts arrive in microseconds */
#define NOT_ARRIVED "it did not arrive within half a second"

_Static_assert(offsetof(struct riscv_cpu, trap_stack_top) == CPU_TRAP_STACK_TOP, "cpu.h");
_Static_assert(offsetof(struct riscv_cpu, stack_top) == CPU_STACK_TOP, "cpu.h");

extern char secondary_entry[], trap_stacks[];

/* CPU i is riscv_cpus[i]; the first nr_cpus are the harts found (at most
 * ARCH_MAX_CPUS), CPU 0 being the boot hart. */
static struct riscv_cpu riscv_cpus[ARCH_MAX_CPUS];
static unsigned nr_cpus;

static void cpu_set_up(unsigned id, unsigned long hartid)
{
	struct riscv_cpu *cpu = &riscv_cpus[id];
	cpu->id = id;
	cpu->hartid = hartid;
	cpu->stack_top = arch_stack_slot(id) + ARCH_STACK_SLOT;
	cpu->trap_stack_top = (uintptr_t)trap_stacks + (id + 1) * (uintptr_t)TRAP_STACK_SIZE;
}

void cpu_init_boot(unsigned long hartid)
{
	cpu_set_up(0, hartid);
	riscv_cpus[0].state = ARCH_CPU_RUNNING;
	nr_cpus = 1;
	__asm__ volatile("mv tp, %0" : : "r"(&riscv_cpus[0]));
}

void cpu_found(unsigned long hartid)
{
	if (hartid == riscv_cpus[0].hartid || nr_cpus == ARCH_MAX_CPUS)
		return;
	cpu_set_up(nr_cpus, hartid);
	riscv_cpus[nr_cpus].state = ARCH_CPU_STARTING;
	nr_cpus++;
}

/* Move @cpu from STARTING to @state, unless the other side did first
 * (a hart arriving just as the boot hart gives up on it). */
static int leave_starting(struct riscv_cpu *cpu, int state)
{
	int starting = ARCH_CPU_STARTING;
	return __atomic_compare_exchange_n(&cpu->state, &starting, state, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

_Noreturn void riscv_secondary_start(struct riscv_cpu *cpu)
{
	csr_write(satp, cpu->satp);
	__asm__ volatile("sfence.vma" ::: "memory");
	/* Too late: the boot hart has reported it left out. Stop for good,
	 * so that "left out" means what it says. */
	if (!leave_starting(cpu, ARCH_CPU_PARKED))
		sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0);
	/* Woken by arch_cpu_wake(): the firmware's IPI is a supervisor
	 * software interrupt. Interrupts stay off otherwise: the UART's go
	 * to the boot hart alone. */
	csr_set(sie, SIE_SSIE);
	cpu_park();
}

unsigned arch_cpus_start(void)
{
	uint64_t satp = csr_read(satp);
	/* Start them all, then wait for them all: a hart that does not come
	 * costs half a second once, not once per hart. */
	for (unsigned i = 1; i < nr_cpus; i++) {
		struct riscv_cpu *cpu = &riscv_cpus[i];
		cpu->satp = satp;
		/* The hart reads its struct only after hart_start, which the
		 * firmware delivers with an IPI; a full fence puts every field
		 * in memory before it. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		struct sbi_result r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, (long)cpu->hartid,
					       (long)secondary_entry, (long)cpu);
		if (r.error != 0) {
			cpu->why = "the firmware refused to start it";
			cpu->error = r.error;
			cpu->state = ARCH_CPU_LEFT_OUT;
		}
	}
	uint64_t deadline = arch_time_ns() + START_TIMEOUT_NS;
	for (unsigned i = 1; i < nr_cpus; i++) {
		struct riscv_cpu *cpu = &riscv_cpus[i];
		while (__atomic_load_n(&cpu->state, __ATOMIC_ACQUIRE) == ARCH_CPU_STARTING &&
		       arch_time_ns() < deadline)
			;
		if (leave_starting(cpu, ARCH_CPU_LEFT_OUT))
			cpu->why = NOT_ARRIVED;
	}
	return nr_cpus;
}

int arch_cpu_info(unsigned id, struct arch_cpu *out)
{
	if (id >= nr_cpus)
		return -1;
	const struct riscv_cpu *cpu = &riscv_cpus[id];
	int state = __atomic_load_n(&cpu->state, __ATOMIC_ACQUIRE);
	*out = (struct arch_cpu){ cpu->hartid, (enum arch_cpu_state)state, cpu->why, cpu->error };
	return 0;
}

const char *arch_cpu_hw_name(void)
{
	return "hart";
}

void arch_cpu_wake(unsigned id)
{
	/* A hart mask of one bit, based at the hart's own id. */
	sbi_call(SBI_EXT_IPI, SBI_IPI_SEND, 1, (long)riscv_cpus[id].hartid, 0);
}

unsigned arch_cpu_id(void)
{
	const struct riscv_cpu *cpu;
	__asm__ volatile("mv %0, tp" : "=r"(cpu));
	return cpu->id;
}
