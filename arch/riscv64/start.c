/**
 * @file start.c
 * @brief riscv_start(): from OpenSBI's hand-over to kmain(), and power-off
 *        with its status if it returns.
 */
#include "arch.h"
#include "cpu.h"
#include "fdt.h"
#include "kprintf.h"
#include "kstring.h"
#include "riscv.h"

/** @brief What riscv_start() looks for in the device tree. */
struct devices {
	unsigned uart_irq; /**< the UART's interrupt source at the PLIC (0: none) */
	uintptr_t plic;    /**< the PLIC's registers (0: none) */
};

/* Find the harts, the console UART, its interrupt controller and the
 * power-off device in the device tree. */
static void find_devices(const struct fdt_node *node, void *ctx)
{
	struct devices *found = ctx;
	uint64_t addr, size;
	if (!fdt_reg(node, 0, &addr, &size))
		return;
	if (node->depth == 2 && fdt_name_is(node->path[0], "cpus") && node->device_type &&
	    strcmp(node->device_type, "cpu") == 0) {
		/* A hart's reg is its hart id; a disabled one (a board's
		 * monitor core, say) is not for the kernel. */
		if (node->status == NULL || strcmp(node->status, "okay") == 0)
			cpu_found((unsigned long)addr);
	} else if (fdt_compatible(node, "ns16550a")) {
		uart_init((uintptr_t)addr, 0);
		found->uart_irq = node->interrupt;
		boot_device_add((uintptr_t)addr, (uintptr_t)size, "uart");
	} else if (fdt_compatible(node, "riscv,plic0") || fdt_compatible(node, "sifive,plic-1.0.0")) {
		found->plic = (uintptr_t)addr;
		boot_device_add((uintptr_t)addr, (uintptr_t)size, "interrupt controller");
	} else if (fdt_compatible(node, "sifive,test0")) {
		power_init((uintptr_t)addr);
		boot_device_add((uintptr_t)addr, (uintptr_t)size, "test device");
	}
}

/**
 * @brief C start-up on riscv64, called by entry.S on the boot stack.
 * @param hartid this hart's id (OpenSBI keeps the others stopped until
 *        arch_cpus_start() starts them)
 * @param dtb the flattened device tree OpenSBI passes in a1
 */
_Noreturn void riscv_start(unsigned long hartid, const void *dtb)
{
	struct devices found = { 0, 0 };
	cpu_init_boot(hartid); /* tp: CPU 0's data, with its trap stack */
	trap_init();
	if (fdt_walk(dtb, find_devices, &found) != 0)
		panic("no valid device tree at %p", dtb);
	kprintf("riscv64: hart %lu, device tree at %p (%u bytes)\n", hartid, dtb,
		fdt_size(dtb));
	if (found.plic == 0 || found.uart_irq == 0)
		panic("no interrupt controller for the UART in the device tree");
	boot_memory_init(dtb);
	/* Console input by interrupt: the UART raises source uart_irq at the
	 * PLIC, which raises an S-mode external interrupt on this hart (QEMU
	 * virt gives hart N the contexts 2N, M-mode, and 2N + 1, S-mode). */
	plic_init(found.plic, 2 * (unsigned)hartid + 1);
	plic_enable(found.uart_irq);
	uart_enable_receive_interrupt();
	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SSTATUS_SIE);
	arch_poweroff(kmain());
}

const char *arch_name(void)
{
	return "riscv64 (QEMU virt, S-mode under OpenSBI)";
}

int arch_interrupts_off(void)
{
	return (csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE) != 0;
}

void arch_interrupts_restore(int on)
{
	if (on)
		csr_set(sstatus, SSTATUS_SIE);
}

void arch_wait_for_interrupt(void)
{
	/* wfi wakes for an enabled interrupt even while sstatus.SIE is off;
	 * turning SIE on for a moment lets it be taken. */
	__asm__ volatile("wfi" ::: "memory");
	csr_set(sstatus, SSTATUS_SIE);
	csr_read_clear(sstatus, SSTATUS_SIE);
}

void arch_interrupts_let_in(void)
{
	/* An interrupt pending and enabled in sie is taken as soon as SIE is on. */
	int on = arch_interrupts_off();
	csr_set(sstatus, SSTATUS_SIE);
	csr_read_clear(sstatus, SSTATUS_SIE);
	arch_interrupts_restore(on);
}

int arch_debug_break(void)
{
	/* Without a debugger attached, ebreak would trap into the kernel. */
	return 0;
}
