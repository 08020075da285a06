/**
 * @file main.c
 * @brief kmain(): from a working console to the shell prompt.
 */
#include "arch.h"
#include "kprintf.h"
#include "memory.h"
#include "pmm.h"
#include "shell.h"
#include "vm.h"
#include "vm_kernel.h"

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
	for (size_t i = 0; i < boot_memory.nr_devices; i++)
		print_range("device", &boot_memory.devices[i]);

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

/* Switch to the kernel's own page tables (W^X, guard page, devices). */
static void paging_init(void)
{
	struct vm_stats st;
	int err = vm_kernel_init(&boot_memory);
	if (err != VM_OK)
		panic("cannot map the %s: %s", vm_kernel_failed_region(), vm_strerror(err));
	vm_get_stats(&st);
	kprintf("paging: %s, %lu table pages; mapped %lu 4K, %lu 2M, %lu 1G pages\n",
		arch_pt_format()->name, (unsigned long)st.table_pages,
		(unsigned long)st.leaves_4k, (unsigned long)st.leaves_2m,
		(unsigned long)st.leaves_1g);
}

_Noreturn void kmain(void)
{
	kprintf("\nPagoda on %s\n", arch_name());
	memory_init();
	paging_init();
	shell_run();
}
