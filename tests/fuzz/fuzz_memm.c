/*
 * fuzz_memm: kmalloc, kmalloc_pid and kfree over the real page manager,
 * against a model of the live blocks.
 *
 * Every block is filled with a pattern made from its id when it is handed
 * out and checked when it is freed, so a block that overlaps another (or an
 * allocator's own books) shows. After every operation memm_check() and
 * pmm_check() find nothing, the live blocks are pairwise disjoint, and the
 * pages held by allocators add up. kfree of a bogus pointer (never returned,
 * freed already, inside a block, between blocks) must fail and change
 * nothing: neither the page manager nor any allocator's row.
 */
#include <string.h>

#include "fuzz_pmm.h"
#include "memm.h"

#define ARENA_SIZE ((uintptr_t)4 << 20)
#define MAX_BLOCKS 512

struct block {
	uint8_t *ptr; /* NULL: slot unused */
	size_t bytes;
	unsigned pid;
	uint8_t seed;
};

static uintptr_t arena;
static struct block blocks[MAX_BLOCKS];
static size_t direct_pages; /* taken from the page manager behind memm's back */

static uint8_t pattern(const struct block *b, size_t i)
{
	return (uint8_t)(b->seed + i * 7 + (i >> 8));
}

static void fill(const struct block *b)
{
	for (size_t i = 0; i < b->bytes; i++)
		b->ptr[i] = pattern(b, i);
}

static void verify(const struct block *b)
{
	for (size_t i = 0; i < b->bytes; i++)
		FUZZ_CHECK(b->ptr[i] == pattern(b, i), "block %p (%zu bytes) byte %zu overwritten",
			   (void *)b->ptr, b->bytes, i);
}

static void digest_allocator(const struct allocator *a, void *ctx)
{
	uint64_t *h = ctx;
	*h = fuzz_hash(*h, (uintptr_t)a);
	*h = fuzz_hash(*h, a->type | (uint64_t)a->pid << 8);
	*h = fuzz_hash(*h, a->pages);
	*h = fuzz_hash(*h, a->used | (uint64_t)a->full << 63);
}

/* The page manager and every allocator's row. */
static uint64_t digest(void)
{
	uint64_t h = fuzz_pmm_digest();
	memm_for_each(digest_allocator, &h);
	return h;
}

struct pages_held {
	size_t pages;
	uintptr_t last_end;
};

static void count_allocator(const struct allocator *a, void *ctx)
{
	struct pages_held *p = ctx;
	FUZZ_CHECK((uintptr_t)a >= p->last_end, "allocators out of order or overlapping");
	p->last_end = (uintptr_t)a + a->pages * PMM_PAGE_SIZE;
	FUZZ_CHECK((uintptr_t)a >= arena && p->last_end <= arena + ARENA_SIZE,
		   "allocator %p outside memory", (const void *)a);
	struct pmm_block b;
	FUZZ_CHECK(pmm_find_block((uintptr_t)a, &b) == PMM_OK && b.addr == (uintptr_t)a &&
			   b.pages == a->pages && b.holder == PMM_HOLDER_ALLOCATOR,
		   "allocator %p is not its own allocation", (const void *)a);
	p->pages += a->pages;
}

static void check_all(void)
{
	struct pages_held held = { 0, 0 };
	size_t problems = memm_check();
	FUZZ_CHECK(problems == 0, "memm_check found %zu problems", problems);
	fuzz_pmm_check();
	memm_for_each(count_allocator, &held);
	FUZZ_CHECK(pmm_free_page_count() + held.pages + direct_pages == pmm_total_pages(),
		   "free %zu + allocator pages %zu + %zu != total %zu", pmm_free_page_count(),
		   held.pages, direct_pages, pmm_total_pages());
}

/* Does [p, p + n) meet a live block other than @self? */
static const struct block *overlapping(const uint8_t *p, size_t n, const struct block *self)
{
	for (int i = 0; i < MAX_BLOCKS; i++) {
		const struct block *b = &blocks[i];
		if (b != self && b->ptr && p < b->ptr + b->bytes && b->ptr < p + n)
			return b;
	}
	return NULL;
}

static void op_kmalloc(struct fuzz_input *in)
{
	struct block *b = &blocks[fuzz_u16(in) % MAX_BLOCKS];
	uint8_t how = fuzz_u8(in);
	size_t bytes;
	switch (how % 8) {
	case 0: bytes = 1 + fuzz_u16(in) % 8192; break;
	case 1: bytes = 1 + fuzz_u32(in) % (200 << 10); break;
	case 2: bytes = how & 8 ? 0 : MEMM_MAX_BYTES + 1 + fuzz_u8(in); break;
	case 3: bytes = MEMM_SLAB_MAX - 24 + fuzz_u8(in) % 48; break; /* slab / first fit edge */
	default: bytes = 1 + fuzz_u16(in) % 2100; break;
	}
	unsigned pid = how & 0x30 ? 0 : fuzz_u8(in) % 4;
	if (b->ptr) {
		verify(b); /* replaced below only if freed */
		return;
	}
	uint64_t before = digest();
	void *ptr = NULL;
	int err = kmalloc_pid(bytes, pid, &ptr);
	if (bytes == 0 || bytes > MEMM_MAX_BYTES)
		FUZZ_CHECK(err == MEMM_ERR_SIZE, "kmalloc(%zu) gave %d", bytes, err);
	else
		FUZZ_CHECK(err == MEMM_OK || err == MEMM_ERR_NO_MEMORY, "kmalloc(%zu) gave %d",
			   bytes, err);
	if (err != MEMM_OK) {
		FUZZ_CHECK(digest() == before, "failed kmalloc(%zu) changed something", bytes);
		return;
	}
	FUZZ_CHECK((uintptr_t)ptr % 16 == 0 && (uintptr_t)ptr >= arena &&
			   (uintptr_t)ptr + bytes <= arena + ARENA_SIZE,
		   "kmalloc(%zu) gave %p", bytes, ptr);
	const struct block *other = overlapping(ptr, bytes, NULL);
	FUZZ_CHECK(other == NULL, "kmalloc(%zu) at %p overlaps %p (%zu bytes)", bytes, ptr,
		   other ? (void *)other->ptr : NULL, other ? other->bytes : 0);
	*b = (struct block){ ptr, bytes, pid, fuzz_u8(in) };
	fill(b);
}

/* A pointer kfree must refuse, or NULL if this one might be a live block. */
static void *bogus_pointer(struct fuzz_input *in)
{
	const struct block *b = &blocks[fuzz_u16(in) % MAX_BLOCKS];
	uint8_t how = fuzz_u8(in);
	uint8_t *p;
	switch (how % 5) {
	case 0: p = (uint8_t *)arena + fuzz_u32(in) % ARENA_SIZE; break;
	case 1: p = b->ptr ? b->ptr + 1 + fuzz_u16(in) % b->bytes : NULL; break;
	case 2: p = b->ptr ? b->ptr - 16 * (1 + fuzz_u8(in) % 8) : NULL; break;
	case 3: p = (uint8_t *)(uintptr_t)fuzz_u32(in); break;
	default: p = b->ptr ? b->ptr + b->bytes + fuzz_u8(in) : NULL; break;
	}
	if (p == NULL)
		return NULL;
	for (int i = 0; i < MAX_BLOCKS; i++)
		if (blocks[i].ptr == p)
			return NULL;
	return p;
}

static void op_kfree(struct fuzz_input *in, int bogus)
{
	uint64_t before = digest();
	size_t bytes = 777;
	if (bogus) {
		void *p = bogus_pointer(in);
		if (p == NULL)
			return;
		int err = kfree(p, &bytes);
		FUZZ_CHECK(err == MEMM_ERR_NOT_OURS || err == MEMM_ERR_NOT_BLOCK ||
				   err == MEMM_ERR_FREE,
			   "kfree(%p), never returned by kmalloc, gave %d", p, err);
		FUZZ_CHECK(bytes == 777 && digest() == before, "refused kfree(%p) changed something",
			   p);
		return;
	}
	struct block *b = &blocks[fuzz_u16(in) % MAX_BLOCKS];
	if (b->ptr == NULL)
		return;
	verify(b);
	int err = kfree(b->ptr, &bytes);
	FUZZ_CHECK(err == MEMM_OK && bytes == b->bytes, "kfree of a live block gave %d, %zu bytes",
		   err, bytes);
	/* Freeing it again is refused and changes nothing. */
	before = digest();
	err = kfree(b->ptr, NULL);
	FUZZ_CHECK(err != MEMM_OK && digest() == before, "double kfree(%p) gave %d",
		   (void *)b->ptr, err);
	b->ptr = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size, 0 };

	if (arena == 0) {
		arena = (uintptr_t)aligned_alloc(1 << 20, ARENA_SIZE);
		FUZZ_CHECK(arena != 0, "no arena");
	}
	/* A fresh page manager; the allocator tree must be empty from the
	 * previous run (it frees everything at the end). */
	FUZZ_CHECK(memm_root() == NULL, "allocator tree not empty at the start");
	pmm_init();
	uint32_t skip = fuzz_u16(&in) % (64 << 10);
	uint32_t length = (uint32_t)(ARENA_SIZE / 4 + fuzz_u32(&in) % (3 * ARENA_SIZE / 4 - skip));
	FUZZ_CHECK(pmm_add_segment(arena + skip, arena + skip + length) == 0, "segment");
	memset(blocks, 0, sizeof(blocks));
	direct_pages = 0;

	for (int ops = 0; fuzz_more(&in) && ops < 3000; ops++) {
		switch (fuzz_u8(&in) % 8) {
		case 0: case 1: case 2: case 3: op_kmalloc(&in); break;
		case 4: case 5: op_kfree(&in, 0); break;
		case 6: op_kfree(&in, 1); break;
		default: {
			/* Take pages away (or give them back) behind memm's back. */
			uintptr_t addr;
			size_t pages = 1 + fuzz_u8(&in);
			if (pmm_alloc_contiguous(pages, &addr) != PMM_OK)
				break;
			if (fuzz_u8(&in) & 1)
				pmm_free(addr, NULL);
			else
				direct_pages += pages;
			break;
		}
		}
		check_all();
	}
	/* Free everything: every allocator must go, and every page come back
	 * (but the pages taken directly above). */
	for (int i = 0; i < MAX_BLOCKS; i++) {
		struct block *b = &blocks[i];
		if (b->ptr == NULL)
			continue;
		verify(b);
		FUZZ_CHECK(kfree(b->ptr, NULL) == MEMM_OK, "final kfree(%p)", (void *)b->ptr);
		b->ptr = NULL;
		check_all();
	}
	FUZZ_CHECK(memm_root() == NULL, "allocators left after every block was freed");
	return 0;
}
