/**
 * @file io.h
 * @brief x86 port I/O and other single instructions, for arch/x86_64 only.
 */
#ifndef PAGODA_X86_IO_H
#define PAGODA_X86_IO_H

#include <stdint.h>

/** @brief Write a byte to I/O port @p port. */
static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

/** @brief Write 16 bits to I/O port @p port. */
static inline void outw(uint16_t port, uint16_t value)
{
	__asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

/** @brief Read a byte from I/O port @p port. */
static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/** @brief CR2: the address of the last page fault. */
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#define MSR_EFER 0xc0000080 /**< extended feature enable register */
#define EFER_NXE (1ull << 11) /**< EFER: the NX bit in page tables works */
#define CR0_WP (1ull << 16) /**< CR0: read-only pages bind ring 0 too */

/** @brief Read model-specific register @p msr. */
static inline uint64_t read_msr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

/** @brief Write model-specific register @p msr. */
static inline void write_msr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

/** @brief Read CR0. */
static inline uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/** @brief Write CR0. */
static inline void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

#endif
