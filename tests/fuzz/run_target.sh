#!/bin/sh
# Run one fuzz target, printing TAP: first every committed input of
# tests/fuzz/NAME/ (seeds and regression inputs) once, then NAME fuzzing
# for SECONDS from those inputs and what earlier runs found.
#
#   tests/fuzz/run_target.sh NAME SECONDS   (NAME: fuzz_pmm, fuzz_vm, ...)
#
# A finding is saved as build/host/fuzz/findings/NAME-crash-<sha1>; to keep
# it as a regression input, fix the bug and copy it into tests/fuzz/NAME/.
set -u
cd "$(dirname "$0")/../.." || exit 2
name=$1
seconds=$2
bin=build/host/fuzz/$name
inputs=tests/fuzz/$name
corpus=build/host/fuzz/corpus/$name
findings=build/host/fuzz/findings
log=build/host/fuzz/$name.log
mkdir -p "$corpus" "$findings"
echo "1..2"

count=$(ls "$inputs" | wc -l)
if "$bin" "$inputs"/* >"$log" 2>&1; then
	echo "ok 1 - $name: the $count committed inputs of $inputs run clean"
else
	echo "not ok 1 - $name: a committed input of $inputs fails"
	grep -E 'check failed|ERROR|runtime error|^Running' "$log" | tail -n 5 | sed 's/^/# /'
fi

if "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$findings/$name-" \
	"$corpus" "$inputs" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "ok 2 - $name: $runs executions in $seconds s, no finding"
else
	echo "not ok 2 - $name: a finding; the input is in $findings/"
	grep -E 'check failed|ERROR|runtime error|Test unit written' "$log" | head -n 5 | sed 's/^/# /'
fi
