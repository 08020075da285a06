/**
 * @file naive.c
 * @brief A naive reference allocator: first fit over a bitmap of pages.
 *
 * One bit per page (1 = in use) and the length of each allocation at its
 * first page. A request takes the lowest run of free pages long enough,
 * found by scanning the bitmap a word at a time from the lowest word that
 * has a free page. No lists, no buddies: what a page allocator costs with
 * no cleverness at all, to set the page manager's figures against.
 */
#include <stdlib.h>

#include "bench.h"

#define ALL ~(uint64_t)0

static struct {
	uintptr_t base;
	size_t pages;
	size_t words;
	size_t low;      /* no word below this one has a free page */
	uint64_t *map;   /* bit i: page i is in use (pages past the end count as used) */
	uint32_t *count; /* count[i]: pages of the allocation starting at page i, else 0 */
} nv;

static int naive_setup(uintptr_t start, size_t bytes)
{
	free(nv.map);
	free(nv.count);
	nv.base = start;
	nv.pages = bytes / BENCH_PAGE;
	nv.words = (nv.pages + 63) / 64;
	nv.low = 0;
	nv.map = calloc(nv.words, sizeof(*nv.map));
	nv.count = calloc(nv.pages, sizeof(*nv.count));
	if (!nv.map || !nv.count)
		return BENCH_ERR_OTHER;
	if (nv.pages % 64)
		nv.map[nv.words - 1] = ALL << (nv.pages % 64);
	return BENCH_OK;
}

/* First page in [i, limit) whose bit is @bit (at least @limit if none). */
static size_t find_bit(size_t i, int bit, size_t limit)
{
	size_t w = i / 64;
	if (w >= nv.words)
		return nv.pages;
	uint64_t flip = bit ? 0 : ALL;
	uint64_t word = (nv.map[w] ^ flip) & (ALL << (i % 64));
	while (word == 0) {
		if (++w >= nv.words || w * 64 >= limit)
			return nv.pages;
		word = nv.map[w] ^ flip;
	}
	size_t found = w * 64 + (size_t)__builtin_ctzll(word);
	return found < nv.pages ? found : nv.pages;
}

/* Set (@on) or clear the bits of pages [first, last). */
static void mark(size_t first, size_t last, int on)
{
	while (first < last) {
		size_t w = first / 64, bit = first % 64;
		size_t n = last - first < 64 - bit ? last - first : 64 - bit;
		uint64_t mask = (n == 64 ? ALL : (((uint64_t)1 << n) - 1)) << bit;
		if (on)
			nv.map[w] |= mask;
		else
			nv.map[w] &= ~mask;
		first += n;
	}
}

static int naive_alloc(size_t pages, uintptr_t *addr)
{
	if (pages == 0)
		return BENCH_ERR_OTHER;
	for (size_t i = nv.low * 64;;) {
		size_t start = find_bit(i, 0, nv.pages);
		if (start >= nv.pages)
			return BENCH_ERR_NO_MEMORY;
		/* Only as far as the request needs: the rest may be free too. */
		size_t end = find_bit(start, 1, start + pages);
		if (end - start >= pages) {
			mark(start, start + pages, 1);
			nv.count[start] = (uint32_t)pages;
			while (nv.low < nv.words && nv.map[nv.low] == ALL)
				nv.low++;
			*addr = nv.base + start * BENCH_PAGE;
			return BENCH_OK;
		}
		i = end;
	}
}

static int naive_release(uintptr_t addr)
{
	if (addr < nv.base || addr >= nv.base + nv.pages * BENCH_PAGE)
		return BENCH_ERR_OUTSIDE;
	if (addr % BENCH_PAGE)
		return BENCH_ERR_UNALIGNED;
	size_t i = (addr - nv.base) / BENCH_PAGE;
	if (nv.count[i] == 0)
		return nv.map[i / 64] >> (i % 64) & 1 ? BENCH_ERR_INTERIOR : BENCH_ERR_NOT_ALLOCATED;
	mark(i, i + nv.count[i], 0);
	nv.count[i] = 0;
	if (i / 64 < nv.low)
		nv.low = i / 64;
	return BENCH_OK;
}

static size_t naive_total(void)
{
	return nv.pages;
}

static size_t naive_longest(void)
{
	size_t best = 0;
	for (size_t i = 0; i < nv.pages;) {
		size_t start = find_bit(i, 0, nv.pages);
		if (start >= nv.pages)
			break;
		size_t end = find_bit(start, 1, nv.pages);
		if (end - start > best)
			best = end - start;
		i = end;
	}
	return best;
}

static double naive_bytes_per_page(void)
{
	return 1.0 / 8 + sizeof(*nv.count);
}

/* Every allocation's pages are marked, and nothing below the hint is free. */
static int naive_check(void)
{
	for (size_t w = 0; w < nv.low; w++)
		if (nv.map[w] != ALL)
			return -1;
	for (size_t i = 0; i < nv.pages; i++)
		if (nv.count[i] && find_bit(i, 0, nv.pages) < i + nv.count[i])
			return -1;
	return 0;
}

const struct allocator bench_naive = {
	.name = "naive",
	.max_pages = UINT32_MAX,
	.setup = naive_setup,
	.alloc = naive_alloc,
	.release = naive_release,
	.total_pages = naive_total,
	.longest_free_run = naive_longest,
	.bytes_per_page = naive_bytes_per_page,
	.check = naive_check,
};
