/**
 * @file clock.c
 * @brief arch_time_ns(): the time CSR, which counts from the machine's reset.
 */
#include "arch.h"
#include "riscv.h"

/* QEMU virt's timer runs at 10 MHz (the device tree's timebase-frequency):
 * one tick is 100 ns. */
#define NS_PER_TICK 100

uint64_t arch_time_ns(void)
{
	return csr_read(time) * NS_PER_TICK;
}
