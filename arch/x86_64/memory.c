/**
 * @file memory.c
 * @brief Physical memory from the multiboot2 memory map.
 *
 * RAM is every "available" (type 1) range. Reserved inside it: the first
 * MiB (real-mode data, BIOS, VGA), the kernel image, and the boot
 * information; and the page tables that map RAM above 4 GiB before the
 * kernel's own tables exist (boot_map.c).
 */
#include "arch.h"
#include "lab.h"
#include "mem_range.h"
#include "x86.h"

#define MB2_TAG_MMAP 6
#define MB2_MEMORY_AVAILABLE 1

struct mb2_mmap {
	uint32_t type, size, entry_size, entry_version;
};

struct mb2_mmap_entry {
	uint64_t addr, len;
	uint32_t type, reserved;
};

/** Every available (type 1) entry of the memory map @p mmap (NULL: none) is RAM. */
static void add_available(struct boot_memory *m, const struct mb2_mmap *mmap)
{
	/* LAB memmap BEGIN */
	if (mmap == NULL)
		return;
	/* Entries are entry_size bytes apart: a later spec may make them longer. */
	const uint8_t *p = (const uint8_t *)(mmap + 1);
	const uint8_t *end = (const uint8_t *)mmap + mmap->size;
	for (; p + sizeof(struct mb2_mmap_entry) <= end; p += mmap->entry_size) {
		const struct mb2_mmap_entry *e = (const struct mb2_mmap_entry *)p;
		if (e->type != MB2_MEMORY_AVAILABLE)
			continue;
		mem_range_add(m->ram, &m->nr_ram, e->addr, e->addr + e->len,
			      "available (multiboot2)");
	}
	/* LAB memmap STUB add_available
	(void)m;
	(void)mmap;
	LAB_TODO("memmap", "add_available");
	*/
	/* LAB memmap END */
}

void arch_boot_memory(struct boot_memory *m)
{
	const struct mb2_mmap *mmap = multiboot_find(MB2_TAG_MMAP);

	m->nr_ram = 0;
	m->nr_reserved = 0;
	m->nr_devices = 0;
	mem_range_add(m->devices, &m->nr_devices, 0xb8000, 0xc0000, "VGA text screen");
	mem_range_add(m->devices, &m->nr_devices, x86_lapic_address(),
		      x86_lapic_address() + 0x1000, "local APIC");
	add_available(m, mmap);
	mem_range_add(m->reserved, &m->nr_reserved, 0, 0x100000, "first MiB");
	mem_range_add(m->reserved, &m->nr_reserved, (uintptr_t)_kernel_start,
		      (uintptr_t)_kernel_end, "kernel image");
	mem_range_add(m->reserved, &m->nr_reserved, multiboot_address(),
		      multiboot_address() + multiboot_size(), "boot information");
	/* Last: the tables come from RAM that none of the above reserves. */
	x86_boot_map_ram(m);
}
