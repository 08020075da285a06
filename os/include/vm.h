/**
 * @file vm.h
 * @brief Address spaces: one page-table walker for every architecture.
 *
 * A page table is a tree of 4 KiB tables of 512 entries. Level 0 is the
 * root; an entry either points to the next level's table, or is a *leaf*
 * that maps a whole aligned block (4 KiB at the last level, 2 MiB or 1 GiB
 * higher up). Sv39 (riscv64) has 3 levels, x86_64 has 4. Everything that
 * differs between the two (how many levels, how an entry is encoded, which
 * levels may hold leaves) is in a struct pt_format that the architecture
 * provides (arch/include/arch.h, with the VM_* flags and sizes); the walk
 * itself is written once, in os/mm/vm.c.
 *
 * Table pages come from the page manager (holder PMM_HOLDER_PAGE_TABLE) and
 * go back to it as soon as they hold no entry.
 */
#ifndef PAGODA_VM_H
#define PAGODA_VM_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h" /* VM_* flags and sizes, struct pt_format */

#define VM_MAX_LEVELS 4       /**< deepest table tree of any architecture */
#define VM_ENTRIES (1u << VM_INDEX_BITS) /**< entries per table (512) */

/** @brief Results of vm calls: 0 for success, a negative value otherwise. */
enum vm_error {
	VM_OK = 0,
	VM_ERR_NO_MEMORY = -1,   /**< no page for a table (nothing was changed) */
	VM_ERR_MAPPED = -2,      /**< part of the range is mapped already */
	VM_ERR_NOT_MAPPED = -3,  /**< part of the range is not mapped */
	VM_ERR_UNALIGNED = -4,   /**< address or size not aligned to the page size */
	VM_ERR_RANGE = -5,       /**< outside the architecture's virtual addresses */
	VM_ERR_LARGE_PAGE = -6,  /**< would cut through a 2 MiB / 1 GiB page */
	VM_ERR_FLAGS = -7,       /**< flags the architecture cannot express */
	VM_ERR_WINDOW = -8,      /**< outside the demonstration window */
	VM_ERR_MANAGED = -9,     /**< physical range belongs to the page manager */
	VM_ERR_KERNEL = -10,     /**< would make the kernel image writable */
	VM_ERR_NONCANONICAL = -11, /**< the address is not canonical (its top bits differ) */
	VM_ERR_PHYSICAL = -12,   /**< physical range beyond what the CPU can address, or wrapping */
	VM_ERR_INTERRUPTED = -13, /**< the user stopped it (Ctrl-C); nothing was changed */
	VM_ERR_RESERVED = -14,   /**< part of the range is reserved for lazy pages (vm_lazy.h) */
	VM_ERR_TOO_MANY = -15,   /**< every lazy reservation is in use (VM_LAZY_MAX) */
};

/* The window's bounds are written once, as numbers, and turned into text
 * for the messages that quote them (so the two cannot drift apart). */
#define VM_DEMO_START_HEX 0x2000000000 /**< the window's start, as written in messages */
#define VM_DEMO_END_HEX 0x3000000000   /**< the window's end, as written in messages */
#define VM_TEXT_(x) #x             /**< helper of VM_TEXT */
#define VM_TEXT(x) VM_TEXT_(x)         /**< a macro's value as a string literal */
#define VM_DEMO_START ((uintptr_t)VM_DEMO_START_HEX) /**< start of the shell's map window (128 GiB, above any RAM we map) */
#define VM_DEMO_END ((uintptr_t)VM_DEMO_END_HEX)     /**< end of the window (192 GiB) */
#define VM_DEMO_SIZE (VM_DEMO_END - VM_DEMO_START)   /**< bytes in the window (64 GiB) */
#define VM_DEMO_PAGES (VM_DEMO_SIZE / VM_SIZE_4K)    /**< pages in the window */
/** "0x2000000000-0x3000000000", for messages and help */
#define VM_DEMO_TEXT VM_TEXT(VM_DEMO_START_HEX) "-" VM_TEXT(VM_DEMO_END_HEX)

/** @brief An address space: the physical address of its root table. */
struct vm_space {
	uintptr_t root; /**< root table; 0 until vm_space_init() */
};

/** @brief What a walk found at one level. */
struct vm_step {
	unsigned level;     /**< 0 = root */
	unsigned index;     /**< entry index in that table */
	uintptr_t table;    /**< physical address of the table */
	uint64_t entry;     /**< the raw entry */
};

/** @brief A whole walk of one virtual address (vm_translate()). */
struct vm_walk {
	struct vm_step steps[VM_MAX_LEVELS]; /**< root first */
	unsigned nr_steps;                   /**< levels visited */
	int mapped;                          /**< 1 if a leaf was found */
	uintptr_t pa;                        /**< the physical address of va */
	uintptr_t size;                      /**< size of the leaf */
	unsigned flags;                      /**< VM_* flags of the leaf */
};

/**
 * @brief One page-table entry, decoded: what the shell shows and the
 *        checker looks at, without knowing how this machine encodes it.
 */
struct vm_entry {
	int present;       /**< 1 if the entry is valid; the other fields but shift/size are then 0 */
	int leaf;          /**< 1 if it maps memory itself, 0 if it points to a table */
	uintptr_t address; /**< physical address of the mapped block, or of the next table */
	unsigned flags;    /**< VM_* flags of a leaf (0 for a table) */
	unsigned shift;    /**< log2 of the bytes one entry of its level covers (12, 21, 30, 39) */
	uintptr_t size;    /**< bytes one entry of its level covers: 1 << shift */
};

/** @brief The facts about this machine's page tables that the shell prints. */
struct vm_info {
	const char *name;  /**< "Sv39", "x86_64 4-level" */
	unsigned levels;   /**< levels of tables: 3 or 4 */
	unsigned va_bits;  /**< significant virtual-address bits: 39 or 48 */
	unsigned pa_bits;  /**< physical-address bits an entry can hold */
};

/** @brief Counters over every address space (for meminfo). */
struct vm_stats {
	size_t table_pages; /**< page-table pages taken from the page manager */
	size_t leaves_4k;   /**< 4 KiB leaves */
	size_t leaves_2m;   /**< 2 MiB leaves */
	size_t leaves_1g;   /**< 1 GiB leaves */
};

/** @brief Start afresh: forget the counters of every address space (as
 *         pmm_init() forgets every segment; host tests call both). */
void vm_init(void);

/** @brief Give @p space an empty root table. */
int vm_space_init(struct vm_space *space);

/**
 * @brief Map [va, va + size) to [pa, pa + size) with pages of @p page_size
 *        (VM_SIZE_4K, _2M or _1G). All or nothing: on error nothing changed.
 */
int vm_map(struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
	   unsigned flags, uintptr_t page_size);

/**
 * @brief Map with the largest pages that alignment and the architecture
 *        allow (as the kernel's direct map does). All or nothing.
 */
int vm_map_largest(struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
		   unsigned flags);

/**
 * @brief Remove every mapping in [va, va + size), which must all be mapped
 *        and not cut a large page. Emptied tables go back to the page
 *        manager. All or nothing.
 */
int vm_unmap(struct vm_space *space, uintptr_t va, uintptr_t size);

/** @brief Change the flags of every (mapped) page in [va, va + size). */
int vm_protect(struct vm_space *space, uintptr_t va, uintptr_t size, unsigned flags);

/**
 * @brief How many table pages vm_map() (@p page_size given) or
 *        vm_map_largest() (@p page_size 0) would have to allocate to map
 *        [va, va + size) to @p pa: so a request can be refused before it starts.
 */
size_t vm_tables_needed(const struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
			uintptr_t page_size);

/**
 * @brief The first address in [va, va + size) that a leaf maps, or
 *        UINTPTR_MAX if none is mapped (it visits only present entries).
 */
uintptr_t vm_first_mapped(const struct vm_space *space, uintptr_t va, uintptr_t size);

/** @brief Walk @p va; fills @p walk even when unmapped (mapped = 0). */
int vm_translate(const struct vm_space *space, uintptr_t va, struct vm_walk *walk);

/**
 * @brief Visit the table tree: every present entry, parents first, in
 *        address order, for entries whose range meets [start, end).
 * @param space the address space
 * @param start first virtual address of interest
 * @param end one past the last
 * @param fn called with the level, the entry's virtual base, its size, the
 *        raw entry and whether it is a leaf; a table's children follow it
 * @param ctx passed to @p fn
 */
void vm_visit(const struct vm_space *space, uintptr_t start, uintptr_t end,
	      void (*fn)(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry,
			 int leaf, void *ctx),
	      void *ctx);

/**
 * @brief Map @p pages pages at @p va in the kernel space, inside the
 *        demonstration window. With @p auto_pages, fresh pages from the page
 *        manager (owned by the mapping, freed by vm_demo_unmap()); otherwise
 *        [pa, ...), which must not be memory the page manager manages and
 *        must fit the CPU's physical addresses. All or nothing: a request
 *        that the free pages cannot serve (with its page tables) is refused
 *        before anything changes; one interrupted by the progress handler
 *        is undone (VM_ERR_INTERRUPTED).
 */
int vm_demo_map(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa, unsigned flags);

/**
 * @brief Reserve @p pages pages at @p va in the window for demand paging
 *        (`map <va> <n> lazy`): nothing is allocated until a page is first
 *        touched (vm_lazy.h). The range must lie in the window and meet no
 *        mapping and no other reservation; on an error nothing changed.
 */
int vm_demo_reserve(uintptr_t va, size_t pages, unsigned flags);

/**
 * @brief Pages vm_demo_map() would take from the page manager: its page
 *        tables (also stored in *@p tables) and, with @p auto_pages, the pages.
 */
size_t vm_demo_pages_needed(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa,
			    size_t *tables);

/**
 * @brief Unmap @p pages pages at @p va in the window, freeing owned pages.
 *
 * Pages may be mapped or lazily reserved: a reservation's present pages
 * go back to the page manager, its absent ones just stop being reserved.
 * Refused whole if any page is neither, or a large page or a reservation
 * sticks out of the range (VM_ERR_LARGE_PAGE, VM_ERR_RESERVED): *@p where
 * is then that page. Interrupted by the progress handler, the
 * first *@p done pages stay unmapped and the rest mapped
 * (VM_ERR_INTERRUPTED).
 */
int vm_demo_unmap(uintptr_t va, size_t pages, uintptr_t *where, size_t *done);

/** @brief Current counters. */
void vm_get_stats(struct vm_stats *stats);

/** @brief Kinds of broken invariant found by vm_check(). */
enum vm_violation_kind {
	VM_BAD_EMPTY_TABLE = 1, /**< a table below the root maps nothing (should have been freed) */
	VM_BAD_TABLE_PAGE,      /**< a table is not a one-page page-table allocation of the page manager */
	VM_BAD_TABLE_COUNT,     /**< page-table pages counted differ from the tables found */
	VM_BAD_LEAF_COUNT,      /**< leaves counted differ from the leaves found */
};

/** @brief One broken invariant, reported by vm_check(). */
struct vm_violation {
	enum vm_violation_kind kind; /**< what is wrong */
	uintptr_t addr;              /**< the table's physical address, or 0 for a count */
	size_t expected;             /**< the value the invariant asks for */
	size_t actual;               /**< the value found */
};

/**
 * @brief Verify the page tables of @p spaces, which must be every address
 *        space there is.
 *
 * Every table below a root holds at least one entry; every table (roots
 * too) is a one-page allocation held by PMM_HOLDER_PAGE_TABLE; the tables
 * and leaves found add up to vm_get_stats(), and the page manager holds no
 * page-table page that no space reaches. It reports progress as "check",
 * counting on from the page manager's pages (pmm_check() runs first); when
 * the handler says stop it returns at once, having checked only part.
 * @return the number of violations (0 when all is well)
 */
size_t vm_check(const struct vm_space *spaces, size_t nr_spaces,
		void (*report)(const struct vm_violation *v, void *ctx), void *ctx);

/** @brief A short English description of a ::vm_violation_kind. */
const char *vm_violation_text(enum vm_violation_kind kind);

/** @brief A short English description of a ::vm_error. */
const char *vm_strerror(int error);

/** @brief Size in bytes covered by one entry at @p level. */
uintptr_t vm_level_size(unsigned level);

/** @brief The bit where @p level's index starts in a virtual address
 *         (the root's is the highest; the last level's is VM_PAGE_SHIFT). */
unsigned vm_level_shift(unsigned level);

/** @brief Which entry (0..VM_ENTRIES-1) of a table at @p level maps @p va. */
unsigned vm_level_index(uintptr_t va, unsigned level);

/**
 * @brief Decode @p raw, an entry of a table at @p level, into *@p out.
 *        An entry of the last level that is present is always a leaf.
 */
void vm_entry_decode(uint64_t raw, unsigned level, struct vm_entry *out);

/** @brief This machine's page-table format: name, levels, address bits. */
void vm_get_info(struct vm_info *info);

/**
 * @brief Does the window hold all @p pages pages from the page that holds
 *        @p va? (The one test of "inside the demonstration window".)
 */
int vm_demo_contains(uintptr_t va, size_t pages);

/**
 * @brief Is @p va canonical: are all bits above the top significant one
 *        copies of it? (Both halves are canonical; only the lower one is used.)
 */
int vm_is_canonical(uintptr_t va);

/** @brief Can an entry hold every physical address of [pa, pa + size) (no wrap)? */
int vm_pa_fits(uintptr_t pa, uintptr_t size);

#endif
