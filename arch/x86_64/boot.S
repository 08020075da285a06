/*
 * The first instructions of the x86_64 kernel.
 *
 * GRUB loads this ELF through multiboot2 and jumps to _start in 32-bit
 * protected mode, paging off, eax = multiboot2 magic, ebx = boot information.
 * Here we build just enough to reach 64-bit C code:
 *   1. early page tables: the first 4 GiB mapped at virtual == physical
 *      with 2 MiB pages (the course's memory model, from the first
 *      instruction). Everything a 32-bit boot loader and the firmware hand
 *      us lies below 4 GiB: the kernel, the boot information, the ACPI
 *      tables. RAM above 4 GiB is mapped later, in C, once the memory map
 *      says how much there is (boot_map.c);
 *   2. PAE + EFER.LME + paging = long mode (compatibility submode);
 *   3. a 64-bit GDT and a far jump into a 64-bit code segment.
 *
 * The other CPUs (application processors, APs) take the same road from
 * further back: cpus.c copies ap_trampoline to AP_TRAMPOLINE, below 1 MiB,
 * and its start-up IPI starts the AP there in real mode.
 */
#include "arch.h"

/* Long mode's data segments: the kernel's data selector (0x10, gdt64) in
 * ds, es and ss, null in fs and gs (the boot CPU and every AP). */
.macro DATA_SEGMENTS
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
.endm
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define EARLY_MAP_GIB 4
#define PTE_PRESENT 0x1
#define PTE_WRITE 0x2
#define PTE_HUGE 0x80
#define CR4_PAE (1 << 5)
#define CR0_PG (1 << 31)
#define CR0_PE 1
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define AP_TRAMPOLINE 0x8000 /* cpus.c: where the trampoline is copied */
/* The address of trampoline label x once copied to AP_TRAMPOLINE. */
#define AP(x) ((x) - ap_trampoline + AP_TRAMPOLINE)

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* end tag: type 0, flags 0, size 8 */
	.word	0, 0
	.long	8
mb2_header_end:

	/* Unwind info for gdb, kept in .debug_frame (.eh_frame is discarded). */
	.cfi_sections .debug_frame

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	movl	$boot_stack_top, %esp
	movl	%eax, %edi		/* magic: first argument of x86_start */
	movl	%ebx, %esi		/* boot information: second argument */

	/* Long mode needs CPUID leaf 0x80000001, EDX bit 29. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx
	jz	no_long_mode

	/* PML4[0] -> PDPT; PDPT[i] -> PD i; PD entries map 2 MiB each. */
	movl	$early_pdpt, %eax
	orl	$(PTE_PRESENT | PTE_WRITE), %eax
	movl	%eax, early_pml4

	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$12, %eax
	addl	$early_pd, %eax
	orl	$(PTE_PRESENT | PTE_WRITE), %eax
	movl	%eax, early_pdpt(, %ecx, 8)
	incl	%ecx
	cmpl	$EARLY_MAP_GIB, %ecx
	jb	1b

	/* Entry k of the PDs (k = 0 .. 4*512-1) maps physical k * 2 MiB:
	 * low word (k << 21) | flags, high word k >> 11. */
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$(PTE_PRESENT | PTE_WRITE | PTE_HUGE), %eax
	movl	%eax, early_pd(, %ecx, 8)
	movl	%ecx, %eax
	shrl	$11, %eax
	movl	%eax, early_pd + 4(, %ecx, 8)
	incl	%ecx
	cmpl	$(EARLY_MAP_GIB * 512), %ecx
	jb	2b

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$early_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0

	lgdt	gdt64_pointer
	ljmp	$0x08, $long_mode

/* Without long mode, say so on the VGA screen and stop. */
no_long_mode:
	movl	$no_long_mode_text, %esi
	movl	$0xb8000, %edi
3:	lodsb
	testb	%al, %al
	jz	4f
	movb	%al, (%edi)
	movb	$0x4f, 1(%edi)
	addl	$2, %edi
	jmp	3b
4:	hlt
	jmp	4b

	.code64
long_mode:
	/* Tell debuggers this is the outermost frame: no caller to unwind to. */
	.cfi_startproc
	.cfi_undefined rip
	DATA_SEGMENTS
	/* edi, esi still hold magic and boot information (zero-extended). */
	movl	%edi, %edi
	movl	%esi, %esi
	xorl	%ebp, %ebp
	call	x86_start
5:	hlt
	jmp	5b
	.cfi_endproc

/*
 * An AP's first instructions, copied to AP_TRAMPOLINE (never run where
 * they are linked). The start-up IPI starts the AP in real mode at
 * AP_TRAMPOLINE: cs = AP_TRAMPOLINE >> 4, ip = 0, paging off. From there
 * it is boot's road: protected mode with a small GDT of its own, then long
 * mode with boot.S's early page tables (below 4 GiB, and they map the
 * kernel at virtual == physical), then the kernel's 64-bit GDT and a far
 * jump into the kernel at ap_long_mode.
 */
	.section .rodata
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	AP(ap_gdt_pointer)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $AP(ap_protected)

	.code32
ap_protected:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$early_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	/* NXE too: the boot CPU has since set no-execute bits in these
	 * tables (x86_paging_init), reserved bits without it. */
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	lgdt	gdt64_pointer
	ljmp	$0x08, $ap_long_mode

	.balign 8
ap_gdt:
	.quad	0			/* null */
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
ap_gdt_pointer:
	.word	ap_gdt_pointer - ap_gdt - 1
	.long	AP(ap_gdt)
ap_trampoline_end:

	.section .text
	.code64
/* An AP in long mode, still on boot.S's early page tables: ap_starting
 * (cpus.c) is its struct x86_cpu, whose first field is its stack's top. */
ap_long_mode:
	.cfi_startproc
	.cfi_undefined rip
	DATA_SEGMENTS
	movq	ap_starting(%rip), %rdi
	movq	(%rdi), %rsp
	/* The stack's top word names the CPU that runs on it (its struct
	 * x86_cpu): for a debugger, and for the test that each CPU has a
	 * slot of its own. Then a zero return address: the outermost frame. */
	pushq	%rdi
	pushq	$0
	xorl	%ebp, %ebp
	call	x86_ap_start
6:	hlt
	jmp	6b
	.cfi_endproc

	.section .rodata
no_long_mode_text:
	.asciz	"Pagoda needs a 64-bit (long mode) CPU."

	/* In .data, not .rodata: the CPU writes the descriptors' accessed bits. */
	.section .data
	.balign 16
	.globl gdt64
gdt64:
	.quad	0			/* null */
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code, ring 0 */
	.quad	0x00cf92000000ffff	/* 0x10: data, ring 0 */
	.globl gdt64_tss
gdt64_tss:
	/* 0x18, 0x28, ...: each CPU's TSS, 16 bytes each, filled in by trap.c */
	.fill	2 * ARCH_MAX_CPUS, 8, 0
gdt64_end:
gdt64_pointer:
	.word	gdt64_end - gdt64 - 1
	.quad	gdt64

	.section .bss.pagetables, "aw", @nobits
	.balign 4096
	.globl early_pml4, early_pdpt
early_pml4:
	.space	4096
early_pdpt:
	.space	4096
early_pd:
	.space	4096 * EARLY_MAP_GIB

	/* The kernel stacks (arch.h): one slot a CPU, each an
	 * unmapped guard page and the stack above it, so running off a stack
	 * faults instead of silently overwriting other data. Slot 0 is the
	 * boot CPU's. */
	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl kernel_stacks, boot_stack_guard, boot_stack, boot_stack_top
kernel_stacks:
boot_stack_guard:
	.space	ARCH_GUARD_SIZE
boot_stack:
	.space	ARCH_STACK_SIZE
boot_stack_top:
	.space	ARCH_STACK_SLOT * (ARCH_MAX_CPUS - 1)
