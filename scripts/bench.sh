#!/usr/bin/env bash
# Benchmarks a training step of xgrad against libtorch (Debian's libtorch-dev, installed here)
# and against the GEMM limit (raw cblas_sgemm for the step's matrix products), float32, 1 and 2
# threads, and prints one table (bench/step_bench.cpp). Not part of the tests: machines are noisy.
#   usage: scripts/bench.sh [step_bench flags: --seconds 1 --threads 1,2 --configs a,b,c,d]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh libtorch-dev
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DXGRAD_BENCH_TORCH=ON \
    -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build/bench -j "${XGRAD_JOBS:-2}" --target step_bench
# Let OpenBLAS choose its kernel for this CPU, as it does on a user's machine: some machines force
# one through OPENBLAS_CORETYPE (ours force Haswell, half the AVX-512 kernel's speed). The table
# names the kernel in use. XGRAD_KEEP_CORETYPE=1 keeps a forced one.
[ "${XGRAD_KEEP_CORETYPE:-0}" = 1 ] || unset OPENBLAS_CORETYPE
unset OPENBLAS_NUM_THREADS  # the benchmark sets 1 and 2 threads itself
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exec build/bench/bench/step_bench "$@"
