# tools/lab/lab.mk: the labs' targets (make labs, handout, grade) and the
# rule that builds a lab's host test program. docs/labs.md explains them.

# In a handout, .pagoda-lab names its lab.
LAB ?= $(shell cat .pagoda-lab 2>/dev/null)

labs:
	@python3 tools/lab/lab.py list

handout: deps
	@if [ -z "$(LAB)" ] || [ -z "$(DEST)" ]; then \
		echo "usage: make handout LAB=<name> DEST=<dir> (make labs lists the labs)"; exit 2; fi
	@python3 tools/lab/lab.py handout $(LAB) $(DEST)

grade: deps
	@if [ -z "$(LAB)" ]; then \
		echo "usage: make grade LAB=<name> [TEST=<test>] [SEED=<n>] [HIDDEN=1]"; exit 2; fi
	@python3 tools/lab/grade.py $(LAB) $(if $(TEST),--test $(TEST)) \
		$(if $(filter 1,$(HIDDEN)),--hidden) $(if $(SEED),--seed $(SEED))

# Mutants of a lab's code, graded (tools/lab/mutants.py; docs/labs.md):
# each lab's record labs/<lab>/mutants.json and the table in docs/labs.md.
mutants: deps
	@if [ -f .pagoda-lab ]; then \
		echo "error: make mutants needs the reference tree (this is a handout: make grade)"; \
		exit 2; fi
	@if [ -z "$(LAB)" ]; then \
		echo "usage: make mutants LAB=<name> [JOBS=n] (make labs lists the labs; LAB=all: every lab)"; \
		exit 2; fi
	@python3 tools/lab/mutants.py $(if $(filter all,$(LAB)),$(shell python3 tools/lab/lab.py list | cut -d' ' -f1),$(LAB)) \
		$(if $(JOBS),--jobs $(JOBS))

# A whole class's submissions (docs/grading.md).
deps-grading:
	@tools/deps.sh grading

grade-class: deps deps-grading
	@if [ -z "$(LAB)" ] || [ -z "$(SUBMISSIONS)" ]; then \
		echo "usage: make grade-class LAB=<name> SUBMISSIONS=<dir> [OUT=<dir>] [ENGINE=local|slurm]"; \
		exit 2; fi
	@tools/grade-class $(LAB) $(SUBMISSIONS) $(if $(OUT),--out $(OUT)) \
		$(if $(ENGINE),--engine $(ENGINE)) $(if $(SEED),--seed $(SEED)) \
		$(if $(TIMEOUT),--timeout $(TIMEOUT))

# A real Slurm (slurm-wlm, munge) started by tools/slurm-local in a temporary
# directory: up, a job array, down. Needs root, so not part of make test.
test-slurm: deps deps-grading
	@python3 tests/grade_class/test_slurm_local.py $(if $(SLOW),--slow)

# The class grader on a test class, with both engines, then on the hostile
# class (CI runs it).
test-grade-class: deps deps-grading
	@python3 tests/grade_class/test_grade_class.py
	@python3 tests/grade_class/test_redteam.py

# A hostile class against the class grader, with both engines and as a user
# who is not root (tests/grade_class/test_redteam.py; root, about 15 minutes).
test-redteam: deps deps-grading
	@python3 tests/grade_class/test_redteam.py

# The page-table walker and both formats, and the memory map's ranges, as a
# library: a program that calls vm_* (and provides arch_pt_format() and
# arch_tlb_flush()) or memory_usable() links them. A test program includes
# no student .c file: the student's macros and code stay out of the test's
# own (the class grader trusts what the test observes).
LAB_VM_OBJS := $(patsubst %,$(HOST_BUILD)/%.o,os/mm/vm.c os/mm/vm_check.c os/mm/vm_lazy.c \
	arch/riscv64/pt.c arch/x86_64/pt.c os/lib/mem_range.c)
LAB_VM_LIB := $(HOST_BUILD)/lab/libvm.a
$(LAB_VM_LIB): $(LAB_VM_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

# labs/<lab>/<part>/<name>.c -> build/host/lab/<lab>/<part>/<name>, linked with
# the host library (the page manager and kmalloc: the student's code) and,
# if it calls them, the walker's.
$(HOST_BUILD)/lab/%: labs/%.c $(LAB_VM_LIB) $(PMM_LIB)
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itools/lab -o $@ $< $(filter %.o,$^) $(LAB_VM_LIB) \
		$(PMM_LIB) $(LAB_LINK_$(notdir $@))

# The percpu lab's test sees each call a refill or a drain makes into the
# buddy system (the linker sends them through its __wrap_ functions), to
# check that pmm_lock is held around it.
LAB_LINK_host_percpu := -Wl,--wrap=pmm_take_block -Wl,--wrap=pmm_free_range

# The buddy lab's test calls static functions of the student's pmm_buddy.c:
# through wrappers compiled with that file alone, never by including it.
$(HOST_BUILD)/lab/buddy/tests/host_buddy: $(HOST_BUILD)/labs/buddy/tests/buddy_internals.c.o

-include $(wildcard $(HOST_BUILD)/lab/*/*/*.d $(HOST_BUILD)/labs/*/*/*.d) $(wildcard $(LAB_VM_OBJS:.o=.d))
