/*
 * The first instructions of the kernel. OpenSBI (fw_dynamic) jumps here in
 * S-mode with a0 = this hart's id and a1 = the device tree's address.
 */
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

	/* The boot stack, with an unmapped guard page below it: running off
	 * its end faults instead of silently overwriting other data. */
	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
	.space	4096
boot_stack:
	.space	16384
boot_stack_top:
