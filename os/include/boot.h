/**
 * @file boot.h
 * @brief The OS's boot steps, in the order kmain() (init/main.c) runs them.
 */
#ifndef PAGODA_BOOT_H
#define PAGODA_BOOT_H

#include "arch.h"

/**
 * @brief Ask the machine for its memory map, log it, and hand every usable
 *        range to the page manager (panics if none is usable).
 */
void memory_init(void);

/**
 * @brief The memory map memory_init() read from the machine (RAM,
 *        reserved ranges, devices), for the shell to show; empty before it.
 */
const struct boot_memory *boot_memory_map(void);

/**
 * @brief Build the kernel's own page tables (W^X, guard page, devices) from
 *        the memory map memory_init() read, switch to them, and log them.
 */
void paging_init(void);

#endif
