/**
 * @file mmu.c
 * @brief Paging on x86_64: feature bits, CR3 and invlpg.
 */
#include "io.h"
#include "pt_x86_64.h"
#include "x86.h"

#define CPUID_EXT_FEATURES 0x80000001  /* extended feature bits */
#define CPUID_EDX_PDPE1GB (1u << 26)    /* 1 GiB pages */
#define CPUID_ADDRESS_SIZES 0x80000008 /* physical and virtual address widths */
#define CPUID_EAX_PA_BITS 0xff          /* MAXPHYADDR */

void x86_paging_init(void)
{
	uint32_t eax = CPUID_EXT_FEATURES, ebx, ecx, edx;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
	if (edx & CPUID_EDX_PDPE1GB)
		x86_64_format_allow_1g();
	/* Entry bits above MAXPHYADDR are reserved: setting one faults. */
	eax = CPUID_ADDRESS_SIZES;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
	x86_64_format_set_pa_bits(eax & CPUID_EAX_PA_BITS);
	/* NX needs EFER.NXE; read-only pages bind ring 0 only with CR0.WP. */
	write_msr(MSR_EFER, read_msr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
}

const struct pt_format *arch_pt_format(void)
{
	return x86_64_format();
}

void arch_vm_activate(uintptr_t root)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(root) : "memory");
}

void arch_tlb_flush(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
