/*
 * __clzdi2: count the leading zero bits of a 64-bit word.
 *
 * RV64IMAC has no instruction for this (the Zbb extension adds one), so
 * gcc compiles __builtin_clzl() into a call to __clzdi2, a helper it
 * normally takes from libgcc. The kernel links no library: here it is.
 * (clang expands the builtin inline and never calls this.)
 *
 * A binary search, not a bit-by-bit loop: an optimising compiler may
 * recognise such a loop as "count leading zeros" and call this very
 * function from itself.
 */

int __clzdi2(unsigned long x);

int __clzdi2(unsigned long x)
{
	int zeros = 0;

	for (int half = 32; half > 0; half /= 2) {
		if ((x >> (64 - half)) == 0) {
			zeros += half;
			x <<= half;
		}
	}
	return zeros;
}
