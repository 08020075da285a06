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

/**
 * @brief Have CPU @p cpu, a parked one (not the caller), run fn(arg); the
 *        caller goes on at once. Only the boot CPU gives work.
 * @return 0, or -1 if that CPU is not parked or has work already
 */
int cpus_run(unsigned cpu, void (*fn)(void *arg), void *arg);

/**
 * @brief Run share(i) on each CPU i from 0 to @p cpus - 1 at once: CPUs 1
 *        and up must be parked; the caller, CPU 0, runs share(0), then
 *        calls @p waiting (if not NULL) again and again until every other
 *        CPU has finished. One shared run at a time.
 * @return 0, or -1 if a CPU could not be given its share (it runs none)
 */
int cpus_share(unsigned cpus, void (*share)(unsigned cpu), void (*waiting)(void));

/** @brief Wait until CPU @p cpu has finished what cpus_run() gave it. */
void cpus_wait(unsigned cpu);

/** @brief Is CPU @p cpu doing what cpus_run() gave it? */
int cpus_busy(unsigned cpu);

/** @brief A word for @p state: "running", "parked", "starting", "left out". */
const char *cpu_state_name(enum arch_cpu_state state);

#endif
