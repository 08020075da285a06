/*
 * fuzz_pmm: the page manager's whole public API, driven by the fuzz input,
 * against a model of which pages each live allocation holds.
 *
 * "Physical memory" is a host buffer cut into SLOTS slots; a segment is
 * added inside a slot at a fuzz-chosen (even unaligned) offset and length,
 * and segments may be added in the middle of a run. After every operation:
 * pmm_check() finds nothing, the free counts add up to the model's, every
 * block pmm_walk() reports agrees with the model, and a call that returned
 * an error left the digest of blocks and free lists exactly as it was.
 * The error a call returns is predicted from the model and must match.
 */
#include <string.h>

#include "fuzz_pmm.h"

#define SLOTS 4
#define SLOT_SIZE ((uintptr_t)2 << 20)
#define ARENA_PAGES (SLOTS * SLOT_SIZE / PMM_PAGE_SIZE)
#define MAX_ALLOCS 256

enum kind { NONE, CONTIGUOUS, SCATTERED };

/* One live allocation of the model. A set's list head lives here. */
struct alloc {
	enum kind kind;
	uintptr_t addr;   /* contiguous: first page */
	size_t pages;
	unsigned holder;
	struct pmm_set set;
};

static uintptr_t arena;
static struct alloc allocs[MAX_ALLOCS];
/* Which allocation (index + 1) holds each page of the arena, 0 if none. */
static uint16_t holder[ARENA_PAGES];
static int slot_used[SLOTS];
static size_t model_allocated;

static size_t page_of(uintptr_t addr)
{
	return (addr - arena) / PMM_PAGE_SIZE;
}

static int in_arena(uintptr_t addr)
{
	return addr >= arena && addr < arena + SLOTS * SLOT_SIZE;
}

/* Is addr a managed page (in some segment's managed range)? */
static int managed(uintptr_t addr)
{
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_segment_info info;
		FUZZ_CHECK(pmm_segment_info(s, &info) == PMM_OK, "segment %u", s);
		if (addr >= info.start && addr < info.end)
			return 1;
	}
	return 0;
}

static struct alloc *new_alloc(void)
{
	for (int i = 0; i < MAX_ALLOCS; i++)
		if (allocs[i].kind == NONE)
			return &allocs[i];
	return NULL;
}

static uint16_t id_of(const struct alloc *a)
{
	return (uint16_t)(a - allocs + 1);
}

/* Take a page into the model for @a: it must be managed and free. */
static void model_take(uintptr_t addr, struct alloc *a)
{
	FUZZ_CHECK(addr % PMM_PAGE_SIZE == 0 && in_arena(addr) && managed(addr),
		   "page 0x%lx handed out is not a managed page", (unsigned long)addr);
	FUZZ_CHECK(holder[page_of(addr)] == 0, "page 0x%lx handed out twice (held by #%u)",
		   (unsigned long)addr, holder[page_of(addr)]);
	holder[page_of(addr)] = id_of(a);
	model_allocated++;
}

static void model_release(struct alloc *a)
{
	for (size_t p = 0; p < ARENA_PAGES; p++)
		if (holder[p] == id_of(a)) {
			holder[p] = 0;
			model_allocated--;
		}
	a->kind = NONE;
}

/* The error the free calls must give for @addr (find_allocation_head() in
 * pmm_buddy.c), and the allocation there. */
static int expected_free_error(uintptr_t addr, struct alloc **found)
{
	*found = NULL;
	if (!in_arena(addr) || !managed(addr))
		return PMM_ERR_OUTSIDE;
	if (addr % PMM_PAGE_SIZE)
		return PMM_ERR_UNALIGNED;
	uint16_t id = holder[page_of(addr)];
	if (id == 0)
		return PMM_ERR_NOT_ALLOCATED;
	struct alloc *a = &allocs[id - 1];
	*found = a;
	if (a->kind == SCATTERED)
		return PMM_ERR_SCATTERED;
	if (a->addr != addr)
		return PMM_ERR_INTERIOR;
	return PMM_OK;
}

/* An address to free: mostly a live one, else a near miss or a stray. */
static uintptr_t pick_address(struct fuzz_input *in)
{
	uint8_t how = fuzz_u8(in);
	struct alloc *a = &allocs[fuzz_u8(in) % MAX_ALLOCS];
	uintptr_t base = a->kind == CONTIGUOUS ? a->addr
			 : a->kind == SCATTERED && a->set.count
				 ? pmm_set_address(a->set.pages.next)
				 : arena + (uintptr_t)fuzz_u16(in) % ARENA_PAGES * PMM_PAGE_SIZE;
	switch (how % 8) {
	case 0: return base + (uintptr_t)(fuzz_u8(in) % 8) * PMM_PAGE_SIZE; /* interior */
	case 1: return base + 1 + fuzz_u8(in);                             /* unaligned */
	case 2: return arena + (uintptr_t)fuzz_u32(in) % (SLOTS * SLOT_SIZE); /* anywhere */
	case 3: return (uintptr_t)fuzz_u32(in) << (fuzz_u8(in) % 32);        /* outside */
	default: return base;
	}
}

/* Does the model agree with a block the manager reports? */
static void check_block(const struct pmm_block *b)
{
	FUZZ_CHECK(in_arena(b->addr) && b->pages > 0, "block 0x%lx of %zu pages",
		   (unsigned long)b->addr, b->pages);
	uint16_t id = holder[page_of(b->addr)];
	if (b->state == PMM_PAGE_FREE) {
		FUZZ_CHECK(b->pages == (size_t)1 << b->order, "free block size");
		for (size_t i = 0; i < b->pages; i++)
			FUZZ_CHECK(holder[page_of(b->addr) + i] == 0,
				   "free block 0x%lx holds page %zu of #%u", (unsigned long)b->addr,
				   i, holder[page_of(b->addr) + i]);
		return;
	}
	FUZZ_CHECK(id != 0, "block 0x%lx allocated but free in the model",
		   (unsigned long)b->addr);
	const struct alloc *a = &allocs[id - 1];
	if (b->state == PMM_PAGE_SCATTERED) {
		FUZZ_CHECK(a->kind == SCATTERED && b->pages == 1, "scattered page 0x%lx",
			   (unsigned long)b->addr);
		return;
	}
	FUZZ_CHECK(b->state == PMM_PAGE_ALLOCATED && a->kind == CONTIGUOUS &&
			   a->addr == b->addr && a->pages == b->pages && a->holder == b->holder,
		   "block 0x%lx (%zu pages, holder %u) vs model 0x%lx (%zu pages, holder %u)",
		   (unsigned long)b->addr, b->pages, b->holder, (unsigned long)a->addr, a->pages,
		   a->holder);
}

/* Everything after every operation. */
static void check_all(void)
{
	size_t total = 0, free_pages = 0;
	fuzz_pmm_check();
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_segment_info info;
		struct pmm_block b;
		size_t cursor = 0, blocks_free = 0;
		pmm_segment_info(s, &info);
		total += info.pages;
		free_pages += info.free_pages;
		for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
			blocks_free += info.free_blocks[k] << k;
		FUZZ_CHECK(blocks_free == info.free_pages, "segment %u free pages %zu vs blocks %zu",
			   s, info.free_pages, blocks_free);
		while (pmm_walk(s, &cursor, &b))
			check_block(&b);
	}
	FUZZ_CHECK(total == pmm_total_pages(), "total pages");
	FUZZ_CHECK(free_pages == pmm_free_page_count(), "free pages");
	FUZZ_CHECK(pmm_free_page_count() + model_allocated == total,
		   "free %zu + allocated %zu != total %zu", pmm_free_page_count(), model_allocated,
		   total);
}

struct first {
	uintptr_t addr;
	int seen;
};

static void first_free(uintptr_t addr, void *ctx)
{
	struct first *f = ctx;
	if (!f->seen++)
		f->addr = addr;
}

static uintptr_t policy_head(size_t pages)
{
	for (unsigned have = pmm_order_of(pages); have <= PMM_MAX_ORDER; have++)
		for (unsigned s = 0; s < pmm_segment_count(); s++) {
			struct first f = { 0, 0 };
			pmm_for_each_free(s, have, first_free, &f);
			if (f.seen)
				return f.addr;
		}
	return 0;
}

/* The lowest run of @pages free pages inside one segment, or 0. */
static uintptr_t policy_run(size_t pages)
{
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_segment_info info;
		size_t run = 0;
		pmm_segment_info(s, &info);
		for (uintptr_t p = info.start; p < info.end; p += PMM_PAGE_SIZE) {
			run = holder[page_of(p)] ? 0 : run + 1;
			if (run == pages)
				return p - (pages - 1) * PMM_PAGE_SIZE;
		}
	}
	return 0;
}

static void op_alloc_contiguous(struct fuzz_input *in, int single)
{
	size_t pages;
	uint8_t how = fuzz_u8(in);
	if (single)
		pages = 1;
	else if (how % 16 == 0)
		pages = how & 16 ? 0 : (size_t)UINT32_MAX + 1 + fuzz_u8(in);
	else if (how % 4 == 0)
		pages = 257 + fuzz_u16(in) % 700;
	else
		pages = 1 + fuzz_u8(in) % (how % 4 == 1 ? 256 : 16);

	struct alloc *a = new_alloc();
	if (a == NULL)
		return;
	uintptr_t head = pages <= 256 ? policy_head(pages) : policy_run(pages);
	uint64_t before = fuzz_pmm_digest();
	uintptr_t addr = 0;
	int err = single ? pmm_alloc_page(&addr) : pmm_alloc_contiguous(pages, &addr);
	if (pages == 0 || pages > UINT32_MAX) {
		FUZZ_CHECK(err == PMM_ERR_INVALID, "alloc of %zu pages gave %d", pages, err);
	} else if (head == 0) {
		FUZZ_CHECK(err == PMM_ERR_NO_MEMORY, "alloc of %zu pages gave %d, expected none",
			   pages, err);
	} else {
		FUZZ_CHECK(err == PMM_OK, "alloc of %zu pages gave %d", pages, err);
		FUZZ_CHECK(addr == head, "alloc of %zu pages at 0x%lx, policy says 0x%lx", pages,
			   (unsigned long)addr, (unsigned long)head);
		if (pages <= 256) {
			uintptr_t align = PMM_PAGE_SIZE << pmm_order_of(pages);
			FUZZ_CHECK(addr % align == 0, "alloc of %zu pages at 0x%lx not aligned",
				   pages, (unsigned long)addr);
		}
	}
	if (err != PMM_OK) {
		FUZZ_CHECK(fuzz_pmm_digest() == before, "failed alloc changed the manager");
		return;
	}
	*a = (struct alloc){ CONTIGUOUS, addr, pages, PMM_HOLDER_ANYONE, { { 0, 0 }, 0 } };
	for (size_t i = 0; i < pages; i++)
		model_take(addr + i * PMM_PAGE_SIZE, a);
}

static void op_alloc_scattered(struct fuzz_input *in)
{
	size_t pages = fuzz_u8(in) % 80;
	struct alloc *a = new_alloc();
	if (a == NULL)
		return;
	uint64_t before = fuzz_pmm_digest();
	size_t free_before = pmm_free_page_count();
	int err = pmm_alloc_scattered(pages, &a->set);
	if (pages == 0)
		FUZZ_CHECK(err == PMM_ERR_INVALID, "scattered 0 gave %d", err);
	else if (pages > free_before)
		FUZZ_CHECK(err == PMM_ERR_NO_MEMORY, "scattered %zu of %zu free gave %d", pages,
			   free_before, err);
	else
		FUZZ_CHECK(err == PMM_OK, "scattered %zu of %zu free gave %d", pages, free_before,
			   err);
	if (err != PMM_OK) {
		FUZZ_CHECK(fuzz_pmm_digest() == before, "failed scattered alloc changed things");
		return;
	}
	a->kind = SCATTERED;
	a->pages = pages;
	a->holder = PMM_HOLDER_ANYONE;
	size_t n = 0;
	for (struct list_node *node = a->set.pages.next; node != &a->set.pages; node = node->next) {
		model_take(pmm_set_address(node), a);
		n++;
	}
	FUZZ_CHECK(n == pages && a->set.count == pages, "set of %zu holds %zu", pages, n);
}

enum free_call { FREE, FREE_HELD, FREE_PAGE, SET_HOLDER };

/* The holders a caller may name: anyone, page table, mapping, allocator
 * (quarantine is the manager's own). */
#define CALLER_HOLDERS 4

static void op_free(struct fuzz_input *in, enum free_call call)
{
	uintptr_t addr = pick_address(in);
	unsigned who = fuzz_u8(in) % CALLER_HOLDERS;
	struct alloc *a;
	int want = expected_free_error(addr, &a);
	if (want == PMM_OK && call != SET_HOLDER && a->holder != (call == FREE_HELD ? who : 0))
		want = PMM_ERR_HELD;
	if (want == PMM_OK && call == FREE_PAGE && a->pages != 1)
		want = PMM_ERR_NOT_SINGLE;
	/* free_page checks the length before the holder. */
	if (want == PMM_ERR_HELD && call == FREE_PAGE && a->pages != 1)
		want = PMM_ERR_NOT_SINGLE;

	uint64_t before = fuzz_pmm_digest();
	size_t pages = 0;
	int err;
	switch (call) {
	case FREE: err = pmm_free(addr, &pages); break;
	case FREE_HELD: err = pmm_free_held(addr, (enum pmm_holder)who, &pages); break;
	case FREE_PAGE: err = pmm_free_page(addr); pages = 1; break;
	default: err = pmm_set_holder(addr, (enum pmm_holder)who); break;
	}
	FUZZ_CHECK(err == want, "call %d at 0x%lx gave %d (%s), model says %d (%s)", call,
		   (unsigned long)addr, err, pmm_strerror(err), want, pmm_strerror(want));
	if (err != PMM_OK) {
		FUZZ_CHECK(fuzz_pmm_digest() == before, "refused call %d changed the manager", call);
		return;
	}
	if (call == SET_HOLDER) {
		a->holder = who;
		return;
	}
	FUZZ_CHECK(pages == a->pages, "freed %zu pages, model has %zu", pages, a->pages);
	model_release(a);
}

static void op_free_scattered(struct fuzz_input *in)
{
	struct alloc *a = &allocs[fuzz_u8(in) % MAX_ALLOCS];
	uint8_t how = fuzz_u8(in);
	uint64_t before = fuzz_pmm_digest();
	size_t pages = 12345;

	if (a->kind == SCATTERED && how % 4 != 0) {
		FUZZ_CHECK(pmm_free_scattered(&a->set, &pages) == PMM_OK, "free of a live set");
		FUZZ_CHECK(pages == a->pages && a->set.count == 0 && list_empty(&a->set.pages),
			   "set freed %zu of %zu pages", pages, a->pages);
		model_release(a);
		return;
	}
	/* A bogus set: an empty one that claims pages, or a live one with a
	 * wrong count (its copy's list runs into the real head). */
	struct pmm_set fake;
	int err;
	if (a->kind == SCATTERED) {
		fake = a->set;
		fake.count += how & 4 ? 1 : (size_t)-1;
		err = pmm_free_scattered(&fake, &pages);
	} else {
		list_init(&fake.pages);
		fake.count = 1 + how;
		err = pmm_free_scattered(&fake, &pages);
	}
	FUZZ_CHECK(err == PMM_ERR_BAD_SET && pages == 12345, "bogus set gave %d", err);
	FUZZ_CHECK(fuzz_pmm_digest() == before, "bogus set changed the manager");
}

static void op_find_block(struct fuzz_input *in)
{
	uintptr_t addr = pick_address(in);
	struct pmm_block b;
	int err = pmm_find_block(addr, &b);
	if (!in_arena(addr) || !managed(addr)) {
		FUZZ_CHECK(err == PMM_ERR_OUTSIDE, "find_block outside gave %d", err);
		return;
	}
	FUZZ_CHECK(err == PMM_OK, "find_block 0x%lx gave %d", (unsigned long)addr, err);
	FUZZ_CHECK(b.addr <= addr && addr < b.addr + b.pages * PMM_PAGE_SIZE,
		   "block 0x%lx+%zu does not hold 0x%lx", (unsigned long)b.addr, b.pages,
		   (unsigned long)addr);
	check_block(&b);
}

struct tree_check {
	int next_id;
	uintptr_t next_leaf; /* leaves come in address order, tiling the segment */
};

static void tree_node(const struct pmm_tree_node *n, void *ctx)
{
	struct tree_check *t = ctx;
	FUZZ_CHECK(n->id == t->next_id++ && n->parent < n->id, "tree ids %d parent %d", n->id,
		   n->parent);
	if (n->state == PMM_PAGE_INSIDE && n->order > 0)
		return; /* split: its halves follow */
	FUZZ_CHECK(n->addr == t->next_leaf, "leaf 0x%lx, expected 0x%lx", (unsigned long)n->addr,
		   (unsigned long)t->next_leaf);
	t->next_leaf += PMM_PAGE_SIZE << n->order;
	for (size_t i = 0; i < (size_t)1 << n->order; i++) {
		uint16_t id = holder[page_of(n->addr) + i];
		if (n->state == PMM_PAGE_FREE)
			FUZZ_CHECK(id == 0, "free leaf 0x%lx holds #%u", (unsigned long)n->addr, id);
		else if (n->state == PMM_PAGE_ALLOCATED || n->state == PMM_PAGE_SCATTERED)
			FUZZ_CHECK(id != 0, "allocated leaf 0x%lx is free", (unsigned long)n->addr);
	}
}

static void free_order(uintptr_t addr, void *ctx)
{
	unsigned order = *(unsigned *)ctx;
	FUZZ_CHECK(addr % (PMM_PAGE_SIZE << order) == 0, "free block 0x%lx misaligned",
		   (unsigned long)addr);
	for (size_t i = 0; i < (size_t)1 << order; i++)
		FUZZ_CHECK(holder[page_of(addr) + i] == 0, "listed free block 0x%lx is held",
			   (unsigned long)addr);
}

static void op_look(struct fuzz_input *in)
{
	unsigned s = fuzz_u8(in) % (PMM_MAX_SEGMENTS + 2);
	struct pmm_segment_info info;
	uint64_t before = fuzz_pmm_digest();
	int err = pmm_segment_info(s, &info);
	if (s >= pmm_segment_count()) {
		FUZZ_CHECK(err == PMM_ERR_INVALID, "info of segment %u gave %d", s, err);
		size_t cursor = 0;
		struct pmm_block b;
		FUZZ_CHECK(pmm_walk(s, &cursor, &b) == 0, "walk of a missing segment");
		return;
	}
	struct tree_check t = { 0, info.start };
	pmm_tree_walk(s, tree_node, &t);
	FUZZ_CHECK(t.next_leaf == info.end, "tree leaves end at 0x%lx, segment at 0x%lx",
		   (unsigned long)t.next_leaf, (unsigned long)info.end);
	for (unsigned order = 0; order <= PMM_MAX_ORDER + 1; order++)
		pmm_for_each_free(s, order, free_order, &order);
	FUZZ_CHECK(fuzz_pmm_digest() == before, "looking changed the manager");
}

/* The error pmm_add_segment() must give for [start, end), or PMM_OK. */
static int expected_add_error(uintptr_t start, uintptr_t end)
{
	uintptr_t first = (start + PMM_PAGE_SIZE - 1) & ~(PMM_PAGE_SIZE - 1);
	uintptr_t last = end & ~(PMM_PAGE_SIZE - 1);
	if (pmm_segment_count() == PMM_MAX_SEGMENTS)
		return PMM_ERR_TOO_MANY;
	if (end <= start || last <= first)
		return PMM_ERR_TOO_SMALL;
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_segment_info info;
		pmm_segment_info(s, &info);
		if (first < info.end && info.array_start < last)
			return PMM_ERR_OVERLAP;
	}
	/* One page for the array and one to manage, at least. */
	return last - first < 2 * PMM_PAGE_SIZE ? PMM_ERR_TOO_SMALL : PMM_OK;
}

/* Add a segment: in a slot no segment touches yet, or over one that exists. */
static void op_add_segment(struct fuzz_input *in)
{
	uint8_t how = fuzz_u8(in);
	uint32_t offset = fuzz_u32(in) % (64 << 10);
	uint32_t length = fuzz_u32(in) % (uint32_t)SLOT_SIZE;
	uintptr_t start, end, arena_end = arena + SLOTS * SLOT_SIZE;
	int slot = -1;

	for (int i = 0; i < SLOTS; i++)
		if (!slot_used[i]) {
			slot = i;
			break;
		}
	if (pmm_segment_count() > 0 && (slot < 0 || how % 4 == 0)) {
		struct pmm_segment_info info;
		pmm_segment_info(how / 4 % pmm_segment_count(), &info);
		start = info.array_start + offset % (info.end - info.array_start);
		end = start + length > arena_end ? arena_end : start + length;
	} else if (slot >= 0) {
		uintptr_t slot_end = arena + (uintptr_t)(slot + 1) * SLOT_SIZE;
		start = arena + (uintptr_t)slot * SLOT_SIZE + offset;
		end = start + length > slot_end ? slot_end : start + length;
		if (how & 0x80)
			end = start - length % 5; /* empty or backwards */
	} else {
		return;
	}
	unsigned count = pmm_segment_count();
	int want = expected_add_error(start, end);
	uint64_t before = fuzz_pmm_digest();
	int seg = pmm_add_segment(start, end);
	FUZZ_CHECK(seg == (want == PMM_OK ? (int)count : want),
		   "add_segment 0x%lx-0x%lx gave %d, model says %d", (unsigned long)start,
		   (unsigned long)end, seg, want);
	if (seg < 0) {
		FUZZ_CHECK(pmm_segment_count() == count && fuzz_pmm_digest() == before,
			   "refused segment (%d) changed the manager", seg);
		return;
	}
	struct pmm_segment_info info;
	pmm_segment_info((unsigned)seg, &info);
	FUZZ_CHECK(info.array_start >= start && info.end <= end && info.pages > 0 &&
			   info.free_pages == info.pages && info.start % PMM_PAGE_SIZE == 0,
		   "new segment 0x%lx-0x%lx outside 0x%lx-0x%lx", (unsigned long)info.start,
		   (unsigned long)info.end, (unsigned long)start, (unsigned long)end);
	for (int i = 0; i < SLOTS; i++)
		if (info.array_start < arena + (uintptr_t)(i + 1) * SLOT_SIZE &&
		    arena + (uintptr_t)i * SLOT_SIZE < info.end)
			slot_used[i] = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size, 0 };

	if (arena == 0) {
		arena = (uintptr_t)aligned_alloc(SLOT_SIZE, SLOTS * SLOT_SIZE);
		FUZZ_CHECK(arena != 0, "no arena");
	}
	pmm_init();
	memset(allocs, 0, sizeof(allocs));
	memset(holder, 0, sizeof(holder));
	memset(slot_used, 0, sizeof(slot_used));
	model_allocated = 0;

	op_add_segment(&in);
	for (int ops = 0; fuzz_more(&in) && ops < 2000; ops++) {
		switch (fuzz_u8(&in) % 14) {
		case 0: case 1: op_alloc_contiguous(&in, 0); break;
		case 2: op_alloc_contiguous(&in, 1); break;
		case 3: op_alloc_scattered(&in); break;
		case 4: case 5: op_free(&in, FREE); break;
		case 6: op_free(&in, FREE_HELD); break;
		case 7: op_free(&in, FREE_PAGE); break;
		case 8: op_free(&in, SET_HOLDER); break;
		case 9: op_free_scattered(&in); break;
		case 10: op_find_block(&in); break;
		case 11: op_look(&in); break;
		case 12: op_add_segment(&in); break;
		default: {
			/* Free whatever is live, owned or not: everything must merge back. */
			for (int i = 0; i < MAX_ALLOCS; i++) {
				struct alloc *a = &allocs[i];
				size_t pages;
				if (a->kind == CONTIGUOUS)
					FUZZ_CHECK(pmm_free_held(a->addr, (enum pmm_holder)a->holder,
								  &pages) == PMM_OK,
						   "free of live 0x%lx", (unsigned long)a->addr);
				else if (a->kind == SCATTERED)
					FUZZ_CHECK(pmm_free_scattered(&a->set, &pages) == PMM_OK,
						   "free of live set");
				if (a->kind != NONE)
					model_release(a);
			}
			FUZZ_CHECK(pmm_free_page_count() == pmm_total_pages(), "pages lost after freeing all");
			break;
		}
		}
		check_all();
	}
	return 0;
}
