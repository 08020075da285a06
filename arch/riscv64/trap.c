/**
 * @file trap.c
 * @brief Supervisor traps. For now every trap is fatal: the kernel takes no
 *        interrupts, so a trap means a bug, and panic() ends QEMU with a
 *        non-zero status instead of hanging.
 */
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
	panic("trap: %s (scause 0x%lx) at 0x%lx (pc 0x%lx, sp 0x%lx)", cause_name(cause),
	      (unsigned long)cause, (unsigned long)csr_read(stval),
	      (unsigned long)csr_read(sepc), (unsigned long)frame->regs[2]);
}
