/**
 * @file clock.c
 * @brief Time and a sink for results, so measured loops stay in the binary.
 */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "bench.h"

static volatile uintptr_t sink;

uint64_t bench_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void bench_keep(uintptr_t value)
{
	sink = value;
}
