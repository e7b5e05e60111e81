#!/usr/bin/env bash
# Benchmarks a training step of xgrad against libtorch (Debian's libtorch-dev, installed here)
# and against the GEMM limit (raw cblas_sgemm for the step's matrix products), float32, 1 and 2
# threads, and prints one table (bench/step_bench.cpp), then the character models' steps against their
# libtorch twins (bench/char_bench.cpp). Not part of the tests: machines are noisy.
#   usage: scripts/bench.sh [step_bench flags: --seconds 1 --threads 1,2 --configs a,b,c,d]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh libtorch-dev time
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DXGRAD_BENCH_TORCH=ON -DXGRAD_BUILD_TESTS=OFF \
    -DXGRAD_BUILD_EXAMPLES=ON > /dev/null
cmake --build build/bench -j "${XGRAD_JOBS:-2}" --target step_bench char_bench fashion_mnist torch_fashion_mnist
# Let OpenBLAS choose its kernel for this CPU, as it does on a user's machine: some machines force
# one through OPENBLAS_CORETYPE (ours force Haswell, half the AVX-512 kernel's speed). The table
# names the kernel in use. XGRAD_KEEP_CORETYPE=1 keeps a forced one.
[ "${XGRAD_KEEP_CORETYPE:-0}" = 1 ] || unset OPENBLAS_CORETYPE
unset OPENBLAS_NUM_THREADS  # the benchmark sets 1 and 2 threads itself
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
build/bench/bench/step_bench "$@"
echo
bash scripts/setup.sh wamerican > /dev/null  # the character models' word list
build/bench/bench/char_bench  # the character models' training steps (docs/performance.md)

# Whole Fashion-MNIST runs with the main job's defaults (10 epochs, SGD lr 0.1 momentum 0.9,
# cosine, batch 128), each library at its default thread count: wall time of the whole process
# (loading included), final test accuracy, peak resident memory. Both start from the same weights
# and see the same batches; lr 0.1 with momentum makes the final accuracy swing by a few tenths
# with float rounding alone, so each runs with seeds 0-9 (XGRAD_BENCH_SEEDS) and the accuracy is
# their mean, and the difference is also given seed by seed. Wall time: the median run; memory:
# the largest.
seeds=${XGRAD_BENCH_SEEDS:-10}
echo
printf '%-10s %10s %10s %18s %12s
' "run" "wall s" "accuracy" "(min-max)" "peak RSS MB"
whole_runs() {
    local name=$1; shift
    : > build/bench/$name.runs
    for ((seed = 0; seed < seeds; seed++)); do
        "$@" "$seed" > build/bench/$name.log 2>&1  # the command takes the seed last
        acc=$(grep -o 'final test accuracy [0-9.]*%' build/bench/$name.log | grep -o '[0-9.]*' | head -1)
        read -r wall rss < build/bench/$name.time
        echo "$wall $acc $rss" >> build/bench/$name.runs
    done
    sort -n build/bench/$name.runs | awk -v name="$name" '
        { wall[NR] = $1; acc += $2; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2; if ($3 > rss) rss = $3 }
        END { printf "%-10s %10s %9.2f%% %18s %12d\n", name, wall[int((NR + 1) / 2)], acc / NR,
              sprintf("(%.2f-%.2f%%)", min, max), rss / 1024 }'
}
timed() { local name=$1; shift; /usr/bin/time -f '%e %M' -o "build/bench/$name.time" "$@"; }
xgrad_run() { timed xgrad build/bench/examples/fashion_mnist --output-dir build/bench/fashion_mnist --checkpoint-every 0 --seed "$1"; }
torch_run() { timed libtorch build/bench/bench/torch_fashion_mnist 10 "$1"; }
whole_runs xgrad xgrad_run
whole_runs libtorch torch_run
# The same seed gives both runs the same weights and batches: compare them seed by seed.
paste build/bench/xgrad.runs build/bench/libtorch.runs | awk '
    { d = $2 - $5; sum += d; squares += d * d; if (d >= 0) ties_or_wins++ }
    END {
        mean = sum / NR; var = NR > 1 ? (squares - NR * mean * mean) / (NR - 1) : 0; sd = var > 0 ? sqrt(var) : 0
        printf "accuracy, xgrad - libtorch, seed by seed: %+.2f points on average (standard error %.2f); xgrad at least as accurate with %d of %d seeds\n",
               mean, sd / sqrt(NR), ties_or_wins, NR
    }'
