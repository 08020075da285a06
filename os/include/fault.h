/**
 * @file fault.h
 * @brief Faults the kernel survives: a bad access abandons the shell
 *        command that made it, instead of taking the kernel down.
 *
 * The shell sets a recovery point around each command. fault_init() hands
 * fault_handle() to the machine (arch_set_fault_handler()); on a page fault
 * or access fault the arch's trap handler calls it. A fault on a lazily
 * reserved page it resolves (vm_lazy_fault() maps the page) and returns,
 * and the faulting instruction runs again. Any other fault it records and
 * jumps back to that point, where the shell prints it. With no recovery
 * point (a fault outside any command) it is a panic.
 */
#ifndef PAGODA_FAULT_H
#define PAGODA_FAULT_H

#include <stdint.h>

#include "arch.h"

/** @brief The last fault, as fault_handle() explained it. */
struct fault_report {
	const char *what; /**< e.g. "write to read-only page" */
	uintptr_t addr;   /**< the address accessed */
	uintptr_t pc;     /**< the faulting instruction */
	int error;        /**< VM_ERR_NO_MEMORY: a lazy page that found no free page; else 0 */
	const char *lock; /**< a lock the faulting code held (now released), or NULL */
	const char *lock_taken_at; /**< where that code took it ("file:line") */
};

/** @brief Have the machine send every page and access fault to fault_handle(). */
void fault_init(void);

/** @brief The fault that made arch_setjmp() return non-zero. */
const struct fault_report *fault_last(void);

/** @brief Where to resume after a fault (NULL: a fault is fatal). */
void fault_set_recovery(struct arch_jmp_buf *buf);

/**
 * @brief Map the page of a lazy reservation and return 1 (the machine runs
 *        the access again); for any other fault, or a lazy page the page
 *        manager has no page for, record it and resume at the recovery
 *        point, where arch_setjmp() returns 1 (or panic if there is none).
 * @param fault what was attempted where, as the machine reports it
 * @return 1 when the fault is resolved; otherwise it does not return
 */
int fault_handle(const struct arch_fault *fault);

#endif
