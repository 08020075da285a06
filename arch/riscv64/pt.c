/**
 * @file pt.c
 * @brief Sv39: the riscv64 page-table format (privileged spec, 4.4).
 *
 * Three levels of 512 eight-byte entries; a 39-bit virtual address is
 * VPN[2] | VPN[1] | VPN[0] | 12-bit offset. An entry is a leaf when any of
 * R, W, X is set, so 1 GiB and 2 MiB pages are simply leaves higher up.
 *
 * Plain C with no instruction of the machine (those are in mmu.c), so the
 * host tests run the walker over this very encoding.
 */
#include "arch.h"
#include "pt_sv39.h"

#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_G (1u << 5)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)
#define PTE_PPN_SHIFT 10
#define PPN_BITS 44 /* a physical page number: 56-bit addresses */
#define PPN_MASK ((1ull << PPN_BITS) - 1)

static uint64_t make_leaf(uintptr_t pa, unsigned flags, unsigned shift)
{
	(void)shift;
	/* A and D set up front: no fault the first time a page is used. */
	uint64_t e = PTE_V | PTE_A | PTE_D | ((uint64_t)(pa >> PAGE_SHIFT) << PTE_PPN_SHIFT);
	if (flags & VM_READ)
		e |= PTE_R;
	if (flags & VM_WRITE)
		e |= PTE_W | PTE_R; /* W without R is reserved */
	if (flags & VM_EXEC)
		e |= PTE_X;
	if (flags & VM_USER)
		e |= PTE_U;
	if (flags & VM_GLOBAL)
		e |= PTE_G;
	return e; /* VM_DEVICE: Sv39 has no memory types; the PMAs decide */
}

static uint64_t make_table(uintptr_t pa)
{
	return PTE_V | ((uint64_t)(pa >> PAGE_SHIFT) << PTE_PPN_SHIFT);
}

static int is_present(uint64_t e)
{
	return (e & PTE_V) != 0;
}

static int is_leaf(uint64_t e, unsigned shift)
{
	(void)shift;
	return (e & (PTE_R | PTE_W | PTE_X)) != 0;
}

static uintptr_t address(uint64_t e)
{
	return (uintptr_t)((e >> PTE_PPN_SHIFT) & PPN_MASK) << PAGE_SHIFT;
}

static unsigned flags(uint64_t e)
{
	return ((e & PTE_R) ? VM_READ : 0) | ((e & PTE_W) ? VM_WRITE : 0) |
	       ((e & PTE_X) ? VM_EXEC : 0) | ((e & PTE_U) ? VM_USER : 0) |
	       ((e & PTE_G) ? VM_GLOBAL : 0);
}

static const struct pt_format sv39 = {
	.name = "Sv39",
	.levels = 3,
	.va_bits = 39,
	.pa_bits = PPN_BITS + PAGE_SHIFT,
	.leaf_sizes = VM_SIZE_4K | VM_SIZE_2M | VM_SIZE_1G,
	.make_leaf = make_leaf,
	.make_table = make_table,
	.is_present = is_present,
	.is_leaf = is_leaf,
	.address = address,
	.flags = flags,
};

const struct pt_format *sv39_format(void)
{
	return &sv39;
}
