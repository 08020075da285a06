/*
 * Page-manager checks every fuzz target runs: pmm_check() must find nothing,
 * and a digest of everything a caller can observe (blocks in address order,
 * every free list in list order, the counts) proves that a refused call
 * changed nothing.
 */
#ifndef PAGODA_FUZZ_PMM_H
#define PAGODA_FUZZ_PMM_H

#include "fuzz.h"
#include "pmm.h"

static void fuzz_report_violation(const struct pmm_violation *v, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "pmm_check: %s in segment %u at 0x%lx (expected %lu, found %lu)\n",
		pmm_violation_text(v->kind), v->segment, (unsigned long)v->addr,
		(unsigned long)v->expected, (unsigned long)v->actual);
}

/* Abort unless every invariant of the page manager holds. */
static inline void fuzz_pmm_check(void)
{
	size_t found = pmm_check(fuzz_report_violation, NULL);
	FUZZ_CHECK(found == 0, "pmm_check found %zu violations", found);
}

static void fuzz_hash_free(uintptr_t addr, void *ctx)
{
	uint64_t *h = ctx;
	*h = fuzz_hash(*h, addr);
}

/* Everything observable about the page manager, as one number. */
static inline uint64_t fuzz_pmm_digest(void)
{
	uint64_t h = FUZZ_HASH_SEED;
	h = fuzz_hash(h, pmm_segment_count());
	h = fuzz_hash(h, pmm_free_page_count());
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_block b;
		size_t cursor = 0;
		while (pmm_walk(s, &cursor, &b)) {
			h = fuzz_hash(h, b.addr);
			h = fuzz_hash(h, b.pages);
			h = fuzz_hash(h, b.state | b.order << 8 | b.holder << 16);
		}
		for (unsigned order = 0; order <= PMM_MAX_ORDER; order++) {
			h = fuzz_hash(h, order);
			pmm_for_each_free(s, order, fuzz_hash_free, &h);
		}
	}
	return h;
}

#endif
