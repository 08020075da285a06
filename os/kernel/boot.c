/**
 * @file boot.c
 * @brief The boot steps kmain() (init/main.c) runs, each saying in the boot
 *        log what it found: the memory map, the page manager's segments,
 *        the kernel's page tables.
 */
#include "arch.h"
#include "boot.h"
#include "kprintf.h"
#include "mem_range.h"
#include "pmm.h"
#include "vm.h"
#include "vm_kernel.h"

static struct boot_memory boot_memory;
static struct mem_range usable[BOOT_MEMORY_MAX];

/* @bytes in the largest unit it reaches (B, KiB, MiB, GiB, TiB): whole,
 * or with one rounded decimal ("3.0 GiB" is just under or over 3 GiB). */
static const char *size_text(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >> (10 * (u + 1)) != 0)
		u++;
	uint64_t unit = (uint64_t)1 << (10 * u);
	if (bytes % unit == 0) {
		ksnprintf(buf, len, "%lu %s", (unsigned long)(bytes / unit), units[u]);
	} else {
		uint64_t tenths = (bytes * 10 + unit / 2) / unit;
		ksnprintf(buf, len, "%lu.%lu %s", (unsigned long)(tenths / 10),
			  (unsigned long)(tenths % 10), units[u]);
	}
	return buf;
}

static void print_range(const char *kind, const struct mem_range *r)
{
	char size[24];
	kprintf("  %-8s 0x%08lx-0x%08lx %10s  %s\n", kind, (unsigned long)r->start,
		(unsigned long)r->end, size_text(size, sizeof(size), r->end - r->start),
		r->what ? r->what : "");
}

void memory_init(void)
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
		kprintf("  seg%d     0x%08lx-0x%08lx %6lu pages (page array: %lu page%s)\n", seg,
			(unsigned long)info.start, (unsigned long)info.end,
			(unsigned long)info.pages, (unsigned long)info.array_pages,
			plural(info.array_pages));
	}
	if (pmm_segment_count() == 0)
		panic("no usable memory");
	char size[24];
	kprintf("page manager: %lu pages (%s) in %u segment%s\n",
		(unsigned long)pmm_total_pages(),
		size_text(size, sizeof(size), (uint64_t)pmm_total_pages() * PMM_PAGE_SIZE),
		pmm_segment_count(), plural(pmm_segment_count()));
}

const struct boot_memory *boot_memory_map(void)
{
	return &boot_memory;
}

void paging_init(void)
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
