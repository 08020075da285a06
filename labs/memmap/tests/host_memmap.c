/*
 * Host tests of lab memmap, built with the student's os/lib/mem_range.c
 * under ASan + UBSan:
 *     build/host/lab/memmap/tests/host_memmap <test> <seed>
 * The last line is "ok", or "FAIL: <the first difference>". The expected
 * answer comes from a model written here the slow, obvious way: cut the
 * address line at every range edge, keep each piece that lies in some RAM
 * range and in no reserved range.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_range.h"
#include "labhost.h"

#define MAX_PIECES (4 * BOOT_MEMORY_MAX + 2)

static unsigned long long rng_state;
static char where[160]; /* the case being run, for the failure message */

static uint64_t random_below(uint64_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	uint64_t hi = rng_state >> 32;
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((hi << 32) | (rng_state >> 32)) % n;
}

static _Noreturn void fail(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: %s: ", where);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static const char *ram_names[BOOT_MEMORY_MAX] = {
	"ram0", "ram1", "ram2", "ram3", "ram4", "ram5", "ram6", "ram7",
	"ram8", "ram9", "ram10", "ram11", "ram12", "ram13", "ram14", "ram15",
	"ram16", "ram17", "ram18", "ram19", "ram20", "ram21", "ram22", "ram23",
	"ram24", "ram25", "ram26", "ram27", "ram28", "ram29", "ram30", "ram31",
};

static void add_ram(struct boot_memory *m, uintptr_t start, uintptr_t end)
{
	m->ram[m->nr_ram].start = start;
	m->ram[m->nr_ram].end = end;
	m->ram[m->nr_ram].what = ram_names[m->nr_ram];
	m->nr_ram++;
}

static void add_reserved(struct boot_memory *m, uintptr_t start, uintptr_t end)
{
	m->reserved[m->nr_reserved].start = start;
	m->reserved[m->nr_reserved].end = end;
	m->reserved[m->nr_reserved].what = "reserved";
	m->nr_reserved++;
}

static int covers(const struct mem_range *list, size_t n, uintptr_t a, uintptr_t b)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].start <= a && b <= list[i].end)
			return 1;
	return 0;
}

static int by_address(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* The model: the usable bytes as sorted, disjoint, merged [start, end). */
static size_t model(const struct boot_memory *m, uintptr_t *starts, uintptr_t *ends)
{
	uintptr_t edges[4 * BOOT_MEMORY_MAX];
	size_t n = 0, count = 0;
	for (size_t i = 0; i < m->nr_ram; i++) {
		edges[n++] = m->ram[i].start;
		edges[n++] = m->ram[i].end;
	}
	for (size_t i = 0; i < m->nr_reserved; i++) {
		edges[n++] = m->reserved[i].start;
		edges[n++] = m->reserved[i].end;
	}
	qsort(edges, n, sizeof(edges[0]), by_address);
	for (size_t i = 0; i + 1 < n; i++) {
		uintptr_t a = edges[i], b = edges[i + 1];
		if (a == b || !covers(m->ram, m->nr_ram, a, b) ||
		    covers(m->reserved, m->nr_reserved, a, b))
			continue;
		/* No range covers [a, b) in part: every edge is in the list. */
		if (count > 0 && ends[count - 1] == a) {
			ends[count - 1] = b;
		} else {
			starts[count] = a;
			ends[count] = b;
			count++;
		}
	}
	return count;
}

static void print_case(const struct boot_memory *m, char *buf, size_t len)
{
	size_t used = 0;
	used += (size_t)snprintf(buf + used, len - used, "ram");
	for (size_t i = 0; i < m->nr_ram && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " [0x%lx,0x%lx)",
					 (unsigned long)m->ram[i].start, (unsigned long)m->ram[i].end);
	if (used < len)
		used += (size_t)snprintf(buf + used, len - used, "; reserved");
	for (size_t i = 0; i < m->nr_reserved && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " [0x%lx,0x%lx)",
					 (unsigned long)m->reserved[i].start,
					 (unsigned long)m->reserved[i].end);
}

/* The name of label @what if it is one of @m's RAM labels (the test's own
 * strings, compared as pointers like the check below), else "?". */
static const char *label_name(const struct boot_memory *m, const char *what)
{
	for (size_t k = 0; k < m->nr_ram; k++)
		if (what == m->ram[k].what)
			return what;
	return "?";
}

/*
 * Observe an answer that must be all of the usable memory: its ranges with
 * the touching ones merged, as the check below merges them (a correct
 * answer may split a piece anywhere), each with the label of its first
 * range (the label of the RAM range it starts in; the labels inside a
 * merged piece depend on where the answer split it). At most 10 pieces a
 * line. Only the first @max ranges are read: there is no more room.
 */
static void observe_usable(const struct boot_memory *m, const struct mem_range *usable,
			   size_t got, size_t max)
{
	char line[480];
	size_t used = 0, pieces = 0, n = got < max ? got : max;

	used += (size_t)snprintf(line, sizeof(line), "usable");
	for (size_t i = 0; i < n; i++) {
		uintptr_t end = usable[i].end;
		size_t j = i;
		while (j + 1 < n && usable[j + 1].start == end)
			end = usable[++j].end;
		if (pieces > 0 && pieces % 10 == 0) {
			lab_observe("%s", line);
			used = (size_t)snprintf(line, sizeof(line), "usable, more");
		}
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %lx-%lx %s",
					 (unsigned long)usable[i].start, (unsigned long)end,
					 label_name(m, usable[i].what));
		pieces++;
		i = j;
	}
	if (pieces == 0)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " none");
	if (got > max)
		snprintf(line + used, sizeof(line) - used, " and %zu ranges past the room", got - max);
	lab_observe("%s", line);
}

/*
 * Run memory_usable on @m with room for @max ranges (exactly: ASan sees a
 * write past the end) and check the contract. With @exact, the answer must
 * be all of the model; otherwise (too little room) a part of it.
 */
static void check(const char *name, const struct boot_memory *m, size_t max, int exact)
{
	static char text[4096];
	uintptr_t starts[MAX_PIECES], ends[MAX_PIECES];
	size_t want = model(m, starts, ends);
	struct mem_range *usable = malloc(max * sizeof(*usable));

	print_case(m, text, sizeof(text));
	snprintf(where, sizeof(where), "%s (max %zu)", name, max);
	/* What is not input looks like it: entries past nr_ram and
	 * nr_reserved (one reserving everything), and every slot of usable
	 * before it is written. An answer that reads them is wrong. */
	struct boot_memory input = *m;
	for (size_t i = input.nr_ram; i < BOOT_MEMORY_MAX; i++)
		input.ram[i] = (struct mem_range){ 0x1000, 0x2000, "past nr_ram" };
	for (size_t i = input.nr_reserved; i < BOOT_MEMORY_MAX; i++)
		input.reserved[i] = (struct mem_range){ 0, UINTPTR_MAX, "past nr_reserved" };
	for (size_t i = 0; i < max; i++)
		usable[i] = (struct mem_range){ 0x1000, 0x2000, "not written by memory_usable" };
	struct boot_memory before = input;
	m = &input;
	size_t got = memory_usable(m, usable, max);
	/* With too little room a right answer is any part of the usable memory,
	 * so no value of it is the same for every right answer: only the checks
	 * judge it. */
	if (exact)
		observe_usable(m, usable, got, max);
	if (memcmp(&before, m, sizeof(before)) != 0)
		fail("memory_usable changed its input; case: %s", text);
	if (got > max)
		fail("returned %zu ranges, but there is room for %zu; case: %s", got, max, text);
	for (size_t i = 0; i < got; i++) {
		const struct mem_range *r = &usable[i];
		if (r->end <= r->start)
			fail("range %zu [0x%lx,0x%lx) is empty; case: %s", i,
			     (unsigned long)r->start, (unsigned long)r->end, text);
		if (i > 0 && r->start < usable[i - 1].end)
			fail("range %zu [0x%lx,0x%lx) starts before the end of range %zu "
			     "(0x%lx): not in address order or overlapping; case: %s", i,
			     (unsigned long)r->start, (unsigned long)r->end, i - 1,
			     (unsigned long)usable[i - 1].end, text);
		size_t k = 0;
		while (k < m->nr_ram && !(m->ram[k].start <= r->start && r->start < m->ram[k].end))
			k++;
		if (k == m->nr_ram)
			fail("range %zu [0x%lx,0x%lx) starts outside RAM; case: %s", i,
			     (unsigned long)r->start, (unsigned long)r->end, text);
		if (r->what != m->ram[k].what)
			fail("range %zu [0x%lx,0x%lx) is labelled \"%s\", not \"%s\" (the RAM range "
			     "it comes from); case: %s", i, (unsigned long)r->start,
			     (unsigned long)r->end, r->what ? r->what : "(null)", m->ram[k].what, text);
	}
	/* Merge what touches, then compare with the model. */
	uintptr_t gs[BOOT_MEMORY_MAX * 4], ge[BOOT_MEMORY_MAX * 4];
	size_t n = 0;
	for (size_t i = 0; i < got; i++) {
		if (n > 0 && ge[n - 1] == usable[i].start) {
			ge[n - 1] = usable[i].end;
		} else {
			gs[n] = usable[i].start;
			ge[n] = usable[i].end;
			n++;
		}
	}
	if (exact) {
		for (size_t i = 0; i < n || i < want; i++) {
			if (i < n && i < want && gs[i] == starts[i] && ge[i] == ends[i])
				continue;
			if (i >= want)
				fail("usable memory [0x%lx,0x%lx) should not be there; case: %s",
				     (unsigned long)gs[i], (unsigned long)ge[i], text);
			if (i >= n)
				fail("usable memory [0x%lx,0x%lx) is missing; case: %s",
				     (unsigned long)starts[i], (unsigned long)ends[i], text);
			fail("usable memory is [0x%lx,0x%lx), not [0x%lx,0x%lx); case: %s",
			     (unsigned long)starts[i], (unsigned long)ends[i], (unsigned long)gs[i],
			     (unsigned long)ge[i], text);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;
			while (j < want && !(starts[j] <= gs[i] && ge[i] <= ends[j]))
				j++;
			if (j == want)
				fail("[0x%lx,0x%lx) is not usable memory; case: %s",
				     (unsigned long)gs[i], (unsigned long)ge[i], text);
		}
	}
	free(usable);
}

/* A random address near @base: page aligned or not, as @odd says. */
static uintptr_t near(uintptr_t base, uintptr_t spread, int odd)
{
	uintptr_t a = base + (uintptr_t)random_below(spread);
	return odd ? a : a & ~(uintptr_t)0xfff;
}

/* Fixed shapes, at random addresses: each edge case once. */
static void test_memory_usable_cases(void)
{
	for (int round = 0; round < 20; round++) {
		uintptr_t base = round % 2 ? (uintptr_t)1 << 32 : 0x80000000;
		uintptr_t s = near(base, 0x1000000, round % 3 == 0);
		uintptr_t e = s + 0x1000000 + near(0, 0x4000000, round % 3 == 0);
		uintptr_t mid = s + (e - s) / 3, mid2 = s + 2 * (e - s) / 3;
		struct boot_memory m;
#define CASE(name, ...) do { memset(&m, 0, sizeof(m)); add_ram(&m, s, e); __VA_ARGS__; \
		check(name, &m, BOOT_MEMORY_MAX, 1); } while (0)
		CASE("nothing reserved");
		CASE("reserved below RAM", add_reserved(&m, s - 0x3000, s - 0x1000));
		CASE("reserved just below RAM", add_reserved(&m, s - 0x2000, s));
		CASE("reserved just above RAM", add_reserved(&m, e, e + 0x2000));
		CASE("reserved at the start", add_reserved(&m, s, mid));
		CASE("reserved at the end", add_reserved(&m, mid, e));
		CASE("reserved across the start", add_reserved(&m, s - 0x5000, mid));
		CASE("reserved across the end", add_reserved(&m, mid, e + 0x5000));
		CASE("reserved in the middle", add_reserved(&m, mid, mid2));
		CASE("one byte reserved in the middle", add_reserved(&m, mid, mid + 1));
		CASE("the first byte reserved", add_reserved(&m, s, s + 1));
		CASE("the last byte reserved", add_reserved(&m, e - 1, e));
		CASE("all but the first byte reserved", add_reserved(&m, s + 1, e));
		CASE("all but the last byte reserved", add_reserved(&m, s, e - 1));
		CASE("all but the first and the last byte reserved", add_reserved(&m, s + 1, e - 1));
		CASE("all of it reserved", add_reserved(&m, s, e));
		CASE("more than all of it reserved", add_reserved(&m, s - 1, e + 1));
		CASE("two holes", add_reserved(&m, mid, mid + 0x1000);
		     add_reserved(&m, mid2, mid2 + 0x1000));
		CASE("two holes, the higher first", add_reserved(&m, mid2, mid2 + 0x1000);
		     add_reserved(&m, mid, mid + 0x1000));
		CASE("overlapping reservations", add_reserved(&m, mid, mid2);
		     add_reserved(&m, mid + 0x100, mid2 + 0x100));
		CASE("nested reservations", add_reserved(&m, mid, mid2);
		     add_reserved(&m, mid + 0x100, mid2 - 0x100));
		CASE("touching reservations", add_reserved(&m, mid, mid2);
		     add_reserved(&m, mid2, e - 0x10));
		CASE("a second RAM range", add_ram(&m, e + 0x100000, e + 0x300000));
		CASE("RAM ranges out of order", add_ram(&m, s - 0x300000, s - 0x100000));
		CASE("a hole in each of two RAM ranges", add_ram(&m, e + 0x100000, e + 0x300000);
		     add_reserved(&m, e + 0x200000, e + 0x201000); add_reserved(&m, mid, mid2));
		CASE("one reservation across two RAM ranges", add_ram(&m, e + 0x100000, e + 0x300000);
		     add_reserved(&m, mid, e + 0x200000));
		CASE("adjacent RAM ranges out of order, the lower cut to its last byte",
		     add_ram(&m, s - 0x3000, s); add_reserved(&m, s - 0x3000, s - 1));
		CASE("adjacent RAM ranges, reserved across the seam", add_ram(&m, e, e + 0x300000);
		     add_reserved(&m, e - 0x1000, e + 0x1000));
		CASE("RAM reaching past 4 GiB", m.ram[0].end = ((uintptr_t)5 << 32) + 0x1000;
		     add_reserved(&m, mid, mid + 0x1000));
#undef CASE
	}
}

/* Random sets of RAM (disjoint, in any order) and reserved ranges (anywhere). */
static void random_case(struct boot_memory *m)
{
	static const uintptr_t bases[] = { 0x100000, 0x80000000, (uintptr_t)1 << 32, (uintptr_t)1 << 40 };
	uintptr_t base = bases[random_below(4)];
	int odd = random_below(3) == 0;
	size_t nr_ram = 1 + (size_t)random_below(8), nr_reserved = (size_t)random_below(13);
	uintptr_t at = near(base, 0x100000, odd);

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < nr_ram; i++) {
		/* Adjacent to the one before, or a gap after it. */
		uintptr_t start = at + (random_below(3) == 0 ? 0 : near(0, 0x4000000, odd));
		uintptr_t end = start + (odd ? 1 : 0x1000) + near(0, 0x8000000, odd);
		add_ram(m, start, end);
		at = end;
	}
	/* Shuffle the RAM ranges: the input need not be in order. */
	for (size_t i = nr_ram; i > 1; i--) {
		size_t j = (size_t)random_below(i);
		struct mem_range t = m->ram[i - 1];
		m->ram[i - 1] = m->ram[j];
		m->ram[j] = t;
	}
	for (size_t i = 0; i < nr_reserved; i++) {
		const struct mem_range *r = &m->ram[random_below(nr_ram)];
		uintptr_t start, end;
		switch (random_below(4)) {
		case 0: /* an edge of a RAM range */
			start = random_below(2) ? r->start : r->end;
			break;
		default:
			start = r->start - 0x2000 + (uintptr_t)random_below(r->end - r->start + 0x4000);
		}
		end = start + 1 + (uintptr_t)random_below(random_below(4) ? 0x100000 : 0x10000000);
		if (random_below(4) == 0)
			end = random_below(2) ? r->end : r->start;
		if (end <= start)
			end = start + 0x1000;
		add_reserved(m, start, end);
	}
}

static void test_memory_usable_random(void)
{
	for (int i = 0; i < 3000; i++) {
		struct boot_memory m;
		random_case(&m);
		check("random case", &m, BOOT_MEMORY_MAX, 1);
	}
}

/* Less room than pieces: never more than @max, never reserved memory; room
 * for the RAM ranges and one per reservation: all of it. */
static void test_memory_usable_room(void)
{
	for (int i = 0; i < 2000; i++) {
		struct boot_memory m;
		uintptr_t starts[MAX_PIECES], ends[MAX_PIECES];
		random_case(&m);
		size_t pieces = model(&m, starts, ends);
		size_t max = 1 + (size_t)random_below(pieces + 1);
		check("little room", &m, max, 0);
		/* Room for every RAM range and one more per reservation (each
		 * splits one range at most): the whole answer. */
		check("just enough room", &m, m.nr_ram + m.nr_reserved, 1);
	}
}

static const struct lab_test tests[] = {
	{ "memory_usable_cases", test_memory_usable_cases },
	{ "memory_usable_random", test_memory_usable_random },
	{ "memory_usable_room", test_memory_usable_room },
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
	lab_test_passed();
	return 0;
}
