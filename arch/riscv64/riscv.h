/**
 * @file riscv.h
 * @brief Definitions shared inside arch/riscv64 only.
 */
#ifndef PAGODA_RISCV_H
#define PAGODA_RISCV_H

#include <stdint.h>

/** @brief Read the control and status register @p csr (a name like sepc). */
#define csr_read(csr) ({ uint64_t v__; __asm__ volatile("csrr %0, " #csr : "=r"(v__)); v__; })
/** @brief Write @p v to the control and status register @p csr. */
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)))

/** @brief Use the NS16550A at @p base, registers 2^@p reg_shift bytes apart. */
void uart_init(uintptr_t base, unsigned reg_shift);

/** @brief Use the SiFive test device at @p base to power off. */
void power_init(uintptr_t base);

/** @brief Point stvec at the kernel's trap handler. */
void trap_init(void);

/** @brief Note device registers the kernel uses, to map them as devices. */
void boot_device_add(uintptr_t addr, uintptr_t size, const char *what);

/** @brief Remember the device tree's address and size for arch_boot_memory(). */
void boot_memory_init(const void *dtb);

/** @brief C start-up, called by entry.S with OpenSBI's a0 and a1. */
_Noreturn void riscv_start(unsigned long hartid, const void *dtb);

struct trap_frame;
/** @brief Called by trap_entry.S with the registers it saved. */
void trap_handler(struct trap_frame *frame);

#endif
