/**
 * @file start.c
 * @brief x86_start(): from boot.S in long mode to kmain(), and power-off
 *        with its status if it returns.
 */
#include "arch.h"
#include "kprintf.h"
#include "x86.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289

_Noreturn void x86_start(uint32_t magic, uintptr_t boot_info)
{
	serial_init();
	vga_init();
	idt_init();
	if (magic != MB2_BOOTLOADER_MAGIC)
		panic("not started by a multiboot2 loader (magic 0x%x)", magic);
	multiboot_init(boot_info);
	x86_paging_init();
	clock_init();
	kprintf("x86_64: long mode, boot information at 0x%lx (%u bytes)\n",
		(unsigned long)boot_info, multiboot_size());
	unsigned port;
	int from_dsdt;
	cpu_init_boot();
	if (acpi_init(multiboot_rsdp(), &port, &from_dsdt))
		kprintf("x86_64: ACPI power-off through port 0x%x (S5 type %s)\n", port,
			from_dsdt ? "from the DSDT" : "0, the DSDT has none");
	else
		kprintf("x86_64: no ACPI found: poweroff will halt instead\n");
	pic_enable_console(); /* console input by interrupt, from now on */
	__asm__ volatile("sti" ::: "memory");
	arch_poweroff(kmain());
}

const char *arch_name(void)
{
	return "x86_64 (multiboot2 from GRUB, long mode)";
}

/**
 * @brief Bochs' magic breakpoint: with `magic_break: enabled=1` Bochs stops
 *        in its debugger at this instruction; on any other x86 CPU it is a
 *        harmless exchange of bx with itself. Call it from code you want
 *        to inspect. Never inlined: Bochs then stops in bochs_break()
 *        itself at -O2 too, a name to look for.
 */
__attribute__((noinline)) void bochs_break(void)
{
	__asm__ volatile("xchg %%bx, %%bx" ::: "memory");
}

int arch_debug_break(void)
{
	bochs_break();
	return 1;
}
