/*
 * Hidden host test of lab memmap: every RAM/reserved shape on a small grid,
 * exhaustively, with the public tests' model and checks
 * (labs/memmap/tests/host_memmap.c, included with its main renamed).
 *     build/host/lab/memmap/hidden/host_hidden <test> <seed>
 */
int public_main(int argc, char **argv);
#define main public_main
#include "../tests/host_memmap.c"
#undef main

/* Two RAM ranges and two reserved ranges with edges on a grid of 6 points:
 * every order, touch, overlap and containment there is. */
static void test_memory_usable_grid(void)
{
	const uintptr_t unit = 0x1000, base = (uintptr_t)3 << 31; /* across 4 GiB */
	for (int r0 = 0; r0 < 36; r0++)
		for (int r1 = 0; r1 < 36; r1++)
			for (int q0 = 0; q0 < 36; q0++)
				for (int q1 = 0; q1 < 37; q1++) {
					int a = r0 / 6, b = r0 % 6, c = r1 / 6, d = r1 % 6;
					if (a >= b || c >= d || !(b <= c || d <= a))
						continue; /* RAM: non-empty, disjoint */
					if (q0 / 6 >= q0 % 6 || (q1 < 36 && q1 / 6 >= q1 % 6))
						continue;
					struct boot_memory m;
					memset(&m, 0, sizeof(m));
					add_ram(&m, base + (uintptr_t)a * unit, base + (uintptr_t)b * unit);
					add_ram(&m, base + (uintptr_t)c * unit, base + (uintptr_t)d * unit);
					add_reserved(&m, base + (uintptr_t)(q0 / 6) * unit,
						     base + (uintptr_t)(q0 % 6) * unit);
					if (q1 < 36)
						add_reserved(&m, base + (uintptr_t)(q1 / 6) * unit,
							     base + (uintptr_t)(q1 % 6) * unit);
					check("grid", &m, BOOT_MEMORY_MAX, 1);
					check("grid, room for 1", &m, 1, 0);
				}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "memory_usable_grid") == 0) {
		rng_state = strtoull(argv[2], NULL, 10);
		test_memory_usable_grid();
		lab_test_passed();
		return 0;
	}
	return public_main(argc, argv);
}
