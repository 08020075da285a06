/**
 * @file plic.c
 * @brief The platform-level interrupt controller: it routes device
 *        interrupts (here the UART's) to a hart as an external interrupt.
 *
 * Each interrupt source has a priority; each context (a hart in one
 * privilege mode) has a set of enabled sources, a threshold, and a
 * claim/complete register: reading it claims the highest pending source,
 * writing the source back says it has been handled. Register offsets from
 * the RISC-V PLIC specification.
 */
#include "riscv.h"

#define PRIORITY(irq) (4 * (irq))
#define ENABLE(ctx, irq) (0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx) (0x200004 + 0x1000 * (ctx))

static uintptr_t plic;
static unsigned context;

static volatile uint32_t *reg(uintptr_t offset)
{
	return (volatile uint32_t *)(plic + offset);
}

void plic_init(uintptr_t base, unsigned ctx)
{
	plic = base;
	context = ctx;
	*reg(THRESHOLD(context)) = 0; /* every priority above 0 gets through */
}

void plic_enable(unsigned irq)
{
	*reg(PRIORITY(irq)) = 1;
	*reg(ENABLE(context, irq)) |= 1u << (irq % 32);
}

unsigned plic_claim(void)
{
	return *reg(CLAIM(context));
}

void plic_complete(unsigned irq)
{
	*reg(CLAIM(context)) = irq;
}
