#!/usr/bin/env bash
# run-fuzzers.sh SECONDS TARGET... — runs each libFuzzer target for SECONDS on its seed corpus
# (written by fuzz_seeds) plus the regression inputs in tests/fuzz/regressions/TARGET, two at a
# time (one per core). A target fails on any crash, sanitizer report, leak, timeout (10 s per
# input) or allocation over 2 GiB; the offending input is kept in $WORK/TARGET/ as
# crash-*/timeout-*/oom-*. Prints one summary line per target (executions, coverage, features).
# Environment: RINGSCOPE_FUZZ_BIN (the build's tests/fuzz), RINGSCOPE_SOURCE_DIR; WORK (default $RINGSCOPE_FUZZ_BIN/runs); JOBS (default 2).
set -uo pipefail
seconds=$1
shift
bin=${RINGSCOPE_FUZZ_BIN:?}
src=${RINGSCOPE_SOURCE_DIR:?}
work=${WORK:-$bin/runs}
jobs=${JOBS:-2}
mkdir -p "$work"
rm -rf "$work/seeds"
"$bin/fuzz_seeds" "$work/seeds" "$src/tests/data" "$src/resources" >/dev/null || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
    local t=$1 dir="$work/$1"
    mkdir -p "$dir/corpus"
    local regressions="$src/tests/fuzz/regressions/$t"
    local extra=()
    [ -d "$regressions" ] && extra+=("$regressions")
    (cd "$dir" && "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -print_final_stats=1 -detect_leaks=1 -artifact_prefix="$dir/" \
        "$dir/corpus" "$work/seeds/$t" "${extra[@]}" >"$dir/log.txt" 2>&1)
    local rc=$?
    local execs cov ft
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log.txt" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$dir/log.txt" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$dir/log.txt" | tail -1 | grep -o '[0-9]*')
    if [ $rc -eq 0 ]; then
        echo "fuzz_$t: ok, ${seconds} s, ${execs:-?} executions, coverage ${cov:-?} edges, ${ft:-?} features"
    else
        echo "fuzz_$t: FAILED (exit $rc); see $dir/log.txt"
        grep -m5 -E 'ERROR|SUMMARY|runtime error|Test unit written' "$dir/log.txt" | sed 's/^/    /'
    fi
    return $rc
}

failed=0
pids=()
names=()
for t in "$@"; do
    run_one "$t" > "$work/$t.summary" &
    pids+=($!)
    names+=("$t")
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        cat "$work/${names[0]}.summary"
        pids=("${pids[@]:1}")
        names=("${names[@]:1}")
    fi
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed=1
    cat "$work/${names[$i]}.summary"
done
exit $failed
