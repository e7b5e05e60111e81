#!/usr/bin/env bash
# Sets everything up, builds xgrad in Release and runs the main example.
#   usage: scripts/run.sh [example arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "${XGRAD_JOBS:-2}" --target linear_regression
exec build/release/examples/linear_regression "$@"
