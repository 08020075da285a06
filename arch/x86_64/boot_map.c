/**
 * @file boot_map.c
 * @brief Extending boot.S's page tables to every byte of RAM.
 *
 * boot.S maps the first 4 GiB, which is all a 32-bit boot loader can use.
 * The page manager then writes each segment's page array at the front of
 * the segment, and vm_kernel_init() writes its page tables into pages the
 * page manager hands out, all before the kernel's own tables exist: so RAM
 * above 4 GiB must be mapped before the memory map goes to the page manager.
 *
 * How much RAM there is only the memory map knows, so the page directories
 * for it cannot be in the kernel image: they are taken from free RAM below
 * 4 GiB (already mapped, so we can write them) and reported as reserved.
 * One page directory maps 1 GiB with 2 MiB pages (every x86_64 CPU has
 * them; 1 GiB pages need pdpe1gb, which QEMU's default CPU lacks), and one
 * page-directory-pointer table covers 512 GiB.
 */
#include "kprintf.h"
#include "mem_range.h"
#include "x86.h"

#define PAGE_SIZE 4096
#define GIB ((uint64_t)1 << 30)
#define BOOT_MAPPED (4 * GIB) /* boot.S's EARLY_MAP_GIB */
#define PTE_PRESENT 0x1
#define PTE_WRITE 0x2
#define PTE_HUGE 0x80
#define PTE_ADDR 0x000ffffffffff000ull

extern uint64_t early_pml4[512];

/* Free pages below BOOT_MAPPED, handed out one by one. */
static uintptr_t next_table;

/* Reserve @pages pages of usable RAM below BOOT_MAPPED for page tables. */
static void reserve_tables(struct boot_memory *m, size_t pages)
{
	static struct mem_range usable[BOOT_MEMORY_MAX];
	size_t count = memory_usable(m, usable, BOOT_MEMORY_MAX);
	uintptr_t need = pages * PAGE_SIZE;

	for (size_t i = 0; i < count; i++) {
		uintptr_t start = (usable[i].start + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
		if (start + need > usable[i].end || start + need > BOOT_MAPPED)
			continue;
		next_table = start;
		if (!mem_range_add(m->reserved, &m->nr_reserved, start, start + need,
				   "page tables for RAM above 4 GiB"))
			panic("too many reserved memory ranges");
		return;
	}
	panic("no %lu free pages below 4 GiB for the page tables of the RAM above",
	      (unsigned long)pages);
}

/* A zeroed table page from the reserved pages. */
static uint64_t *take_table(void)
{
	uint64_t *table = (uint64_t *)next_table;
	next_table += PAGE_SIZE;
	for (int i = 0; i < 512; i++)
		table[i] = 0;
	return table;
}

/* The table an entry points to, made (zeroed) if the entry is empty. */
static uint64_t *table_below(uint64_t *entry)
{
	if (!(*entry & PTE_PRESENT))
		*entry = (uintptr_t)take_table() | PTE_PRESENT | PTE_WRITE;
	return (uint64_t *)(uintptr_t)(*entry & PTE_ADDR);
}

void x86_boot_map_ram(struct boot_memory *m)
{
	uint64_t top = 0;
	for (size_t i = 0; i < m->nr_ram; i++)
		if (m->ram[i].end > top)
			top = m->ram[i].end;
	if (top <= BOOT_MAPPED)
		return;

	/* One page directory per GiB above 4 GiB, and at most one more
	 * page-directory-pointer table per 512 GiB. A GiB that holds no RAM is
	 * mapped too: nothing touches it, and the kernel's own tables, built
	 * from the memory map, replace these ones. */
	uint64_t first_gib = BOOT_MAPPED / GIB, end_gib = (top + GIB - 1) / GIB;
	reserve_tables(m, (size_t)(end_gib - first_gib + (end_gib - 1) / 512));

	for (uint64_t gib = first_gib; gib < end_gib; gib++) {
		uint64_t *pdpt = table_below(&early_pml4[gib / 512]);
		uint64_t *pd = table_below(&pdpt[gib % 512]);
		for (uint64_t i = 0; i < 512; i++)
			pd[i] = (gib * GIB + i * (2u << 20)) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	}
	/* Entries that were empty are never in the TLB; reloading CR3 anyway
	 * keeps the rule simple: change a table, then flush. */
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}
