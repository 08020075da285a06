/**
 * @file pt_sv39.h
 * @brief The Sv39 page-table format (pt.c), apart from the CSRs (mmu.c).
 */
#ifndef PAGODA_RISCV_PT_SV39_H
#define PAGODA_RISCV_PT_SV39_H

#include "arch.h"

#define PAGE_SHIFT 12 /**< a 4 KiB page: the low 12 bits are the offset, the rest the page number */

/** @brief The Sv39 description the walker uses. */
const struct pt_format *sv39_format(void);

#endif
