/**
 * @file trap.c
 * @brief The interrupt descriptor table and the exception handler.
 *
 * Interrupts stay disabled (the kernel polls its devices), so anything that
 * arrives here is a CPU exception. A page fault goes to the handler the OS
 * set with arch_set_fault_handler(), which maps a lazy page and has the
 * instruction run again, or abandons the shell command;
 * anything else is a bug: panic() prints
 * the reason and exits QEMU with a non-zero status instead of letting a
 * triple fault reboot the machine.
 *
 * Every exception runs on its own stack (IST1 of the TSS), so a fault on
 * the boot stack's guard page can still be reported.
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
#define TSS_SELECTOR 0x18
#define GATE_INTERRUPT 0x8e /* present, ring 0, 64-bit interrupt gate */
#define VECTOR_PAGE_FAULT 14 /* #PF: CR2 holds the address, the error code says why */
#define PF_WRITE (1u << 1)
#define PF_FETCH (1u << 4)

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

extern const uint64_t isr_table[32];
extern uint64_t gdt64_tss[2];
static arch_fault_handler fault_handler;
static struct idt_gate idt[32];
static struct tss tss;
static uint8_t exception_stack[8192] __attribute__((aligned(16)));

/* Point GDT entry 0x18 at the TSS and load it: IST1 = the exception stack. */
static void tss_init(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	tss.ist[0] = (uintptr_t)(exception_stack + sizeof(exception_stack));
	tss.iomap_base = sizeof(tss);
	gdt64_tss[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 /* present, available 64-bit TSS */
		       | ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt64_tss[1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TSS_SELECTOR) : "memory");
}

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
		idt[i] = (struct idt_gate){ (uint16_t)addr, KERNEL_CODE, 1 /* IST1 */, GATE_INTERRUPT,
					    (uint16_t)(addr >> 16), (uint32_t)(addr >> 32), 0 };
	}
	tss_init();
	__asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
	/* Mask both 8259 PICs: nothing should ever raise an IRQ. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void arch_set_fault_handler(arch_fault_handler handler)
{
	fault_handler = handler;
}

void x86_trap(struct trap_frame *frame)
{
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
