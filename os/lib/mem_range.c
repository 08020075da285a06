/**
 * @file mem_range.c
 * @brief Usable memory = RAM minus reserved ranges, shared by every arch.
 */
#include "lab.h"
#include "mem_range.h"

int mem_range_add(struct mem_range *list, size_t *count, uintptr_t start,
		  uintptr_t end, const char *what)
{
	if (*count >= BOOT_MEMORY_MAX || end <= start)
		return 0;
	list[*count].start = start;
	list[*count].end = end;
	list[*count].what = what;
	(*count)++;
	return 1;
}

/* LAB memmap BEGIN */
/* Remove [start, end) from every range of @list, splitting where needed. */
static void subtract(struct mem_range *list, size_t *count, size_t max,
		     uintptr_t start, uintptr_t end)
{
	for (size_t i = 0; i < *count; i++) {
		struct mem_range *r = &list[i];
		if (end <= r->start || start >= r->end)
			continue;
		if (start > r->start && end < r->end && *count < max) {
			/* The hole is in the middle: keep both sides. */
			list[*count] = *r;
			list[*count].start = end;
			(*count)++;
			r->end = start;
		} else if (start > r->start) {
			r->end = start;
		} else {
			r->start = end < r->end ? end : r->end;
		}
	}
}
/* LAB memmap STUB memory_usable
*/
/* LAB memmap END */

size_t memory_usable(const struct boot_memory *memory, struct mem_range *usable, size_t max)
{
	/* LAB memmap BEGIN */
	size_t count = 0;

	for (size_t i = 0; i < memory->nr_ram && count < max; i++)
		usable[count++] = memory->ram[i];
	for (size_t i = 0; i < memory->nr_reserved; i++)
		subtract(usable, &count, max, memory->reserved[i].start, memory->reserved[i].end);

	/* Drop emptied ranges and sort by address (insertion sort: few ranges). */
	size_t kept = 0;
	for (size_t i = 0; i < count; i++)
		if (usable[i].end > usable[i].start)
			usable[kept++] = usable[i];
	for (size_t i = 1; i < kept; i++) {
		struct mem_range r = usable[i];
		size_t j = i;
		while (j > 0 && usable[j - 1].start > r.start) {
			usable[j] = usable[j - 1];
			j--;
		}
		usable[j] = r;
	}
	return kept;
	/* LAB memmap STUB memory_usable
	(void)memory;
	(void)usable;
	(void)max;
	LAB_TODO("memmap", "memory_usable");
	*/
	/* LAB memmap END */
}
