/*
 * The model host_percpu.c compares the student's caches with, and its
 * watch on the buddy system under them: part of that test, kept apart so
 * that each file holds one idea.
 *
 * - the model: a stack of pages per CPU (BATCH, HIGH), refilled in the
 *   order the buddy system hands single pages out, read from
 *   pmm_for_each_free() just before each refill;
 * - the lock: every call a refill or a drain makes into the buddy system
 *   must come with pmm_lock held;
 * - a drain's order: the page manager saved, a drain replayed oldest
 *   first, and the lists it leaves compared with the student's.
 *
 * Included once, by host_percpu.c after its helpers, which it uses:
 * fail(), when, page_no(), arena and arena_size, CPUS and PAGE.
 */
#ifndef PCPMODEL_H
#define PCPMODEL_H

/* ---- the model ---- */

/* Each CPU's cache: page[0] the oldest, page[count - 1] the top. */
struct cache_model {
	uintptr_t page[PMM_PCP_HIGH + 1];
	size_t count;
	uint64_t hits, misses, refills, drains;
};

static struct cache_model model[CPUS];

/* The buddy lists of every segment, head first. */
#define MAX_BLOCKS 1024
struct free_lists {
	uintptr_t block[PMM_MAX_SEGMENTS][PMM_NR_ORDERS][MAX_BLOCKS];
	size_t len[PMM_MAX_SEGMENTS][PMM_NR_ORDERS];
};

static struct free_lists lists; /* as a refill finds them */

struct list_reader {
	struct free_lists *into;
	unsigned seg, order;
};

static void read_block(uintptr_t addr, void *ctx)
{
	struct list_reader *r = ctx;
	size_t *n = &r->into->len[r->seg][r->order];
	if (*n == MAX_BLOCKS)
		fail("the test's model holds %d blocks a list", MAX_BLOCKS);
	r->into->block[r->seg][r->order][(*n)++] = addr;
}

static void read_lists(struct free_lists *into)
{
	for (unsigned s = 0; s < pmm_segment_count(); s++)
		for (unsigned o = 0; o < PMM_NR_ORDERS; o++) {
			struct list_reader r = { into, s, o };
			into->len[s][o] = 0;
			pmm_for_each_free(s, o, read_block, &r);
		}
}

/* The buddy policy for one page: the head of the lowest non-empty list
 * (segments in the order added); a larger block leaves its other pages
 * free as one block of each smaller order, each at the head of its list. */
static int buddy_take(uintptr_t *page)
{
	for (unsigned o = 0; o < PMM_NR_ORDERS; o++)
		for (unsigned s = 0; s < pmm_segment_count(); s++) {
			if (lists.len[s][o] == 0)
				continue;
			uintptr_t block = lists.block[s][o][0];
			memmove(&lists.block[s][o][0], &lists.block[s][o][1],
				--lists.len[s][o] * sizeof(uintptr_t));
			for (unsigned j = 0; j < o; j++) {
				size_t *n = &lists.len[s][j];
				memmove(&lists.block[s][j][1], &lists.block[s][j][0], (*n)++ * sizeof(uintptr_t));
				lists.block[s][j][0] = block + ((uintptr_t)PAGE << j);
			}
			*page = block;
			return 1;
		}
	return 0;
}

/* A refill of an empty cache: up to BATCH pages as the buddy hands them
 * out, the first one on top. */
static void model_refill(struct cache_model *m)
{
	uintptr_t taken[PMM_PCP_BATCH];
	size_t n = 0;
	read_lists(&lists);
	while (n < PMM_PCP_BATCH && buddy_take(&taken[n]))
		n++;
	for (size_t i = 0; i < n; i++)
		m->page[i] = taken[n - 1 - i];
	m->count = n;
	m->refills++;
}

/* The pmm_lock acquires the last model_alloc() or model_free() called for:
 * one for a refill, one for a drain, one for the locked path. */
static uint64_t model_acquires;

/* The page CPU @cpu's next single-page allocation gets (0: none). */
static uintptr_t model_alloc(unsigned cpu)
{
	struct cache_model *m = &model[cpu];
	model_acquires = 0;
	if (m->count == 0) {
		m->misses++;
		model_refill(m);
		model_acquires = 1;
		if (m->count == 0) {
			model_acquires = 2; /* the locked path finds no page either */
			return 0;
		}
	} else {
		m->hits++;
	}
	return m->page[--m->count];
}

/* A single page freed on CPU @cpu: on top; above HIGH, the oldest BATCH go. */
static void model_free(unsigned cpu, uintptr_t page)
{
	struct cache_model *m = &model[cpu];
	m->page[m->count++] = page;
	model_acquires = 0;
	if (m->count > PMM_PCP_HIGH) {
		m->count -= PMM_PCP_BATCH;
		memmove(&m->page[0], &m->page[PMM_PCP_BATCH], m->count * sizeof(uintptr_t));
		m->drains++;
		model_acquires = 1;
	}
}

/* ---- the lock around the buddy system, and a drain's order ---- */

/* lab.mk links this program with -Wl,--wrap=pmm_take_block and
 * -Wl,--wrap=pmm_free_range: every call a refill or a drain makes into the
 * buddy system comes here first, and must come with pmm_lock held. */
int __real_pmm_take_block(unsigned order, struct pmm_segment **seg, size_t *index);
int __wrap_pmm_take_block(unsigned order, struct pmm_segment **seg, size_t *index);
void __real_pmm_free_range(struct pmm_segment *seg, size_t first, size_t last);
void __wrap_pmm_free_range(struct pmm_segment *seg, size_t first, size_t last);

static _Atomic size_t unlocked_calls;

int __wrap_pmm_take_block(unsigned order, struct pmm_segment **seg, size_t *index)
{
	if (!spin_held(&pmm_lock))
		unlocked_calls++;
	return __real_pmm_take_block(order, seg, index);
}

void __wrap_pmm_free_range(struct pmm_segment *seg, size_t first, size_t last)
{
	if (!spin_held(&pmm_lock))
		unlocked_calls++;
	__real_pmm_free_range(seg, first, last);
}

/* The whole page manager: its state and the test's memory (the page
 * arrays and the lists' links live there). */
struct saved_state {
	struct pmm_state pmm;
	unsigned char *bytes;
};

static void save_state(struct saved_state *to)
{
	if (!(to->bytes = realloc(to->bytes, arena_size)))
		fail("out of host memory");
	memcpy(&to->pmm, &pmm, sizeof(pmm));
	memcpy(to->bytes, arena, arena_size);
}

static void restore_state(const struct saved_state *from)
{
	memcpy(&pmm, &from->pmm, sizeof(pmm));
	memcpy(arena, from->bytes, arena_size);
}

/* Which blocks head the lists after a drain depends on the order it gives
 * pages back in: the oldest first. Compare the lists the code left with
 * those a drain of @oldest in that order leaves, from the state @before. */
static void compare_drain_order(const struct saved_state *before, const uintptr_t *oldest)
{
	static struct free_lists got, want;
	static struct saved_state after;
	read_lists(&got);
	save_state(&after);
	restore_state(before);
	for (size_t i = 0; i < PMM_PCP_BATCH; i++) {
		struct pmm_segment *seg = pmm_segment_of(oldest[i]);
		size_t index = pmm_index(seg, oldest[i]);
		seg->page_array[index].state = PMM_PAGE_INSIDE;
		seg->page_array[index].count = 0;
		__real_pmm_free_range(seg, index, index + 1);
	}
	read_lists(&want);
	restore_state(&after);
	unsigned long long digest = 0;
	for (unsigned sg = 0; sg < pmm_segment_count(); sg++)
		for (unsigned o = 0; o < PMM_NR_ORDERS; o++)
			for (size_t i = 0; i < got.len[sg][o]; i++)
				digest = digest * 1000003 + (unsigned long long)page_no(got.block[sg][o][i]);
	lab_observe("the free lists after the drain: digest %llx", digest);
	for (unsigned sg = 0; sg < pmm_segment_count(); sg++)
		for (unsigned o = 0; o < PMM_NR_ORDERS; o++)
			for (size_t i = 0; i < got.len[sg][o] || i < want.len[sg][o]; i++) {
				long g = i < got.len[sg][o] ? page_no(got.block[sg][o][i]) : -1;
				long w = i < want.len[sg][o] ? page_no(want.block[sg][o][i]) : -1;
				if (g != w)
					fail("%s: after a drain, segment %u's order-%u list, block %zu from "
					     "the head: expected page %ld, got %ld (-1: none); a drain gives "
					     "its pages back oldest first", when, sg, o, i, w, g);
			}
}

/* pcp off: each cache that holds pages drains them all; the counters run on. */
static void model_caches_off(void)
{
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		if (model[cpu].count) {
			model[cpu].count = 0;
			model[cpu].drains++;
		}
}

#endif
