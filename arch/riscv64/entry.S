/*
 * The first instructions of the kernel. OpenSBI (fw_dynamic) jumps here in
 * S-mode with a0 = this hart's id and a1 = the device tree's address; the
 * other harts wait in OpenSBI until cpus.c starts them at secondary_entry.
 */
#include "arch.h"
#include "cpu.h"

	.section .text.entry
	.globl _start
_start:
	/* Tell debuggers this is the outermost frame: no caller to unwind to. */
	.cfi_startproc
	.cfi_undefined ra
	/* No interrupts until the kernel has somewhere to take them. */
	csrw	sie, zero
	la	sp, boot_stack_top
	/* Clear .bss: C expects its zero-initialised globals to be zero. */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, (t0)
	addi	t0, t0, 8
	j	1b
2:	call	riscv_start
	/* riscv_start never returns; park the hart if it somehow does. */
3:	wfi
	j	3b
	.cfi_endproc

/*
 * A hart that cpus.c started through SBI HSM hart_start: S-mode, paging
 * off, a0 = its hart id, a1 = its struct riscv_cpu (cpu.h).
 */
	.section .text
	.globl secondary_entry
	.balign 4
secondary_entry:
	.cfi_startproc
	.cfi_undefined ra
	csrw	sie, zero
	/* Traps first: a fault from here on is reported, not lost. */
	la	t0, trap_entry
	csrw	stvec, t0
	mv	tp, a1
	ld	sp, CPU_STACK_TOP(tp)
	/* The stack's top word names the hart that runs on it (its struct
	 * riscv_cpu): for a debugger, and for the test that each hart has a
	 * slot of its own. */
	addi	sp, sp, -16
	sd	tp, 8(sp)
	mv	a0, tp
	call	riscv_secondary_start
1:	wfi
	j	1b
	.cfi_endproc

	/* The kernel stacks (arch.h): one slot a CPU, each an
	 * unmapped guard page and the stack above it, so running off a stack
	 * faults instead of silently overwriting other data. Slot 0 is the
	 * boot hart's. */
	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl kernel_stacks, boot_stack_guard, boot_stack, boot_stack_top
kernel_stacks:
boot_stack_guard:
	.space	ARCH_GUARD_SIZE
boot_stack:
	.space	ARCH_STACK_SIZE
boot_stack_top:
	.space	ARCH_STACK_SLOT * (ARCH_MAX_CPUS - 1)
