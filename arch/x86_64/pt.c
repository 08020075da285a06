/**
 * @file pt.c
 * @brief The x86_64 4-level page-table format (Intel SDM vol. 3, 4.5).
 *
 * PML4, PDPT, PD, PT: four levels of 512 entries over a 48-bit address.
 * A PDPT or PD entry with PS set is a 1 GiB or 2 MiB leaf. Reading cannot
 * be switched off; writing needs RW (enforced in ring 0 by CR0.WP), and
 * executing is refused by NX (enabled by EFER.NXE).
 */
#include "arch.h"
#include "io.h"
#include "vm.h"
#include "x86.h"

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
#define ADDRESS_MASK 0x000ffffffffff000ull

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
	if (shift > 12)
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
	return shift == 12 || (e & PTE_PS) != 0;
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
	.leaf_sizes = VM_SIZE_4K | VM_SIZE_2M, /* + 1 GiB if the CPU has it */
	.make_leaf = make_leaf,
	.make_table = make_table,
	.is_present = is_present,
	.is_leaf = is_leaf,
	.address = address,
	.flags = flags,
};

void x86_paging_init(void)
{
	uint32_t eax = 0x80000001, ebx, ecx, edx;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
	if (edx & (1u << 26)) /* pdpe1gb */
		four_level.leaf_sizes |= VM_SIZE_1G;
	/* NX needs EFER.NXE; read-only pages bind ring 0 only with CR0.WP. */
	write_msr(MSR_EFER, read_msr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
}

const struct pt_format *arch_pt_format(void)
{
	return &four_level;
}

void arch_vm_activate(const struct vm_space *space)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(space->root) : "memory");
}

void arch_tlb_flush(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
