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

/** @brief Set the bits @p v in the CSR @p csr. */
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
/** @brief Clear the bits @p v in the CSR @p csr; @return its old value. */
#define csr_read_clear(csr, v) ({ uint64_t v__; \
	__asm__ volatile("csrrc %0, " #csr ", %1" : "=r"(v__) : "r"((uint64_t)(v)) : "memory"); v__; })

#define SSTATUS_SIE (1u << 1) /**< sstatus: supervisor interrupts on */
#define SIE_SEIE (1u << 9)    /**< sie: supervisor external interrupts (the PLIC) */
#define SIE_SSIE (1u << 1)    /**< sie: supervisor software interrupts (IPIs, through SBI) */
#define SIP_SSIP (1u << 1)    /**< sip: a software interrupt is pending */
#define SCAUSE_INTERRUPT (1ull << 63)         /**< scause: an interrupt, not an exception */
#define SCAUSE_EXTERNAL (SCAUSE_INTERRUPT | 9) /**< scause: supervisor external interrupt */
#define SCAUSE_SOFTWARE (SCAUSE_INTERRUPT | 1) /**< scause: supervisor software interrupt (an IPI) */

/** @brief Use the NS16550A at @p base, registers 2^@p reg_shift bytes apart. */
void uart_init(uintptr_t base, unsigned reg_shift);

/** @brief Have the UART interrupt when a byte arrives. */
void uart_enable_receive_interrupt(void);

/** @brief The UART's interrupt: hand every byte waiting to the console. */
void uart_interrupt(void);

/**
 * @brief Use the PLIC at @p base for the interrupts of its context
 *        @p context (QEMU virt: 2 * hart + 1 is the hart's S-mode).
 */
void plic_init(uintptr_t base, unsigned context);

/** @brief Let the PLIC deliver interrupt source @p irq to our context. */
void plic_enable(unsigned irq);

/** @brief Claim the highest pending source (0: none). */
unsigned plic_claim(void);

/** @brief Tell the PLIC that source @p irq has been handled. */
void plic_complete(unsigned irq);

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
