/**
 * @file power.c
 * @brief Switching the PC off.
 *
 * Success: ACPI S5, as a PC powers off (QEMU exits with status 0, Bochs
 * closes). Failure: QEMU's isa-debug-exit device at port 0xf4 makes QEMU
 * exit with status (value << 1) | 1, which is never 0; where that device is
 * missing (Bochs) we still power off rather than hang.
 */
#include "arch.h"
#include "io.h"
#include "kprintf.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xf4
#define POWEROFF_WAIT_NS 500000000ull

_Noreturn void arch_poweroff(int status)
{
	if (status != 0)
		outb(DEBUG_EXIT_PORT, (uint8_t)status);
	acpi_poweroff();
	/* QEMU switches off at its main loop's next turn, while this CPU runs
	 * on: only a machine still running after a while has not gone off. */
	uint64_t until = arch_time_ns() + POWEROFF_WAIT_NS;
	while (arch_time_ns() < until)
		__asm__ volatile("pause");
	console_puts("poweroff failed: the machine is halted\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
