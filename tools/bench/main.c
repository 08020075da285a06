/**
 * @file main.c
 * @brief The benchmark's driver: every workload, allocator and size, repeated.
 *
 * Prints one tab-separated row per (workload, allocator, size) on stdout
 * (tools/bench/bench.py turns them into the table and the CSV) and progress
 * on stderr:
 *
 *     workload alloc size_mib repeats ops ns_min ns_median ok skipped value unit note
 *
 * ns_min and ns_median are per operation, over the repeats; every repeat
 * sets the allocator up afresh, so they are independent.
 *
 * Usage: bench [--sizes 4G,16G] [--repeats 5] [--only w1,w2] [--alloc pmm,floor,naive,null]
 *              [--ops N] [--scale F] [--seed N] [--check] [--list]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define P 1 /* the page manager */
#define F 2 /* the floor */
#define N 4 /* the naive first fit */
#define Z 8 /* the null allocator: the harness's own cost */
#define C 16 /* the page manager with its per-CPU page caches on */

/** @brief One line of the workload table. */
struct workload {
	const char *name;   /**< as the table and the CSV show it */
	workload_fn fn;     /**< what it runs */
	size_t param;       /**< its parameter (order, run length, error kind) */
	unsigned allocs;    /**< which allocators run it (P, F, N) */
	size_t ops;         /**< default operations (0: the workload decides) */
	size_t max_mib;     /**< largest memory it runs at (0: any) */
	int once;           /**< a deterministic count, not a time: one repeat */
};

static const struct workload workloads[] = {
	{ "order0-hot", wl_pair_hot, 0, P | F | N | Z | C, 1000000, 0, 0 },
	{ "order0-cold", wl_pair_cold, 0, P | N | C, 300000, 0, 0 },
	{ "order0-1thread", wl_pairs_threads, 1, P | C, 1000000, 0, 0 },
	{ "order0-2threads", wl_pairs_threads, 2, P | C, 1000000, 0, 0 },
	{ "order1-hot", wl_pair_hot, 1, P | N, 300000, 0, 0 },
	{ "order2-hot", wl_pair_hot, 2, P | N, 300000, 0, 0 },
	{ "order3-hot", wl_pair_hot, 3, P | N, 300000, 0, 0 },
	{ "order4-hot", wl_pair_hot, 4, P | N, 300000, 0, 0 },
	{ "order5-hot", wl_pair_hot, 5, P | N, 300000, 0, 0 },
	{ "order6-hot", wl_pair_hot, 6, P | N, 300000, 0, 0 },
	{ "order7-hot", wl_pair_hot, 7, P | N, 300000, 0, 0 },
	{ "order8-hot", wl_pair_hot, 8, P | N, 300000, 0, 0 },
	{ "fill-free", wl_fill_free, 0, P | F | N, 0, 0, 0 },
	{ "mixed-trace", wl_mixed_trace, 0, P | N | Z, 1000000, 0, 0 },
	{ "run512-frag", wl_run_fragmented, 512, P | N, 200, 0, 0 },
	{ "run1g-frag", wl_run_fragmented, 262144, P | N, 20, 0, 0 },
	{ "run512-empty", wl_run_empty, 512, P | N, 10000, 0, 0 },
	{ "run1g-empty", wl_run_empty, 262144, P | N, 200, 0, 0 },
	{ "err-interior", wl_error_path, WL_INTERIOR, P | N, 200, 0, 0 },
	{ "err-unaligned", wl_error_path, WL_UNALIGNED, P | N, 200, 0, 0 },
	{ "err-foreign", wl_error_path, WL_FOREIGN, P | N, 200, 0, 0 },
	{ "err-double-free", wl_error_path, WL_DOUBLE_FREE, P | N, 200, 0, 0 },
	{ "init", wl_init, 0, P | F | N, 0, 0, 0 },
	{ "metadata", wl_metadata, 0, P | F | N, 0, 0, 1 },
	{ "fragmentation", wl_fragmentation, 0, P | N, 200000, 4096, 1 },
};

static const struct allocator *const allocators[] = { &bench_pmm, &bench_floor, &bench_naive,
						     &bench_null, &bench_pcp };

/** @brief What the command line asked for. */
struct options {
	size_t sizes_mib[8]; /**< memory sizes, MiB */
	unsigned nr_sizes;   /**< how many */
	unsigned repeats;    /**< per row */
	const char *only;    /**< comma list of workloads, or NULL for all */
	const char *alloc;   /**< comma list of allocators, or NULL for all */
	size_t ops;          /**< override every workload's operations (0: no) */
	double scale;        /**< multiply the default operations */
	uint64_t seed;       /**< for every random choice */
	int check;           /**< verify the allocator's invariants after each run */
};

/* Is @name one of the comma-separated @list (NULL: everything is)? */
static int listed(const char *list, const char *name)
{
	if (!list)
		return 1;
	size_t len = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, name, n) == 0)
			return 1;
		p += n + (end != NULL);
	}
	return 0;
}

/* "64M", "4G", "16384" (MiB) -> MiB, or 0. */
static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end == 'G' || *end == 'g')
		return (size_t)v * 1024;
	if (*end == 'M' || *end == 'm' || *end == 0)
		return (size_t)v;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Run one row: every repeat, then print it. @return 0 if it was sane. */
static int run_row(const struct workload *w, const struct allocator *a, size_t mib,
		   uintptr_t start, const struct options *o)
{
	unsigned repeats = w->once ? 1 : o->repeats;
	double per_op[64];
	struct wl_result r = { 0 };
	struct wl_ctx ctx = { .a = a, .start = start, .bytes = mib << 20, .seed = o->seed,
			      .param = w->param };
	ctx.ops = o->ops ? o->ops : (size_t)((double)w->ops * o->scale);
	if (w->ops && ctx.ops == 0)
		ctx.ops = 1;
	int ok = 1, skipped = 0;
	for (unsigned i = 0; i < repeats; i++) {
		fprintf(stderr, "bench: %6zu MiB %-5s %-16s repeat %u of %u\n", mib, a->name,
			w->name, i + 1, repeats);
		memset(&r, 0, sizeof(r));
		r.ok = 1;
		w->fn(&ctx, &r);
		if (o->check && !r.skipped && a->check())
			wl_fail(&r, "the allocator's invariants are broken afterwards");
		ok &= r.ok;
		skipped = r.skipped;
		per_op[i] = r.ops ? (double)r.ns / (double)r.ops : 0;
		if (!r.ok || r.skipped)
			break;
	}
	unsigned done = r.ok && !r.skipped ? repeats : 1;
	qsort(per_op, done, sizeof(per_op[0]), by_value);
	double median = done % 2 ? per_op[done / 2] : (per_op[done / 2 - 1] + per_op[done / 2]) / 2;
	printf("%s\t%s\t%zu\t%u\t%zu\t", w->name, a->name, mib, done, r.ops);
	if (r.ops && !skipped)
		printf("%.2f\t%.2f\t", per_op[0], median);
	else
		printf("-\t-\t");
	printf("%d\t%d\t", ok, skipped);
	if (r.unit)
		printf("%.2f\t%s\t", r.value, r.unit);
	else
		printf("-\t-\t");
	printf("%s\n", r.note[0] ? r.note : "-");
	fflush(stdout);
	return ok ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench [--sizes 4G,16G] [--repeats 5] [--only w1,w2] "
		"[--alloc pmm,floor,naive,null] [--ops N] [--scale F] [--seed N] [--check] [--list]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .sizes_mib = { 4096, 16384 }, .nr_sizes = 2, .repeats = 5,
			       .scale = 1, .seed = 9 };
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(arg, "--list") == 0) {
			for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++)
				printf("%s\n", workloads[k].name);
			exit(0);
		}
		if (strcmp(arg, "--check") == 0) {
			o->check = 1;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (strcmp(arg, "--sizes") == 0) {
			o->nr_sizes = 0;
			for (char *s = strtok(argv[i], ", "); s && o->nr_sizes < 8; s = strtok(NULL, ", "))
				if ((o->sizes_mib[o->nr_sizes++] = parse_size(s)) == 0)
					usage();
		} else if (strcmp(arg, "--repeats") == 0) {
			o->repeats = (unsigned)atoi(val);
			if (o->repeats < 1 || o->repeats > 64)
				usage();
		} else if (strcmp(arg, "--only") == 0) {
			o->only = val;
		} else if (strcmp(arg, "--alloc") == 0) {
			o->alloc = val;
		} else if (strcmp(arg, "--ops") == 0) {
			o->ops = (size_t)strtoull(val, NULL, 10);
		} else if (strcmp(arg, "--scale") == 0) {
			o->scale = atof(val);
		} else if (strcmp(arg, "--seed") == 0) {
			o->seed = strtoull(val, NULL, 10);
		} else {
			usage();
		}
	}
}

int main(int argc, char **argv)
{
	struct options o;
	int status = 0;

	parse(argc, argv, &o);
	for (unsigned s = 0; s < o.nr_sizes; s++) {
		size_t mib = o.sizes_mib[s];
		uintptr_t start = arena_map(mib << 20);
		if (!start) {
			fprintf(stderr, "bench: cannot reserve %zu MiB\n", mib);
			return 1;
		}
		for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++) {
			const struct workload *w = &workloads[k];
			if (!listed(o.only, w->name) || (w->max_mib && mib > w->max_mib))
				continue;
			for (unsigned i = 0; i < sizeof(allocators) / sizeof(allocators[0]); i++)
				if (w->allocs & (1u << i) && listed(o.alloc, allocators[i]->name))
					status |= run_row(w, allocators[i], mib, start, &o);
		}
		arena_unmap(start, mib << 20);
	}
	return status ? 1 : 0;
}
