/**
 * @file x86.h
 * @brief Definitions shared inside arch/x86_64 only.
 */
#ifndef PAGODA_X86_H
#define PAGODA_X86_H

#include <stddef.h>
#include <stdint.h>

/** @brief C start-up, called by boot.S in long mode. */
_Noreturn void x86_start(uint32_t magic, uintptr_t boot_info);

/** @brief COM1 at 115200 8N1. */
void serial_init(void);
/** @brief Send one byte on COM1. */
void serial_putc(char c);
/** @brief COM1's interrupt: hand every byte received to the console. */
void serial_interrupt(void);

/** @brief Clear the VGA text screen and take it over. */
void vga_init(void);
/** @brief Show one byte on the VGA text screen (\\r, \\n, \\b understood). */
void vga_putc(char c);

/** @brief The keyboard's interrupt: hand the bytes typed (arrows as
 *         ESC [ A/B) to the console. */
void keyboard_interrupt(void);

/** @brief Stop in the Bochs debugger (xchg bx, bx); a no-op elsewhere. */
void bochs_break(void);

/** @brief Turn on NX and CR0.WP; find out whether 1 GiB pages exist. */
void x86_paging_init(void);

struct boot_memory;
/**
 * @brief Map the RAM above the 4 GiB that boot.S maps, with page tables
 *        taken from free RAM below 4 GiB (added to @p m's reserved ranges).
 */
void x86_boot_map_ram(struct boot_memory *m);

/** @brief Install the exception and interrupt handlers; every IRQ masked. */
void idt_init(void);
/** @brief Load the IDT idt_init() built, and CPU @p cpu's TSS (its exception stack). */
void idt_load(unsigned cpu);

#define VECTOR_WAKE 48          /**< the IPI arch_cpu_wake() sends */
#define VECTOR_APIC_SPURIOUS 63 /**< what a local APIC sends for an interrupt that vanished */

/** @brief Let the keyboard's and COM1's IRQs through the PIC. */
void pic_enable_console(void);

/** @brief Measure the TSC's rate against the PIT, for arch_time_ns(). */
void clock_init(void);

/** @brief Remember the multiboot2 boot information for later lookups. */
void multiboot_init(uintptr_t boot_info);
/** @brief Physical address of the boot information. */
uintptr_t multiboot_address(void);
/** @brief Size in bytes of the boot information. */
uint32_t multiboot_size(void);
/** @brief The first boot-information tag of @p type, or NULL. */
const void *multiboot_find(uint32_t type);
/** @brief The ACPI RSDP GRUB copied into the boot information, or NULL. */
const void *multiboot_rsdp(void);

/**
 * @brief Find the ACPI PM1 control port and the S5 (soft-off) sleep type,
 *        and hand each CPU the MADT lists to cpu_found().
 * @param rsdp the RSDP (from multiboot_rsdp()), or NULL
 * @param port receives the PM1a control port
 * @param from_dsdt receives 1 if the DSDT gave the sleep type, 0 if the default is used
 * @return 1 if the port was found
 */
int acpi_init(const void *rsdp, unsigned *port, int *from_dsdt);
/** @brief Enter ACPI S5; returns only if that did not work. */
void acpi_poweroff(void);

/** @brief Make the CPU running this CPU 0, the boot CPU (before acpi_init()). */
void cpu_init_boot(void);
/** @brief The MADT lists a CPU whose local APIC id is @p apic_id. */
void cpu_found(unsigned apic_id);
/** @brief The physical address of the local APIC's registers (IA32_APIC_BASE). */
uintptr_t x86_lapic_address(void);
/** @brief Let this CPU's local APIC take fixed IPIs (VECTOR_WAKE). */
void lapic_enable(void);
/** @brief Tell this CPU's local APIC the interrupt it gave is served. */
void lapic_end_of_interrupt(void);
/** @brief Send INIT to the CPU whose local APIC id is @p apic_id (it waits for a start-up). */
void lapic_send_init(unsigned apic_id);
/** @brief Send a start-up IPI: CPU @p apic_id runs real-mode code at @p page (below 1 MiB). */
void lapic_send_startup(unsigned apic_id, uintptr_t page);
/** @brief Interrupt CPU @p apic_id with VECTOR_WAKE. */
void lapic_send_wake(unsigned apic_id);

#endif
