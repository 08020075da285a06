/*
 * __ctzdi2: count the trailing zero bits of a 64-bit word (x != 0).
 *
 * As __clzdi2 (clz.c): RV64IMAC has no instruction for it, so gcc compiles
 * __builtin_ctzl() into a call to this libgcc helper, and the kernel links
 * no library. The page manager uses it for the alignment of a page frame
 * number and to search its free-chunk bitmap.
 *
 * A binary search, not a bit-by-bit loop (an optimising compiler could
 * turn such a loop back into a call to this very function).
 */

int __ctzdi2(unsigned long x);

int __ctzdi2(unsigned long x)
{
	int zeros = 0;

	for (int half = 32; half > 0; half /= 2) {
		if ((x & ((1ul << half) - 1)) == 0) {
			zeros += half;
			x >>= half;
		}
	}
	return zeros;
}
