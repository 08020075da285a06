/**
 * @file multiboot.c
 * @brief Reading the multiboot2 boot information GRUB leaves in memory.
 *
 * It is a total size, a reserved word, then 8-byte aligned tags, each
 * starting with a type and a size; type 0 ends the list.
 */
#include "x86.h"

#define MB2_TAG_END 0
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

static uintptr_t info;

void multiboot_init(uintptr_t boot_info)
{
	info = boot_info;
}

uintptr_t multiboot_address(void)
{
	return info;
}

uint32_t multiboot_size(void)
{
	return *(const uint32_t *)info;
}

/* The first tag of @type, or NULL. */
const void *multiboot_find(uint32_t type)
{
	uintptr_t p = info + 8, end = info + multiboot_size();
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *tag = (const struct mb2_tag *)p;
		if (tag->type == MB2_TAG_END)
			break;
		if (tag->type == type)
			return tag;
		p += (tag->size + 7) & ~(uintptr_t)7;
	}
	return NULL;
}

const void *multiboot_rsdp(void)
{
	const struct mb2_tag *tag = multiboot_find(MB2_TAG_ACPI_NEW);
	if (tag == NULL)
		tag = multiboot_find(MB2_TAG_ACPI_OLD);
	return tag ? (const void *)(tag + 1) : NULL;
}
