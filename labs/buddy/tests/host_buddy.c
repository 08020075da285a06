/*
 * The host tests of lab buddy (labs/buddy/README.md, "Grading").
 *
 *     host_buddy <test> <seed>
 *
 * prints "ok", or "FAIL: <the first difference>", as its last line. The
 * page manager is the student's: it calls the static functions the lab
 * asks for (buddy_of, split, merge) one at a time through
 * buddy_internals.c, which is linked in. Every expected answer
 * comes from the model below, a plain transcription of the documented
 * policy (os/include/pmm.h, the top comment of pmm_buddy.c), run alongside.
 *
 * "Physical memory" is a heap buffer aligned to 1 MiB, so page frame
 * numbers have the kernel's alignments; the segments are placed at random
 * page offsets in it, so their edges are not aligned either.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy_internals.h"
#include "kassert.h"
#include "labhost.h"
#include "pmm.h"
#include "../../../os/mm/pmm_buddy.h"

#define MIB ((uintptr_t)1 << 20)
#define PAGE ((uintptr_t)PMM_PAGE_SIZE)
#define ARENA_MIB 20
#define MAX_SEGS 3

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A number in [low, high]. */
static size_t between(size_t low, size_t high)
{
	return low + (size_t)(rnd() % (high - low + 1));
}

/* ---- Observations (tools/lab/labhost.h): what the class grader judges ----
 *
 * The tests see far too many values for a line each, so they are packed:
 * small values (orders, addresses as pages from the arena, errors) as words
 * on lines of about 400 bytes, and every state compare() reads (each free
 * list block for block, pmm_check's count) folded into a running hash,
 * FNV-1a, written at the end of the line (`#<hash>`). At the end of each
 * round the free lists are written out in full. fail() writes the line it
 * was filling first, so the value that failed a check is always observed. */

#define OBS_WIDTH 400

static char obs_line[OBS_WIDTH + 80];
static size_t obs_len;
static uint64_t obs_hash = 0xcbf29ce484222325ULL; /* FNV-1a's offset basis */
static int obs_hashed;                           /* folded into since the last line */

static void obs_flush(void)
{
	if (obs_hashed)
		obs_len += (size_t)snprintf(obs_line + obs_len, sizeof(obs_line) - obs_len, "%s#%016llx",
					    obs_len ? " " : "", (unsigned long long)obs_hash);
	if (obs_len)
		lab_observe("%s", obs_line);
	obs_len = 0;
	obs_hashed = 0;
}

/* Add a word to the line (after a space if @sep). */
static void __attribute__((format(printf, 2, 3))) obs_add(int sep, const char *fmt, ...)
{
	char word[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(word, sizeof(word), fmt, ap);
	va_end(ap);
	if (obs_len + strlen(word) + 1 > OBS_WIDTH)
		obs_flush();
	obs_len += (size_t)snprintf(obs_line + obs_len, sizeof(obs_line) - obs_len, "%s%s",
				    sep && obs_len ? " " : "", word);
}

/* A small number as one character ('0' + v), a larger one as [v]. */
static void obs_small(uint64_t v)
{
	if (v < 64)
		obs_add(0, "%c", (char)('0' + v));
	else
		obs_add(0, "[%llu]", (unsigned long long)v);
}

static void obs_fold(uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		obs_hash ^= v & 0xff;
		obs_hash *= 0x100000001b3ULL; /* FNV's prime */
	}
	obs_hashed = 1;
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	obs_flush();
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

/* ---- The model: the documented policy, nothing more ---- */

struct mseg {
	struct pmm_segment *seg; /* the real one */
	size_t pages;
	uintptr_t pfn0;          /* page frame number of page 0 */
	int *order;              /* per page: order of the free block it heads, or -1 */
	size_t *count;           /* per page: pages of the allocation it heads, or 0 */
	size_t *list[PMM_NR_ORDERS]; /* the free lists, head first */
	size_t len[PMM_NR_ORDERS];
};

static struct mseg ms[MAX_SEGS];
static unsigned nr_ms;
static void *arena;

static unsigned model_order_of(size_t pages)
{
	unsigned k = 0;
	while (((size_t)1 << k) < pages)
		k++;
	return k;
}

static void m_push(struct mseg *s, size_t index, unsigned k)
{
	memmove(s->list[k] + 1, s->list[k], s->len[k] * sizeof(size_t));
	s->list[k][0] = index;
	s->len[k]++;
	s->order[index] = (int)k;
}

static void m_remove(struct mseg *s, size_t index, unsigned k)
{
	for (size_t i = 0; i < s->len[k]; i++) {
		if (s->list[k][i] == index) {
			memmove(s->list[k] + i, s->list[k] + i + 1, (s->len[k] - i - 1) * sizeof(size_t));
			s->len[k]--;
			s->order[index] = -1;
			return;
		}
	}
	fail("model: block %zu of order %u is not listed (a bug of the test)", index, k);
}

/* The largest aligned block at @index that fits before @last. */
static unsigned m_fit(const struct mseg *s, size_t index, size_t last)
{
	unsigned k = 0;
	uintptr_t pfn = s->pfn0 + index;
	while (k < PMM_MAX_ORDER && ((size_t)2 << k) <= last - index &&
	       (pfn & (((uintptr_t)2 << k) - 1)) == 0)
		k++;
	return k;
}

static void m_merge(struct mseg *s, size_t index, unsigned k)
{
	while (k < PMM_MAX_ORDER) {
		size_t size = (size_t)1 << k;
		uintptr_t pfn = s->pfn0 + index, bpfn = pfn ^ size;
		if (bpfn < s->pfn0 || bpfn + size > s->pfn0 + s->pages)
			break;
		size_t buddy = (size_t)(bpfn - s->pfn0);
		if (s->order[buddy] != (int)k)
			break;
		m_remove(s, buddy, k);
		if (buddy < index)
			index = buddy;
		k++;
	}
	m_push(s, index, k);
}

static void m_free_range(struct mseg *s, size_t first, size_t last)
{
	while (first < last) {
		unsigned k = m_fit(s, first, last);
		m_merge(s, first, k);
		first += (size_t)1 << k;
	}
}

/* Split the block of order @have at @index (off the lists) down to @k. */
static void m_split(struct mseg *s, size_t index, unsigned have, unsigned k)
{
	for (; have > k; have--)
		m_push(s, index + ((size_t)1 << (have - 1)), have - 1);
}

/* The lowest run of @pages free pages inside @s: its first page, or -1. */
static long m_find_run(const struct mseg *s, size_t pages)
{
	size_t index = 0, start = 0, run = 0;
	while (index < s->pages) {
		size_t len;
		if (s->order[index] >= 0) {
			len = (size_t)1 << s->order[index];
			if (run == 0)
				start = index;
			run += len;
			if (run >= pages)
				return (long)start;
		} else {
			len = s->count[index];
			if (len == 0)
				fail("model: page %zu heads nothing (a bug of the test)", index);
			run = 0;
		}
		index += len;
	}
	return -1;
}

/* The documented allocation: 1 on success (segment and page in *@sp, *@ip). */
static int m_alloc(size_t pages, unsigned *sp, size_t *ip)
{
	if (pages == 0)
		return 0;
	if (pages <= ((size_t)1 << PMM_MAX_ORDER)) {
		unsigned k = model_order_of(pages);
		for (unsigned have = k; have < PMM_NR_ORDERS; have++) {
			for (unsigned i = 0; i < nr_ms; i++) {
				struct mseg *s = &ms[i];
				if (s->len[have] == 0)
					continue;
				size_t index = s->list[have][0];
				m_remove(s, index, have);
				m_split(s, index, have, k);
				s->count[index] = pages;
				m_free_range(s, index + pages, index + ((size_t)1 << k));
				*sp = i;
				*ip = index;
				return 1;
			}
		}
		return 0;
	}
	for (unsigned i = 0; i < nr_ms; i++) {
		struct mseg *s = &ms[i];
		long start = m_find_run(s, pages);
		if (start < 0)
			continue;
		size_t index = (size_t)start, last = index + pages;
		while (index < last) {
			unsigned k = (unsigned)s->order[index];
			size_t end = index + ((size_t)1 << k);
			m_remove(s, index, k);
			if (end > last)
				m_free_range(s, last, end);
			index = end;
		}
		s->count[start] = pages;
		*sp = i;
		*ip = (size_t)start;
		return 1;
	}
	return 0;
}

static void m_free(struct mseg *s, size_t index)
{
	size_t pages = s->count[index];
	s->count[index] = 0;
	m_free_range(s, index, index + pages);
}

/* ---- Setting up, comparing ---- */

/* 1 to 3 segments at random page offsets in a fresh arena; the model reads
 * the initial free lists (pmm_add_segment's tiling is given code). */
static void setup(void)
{
	for (unsigned i = 0; i < nr_ms; i++) {
		free(ms[i].order);
		free(ms[i].count);
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++)
			free(ms[i].list[k]);
	}
	memset(ms, 0, sizeof(ms));
	free(arena);
	arena = aligned_alloc(MIB, ARENA_MIB * MIB);
	if (arena == NULL)
		fail("out of host memory");
	pmm_init();
	pmm_set_poison(0);
	unsigned want = (unsigned)between(1, MAX_SEGS);
	uintptr_t at = (uintptr_t)arena;
	uintptr_t room = ARENA_MIB * MIB / want;
	nr_ms = 0;
	for (unsigned i = 0; i < want; i++) {
		uintptr_t start = at + between(0, 300) * PAGE;
		uintptr_t end = start + between(300, room / PAGE - 320) * PAGE;
		int err = pmm_add_segment(start, end);
		obs_fold((uint64_t)err);
		if (err < 0)
			fail("pmm_add_segment(%#lx, %#lx) failed", (unsigned long)start,
			     (unsigned long)end);
		at += room;
		struct mseg *s = &ms[nr_ms++];
		s->seg = &pmm.segments[i];
		s->pages = s->seg->pages;
		s->pfn0 = pmm_pfn(s->seg, 0);
		s->order = malloc(s->pages * sizeof(int));
		s->count = calloc(s->pages, sizeof(size_t));
		for (size_t p = 0; p < s->pages; p++)
			s->order[p] = -1;
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++) {
			s->list[k] = malloc((s->pages + 1) * sizeof(size_t));
			struct list_node *n;
			for (n = s->seg->free_list[k].next; n != &s->seg->free_list[k]; n = n->next) {
				size_t index = (size_t)(list_entry(n, struct pmm_page, node) -
							s->seg->page_array);
				obs_fold(index);
				s->list[k][s->len[k]++] = index;
				s->order[index] = (int)k;
			}
			obs_fold(UINT64_MAX); /* the end of the list */
		}
	}
}

/* Make the real segments what the model says, with the given code only
 * (add_free_block, remove_free_block, make_head): no function of the lab. */
static void write_model_state(void)
{
	for (unsigned i = 0; i < nr_ms; i++) {
		struct mseg *s = &ms[i];
		struct pmm_segment *seg = s->seg;
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++)
			while (!list_empty(&seg->free_list[k]))
				lab_remove_free_block(seg, (size_t)(list_entry(seg->free_list[k].next,
						  struct pmm_page, node) - seg->page_array), k);
		for (size_t p = 0; p < s->pages; p++) {
			uintptr_t addr;
			if (s->count[p])
				lab_make_head(seg, p, s->count[p], &addr);
		}
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++)
			for (size_t j = s->len[k]; j-- > 0;)
				lab_add_free_block(seg, s->list[k][j], k, 0, 0);
	}
	int violations = pmm_check(NULL, NULL);
	obs_fold((uint64_t)violations);
	if (violations != 0)
		fail("the test's own setup breaks an invariant (a bug of the test)");
}

static const char *what = "";

static void print_violation(const struct pmm_violation *v, void *ctx)
{
	(void)ctx;
	printf("  pmm_check: seg%u 0x%lx: %s (expected %zu, found %zu)\n", v->segment,
	       (unsigned long)v->addr, pmm_violation_text(v->kind), v->expected, v->actual);
}

/* The real free lists must be the model's, block for block and in list
 * order, and pmm_check must find nothing wrong. */
static void compare(void)
{
	for (unsigned i = 0; i < nr_ms; i++) {
		struct mseg *s = &ms[i];
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++) {
			struct list_node *head = &s->seg->free_list[k], *n = head->next;
			for (size_t j = 0; j <= s->len[k]; j++, n = n->next) {
				int real_end = n == head, model_end = j == s->len[k];
				size_t got = real_end ? 0 : (size_t)(list_entry(n, struct pmm_page,
									     node) - s->seg->page_array);
				obs_fold(real_end ? UINT64_MAX : got);
				if (real_end && model_end)
					break;
				if (real_end || model_end || got != s->list[k][j]) {
					char want_s[40] = "the end of the list", got_s[40] =
						"the end of the list";
					if (!model_end)
						snprintf(want_s, sizeof(want_s), "0x%lx", (unsigned long)
							 pmm_addr(s->seg, s->list[k][j]));
					if (!real_end)
						snprintf(got_s, sizeof(got_s), "0x%lx", (unsigned long)
							 pmm_addr(s->seg, got));
					fail("%s: seg%u free list of order %u, entry %zu (head first) is "
					     "%s; the documented policy gives %s", what, i, k, j, got_s,
					     want_s);
				}
			}
		}
	}
	int violations = pmm_check(NULL, NULL);
	obs_fold((uint64_t)violations);
	if (violations != 0) {
		pmm_check(print_violation, NULL);
		fail("%s: pmm_check finds broken invariants (listed above)", what);
	}
}

/* An address as pages from the arena's start (hex, +bytes if unaligned):
 * the arena's own address differs from run to run. */
static void obs_addr(uintptr_t addr)
{
	uintptr_t off = addr - (uintptr_t)arena;
	if (addr < (uintptr_t)arena || off >= ARENA_MIB * MIB)
		obs_add(1, "outside");
	else if (off % PAGE)
		obs_add(1, "%lx+%lx", (unsigned long)(off / PAGE), (unsigned long)(off % PAGE));
	else
		obs_add(1, "%lx", (unsigned long)(off / PAGE));
}

/* The real free lists in full, a line a segment: `s0 o3: 40 48 o4: ...`
 * (page indexes in hex, head first). At most pages + 1 entries a list, in
 * case a list was broken where no compare() looked. */
static void observe_free_lists(void)
{
	obs_flush();
	for (unsigned i = 0; i < nr_ms; i++) {
		struct pmm_segment *seg = ms[i].seg;
		obs_add(1, "s%u", i);
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++) {
			struct list_node *head = &seg->free_list[k], *n = head->next;
			if (n == head)
				continue;
			obs_add(1, "o%u:", k);
			for (size_t j = 0; n != head && j <= seg->pages; j++, n = n->next)
				obs_add(1, "%zx", (size_t)(list_entry(n, struct pmm_page, node) -
							   seg->page_array));
		}
		obs_flush();
	}
}

/* Fragment the model with power-of-two allocations and some frees. */
static void fragment_model(unsigned allocs)
{
	unsigned s;
	size_t index;
	for (unsigned n = 0; n < allocs; n++) {
		size_t pages = (size_t)1 << between(0, rnd() % 4 ? 3 : PMM_MAX_ORDER);
		if (!m_alloc(pages, &s, &index))
			break;
		if (rnd() % 3 == 0)
			m_free(&ms[s], index);
	}
}

/* A random live allocation of at most @max pages (power of two if @pow2)
 * in the model: 1 if one was found. */
static int pick_allocation(size_t max, int pow2, unsigned *sp, size_t *ip)
{
	for (int tries = 0; tries < 200; tries++) {
		unsigned i = (unsigned)between(0, nr_ms - 1);
		size_t p = between(0, ms[i].pages - 1);
		for (; p < ms[i].pages; p++) {
			size_t c = ms[i].count[p];
			if (c && c <= max && (!pow2 || (c & (c - 1)) == 0)) {
				*sp = i;
				*ip = p;
				return 1;
			}
		}
	}
	return 0;
}

/* ---- The tests ---- */

static void test_order_of(void)
{
	for (size_t pages = 1; pages <= 5000; pages++) {
		unsigned got = pmm_order_of(pages);
		obs_small(got);
		if (got != model_order_of(pages))
			fail("pmm_order_of(%zu) is %u; it should be %u (the smallest k with "
			     "2^k >= %zu)", pages, got, model_order_of(pages), pages);
	}
	obs_flush();
	for (int n = 0; n < 100000; n++) {
		unsigned bits = (unsigned)between(1, 40);
		size_t pages = (size_t)(rnd() & ((((uint64_t)1) << bits) - 1));
		if (n % 3 == 0)
			pages = ((size_t)1 << (bits - 1)) + (size_t)between(0, 2) - 1;
		if (pages == 0)
			continue;
		unsigned got = pmm_order_of(pages);
		obs_small(got);
		if (got != model_order_of(pages))
			fail("pmm_order_of(%zu) is %u; it should be %u (the smallest k with "
			     "2^k >= %zu)", pages, got, model_order_of(pages), pages);
	}
	obs_flush();
}

static void test_buddy_of(void)
{
	for (int n = 0; n < 100000; n++) {
		unsigned order = (unsigned)between(0, PMM_MAX_ORDER);
		uintptr_t size = (uintptr_t)1 << order;
		/* A block of @order: its pfn is a multiple of 2^order. */
		uintptr_t pfn = (uintptr_t)(rnd() & 0xffffffffffULL) & ~(size - 1);
		uintptr_t want = (pfn & size) ? pfn - size : pfn + size;
		uintptr_t got = lab_buddy_of(pfn, order), flipped = got ^ pfn;
		/* Observed as what it changes in the test's @pfn: the bit it flips
		 * (a character), or {the bits} if not exactly one. */
		if (flipped != 0 && (flipped & (flipped - 1)) == 0)
			obs_small((uint64_t)__builtin_ctzll((unsigned long long)flipped));
		else
			obs_add(0, "{%llx}", (unsigned long long)flipped);
		if (got != want)
			fail("buddy_of(%#lx, %u) is %#lx; the buddy of that block is %#lx",
			     (unsigned long)pfn, order, (unsigned long)got,
			     (unsigned long)want);
	}
	obs_flush();
}

static void test_split(void)
{
	for (int round = 0; round < 30; round++) {
		setup();
		fragment_model((unsigned)between(0, 40));
		write_model_state();
		for (int n = 0; n < 30; n++) {
			unsigned i = (unsigned)between(0, nr_ms - 1), have = (unsigned)between(1, 8);
			struct mseg *s = &ms[i];
			while (have > 1 && s->len[have] == 0)
				have--;
			if (s->len[have] == 0)
				continue;
			unsigned k = (unsigned)between(0, have - 1);
			size_t index = s->list[have][0];
			uintptr_t addr;
			lab_remove_free_block(s->seg, index, have);
			lab_split(s->seg, index, have, k, 0);
			lab_make_head(s->seg, index, (size_t)1 << k, &addr);
			m_remove(s, index, have);
			m_split(s, index, have, k);
			s->count[index] = (size_t)1 << k;
			static char buf[120];
			snprintf(buf, sizeof(buf), "after split(seg%u, block at 0x%lx, %u, %u)", i,
				 (unsigned long)addr, have, k);
			what = buf;
			compare();
		}
		observe_free_lists();
	}
}

static void test_merge(void)
{
	for (int round = 0; round < 40; round++) {
		setup();
		fragment_model((unsigned)between(10, 120));
		write_model_state();
		unsigned i;
		size_t index;
		while (pick_allocation((size_t)1 << PMM_MAX_ORDER, 1, &i, &index)) {
			struct mseg *s = &ms[i];
			unsigned k = model_order_of(s->count[index]);
			s->seg->page_array[index].state = PMM_PAGE_INSIDE;
			lab_merge(s->seg, index, k, 0);
			s->count[index] = 0;
			m_merge(s, index, k);
			static char buf[120];
			snprintf(buf, sizeof(buf), "after merge(seg%u, block at 0x%lx, order %u)", i,
				 (unsigned long)pmm_addr(s->seg, index), k);
			what = buf;
			compare();
		}
		observe_free_lists();
	}
}

/* Allocate @pages through pmm_alloc_contiguous and the model; compare. */
static void alloc_both(size_t pages)
{
	unsigned i;
	size_t index;
	uintptr_t addr = 0;
	int err = pmm_alloc_contiguous(pages, &addr);
	static char buf[120];
	/* Its address if it succeeded (unspecified if not), else the error. */
	if (err == PMM_OK)
		obs_addr(addr);
	else
		obs_add(1, "e%d", err);
	if (!m_alloc(pages, &i, &index)) {
		if (err != PMM_ERR_NO_MEMORY)
			fail("pmm_alloc_contiguous(%zu) gives %d; the documented policy finds no "
			     "room (PMM_ERR_NO_MEMORY)", pages, err);
		return;
	}
	uintptr_t want = pmm_addr(ms[i].seg, index);
	if (err != PMM_OK || addr != want)
		fail("pmm_alloc_contiguous(%zu) gives %d at 0x%lx; the documented policy gives "
		     "0x%lx", pages, err, (unsigned long)addr, (unsigned long)want);
	struct pmm_block block;
	int at = pmm_allocation_at(addr, &block);
	obs_fold((uint64_t)at);
	if (at == PMM_OK)
		obs_fold(block.pages);
	if (at != PMM_OK || block.pages != pages)
		fail("alloc %zu at 0x%lx: the allocation there is %zu pages long", pages,
		     (unsigned long)addr, block.pages);
	snprintf(buf, sizeof(buf), "after pmm_alloc_contiguous(%zu) at 0x%lx", pages,
		 (unsigned long)addr);
	what = buf;
	compare();
}

static void test_tail(void)
{
	for (int round = 0; round < 30; round++) {
		setup();
		fragment_model((unsigned)between(0, 60));
		write_model_state();
		for (int n = 0; n < 40; n++) {
			size_t pages = between(3, (size_t)1 << between(2, PMM_MAX_ORDER));
			if ((pages & (pages - 1)) == 0)
				pages--;
			alloc_both(pages);
		}
		observe_free_lists();
	}
}

static void test_large_run(void)
{
	for (int round = 0; round < 30; round++) {
		setup();
		fragment_model((unsigned)between(0, 150));
		write_model_state();
		for (int n = 0; n < 12; n++)
			alloc_both(between(257, rnd() % 4 ? 1200 : 6000));
		observe_free_lists();
	}
}

static int poisoning;

static void test_random(void)
{
	for (int round = 0; round < 10; round++) {
		setup();
		pmm_set_poison(poisoning);
		for (int n = 0; n < 3000; n++) {
			unsigned i;
			size_t index;
			if (rnd() % 5 < 3) {
				size_t pages = rnd() % 10 == 0 ? between(257, 2000) :
					rnd() % 2 ? ((size_t)1 << between(0, 8)) : between(1, 256);
				alloc_both(pages);
			} else if (pick_allocation((size_t)-1, 0, &i, &index)) {
				uintptr_t addr = pmm_addr(ms[i].seg, index);
				size_t want = ms[i].count[index], got = 0;
				int err = pmm_free(addr, &got);
				if (err == PMM_OK)
					obs_add(1, "-%zx", got);
				else
					obs_add(1, "-e%d", err);
				if (err != PMM_OK || got != want)
					fail("pmm_free(0x%lx) gives %d, %zu pages; it should free %zu",
					     (unsigned long)addr, err, got, want);
				m_free(&ms[i], index);
				static char buf[80];
				snprintf(buf, sizeof(buf), "after pmm_free(0x%lx) of %zu pages",
					 (unsigned long)addr, want);
				what = buf;
				compare();
			}
		}
		observe_free_lists();
	}
}

/* The same with poisoning on: every free fills its pages, every block
 * taken is verified, and the halves of a poisoned block stay poisoned. */
static void test_random_poisoned(void)
{
	poisoning = 1;
	test_random();
}

static const struct lab_test tests[] = {
	{ "order_of", test_order_of },
	{ "buddy_of", test_buddy_of },
	{ "split", test_split },
	{ "merge", test_merge },
	{ "tail", test_tail },
	{ "large_run", test_large_run },
	{ "random", test_random },
	{ "random_poisoned", test_random_poisoned },
};

int main(int argc, char **argv)
{
	uint64_t seed;
	const struct lab_test *test =
		lab_test_chosen(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), &seed);
	if (test == NULL)
		return 2;
	rng_state = seed * 2654435761u + 88172645463325252ULL;
	test->run();
	free(arena);
	lab_test_passed();
	return 0;
}
