/**
 * @file memory.h
 * @brief Physical memory as reported at boot, and what remains usable.
 */
#ifndef PAGODA_MEMORY_H
#define PAGODA_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define BOOT_MEMORY_MAX 32 /**< ranges of each kind the kernel keeps */

/** @brief A range of physical addresses [start, end) with a label. */
struct mem_range {
	uintptr_t start;  /**< first byte */
	uintptr_t end;    /**< one past the last byte */
	const char *what; /**< what it is, for the boot log */
};

/** @brief Memory as the firmware and boot loader describe it. */
struct boot_memory {
	struct mem_range ram[BOOT_MEMORY_MAX];      /**< RAM ranges */
	size_t nr_ram;                              /**< how many */
	struct mem_range reserved[BOOT_MEMORY_MAX]; /**< not to be handed out */
	size_t nr_reserved;                         /**< how many */
	struct mem_range devices[BOOT_MEMORY_MAX];  /**< device registers the kernel uses */
	size_t nr_devices;                          /**< how many */
};

/** @brief Add a range to a list of at most BOOT_MEMORY_MAX; 0 if it was full. */
int mem_range_add(struct mem_range *list, size_t *count, uintptr_t start,
		  uintptr_t end, const char *what);

/**
 * @brief The RAM of @p memory minus every reserved range, in address order.
 * @return the number of ranges written to @p usable (at most @p max)
 */
size_t memory_usable(const struct boot_memory *memory, struct mem_range *usable, size_t max);

#endif
