/**
 * @file cpu.h
 * @brief Each hart's own data, reached through the tp register.
 *
 * Every hart keeps tp pointing at its struct riscv_cpu: the boot hart from
 * riscv_start()'s first line (before it installs the trap entry), the
 * others from their first instructions (nothing else uses tp in the
 * kernel: it has no thread-local storage). The trap entry finds its trap stack there, so two harts
 * taking traps at once never share one. The first fields are read from
 * assembly, at the offsets below.
 */
#ifndef PAGODA_RISCV_CPU_H
#define PAGODA_RISCV_CPU_H

#define CPU_TRAP_STACK_TOP 0 /**< offset of riscv_cpu.trap_stack_top */
#define CPU_STACK_TOP 8      /**< offset of riscv_cpu.stack_top */
#define TRAP_STACK_SIZE 8192 /**< each hart's trap stack */

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "arch.h"

/** @brief One hart's own data (tp points at it). */
struct riscv_cpu {
	uintptr_t trap_stack_top; /**< where trap_entry.S puts sp */
	uintptr_t stack_top;      /**< the top of its kernel stack (its slot's end) */
	uint64_t satp;            /**< the page tables to turn on: the boot hart's */
	unsigned long hartid;     /**< the hart's id (the device tree's reg) */
	unsigned id;              /**< the kernel's number for it: 0 for the boot hart */
	int state;                /**< enum arch_cpu_state, written by either hart */
	const char *why;          /**< why it failed, or NULL */
	long error;               /**< the SBI error of hart_start, or 0 */
};

/** @brief Make this hart, which booted the kernel as @p hartid, CPU 0. */
void cpu_init_boot(unsigned long hartid);

/** @brief The device tree lists a hart @p hartid: remember it to start it. */
void cpu_found(unsigned long hartid);

/** @brief C start of a hart that cpus_start() started (secondary_entry). */
_Noreturn void riscv_secondary_start(struct riscv_cpu *cpu);
#endif

#endif
