/**
 * @file trap.c
 * @brief The interrupt descriptor table, the exception handler, and the
 *        interrupts of the legacy 8259 PICs.
 *
 * The only interrupts enabled are the console's: the PS/2 keyboard (IRQ 1)
 * and COM1 (IRQ 4), whose handlers pass the bytes received to the console.
 * Every other vector is a CPU exception. A page fault goes to the handler the OS
 * set with arch_set_fault_handler(), which maps a lazy page and has the
 * instruction run again, or abandons the shell command;
 * anything else is a bug: panic() prints
 * the reason and exits QEMU with a non-zero status instead of letting a
 * triple fault reboot the machine.
 *
 * Every exception and interrupt runs on its CPU's own exception stack
 * (IST1 of that CPU's TSS), so a fault on a stack's guard page can still be
 * reported. They are interrupt gates: interrupts are off until the
 * handler's iretq, so that stack is never used twice at once. The other
 * CPUs take one interrupt, VECTOR_WAKE, sent by arch_cpu_wake() (cpus.c).
 */
#include "arch.h"
#include "io.h"
#include "kprintf.h"
#include "x86.h"

/** @brief What isr.S pushed, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/** @brief One 16-byte IDT entry (an interrupt gate). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t zero;
} __attribute__((packed));

#define KERNEL_CODE 0x08
#define TSS_SELECTOR(cpu) (0x18 + 16 * (cpu)) /* boot.S: a 16-byte descriptor each */
#define GATE_INTERRUPT 0x8e /* present, ring 0, 64-bit interrupt gate */
#define VECTOR_PAGE_FAULT 14 /* #PF: CR2 holds the address, the error code says why */
#define PF_WRITE (1u << 1)
#define PF_FETCH (1u << 4)
#define NR_VECTORS 64       /* 32 exceptions, IRQs 0-15, the local APIC's 48-63 */
#define IRQ_BASE 32         /* the vector of IRQ 0 */
#define IRQ_KEYBOARD 1
#define IRQ_COM1 4
#define IRQ_SPURIOUS 7      /* what the master PIC sends when an IRQ vanished */

/* The two 8259 PICs: the master has IRQs 0-7, the slave (on its IRQ 2) 8-15. */
#define PIC1_COMMAND 0x20
#define PIC1_DATA 0x21
#define PIC2_COMMAND 0xa0
#define PIC2_DATA 0xa1
#define PIC_INIT 0x11         /* ICW1: initialise, ICW4 follows */
#define PIC_8086 0x01         /* ICW4: 8086 mode */
#define PIC_EOI 0x20          /* OCW2: end of interrupt */
#define PIC_READ_ISR 0x0b     /* OCW3: next read of the command port gives the in-service bits */

/** @brief The 64-bit task-state segment: only its stack pointers matter here. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

extern const uint64_t isr_table[NR_VECTORS];
extern uint64_t gdt64_tss[ARCH_MAX_CPUS][2];
static arch_fault_handler fault_handler;
static struct idt_gate idt[NR_VECTORS];
/* A TSS and an exception stack per CPU: ltr marks a TSS busy, so no two
 * CPUs can load the same one, nor share a stack they may trap on at once. */
static struct tss tss[ARCH_MAX_CPUS];
static uint8_t exception_stacks[ARCH_MAX_CPUS][8192] __attribute__((aligned(16)));

/* Point CPU @cpu's GDT entry at its TSS and load it: IST1 = its exception stack. */
static void tss_load(unsigned cpu)
{
	struct tss *t = &tss[cpu];
	uint64_t base = (uintptr_t)t, limit = sizeof(*t) - 1;
	t->ist[0] = (uintptr_t)(exception_stacks[cpu] + sizeof(exception_stacks[cpu]));
	t->iomap_base = sizeof(*t);
	gdt64_tss[cpu][0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 /* present, available 64-bit TSS */
			    | ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt64_tss[cpu][1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TSS_SELECTOR(cpu)) : "memory");
}

void x86_trap(struct trap_frame *frame);

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
};

void idt_load(unsigned cpu)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) pointer = { sizeof(idt) - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
	tss_load(cpu);
}

void idt_init(void)
{
	for (int i = 0; i < NR_VECTORS; i++) {
		uint64_t addr = isr_table[i];
		idt[i] = (struct idt_gate){ (uint16_t)addr, KERNEL_CODE, 1 /* IST1 */, GATE_INTERRUPT,
					    (uint16_t)(addr >> 16), (uint32_t)(addr >> 32), 0 };
	}
	idt_load(0);
	/* The PICs start with IRQs on vectors 8-15, the CPU's exceptions:
	 * move them to 32-47, and mask every IRQ until pic_enable(). */
	outb(PIC1_COMMAND, PIC_INIT);
	outb(PIC2_COMMAND, PIC_INIT);
	outb(PIC1_DATA, IRQ_BASE);     /* ICW2: vector of IRQ 0 */
	outb(PIC2_DATA, IRQ_BASE + 8); /* ... and of IRQ 8 */
	outb(PIC1_DATA, 1 << 2);       /* ICW3: the slave is on the master's IRQ 2 */
	outb(PIC2_DATA, 2);            /* ... and knows it is */
	outb(PIC1_DATA, PIC_8086);
	outb(PIC2_DATA, PIC_8086);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

void pic_enable_console(void)
{
	outb(PIC1_DATA, (uint8_t)~(1 << IRQ_KEYBOARD | 1 << IRQ_COM1));
}

/* IRQ @irq came: serve its device, then tell the PIC it is done. */
static void irq(unsigned irq)
{
	if (irq == IRQ_SPURIOUS) {
		outb(PIC1_COMMAND, PIC_READ_ISR);
		if ((inb(PIC1_COMMAND) & (1 << IRQ_SPURIOUS)) == 0)
			return; /* spurious: nothing to serve, no end of interrupt */
	}
	if (irq == IRQ_KEYBOARD)
		keyboard_interrupt();
	else if (irq == IRQ_COM1)
		serial_interrupt();
	if (irq >= 8)
		outb(PIC2_COMMAND, PIC_EOI);
	outb(PIC1_COMMAND, PIC_EOI);
}

void arch_set_fault_handler(arch_fault_handler handler)
{
	fault_handler = handler;
}

void x86_trap(struct trap_frame *frame)
{
	if (frame->vector == VECTOR_WAKE) { /* arch_cpu_wake(): waking is all it asks */
		lapic_end_of_interrupt();
		return;
	}
	if (frame->vector == VECTOR_APIC_SPURIOUS) /* no end of interrupt for these */
		return;
	if (frame->vector >= IRQ_BASE) {
		irq((unsigned)(frame->vector - IRQ_BASE));
		return;
	}
	if (frame->vector == VECTOR_PAGE_FAULT && fault_handler != NULL) {
		enum fault_access access = (frame->error & PF_FETCH)   ? FAULT_EXECUTE
					   : (frame->error & PF_WRITE) ? FAULT_WRITE
								       : FAULT_READ;
		struct arch_fault fault = { access, read_cr2(), frame->rip, 0 };
		/* Resolved (a lazy page now mapped): iretq to rip, the faulting
		 * instruction, with every register as it was. */
		if (fault_handler(&fault))
			return;
	}
	const char *name = names[frame->vector & 31] ? names[frame->vector & 31] : "reserved";
	panic("exception %lu: %s (error 0x%lx) at 0x%lx (pc 0x%lx, rsp 0x%lx)",
	      (unsigned long)frame->vector, name, (unsigned long)frame->error,
	      (unsigned long)read_cr2(), (unsigned long)frame->rip, (unsigned long)frame->rsp);
}
