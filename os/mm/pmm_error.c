/**
 * @file pmm_error.c
 * @brief The page manager's errors (enum pmm_error in pmm.h) in words.
 */
#include "pmm.h"

const char *pmm_strerror(int error)
{
	switch (error) {
	case PMM_OK: return "success";
	case PMM_ERR_INVALID: return "invalid size";
	case PMM_ERR_NO_MEMORY: return "not enough free memory";
	case PMM_ERR_OUTSIDE: return "address is not in managed memory";
	case PMM_ERR_UNALIGNED: return "address is not page aligned";
	case PMM_ERR_NOT_ALLOCATED: return "page is free (double free or never allocated)";
	case PMM_ERR_INTERIOR: return "address is inside an allocation, not its start";
	case PMM_ERR_SCATTERED: return "page belongs to a scattered set (free the set)";
	case PMM_ERR_NOT_SINGLE: return "allocation is longer than one page";
	case PMM_ERR_BAD_SET: return "set holds a page that is not a live scattered page";
	case PMM_ERR_TOO_MANY: return "too many segments";
	case PMM_ERR_TOO_SMALL: return "segment too small";
	case PMM_ERR_OVERLAP: return "segment overlaps another";
	case PMM_ERR_HELD: return "allocation belongs to the kernel (a page table, mapping, allocator or quarantine)";
	case PMM_ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown error";
}
