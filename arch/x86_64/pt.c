/**
 * @file pt.c
 * @brief The x86_64 4-level page-table format (Intel SDM vol. 3, 4.5).
 *
 * PML4, PDPT, PD, PT: four levels of 512 entries over a 48-bit address.
 * A PDPT or PD entry with PS set is a 1 GiB or 2 MiB leaf. Reading cannot
 * be switched off; writing needs RW (enforced in ring 0 by CR0.WP), and
 * executing is refused by NX (enabled by EFER.NXE).
 *
 * Plain C with no instruction of the machine (those are in mmu.c), so the
 * host tests run the walker over this very encoding.
 */
#include "arch.h"
#include "pt_x86_64.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define ADDRESS_MASK 0x000ffffffffff000ull /* bits 12..51: the physical address */
#define PAGE_SHIFT 12 /* a 4 KiB page; larger leaves have PS set */

static uint64_t make_leaf(uintptr_t pa, unsigned flags, unsigned shift)
{
	uint64_t e = PTE_P | PTE_A | PTE_D | (pa & ADDRESS_MASK);
	if (flags & VM_WRITE)
		e |= PTE_RW;
	if (flags & VM_USER)
		e |= PTE_US;
	if (flags & VM_GLOBAL)
		e |= PTE_G;
	if (flags & VM_DEVICE)
		e |= PTE_PCD | PTE_PWT;
	if (!(flags & VM_EXEC))
		e |= PTE_NX;
	if (shift > PAGE_SHIFT)
		e |= PTE_PS;
	return e;
}

static uint64_t make_table(uintptr_t pa)
{
	/* Tables allow everything; the leaf decides. */
	return PTE_P | PTE_RW | PTE_US | (pa & ADDRESS_MASK);
}

static int is_present(uint64_t e)
{
	return (e & PTE_P) != 0;
}

static int is_leaf(uint64_t e, unsigned shift)
{
	return shift == PAGE_SHIFT || (e & PTE_PS) != 0;
}

static uintptr_t address(uint64_t e)
{
	return (uintptr_t)(e & ADDRESS_MASK);
}

static unsigned flags(uint64_t e)
{
	return VM_READ | ((e & PTE_RW) ? VM_WRITE : 0) | ((e & PTE_NX) ? 0 : VM_EXEC) |
	       ((e & PTE_US) ? VM_USER : 0) | ((e & PTE_G) ? VM_GLOBAL : 0) |
	       ((e & PTE_PCD) ? VM_DEVICE : 0);
}

static struct pt_format four_level = {
	.name = "x86_64 4-level",
	.levels = 4,
	.va_bits = 48,
	.pa_bits = 52, /* the architecture's limit; the CPU may have fewer (mmu.c) */
	.leaf_sizes = VM_SIZE_4K | VM_SIZE_2M, /* + 1 GiB if the CPU has it */
	.make_leaf = make_leaf,
	.make_table = make_table,
	.is_present = is_present,
	.is_leaf = is_leaf,
	.address = address,
	.flags = flags,
};

const struct pt_format *x86_64_format(void)
{
	return &four_level;
}

void x86_64_format_set_pa_bits(unsigned bits)
{
	four_level.pa_bits = bits;
}

void x86_64_format_allow_1g(void)
{
	four_level.leaf_sizes |= VM_SIZE_1G;
}
