# tools/bench/bench.mk: how `make bench` builds the page-manager benchmark.
#
# The page manager's own sources (the host library's list, PMM_SRCS in
# build.mk) are compiled again at -O2 without sanitizers, together with the
# benchmark in tools/bench/, twice:
#   build/bench/bench        for timing (the compiler's default -march)
#   build/bench/bench-count  for counting instructions under valgrind, built
#                            for x86-64-v3 on x86_64 (valgrind 3.19 cannot run
#                            AVX-512 code, so never -march=native)

BENCH_BUILD := build/bench
BENCH_SRCS := $(wildcard tools/bench/*.c)
BENCH_PMM_SRCS := $(PMM_SRCS)
BENCH_INCLUDES := $(filter -I%,$(HOST_CFLAGS))
BENCH_CFLAGS := -std=c11 $(WARNINGS) -O2 -g -MMD -MP
BENCH_COUNT_MARCH := $(if $(filter x86_64,$(shell uname -m)),-march=x86-64-v3,)

# bench_flavour NAME EXTRA-FLAGS: objects and binary of one build.
define bench_flavour
$(BENCH_BUILD)/$(1)/tools/bench/%.c.o: tools/bench/%.c tools/bench/bench.mk
	@mkdir -p $$(dir $$@)
	$$(call say,BENCHCC,$$<)
	$$(Q)$$(HOST_CC) $$(BENCH_CFLAGS) $(2) $$(BENCH_INCLUDES) -c $$< -o $$@

$(BENCH_BUILD)/$(1)/%.c.o: %.c tools/bench/bench.mk
	@mkdir -p $$(dir $$@)
	$$(call say,BENCHCC,$$<)
	$$(Q)$$(HOST_CC) $$(BENCH_CFLAGS) $(2) $$(BENCH_INCLUDES) -c $$< -o $$@

BENCH_OBJS_$(1) := $$(patsubst %,$(BENCH_BUILD)/$(1)/%.o,$$(BENCH_SRCS) $$(BENCH_PMM_SRCS))
-include $$(BENCH_OBJS_$(1):.o=.d)
endef

$(eval $(call bench_flavour,time,))
$(eval $(call bench_flavour,count,$(BENCH_COUNT_MARCH)))

$(BENCH_BUILD)/bench: $(BENCH_OBJS_time)
	$(call say,BENCHLD,$@)
	$(Q)$(HOST_CC) -o $@ $^ -pthread

$(BENCH_BUILD)/bench-count: $(BENCH_OBJS_count)
	$(call say,BENCHLD,$@)
	$(Q)$(HOST_CC) -o $@ $^ -pthread

BENCH_SIZES ?= 4G 16G
BENCH_REPEATS ?= 5

bench-build:
	@$(MAKE) --no-print-directory $(BENCH_BUILD)/bench $(BENCH_BUILD)/bench-count

bench: deps bench-build
	@python3 tools/bench/bench.py --sizes "$(BENCH_SIZES)" --repeats $(BENCH_REPEATS) \
		--csv $(BENCH_BUILD)/bench.csv

bench-plot: deps
	@python3 tools/bench/plot.py $(BENCH_BUILD)/bench.csv $(BENCH_BUILD)

bench-kernel: deps
	@python3 tools/bench/kernel.py --csv $(BENCH_BUILD)/kernel.csv

.PHONY: bench bench-build bench-plot bench-kernel
