/**
 * @file arch.h
 * @brief The machine interface: everything an architecture provides, and
 *        the one function it calls.
 *
 * Each arch/NAME/ directory implements every function below; os/, shell/
 * and init/ reach the machine only through them, and never ask which
 * architecture they run on. This header includes only C's freestanding
 * headers, so it can be read (and compiled) on its own.
 *
 * The layers, bottom to top (tools/check_layers.py enforces them):
 *
 *   kernel library  os/lib: kprintf(), panic(), ksnprintf(), memcpy(),
 *                   strlen(), mem_range_add(), ... (headers in
 *                   os/lib/include). Like AbstractMachine's klib it sits
 *                   beside the machine: the arch code may use it, and it
 *                   prints through arch_console_putc().
 *   machine         arch/NAME: this interface. It calls nothing of the OS:
 *                   the OS hands it what it needs (arch_set_fault_handler()),
 *                   and the start-up calls kmain().
 *   OS              os/: page manager, page tables, allocators, faults.
 *   shell           shell/: the commands, above the OS.
 *   composition     init/main.c: kmain() wires the layers together.
 *
 * Boot order: the arch's assembly entry sets up a stack (and on x86_64,
 * long mode); its C start-up finds the console and memory, installs its
 * trap handlers, then runs arch_poweroff(kmain()).
 */
#ifndef PAGODA_MACHINE_INTERFACE_H
#define PAGODA_MACHINE_INTERFACE_H

/*
 * The kernel stacks, laid out alike on every machine (each arch's entry
 * code reserves them; this part is read by assembly too). kernel_stacks
 * holds one slot per CPU, ARCH_MAX_CPUS in all; slot 0 is the boot CPU's
 * (boot_stack). A slot is a guard page, never mapped, then the stack,
 * which grows down from the slot's end: a CPU that runs off its stack
 * faults on the guard page instead of overwriting the slot below.
 */
#define ARCH_MAX_CPUS 8       /**< CPUs the kernel starts at most (make run SMP=n) */
#define ARCH_GUARD_SIZE 4096  /**< the unmapped page at the bottom of each slot */
#define ARCH_STACK_SIZE 16384 /**< each CPU's kernel stack */
#define ARCH_STACK_SLOT (ARCH_GUARD_SIZE + ARCH_STACK_SIZE) /**< one CPU's slot */

#ifndef __ASSEMBLER__ /* the rest is C */

#include <stddef.h>
#include <stdint.h>

/* ---- the program the machine runs ---- */

/**
 * @brief The kernel's C entry (init/main.c), called once by the arch
 *        start-up, which powers off with its result if it ever returns.
 * @return the exit status for arch_poweroff() (0 = success)
 */
int kmain(void);

/**
 * @brief What every CPU but the boot one runs once it is up, with its
 *        interrupts off (os/kernel/cpus.c): wait for work, do it, wait
 *        again. The arch calls it when the CPU has arrived.
 */
_Noreturn void cpu_park(void);

/** @brief Short name of the architecture and machine, for the banner. */
const char *arch_name(void);

/* ---- console ---- */

/** @brief Write one byte to the console (no newline translation). */
void arch_console_putc(char c);

/*
 * Console input comes by interrupt: the machine's receive handlers give
 * each byte typed to console_received() (os/lib/include/console.h). The
 * start-up turns interrupts on just before kmain(); they are off while a
 * trap or interrupt is handled.
 */

/** @brief Turn interrupts off. @return 1 if they were on (for arch_interrupts_restore()) */
int arch_interrupts_off(void);

/** @brief Turn interrupts back on if @p on (what arch_interrupts_off() returned). */
void arch_interrupts_restore(int on);

/**
 * @brief Called with interrupts off: sleep until an interrupt comes, let
 *        its handler run, and return with interrupts off again. No interrupt
 *        that came after the caller turned them off is missed.
 */
void arch_wait_for_interrupt(void);

/**
 * @brief Let any interrupt that is waiting be taken now, even where
 *        interrupts are off (a lock is held), and leave them as they were.
 *        Safe because no interrupt handler takes a lock; the progress
 *        handler calls it, so that Ctrl-C gets through a long locked call.
 */
void arch_interrupts_let_in(void);

/* ---- memory discovery ---- */

#define BOOT_MEMORY_MAX 32 /**< ranges of each kind the kernel keeps */

/** @brief A range of physical addresses [start, end) with a label. */
struct mem_range {
	uintptr_t start;  /**< first byte */
	uintptr_t end;    /**< one past the last byte */
	const char *what; /**< what it is, for the boot log */
};

/** @brief Memory as the firmware and boot loader describe it. */
struct boot_memory {
	struct mem_range ram[BOOT_MEMORY_MAX];      /**< RAM ranges */
	size_t nr_ram;                              /**< how many */
	struct mem_range reserved[BOOT_MEMORY_MAX]; /**< not to be handed out */
	size_t nr_reserved;                         /**< how many */
	struct mem_range devices[BOOT_MEMORY_MAX];  /**< device registers the kernel uses */
	size_t nr_devices;                          /**< how many */
};

/**
 * @brief Describe physical memory as the firmware reported it: every RAM
 *        range, and every range inside RAM that the kernel must not hand out
 *        (firmware, kernel image, boot information, ...).
 */
void arch_boot_memory(struct boot_memory *memory);

/* ---- kernel image layout ---- */

/*
 * Defined by each arch's linker.ld (and the stacks by its entry code), in
 * this address order: text [_kernel_start, _etext), read-only data
 * [_etext, _erodata), data, the kernel stacks (above: a guard page and a
 * stack for each CPU, from kernel_stacks on) first in bss, the rest of bss,
 * up to _kernel_end. All are page aligned. Only their addresses mean
 * anything.
 */
extern char _kernel_start[];    /**< first byte of the image (text) */
extern char _etext[];           /**< end of text, start of read-only data */
extern char _erodata[];         /**< end of read-only data, start of data */
extern char kernel_stacks[];    /**< ARCH_MAX_CPUS slots of ARCH_STACK_SLOT bytes */
extern char _kernel_end[];      /**< one past the image's last byte */

/** @brief The start of CPU @p cpu's stack slot: its guard page, then its stack. */
static inline uintptr_t arch_stack_slot(unsigned cpu)
{
	return (uintptr_t)kernel_stacks + cpu * (uintptr_t)ARCH_STACK_SLOT;
}

/* ---- paging format ---- */

#define VM_READ 0x01   /**< readable */
#define VM_WRITE 0x02  /**< writable */
#define VM_EXEC 0x04   /**< executable */
#define VM_USER 0x08   /**< reachable from user mode */
#define VM_GLOBAL 0x10 /**< global: kept in the TLB across address-space switches */
#define VM_DEVICE 0x20 /**< device memory: uncached where the architecture can say so */

#define VM_PAGE_SHIFT 12      /**< a page is 1 << 12 bytes: the last level's shift */
#define VM_INDEX_BITS 9       /**< address bits each level indexes its table with */
#define VM_SHIFT_4K VM_PAGE_SHIFT                       /**< shift of a page (12) */
#define VM_SHIFT_2M (VM_SHIFT_4K + VM_INDEX_BITS)       /**< shift of a large page (21) */
#define VM_SHIFT_1G (VM_SHIFT_2M + VM_INDEX_BITS)       /**< shift of a huge page (30) */
#define VM_SIZE_4K ((uintptr_t)1 << VM_SHIFT_4K) /**< a page */
#define VM_SIZE_2M ((uintptr_t)1 << VM_SHIFT_2M) /**< a large page */
#define VM_SIZE_1G ((uintptr_t)1 << VM_SHIFT_1G) /**< a huge page */

/**
 * @brief How one architecture lays out its page tables.
 *
 * A page table is a tree of 4 KiB tables of 512 entries. Level i (0 = root)
 * indexes the virtual address with the 9 bits above
 * shift(i) = 12 + 9 * (levels - 1 - i).
 */
struct pt_format {
	const char *name;         /**< "Sv39", "x86_64 4-level" */
	unsigned levels;          /**< 3 or 4 */
	unsigned va_bits;         /**< significant virtual-address bits: 39 or 48 */
	unsigned pa_bits;         /**< physical-address bits an entry can hold (Sv39: 56; x86_64: the CPU's MAXPHYADDR) */
	unsigned leaf_sizes;      /**< VM_SIZE_* that may be leaves, as a mask of shifts (1 << 12 | ...) */
	/** Encode a leaf mapping @p pa with VM_* @p flags, of size 1 << @p shift. */
	uint64_t (*make_leaf)(uintptr_t pa, unsigned flags, unsigned shift);
	/** Encode an entry pointing to the table at @p pa. */
	uint64_t (*make_table)(uintptr_t pa);
	/** Is the entry valid (present)? */
	int (*is_present)(uint64_t entry);
	/** Is a present entry at a level of this @p shift a leaf? */
	int (*is_leaf)(uint64_t entry, unsigned shift);
	/** Physical address an entry points to (table or leaf). */
	uintptr_t (*address)(uint64_t entry);
	/** VM_* flags of a leaf. */
	unsigned (*flags)(uint64_t entry);
};

/** @brief The architecture's page-table layout. */
const struct pt_format *arch_pt_format(void);

/** @brief Translate with the page tables whose root table is at physical
 *         address @p root from now on, and flush the TLB. */
void arch_vm_activate(uintptr_t root);

/** @brief Forget any cached translation of @p va. */
void arch_tlb_flush(uintptr_t va);

/* ---- traps ---- */

/** @brief What the faulting instruction tried to do. */
enum fault_access {
	FAULT_READ,
	FAULT_WRITE,
	FAULT_EXECUTE,
};

/** @brief A page fault or access fault, as the machine reports it. */
struct arch_fault {
	enum fault_access access; /**< what was attempted */
	uintptr_t addr;           /**< the address it was attempted at */
	uintptr_t pc;             /**< the faulting instruction */
	int firmware;             /**< 1: an access fault (memory the firmware denies); 0: a page fault */
};

/**
 * @brief Called by the trap handler on a page or access fault.
 * @return 1 when it has resolved the fault (say, mapped the missing page):
 *         the trap handler then returns to the faulting instruction, which
 *         runs again. Otherwise it should not return (it resumes elsewhere
 *         or panics); if it returns 0, the fault is fatal as any other trap.
 */
typedef int (*arch_fault_handler)(const struct arch_fault *fault);

/**
 * @brief Hand page and access faults to @p handler (NULL: none). Until a
 *        handler is set, and for every other trap, the machine panics with
 *        the trap's description.
 */
void arch_set_fault_handler(arch_fault_handler handler);

/* ---- CPUs ---- */

/** @brief Where a CPU is. */
enum arch_cpu_state {
	ARCH_CPU_STARTING, /**< asked to start, not arrived yet */
	ARCH_CPU_RUNNING,  /**< runs the kernel: the boot CPU, which runs the shell */
	ARCH_CPU_PARKED,   /**< started, and runs cpu_park(): waits for work, or does it */
	ARCH_CPU_LEFT_OUT, /**< not started, or did not arrive: left out (arch_cpu.why says why) */
};

/** @brief One CPU, as arch_cpus_start() left it. */
struct arch_cpu {
	unsigned long hw_id;       /**< the machine's number for it: hart id or local APIC id */
	enum arch_cpu_state state; /**< where it is */
	const char *why;           /**< ARCH_CPU_LEFT_OUT: why, in a few words; else NULL */
	long error;                /**< ARCH_CPU_LEFT_OUT: the firmware's error code, or 0 */
};

/**
 * @brief Start every CPU the firmware lists but the boot CPU (which runs
 *        already), ARCH_MAX_CPUS in all at most, each on its own stack and
 *        with its own trap setup, in the boot CPU's address space; they
 *        park. Waits until each has arrived or is given up on (a CPU that
 *        does not come is left out, never waited for without end). Called
 *        once, with the kernel's page tables active.
 * @return how many CPUs there are, the boot CPU included (CPU 0)
 */
unsigned arch_cpus_start(void);

/** @brief CPU @p cpu (0: the boot CPU). @return 0, or -1 if there is no such CPU */
int arch_cpu_info(unsigned cpu, struct arch_cpu *out);

/** @brief What this machine calls arch_cpu.hw_id: "hart" or "APIC id". */
const char *arch_cpu_hw_name(void);

/** @brief The number of the CPU running the caller (0: the boot CPU). */
unsigned arch_cpu_id(void);

/**
 * @brief Interrupt CPU @p cpu (an IPI), so that its arch_wait_for_interrupt()
 *        returns. Only the boot CPU calls it.
 */
void arch_cpu_wake(unsigned cpu);

/* ---- power ---- */

/** @brief Switch the machine off; QEMU exits with @p status (0 = success). */
_Noreturn void arch_poweroff(int status);

/* ---- time ---- */

/**
 * @brief Nanoseconds since some moment at boot: a monotonic clock, for
 *        progress reports and rates (as exact as the machine's timer).
 */
uint64_t arch_time_ns(void);

/* ---- setjmp ---- */

/** @brief Registers a function keeps across calls, saved by arch_setjmp(). */
struct arch_jmp_buf {
	uint64_t regs[15]; /**< arch-specific layout */
};

/**
 * @brief Save the caller's context, with whether interrupts are on;
 *        returns 0, and again (with the value given to arch_longjmp()) when
 *        something jumps back to it.
 */
int arch_setjmp(struct arch_jmp_buf *buf) __attribute__((returns_twice));

/**
 * @brief Resume the context saved in @p buf, making arch_setjmp() return
 *        @p value; interrupts are on again if they were at arch_setjmp()
 *        (a fault handler that jumps out of a trap leaves them off).
 */
_Noreturn void arch_longjmp(struct arch_jmp_buf *buf, int value);

/* ---- debug break ---- */

/**
 * @brief Stop in an attached debugger if the machine has a way to.
 * @return 1 if a stop was requested, 0 if this machine has none
 */
int arch_debug_break(void);

#endif /* __ASSEMBLER__ */

#endif
