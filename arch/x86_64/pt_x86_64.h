/**
 * @file pt_x86_64.h
 * @brief The x86_64 page-table format (pt.c), apart from CR3 and MSRs (mmu.c).
 */
#ifndef PAGODA_X86_PT_X86_64_H
#define PAGODA_X86_PT_X86_64_H

#include "arch.h"

/** @brief The 4-level description the walker uses. */
const struct pt_format *x86_64_format(void);

/** @brief The CPU's physical-address width (CPUID MAXPHYADDR): entry bits
 *         above it are reserved and fault if set. */
void x86_64_format_set_pa_bits(unsigned bits);

/** @brief Allow 1 GiB leaves (when the CPU has pdpe1gb). */
void x86_64_format_allow_1g(void);

#endif
