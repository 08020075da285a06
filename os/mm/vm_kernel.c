/**
 * @file vm_kernel.c
 * @brief The kernel's own address space, built at boot.
 *
 * - all RAM at virtual == physical address, with the largest pages that
 *   fit, read/write and never executable;
 * - the kernel image W^X: text read+execute, rodata read-only, data and
 *   bss read/write;
 * - the null page unmapped, so a null pointer faults;
 * - the page below each CPU's kernel stack unmapped: a stack overflow
 *   faults there;
 * - device registers mapped as devices.
 * Demonstration mappings from the shell go elsewhere: see vm_demo.c.
 */
#include "arch.h"
#include "vm.h"
#include "vm_kernel.h"

struct vm_space kernel_space;
struct spinlock vm_lock = SPINLOCK_INIT("vm");

#define PAGE_DOWN(x) ((x) & ~(VM_SIZE_4K - 1))
#define PAGE_UP(x) PAGE_DOWN((x) + VM_SIZE_4K - 1)

static const char *failed_region;

static int map_region(uintptr_t start, uintptr_t end, unsigned flags, const char *what)
{
	start = PAGE_UP(start);
	end = PAGE_DOWN(end);
	if (end <= start)
		return VM_OK;
	int err = vm_map_largest(&kernel_space, start, start, end - start, flags | VM_GLOBAL);
	if (err != VM_OK)
		failed_region = what;
	return err;
}

const char *vm_kernel_failed_region(void)
{
	return failed_region;
}

/* RAM except the null page and the kernel image (which is mapped by part). */
static int map_ram(const struct mem_range *r)
{
	uintptr_t start = r->start < VM_SIZE_4K ? VM_SIZE_4K : r->start;
	uintptr_t kstart = (uintptr_t)_kernel_start, kend = (uintptr_t)_kernel_end;
	int err = VM_OK;

	if (kend <= start || kstart >= r->end)
		return map_region(start, r->end, VM_READ | VM_WRITE, "RAM");
	if (start < kstart)
		err = map_region(start, kstart, VM_READ | VM_WRITE, "RAM");
	if (err == VM_OK && kend < r->end)
		err = map_region(kend, r->end, VM_READ | VM_WRITE, "RAM");
	return err;
}

/* The kernel stacks: each CPU's slot but its guard page (arch.h). */
static int map_stacks(void)
{
	int err = VM_OK;
	for (unsigned i = 0; err == VM_OK && i < ARCH_MAX_CPUS; i++) {
		uintptr_t slot = arch_stack_slot(i);
		err = map_region(slot + ARCH_GUARD_SIZE, slot + ARCH_STACK_SLOT,
				 VM_READ | VM_WRITE, "kernel stack");
	}
	return err;
}

int vm_kernel_init(const struct boot_memory *m)
{
	uintptr_t stacks = arch_stack_slot(0), stacks_end = arch_stack_slot(ARCH_MAX_CPUS);
	int err = vm_space_init(&kernel_space);

	for (size_t i = 0; err == VM_OK && i < m->nr_ram; i++)
		err = map_ram(&m->ram[i]);
	if (err == VM_OK)
		err = map_region((uintptr_t)_kernel_start, (uintptr_t)_etext, VM_READ | VM_EXEC,
				 "kernel text");
	if (err == VM_OK)
		err = map_region((uintptr_t)_etext, (uintptr_t)_erodata, VM_READ, "kernel rodata");
	if (err == VM_OK)
		err = map_region((uintptr_t)_erodata, stacks, VM_READ | VM_WRITE, "kernel data");
	if (err == VM_OK)
		err = map_stacks();
	if (err == VM_OK)
		err = map_region(stacks_end, (uintptr_t)_kernel_end, VM_READ | VM_WRITE,
				 "kernel bss");
	/* Device registers: the whole pages around them (RAM: only whole pages inside). */
	for (size_t i = 0; err == VM_OK && i < m->nr_devices; i++)
		err = map_region(PAGE_DOWN(m->devices[i].start), PAGE_UP(m->devices[i].end),
				 VM_READ | VM_WRITE | VM_DEVICE, m->devices[i].what);
	if (err != VM_OK)
		return err;
	arch_vm_activate(kernel_space.root);
	return VM_OK;
}

int vm_is_stack_guard(uintptr_t addr)
{
	return addr >= arch_stack_slot(0) && addr < arch_stack_slot(ARCH_MAX_CPUS) &&
	       (addr - arch_stack_slot(0)) % ARCH_STACK_SLOT < ARCH_GUARD_SIZE;
}
