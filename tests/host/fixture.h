/*
 * Host test fixture: "physical memory" is an ordinary heap buffer aligned
 * to 1 MiB, so block alignment on the host matches the kernel's.
 */
#ifndef PAGODA_TEST_FIXTURE_H
#define PAGODA_TEST_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pmm.h"

#define MIB ((uintptr_t)1 << 20)
#define PAGE PMM_PAGE_SIZE

static void *arena;

/* A 1 MiB-aligned buffer of @size bytes; the previous one is released. */
static inline uintptr_t arena_new(size_t size)
{
	free(arena);
	arena = aligned_alloc(MIB, (size + MIB - 1) & ~(MIB - 1));
	assert_non_null(arena);
	pmm_init();
	return (uintptr_t)arena;
}

static inline int arena_teardown(void **state)
{
	(void)state;
	free(arena);
	arena = NULL;
	return 0;
}

/* Everything a student could observe through meminfo and buddy. */
struct snapshot {
	size_t free_pages;
	size_t blocks[PMM_MAX_SEGMENTS][PMM_NR_ORDERS];
};

static inline void take_snapshot(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->free_pages = pmm_free_page_count();
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		struct pmm_segment_info info;
		assert_int_equal(pmm_segment_info(i, &info), PMM_OK);
		memcpy(s->blocks[i], info.free_blocks, sizeof(info.free_blocks));
	}
}

static inline void assert_unchanged(const struct snapshot *before)
{
	struct snapshot now;
	take_snapshot(&now);
	assert_memory_equal(before, &now, sizeof(now));
}

static inline void assert_check_ok(void)
{
	assert_int_equal(pmm_check(NULL, NULL), 0);
}

/* One segment of exactly @mib MiB of managed pages starting 1 MiB-aligned:
 * the range handed over begins just early enough for the page array. */
static inline uintptr_t aligned_segment(size_t mib)
{
	uintptr_t base = arena_new((mib + 1) * MIB);
	size_t pages = mib * 256;
	size_t per_page = PAGE / sizeof(struct pmm_page);
	size_t array_pages = (pages + per_page - 1) / per_page;
	assert_int_equal(pmm_add_segment(base + MIB - array_pages * PAGE, base + (mib + 1) * MIB), 0);
	struct pmm_segment_info info;
	pmm_segment_info(0, &info);
	assert_int_equal(info.start, base + MIB);
	assert_int_equal(info.pages, pages);
	return info.start;
}

#endif
