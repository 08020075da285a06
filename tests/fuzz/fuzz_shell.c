/*
 * fuzz_shell: the real shell (line editor, parser, every command) built for
 * the host over the real page manager, allocators and page tables (x86_64
 * format, "physical memory" a host buffer mapped at its own address), fed
 * the fuzz input as raw console bytes.
 *
 * This file is the machine under the kernel: console bytes in and out,
 * the kernel image's linker symbols, and the few arch calls. The kernel's
 * whole state (its variables, see kstate.h, and the memory buffer) is saved
 * after boot and put back before every input, so each input runs on a
 * freshly booted kernel and a crash reproduces from its input alone.
 *
 * After every command line: pmm_check(), memm_check() and vm_check() find
 * nothing; a command that prints a line starting "error: " prints only
 * that line and changes nothing (page manager, allocators, page tables).
 *
 * peek, poke and exec would touch host memory at kernel addresses, so the
 * link wraps them (--wrap): what the real command would read or write
 * inside the buffer it does; where the MMU would fault, the wrapper raises
 * the fault through the handler the kernel registered with
 * arch_set_fault_handler(), as a trap handler does, and when the handler
 * resolves it (a lazy page) walks again and goes on, as the retried
 * instruction would.
 */
#include <setjmp.h>
#include <string.h>

#include "arch.h"
#include "boot.h"
#include "console.h"
#include "cpus.h"
#include "fault.h"
#include "fuzz_pmm.h"
#include "kprintf.h"
#include "memm.h"
#include "shell.h"
#include "progress.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"
#include "../../arch/x86_64/pt_x86_64.h"

#define ARENA_SIZE ((uintptr_t)4 << 20)
#define OUT_MAX ((size_t)1 << 20)
#define KIMAGE_PAGES (4 + 5 * 8 + 1)

/* The kernel image: text, rodata, data, 8 stack slots of a guard page and
 * 4 stack pages (arch.h), bss. */
char pagoda_kimage[KIMAGE_PAGES * 4096] __attribute__((aligned(4096)));
_Static_assert(5 * 8 * 4096 == ARCH_MAX_CPUS * ARCH_STACK_SLOT, "the stacks' pages above");
__asm__(".globl _kernel_start, _etext, _erodata, kernel_stacks, _kernel_end\n"
	".set _kernel_start, pagoda_kimage\n"
	".set _etext, pagoda_kimage + 4096\n"
	".set _erodata, pagoda_kimage + 8192\n"
	".set kernel_stacks, pagoda_kimage + 12288\n"
	".set _kernel_end, pagoda_kimage + (4 + 5 * 8 + 1) * 4096\n");

extern char __kstate_start[], __kstate_end[];

static uintptr_t arena;
static void *arena_saved;
static uint64_t kstate_saved[1 << 16];

static const struct fuzz_input *input;
static size_t in_pos;
static int sent_enter, booted, first_prompt;
static jmp_buf input_done;
static char out[OUT_MAX];
static size_t out_len;
static uint64_t before;
static int trace; /* FUZZ_SHELL_TRACE=1: copy the console to stderr */

/* ---- the machine under the kernel ---- */

const struct pt_format *arch_pt_format(void)
{
	return x86_64_format();
}

void arch_vm_activate(uintptr_t root)
{
	(void)root;
}

void arch_tlb_flush(uintptr_t va)
{
	(void)va;
}

const char *arch_name(void)
{
	return "host (fuzz_shell)";
}

/* A clock that moves 1 ms a reading: progress lines appear, reproducibly. */
uint64_t arch_time_ns(void)
{
	static uint64_t t;
	return t += 1000000;
}

int arch_debug_break(void)
{
	return 0;
}

/* Two CPUs: this one, and one that started and parked. */
static const struct arch_cpu host_cpus[] = {
	{ 0, ARCH_CPU_RUNNING, NULL, 0 },
	{ 1, ARCH_CPU_PARKED, NULL, 0 },
};

unsigned arch_cpus_start(void)
{
	return 2;
}

int arch_cpu_info(unsigned cpu, struct arch_cpu *info)
{
	if (cpu >= 2)
		return -1;
	*info = host_cpus[cpu];
	return 0;
}

const char *arch_cpu_hw_name(void)
{
	return "cpu";
}

unsigned arch_cpu_id(void)
{
	return 0;
}

/* Nothing runs on CPU 1 here: the commands that give it work (stress -j,
 * bench -j) are wrapped and never reach cpus_run(). */
void arch_cpu_wake(unsigned cpu)
{
	(void)cpu;
}

static arch_fault_handler fault_handler;

void arch_set_fault_handler(arch_fault_handler handler)
{
	fault_handler = handler;
}

/* Where the MMU would fault: call the kernel's handler, as a trap does.
 * It returns only when the handler resolved the fault: then *@walk is
 * walked again, for the access to run again. */
static void raise_fault(enum fault_access access, uintptr_t addr, uintptr_t pc,
			struct vm_walk *walk)
{
	struct arch_fault fault = { access, addr, pc, 0 };
	FUZZ_CHECK(fault_handler != NULL, "no fault handler registered");
	if (fault_handler(&fault)) {
		vm_translate(&kernel_space, addr, walk);
		FUZZ_CHECK(walk->mapped, "the fault handler resolved 0x%lx but left it unmapped",
			   (unsigned long)addr);
		return;
	}
	FUZZ_CHECK(0, "the fault handler returned 0");
	abort();
}

void arch_boot_memory(struct boot_memory *memory)
{
	memset(memory, 0, sizeof(*memory));
}

_Noreturn void arch_poweroff(int status)
{
	FUZZ_CHECK(status == 0, "the kernel panicked; its output:\n%.*s", (int)out_len, out);
	longjmp(input_done, 1);
}

void arch_console_putc(char c)
{
	if (out_len < OUT_MAX)
		out[out_len++] = c;
}

/* The kernel as a number: page manager, allocators, page tables, counters. */
static void hash_allocator(const struct allocator *a, void *ctx)
{
	uint64_t *h = ctx;
	*h = fuzz_hash(*h, (uintptr_t)a ^ a->used ^ (uint64_t)a->pid << 40);
}

static void hash_entry(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
		       void *ctx)
{
	uint64_t *h = ctx;
	*h = fuzz_hash(*h, level ^ va ^ size ^ entry ^ (uint64_t)leaf);
}

static uint64_t digest(void)
{
	struct vm_stats st;
	uint64_t h = fuzz_pmm_digest();
	memm_for_each(hash_allocator, &h);
	vm_visit(&kernel_space, 0, UINTPTR_MAX, hash_entry, &h);
	vm_get_stats(&st);
	h = fuzz_hash(h, st.table_pages ^ st.leaves_4k << 16 ^ st.leaves_2m << 32);
	return h;
}

static const char *find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static void vm_violation(const struct vm_violation *v, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "vm_check: %s at 0x%lx\n", vm_violation_text(v->kind),
		(unsigned long)v->addr);
}

/* Lines a long command may add to its answer: its progress, and the ^C
 * that stopped it. */
static int progress_line(const char *p, const char *eol)
{
	if (eol - p == 2 && memcmp(p, "^C", 2) == 0)
		return 1;
	static const char tail[] = "; Ctrl-C abandons it";
	size_t n = sizeof(tail) - 1;
	return (size_t)(eol - p) > n && memcmp(eol - n, tail, n) == 0;
}

/* A command has run and the prompt is back (out holds what the command
 * printed, then the prompt): check what it did. */
static void command_done(void)
{
	/* These checks are no command: the shell's progress handler (left
	 * from the last one) would read keys from the input while they run. */
	progress_set_handler(NULL);
	fuzz_pmm_check();
	size_t problems = memm_check();
	FUZZ_CHECK(problems == 0, "memm_check found %zu problems", problems);
	problems = vm_check(&kernel_space, 1, vm_violation, NULL);
	FUZZ_CHECK(problems == 0, "vm_check found %zu problems", problems);

	FUZZ_CHECK(first_prompt || (out_len >= strlen(SHELL_PROMPT) &&
				    memcmp(out + out_len - strlen(SHELL_PROMPT), SHELL_PROMPT,
					   strlen(SHELL_PROMPT)) == 0),
		   "the prompt did not come back:\n%.*s", (int)out_len, out);
	size_t end = out_len - strlen(SHELL_PROMPT), lines = 0, errors = 0, partial = 0;
	const char *p = out;
	while (!first_prompt && p < out + end) {
		const char *eol = find_crlf(p, out + end);
		FUZZ_CHECK(eol != NULL, "output line without CR LF before the prompt");
		if (!progress_line(p, eol))
			lines++;
		if (strncmp(p, "error: ", 7) == 0)
			errors++;
		/* An interrupted free or unmap keeps what it did, and says so. */
		if (strncmp(p, "error: interrupted: ", 20) == 0)
			partial++;
		p = eol + 2;
	}
	if (errors > 0) {
		FUZZ_CHECK(lines == 1, "an error takes exactly one line, here %zu lines:\n%.*s", lines,
			   (int)out_len, out);
		FUZZ_CHECK(partial || digest() == before,
			   "a command that failed changed the kernel:\n%.*s", (int)out_len, out);
	}
	if (trace)
		fwrite(out, 1, out_len, stderr);
	first_prompt = 0;
	out_len = 0;
	before = digest();
}

/* The shell reads each line here: what was printed since the last line
 * was read is the last command's answer and the prompt. The echo and any
 * redrawing while the line is edited are not part of it. */
int __real_line_read(char *buf);
int __wrap_line_read(char *buf);

int __wrap_line_read(char *buf)
{
	command_done();
	int n = __real_line_read(buf);
	out_len = 0;
	return n;
}

/* Console input comes by "interrupt": each time the shell waits for a key,
 * the next byte of the fuzz input arrives. */
int arch_interrupts_off(void)
{
	return 0;
}

void arch_interrupts_restore(int on)
{
	(void)on;
}

void arch_interrupts_let_in(void)
{
}

void arch_wait_for_interrupt(void)
{
	if (in_pos < input->size) {
		console_received((char)input->data[in_pos++]);
		return;
	}
	/* Enter runs the last line; after it, this input is done. */
	if (!sent_enter) {
		sent_enter = 1;
		console_received('\r');
		return;
	}
	longjmp(input_done, 1);
}

/* ---- peek, poke and exec without touching host memory ---- */

void __real_cmd_peek(int argc, char **argv);
void __real_cmd_poke(int argc, char **argv);
void __real_cmd_exec(int argc, char **argv);
void __wrap_cmd_peek(int argc, char **argv);
void __wrap_cmd_poke(int argc, char **argv);
void __wrap_cmd_exec(int argc, char **argv);

/* Host memory the kernel's "physical" address @pa + 8 bytes lies in. */
static int host_memory(uintptr_t pa)
{
	uintptr_t k = (uintptr_t)pagoda_kimage;
	return (pa >= arena && pa + 8 <= arena + ARENA_SIZE) ||
	       (pa >= k && pa + 8 <= k + sizeof(pagoda_kimage));
}

/* Would the real command reach its memory access with @word? */
static int reaches_memory(const char *word, uintptr_t *va, struct vm_walk *walk)
{
	return parse_address(word, va) && (*va & 7) == 0 &&
	       vm_translate(&kernel_space, *va, walk) != VM_ERR_NONCANONICAL;
}

void __wrap_cmd_peek(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk w;
	if (argc != 2 || !reaches_memory(argv[1], &va, &w)) {
		__real_cmd_peek(argc, argv);
		return;
	}
	if (!w.mapped)
		raise_fault(FAULT_READ, va, (uintptr_t)__real_cmd_peek, &w);
	if (w.pa == va && host_memory(va)) {
		__real_cmd_peek(argc, argv);
		return;
	}
	uint64_t value = 0;
	if (host_memory(w.pa))
		memcpy(&value, (void *)w.pa, 8);
	kprintf("0x%lx: 0x%016lx\n", (unsigned long)va, (unsigned long)value);
}

void __wrap_cmd_poke(int argc, char **argv)
{
	uintptr_t va;
	uint64_t value;
	struct vm_walk w;
	if (argc != 3 || !reaches_memory(argv[1], &va, &w) || !parse_number(argv[2], &value)) {
		__real_cmd_poke(argc, argv);
		return;
	}
	int in_window = vm_demo_contains(va, 1);
	if (!in_window && w.mapped && (w.flags & VM_WRITE)) {
		__real_cmd_poke(argc, argv); /* refused: touches nothing */
		return;
	}
	if (!w.mapped || !(w.flags & VM_WRITE))
		raise_fault(FAULT_WRITE, va, (uintptr_t)__real_cmd_poke, &w);
	if (!(w.flags & VM_WRITE)) /* resolved, yet read-only: faults again */
		raise_fault(FAULT_WRITE, va, (uintptr_t)__real_cmd_poke, &w);
	if (host_memory(w.pa))
		memcpy((void *)w.pa, &value, 8);
	kprintf("0x%lx: 0x%016lx written\n", (unsigned long)va, (unsigned long)value);
}

void __wrap_cmd_exec(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk w;
	struct vm_lazy_range lazy;
	if (argc != 2 || !reaches_memory(argv[1], &va, &w) || (w.mapped && (w.flags & VM_EXEC)) ||
	    (!w.mapped && vm_lazy_find(va, &lazy) && (lazy.flags & VM_EXEC))) {
		__real_cmd_exec(argc, argv);
		return;
	}
	raise_fault(FAULT_EXECUTE, va, va, &w);
	FUZZ_CHECK(0, "exec's fault was resolved: it would run a page");
}

/* stress runs as typed, but at most STRESS_CAP operations: an input may
 * ask for a hundred million, and a fuzzer wants many short runs. */
#define STRESS_CAP 300
void __real_cmd_stress(int argc, char **argv);
void __wrap_cmd_stress(int argc, char **argv);

void __wrap_cmd_stress(int argc, char **argv)
{
	uint64_t ops;
	static char capped[8] = "300";
	if (argc >= 2 && parse_number(argv[1], &ops) && ops > STRESS_CAP)
		argv[1] = capped;
	__real_cmd_stress(argc, argv);
}

/* bench likewise, at most BENCH_CAP pairs per workload. */
#define BENCH_CAP 30
void __real_cmd_bench(int argc, char **argv);
void __wrap_cmd_bench(int argc, char **argv);

void __wrap_cmd_bench(int argc, char **argv)
{
	uint64_t pairs;
	static char capped[8] = "30";
	if (argc == 1 || (argc >= 2 && parse_number(argv[1], &pairs) && pairs > BENCH_CAP)) {
		argv[1] = capped;
		argc = 2;
	}
	__real_cmd_bench(argc, argv);
}

/* ---- boot once, then every input on a copy of the booted kernel ---- */

/* The kernel's variables sit between ASan's red zones: copy them with
 * unchecked word loads and stores. */
__attribute__((no_sanitize("address"))) static void copy_kstate(volatile uint64_t *dst,
								  volatile uint64_t *src)
{
	size_t words = (size_t)(__kstate_end - __kstate_start) / 8;
	for (size_t i = 0; i < words; i++)
		dst[i] = src[i];
}

/* The memory map boot() made, as os/kernel/boot.c keeps it (for dot layout). */
static struct boot_memory memory;

const struct boot_memory *boot_memory_map(void)
{
	return &memory;
}

static void boot(void)
{
	FUZZ_CHECK((size_t)(__kstate_end - __kstate_start) <= sizeof(kstate_saved) &&
			   (uintptr_t)__kstate_start % 8 == 0,
		   "kernel state of %zu bytes", (size_t)(__kstate_end - __kstate_start));
	arena = (uintptr_t)aligned_alloc(2 << 20, ARENA_SIZE);
	arena_saved = malloc(ARENA_SIZE);
	FUZZ_CHECK(arena && arena_saved, "no memory");
	memset((void *)arena, 0, ARENA_SIZE);

	/* Two segments with a reserved hole between them (map may use it). */
	pmm_init();
	FUZZ_CHECK(pmm_add_segment(arena, arena + ARENA_SIZE / 2 - 0x40000) == 0, "seg0");
	FUZZ_CHECK(pmm_add_segment(arena + ARENA_SIZE / 2, arena + ARENA_SIZE) == 1, "seg1");
	memory.nr_ram = 1;
	memory.ram[0] = (struct mem_range){ arena, arena + ARENA_SIZE, "arena" };
	FUZZ_CHECK(vm_kernel_init(&memory) == VM_OK, "kernel page tables");
	cpus_init();
	fault_init();

	memcpy(arena_saved, (void *)arena, ARENA_SIZE);
	copy_kstate(kstate_saved, (volatile uint64_t *)__kstate_start);
	trace = getenv("FUZZ_SHELL_TRACE") != NULL;
	booted = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size, 0 };

	if (!booted)
		boot();
	memcpy((void *)arena, arena_saved, ARENA_SIZE);
	copy_kstate((volatile uint64_t *)__kstate_start, kstate_saved);

	input = &in;
	in_pos = 0;
	sent_enter = 0;
	first_prompt = 1;
	out_len = 0;
	if (setjmp(input_done) == 0)
		shell_run();
	return 0;
}
