/**
 * @file memory.c
 * @brief Physical memory from the device tree: /memory nodes are RAM;
 *        /reserved-memory children, /memreserve/ entries, the kernel image
 *        and the device tree itself are reserved.
 *
 * OpenSBI describes the memory it keeps for itself as a /reserved-memory
 * child, so the firmware is excluded without any constant here.
 */
#include "arch.h"
#include "fdt.h"
#include "lab.h"
#include "mem_range.h"
#include "riscv.h"

static const void *boot_dtb;
static struct mem_range devices[BOOT_MEMORY_MAX];
static size_t nr_devices;

void boot_device_add(uintptr_t addr, uintptr_t size, const char *what)
{
	mem_range_add(devices, &nr_devices, addr, addr + size, what);
}

void boot_memory_init(const void *dtb)
{
	boot_dtb = dtb;
}

/** Called for every node of the tree: a /memory node's reg entries are RAM,
 * a /reserved-memory child's are reserved. */
static void add_node(const struct fdt_node *node, void *ctx)
{
	/* LAB memmap BEGIN */
	struct boot_memory *m = ctx;
	uint64_t addr, size;
	int is_memory = node->depth == 1 &&
			(fdt_name_is(node->path[0], "memory") ||
			 (node->device_type && fdt_name_is(node->device_type, "memory")));
	int is_reserved = node->depth == 2 && fdt_name_is(node->path[0], "reserved-memory");

	for (size_t i = 0; (is_memory || is_reserved) && fdt_reg(node, i, &addr, &size); i++) {
		if (is_memory)
			mem_range_add(m->ram, &m->nr_ram, addr, addr + size, "memory node");
		else
			mem_range_add(m->reserved, &m->nr_reserved, addr, addr + size,
				      node->path[1]);
	}
	/* LAB memmap STUB add_node
	(void)node;
	(void)ctx;
	LAB_TODO("memmap", "add_node");
	*/
	/* LAB memmap END */
}

static void add_memreserve(uint64_t addr, uint64_t size, void *ctx)
{
	struct boot_memory *m = ctx;
	mem_range_add(m->reserved, &m->nr_reserved, addr, addr + size, "/memreserve/");
}

void arch_boot_memory(struct boot_memory *m)
{
	uintptr_t dtb = (uintptr_t)boot_dtb;

	m->nr_ram = 0;
	m->nr_reserved = 0;
	m->nr_devices = 0;
	for (size_t i = 0; i < nr_devices; i++)
		m->devices[m->nr_devices++] = devices[i];
	fdt_walk(boot_dtb, add_node, m);
	fdt_memreserve(boot_dtb, add_memreserve, m);
	mem_range_add(m->reserved, &m->nr_reserved, (uintptr_t)_kernel_start,
		      (uintptr_t)_kernel_end, "kernel image");
	mem_range_add(m->reserved, &m->nr_reserved, dtb, dtb + fdt_size(boot_dtb),
		      "device tree");
}
