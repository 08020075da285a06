/**
 * @file arena.c
 * @brief The "physical memory" of a run: reserved address space, 1 MiB aligned
 *        (as tests/host/fixture.h), so block alignment matches the kernel's.
 *
 * MAP_NORESERVE: only pages an allocator writes (its metadata) cost memory,
 * so 16 GiB can be managed on a machine with less.
 */
#define _DEFAULT_SOURCE
#include <sys/mman.h>

#include "bench.h"

#define ARENA_ALIGN ((uintptr_t)1 << 20)

static uintptr_t mapped;

uintptr_t arena_map(size_t bytes)
{
	void *p = mmap(NULL, bytes + ARENA_ALIGN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	mapped = (uintptr_t)p;
	return (mapped + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

void arena_unmap(uintptr_t start, size_t bytes)
{
	(void)start;
	munmap((void *)mapped, bytes + ARENA_ALIGN);
	mapped = 0;
}
