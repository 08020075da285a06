/**
 * @file mmu.c
 * @brief Turning Sv39 on and flushing its TLB: satp and sfence.vma.
 */
#include "pt_sv39.h"
#include "riscv.h"

#define SATP_SV39 (8ull << 60)

const struct pt_format *arch_pt_format(void)
{
	return sv39_format();
}

void arch_vm_activate(uintptr_t root)
{
	csr_write(satp, SATP_SV39 | (root >> PAGE_SHIFT));
	__asm__ volatile("sfence.vma" ::: "memory");
}

void arch_tlb_flush(uintptr_t va)
{
	__asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}
