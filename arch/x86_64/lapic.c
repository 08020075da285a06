/**
 * @file lapic.c
 * @brief The local APIC: each CPU's own interrupt controller, through
 *        which one CPU interrupts another (an IPI): to start it (INIT and
 *        start-up, cpus.c) or to wake it (a fixed vector, VECTOR_WAKE).
 *
 * Every CPU sees its own local APIC's registers at the same physical
 * address (IA32_APIC_BASE; mapped as the boot device "local APIC").
 */
#include "arch.h"
#include "io.h"
#include "x86.h"

#define MSR_APIC_BASE 0x1b
#define LAPIC_EOI 0x0b0      /* end of interrupt: write 0 */
#define LAPIC_SVR 0x0f0      /* spurious vector; bit 8 enables the local APIC */
#define LAPIC_ICR_LOW 0x300  /* interrupt command: writing it sends the IPI */
#define LAPIC_ICR_HIGH 0x310 /* its destination: APIC id in bits 31..24 */
#define SVR_ENABLE 0x100
#define ICR_FIXED 0x000
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_LEVEL_ASSERT 0x4000
#define ICR_PENDING 0x1000 /* delivery status: not yet accepted */

static volatile uint32_t *lapic(void)
{
	return (volatile uint32_t *)x86_lapic_address();
}

uintptr_t x86_lapic_address(void)
{
	return (uintptr_t)(read_msr(MSR_APIC_BASE) & ~0xfffull);
}

void lapic_enable(void)
{
	/* Software-enabled, it takes fixed IPIs too (a disabled local APIC
	 * takes only INIT and start-up). */
	lapic()[LAPIC_SVR / 4] = SVR_ENABLE | VECTOR_APIC_SPURIOUS;
}

void lapic_end_of_interrupt(void)
{
	lapic()[LAPIC_EOI / 4] = 0;
}

/* Send the IPI @command to the local APIC @apic_id; wait until it is taken. */
static void send_ipi(unsigned apic_id, uint32_t command)
{
	volatile uint32_t *regs = lapic();
	regs[LAPIC_ICR_HIGH / 4] = apic_id << 24;
	regs[LAPIC_ICR_LOW / 4] = command;
	while (regs[LAPIC_ICR_LOW / 4] & ICR_PENDING)
		__asm__ volatile("pause");
}

void lapic_send_init(unsigned apic_id)
{
	send_ipi(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(unsigned apic_id, uintptr_t page)
{
	send_ipi(apic_id, ICR_STARTUP | (uint32_t)(page >> 12));
}

void lapic_send_wake(unsigned apic_id)
{
	send_ipi(apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | VECTOR_WAKE);
}
