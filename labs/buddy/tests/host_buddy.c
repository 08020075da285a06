/*
 * The host tests of lab buddy (labs/buddy/README.md, "Grading").
 *
 *     host_buddy <test> <seed>
 *
 * prints "ok", or "FAIL: <the first difference>", as its last line. The
 * page manager is the student's: the test calls the static functions the
 * lab asks for (buddy_of, split, merge) one at a time through
 * buddy_internals.c, which is linked in, and the rest through pmm.h.
 *
 * The model: what, not how
 * ------------------------
 * Every expected answer comes from a specification of the documented
 * policy that never splits or merges anything (so it is no copy of the
 * lab's code). It keeps, per page, whether the page is free, and per free
 * block, when it became free; the rest follows from three rules:
 *
 *   blocks  the free pages of a segment are covered by the *maximal* aligned
 *           blocks: every aligned block of at most 256 pages that lies
 *           wholly in the segment and wholly in free pages, and is not
 *           inside a larger one (invariant 3 of pmm_buddy.c makes this so);
 *   lists   each order's list holds its blocks newest first; the blocks one
 *           step makes free became free lowest address first;
 *   take    alloc n (n <= 256) takes, among the free blocks of the smallest
 *           order >= order_of(n) (the first segment added that has one), the
 *           newest; alloc n (n > 256) takes the lowest n free pages in a row
 *           inside one segment. What the allocation does not use stays free.
 *
 * and for poisoning (pmm_poison.c): a free page carries the mark of its
 * block; pages freed with poisoning on are marked, a block is marked only if
 * all its pages are, and a marked block the policy takes is first checked:
 * its written pages are quarantined, the rest freed again, and the policy
 * looks again.
 *
 * "Physical memory" is one buffer aligned to 1 MiB, so page frame numbers
 * have the kernel's alignments; the segments are placed at random page
 * offsets in it, so their edges are not aligned either. Everything around
 * each segment's page array is made unreadable (AddressSanitizer poisoning,
 * reported as "use-after-poison"): the memory before the array, the spare
 * room after the descriptors and the free-chunk bitmap, and, while page
 * poisoning is off (the page manager then never touches them), the managed
 * pages themselves. A descriptor read outside the segment stops the test at
 * the line that read it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "buddy_internals.h"
#include "kassert.h"
#include "labhost.h"
#include "pmm.h"
#include "../../../os/mm/pmm_buddy.h"

#define MIB ((uintptr_t)1 << 20)
#define PAGE ((uintptr_t)PMM_PAGE_SIZE)
#define ARENA_MIB 20
#define MAX_SEGS 3
#define MAX_BLOCK ((size_t)1 << PMM_MAX_ORDER)

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
 * list block for block, each block's poisoned mark, pmm_check's count)
 * folded into a running hash, FNV-1a, written at the end of the line
 * (`#<hash>`). At the end of each round the free lists are written out in
 * full. fail() writes the line it was filling first, so the value that
 * failed a check is always observed. */

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

/* ---- The model: the documented policy as a specification ---- */

struct mseg {
	struct pmm_segment *seg; /* the real one */
	size_t pages;
	uintptr_t pfn0;          /* page frame number of page 0 */
	uint8_t *free;           /* per page: 1 if free */
	uint8_t *mark;           /* per free page: its block's poisoned mark */
	int *dirty;              /* per free page: first byte the test wrote, or -1 */
	size_t *count;           /* per page: pages of the allocation it heads, or 0 */
	uint8_t *held;           /* per page: 1 if quarantined */
	int *order;              /* per page: order of the free block it heads, or -1 */
	uint64_t *born;          /* per head of a free block: when it became free */
	int *fresh;              /* scratch for settle() */
	size_t *slot;            /* per head of a free block: its place in heads[] */
	size_t *heads[PMM_NR_ORDERS]; /* the free blocks of each order, in no order */
	size_t nheads[PMM_NR_ORDERS];
};

static struct mseg ms[MAX_SEGS];
static unsigned nr_ms;
static uint64_t clock_now;  /* the last birth given */
static int poisoning;       /* the model's idea of pmm_set_poison() */

/* Quarantines the model expects pmm_poison_take_report() to tell of. */
#define MAX_REPORTS 64
static struct { unsigned seg; size_t page; int offset; } reports[MAX_REPORTS];
static unsigned nr_reports;

static unsigned model_order_of(size_t pages)
{
	unsigned k = 0;
	while (((size_t)1 << k) < pages)
		k++;
	return k;
}

static int all_free(const struct mseg *s, size_t first, size_t last)
{
	for (size_t p = first; p < last; p++)
		if (!s->free[p])
			return 0;
	return 1;
}

/* Rule "blocks": the maximal aligned free blocks inside the aligned block of
 * order @k at @pfn, written into s->fresh (order at each head). */
static void maximal_blocks(struct mseg *s, uintptr_t pfn, unsigned k)
{
	size_t size = (size_t)1 << k;
	uintptr_t end = s->pfn0 + s->pages;
	if (pfn + size <= s->pfn0 || pfn >= end)
		return;
	if (pfn >= s->pfn0 && pfn + size <= end && all_free(s, pfn - s->pfn0, pfn - s->pfn0 + size)) {
		s->fresh[pfn - s->pfn0] = (int)k;
		return;
	}
	if (k > 0) {
		maximal_blocks(s, pfn, k - 1);
		maximal_blocks(s, pfn + size / 2, k - 1);
	}
}

static void unlist(struct mseg *s, size_t head)
{
	unsigned k = (unsigned)s->order[head];
	size_t last = s->heads[k][--s->nheads[k]];
	s->heads[k][s->slot[head]] = last;
	s->slot[last] = s->slot[head];
	s->order[head] = -1;
}

static void list(struct mseg *s, size_t head, unsigned k)
{
	s->order[head] = (int)k;
	s->born[head] = ++clock_now;
	s->slot[head] = s->nheads[k];
	s->heads[k][s->nheads[k]++] = head;
	/* A block is marked only if every page of it is. */
	size_t size = (size_t)1 << k;
	uint8_t m = 1;
	for (size_t p = head; p < head + size; p++)
		m &= s->mark[p];
	memset(s->mark + head, m, size);
}

/* One step changed which of pages [first, last) are free: the blocks are the
 * maximal ones again; a block that was already free keeps its birth, the
 * new ones are born now, lowest first. Blocks never cross a 256-page
 * boundary, so only the 256-page windows round the change can differ. */
static void settle(struct mseg *s, size_t first, size_t last)
{
	uintptr_t lo = (s->pfn0 + first) & ~(uintptr_t)(MAX_BLOCK - 1);
	uintptr_t hi = (s->pfn0 + last + MAX_BLOCK - 1) & ~(uintptr_t)(MAX_BLOCK - 1);
	size_t a = lo < s->pfn0 ? 0 : lo - s->pfn0;
	size_t b = hi - s->pfn0 < s->pages ? hi - s->pfn0 : s->pages;

	for (size_t p = a; p < b; p++)
		s->fresh[p] = -1;
	for (uintptr_t w = lo; w < hi; w += MAX_BLOCK)
		maximal_blocks(s, w, PMM_MAX_ORDER);
	for (size_t p = a; p < b; p++)
		if (s->order[p] >= 0 && s->fresh[p] != s->order[p])
			unlist(s, p);
	for (size_t p = a; p < b; p++)
		if (s->fresh[p] >= 0 && s->order[p] < 0)
			list(s, p, (unsigned)s->fresh[p]);
}

/* Pages [first, last), none of them free, become free, marked @mark. */
static void m_release(struct mseg *s, size_t first, size_t last, int mark)
{
	for (size_t p = first; p < last; p++) {
		s->free[p] = 1;
		s->mark[p] = (uint8_t)mark;
		s->dirty[p] = -1;
	}
	settle(s, first, last);
}

/* The free block at @head, the newest of its order, of the first segment
 * with one of the smallest order >= @k: 1 if there is one. */
static int m_lowest_block(unsigned k, unsigned *sp, size_t *headp)
{
	for (unsigned have = k; have <= PMM_MAX_ORDER; have++) {
		for (unsigned i = 0; i < nr_ms; i++) {
			struct mseg *s = &ms[i];
			if (s->nheads[have] == 0)
				continue;
			size_t best = s->heads[have][0];
			for (size_t j = 1; j < s->nheads[have]; j++)
				if (s->born[s->heads[have][j]] > s->born[best])
					best = s->heads[have][j];
			*sp = i;
			*headp = best;
			return 1;
		}
	}
	return 0;
}

static int block_written(const struct mseg *s, size_t head)
{
	for (size_t p = head; p < head + ((size_t)1 << s->order[head]); p++)
		if (s->dirty[p] >= 0)
			return 1;
	return 0;
}

/* The free block at @head, marked and written to, is checked: each written
 * page is quarantined (a one-page allocation nobody frees), the others are
 * freed again (poisoned afresh). */
static void m_quarantine(unsigned i, size_t head)
{
	struct mseg *s = &ms[i];
	size_t last = head + ((size_t)1 << s->order[head]);
	for (size_t p = head; p < last; p++) {
		if (s->dirty[p] >= 0) {
			if (nr_reports == MAX_REPORTS)
				fail("the test wrote to more freed pages than it can follow (a bug of the test)");
			reports[nr_reports].seg = i;
			reports[nr_reports].page = p;
			reports[nr_reports++].offset = s->dirty[p];
			s->free[p] = 0;
			s->count[p] = 1;
			s->held[p] = 1;
		} else {
			s->mark[p] = (uint8_t)poisoning;
		}
		s->dirty[p] = -1;
	}
	settle(s, head, last);
}

/* Rule "take" for 1 to 256 pages: 1 on success (segment, page in *@sp, *@ip). */
static int m_alloc_block(size_t pages, unsigned *sp, size_t *ip)
{
	unsigned k = model_order_of(pages), i;
	size_t head;
	for (;;) {
		if (!m_lowest_block(k, &i, &head))
			return 0;
		struct mseg *s = &ms[i];
		if (s->mark[head] && block_written(s, head)) {
			m_quarantine(i, head);
			continue;
		}
		size_t block = (size_t)1 << s->order[head];
		/* The allocation is the block's first pages; the pages of the
		 * order-k block past it are freed (poisoned afresh if
		 * poisoning is on); the rest of the block stays as it was. */
		for (size_t p = head; p < head + block; p++) {
			if (p < head + pages)
				s->free[p] = 0;
			else if (p < head + ((size_t)1 << k))
				s->mark[p] = (uint8_t)poisoning;
			if (p < head + ((size_t)1 << k))
				s->dirty[p] = -1;
		}
		s->count[head] = pages;
		settle(s, head, head + block);
		*sp = i;
		*ip = head;
		return 1;
	}
}

/* The lowest run of @pages free pages inside @s: its first page, or -1. */
static long m_lowest_run(const struct mseg *s, size_t pages)
{
	size_t run = 0;
	for (size_t p = 0; p < s->pages; p++) {
		run = s->free[p] ? run + 1 : 0;
		if (run == pages)
			return (long)(p + 1 - pages);
	}
	return -1;
}

/* Rule "take" for more than 256 pages. */
static int m_alloc_run(size_t pages, unsigned *sp, size_t *ip)
{
again:
	for (unsigned i = 0; i < nr_ms; i++) {
		struct mseg *s = &ms[i];
		long found = m_lowest_run(s, pages);
		if (found < 0)
			continue;
		size_t start = (size_t)found, last = start + pages, p = start;
		/* With poisoning on, each marked block of the run is checked
		 * first, lowest first; after a quarantine the search starts
		 * again. */
		while (poisoning && p < last) {
			if (s->mark[p] && block_written(s, p)) {
				m_quarantine(i, p);
				goto again;
			}
			p += (size_t)1 << s->order[p];
		}
		/* The last block may reach past the run: its other pages are
		 * freed again (poisoned afresh). */
		size_t end = start;
		while (end < last)
			end += (size_t)1 << s->order[end];
		for (p = start; p < end; p++) {
			if (p < last)
				s->free[p] = 0;
			else
				s->mark[p] = (uint8_t)poisoning;
			s->dirty[p] = -1;
		}
		s->count[start] = pages;
		settle(s, start, end);
		*sp = i;
		*ip = start;
		return 1;
	}
	return 0;
}

static int m_alloc(size_t pages, unsigned *sp, size_t *ip)
{
	if (pages == 0)
		return 0;
	return pages <= MAX_BLOCK ? m_alloc_block(pages, sp, ip) : m_alloc_run(pages, sp, ip);
}

static void m_free(struct mseg *s, size_t index)
{
	size_t pages = s->count[index];
	s->count[index] = 0;
	m_release(s, index, index + pages, poisoning);
}

/* Pages [first, last) of @s, all free, become allocations: the largest
 * aligned blocks that fit, lowest first (a state the test sets up). */
static void m_hold(struct mseg *s, size_t first, size_t last)
{
	for (size_t p = first; p < last;) {
		unsigned k = 0;
		while (k < PMM_MAX_ORDER && p + ((size_t)2 << k) <= last &&
		       (s->pfn0 + p) % ((size_t)2 << k) == 0)
			k++;
		memset(s->free + p, 0, (size_t)1 << k);
		s->count[p] = (size_t)1 << k;
		p += (size_t)1 << k;
	}
	settle(s, first, last);
}

/* The blocks of list @k of @s, newest (the head) first, in @out. */
static size_t m_list(const struct mseg *s, unsigned k, size_t *out)
{
	size_t n = s->nheads[k];
	memcpy(out, s->heads[k], n * sizeof(size_t));
	for (size_t j = 1; j < n; j++) {
		size_t v = out[j], at = j;
		for (; at > 0 && s->born[out[at - 1]] < s->born[v]; at--)
			out[at] = out[at - 1];
		out[at] = v;
	}
	return n;
}

/* ---- The arena and its guards ---- */

static unsigned char *arena;

static void guard(uintptr_t from, uintptr_t to, int unreadable)
{
	if (to <= from)
		return;
	if (unreadable)
		ASAN_POISON_MEMORY_REGION((void *)from, to - from);
	else
		ASAN_UNPOISON_MEMORY_REGION((void *)from, to - from);
}

static void free_model(void)
{
	for (unsigned i = 0; i < nr_ms; i++) {
		struct mseg *s = &ms[i];
		free(s->free);
		free(s->mark);
		free(s->dirty);
		free(s->count);
		free(s->held);
		free(s->order);
		free(s->born);
		free(s->fresh);
		free(s->slot);
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++)
			free(s->heads[k]);
	}
	memset(ms, 0, sizeof(ms));
	nr_ms = 0;
}

/* ---- Setting up, comparing ---- */

/* 1 to 3 segments at random page offsets in the arena, poisoning @poison;
 * the model reads the initial free lists (pmm_add_segment's tiling is given
 * code). No segment's edge lies on a 256-page boundary: the first and the
 * last block of each have their buddy outside it. seg0 ends on an even page
 * frame, so that a block there can have its buddy end where the segment
 * does. */
static void setup(int poison)
{
	uintptr_t start[MAX_SEGS], end[MAX_SEGS];
	unsigned want;

	if (arena == NULL) {
		arena = aligned_alloc(MIB, ARENA_MIB * MIB);
		if (arena == NULL)
			fail("out of host memory");
	}
	guard((uintptr_t)arena, (uintptr_t)arena + ARENA_MIB * MIB, 0);
	pmm_set_poison(0);
	free_model();
	nr_reports = 0;
	for (;;) {
		pmm_init();
		want = (unsigned)between(1, MAX_SEGS);
		uintptr_t at = (uintptr_t)arena, room = ARENA_MIB * MIB / want;
		int aligned = 0;
		for (unsigned i = 0; i < want; i++, at += room) {
			/* At least 2 pages before each segment, 20 after. */
			start[i] = at + between(2, 300) * PAGE;
			end[i] = start[i] + between(300, room / PAGE - 322) * PAGE;
			int err = pmm_add_segment(start[i], end[i]);
			obs_fold((uint64_t)err);
			if (err < 0)
				fail("pmm_add_segment(%#lx, %#lx) failed", (unsigned long)start[i],
				     (unsigned long)end[i]);
			const struct pmm_segment *seg = &pmm.segments[i];
			aligned |= pmm_pfn(seg, 0) % MAX_BLOCK == 0 || pmm_pfn(seg, seg->pages) % MAX_BLOCK == 0 ||
				(i == 0 && pmm_pfn(seg, seg->pages) % 2 != 0);
		}
		if (!aligned)
			break;
	}
	/* Unreadable: all but the segments' descriptors (and bitmaps), and
	 * their pages while nothing may touch them. */
	guard((uintptr_t)arena, (uintptr_t)arena + ARENA_MIB * MIB, 1);
	for (unsigned i = 0; i < want; i++) {
		const struct pmm_segment *seg = &pmm.segments[i];
		uintptr_t array_end = (uintptr_t)(seg->page_array + seg->pages) +
			(seg->nr_chunks + 63) / 64 * sizeof(uint64_t);
		guard((uintptr_t)seg->page_array, array_end, 0);
		guard(seg->base, pmm_addr(seg, seg->pages), !poison);
	}
	pmm_set_poison(poison);
	poisoning = poison;

	nr_ms = want;
	for (unsigned i = 0; i < want; i++) {
		struct mseg *s = &ms[i];
		s->seg = &pmm.segments[i];
		s->pages = s->seg->pages;
		s->pfn0 = pmm_pfn(s->seg, 0);
		s->free = calloc(s->pages, 1);
		s->mark = calloc(s->pages, 1);
		s->dirty = malloc(s->pages * sizeof(int));
		s->count = calloc(s->pages, sizeof(size_t));
		s->held = calloc(s->pages, 1);
		s->order = malloc(s->pages * sizeof(int));
		s->born = calloc(s->pages, sizeof(uint64_t));
		s->fresh = malloc(s->pages * sizeof(int));
		s->slot = calloc(s->pages, sizeof(size_t));
		for (size_t p = 0; p < s->pages; p++)
			s->order[p] = s->dirty[p] = -1;
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++) {
			s->heads[k] = malloc((s->pages + 1) * sizeof(size_t));
			/* The list read tail first: the head is the newest. */
			struct list_node *n;
			for (n = s->seg->free_list[k].prev; n != &s->seg->free_list[k]; n = n->prev) {
				const struct pmm_page *page = list_entry(n, struct pmm_page, node);
				size_t index = (size_t)(page - s->seg->page_array);
				obs_fold(index);
				memset(s->free + index, 1, (size_t)1 << k);
				memset(s->mark + index, page->poisoned, (size_t)1 << k);
				s->order[index] = (int)k;
				s->born[index] = ++clock_now;
				s->slot[index] = s->nheads[k];
				s->heads[k][s->nheads[k]++] = index;
			}
			obs_fold(UINT64_MAX); /* the end of the list */
		}
	}
}

/* Make the real segments what the model says, with the given code only
 * (add_free_block, remove_free_block, make_head): no function of the lab. */
static void write_model_state(void)
{
	static size_t order_buf[1 << 16];
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
			if (s->held[p])
				seg->page_array[p].holder = PMM_HOLDER_QUARANTINE;
		}
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++) {
			size_t n = m_list(s, k, order_buf);
			while (n-- > 0)
				lab_add_free_block(seg, order_buf[n], k, 0, s->mark[order_buf[n]]);
		}
	}
	int violations = (int)pmm_check(NULL, NULL);
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

/* Pull the real quarantine reports and match them with the model's. */
static void compare_reports(void)
{
	struct pmm_poison_report r;
	unsigned j = 0;
	while (pmm_poison_take_report(&r)) {
		uintptr_t page = r.page;
		obs_add(1, "q%lx+%zx", (unsigned long)((page - (uintptr_t)arena) / PAGE), r.offset);
		if (j == nr_reports)
			fail("%s: the page manager quarantined page 0x%lx (written at +0x%zx); the "
			     "documented policy quarantines no page here", what, (unsigned long)page,
			     r.offset);
		uintptr_t want = pmm_addr(ms[reports[j].seg].seg, reports[j].page);
		if (page != want || r.offset != (size_t)reports[j].offset)
			fail("%s: the page manager quarantined page 0x%lx (first bad byte +0x%zx); the "
			     "documented policy quarantines 0x%lx (+0x%x) first", what,
			     (unsigned long)page, r.offset, (unsigned long)want, reports[j].offset);
		j++;
	}
	if (j < nr_reports)
		fail("%s: page 0x%lx was written after it was freed and the block holding it was "
		     "handed out; the documented policy checks a poisoned block first and "
		     "quarantines that page, but the page manager did not", what,
		     (unsigned long)pmm_addr(ms[reports[j].seg].seg, reports[j].page));
	nr_reports = 0;
}

/* The real free lists must be the model's, block for block and in list
 * order, each block's poisoned mark the model's, and pmm_check must find
 * nothing wrong. */
static void compare(void)
{
	static size_t want[1 << 16];
	compare_reports();
	for (unsigned i = 0; i < nr_ms; i++) {
		struct mseg *s = &ms[i];
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++) {
			size_t len = m_list(s, k, want);
			struct list_node *head = &s->seg->free_list[k], *n = head->next;
			for (size_t j = 0; j <= len; j++, n = n->next) {
				int real_end = n == head, model_end = j == len;
				size_t got = real_end ? 0 : (size_t)(list_entry(n, struct pmm_page,
									     node) - s->seg->page_array);
				obs_fold(real_end ? UINT64_MAX : got);
				if (real_end && model_end)
					break;
				if (real_end || model_end || got != want[j]) {
					char want_s[40] = "the end of the list", got_s[40] =
						"the end of the list";
					if (!model_end)
						snprintf(want_s, sizeof(want_s), "0x%lx", (unsigned long)
							 pmm_addr(s->seg, want[j]));
					if (!real_end)
						snprintf(got_s, sizeof(got_s), "0x%lx", (unsigned long)
							 pmm_addr(s->seg, got));
					fail("%s: seg%u free list of order %u, entry %zu (head first) is "
					     "%s; the documented policy gives %s", what, i, k, j, got_s,
					     want_s);
				}
				int mark = s->seg->page_array[got].poisoned;
				obs_fold((uint64_t)mark);
				if (mark != s->mark[got])
					fail("%s: seg%u free block 0x%lx (order %u) has poisoned = %d; the "
					     "documented policy gives %d (a block is poisoned when all its "
					     "pages are: freed with poisoning on, split from a poisoned "
					     "block, or merged from two poisoned halves)", what, i,
					     (unsigned long)pmm_addr(s->seg, got), k, mark, s->mark[got]);
			}
		}
	}
	int violations = (int)pmm_check(NULL, NULL);
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
 * (page indexes in hex, head first; `*` after a poisoned block). At most
 * pages + 1 entries a list, in case a list was broken where no compare()
 * looked. */
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
			for (size_t j = 0; n != head && j <= seg->pages; j++, n = n->next) {
				const struct pmm_page *page = list_entry(n, struct pmm_page, node);
				obs_add(1, "%zx%s", (size_t)(page - seg->page_array),
					page->poisoned ? "*" : "");
			}
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

/* Give every free block of the model a random poisoned mark. */
static void random_marks(void)
{
	for (unsigned i = 0; i < nr_ms; i++)
		for (unsigned k = 0; k < PMM_NR_ORDERS; k++)
			for (size_t j = 0; j < ms[i].nheads[k]; j++)
				memset(ms[i].mark + ms[i].heads[k][j], (int)(rnd() & 1), (size_t)1 << k);
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
			if (c && !ms[i].held[p] && c <= max && (!pow2 || (c & (c - 1)) == 0)) {
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
	static char buf[160];
	static size_t blocks[1 << 16];
	for (int round = 0; round < 30; round++) {
		setup(0);
		fragment_model((unsigned)between(0, 40));
		random_marks();
		write_model_state();
		for (int n = 0; n < 30; n++) {
			unsigned i = (unsigned)between(0, nr_ms - 1), have = (unsigned)between(1, 8);
			struct mseg *s = &ms[i];
			while (have > 1 && s->nheads[have] == 0)
				have--;
			if (s->nheads[have] == 0)
				continue;
			unsigned k = (unsigned)between(0, have - 1);
			int poisoned = (int)(rnd() & 1);
			/* Any block of that order, not only the head. */
			size_t len = m_list(s, have, blocks);
			size_t index = blocks[between(0, len - 1)], block = (size_t)1 << have;
			uintptr_t addr;
			lab_remove_free_block(s->seg, index, have);
			lab_split(s->seg, index, have, k, poisoned);
			lab_make_head(s->seg, index, (size_t)1 << k, &addr);
			/* What split promises: the block's pages past the first
			 * 2^k are free, with the mark it was given. */
			for (size_t p = index; p < index + block; p++) {
				if (p < index + ((size_t)1 << k))
					s->free[p] = 0;
				s->mark[p] = (uint8_t)poisoned;
			}
			s->count[index] = (size_t)1 << k;
			settle(s, index, index + block);
			snprintf(buf, sizeof(buf), "after split(seg%u, block at 0x%lx, have %u, order %u, "
				 "poisoned %d)", i, (unsigned long)addr, have, k, poisoned);
			what = buf;
			compare();
		}
		observe_free_lists();
	}
}

/* Take the free block at @head of @s off its list and merge it back: its
 * buddy is outside the segment when it is the first or the last block. */
static void merge_back(unsigned i, size_t head)
{
	static char buf[160];
	struct mseg *s = &ms[i];
	unsigned k = (unsigned)s->order[head];
	int poisoned = (int)(rnd() & 1);
	lab_remove_free_block(s->seg, head, k);
	lab_merge(s->seg, head, k, poisoned);
	memset(s->free + head, 0, (size_t)1 << k);
	settle(s, head, head + ((size_t)1 << k));
	m_release(s, head, head + ((size_t)1 << k), poisoned);
	snprintf(buf, sizeof(buf), "after merge(seg%u, block at 0x%lx, order %u, poisoned %d), "
		 "a block at the segment's edge", i, (unsigned long)pmm_addr(s->seg, head), k,
		 poisoned);
	what = buf;
	compare();
}

/* In seg0 (its end is even), a free last page and the page below it, the
 * lower half of that pair, freed: its buddy ends where the segment ends and
 * must be merged with. */
static void merge_at_the_end(void)
{
	static char buf[160];
	struct mseg *s = &ms[0];
	size_t last = s->pages - 1, under = s->pages - 2;
	while (s->order[last] < 0)
		last--;
	m_hold(s, last, s->pages - 1);
	write_model_state();
	int poisoned = (int)(rnd() & 1);
	s->seg->page_array[under].state = PMM_PAGE_INSIDE;
	lab_merge(s->seg, under, 0, poisoned);
	s->count[under] = 0;
	m_release(s, under, under + 1, poisoned);
	snprintf(buf, sizeof(buf), "after merge(seg0, block at 0x%lx, order 0, poisoned %d), its "
		 "buddy the free last page of the segment", (unsigned long)pmm_addr(s->seg, under),
		 poisoned);
	what = buf;
	compare();
}

static void test_merge(void)
{
	static char buf[160];
	for (int round = 0; round < 40; round++) {
		setup(0);
		/* The edges first: the lowest block and the one holding the
		 * last page, whose buddies lie outside the segment. */
		for (unsigned i = 0; i < nr_ms; i++) {
			size_t last = ms[i].pages - 1;
			while (ms[i].order[last] < 0)
				last--;
			merge_back(i, 0);
			merge_back(i, last);
		}
		merge_at_the_end();
		fragment_model((unsigned)between(10, 120));
		random_marks();
		write_model_state();
		unsigned i;
		size_t index;
		while (pick_allocation(MAX_BLOCK, 1, &i, &index)) {
			struct mseg *s = &ms[i];
			unsigned k = model_order_of(s->count[index]);
			int poisoned = (int)(rnd() & 1);
			s->seg->page_array[index].state = PMM_PAGE_INSIDE;
			lab_merge(s->seg, index, k, poisoned);
			s->count[index] = 0;
			m_release(s, index, index + ((size_t)1 << k), poisoned);
			snprintf(buf, sizeof(buf), "after merge(seg%u, block at 0x%lx, order %u, "
				 "poisoned %d)", i, (unsigned long)pmm_addr(s->seg, index), k, poisoned);
			what = buf;
			compare();
		}
		observe_free_lists();
	}
}

/* Allocate @pages through pmm_alloc_contiguous and the model; compare. */
static void alloc_both(size_t pages)
{
	static char buf[120];
	unsigned i;
	size_t index;
	uintptr_t addr = 0;
	int err = pmm_alloc_contiguous(pages, &addr);
	if (err == PMM_OK)
		snprintf(buf, sizeof(buf), "after pmm_alloc_contiguous(%zu) at 0x%lx", pages,
			 (unsigned long)addr);
	else
		snprintf(buf, sizeof(buf), "after pmm_alloc_contiguous(%zu) gave %d", pages, err);
	what = buf;
	/* Its address if it succeeded (unspecified if not), else the error. */
	if (err == PMM_OK)
		obs_addr(addr);
	else
		obs_add(1, "e%d", err);
	if (!m_alloc(pages, &i, &index)) {
		if (err != PMM_ERR_NO_MEMORY)
			fail("pmm_alloc_contiguous(%zu) gives %d; the documented policy finds no "
			     "room (PMM_ERR_NO_MEMORY)", pages, err);
		compare();
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
		     (unsigned long)addr, at == PMM_OK ? block.pages : 0);
	compare();
}

static void free_both(unsigned i, size_t index)
{
	static char buf[80];
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
	snprintf(buf, sizeof(buf), "after pmm_free(0x%lx) of %zu pages", (unsigned long)addr, want);
	what = buf;
	compare();
}

/* Odd rounds with poisoning on: the tail must be freed as any free is. */
static void test_tail(void)
{
	for (int round = 0; round < 30; round++) {
		setup(round % 2);
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

/* Exactly one run of some length L in a segment, with a run one page
 * shorter below it, and nothing else free anywhere: alloc L must take the
 * run, alloc L - 1 the shorter one. The run is m whole 128-page chunks
 * with @before free pages below them and @after above (127 is the most
 * there can be without another whole free chunk). */
static void exact_runs(size_t before, size_t after)
{
	static char buf[120];
	unsigned t;
	for (;;) {
		setup(0);
		for (t = 0; t < nr_ms && ms[t].pages < 1400; t++)
			;
		if (t < nr_ms)
			break;
	}
	struct mseg *s = &ms[t];
	size_t m = between(1, 2), len = m * PMM_CHUNK_PAGES + before + after;
	size_t chunk0 = (PMM_CHUNK_PAGES - s->pfn0 % PMM_CHUNK_PAGES) % PMM_CHUNK_PAGES;
	size_t decoy = chunk0 + between(1, 100);
	size_t start = decoy + len + before;                   /* a chunk boundary at or past it */
	start += (PMM_CHUNK_PAGES - (s->pfn0 + start) % PMM_CHUNK_PAGES) % PMM_CHUNK_PAGES;
	start -= before;
	for (unsigned i = 0; i < nr_ms; i++)
		if (i != t)
			m_hold(&ms[i], 0, ms[i].pages);
	m_hold(s, 0, decoy);
	m_hold(s, decoy + len - 1, start);
	m_hold(s, start + len, s->pages);
	write_model_state();
	snprintf(buf, sizeof(buf), "with only a run of %zu pages free at seg%u page 0x%zx and one "
		 "of %zu below it", len, t, start, len - 1);
	what = buf;
	compare();
	alloc_both(len);
	alloc_both(len - 1);
	alloc_both(PMM_CHUNK_PAGES * 2 + 1);
	observe_free_lists();
}

static void test_large_run(void)
{
	exact_runs(PMM_CHUNK_PAGES - 1, PMM_CHUNK_PAGES - 1);
	exact_runs(PMM_CHUNK_PAGES - 1, 0);
	exact_runs(0, PMM_CHUNK_PAGES - 1);
	exact_runs(0, 0);
	for (int n = 0; n < 4; n++)
		exact_runs(between(0, PMM_CHUNK_PAGES - 1), between(0, PMM_CHUNK_PAGES - 1));
	for (int round = 0; round < 30; round++) {
		setup(0);
		fragment_model((unsigned)between(0, 150));
		write_model_state();
		for (int n = 0; n < 12; n++)
			alloc_both(between(257, rnd() % 4 ? 1200 : 6000));
		observe_free_lists();
	}
}

/* A use after free: the test writes a byte into a free page, as a stale
 * pointer would. Poisoning must catch it before the page is handed out. */
static void write_after_free(void)
{
	/* At most 4 written pages at a time: the page manager keeps 8 reports. */
	unsigned written = 0;
	for (unsigned j = 0; j < nr_ms; j++)
		for (size_t p = 0; p < ms[j].pages; p++)
			written += ms[j].dirty[p] >= 0;
	if (written >= 4)
		return;
	unsigned i = (unsigned)between(0, nr_ms - 1);
	struct mseg *s = &ms[i];
	size_t p = between(0, s->pages - 1);
	if (!s->free[p])
		return;
	int offset = (int)between(0, PAGE - 1);
	unsigned char value = (unsigned char)between(0, 255);
	if (value == PMM_POISON_BYTE)
		value = 0;
	((unsigned char *)pmm_addr(s->seg, p))[offset] = value;
	obs_add(1, "w%u:%zx+%x", i, p, offset);
	if (s->dirty[p] < 0 || offset < s->dirty[p])
		s->dirty[p] = offset;
}

static void random_run(int poison, int rounds)
{
	for (int round = 0; round < rounds; round++) {
		setup(poison);
		for (int n = 0; n < 3000; n++) {
			unsigned i;
			size_t index;
			if (poison && rnd() % 16 == 0) {
				write_after_free();
			} else if (rnd() % 5 < 3) {
				size_t pages = rnd() % 10 == 0 ? between(257, 2000) :
					rnd() % 2 ? ((size_t)1 << between(0, 8)) : between(1, 256);
				alloc_both(pages);
			} else if (pick_allocation((size_t)-1, 0, &i, &index)) {
				free_both(i, index);
			}
		}
		observe_free_lists();
	}
}

static void test_random(void)
{
	random_run(0, 10);
}

/* The same with poisoning on: every free fills its pages, every block taken
 * is verified, the halves of a poisoned block stay poisoned, and now and
 * then the test writes to a free page (a use after free). */
static void test_random_poisoned(void)
{
	random_run(1, 6);
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
	if (arena != NULL) {
		guard((uintptr_t)arena, (uintptr_t)arena + ARENA_MIB * MIB, 0);
		free(arena);
	}
	free_model();
	lab_test_passed();
	return 0;
}
