/**
 * @file arch.h
 * @brief Everything an architecture provides to the rest of the kernel.
 *
 * os/ and shell/ reach the machine only through these functions; each
 * arch/NAME/ directory implements all of them. Nothing outside arch/ asks
 * which architecture it is running on.
 *
 * Boot order: the arch's assembly entry sets up a stack (and on x86_64, long
 * mode), its C start-up finds the console and memory, then calls kmain().
 */
#ifndef PAGODA_MACHINE_INTERFACE_H
#define PAGODA_MACHINE_INTERFACE_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

/** @brief Write one byte to the console (no newline translation). */
void arch_console_putc(char c);

/** @brief Read one byte from the console, or -1 if none is waiting. */
int arch_console_getc(void);

/**
 * @brief Describe physical memory as the firmware reported it: every RAM
 *        range, and every range inside RAM that the kernel must not hand out
 *        (firmware, kernel image, boot information, ...).
 */
void arch_boot_memory(struct boot_memory *memory);

/** @brief Short name of the architecture and machine, for the banner. */
const char *arch_name(void);

/** @brief Switch the machine off; QEMU exits with @p status (0 = success). */
_Noreturn void arch_poweroff(int status);

/**
 * @brief Nanoseconds since some moment at boot: a monotonic clock, for
 *        progress reports and rates (as exact as the machine's timer).
 */
uint64_t arch_time_ns(void);

/**
 * @brief Stop in an attached debugger if the machine has a way to.
 * @return 1 if a stop was requested, 0 if this machine has none
 */
int arch_debug_break(void);

/** @brief Registers a function keeps across calls, saved by arch_setjmp(). */
struct arch_jmp_buf {
	uint64_t regs[14]; /**< arch-specific layout */
};

/**
 * @brief Save the caller's context; returns 0, and again (with the value
 *        given to arch_longjmp()) when something jumps back to it.
 */
int arch_setjmp(struct arch_jmp_buf *buf) __attribute__((returns_twice));

/** @brief Resume the context saved in @p buf, making arch_setjmp() return @p value. */
_Noreturn void arch_longjmp(struct arch_jmp_buf *buf, int value);

/** @brief The kernel's C entry: called once by the arch start-up code. */
_Noreturn void kmain(void);

#endif
