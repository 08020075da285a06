/*
 * arch_setjmp / arch_longjmp: save and restore what the System V ABI says a
 * callee keeps (rbx, rbp, r12-r15, rsp), the return address and rflags
 * (whether interrupts are on), so that a fault can abandon a shell command
 * and resume at the shell's recovery point: the trap it jumps out of had
 * turned interrupts off.
 */
	.section .text
	.globl arch_setjmp, arch_longjmp
arch_setjmp:
	movq	%rbx, 0*8(%rdi)
	movq	%rbp, 1*8(%rdi)
	movq	%r12, 2*8(%rdi)
	movq	%r13, 3*8(%rdi)
	movq	%r14, 4*8(%rdi)
	movq	%r15, 5*8(%rdi)
	leaq	8(%rsp), %rax		/* rsp after our return */
	movq	%rax, 6*8(%rdi)
	movq	(%rsp), %rax		/* our return address */
	movq	%rax, 7*8(%rdi)
	pushfq
	popq	8*8(%rdi)
	xorl	%eax, %eax
	ret

arch_longjmp:
	movq	0*8(%rdi), %rbx
	movq	1*8(%rdi), %rbp
	movq	2*8(%rdi), %r12
	movq	3*8(%rdi), %r13
	movq	4*8(%rdi), %r14
	movq	5*8(%rdi), %r15
	movq	6*8(%rdi), %rsp
	pushq	8*8(%rdi)
	popfq
	movl	%esi, %eax
	jmpq	*7*8(%rdi)
