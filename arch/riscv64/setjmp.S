/*
 * arch_setjmp / arch_longjmp: save and restore what the calling convention
 * says a callee keeps (ra, sp, s0-s11), and sstatus (whether interrupts
 * are on), so that a fault can abandon a shell command and resume at the
 * shell's recovery point: the trap it jumps out of had turned them off.
 */
	.section .text
	.globl arch_setjmp, arch_longjmp
arch_setjmp:
	sd	ra, 0*8(a0)
	sd	sp, 1*8(a0)
	sd	s0, 2*8(a0)
	sd	s1, 3*8(a0)
	sd	s2, 4*8(a0)
	sd	s3, 5*8(a0)
	sd	s4, 6*8(a0)
	sd	s5, 7*8(a0)
	sd	s6, 8*8(a0)
	sd	s7, 9*8(a0)
	sd	s8, 10*8(a0)
	sd	s9, 11*8(a0)
	sd	s10, 12*8(a0)
	sd	s11, 13*8(a0)
	csrr	t0, sstatus
	sd	t0, 14*8(a0)
	li	a0, 0
	ret

arch_longjmp:
	ld	ra, 0*8(a0)
	ld	sp, 1*8(a0)
	ld	s0, 2*8(a0)
	ld	s1, 3*8(a0)
	ld	s2, 4*8(a0)
	ld	s3, 5*8(a0)
	ld	s4, 6*8(a0)
	ld	s5, 7*8(a0)
	ld	s6, 8*8(a0)
	ld	s7, 9*8(a0)
	ld	s8, 10*8(a0)
	ld	s9, 11*8(a0)
	ld	s10, 12*8(a0)
	ld	s11, 13*8(a0)
	ld	t0, 14*8(a0)
	andi	t0, t0, 2	/* sstatus.SIE */
	csrs	sstatus, t0
	mv	a0, a1
	ret
