/*
 * Host tests of lab kmalloc, built with the lab's sources under ASan + UBSan:
 *     build/host/lab/kmalloc/tests/host_kmalloc <test> <seed>
 * The last line is "ok", or "FAIL: <the first difference>". Every expected
 * value comes from the policy in labs/kmalloc/README.md, computed here.
 * Before each check, the values checked are observed (labhost.h): addresses
 * as offsets from the test's arena or from their allocator.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memm.h"
#include "pmm.h"
#include "../../../os/mm/memm_internal.h"
#include "labhost.h"

#define MIB ((uintptr_t)1 << 20)
#define PAGE PMM_PAGE_SIZE

static unsigned long long rng_state;

static unsigned random_below(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

static _Noreturn void fail(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void *arena;

/* @p as an observation shows it: its offset in the test's arena (host
 * addresses differ from run to run), or -1 for NULL. */
static long long arena_offset(const void *p)
{
	return p ? (long long)((uintptr_t)p - (uintptr_t)arena) : -1;
}

/* @p as an offset from the start of allocator @a, or -1 for NULL. */
static long long offset_in(const struct allocator *a, const void *p)
{
	return p ? (long long)((uintptr_t)p - (uintptr_t)a) : -1;
}

static void fresh_memory(size_t size)
{
	free(arena);
	arena = aligned_alloc(MIB, size);
	pmm_init();
	if (pmm_add_segment((uintptr_t)arena, (uintptr_t)arena + size) != PMM_OK)
		fail("the page manager refused the test's memory");
}

/* The answer, as the README states it: each size class and the largest
 * request it holds (the class less the 16-byte header); a larger request
 * gets 0 (a first-fit allocator). */
static const struct {
	size_t largest, size;
} class_table[] = {
	{ 16, 32 }, { 48, 64 }, { 112, 128 }, { 240, 256 }, { 496, 512 }, { 1008, 1024 },
	{ 2032, 2048 },
};

static size_t model_class(size_t bytes)
{
	for (size_t i = 0; i < sizeof(class_table) / sizeof(class_table[0]); i++)
		if (bytes <= class_table[i].largest)
			return class_table[i].size;
	return 0;
}

static void test_slab_class(void)
{
	/* 50 sizes a line: "1-50: 32 32 ..." */
	char line[400];
	for (size_t first = 1; first <= 5000; first += 50) {
		int len = snprintf(line, sizeof(line), "slab_class %zu-%zu:", first, first + 49);
		for (size_t bytes = first; bytes < first + 50; bytes++)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %zu",
					slab_class(bytes));
		lab_observe("%s", line);
	}
	for (size_t bytes = 1; bytes <= 5000; bytes++)
		if (slab_class(bytes) != model_class(bytes))
			fail("slab_class(%zu): expected %zu, got %zu", bytes, model_class(bytes),
			     slab_class(bytes));
	size_t big = 16u << 20;
	lab_observe("slab_class %zu: %zu", big, slab_class(big));
	if (slab_class(big) != 0)
		fail("slab_class(%zu): expected 0 (not a slab size), got %zu", big, slab_class(big));
}

/* An allocator made by hand, as memm.c's create() makes one. */
static struct allocator *new_allocator(const struct allocator_ops *ops, size_t pages,
				       size_t object_size)
{
	uintptr_t base;
	if (pmm_alloc_contiguous(pages, &base) != PMM_OK)
		fail("no pages for an allocator");
	struct allocator *a = (struct allocator *)base;
	memset(a, 0, sizeof(*a));
	a->pages = pages;
	a->type = ops->type;
	a->ops = ops;
	ops->init(a, object_size);
	/* The tests below count on init's size (and a slab's object size). */
	lab_observe("new allocator at %lld of %zu pages: type %u size %zu object_size %zu used %zu "
		    "full %d", arena_offset(a), pages, a->type, a->size, a->object_size, a->used,
		    a->full);
	return a;
}

static void test_slab_objects(void)
{
	fresh_memory(4 * MIB);
	for (size_t size = 32; size <= MEMM_SLAB_MAX; size *= 2) {
		struct allocator *a = new_allocator(&slab_ops, 1, size);
		size_t capacity = a->size / size;
		char used[256] = { 0 };
		uintptr_t first = 0;
		for (size_t i = 0; i < capacity; i++) {
			char *p = slab_ops.allocate(a, 10);
			lab_observe("slab-%zu allocate: %lld used %zu full %d", size, offset_in(a, p),
				    a->used, a->full);
			if (p == NULL)
				fail("slab-%zu: object %zu of %zu: allocate returned NULL", size, i, capacity);
			if (i == 0)
				first = (uintptr_t)p;
			if ((uintptr_t)p != first + i * size)
				fail("slab-%zu: object %zu: expected %#lx (the lowest free one), got %p",
				     size, i, (unsigned long)(first + i * size), (void *)p);
			if ((uintptr_t)p % 16 || (uintptr_t)p < (uintptr_t)a + MEMM_OBJECT_SIZE)
				fail("slab-%zu: object at %p is misaligned or on the allocator", size, (void *)p);
			memset(p, 0x5a, size - sizeof(struct memm_header));
			used[i] = 1;
			if (a->used != (i + 1) * size || a->full != (i + 1 == capacity))
				fail("slab-%zu after %zu objects: expected used %zu full %d, got used %zu full %d",
				     size, i + 1, (i + 1) * size, i + 1 == capacity, a->used, a->full);
		}
		void *more = slab_ops.allocate(a, 10);
		lab_observe("slab-%zu allocate when full: %lld", size, offset_in(a, more));
		if (more != NULL)
			fail("slab-%zu: a full slab handed out one more object", size);
		if (first + capacity * size > (uintptr_t)a + PAGE)
			fail("slab-%zu: objects run past the page", size);
		/* Free some, check the books and the errors, reuse lowest first. */
		size_t live = capacity;
		for (unsigned k = 0; k < capacity / 2 + 1; k++) {
			size_t i = random_below((unsigned)capacity);
			void *p = (void *)(first + i * size);
			int want = used[i] ? MEMM_OK : MEMM_ERR_FREE;
			int got = slab_ops.free(a, p);
			lab_observe("slab-%zu free of object %zu: %d used %zu full %d", size, i, got,
				    a->used, a->full);
			if (got != want)
				fail("slab-%zu: free of object %zu (%s): expected %d, got %d", size, i,
				     used[i] ? "in use" : "already free", want, got);
			live -= used[i];
			used[i] = 0;
			if (a->used != live * size || a->full)
				fail("slab-%zu after a free: expected used %zu full 0, got used %zu full %d",
				     size, live * size, a->used, a->full);
		}
		int inside = slab_ops.free(a, (void *)(first + 16));
		int below = slab_ops.free(a, (void *)(first - size));
		int above = slab_ops.free(a, (void *)(first + capacity * size));
		lab_observe("slab-%zu free inside, below, above the objects: %d %d %d used %zu", size,
			    inside, below, above, a->used);
		if (inside != MEMM_ERR_NOT_BLOCK || below != MEMM_ERR_NOT_BLOCK ||
		    above != MEMM_ERR_NOT_BLOCK)
			fail("slab-%zu: free of an address that is no object: expected MEMM_ERR_NOT_BLOCK",
			     size);
		for (size_t i = 0; i < capacity; i++) {
			if (used[i])
				continue;
			void *p = slab_ops.allocate(a, 1);
			lab_observe("slab-%zu reuse: %lld used %zu full %d", size, offset_in(a, p), a->used,
				    a->full);
			if ((uintptr_t)p != first + i * size)
				fail("slab-%zu: reuse: expected object %zu at %#lx (the lowest free), got %p",
				     size, i, (unsigned long)(first + i * size), p);
			used[i] = 1;
		}
		if (!a->full || a->used != capacity * size)
			fail("slab-%zu: full again: expected used %zu full 1, got used %zu full %d", size,
			     capacity * size, a->used, a->full);
	}
}

/*
 * First fit, as the README states it, over a map of the allocator's chunk
 * space in 16-byte granules: which granules are in a chunk handed out, and
 * at each chunk's first granule how many it holds. Free chunks are not
 * kept: first_fit_free (given) merges a freed chunk with free neighbours, so
 * the free chunks are exactly the gaps between chunks in use. A request of
 * @bytes needs 32 + @bytes rounded up to 16; it takes the start of the
 * lowest gap that holds it, and the whole gap if less than MIN_CHUNK (48)
 * bytes would be left.
 */
#define GRANULE 16
#define MAX_GRANULES (16 * PAGE / GRANULE)

static unsigned char busy[MAX_GRANULES];   /* in a chunk handed out */
static size_t chunk_at[MAX_GRANULES];      /* granules of the chunk starting here */
static size_t granules;                    /* the allocator's size in granules */

/* The granules of the gap starting at @g (0 if @g is busy). */
static size_t gap_at(size_t g)
{
	size_t n = 0;
	while (g + n < granules && !busy[g + n])
		n++;
	return n;
}

/* Where a chunk of @need granules goes (*@take: the granules it gets), or
 * @granules when no gap holds it. */
static size_t model_first_fit(size_t need, size_t *take)
{
	for (size_t g = 0; g < granules;) {
		size_t gap = gap_at(g);
		if (gap == 0) {
			g += chunk_at[g];
			continue;
		}
		if (gap >= need) {
			*take = (gap - need) * GRANULE >= 48 ? need : gap;
			return g;
		}
		g += gap;
	}
	return granules;
}

static void test_first_fit_chunks(void)
{
	fresh_memory(4 * MIB);
	const size_t header = 32, min_chunk = 48;
	/* A tail under MIN_CHUNK is no chunk: the whole chunk is handed out;
	 * a tail of exactly MIN_CHUNK is split off and stays free. */
	for (size_t tail = 16; tail <= min_chunk; tail += 16) {
		struct allocator *b = new_allocator(&first_fit_ops, 16, 0);
		size_t bytes = b->size - tail - header - random_below(16);
		void *p = first_fit_ops.allocate(b, bytes);
		lab_observe("allocate(%zu) of %zu: %lld used %zu full %d", bytes, b->size,
			    offset_in(b, p), b->used, b->full);
		if (tail < min_chunk && (p == NULL || b->used != b->size || !b->full))
			fail("allocate(%zu) in a fresh first-fit of %zu bytes leaves %zu: expected the "
			     "whole chunk (used %zu, full), got used %zu full %d", bytes, b->size, tail,
			     b->size, b->used, b->full);
		if (tail == min_chunk && (p == NULL || b->used != b->size - tail || b->full))
			fail("allocate(%zu) in a fresh first-fit of %zu bytes leaves exactly MIN_CHUNK "
			     "(%zu): expected it split off and free (used %zu, not full), got used %zu "
			     "full %d", bytes, b->size, tail, b->size - tail, b->used, b->full);
	}
	struct allocator *a = new_allocator(&first_fit_ops, 16, 0);
	granules = a->size / GRANULE;
	if (granules > MAX_GRANULES || a->size % GRANULE)
		fail("a first-fit allocator of 16 pages has %zu bytes for chunks (the test expects "
		     "a multiple of 16 below 64 KiB)", a->size);
	memset(busy, 0, sizeof(busy));
	memset(chunk_at, 0, sizeof(chunk_at));
	uintptr_t start = 0;
	for (int step = 0; step < 400; step++) {
		if (random_below(100) < 55) {
			size_t bytes = 1 + random_below(random_below(4) ? 3000 : 12000);
			size_t need = (header + bytes + GRANULE - 1) / GRANULE, take = 0;
			size_t g = model_first_fit(need, &take);
			char *p = first_fit_ops.allocate(a, bytes);
			lab_observe("step %d: allocate(%zu): %lld", step, bytes, offset_in(a, p));
			if (g == granules) {
				if (p != NULL)
					fail("step %d: allocate(%zu): no free chunk fits, expected NULL, got %p",
					     step, bytes, (void *)p);
				continue;
			}
			if (start == 0)
				start = (uintptr_t)p - header - g * GRANULE;
			if (p == NULL || (uintptr_t)p != start + g * GRANULE + header)
				fail("step %d: allocate(%zu): expected %#lx (the first chunk that fits), got %p",
				     step, bytes, (unsigned long)(start + g * GRANULE + header), (void *)p);
			memset(&busy[g], 1, take);
			chunk_at[g] = take;
			memset(p, 0x77, bytes);
			/* kmalloc_pid's part: the header names the allocator. */
			((struct memm_header *)p - 1)->bytes = bytes;
			((struct memm_header *)p - 1)->owner = a;
		} else {
			size_t in_use = 0;
			for (size_t g = 0; g < granules; g++)
				in_use += chunk_at[g] != 0;
			if (in_use == 0)
				continue;
			size_t pick = random_below((unsigned)in_use), g = 0;
			for (;; g++)
				if (chunk_at[g] && pick-- == 0)
					break;
			int err = first_fit_ops.free(a, (void *)(start + g * GRANULE + header));
			lab_observe("step %d: free(%lld): %d", step,
				    offset_in(a, (void *)(start + g * GRANULE + header)), err);
			if (err != MEMM_OK)
				fail("step %d: free of a live chunk failed", step);
			memset(&busy[g], 0, chunk_at[g]);
			chunk_at[g] = 0;
		}
		size_t used = 0;
		int full = 1;
		for (size_t g = 0; g < granules; g++) {
			used += busy[g] ? GRANULE : 0;
			if (!busy[g] && (g == 0 || busy[g - 1]) && gap_at(g) * GRANULE >= min_chunk)
				full = 0;
		}
		size_t problems = first_fit_ops.check(a);
		lab_observe("step %d: used %zu full %d, check %zu", step, a->used, a->full, problems);
		if (a->used != used || a->full != full)
			fail("step %d: expected used %zu full %d, got used %zu full %d", step, used, full,
			     a->used, a->full);
		if (first_fit_ops.check(a) != 0)
			fail("step %d: the first-fit checker finds %zu problems in the chunks", step,
			     first_fit_ops.check(a));
	}
}

struct held {
	char *p;
	size_t bytes;
	unsigned pid;
};

static void check_header(const struct held *h)
{
	const struct memm_header *m = (const struct memm_header *)h->p - 1;
	size_t cls = model_class(h->bytes);
	lab_observe("block at %lld", arena_offset(h->p));
	if ((uintptr_t)h->p % 16)
		fail("kmalloc(%zu) returned %p: not 16-byte aligned", h->bytes, (void *)h->p);
	lab_observe("header: bytes %zu owner %lld", m->bytes, arena_offset(m->owner));
	if (m->owner != NULL)
		lab_observe("owner: pid %u type %u object_size %zu pages %zu", m->owner->pid,
			    m->owner->type, m->owner->object_size, m->owner->pages);
	if (m->bytes != h->bytes || m->owner == NULL || m->owner->pid != h->pid ||
	    m->owner->type != (cls ? MEMM_SLAB : MEMM_FIRST_FIT) ||
	    (cls && m->owner->object_size != cls))
		fail("kmalloc(%zu, pid %u) at %p: the header before it should say %zu bytes, owner a "
		     "%s%s of pid %u", h->bytes, h->pid, (void *)h->p, h->bytes,
		     cls ? "slab-" : "first-fit", cls ? "class" : "", h->pid);
	uintptr_t base = (uintptr_t)m->owner;
	if ((uintptr_t)h->p < base || (uintptr_t)h->p + h->bytes > base + m->owner->pages * PAGE)
		fail("kmalloc(%zu) at %p lies outside its allocator", h->bytes, (void *)h->p);
}

/* The edges of kmalloc_pid's policy: the largest request is allowed; an
 * allocator with room is used before a new one is made; when the page
 * manager has no pages for a new one, MEMM_ERR_NO_MEMORY and nothing
 * changes. */
static void test_policy_edges(void)
{
	fresh_memory(24 * MIB);
	void *largest = NULL, *p = NULL, *q = NULL;
	int err = kmalloc(MEMM_MAX_BYTES, &largest);
	lab_observe("kmalloc(%zu): %d", MEMM_MAX_BYTES, err);
	if (err != MEMM_OK)
		fail("kmalloc(%zu), the largest request (MEMM_MAX_BYTES), with 24 MiB free: expected "
		     "0, got %d (%s)", MEMM_MAX_BYTES, err, memm_strerror(err));
	size_t bytes = 1 + random_below(200);
	int first = kmalloc_pid(bytes, 3, &p), second = kmalloc_pid(bytes, 3, &q);
	const struct allocator *a = first ? NULL : ((const struct memm_header *)p - 1)->owner;
	const struct allocator *b = second ? NULL : ((const struct memm_header *)q - 1)->owner;
	lab_observe("two kmalloc_pid(%zu, 3): %d %d, owners %lld %lld", bytes, first, second,
		    arena_offset(a), arena_offset(b));
	if (first || second || a != b)
		fail("two kmalloc_pid(%zu, 3) in a row: expected both from one slab (the first has "
		     "room for the second), got owners %p and %p", bytes, (const void *)a,
		     (const void *)b);
	if (kfree(largest, NULL) != MEMM_OK || kfree(p, NULL) != MEMM_OK ||
	    kfree(q, NULL) != MEMM_OK || memm_root() != NULL)
		fail("kfree of the live blocks failed or left an allocator behind");

	fresh_memory(2 * MIB);
	size_t free0 = pmm_free_page_count();
	p = NULL;
	err = kmalloc(3 * MIB, &p);
	lab_observe("kmalloc(3 MiB) in 2 MiB: %d, free pages %zu of %zu, root %lld", err,
		    pmm_free_page_count(), free0, arena_offset(memm_root()));
	if (err != MEMM_ERR_NO_MEMORY || pmm_free_page_count() != free0 || memm_root() != NULL)
		fail("kmalloc(3 MiB) with 2 MiB of pages: expected %d (%s) and nothing changed, got "
		     "%d (%s), %zu free pages of %zu, %s", MEMM_ERR_NO_MEMORY,
		     memm_strerror(MEMM_ERR_NO_MEMORY), err, memm_strerror(err),
		     pmm_free_page_count(), free0, memm_root() ? "an allocator made" : "no allocator");
}

static void test_kmalloc_kfree(void)
{
	fresh_memory(16 * MIB);
	size_t free0 = pmm_free_page_count();
	struct held live[80];
	size_t n = 0;
	for (int step = 0; step < 1500; step++) {
		if (n == 80 || (n && random_below(100) < 45)) {
			size_t k = random_below((unsigned)n), bytes = 0;
			/* What the block holds, as one value: FNV-1a of its bytes. */
			uint32_t hash = 2166136261u;
			for (size_t i = 0; i < live[k].bytes; i++)
				hash = (hash ^ (unsigned char)live[k].p[i]) * 16777619u;
			lab_observe("step %d: block at %lld of %zu bytes holds %08x", step,
				    arena_offset(live[k].p), live[k].bytes, (unsigned)hash);
			for (size_t i = 0; i < live[k].bytes; i++)
				if ((unsigned char)live[k].p[i] != (unsigned char)(live[k].bytes + live[k].pid))
					fail("step %d: a block of %zu bytes changed while it was held", step,
					     live[k].bytes);
			int err = kfree(live[k].p, &bytes);
			lab_observe("step %d: kfree: %d bytes %zu", step, err, bytes);
			if (err != MEMM_OK || bytes != live[k].bytes)
				fail("step %d: kfree of a live block of %zu bytes: expected 0 and %zu, got %d "
				     "and %zu", step, live[k].bytes, live[k].bytes, err, bytes);
			live[k] = live[--n];
		} else {
			struct held h;
			h.bytes = 1 + random_below(random_below(3) ? 2100 : 40000);
			h.pid = random_below(4);
			int err = kmalloc_pid(h.bytes, h.pid, (void **)&h.p);
			lab_observe("step %d: kmalloc_pid(%zu, %u): %d", step, h.bytes, h.pid, err);
			if (err != MEMM_OK)
				fail("step %d: kmalloc_pid(%zu, %u) failed", step, h.bytes, h.pid);
			check_header(&h);
			memset(h.p, (int)(h.bytes + h.pid), h.bytes);
			live[n++] = h;
		}
		/* The page manager's count too: it shows each allocator made and
		 * destroyed even if memm_check misses it. */
		lab_observe("step %d: memm_check %zu, free pages %zu", step, memm_check(),
			    pmm_free_page_count());
		if (memm_check() != 0)
			fail("step %d: memm_check finds %zu problems in the allocators", step, memm_check());
	}
	while (n) {
		int err = kfree(live[--n].p, NULL);
		lab_observe("kfree of block %zu at %lld: %d", n, arena_offset(live[n].p), err);
		if (err != MEMM_OK)
			fail("kfree of a live block failed");
	}
	lab_observe("all freed: root %lld, free pages %zu of %zu before", arena_offset(memm_root()),
		    pmm_free_page_count(), free0);
	if (memm_root() != NULL)
		fail("every block is freed but allocators remain (an empty one must be destroyed)");
	if (pmm_free_page_count() != free0)
		fail("every block is freed: expected %zu free pages, got %zu", free0,
		     pmm_free_page_count());
	int none = kmalloc(0, (void **)&live[0].p);
	int too_many = kmalloc(MEMM_MAX_BYTES + 1, (void **)&live[0].p);
	lab_observe("kmalloc(0): %d, kmalloc(%zu): %d", none, MEMM_MAX_BYTES + 1, too_many);
	if (none != MEMM_ERR_SIZE || too_many != MEMM_ERR_SIZE)
		fail("kmalloc of 0 bytes or more than 16 MiB: expected MEMM_ERR_SIZE");
	test_policy_edges();
}

static void test_bad_frees(void)
{
	fresh_memory(8 * MIB);
	void *small = NULL, *large = NULL;
	size_t small_bytes = 1 + random_below(2000);
	int small_err = kmalloc(small_bytes, &small);
	size_t large_bytes = 3000 + random_below(8000);
	int large_err = kmalloc(large_bytes, &large);
	lab_observe("kmalloc(%zu): %d at %lld, kmalloc(%zu): %d at %lld", small_bytes, small_err,
		    arena_offset(small), large_bytes, large_err, arena_offset(large));
	if (small_err != MEMM_OK || large_err != MEMM_OK)
		fail("kmalloc failed");
	const struct allocator *owner = ((const struct memm_header *)small - 1)->owner;
	const struct allocator *other = ((const struct memm_header *)large - 1)->owner;
	const struct allocator *lowest = owner < other ? owner : other;
	const struct allocator *highest = owner < other ? other : owner;
	/* A second small block, its header's owner overwritten (as a write
	 * before the block would): kfree must not trust it. */
	void *overwritten = NULL;
	if (kmalloc(small_bytes, &overwritten) != MEMM_OK)
		fail("kmalloc failed");
	struct allocator *real_owner = ((struct memm_header *)overwritten - 1)->owner;
	((struct memm_header *)overwritten - 1)->owner = (struct allocator *)other;
	size_t free0 = pmm_free_page_count();
	lab_observe("owner of the small block %lld, free pages %zu", arena_offset(owner), free0);
	/* A forged header outside every allocator, naming a real one. */
	struct memm_header *forged = malloc(64);
	forged->bytes = 24;
	forged->owner = (struct allocator *)owner;
	struct {
		void *p;
		int want;
		const char *what;
	} cases[] = {
		{ forged + 1, MEMM_ERR_NOT_OURS, "a forged header outside every allocator" },
		{ NULL, MEMM_ERR_NOT_OURS, "NULL" },
		{ (char *)small + 16, MEMM_ERR_NOT_BLOCK, "inside a slab object" },
		{ (char *)small + 1 + random_below(15), MEMM_ERR_NOT_BLOCK, "misaligned" },
		{ (char *)large + 32, MEMM_ERR_NOT_BLOCK, "inside a first-fit chunk" },
		{ (void *)owner, MEMM_ERR_NOT_BLOCK, "the allocator object itself" },
		{ (char *)owner + 16, MEMM_ERR_NOT_BLOCK, "inside the allocator object" },
		{ (char *)lowest - 1, MEMM_ERR_NOT_OURS, "the byte below the lowest allocator" },
		{ (char *)highest + highest->pages * PAGE - 1, MEMM_ERR_NOT_BLOCK,
		  "the last byte of the highest allocator" },
		{ (char *)highest + highest->pages * PAGE, MEMM_ERR_NOT_OURS,
		  "the byte after the highest allocator" },
		{ overwritten, MEMM_ERR_NOT_BLOCK, "a block whose header's owner was overwritten" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = kfree(cases[i].p, NULL);
		lab_observe("kfree of %s: %d", cases[i].what, got);
		if (got != cases[i].want)
			fail("kfree of %s: expected %d (%s), got %d", cases[i].what, cases[i].want,
			     memm_strerror(cases[i].want), got);
	}
	((struct memm_header *)overwritten - 1)->owner = real_owner;
	lab_observe("after the bad frees: free pages %zu, memm_check %zu", pmm_free_page_count(),
		    memm_check());
	if (pmm_free_page_count() != free0 || memm_check() != 0)
		fail("bad frees changed the allocators");
	if (kfree(overwritten, NULL) != MEMM_OK)
		fail("kfree of a live block failed");
	int small_free = kfree(small, NULL);
	int large_free = kfree(large, NULL);
	lab_observe("kfree of the small block: %d, of the large block: %d", small_free, large_free);
	if (small_free != MEMM_OK || large_free != MEMM_OK)
		fail("kfree of live blocks failed");
	int twice = kfree(small, NULL);
	lab_observe("kfree of the small block again: %d", twice);
	if (twice != MEMM_ERR_NOT_OURS)
		fail("kfree twice of the only block of a slab: the slab is gone, expected "
		     "MEMM_ERR_NOT_OURS");
	free(forged);
}

static const struct lab_test tests[] = {
	{ "slab_class", test_slab_class },
	{ "slab_objects", test_slab_objects },
	{ "first_fit_chunks", test_first_fit_chunks },
	{ "kmalloc_kfree", test_kmalloc_kfree },
	{ "bad_frees", test_bad_frees },
};

int main(int argc, char **argv)
{
	uint64_t seed;
	const struct lab_test *test =
		lab_test_chosen(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), &seed);
	if (test == NULL)
		return 2;
	rng_state = seed;
	test->run();
	free(arena);
	lab_test_passed();
	return 0;
}
