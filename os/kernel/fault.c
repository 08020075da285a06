/**
 * @file fault.c
 * @brief Resolve a fault on a lazy page, or turn it into an explanation
 *        and a jump back to the shell.
 *
 * A fault on a reserved page that has no memory yet is demand paging at
 * work: vm_lazy_fault() maps the page and the faulting instruction runs
 * again. Any other fault abandons the command.
 *
 * The explanation comes from walking the page tables at the faulting
 * address, the same way on every architecture; the shell prints it as
 * `fault: <what> at 0x<address> (pc 0x<pc>)`.
 */
#include "fault.h"
#include "kprintf.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"

static struct arch_jmp_buf *recovery;
static struct fault_report last;

const struct fault_report *fault_last(void)
{
	return &last;
}

void fault_set_recovery(struct arch_jmp_buf *buf)
{
	recovery = buf;
}

static const char *explain(enum fault_access access, uintptr_t addr, int firmware)
{
	struct vm_walk walk;

	if (firmware)
		return access == FAULT_READ ? "read denied by the firmware"
		       : access == FAULT_WRITE ? "write denied by the firmware"
					       : "execute denied by the firmware";
	if (vm_is_stack_guard(addr))
		return access == FAULT_READ ? "read of stack guard page (stack overflow?)"
		       : access == FAULT_WRITE ? "write to stack guard page (stack overflow?)"
					       : "execute of stack guard page";
	vm_translate(&kernel_space, addr, &walk);
	/* A reserved page still absent: either its reservation forbids the
	 * access, or vm_lazy_fault() refused an access the reservation allows,
	 * which only a broken vm_lazy_fault() does. */
	struct vm_lazy_range lazy;
	if (!walk.mapped && vm_lazy_find(addr, &lazy)) {
		unsigned needs = access == FAULT_READ ? VM_READ
				 : access == FAULT_WRITE ? VM_WRITE : VM_EXEC;
		if (lazy.flags & needs)
			return access == FAULT_READ ? "read of lazy page the fault handler did not map"
			       : access == FAULT_WRITE ? "write to lazy page the fault handler did not map"
						       : "execute of lazy page the fault handler did not map";
		return access == FAULT_READ ? "read of lazy page without r"
		       : access == FAULT_WRITE ? "write to read-only lazy page"
					       : "execute of no-execute lazy page";
	}
	if (!walk.mapped)
		return access == FAULT_READ ? "read of unmapped page"
		       : access == FAULT_WRITE ? "write to unmapped page"
					       : "execute of unmapped page";
	if (access == FAULT_WRITE && !(walk.flags & VM_WRITE))
		return "write to read-only page";
	if (access == FAULT_EXECUTE && !(walk.flags & VM_EXEC))
		return "execute of no-execute page";
	return access == FAULT_READ ? "read not permitted"
	       : access == FAULT_WRITE ? "write not permitted" : "execute not permitted";
}

int fault_handle(const struct arch_fault *fault)
{
	int error = VM_OK;
	if (!fault->firmware) {
		/* Held while the page tables change, as everywhere (a fault in
		 * code that holds it already stops the kernel, naming both). */
		spin_lock(&vm_lock);
		error = vm_lazy_fault(fault->addr, fault->access);
		spin_unlock(&vm_lock);
		if (error == VM_OK)
			return 1; /* the page is there now: run the access again */
		if (error != VM_ERR_NO_MEMORY)
			error = VM_OK; /* not a lazy page: an ordinary fault */
	}
	const char *what = error ? "no free page for lazy page"
				 : explain(fault->access, fault->addr, fault->firmware);
	struct arch_jmp_buf *resume = recovery;

	/* The shell's command runs on CPU 0 only: resuming it from another
	 * CPU would put two CPUs on one stack. */
	if (arch_cpu_id() != 0)
		panic("fault: %s at 0x%lx (pc 0x%lx) on cpu%u, which runs no command", what,
		      (unsigned long)fault->addr, (unsigned long)fault->pc, arch_cpu_id());
	if (resume == NULL)
		panic("fault: %s at 0x%lx (pc 0x%lx) outside any command", what,
		      (unsigned long)fault->addr, (unsigned long)fault->pc);
	/* The abandoned code will never release its locks: release them here,
	 * and say so, or the next command would wait for them for ever. */
	const struct spinlock *held = spinlock_release_mine();
	last = (struct fault_report){ what, fault->addr, fault->pc, error, held ? held->name : NULL,
				      held ? held->taken_at : NULL };
	recovery = NULL;
	arch_longjmp(resume, 1);
}

void fault_init(void)
{
	arch_set_fault_handler(fault_handle);
}
