/**
 * @file vm_kernel.h
 * @brief The kernel's address space (see os/mm/vm_kernel.c).
 */
#ifndef PAGODA_VM_KERNEL_H
#define PAGODA_VM_KERNEL_H

#include "arch.h"
#include "spinlock.h"
#include "vm.h"

/** @brief The address space the kernel runs in once vm_kernel_init() is done. */
extern struct vm_space kernel_space;

/**
 * @brief The kernel page tables' lock: held while they change (vm_demo_map(),
 *        vm_demo_reserve(), vm_demo_unmap()) or are checked by stress. Taken
 *        before pmm_lock, never after (mapping takes pages).
 */
extern struct spinlock vm_lock;

/** @brief Build the kernel's page tables from @p memory and switch to them. */
int vm_kernel_init(const struct boot_memory *memory);

/** @brief After vm_kernel_init() failed: what it was mapping ("kernel text", ...). */
const char *vm_kernel_failed_region(void);

/** @brief True if @p addr lies in the guard page below a kernel stack. */
int vm_is_stack_guard(uintptr_t addr);

#endif
