/**
 * @file console.c
 * @brief The kernel console on top of the arch's byte-level put/get.
 */
#include "arch.h"
#include "kprintf.h"

void console_putc(char c)
{
	/* Terminals want CR LF; the kernel writes plain "\n". */
	if (c == '\n')
		arch_console_putc('\r');
	arch_console_putc(c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

int console_getc(void)
{
	int c;
	while ((c = arch_console_getc()) < 0)
		;
	return c;
}

int console_poll(void)
{
	return arch_console_getc();
}

static void console_out(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

int kvprintf(const char *fmt, va_list ap)
{
	return kvformat(console_out, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	console_puts("\npanic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	console_puts("\n");
	arch_poweroff(1);
}
