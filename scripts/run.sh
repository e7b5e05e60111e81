#!/usr/bin/env bash
# Sets everything up, builds xgrad in Release and runs the main job: a 784-256-128-10 MLP trained
# on Fashion-MNIST (examples/fashion_mnist.cpp; --help lists its flags). With --example NAME it
# runs one of the character models on Debian's word list instead (installing wamerican):
# char_mlp (a makemore-style MLP) or char_transformer (a small decoder-only transformer).
#   usage: scripts/run.sh [fashion_mnist flags...]
#          scripts/run.sh --example char_mlp|char_transformer [its flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
target=fashion_mnist
extra=()
if [ "${1:-}" = "--example" ]; then
    case "${2:-}" in
        char_mlp | char_transformer) target=$2; extra=(wamerican) ;;
        *) echo "run.sh: --example takes char_mlp or char_transformer, got '${2:-}'" >&2; exit 2 ;;
    esac
    shift 2
elif [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
    echo "scripts/run.sh runs the main job (flags below); scripts/run.sh --example char_mlp|char_transformer [--help]"
    echo "runs a character model on the word list instead."
    echo
fi
bash scripts/setup.sh "${extra[@]}"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "${XGRAD_JOBS:-2}" --target "$target"
exec build/release/examples/"$target" --output-dir build/"$target" "$@"
