/**
 * @file console.c
 * @brief The x86_64 console: COM1 and the VGA screen out, COM1 and the
 *        PS/2 keyboard in, so a serial terminal and a VM window both work.
 */
#include "arch.h"
#include "x86.h"

void arch_console_putc(char c)
{
	serial_putc(c);
	vga_putc(c);
}

int arch_console_getc(void)
{
	int c = serial_getc();
	return c >= 0 ? c : keyboard_getc();
}
