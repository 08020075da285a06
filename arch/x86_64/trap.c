/**
 * @file trap.c
 * @brief The interrupt descriptor table and the exception handler.
 *
 * Interrupts stay disabled (the kernel polls its devices), so anything that
 * arrives here is a CPU exception: a bug. For now each is fatal: panic()
 * prints the reason and exits QEMU with a non-zero status instead of letting
 * a triple fault reboot the machine.
 */
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
#define GATE_INTERRUPT 0x8e /* present, ring 0, 64-bit interrupt gate */

extern const uint64_t isr_table[32];
static struct idt_gate idt[32];

void x86_trap(struct trap_frame *frame);

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
};

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) pointer = { sizeof(idt) - 1, (uintptr_t)idt };

	for (int i = 0; i < 32; i++) {
		uint64_t addr = isr_table[i];
		idt[i] = (struct idt_gate){ (uint16_t)addr, KERNEL_CODE, 0, GATE_INTERRUPT,
					    (uint16_t)(addr >> 16), (uint32_t)(addr >> 32), 0 };
	}
	__asm__ volatile("lidt %0" : : "m"(pointer));
	/* Mask both 8259 PICs: nothing should ever raise an IRQ. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void x86_trap(struct trap_frame *frame)
{
	const char *name = names[frame->vector & 31] ? names[frame->vector & 31] : "reserved";
	panic("exception %lu: %s (error 0x%lx) at 0x%lx (pc 0x%lx, rsp 0x%lx)",
	      (unsigned long)frame->vector, name, (unsigned long)frame->error,
	      (unsigned long)read_cr2(), (unsigned long)frame->rip, (unsigned long)frame->rsp);
}
