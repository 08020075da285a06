/**
 * @file trap.c
 * @brief Supervisor traps. The one interrupt the kernel takes is the
 *        PLIC's external interrupt, for the UART's received bytes. Of the
 *        exceptions, page and access faults go to the handler the OS set with
 *        arch_set_fault_handler() (which maps a lazy page and has the
 *        instruction run again, or abandons the shell command),
 *        anything else is a bug and panics, which ends QEMU with a non-zero
 *        status instead of hanging.
 *
 * A trap turns interrupts off (sstatus.SIE) until its sret, so a
 * hart's trap stack is never used twice at once (each hart has its own).
 */
#include "arch.h"
#include "kprintf.h"
#include "riscv.h"

/* scause values of the faults the OS handles (privileged spec, table 4.2). */
#define SCAUSE_INSTRUCTION_ACCESS_FAULT 1
#define SCAUSE_LOAD_ACCESS_FAULT 5
#define SCAUSE_STORE_ACCESS_FAULT 7 /* store or AMO */
#define SCAUSE_INSTRUCTION_PAGE_FAULT 12
#define SCAUSE_LOAD_PAGE_FAULT 13
#define SCAUSE_STORE_PAGE_FAULT 15 /* store or AMO */

/** @brief Registers saved by trap_entry.S: x0..x31, x0's slot unused. */
struct trap_frame {
	uint64_t regs[32];
};

extern char trap_entry[];

static arch_fault_handler fault_handler;

static const char *cause_name(uint64_t cause)
{
	static const char *const names[] = {
		"instruction address misaligned", "instruction access fault",
		"illegal instruction", "breakpoint", "load address misaligned",
		"load access fault", "store address misaligned", "store access fault",
		"environment call from U-mode", "environment call from S-mode", "reserved",
		"reserved", "instruction page fault", "load page fault", "reserved",
		"store page fault",
	};
	if (cause >> 63)
		return "interrupt";
	return cause < sizeof(names) / sizeof(names[0]) ? names[cause] : "unknown";
}

void trap_init(void)
{
	csr_write(stvec, (uintptr_t)trap_entry);
}

void arch_set_fault_handler(arch_fault_handler handler)
{
	fault_handler = handler;
}

/* The fault just taken: an @access, denied by the firmware or by a page table. */
static int fault_here(struct arch_fault *fault, enum fault_access access, int firmware)
{
	*fault = (struct arch_fault){ access, csr_read(stval), csr_read(sepc), firmware };
	return 1;
}

/* Is @cause a page fault or access fault? Then fill in @fault. */
static int describe_fault(uint64_t cause, struct arch_fault *fault)
{
	switch (cause) {
	case SCAUSE_INSTRUCTION_PAGE_FAULT: return fault_here(fault, FAULT_EXECUTE, 0);
	case SCAUSE_LOAD_PAGE_FAULT: return fault_here(fault, FAULT_READ, 0);
	case SCAUSE_STORE_PAGE_FAULT: return fault_here(fault, FAULT_WRITE, 0);
	case SCAUSE_INSTRUCTION_ACCESS_FAULT: return fault_here(fault, FAULT_EXECUTE, 1);
	case SCAUSE_LOAD_ACCESS_FAULT: return fault_here(fault, FAULT_READ, 1);
	case SCAUSE_STORE_ACCESS_FAULT: return fault_here(fault, FAULT_WRITE, 1);
	default: return 0;
	}
}

/* Handle every interrupt the PLIC has pending for us. The UART's is the
 * only source enabled (start.c). */
static void external_interrupt(void)
{
	unsigned irq;
	while ((irq = plic_claim()) != 0) {
		uart_interrupt();
		plic_complete(irq);
	}
}

/** @brief Called by trap_entry.S with the saved registers. */
void trap_handler(struct trap_frame *frame)
{
	uint64_t cause = csr_read(scause);
	struct arch_fault fault;

	if (cause == SCAUSE_EXTERNAL) {
		external_interrupt();
		return;
	}
	if (cause == SCAUSE_SOFTWARE) { /* arch_cpu_wake(): waking is all it asks */
		csr_read_clear(sip, SIP_SSIP);
		return;
	}

	/* Resolved (a lazy page now mapped): sret to sepc, the faulting
	 * instruction, with every register as it was. */
	if (fault_handler != NULL && describe_fault(cause, &fault) && fault_handler(&fault))
		return;
	panic("trap: %s (scause 0x%lx) at 0x%lx (pc 0x%lx, sp 0x%lx)", cause_name(cause),
	      (unsigned long)cause, (unsigned long)csr_read(stval),
	      (unsigned long)csr_read(sepc), (unsigned long)frame->regs[2]);
}
