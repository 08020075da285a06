/**
 * @file console.c
 * @brief The x86_64 console: COM1 and the VGA screen out, COM1 and the
 *        PS/2 keyboard in (by their interrupts, see trap.c), so a serial
 *        terminal and a VM window both work.
 */
#include "arch.h"
#include "x86.h"

void arch_console_putc(char c)
{
	serial_putc(c);
	vga_putc(c);
}

#define RFLAGS_IF (1u << 9) /* interrupts on */

int arch_interrupts_off(void)
{
	uint64_t rflags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(rflags) : : "memory");
	return (rflags & RFLAGS_IF) != 0;
}

void arch_interrupts_restore(int on)
{
	if (on)
		__asm__ volatile("sti" ::: "memory");
}

void arch_interrupts_let_in(void)
{
	/* The nop: sti lets interrupts in only after the next instruction. */
	int on = arch_interrupts_off();
	__asm__ volatile("sti; nop; cli" ::: "memory");
	arch_interrupts_restore(on);
}

void arch_wait_for_interrupt(void)
{
	/* sti takes effect after the next instruction: no interrupt can come
	 * between it and hlt, so none is missed; the handler runs, then cli. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}
