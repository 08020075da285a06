/*
 * Trap entry: switch to this hart's trap stack (tp points at its struct
 * riscv_cpu, cpu.h), save every general register there as a struct
 * trap_frame (see trap.c), call trap_handler(frame), restore, sret. Its own
 * stack lets a trap report a fault on a kernel stack's guard page, where
 * the interrupted code's stack is unusable.
 */
#include "arch.h"
#include "cpu.h"

	.section .text
	.globl trap_entry
	.balign 4
trap_entry:
	csrw	sscratch, sp		/* the interrupted stack pointer */
	ld	sp, CPU_TRAP_STACK_TOP(tp)
	addi	sp, sp, -32*8
	sd	ra, 1*8(sp)
	sd	gp, 3*8(sp)
	sd	tp, 4*8(sp)
	sd	t0, 5*8(sp)
	sd	t1, 6*8(sp)
	sd	t2, 7*8(sp)
	sd	s0, 8*8(sp)
	sd	s1, 9*8(sp)
	sd	a0, 10*8(sp)
	sd	a1, 11*8(sp)
	sd	a2, 12*8(sp)
	sd	a3, 13*8(sp)
	sd	a4, 14*8(sp)
	sd	a5, 15*8(sp)
	sd	a6, 16*8(sp)
	sd	a7, 17*8(sp)
	sd	s2, 18*8(sp)
	sd	s3, 19*8(sp)
	sd	s4, 20*8(sp)
	sd	s5, 21*8(sp)
	sd	s6, 22*8(sp)
	sd	s7, 23*8(sp)
	sd	s8, 24*8(sp)
	sd	s9, 25*8(sp)
	sd	s10, 26*8(sp)
	sd	s11, 27*8(sp)
	sd	t3, 28*8(sp)
	sd	t4, 29*8(sp)
	sd	t5, 30*8(sp)
	sd	t6, 31*8(sp)
	csrr	t0, sscratch
	sd	t0, 2*8(sp)	/* the stack pointer before the trap */
	mv	a0, sp
	call	trap_handler
	ld	ra, 1*8(sp)
	ld	gp, 3*8(sp)
	ld	tp, 4*8(sp)
	ld	t0, 5*8(sp)
	ld	t1, 6*8(sp)
	ld	t2, 7*8(sp)
	ld	s0, 8*8(sp)
	ld	s1, 9*8(sp)
	ld	a0, 10*8(sp)
	ld	a1, 11*8(sp)
	ld	a2, 12*8(sp)
	ld	a3, 13*8(sp)
	ld	a4, 14*8(sp)
	ld	a5, 15*8(sp)
	ld	a6, 16*8(sp)
	ld	a7, 17*8(sp)
	ld	s2, 18*8(sp)
	ld	s3, 19*8(sp)
	ld	s4, 20*8(sp)
	ld	s5, 21*8(sp)
	ld	s6, 22*8(sp)
	ld	s7, 23*8(sp)
	ld	s8, 24*8(sp)
	ld	s9, 25*8(sp)
	ld	s10, 26*8(sp)
	ld	s11, 27*8(sp)
	ld	t3, 28*8(sp)
	ld	t4, 29*8(sp)
	ld	t5, 30*8(sp)
	ld	t6, 31*8(sp)
	ld	sp, 2*8(sp)
	sret

	/* One trap stack a CPU: cpus.c gives CPU i the i-th. */
	.section .bss, "aw", @nobits
	.balign 16
	.globl trap_stacks
trap_stacks:
	.space	TRAP_STACK_SIZE * ARCH_MAX_CPUS
