/**
 * @file clock.c
 * @brief arch_time_ns() on a PC: the time-stamp counter, measured once
 *        against the 8254 timer (PIT), whose input clock is fixed.
 *
 * The TSC counts at a rate no register states on every CPU (nor in QEMU
 * or Bochs), so at boot we count TSC ticks while the PIT's channel 2 counts
 * down 10 ms, as Linux's pit_calibrate_tsc() does.
 */
#include "arch.h"
#include "io.h"
#include "x86.h"

#define PIT_HZ 1193182u         /* the 8254's input clock */
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_GATE_PORT 0x61      /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 out */
#define CALIBRATE_MS 10

static uint64_t tsc_per_ms = 1000000; /* a guess until calibrated: 1 GHz */

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void clock_init(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	/* Gate channel 2 on, speaker off; mode 0 (out goes high at zero). */
	outb(PIT_GATE_PORT, (uint8_t)((inb(PIT_GATE_PORT) & ~0x02) | 0x01));
	outb(PIT_COMMAND, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CHANNEL2, count & 0xff);
	outb(PIT_CHANNEL2, count >> 8);
	uint64_t start = rdtsc();
	unsigned long spins = 0;
	while ((inb(PIT_GATE_PORT) & 0x20) == 0 && ++spins < 100000000ul)
		;
	uint64_t ticks = rdtsc() - start;
	if (ticks >= CALIBRATE_MS)
		tsc_per_ms = ticks / CALIBRATE_MS;
}

uint64_t arch_time_ns(void)
{
	uint64_t ticks = rdtsc();
	/* ms and the remainder separately, so the product cannot overflow. */
	return ticks / tsc_per_ms * 1000000 + ticks % tsc_per_ms * 1000000 / tsc_per_ms;
}
