/**
 * @file cpus.h
 * @brief Every CPU the machine has, started at boot (os/kernel/cpus.c).
 */
#ifndef PAGODA_CPUS_H
#define PAGODA_CPUS_H

#include "arch.h"

/**
 * @brief Start every CPU the machine lists (arch_cpus_start()) and log
 *        them: one line with those found and up, one for each left out.
 *        Called once, after paging_init().
 */
void cpus_init(void);

/** @brief How many CPUs cpus_init() found, the boot CPU included (0 before it). */
unsigned cpus_count(void);

/** @brief A word for @p state: "running", "parked", "starting", "left out". */
const char *cpu_state_name(enum arch_cpu_state state);

#endif
