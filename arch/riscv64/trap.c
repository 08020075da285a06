/**
 * @file trap.c
 * @brief Supervisor traps. The kernel takes no interrupts, so a trap is an
 *        exception: page and access faults go to fault_handle() (which
 *        abandons the shell command), anything else is a bug and panics,
 *        which ends QEMU with a non-zero status instead of hanging.
 */
#include "fault.h"
#include "kprintf.h"
#include "riscv.h"

/** @brief Registers saved by trap_entry.S: x0..x31, x0's slot unused. */
struct trap_frame {
	uint64_t regs[32];
};

extern char trap_entry[];

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

/** @brief Called by trap_entry.S with the saved registers. */
void trap_handler(struct trap_frame *frame)
{
	uint64_t cause = csr_read(scause);
	uintptr_t addr = csr_read(stval), pc = csr_read(sepc);

	switch (cause) {
	case 12: fault_handle(FAULT_EXECUTE, addr, pc, 0);      /* instruction page fault */
	case 13: fault_handle(FAULT_READ, addr, pc, 0);         /* load page fault */
	case 15: fault_handle(FAULT_WRITE, addr, pc, 0);        /* store page fault */
	case 1: fault_handle(FAULT_EXECUTE, addr, pc, 1);       /* instruction access fault */
	case 5: fault_handle(FAULT_READ, addr, pc, 1);          /* load access fault */
	case 7: fault_handle(FAULT_WRITE, addr, pc, 1);         /* store access fault */
	}
	panic("trap: %s (scause 0x%lx) at 0x%lx (pc 0x%lx, sp 0x%lx)", cause_name(cause),
	      (unsigned long)cause, (unsigned long)csr_read(stval),
	      (unsigned long)csr_read(sepc), (unsigned long)frame->regs[2]);
}
