/**
 * @file pt_fold.h
 * @brief Folding a page-table visit into tables and runs of like leaves,
 *        shared by the `pt` and `dot pt` commands.
 */
#ifndef PAGODA_SHELL_PT_FOLD_H
#define PAGODA_SHELL_PT_FOLD_H

#include <stddef.h>
#include <stdint.h>

/** @brief Consecutive leaves of one level with the same flags, contiguous in va and pa. */
struct pt_run {
	unsigned level;     /**< table level of the leaves */
	unsigned index;     /**< entry index of the first */
	uintptr_t va;       /**< virtual address of the first */
	uintptr_t pa;       /**< physical address of the first */
	uintptr_t size;     /**< size of one leaf */
	size_t count;       /**< number of leaves */
	unsigned flags;     /**< VM_* flags */
};

/** @brief What the folder reports: tables as they come, runs when complete. */
struct pt_fold {
	void (*table)(unsigned level, unsigned index, uintptr_t va, uintptr_t size,
		      uintptr_t table_pa, void *ctx); /**< an entry pointing to a table */
	void (*run)(const struct pt_run *run, void *ctx); /**< a finished run of leaves */
	void *ctx;                                        /**< passed to both */
	struct pt_run current;                            /**< the run being built */
	int active;                                       /**< current holds a run */
};

/** @brief Visit the kernel space in [start, end) and report through @p fold. */
void pt_fold_visit(struct pt_fold *fold, uintptr_t start, uintptr_t end);

/** @brief Write "rwx" flags as in /proc/PID/maps, plus u and g where set. */
void pt_flags_text(unsigned flags, char out[8]);

/** @brief "4K", "2M" or "1G". */
const char *pt_size_text(uintptr_t size);

#endif
