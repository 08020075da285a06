/**
 * @file rng.c
 * @brief Seeded random numbers: the same seed gives the same workload.
 */
#include "bench.h"

void rng_seed(struct bench_rng *rng, uint64_t seed)
{
	/* splitmix64 of the seed: never 0, and nearby seeds differ everywhere. */
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	rng->state = (z ^ (z >> 31)) | 1;
}

uint64_t rng_next(struct bench_rng *rng)
{
	rng->state ^= rng->state >> 12;
	rng->state ^= rng->state << 25;
	rng->state ^= rng->state >> 27;
	return rng->state * 0x2545f4914f6cdd1dull;
}

size_t rng_below(struct bench_rng *rng, size_t n)
{
	return (size_t)((rng_next(rng) >> 11) % n);
}

void rng_shuffle(struct bench_rng *rng, uintptr_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(rng, i);
		uintptr_t t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}
