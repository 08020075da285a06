/**
 * @file fault.h
 * @brief Faults the kernel survives: a bad access abandons the shell
 *        command that made it, instead of taking the kernel down.
 *
 * The shell sets a recovery point around each command; an architecture's
 * trap handler, on a page fault or access fault, calls fault_handle(), which
 * records what happened and jumps back to that point, where the shell
 * prints it. With no recovery point (a fault outside any command) it is a
 * panic.
 */
#ifndef PAGODA_FAULT_H
#define PAGODA_FAULT_H

#include <stdint.h>

#include "arch.h"

/** @brief What the faulting instruction tried to do. */
enum fault_access {
	FAULT_READ,
	FAULT_WRITE,
	FAULT_EXECUTE,
};

/** @brief The last fault, as fault_handle() explained it. */
struct fault_report {
	const char *what; /**< e.g. "write to read-only page" */
	uintptr_t addr;   /**< the address accessed */
	uintptr_t pc;     /**< the faulting instruction */
};

/** @brief The fault that made arch_setjmp() return non-zero. */
const struct fault_report *fault_last(void);

/** @brief Where to resume after a fault (NULL: a fault is fatal). */
void fault_set_recovery(struct arch_jmp_buf *buf);

/**
 * @brief Record a fault taken in the kernel and resume at the recovery
 *        point, where arch_setjmp() returns 1 (or panic if there is none).
 * @param access what was attempted
 * @param addr the address it was attempted at
 * @param pc the faulting instruction
 * @param firmware 1 for an access fault (memory the firmware denies), 0 for
 *        a page fault
 */
_Noreturn void fault_handle(enum fault_access access, uintptr_t addr, uintptr_t pc, int firmware);

#endif
