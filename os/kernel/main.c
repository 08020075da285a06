/**
 * @file main.c
 * @brief kmain(): from a working console to the shell prompt.
 */
#include "arch.h"
#include "kprintf.h"
#include "memory.h"
#include "pmm.h"
#include "shell.h"

static struct boot_memory boot_memory;
static struct mem_range usable[BOOT_MEMORY_MAX];

static void print_range(const char *kind, const struct mem_range *r)
{
	kprintf("  %-8s 0x%08lx-0x%08lx %6lu KiB  %s\n", kind, (unsigned long)r->start,
		(unsigned long)r->end, (unsigned long)((r->end - r->start) >> 10),
		r->what ? r->what : "");
}

/* Hand every usable range to the page manager, and say what happened. */
static void memory_init(void)
{
	arch_boot_memory(&boot_memory);
	kprintf("memory map:\n");
	for (size_t i = 0; i < boot_memory.nr_ram; i++)
		print_range("ram", &boot_memory.ram[i]);
	for (size_t i = 0; i < boot_memory.nr_reserved; i++)
		print_range("reserved", &boot_memory.reserved[i]);

	size_t count = memory_usable(&boot_memory, usable, BOOT_MEMORY_MAX);
	pmm_init();
	for (size_t i = 0; i < count; i++) {
		int seg = pmm_add_segment(usable[i].start, usable[i].end);
		if (seg < 0) {
			kprintf("  skipped  0x%08lx-0x%08lx: %s\n", (unsigned long)usable[i].start,
				(unsigned long)usable[i].end, pmm_strerror(seg));
			continue;
		}
		struct pmm_segment_info info;
		pmm_segment_info((unsigned)seg, &info);
		kprintf("  seg%d     0x%08lx-0x%08lx %6lu pages (page array: %lu pages)\n", seg,
			(unsigned long)info.start, (unsigned long)info.end,
			(unsigned long)info.pages, (unsigned long)info.array_pages);
	}
	if (pmm_segment_count() == 0)
		panic("no usable memory");
	kprintf("page manager: %lu pages (%lu KiB) in %u segments\n",
		(unsigned long)pmm_total_pages(), (unsigned long)(pmm_total_pages() * 4),
		pmm_segment_count());
}

_Noreturn void kmain(void)
{
	kprintf("\nPagoda on %s\n", arch_name());
	memory_init();
	shell_run();
}
