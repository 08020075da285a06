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

# labs/<lab>/<part>/<name>.c -> build/host/lab/<lab>/<part>/<name>, linked with
# the host library (the page manager and kmalloc: the student's code).
$(HOST_BUILD)/lab/%: labs/%.c $(PMM_LIB)
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(PMM_LIB)

-include $(wildcard $(HOST_BUILD)/lab/*/*/*.d)
