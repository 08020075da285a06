/**
 * @file mmu.c
 * @brief Paging on x86_64: feature bits, CR3 and invlpg.
 */
#include "io.h"
#include "pt_x86_64.h"
#include "x86.h"

void x86_paging_init(void)
{
	uint32_t eax = 0x80000001, ebx, ecx, edx;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
	if (edx & (1u << 26)) /* pdpe1gb */
		x86_64_format_allow_1g();
	/* Entry bits above MAXPHYADDR are reserved: setting one faults. */
	eax = 0x80000008;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
	x86_64_format_set_pa_bits(eax & 0xff);
	/* NX needs EFER.NXE; read-only pages bind ring 0 only with CR0.WP. */
	write_msr(MSR_EFER, read_msr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
}

const struct pt_format *arch_pt_format(void)
{
	return x86_64_format();
}

void arch_vm_activate(const struct vm_space *space)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(space->root) : "memory");
}

void arch_tlb_flush(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
