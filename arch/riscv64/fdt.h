/**
 * @file fdt.h
 * @brief A minimal reader of the flattened device tree OpenSBI hands over.
 */
#ifndef PAGODA_RISCV_FDT_H
#define PAGODA_RISCV_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_DEPTH 8 /**< deeper nodes are skipped */

/** @brief A node as fdt_walk() shows it, once all its properties are read. */
struct fdt_node {
	const char *path[FDT_MAX_DEPTH]; /**< names from the root's child down */
	int depth;                       /**< 1 for children of the root */
	const uint8_t *reg;              /**< "reg" property, or NULL */
	uint32_t reg_len;                /**< its length in bytes */
	const char *compatible;          /**< "compatible" strings, or NULL */
	uint32_t compatible_len;         /**< their total length */
	const char *device_type;         /**< "device_type", or NULL */
	const char *status;              /**< "status" ("okay", "disabled", ...), or NULL */
	uint32_t interrupt;              /**< first cell of "interrupts" (its source number), or 0 */
	uint32_t address_cells;          /**< of the parent: cells per address */
	uint32_t size_cells;             /**< of the parent: cells per size */
};

/** @brief Total size of the device tree at @p dtb, or 0 if it is not one. */
uint32_t fdt_size(const void *dtb);

/** @brief Call @p fn for every node. @return 0, or -1 for a malformed tree. */
int fdt_walk(const void *dtb, void (*fn)(const struct fdt_node *node, void *ctx), void *ctx);

/** @brief Call @p fn for each /memreserve/ entry of the header. */
void fdt_memreserve(const void *dtb, void (*fn)(uint64_t addr, uint64_t size, void *ctx),
		    void *ctx);

/** @brief True if one of the node's compatible strings is @p name. */
int fdt_compatible(const struct fdt_node *node, const char *name);

/**
 * @brief Read entry @p i of the node's reg property.
 * @return 1 if it exists, 0 past the end
 */
int fdt_reg(const struct fdt_node *node, size_t i, uint64_t *addr, uint64_t *size);

/** @brief True if the node's own name is @p name or starts with "@p name@". */
int fdt_name_is(const char *node_name, const char *name);

#endif
