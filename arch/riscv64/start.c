/**
 * @file start.c
 * @brief riscv_start(): from OpenSBI's hand-over to kmain(), and power-off
 *        with its status if it returns.
 */
#include "arch.h"
#include "fdt.h"
#include "kprintf.h"
#include "riscv.h"

/* Find the console UART and the power-off device in the device tree. */
static void find_devices(const struct fdt_node *node, void *ctx)
{
	uint64_t addr, size;
	(void)ctx;
	if (!fdt_reg(node, 0, &addr, &size))
		return;
	if (fdt_compatible(node, "ns16550a")) {
		uart_init((uintptr_t)addr, 0);
		boot_device_add((uintptr_t)addr, (uintptr_t)size, "uart");
	} else if (fdt_compatible(node, "sifive,test0")) {
		power_init((uintptr_t)addr);
		boot_device_add((uintptr_t)addr, (uintptr_t)size, "test device");
	}
}

/**
 * @brief C start-up on riscv64, called by entry.S on the boot stack.
 * @param hartid this hart's id (the others are parked by OpenSBI)
 * @param dtb the flattened device tree OpenSBI passes in a1
 */
_Noreturn void riscv_start(unsigned long hartid, const void *dtb)
{
	trap_init();
	if (fdt_walk(dtb, find_devices, NULL) != 0)
		panic("no valid device tree at %p", dtb);
	kprintf("riscv64: hart %lu, device tree at %p (%u bytes)\n", hartid, dtb,
		fdt_size(dtb));
	boot_memory_init(dtb);
	arch_poweroff(kmain());
}

const char *arch_name(void)
{
	return "riscv64 (QEMU virt, S-mode under OpenSBI)";
}

/* QEMU virt's timer runs at 10 MHz (the device tree's timebase-frequency):
 * one tick is 100 ns. */
#define NS_PER_TICK 100

uint64_t arch_time_ns(void)
{
	return csr_read(time) * NS_PER_TICK;
}

int arch_debug_break(void)
{
	/* Without a debugger attached, ebreak would trap into the kernel. */
	return 0;
}
