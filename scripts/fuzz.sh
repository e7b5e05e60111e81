#!/usr/bin/env bash
# Builds the libFuzzer targets (the file readers and the op API; clang, with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer) and runs each for a bounded time, starting from the seed corpus in
# tests/fuzz/corpus. Fails on any crash, hang (> 10 s per input), sanitizer report, leak or
# allocation over 512 MB (a header that claims gigabytes must not get them).
#   usage: scripts/fuzz.sh [seconds per target, default 60] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx csv npz ops)

# Without libxsmm: every product goes to OpenBLAS, so the build without it is compiled and run too
# (the other builds use it), and the fuzzer's thousands of shapes do not each generate a kernel.
CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DXGRAD_FUZZ=ON -DXGRAD_LIBXSMM=OFF \
    -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF -DXGRAD_WERROR=ON \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    > /dev/null
cmake --build build/fuzz -j "${XGRAD_JOBS:-2}"

export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
summary=()
for t in "${targets[@]}"; do
    # The corpus grows in the build tree; the seeds in the repo stay as they are.
    work=build/fuzz/corpus/$t
    mkdir -p "$work" build/fuzz/artifacts
    log=build/fuzz/fuzz_$t.log
    echo "== fuzz_$t for ${seconds}s (log: $log)"
    # The readers must never ask for what a header claims; the op API may ask for what a program
    # computes (an empty axis summed away leaves a large result): over 512 MB it must get a
    # std::bad_alloc that the op names, so the allocator refuses instead of the fuzzer.
    limit=512
    if [ "$t" = ops ]; then
        export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=512
        limit=1024
    else
        export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
    fi
    if ! build/fuzz/tests/fuzz/fuzz_$t "$work" "tests/fuzz/corpus/$t" \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb="$limit" \
            -max_len=65536 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$t- \
            > "$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz_$t FAILED: the input that broke it is in build/fuzz/artifacts/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    summary+=("fuzz_$t: ${seconds}s, $runs runs ($rate/s), $cov, corpus $(ls "$work" | wc -l) files, no failures")
done
printf '%s\n' "${summary[@]}"
