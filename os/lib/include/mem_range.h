/**
 * @file mem_range.h
 * @brief Lists of physical memory ranges (the machine interface's struct
 *        mem_range): filling them, and what remains usable.
 *
 * Part of the kernel library: the arch code fills struct boot_memory with
 * mem_range_add(); the OS takes memory_usable() of it.
 */
#ifndef PAGODA_MEM_RANGE_H
#define PAGODA_MEM_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h"

/** @brief Add a range to a list of at most BOOT_MEMORY_MAX; 0 if it was full. */
int mem_range_add(struct mem_range *list, size_t *count, uintptr_t start,
		  uintptr_t end, const char *what);

/**
 * @brief The RAM of @p memory minus every reserved range, in address order.
 * @return the number of ranges written to @p usable (at most @p max)
 */
size_t memory_usable(const struct boot_memory *memory, struct mem_range *usable, size_t max);

#endif
