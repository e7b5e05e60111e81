#!/usr/bin/env bash
# scripts/check_layers.sh must catch an include that runs back up: a copy of the tree with one
# such include (runtime -> ops) has to fail it, naming the file and the include.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$repo/autograd" "$repo/ops" "$repo/nn" "$tmp/"
bash "$repo/scripts/check_layers.sh" "$tmp" > /dev/null
echo '#include "ops/linalg.hpp"' >> "$tmp/autograd/runtime/random.hpp"
if out=$(bash "$repo/scripts/check_layers.sh" "$tmp" 2>&1); then
    echo "check_layers.sh passed a tree where autograd/runtime includes ops/" >&2
    exit 1
fi
grep -q 'autograd/runtime/random.hpp:.*includes "ops/linalg.hpp" (ops), above its own layer (runtime)' <<< "$out"
echo "check_layers.sh refuses an include from runtime up to ops"
