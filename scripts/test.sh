#!/usr/bin/env bash
# Sets everything up, then builds and runs every test twice: a Release build with -Werror, and a
# build under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on: a leak fails).
# Then: builds under ThreadSanitizer (clang) and runs the threaded tests and a two-thread training
# run; installs the Release build, moves the install to another prefix, and builds and runs a
# separate project against it; runs an example under valgrind memcheck; runs each fuzz target for a bounded time.
#   usage: scripts/test.sh   (XGRAD_JOBS=N to change the -j2 default; XGRAD_FUZZ_SECONDS=N, default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh python3-torch wamerican  # PyTorch: the reference numbers some tests regenerate; the word list

jobs=${XGRAD_JOBS:-2}
export OPENBLAS_NUM_THREADS=1  # ctest -j2 on two cores: one BLAS thread per test

echo "== release build (-Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DXGRAD_WERROR=ON
cmake --build build/release -j "$jobs"
ctest --test-dir build/release -j "$jobs" --output-on-failure

echo "== install, move the install elsewhere, then build and run tests/consumer against it"
rm -rf build/install build/relocated build/consumer
cmake --install build/release --prefix "$PWD/build/install" > /dev/null
mv build/install build/relocated  # the package must not remember where it was installed
if grep -rn -e "$PWD/build/install" -e '/usr/lib' build/relocated/lib/cmake/xgrad/xgrad-targets*.cmake; then
    echo "the exported targets name absolute paths: the package cannot be moved or found elsewhere" >&2
    exit 1
fi
cmake -S tests/consumer -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/relocated" > /dev/null
cmake --build build/consumer
build/consumer/consumer

echo "== valgrind memcheck on the main job (1 epoch on 1,000 images): no errors, no leaks"
valgrind --quiet --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    build/release/examples/fashion_mnist --limit 1000 --epochs 1 --hidden 64 \
    --output-dir build/valgrind_fashion_mnist > build/valgrind_fashion_mnist.log
tail -n 1 build/valgrind_fashion_mnist.log

echo "== sanitizer build (address, undefined, leak)"
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DXGRAD_WERROR=ON \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake --build build/sanitize -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/sanitize -j "$jobs" --output-on-failure

echo "== ThreadSanitizer (clang): the threaded tests and a two-thread training run, zero reports"
# [race] races on purpose (it checks that the race is refused); TSan cannot follow a multi-threaded
# fork() child, so die_after_fork=0 lets the fork test's child run on.
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DXGRAD_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer"
cmake --build build/tsan -j "$jobs" --target xgrad_tests fashion_mnist
export TSAN_OPTIONS=halt_on_error=1:die_after_fork=0
build/tsan/tests/xgrad_tests "[threads],[parallel]~[race]"
OPENBLAS_NUM_THREADS=2 build/tsan/examples/fashion_mnist --limit 3000 --epochs 1 --output-dir build/tsan_fashion_mnist | tail -n 1
unset TSAN_OPTIONS

echo "== fuzzing"
bash scripts/fuzz.sh "${XGRAD_FUZZ_SECONDS:-60}"
