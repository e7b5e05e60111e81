#!/usr/bin/env bash
# Sets everything up, builds xgrad in Release and runs the main job: a 784-256-128-10 MLP trained
# on Fashion-MNIST (examples/fashion_mnist.cpp; --help lists its flags).
#   usage: scripts/run.sh [fashion_mnist flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "${XGRAD_JOBS:-2}" --target fashion_mnist
exec build/release/examples/fashion_mnist --output-dir build/fashion_mnist "$@"
