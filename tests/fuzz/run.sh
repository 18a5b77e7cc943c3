#!/bin/bash
# Run one libFuzzer target for a bounded time and say what it did, in one
# line: runs executed, coverage (cov: edges, ft: features), and "no crash"
# or the file holding the input that crashed it. Called by `make fuzz`.
#
#   tests/fuzz/run.sh NAME BINARY SEEDS CORPUS MAX_LEN SECONDS
#
# SEEDS (tests/fuzz/corpus_NAME) is copied into CORPUS (in build/), which the
# fuzzer grows across runs; the tree's seed corpus is never written. The full
# libFuzzer output goes to CORPUS.log. Exit status: 0 when the target ran for
# the whole time without a finding, 1 on a crash, sanitizer report, leak,
# timeout or out-of-memory (the input is kept beside CORPUS, named
# NAME-crash-*, NAME-leak-*, NAME-timeout-* or NAME-oom-*).
set -euo pipefail

if [ $# -ne 6 ]; then
	echo "usage: $0 NAME BINARY SEEDS CORPUS MAX_LEN SECONDS" >&2
	exit 2
fi
name=$1 bin=$2 seeds=$3 corpus=$4 max_len=$5 seconds=$6
dir=$(dirname "$corpus")
log=$corpus.log
prefix=$dir/$name-

mkdir -p "$corpus"
cp "$seeds"/* "$corpus"/

# A unit taking 10 s is a hang in a parser that should take microseconds.
rc=0
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$prefix" "$corpus" >"$log" 2>&1 || rc=$?

# The last status line ("#N ... cov: E ft: F corp: ...") has the totals
# even when the run ended early on a finding.
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
[ -n "$runs" ] || runs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
cov=$(printf '%s\n' "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
units=$(find "$corpus" -type f | wc -l)
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)

summary="${cov:-cov: ? ft: ?}, corpus $units inputs"
if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
	echo "fuzz_$name: ${runs:-0} runs in $seconds s, $summary: no crash"
	exit 0
fi
summary="fuzz_$name: ${runs:-0} runs, $summary"
if [ -n "$crash" ]; then
	echo "$summary: CRASH, input in $crash" >&2
	echo "  reproduce: $bin $crash" >&2
else
	echo "$summary: libFuzzer exited $rc without an input file" >&2
fi
# The report itself (sanitizer or CHECK line and the top of the stack).
grep -m 1 -A 12 -E 'ERROR: |CHECK failed|runtime error|==[0-9]+== ' "$log" \
	| sed 's/^/  /' >&2 || true
echo "  full log: $log" >&2
exit 1
